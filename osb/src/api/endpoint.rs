//! The ten routes of the OSB API.

use std::fmt;

/// One of the ten endpoints of the OSB API.
///
/// The status code of an [`Error`](crate::Error) depends on the endpoint that
/// returns it (a missing instance is `410 Gone` on deprovision but `404 Not Found`
/// on fetch), so the runtime maps errors per endpoint with [`ErrorKind::status`](crate::ErrorKind::status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `GET /v2/catalog`
    Catalog,
    /// `PUT /v2/service_instances/:instance_id`
    Provision,
    /// `GET /v2/service_instances/:instance_id`
    FetchInstance,
    /// `PATCH /v2/service_instances/:instance_id`
    Update,
    /// `DELETE /v2/service_instances/:instance_id`
    Deprovision,
    /// `GET /v2/service_instances/:instance_id/last_operation`
    LastOperation,
    /// `PUT /v2/service_instances/:instance_id/service_bindings/:binding_id`
    Bind,
    /// `GET /v2/service_instances/:instance_id/service_bindings/:binding_id`
    FetchBinding,
    /// `DELETE /v2/service_instances/:instance_id/service_bindings/:binding_id`
    Unbind,
    /// `GET /v2/service_instances/:instance_id/service_bindings/:binding_id/last_operation`
    BindingLastOperation,
}

impl Endpoint {
    /// Every endpoint, in the order of the specification.
    pub const ALL: [Endpoint; 10] = [
        Endpoint::Catalog,
        Endpoint::Provision,
        Endpoint::FetchInstance,
        Endpoint::Update,
        Endpoint::Deprovision,
        Endpoint::LastOperation,
        Endpoint::Bind,
        Endpoint::FetchBinding,
        Endpoint::Unbind,
        Endpoint::BindingLastOperation,
    ];

    /// The HTTP method of the endpoint.
    pub const fn method(self) -> &'static str {
        match self {
            Endpoint::Catalog
            | Endpoint::FetchInstance
            | Endpoint::LastOperation
            | Endpoint::FetchBinding
            | Endpoint::BindingLastOperation => "GET",
            Endpoint::Provision | Endpoint::Bind => "PUT",
            Endpoint::Update => "PATCH",
            Endpoint::Deprovision | Endpoint::Unbind => "DELETE",
        }
    }

    /// The route template, as the specification writes it.
    pub const fn route(self) -> &'static str {
        match self {
            Endpoint::Catalog => "/v2/catalog",
            Endpoint::Provision
            | Endpoint::FetchInstance
            | Endpoint::Update
            | Endpoint::Deprovision => "/v2/service_instances/:instance_id",
            Endpoint::LastOperation => "/v2/service_instances/:instance_id/last_operation",
            Endpoint::Bind | Endpoint::FetchBinding | Endpoint::Unbind => {
                "/v2/service_instances/:instance_id/service_bindings/:binding_id"
            }
            Endpoint::BindingLastOperation => {
                "/v2/service_instances/:instance_id/service_bindings/:binding_id/last_operation"
            }
        }
    }

    /// A short name for logs (`provision`, `binding_last_operation`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Endpoint::Catalog => "catalog",
            Endpoint::Provision => "provision",
            Endpoint::FetchInstance => "fetch_instance",
            Endpoint::Update => "update",
            Endpoint::Deprovision => "deprovision",
            Endpoint::LastOperation => "last_operation",
            Endpoint::Bind => "bind",
            Endpoint::FetchBinding => "fetch_binding",
            Endpoint::Unbind => "unbind",
            Endpoint::BindingLastOperation => "binding_last_operation",
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method(), self.route())
    }
}
