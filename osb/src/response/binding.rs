//! Binding responses («Binding», «Types of Binding», «Unbinding»).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::catalog::Requirement;

use super::completion::Completion;
use super::fields::BINDING_FIELDS;
use super::json::Json;
use super::time::Timestamp;
use super::vendor::VendorFields;

/// What a binding gives the application: credentials and the other binding types.
///
/// Returned by a synchronous bind ([`Bound::created`]) and by fetch binding.
///
/// ```
/// use osb::Binding;
/// use osb::response::NetworkEndpoint;
/// let binding = Binding::new()
///     .credentials(&serde_json::json!({"uri": "postgres://u:p@db:5432/x"}))
///     .endpoint(NetworkEndpoint::new("db", 5432));
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Binding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) metadata: Option<BindingMetadata>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) credentials: Option<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) syslog_drain_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) route_service_url: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) volume_mounts: Vec<VolumeMount>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) endpoints: Vec<NetworkEndpoint>,
    /// Sent by fetch binding only (never in a bind response).
    #[serde(skip)]
    pub(crate) parameters: Option<Json>,
    /// Kept with the rest when the framework stores the binding, so an identical
    /// re-bind and fetching it answer them too.
    #[serde(flatten)]
    pub(crate) vendor: VendorFields,
}

impl Binding {
    /// A binding with nothing in it yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The credentials (a JSON object); MUST be returned if the broker generates them.
    #[must_use]
    pub fn credentials(mut self, credentials: &impl Serialize) -> Self {
        self.credentials = Some(Json::new(credentials));
        self
    }

    /// Expiry and renewal times.
    #[must_use]
    pub fn metadata(mut self, metadata: BindingMetadata) -> Self {
        self.metadata = Some(metadata);
        self
    }

    vendor_field_methods!(
        BINDING_FIELDS,
        "a binding (sent by bind and by fetch binding)"
    );

    /// The URL logs are streamed to (offering `requires: ["syslog_drain"]`).
    #[must_use]
    pub fn syslog_drain_url(mut self, url: impl Into<String>) -> Self {
        self.syslog_drain_url = Some(url.into());
        self
    }

    /// The URL the platform proxies the bound route to (offering `requires: ["route_forwarding"]`).
    #[must_use]
    pub fn route_service_url(mut self, url: impl Into<String>) -> Self {
        self.route_service_url = Some(url.into());
        self
    }

    /// Adds a volume to mount (offering `requires: ["volume_mount"]`).
    #[must_use]
    pub fn volume_mount(mut self, mount: VolumeMount) -> Self {
        self.volume_mounts.push(mount);
        self
    }

    /// Adds a network endpoint the application connects to; if any is given, all
    /// relevant endpoints MUST be.
    #[must_use]
    pub fn endpoint(mut self, endpoint: NetworkEndpoint) -> Self {
        self.endpoints.push(endpoint);
        self
    }

    /// The parameters of the binding, sent by fetch binding (MAY omit sensitive ones).
    #[must_use]
    pub fn parameters(mut self, parameters: &impl Serialize) -> Self {
        self.parameters = Some(Json::new(parameters));
        self
    }

    pub(crate) fn metadata_ref(&self) -> Option<&BindingMetadata> {
        self.metadata.as_ref()
    }

    /// The binding fields set whose permission the offering's `requires` lacks
    /// («Binding»: platforms can consider such a response invalid).
    pub(crate) fn unrequested(&self, requires: &[Requirement]) -> Vec<&'static str> {
        use Requirement as R;
        [
            (
                self.syslog_drain_url.is_some(),
                R::SyslogDrain,
                "syslog_drain_url",
            ),
            (
                self.route_service_url.is_some(),
                R::RouteForwarding,
                "route_service_url",
            ),
            (
                !self.volume_mounts.is_empty(),
                R::VolumeMount,
                "volume_mounts",
            ),
        ]
        .into_iter()
        .filter(|(set, needed, _)| *set && !requires.contains(needed))
        .map(|(_, _, field)| field)
        .collect()
    }
}

/// Binding Metadata: when the binding expires and when to renew it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BindingMetadata {
    /// When the binding becomes invalid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Timestamp>,
    /// When the binding should be renewed; MUST NOT be after `expires_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renew_before: Option<Timestamp>,
}

/// A Volume Mount object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeMount {
    /// The volume driver plugin.
    pub driver: String,
    /// Where the volume is mounted in the application container.
    pub container_dir: String,
    /// Read-only or read-write.
    pub mode: VolumeMode,
    /// The device type (only `shared` exists).
    pub device_type: DeviceType,
    /// The device.
    pub device: SharedDevice,
}

/// `mode` of a volume mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VolumeMode {
    /// `r`: read-only.
    #[serde(rename = "r")]
    ReadOnly,
    /// `rw`: read-write.
    #[serde(rename = "rw")]
    ReadWrite,
}

/// `device_type` of a volume mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceType {
    /// `shared`: a distributed file system mountable on every application instance.
    Shared,
}

/// A Device object of a shared volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SharedDevice {
    /// The volume to mount.
    pub volume_id: String,
    /// Configuration for the driver.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mount_config: Option<Map<String, Value>>,
}

/// An Endpoint object: a host and its ports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkEndpoint {
    host: String,
    ports: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    protocol: Option<Protocol>,
}

