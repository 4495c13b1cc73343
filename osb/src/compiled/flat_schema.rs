//! A fast path for the parameter check: a flat object schema (the shape `osb::schema`
//! writes for a struct of integers, strings and booleans) checked on the raw JSON,
//! without building a `serde_json::Value` or running the JSON Schema validator.
//!
//! Only an acceptance is final. When the fast path cannot accept (a violation, or
//! anything it does not model: a float, a nested value, a duplicate key it cannot
//! judge), the full validator decides and writes the errors, so the answers and their
//! messages are the validator's. The one rule: never accept what the validator would
//! reject.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer as _, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value};

/// The most properties a flat schema may have: one bit each for "seen".
const MAX_PROPERTIES: usize = 64;

/// Keywords that only annotate: the validator checks nothing for them.
const ANNOTATIONS: [&str; 4] = ["description", "title", "default", "examples"];

/// A draft-04 object schema whose properties are all scalars with simple
/// constraints, and nothing else.
#[derive(Debug)]
pub(crate) struct FlatSchema {
    properties: Vec<(String, Property)>,
    /// A bit per property (by position in `properties`) that must be present.
    required: u64,
    /// `additionalProperties: false`.
    closed: bool,
}

#[derive(Debug)]
enum Property {
    Integer {
        /// The least value allowed, exclusive bounds already made inclusive.
        minimum: Option<i128>,
        maximum: Option<i128>,
    },
    String {
        min_length: Option<u64>,
        max_length: Option<u64>,
        /// `enum`: the only values allowed.
        allowed: Option<Vec<String>>,
    },
    Boolean,
}

impl FlatSchema {
    /// The flat form of `schema`, or `None` when it is not one (then only the full
    /// validator checks it).
    pub(crate) fn of(schema: &Value) -> Option<Self> {
        let root = schema.as_object()?;
        let draft_04 = matches!(
            root.get("$schema").and_then(Value::as_str),
            Some(
                "http://json-schema.org/draft-04/schema#"
                    | "http://json-schema.org/draft-04/schema"
            )
        );
        if !draft_04 || root.get("type").and_then(Value::as_str) != Some("object") {
            return None;
        }
        let mut flat = FlatSchema {
            properties: Vec::new(),
            required: 0,
            closed: false,
        };
        for (keyword, value) in root {
            match keyword.as_str() {
                "$schema" | "type" => {}
                "properties" => {
                    for (name, property) in value.as_object()? {
                        flat.properties
                            .push((name.clone(), Property::of(property.as_object()?)?));
                    }
                    if flat.properties.len() > MAX_PROPERTIES {
                        return None;
                    }
                }
                "additionalProperties" => flat.closed = !value.as_bool()?,
                "required" => {}
                _ if ANNOTATIONS.contains(&keyword.as_str()) => {}
                _ => return None,
            }
        }
        if let Some(required) = root.get("required") {
            for name in required.as_array()? {
                let name = name.as_str()?;
                let position = flat.properties.iter().position(|(n, _)| n == name)?;
                flat.required |= 1 << position;
            }
        }
        Some(flat)
    }

    /// Whether the object `text` (valid JSON, as the request held it) certainly
    /// satisfies the schema.
    pub(crate) fn accepts(&self, text: &str) -> bool {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        deserializer.deserialize_map(ObjectCheck(self)).is_ok() && deserializer.end().is_ok()
    }

    /// Whether no parameters at all (checked as `{}`) satisfy the schema.
    pub(crate) fn accepts_nothing(&self) -> bool {
        self.required == 0
    }
}

impl Property {
    fn of(schema: &Map<String, Value>) -> Option<Self> {
        let kind = schema.get("type")?.as_str()?;
        let integer = |keyword: &str| -> Option<Option<i128>> {
            match schema.get(keyword) {
                None => Some(None),
                Some(value) => Some(Some(
                    value
                        .as_i64()
                        .map(i128::from)
                        .or_else(|| value.as_u64().map(i128::from))?,
                )),
            }
        };
        let flag = |keyword: &str| -> Option<bool> {
            match schema.get(keyword) {
                None => Some(false),
                Some(value) => value.as_bool(),
            }
        };
        let length = |keyword: &str| -> Option<Option<u64>> {
            match schema.get(keyword) {
                None => Some(None),
                Some(value) => Some(Some(value.as_u64()?)),
            }
        };
        let allowed_keywords: &[&str] = match kind {
            "integer" => &[
                "minimum",
                "maximum",
                "exclusiveMinimum",
                "exclusiveMaximum",
                // Formats apply to strings only: an integer passes any.
                "format",
            ],
            "string" => &["minLength", "maxLength", "enum"],
            "boolean" => &["format"],
            _ => return None,
        };
        for keyword in schema.keys() {
            let keyword = keyword.as_str();
            if keyword != "type"
                && !allowed_keywords.contains(&keyword)
                && !ANNOTATIONS.contains(&keyword)
            {
                return None;
            }
        }
        Some(match kind {
            "integer" => {
                // Draft 04: `exclusiveMinimum: true` makes `minimum` strict.
                let minimum = integer("minimum")?;
                let maximum = integer("maximum")?;
                let (exclusive_min, exclusive_max) =
                    (flag("exclusiveMinimum")?, flag("exclusiveMaximum")?);
                Property::Integer {
                    minimum: minimum.map(|m| if exclusive_min { m + 1 } else { m }),
                    maximum: maximum.map(|m| if exclusive_max { m - 1 } else { m }),
                }
            }
            "string" => Property::String {
                min_length: length("minLength")?,
                max_length: length("maxLength")?,
                allowed: match schema.get("enum") {
                    None => None,
                    Some(values) => Some(
                        values
                            .as_array()?
                            .iter()
                            .map(|v| v.as_str().map(str::to_owned))
                            .collect::<Option<Vec<_>>>()?,
                    ),
                },
            },
            _ => Property::Boolean,
        })
    }

