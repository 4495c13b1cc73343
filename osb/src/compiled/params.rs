//! Checking `parameters` against the plan's published JSON Schema, so what the
//! catalog advertises is exactly what is enforced.

use std::sync::OnceLock;

use serde_json::Value;

use super::flat_schema::FlatSchema;
use crate::error::{Error, ErrorKind};
use crate::request::Parameters;

/// The most violations listed in one error description.
const MAX_LISTED: usize = 5;

/// A plan's parameter schema, compiled once: when the router is built, or on its first
/// use when the catalog's checks already vouch that it compiles (see [`vouched`]).
///
/// Compiling loads the JSON Schema compiler, about a megabyte of code that a broker
/// whose schemas are all vouched for does not touch before its first request with
/// parameters: its resident memory at rest is that much smaller
/// (docs/PERFORMANCE.md, «Start-up and memory»).
pub(crate) struct ParameterSchema {
    /// The schema as compiled (see `name_unexpected_properties`).
    schema: Value,
    validator: OnceLock<Result<jsonschema::Validator, String>>,
    /// The schema's fast path, when it is a flat object schema: most requests are
    /// accepted there without a `serde_json::Value` (docs/PERFORMANCE.md).
    flat: Option<FlatSchema>,
}

impl ParameterSchema {
    /// Prepares `schema`, compiling it now unless [`vouched`] for; errors if it does
    /// not compile.
    pub(crate) fn new(schema: &Value) -> Result<Self, String> {
        let mut schema = schema.clone();
        name_unexpected_properties(&mut schema);
        let prepared = Self {
            flat: FlatSchema::of(&schema),
            schema,
            validator: OnceLock::new(),
        };
        if !vouched(&prepared.schema) {
            prepared.validator()?;
        }
        Ok(prepared)
    }

    /// Whether the validator has been compiled.
    #[cfg(test)]
    fn compiled(&self) -> bool {
        self.validator.get().is_some()
    }

    /// The validator, compiled on the first call.
    fn validator(&self) -> Result<&jsonschema::Validator, String> {
        self.validator
            .get_or_init(|| {
                // `validator_for` picks the draft from `$schema`; without the
                // `resolve-http` feature it never fetches anything over the network.
                jsonschema::validator_for(&self.schema).map_err(|err| err.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// 400 listing each violation as `parameters.<path>: <rule>`, such as
    /// `parameters.size_mb: 5000 is greater than the maximum of 1024`.
    /// Absent parameters are checked as `{}`, so a schema's `required` applies.
    pub(crate) fn check(&self, parameters: Option<&Parameters>) -> Result<(), Error> {
        if let Some(flat) = &self.flat {
            let accepted = match parameters {
                Some(parameters) => flat.accepts(parameters.as_raw().get()),
                None => flat.accepts_nothing(),
            };
            if accepted {
                return Ok(());
            }
        }
        let instance = match parameters {
            // Valid JSON that `Value` cannot hold (a number beyond f64, nesting deeper
            // than 128) is the client's problem: 400, not 500.
            Some(parameters) => serde_json::from_str(parameters.as_raw().get()).map_err(|err| {
                Error::invalid_parameters(format!(
                    "parameters: {}",
                    crate::request::json::serde_message(&err)
                ))
            })?,
            None => Value::Object(serde_json::Map::new()),
        };
        let validator = self.validator().map_err(|err| {
            // The catalog's checks vouched for this schema: a bug, not the client's fault.
            tracing::error!(error = %err, "a parameter schema does not compile");
            Error::new(ErrorKind::Internal)
        })?;
        // The cheap yes/no first; the errors are collected only for invalid input.
        if validator.is_valid(&instance) {
            return Ok(());
        }
        let errors = validator.iter_errors(&instance);
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

/// Whether the catalog's checks vouch that `schema` compiles, so compiling it may wait
/// for its first use. They validate every schema against its draft's meta-schema
/// (osb/src/catalog/validate.rs); what that cannot tell is whether a `$ref` points
/// anywhere and whether a regular expression (`pattern`, the keys of
/// `patternProperties`) is one the validator's engine accepts. So only draft-04
/// schemas (the draft the specification names, and the one `osb::schema` writes)
/// with none of those keywords are vouched for; any other schema is compiled when the
/// router is built, and a mistake in it stops the build as before.
fn vouched(schema: &Value) -> bool {
    fn plain(value: &Value) -> bool {
        match value {
            Value::Object(map) => {
                !map.contains_key("$ref")
                    && !map.contains_key("pattern")
                    && !map.contains_key("patternProperties")
                    && map.values().all(plain)
            }
            Value::Array(items) => items.iter().all(plain),
            _ => true,
        }
    }
    let draft_04 = matches!(
        schema.get("$schema").and_then(Value::as_str),
        Some("http://json-schema.org/draft-04/schema#" | "http://json-schema.org/draft-04/schema")
    );
    draft_04 && plain(schema)
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
        let schema = ParameterSchema::new(&json!({
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

    /// A draft-04 schema without references or regular expressions is compiled on its
    /// first use, and checks as one compiled at once would.
    #[test]
    fn vouched_schema_compiles_on_first_use() {
        let schema = ParameterSchema::new(&json!({
            "$schema": "http://json-schema.org/draft-04/schema#",
            "type": "object",
            "properties": {"size_mb": {"type": "integer", "maximum": 1024}},
            "additionalProperties": false
        }))
        .unwrap();
        assert!(!schema.compiled());
        let err = schema
            .check(Some(&params(r#"{"size_mb": 5000}"#)))
            .unwrap_err();
        assert_eq!(
            err.description(),
            "parameters.size_mb: 5000 is greater than the maximum of 1024"
        );
        assert!(schema.compiled());
    }

    /// What the meta-schema cannot tell (where a `$ref` points, what the regex
    /// engine accepts) is found when the router is built, not at the first request.
    #[test]
    fn other_schemas_compile_when_built() {
        let d4 = "http://json-schema.org/draft-04/schema#";
        let dangling = json!({"$schema": d4, "properties": {"a": {"$ref": "#/definitions/gone"}}});
        let bad_key = json!({"$schema": d4, "patternProperties": {"(": {}}});
        let bad_pattern = json!({"$schema": d4, "properties": {"a": {"pattern": "\\p{Nope}"}}});
        for schema in [dangling, bad_key, bad_pattern] {
            assert!(jsonschema::meta::validate(&schema).is_ok(), "{schema}");
            assert!(ParameterSchema::new(&schema).is_err(), "{schema}");
        }
        let later_draft = ParameterSchema::new(&json!({
            "$schema": "http://json-schema.org/draft-07/schema#",
            "type": "object"
        }))
        .unwrap();
        assert!(later_draft.compiled());
        let with_reference = ParameterSchema::new(&json!({
            "$schema": d4,
            "definitions": {"size": {"type": "integer"}},
            "properties": {"size_mb": {"$ref": "#/definitions/size"}}
        }))
        .unwrap();
        assert!(with_reference.compiled());
    }

    #[test]
    fn pointer_to_path() {
        assert_eq!(json_path(""), "parameters");
        assert_eq!(json_path("/a/0/b~1c~0"), "parameters.a[0].b/c~");
    }
}