impl NetworkEndpoint {
    /// `host` (a name or one IP address) with one port; `ports` is never empty.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Self {
            host: host.into(),
            ports: vec![port.to_string()],
            protocol: None,
        }
    }

    /// Adds a port.
    #[must_use]
    pub fn port(mut self, port: u16) -> Self {
        self.ports.push(port.to_string());
        self
    }

    /// Adds a range of ports, `first-last`.
    #[must_use]
    pub fn port_range(mut self, first: u16, last: u16) -> Self {
        let (first, last) = (first.min(last), first.max(last));
        self.ports.push(format!("{first}-{last}"));
        self
    }

    /// The protocol (`tcp` when not given).
    #[must_use]
    pub fn protocol(mut self, protocol: Protocol) -> Self {
        self.protocol = Some(protocol);
        self
    }
}

/// `protocol` of an endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    /// TCP (the default).
    Tcp,
    /// UDP.
    Udp,
    /// Both.
    All,
}

/// The answer to a bind request.
///
/// An asynchronous bind carries no credentials: [`Bound::accepted`] takes none,
/// as the specification requires («Binding», 202).
#[derive(Debug)]
pub struct Bound {
    pub(crate) completion: Completion<Binding>,
    /// The binding of `completion` already serialized, when the state layer serialized
    /// it to store it: the response sends these bytes instead of serializing again.
    pub(crate) body: Option<Box<serde_json::value::RawValue>>,
}

impl Bound {
    pub(crate) fn with(completion: Completion<Binding>) -> Self {
        Self {
            completion,
            body: None,
        }
    }

    /// `201 Created`: the binding was created by this request.
    pub fn created(binding: Binding) -> Self {
        Self::with(Completion::Done(binding))
    }

    /// `200 OK`: the binding already exists with identical parameters.
    pub fn already_exists(binding: Binding) -> Self {
        Self::with(Completion::Existing(binding))
    }

    accepted_methods!(Binding, "binding");

    /// The binding of a `200` or `201`.
    pub fn binding(&self) -> Option<&Binding> {
        self.completion.made()
    }
}

/// The answer to an unbind request.
#[derive(Debug)]
pub struct Unbound {
    pub(crate) completion: Completion<()>,
    pub(crate) vendor: VendorFields,
}

impl Unbound {
    /// `200 OK`: the binding was deleted by this request.
    pub fn completed() -> Self {
        Self::with(Completion::Done(()))
    }

    accepted_methods!((), "unbinding");

    deleted_answer_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// «Binding»: these fields need the matching `requires` permission.
    #[test]
    fn fields_needing_a_permission_are_named_unless_required() {
        use Requirement as R;
        let binding = Binding::new()
            .syslog_drain_url("syslog://logs.example.com")
            .route_service_url("https://route.example.com")
            .volume_mount(VolumeMount {
                driver: "d".into(),
                container_dir: "/c".into(),
                mode: VolumeMode::ReadOnly,
                device_type: DeviceType::Shared,
                device: SharedDevice {
                    volume_id: "v".into(),
                    mount_config: None,
                },
            });
        assert_eq!(
            binding.unrequested(&[]),
            ["syslog_drain_url", "route_service_url", "volume_mounts"]
        );
        assert_eq!(
            binding.unrequested(&[R::RouteForwarding, R::VolumeMount]),
            ["syslog_drain_url"]
        );
        assert!(
            binding
                .unrequested(&[R::SyslogDrain, R::RouteForwarding, R::VolumeMount])
                .is_empty()
        );
        assert!(Binding::new().unrequested(&[]).is_empty());
    }

    /// «Volume Mount Object» and «Endpoint Object»: the JSON the spec defines.
    #[test]
    fn volume_mounts_and_endpoints_serialize_as_the_spec_says() {
        let mut config = Map::new();
        config.insert("uid".into(), json!("1000"));
        let binding = Binding::new()
            .volume_mount(VolumeMount {
                driver: "nfsv3driver".into(),
                container_dir: "/data".into(),
                mode: VolumeMode::ReadWrite,
                device_type: DeviceType::Shared,
                device: SharedDevice {
                    volume_id: "vol-1".into(),
                    mount_config: Some(config),
                },
            })
            .volume_mount(VolumeMount {
                driver: "smbdriver".into(),
                container_dir: "/ro".into(),
                mode: VolumeMode::ReadOnly,
                device_type: DeviceType::Shared,
                device: SharedDevice {
                    volume_id: "vol-2".into(),
                    mount_config: None,
                },
            })
            .endpoint(
                NetworkEndpoint::new("db.example.com", 5432)
                    .port_range(9010, 9000)
                    .protocol(Protocol::Udp),
            )
            .endpoint(NetworkEndpoint::new("10.0.0.1", 80));
        assert_eq!(
            serde_json::to_value(&binding).unwrap(),
            json!({
                "volume_mounts": [
                    {
                        "driver": "nfsv3driver", "container_dir": "/data", "mode": "rw",
                        "device_type": "shared",
                        "device": { "volume_id": "vol-1", "mount_config": { "uid": "1000" } },
                    },
                    {
                        "driver": "smbdriver", "container_dir": "/ro", "mode": "r",
                        "device_type": "shared", "device": { "volume_id": "vol-2" },
                    },
                ],
                "endpoints": [
                    { "host": "db.example.com", "ports": ["5432", "9000-9010"], "protocol": "udp" },
                    { "host": "10.0.0.1", "ports": ["80"] },
                ],
            })
        );
    }
}