    fn accepts_integer(&self, value: i128) -> bool {
        match self {
            Property::Integer { minimum, maximum } => {
                minimum.is_none_or(|m| value >= m) && maximum.is_none_or(|m| value <= m)
            }
            _ => false,
        }
    }

    fn accepts_string(&self, value: &str) -> bool {
        match self {
            Property::String {
                min_length,
                max_length,
                allowed,
            } => {
                // JSON Schema counts characters, not bytes.
                let length = value.chars().count() as u64;
                min_length.is_none_or(|m| length >= m)
                    && max_length.is_none_or(|m| length <= m)
                    && allowed
                        .as_ref()
                        .is_none_or(|allowed| allowed.iter().any(|a| a == value))
            }
            _ => false,
        }
    }
}

/// Refusals travel as errors, which stop the parse at once.
fn refuse<T, E: de::Error>() -> Result<T, E> {
    Err(E::custom("not accepted by the fast path"))
}

/// `Ok` if `accepted`, else a refusal.
fn verdict<E: de::Error>(accepted: bool) -> Result<(), E> {
    if accepted { Ok(()) } else { refuse() }
}

struct ObjectCheck<'a>(&'a FlatSchema);

impl<'de> Visitor<'de> for ObjectCheck<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let schema = self.0;
        let mut seen = 0u64;
        while let Some(position) = map.next_key_seed(KeyCheck(schema))? {
            match position {
                Some(position) => {
                    map.next_value_seed(ValueCheck(&schema.properties[position].1))?;
                    seen |= 1 << position;
                }
                None if schema.closed => return refuse(),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        verdict(seen & schema.required == schema.required)
    }
}

/// A key: the position of its property, `None` for another key.
struct KeyCheck<'a>(&'a FlatSchema);

impl<'de> DeserializeSeed<'de> for KeyCheck<'_> {
    type Value = Option<usize>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeyCheck<'_> {
    type Value = Option<usize>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
        Ok(self.0.properties.iter().position(|(name, _)| name == key))
    }
}

/// A property's value, checked against its schema.
struct ValueCheck<'a>(&'a Property);

