//! The `parameters` of provision, update and bind requests.

use std::fmt;

use serde::de::{DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::error::Error;
use crate::raw_json::to_raw_value;

use super::json::{field, serde_message};

/// Configuration parameters as the platform sent them: a JSON object, kept raw
/// until the handler reads it.
///
/// When the plan declares a schema, the runtime has validated the object against
/// it before the handler runs.
#[derive(Clone)]
pub struct Parameters(Box<RawValue>);

impl PartialEq for Parameters {
    /// Compares the JSON text as sent.
    fn eq(&self, other: &Self) -> bool {
        self.0.get() == other.0.get()
    }
}

impl Parameters {
    /// Parameters from raw JSON; errors unless it is an object.
    pub fn from_raw(raw: Box<RawValue>) -> Result<Self, Error> {
        if raw.get().trim_start().starts_with('{') {
            Ok(Self(raw))
        } else {
            Err(Error::bad_request("`parameters` must be a JSON object"))
        }
    }

    /// Parameters from any serializable value that serializes to an object.
    pub fn from_serialize(value: &impl Serialize) -> Result<Self, Error> {
        Self::from_raw(to_raw_value(value)?)
    }

    /// The JSON text.
    pub fn as_raw(&self) -> &RawValue {
        &self.0
    }

    /// Deserializes the object into `T`; a mismatch is a 400 naming the problem.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_str(self.0.get()).map_err(|err| {
            Error::invalid_parameters(format!("parameters: {}", serde_message(&err)))
        })
    }

    /// One property as `T`, `None` if absent.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, Error> {
        field(self.0.get().as_bytes(), key).map_err(|err| {
            Error::invalid_parameters(format!("parameters.{key}: {}", serde_message(&err)))
        })
    }
}

impl fmt::Debug for Parameters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Parameters can hold secrets; a Debug print names their size only.
        write!(f, "Parameters({} bytes)", self.0.get().len())
    }
}

impl Serialize for Parameters {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Parameters {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Parameters::from_raw(raw).map_err(|err| serde::de::Error::custom(err.description()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_must_be_an_object() {
        let raw = RawValue::from_string("[1]".into()).unwrap();
        assert!(Parameters::from_raw(raw).is_err());
        let raw = RawValue::from_string(r#"{"size_mb": 5}"#.into()).unwrap();
        let params = Parameters::from_raw(raw).unwrap();
        assert_eq!(params.get::<u32>("size_mb").unwrap(), Some(5));
        assert_eq!(params.get::<u32>("other").unwrap(), None);
        let err = params.get::<String>("size_mb").unwrap_err();
        assert_eq!(
            err.description(),
            "parameters.size_mb: invalid type: integer `5`, expected a string"
        );
    }
}
