//! Platform data sent with requests: `context` (profile «Context Object») and
//! `bind_resource` (profile «Bind Resource Object»).

use std::fmt;
use std::sync::OnceLock;

use serde::de::{self, DeserializeOwned, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::catalog::MaintenanceInfo;

/// The `context` object of a provision, update or bind request.
///
/// It keeps the JSON exactly as the platform sent it (cheap to store, nothing is
/// lost) and reads the typed views on demand:
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let context: osb::request::Context = serde_json::from_str(
///     r#"{"platform":"kubernetes","namespace":"shop","clusterid":"c-1","x-extra":1}"#,
/// )?;
/// assert_eq!(context.platform(), Some("kubernetes"));
/// let k8s = context.kubernetes().expect("kubernetes context")?;
/// assert_eq!(k8s.namespace.as_deref(), Some("shop"));
/// assert_eq!(context.get::<u32>("x-extra")?, Some(1));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Context {
    raw: Box<RawValue>,
    /// `platform`, read from `raw` the first time it is asked for: most requests never
    /// ask, and a second parse of every context was 5 % of a provision's instructions.
    platform: OnceLock<Option<Box<str>>>,
}

impl Context {
    /// A context from a JSON object; errors if `raw` is not an object.
    pub fn from_raw(raw: Box<RawValue>) -> Result<Self, serde_json::Error> {
        // `raw` is valid JSON, so one that starts with `{` is an object.
        if !raw.get().trim_start().starts_with('{') {
            return Err(de::Error::custom("`context` must be a JSON object"));
        }
        Ok(Self {
            raw,
            platform: OnceLock::new(),
        })
    }

    /// `context.platform`, such as `cloudfoundry` or `kubernetes`; `None` when it is
    /// absent or not a string.
    pub fn platform(&self) -> Option<&str> {
        self.platform
            .get_or_init(|| {
                #[derive(Deserialize)]
                struct Head {
                    #[serde(default)]
                    platform: Option<Value>,
                }
                match serde_json::from_str::<Head>(self.raw.get()) {
                    Ok(Head {
                        platform: Some(Value::String(platform)),
                    }) => Some(platform.into_boxed_str()),
                    _ => None,
                }
            })
            .as_deref()
    }

    /// The context as the platform sent it.
    pub fn as_raw(&self) -> &RawValue {
        &self.raw
    }

    /// The Cloud Foundry view, when `platform` is `cloudfoundry`.
    pub fn cloud_foundry(&self) -> Option<Result<CloudFoundryContext, serde_json::Error>> {
        (self.platform() == Some("cloudfoundry")).then(|| self.parse())
    }

    /// The Kubernetes view, when `platform` is `kubernetes`.
    pub fn kubernetes(&self) -> Option<Result<KubernetesContext, serde_json::Error>> {
        (self.platform() == Some("kubernetes")).then(|| self.parse())
    }

    /// The whole context as `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.raw.get())
    }

    /// One property of the context as `T`, `None` if absent.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, serde_json::Error> {
        let map: Map<String, Value> = self.parse()?;
        map.get(key).map(T::deserialize).transpose()
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Context").field(&self.raw.get()).finish()
    }
}

impl PartialEq for Context {
    fn eq(&self, other: &Self) -> bool {
        self.raw.get() == other.raw.get()
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Context::from_raw(raw).map_err(de::Error::custom)
    }
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.raw.serialize(serializer)
    }
}

/// The Cloud Foundry context (profile «Cloud Foundry Context Object»).
///
/// Every property is optional here: each is mandatory only from the API version
/// that introduced it, and a missing one must not fail the request.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct CloudFoundryContext {
    /// Organization GUID (2.11).
    pub organization_guid: Option<String>,
    /// Organization name (2.15).
    pub organization_name: Option<String>,
    /// Space GUID (2.11).
    pub space_guid: Option<String>,
    /// Space name (2.15).
    pub space_name: Option<String>,
    /// Instance name (2.15).
    pub instance_name: Option<String>,
    /// Organization annotations (2.16).
    pub organization_annotations: Option<Map<String, Value>>,
    /// Space annotations (2.16).
    pub space_annotations: Option<Map<String, Value>>,
    /// Instance annotations (2.16).
    pub instance_annotations: Option<Map<String, Value>>,
}

/// The Kubernetes context (profile «Kubernetes Context Object»).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct KubernetesContext {
    /// Namespace (2.11).
    pub namespace: Option<String>,
    /// Cluster id (2.14).
    pub clusterid: Option<String>,
    /// Instance name (2.15).
    pub instance_name: Option<String>,
    /// Namespace annotations (2.16).
    pub namespace_annotations: Option<Map<String, Value>>,
    /// Instance annotations (2.16).
    pub instance_annotations: Option<Map<String, Value>>,
}

/// The `bind_resource` object of a bind request.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BindResource {
    /// The application the binding is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_guid: Option<String>,
    /// The route to intermediate (route services).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// Cloud Foundry: the space of the binding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space_guid: Option<String>,
    /// Cloud Foundry: the application's annotations (2.16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_annotations: Option<Map<String, Value>>,
    /// Cloud Foundry: the CredHub client to grant read access for a service key (2.16).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential_client_id: Option<String>,
    /// Any other platform field.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl<'de> Deserialize<'de> for BindResource {
    /// Reads a JSON object (anything else is an error, as for the other objects of a
    /// request); `null` for a known field is the same as its absence.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // By hand: with `#[serde(flatten)]` the derived code buffers every field into
        // an intermediate tree before reading any, which was most of the cost of
        // reading a bind request's body.
        deserializer.deserialize_map(BindResourceVisitor)
    }
}

