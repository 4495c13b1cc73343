//! What a plan's parameter type must be, and the conversions into it.

use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::request::Parameters;

/// A type a plan can declare for its parameters.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter type: derive `serde::Deserialize` and `schemars::JsonSchema` for it",
    label = "used as a parameter type here",
    note = "the catalog publishes the type's JSON Schema and the runtime deserializes requests into it; `JsonSchema` must come from schemars 1.x (`schemars = \"1\"` in Cargo.toml): a derive from schemars 0.8 does not count"
)]
pub trait ParameterType: DeserializeOwned + schemars::JsonSchema + Send + 'static {}
impl<T: DeserializeOwned + schemars::JsonSchema + Send + 'static> ParameterType for T {}

/// The draft-04 schema a plan publishes for parameter type `T`.
pub fn schema_of<T: ParameterType>() -> serde_json::Value {
    crate::schema::parameters_schema::<T>()
}

/// Parameters for a plan that declares a type: absent parameters deserialize from
/// `{}`, so the type's defaults apply. The runtime validated them against the
/// published schema already.
pub fn typed_parameters<T: ParameterType>(raw: Option<Parameters>) -> Result<T, Error> {
    match raw {
        Some(raw) => raw.parse(),
        None => serde_json::from_str("{}").map_err(|err| {
            Error::invalid_parameters(format!(
                "parameters are required: {}",
                crate::request::json::serde_message(&err)
            ))
        }),
    }
}

/// Update parameters for a plan that declares a type.
pub fn typed_update_parameters<T: ParameterType>(raw: Parameters) -> Result<T, Error> {
    raw.parse()
}
