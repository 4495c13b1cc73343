//! Checking `parameters` against the plan's published JSON Schema, so what the
//! catalog advertises is exactly what is enforced.

use serde_json::Value;

use crate::{Error, Parameters};

/// The most violations listed in one error description.
const MAX_LISTED: usize = 5;

/// A plan's parameter schema, compiled once when the router is built.
pub(crate) struct ParameterSchema {
    validator: jsonschema::Validator,
}

impl ParameterSchema {
    pub(crate) fn compile(schema: &Value) -> Result<Self, String> {
        // `validator_for` picks the draft from `$schema`; without the `resolve-http`
        // feature it never fetches anything over the network.
        let mut schema = schema.clone();
        name_unexpected_properties(&mut schema);
        jsonschema::validator_for(&schema)
            .map(|validator| Self { validator })
            .map_err(|err| err.to_string())
    }

    /// 400 listing each violation as `parameters.<path>: <rule>`, such as
    /// `parameters.size_mb: 5000 is greater than the maximum of 1024`.
    /// Absent parameters are checked as `{}`, so a schema's `required` applies.
    pub(crate) fn check(&self, parameters: Option<&Parameters>) -> Result<(), Error> {
        let instance = match parameters {
            // Valid JSON that `Value` cannot hold (a number beyond f64, nesting deeper
            // than 128) is the client's problem: 400, not 500.
            Some(parameters) => serde_json::from_str(parameters.as_raw().get()).map_err(|err| {
                Error::invalid_parameters(format!(
                    "parameters: {}",
                    crate::request::serde_message(&err)
                ))
            })?,
            None => Value::Object(serde_json::Map::new()),
        };
        // The cheap yes/no first; the errors are collected only for invalid input.
        if self.validator.is_valid(&instance) {
            return Ok(());
        }
        let errors = self.validator.iter_errors(&instance);
        let mut listed = Vec::new();
        let mut total = 0;
        for error in errors {
            total += 1;
            if listed.len() < MAX_LISTED {
                listed.push(format!(
                    "{}: {error}",
                    json_path(error.instance_path().as_str())
                ));
            }
        }
        if total > listed.len() {
            listed.push(format!("and {} more", total - listed.len()));
        }
        Err(Error::invalid_parameters(listed.join("; ")))
    }
}

/// Adds `properties: {}` next to `additionalProperties: false` where a schema has no
/// `properties`: the same constraint, but the validator then names the unexpected key
/// ("Additional properties are not allowed ('role' was unexpected)") instead of
/// reporting "False schema does not allow …" about its value, without a path.
fn name_unexpected_properties(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            let closed = map.get("additionalProperties") == Some(&Value::Bool(false));
            if closed && !map.contains_key("properties") && !map.contains_key("patternProperties") {
                map.insert(
                    "properties".to_owned(),
                    Value::Object(serde_json::Map::new()),
                );
            }
            map.values_mut().for_each(name_unexpected_properties);
        }
        Value::Array(items) => items.iter_mut().for_each(name_unexpected_properties),
        _ => {}
    }
}

/// `/a/0/b~1c` → `parameters.a[0].b/c`.
fn json_path(pointer: &str) -> String {
    let mut path = String::from("parameters");
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if !token.is_empty() && token.bytes().all(|b| b.is_ascii_digit()) {
            path.push('[');
            path.push_str(&token);
            path.push(']');
        } else {
            path.push('.');
            path.push_str(&token);
        }
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use serde_json::value::RawValue;

    fn params(text: &str) -> Parameters {
        Parameters::from_raw(RawValue::from_string(text.to_owned()).unwrap()).unwrap()
    }

    #[test]
    fn names_path_and_rule() {
        let schema = ParameterSchema::compile(&json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "properties": {
                "size_mb": {"type": "integer", "minimum": 1, "maximum": 1024},
                "tags": {"type": "array", "items": {"type": "string"}}
            },
            "required": ["size_mb"],
            "additionalProperties": false
        }))
        .unwrap();
        assert!(schema.check(Some(&params(r#"{"size_mb": 64}"#))).is_ok());
        let err = schema
            .check(Some(&params(r#"{"size_mb": 5000}"#)))
            .unwrap_err();
        assert_eq!(
            err.description(),
            "parameters.size_mb: 5000 is greater than the maximum of 1024"
        );
        let err = schema
            .check(Some(&params(r#"{"size_mb": 1, "tags": ["a", 2]}"#)))
            .unwrap_err();
        assert_eq!(
            err.description(),
            "parameters.tags[1]: 2 is not of type \"string\""
        );
        let err = schema.check(None).unwrap_err();
        assert_eq!(
            err.description(),
            "parameters: \"size_mb\" is a required property"
        );
    }

    #[test]
    fn pointer_to_path() {
        assert_eq!(json_path(""), "parameters");
        assert_eq!(json_path("/a/0/b~1c~0"), "parameters.a[0].b/c~");
    }
}