struct BindResourceVisitor;

impl<'de> de::Visitor<'de> for BindResourceVisitor {
    type Value = BindResource;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<BindResource, A::Error> {
        /// Reads a known field once; a second occurrence is an error, as serde's
        /// derived code makes it.
        fn once<'de, A: de::MapAccess<'de>, T: Deserialize<'de>>(
            map: &mut A,
            seen: &mut bool,
            name: &'static str,
        ) -> Result<Option<T>, A::Error> {
            if std::mem::replace(seen, true) {
                return Err(de::Error::duplicate_field(name));
            }
            map.next_value()
        }

        let mut resource = BindResource::default();
        let mut seen = [false; 5];
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match &*key.0 {
                "app_guid" => resource.app_guid = once(&mut map, &mut seen[0], "app_guid")?,
                "route" => resource.route = once(&mut map, &mut seen[1], "route")?,
                "space_guid" => resource.space_guid = once(&mut map, &mut seen[2], "space_guid")?,
                "app_annotations" => {
                    resource.app_annotations = once(&mut map, &mut seen[3], "app_annotations")?;
                }
                "credential_client_id" => {
                    resource.credential_client_id =
                        once(&mut map, &mut seen[4], "credential_client_id")?;
                }
                _ => {
                    let value: Value = map.next_value()?;
                    resource.extra.insert(key.0.into_owned(), value);
                }
            }
        }
        Ok(resource)
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(std::borrow::Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }

            fn visit_borrowed_str<E: de::Error>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(key.into()))
            }

            fn visit_str<E: de::Error>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(key.to_owned().into()))
            }

            fn visit_string<E: de::Error>(self, key: String) -> Result<Key<'de>, E> {
                Ok(Key(key.into()))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

/// The `previous_values` object of an update request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PreviousValues {
    /// The plan before the update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    /// Deprecated: the offering (immutable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_id: Option<String>,
    /// Deprecated: the organization.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    /// Deprecated: the space.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub space_id: Option<String>,
    /// The maintenance info the instance was provisioned or last updated with.
    /// `{}` (no `version`) counts as absent.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::json::maintenance_info"
    )]
    pub maintenance_info: Option<MaintenanceInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_raw_and_reads_cloud_foundry() {
        let text = r#"{"platform":"cloudfoundry","organization_guid":"o","space_guid":"s","instance_annotations":{"a":"b"}}"#;
        let context: Context = serde_json::from_str(text).unwrap();
        assert_eq!(context.as_raw().get(), text);
        let cf = context.cloud_foundry().unwrap().unwrap();
        assert_eq!(cf.organization_guid.as_deref(), Some("o"));
        assert_eq!(cf.instance_annotations.unwrap()["a"], "b");
        assert!(context.kubernetes().is_none());
        assert_eq!(serde_json::to_string(&context).unwrap(), text);
    }

    #[test]
    fn platform_is_optional_but_context_must_be_an_object() {
        let context: Context = serde_json::from_str(r#"{"x":1}"#).unwrap();
        assert_eq!(context.platform(), None);
        assert!(serde_json::from_str::<Context>("[1]").is_err());
        assert!(serde_json::from_str::<Context>("\"cf\"").is_err());
    }

    #[test]
    fn bind_resource_keeps_platform_extras() {
        let resource: BindResource =
            serde_json::from_str(r#"{"app_guid":"a","credential_client_id":"c","x":true}"#)
                .unwrap();
        assert_eq!(resource.app_guid.as_deref(), Some("a"));
        assert_eq!(resource.credential_client_id.as_deref(), Some("c"));
        assert_eq!(resource.extra["x"], true);
    }

    #[test]
    fn bind_resource_reads_every_field_and_rejects_what_is_not_an_object() {
        let text = r#"{"app_guid":"a","route":"r.example.com","space_guid":"s","app_annotations":{"k":"v"},"credential_client_id":"c","x-\u0041":[1]}"#;
        let resource: BindResource = serde_json::from_str(text).unwrap();
        assert_eq!(
            resource,
            BindResource {
                app_guid: Some("a".into()),
                route: Some("r.example.com".into()),
                space_guid: Some("s".into()),
                app_annotations: Some(serde_json::from_str(r#"{"k":"v"}"#).unwrap()),
                credential_client_id: Some("c".into()),
                extra: serde_json::from_str(r#"{"x-A":[1]}"#).unwrap(),
            }
        );
        // Written back, it reads the same.
        let again: BindResource =
            serde_json::from_str(&serde_json::to_string(&resource).unwrap()).unwrap();
        assert_eq!(again, resource);
        // A known field that is null is absent.
        let resource: BindResource = serde_json::from_str(r#"{"route":null}"#).unwrap();
        assert_eq!(resource, BindResource::default());
        let error = |text: &str| {
            serde_json::from_str::<BindResource>(text)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            error(r#"{"app_guid":"a","app_guid":"b"}"#),
            "duplicate field `app_guid` at line 1 column 26"
        );
        assert_eq!(
            error(r#"["a"]"#),
            "invalid type: sequence, expected a JSON object at line 1 column 0"
        );
        assert_eq!(
            error(r#"{"app_guid":false}"#),
            "invalid type: boolean `false`, expected a string at line 1 column 17"
        );
    }
}