impl<'de> DeserializeSeed<'de> for ValueCheck<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValueCheck<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a scalar")
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<(), E> {
        verdict(self.0.accepts_integer(i128::from(value)))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<(), E> {
        verdict(self.0.accepts_integer(i128::from(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<(), E> {
        verdict(self.0.accepts_string(value))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        verdict(matches!(self.0, Property::Boolean))
    }

    // Floats, nulls, arrays and objects are left to the validator (the default
    // `visit_*` methods refuse them).
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const D4: &str = "http://json-schema.org/draft-04/schema#";

    /// Every instance the fast path accepts, the validator accepts; and the fast path
    /// accepts the valid instances it models.
    #[test]
    fn accepts_only_what_the_validator_accepts() {
        let schemas = [
            json!({"$schema": D4, "type": "object", "additionalProperties": false,
                   "description": "d",
                   "properties": {"size_mb": {"type": "integer", "minimum": 1, "maximum": 1024,
                                              "default": 64, "description": "MiB"}}}),
            json!({"$schema": D4, "type": "object", "required": ["name", "on"],
                   "properties": {
                       "name": {"type": "string", "minLength": 2, "maxLength": 4},
                       "on": {"type": "boolean"},
                       "n": {"type": "integer", "minimum": -5, "exclusiveMinimum": true,
                             "maximum": 5, "exclusiveMaximum": true, "format": "int32"},
                       "tier": {"type": "string", "enum": ["gold", "silver"]}}}),
            json!({"$schema": D4, "type": "object", "additionalProperties": false,
                   "properties": {}}),
        ];
        let instances = [
            r#"{}"#,
            r#"{"size_mb":256}"#,
            r#"{"size_mb":1}"#,
            r#"{"size_mb":1024}"#,
            r#"{"size_mb":0}"#,
            r#"{"size_mb":1025}"#,
            r#"{"size_mb":-1}"#,
            r#"{"size_mb":256.0}"#,
            r#"{"size_mb":2.56e2}"#,
            r#"{"size_mb":"256"}"#,
            r#"{"size_mb":null}"#,
            r#"{"size_mb":[256]}"#,
            r#"{"size_mb":18446744073709551616}"#,
            r#"{"size_mb":-9223372036854775809}"#,
            r#"{"size_mb":256,"size_mb":5000}"#,
            r#"{"size_mb":5000,"size_mb":256}"#,
            r#"{"size_mb":256,"other":1}"#,
            r#"{"other":{"deep":[1,2]}}"#,
            r#"{"name":"ab","on":true}"#,
            r#"{"name":"abcd","on":false,"n":4,"tier":"gold"}"#,
            r#"{"name":"a","on":true}"#,
            r#"{"name":"abcde","on":true}"#,
            r#"{"name":"\u00e9\u00e9\u00e9\u00e9","on":true}"#,
            r#"{"name":"ééé","on":true}"#,
            r#"{"name":"ab"}"#,
            r#"{"name":"ab","on":1}"#,
            r#"{"name":"ab","on":true,"n":5}"#,
            r#"{"name":"ab","on":true,"n":-5}"#,
            r#"{"name":"ab","on":true,"n":-4}"#,
            r#"{"name":"ab","on":true,"tier":"bronze"}"#,
            r#"{"name":"ab","on":true,"tier":"gol\u0064"}"#,
            r#"{"name":"ab","on":true,"extra":[1,{"x":null}]}"#,
            r#"{"na\u006de":"ab","on":true}"#,
        ];
        let mut accepted = 0;
        for schema in &schemas {
            let flat = FlatSchema::of(schema).expect("a flat schema");
            let validator = jsonschema::draft4::new(schema).unwrap();
            for text in instances {
                let instance: Value = serde_json::from_str(text).unwrap();
                if flat.accepts(text) {
                    accepted += 1;
                    assert!(validator.is_valid(&instance), "{schema} accepted {text}");
                }
            }
            assert_eq!(
                flat.accepts_nothing(),
                validator.is_valid(&json!({})),
                "{schema}"
            );
        }
        // The valid instances it models: {} and size_mb 256, 1 and 1024 under the
        // first schema; eight under the second (escaped keys and values included);
        // {} under the third.
        assert_eq!(accepted, 4 + 8 + 1, "accepted {accepted}");
        let flat = FlatSchema::of(&schemas[0]).unwrap();
        assert!(flat.accepts(r#"{"size_mb":256}"#));
        assert!(flat.accepts(r#" { "size_mb" : 256 } "#));
        assert!(!flat.accepts(r#"{"size_mb":5000}"#));
    }

    #[test]
    fn other_schemas_are_not_flat() {
        let not_flat = [
            json!({"type": "object", "properties": {}}),
            json!({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"}),
            json!({"$schema": D4, "properties": {}}),
            json!({"$schema": D4, "type": "object", "additionalProperties": {"type": "string"}}),
            json!({"$schema": D4, "type": "object", "properties": {"a": {"type": "number"}}}),
            json!({"$schema": D4, "type": "object", "properties": {"a": {"type": ["string", "null"]}}}),
            json!({"$schema": D4, "type": "object", "properties": {"a": {"type": "string", "pattern": "x"}}}),
            json!({"$schema": D4, "type": "object", "properties": {"a": {"type": "string", "format": "email"}}}),
            json!({"$schema": D4, "type": "object", "properties": {"a": {"type": "integer", "multipleOf": 2}}}),
            json!({"$schema": D4, "type": "object", "properties": {"a": {"type": "integer", "minimum": 0.5}}}),
            json!({"$schema": D4, "type": "object", "properties": {"a": {"type": "integer", "enum": [1]}}}),
            json!({"$schema": D4, "type": "object", "properties": {"a": {"$ref": "#/definitions/a"}},
                   "definitions": {"a": {"type": "integer"}}}),
            json!({"$schema": D4, "type": "object", "required": ["b"], "properties": {"a": {"type": "integer"}}}),
            json!({"$schema": D4, "type": "object", "minProperties": 1}),
            json!({"$schema": D4, "type": "object", "enum": [{}]}),
        ];
        for schema in not_flat {
            assert!(FlatSchema::of(&schema).is_none(), "{schema}");
        }
    }
}
