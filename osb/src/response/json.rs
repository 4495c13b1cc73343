//! JSON a handler supplied, kept serialized.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

/// JSON a handler supplied, serialized when it was supplied; a value that cannot be
/// serialized is reported (500) when the response is written, never lost silently.
#[derive(Clone)]
pub(crate) enum Json {
    Raw(Box<RawValue>),
    Invalid(String),
}

impl Json {
    pub(crate) fn new(value: &impl Serialize) -> Self {
        match serde_json::value::to_raw_value(value) {
            Ok(raw) => Json::Raw(raw),
            Err(err) => Json::Invalid(err.to_string()),
        }
    }

    pub(crate) fn raw(&self) -> Option<&RawValue> {
        match self {
            Json::Raw(raw) => Some(raw),
            Json::Invalid(_) => None,
        }
    }

    pub(crate) fn error(&self) -> Option<&str> {
        match self {
            Json::Raw(_) => None,
            Json::Invalid(err) => Some(err),
        }
    }
}

impl fmt::Debug for Json {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Credentials and parameters can hold secrets: never print them.
            Json::Raw(raw) => write!(f, "<{} bytes of JSON>", raw.get().len()),
            Json::Invalid(err) => write!(f, "<unserializable: {err}>"),
        }
    }
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Box::<RawValue>::deserialize(deserializer).map(Json::Raw)
    }
}

impl Serialize for Json {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Json::Raw(raw) => raw.serialize(serializer),
            Json::Invalid(err) => Err(serde::ser::Error::custom(err)),
        }
    }
}
