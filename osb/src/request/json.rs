//! Reading the JSON of requests: serde's messages made fit for a platform user, and
//! the fields whose shape the specification fixes.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use crate::catalog::MaintenanceInfo;

/// serde_json's message without the "at line 1 column 7" suffix, which means
/// nothing to a platform user.
pub(crate) fn serde_message(err: &serde_json::Error) -> String {
    let text = err.to_string();
    match text.rfind(" at line ") {
        Some(at) if err.line() > 0 => text[..at].to_owned(),
        _ => text,
    }
}

/// Reads `maintenance_info`, treating an object without `version` (`{}`, which real
/// platforms and checkers send) as absent.
pub(crate) fn maintenance_info<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<MaintenanceInfo>, D::Error> {
    #[derive(Deserialize)]
    struct Loose {
        #[serde(default)]
        version: Option<String>,
        #[serde(default)]
        description: Option<String>,
    }
    let loose: Option<Loose> = object(deserializer)?;
    Ok(loose.and_then(|l| {
        l.version.map(|version| MaintenanceInfo {
            version,
            description: l.description,
        })
    }))
}

/// An optional field that must be a JSON object when present: serde's derived
/// structs also read arrays, field by field, which would turn `["1.0.0"]` into a
/// `maintenance_info` instead of a 400.
pub(crate) fn object<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct Optional<T>(PhantomData<T>);
    struct Object<T>(PhantomData<T>);

    impl<'de, T: Deserialize<'de>> Visitor<'de> for Optional<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(
            self,
            deserializer: D,
        ) -> Result<Self::Value, D::Error> {
            deserializer.deserialize_map(Object(PhantomData)).map(Some)
        }
    }

    impl<'de, T: Deserialize<'de>> Visitor<'de> for Object<T> {
        type Value = T;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }

        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
        }
    }

    deserializer.deserialize_option(Optional(PhantomData))
}

/// The top-level field `name` of the JSON object `text`, as `T`; `None` if absent.
pub(crate) fn field<T: DeserializeOwned>(
    text: &[u8],
    name: &str,
) -> Result<Option<T>, serde_json::Error> {
    let map: HashMap<Cow<'_, str>, &RawValue> = serde_json::from_slice(text)?;
    map.get(name)
        .map(|raw| serde_json::from_str(raw.get()))
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_maintenance_info_is_absent() {
        #[derive(Deserialize)]
        struct Body {
            #[serde(default, deserialize_with = "maintenance_info")]
            maintenance_info: Option<MaintenanceInfo>,
        }
        let body: Body = serde_json::from_str(r#"{"maintenance_info": {}}"#).unwrap();
        assert_eq!(body.maintenance_info, None);
        let body: Body = serde_json::from_str(r#"{"maintenance_info": null}"#).unwrap();
        assert_eq!(body.maintenance_info, None);
        let body: Body =
            serde_json::from_str(r#"{"maintenance_info": {"version": "1.0.0"}}"#).unwrap();
        assert_eq!(body.maintenance_info, Some(MaintenanceInfo::new("1.0.0")));
    }
}
