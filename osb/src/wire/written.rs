//! How the router writes what a handler returned: each answer type serializes
//! through its wire body, borrowing what it holds, so the two can never disagree.

use std::borrow::Cow;

use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use super::{BindingBody, InstanceDetailsBody, LastOperationBody};
use crate::response::binding::Binding;
use crate::response::instance::InstanceDetails;
use crate::response::json::Json;
use crate::response::operation::{BindingOperationReport, OperationReport};

/// Raw JSON a handler returned, borrowed; a value that could not be serialized is
/// the error.
fn borrowed(value: &Option<Json>) -> Result<Option<Cow<'_, RawValue>>, String> {
    match value {
        None => Ok(None),
        Some(Json::Raw(raw)) => Ok(Some(Cow::Borrowed(&**raw))),
        Some(Json::Invalid(err)) => Err(err.clone()),
    }
}

/// The wire form of `binding`, borrowing it; `parameters` only when fetched.
fn binding_body(binding: &Binding, fetched: bool) -> Result<BindingBody<'_>, String> {
    Ok(BindingBody {
        metadata: binding.metadata.as_ref().map(Cow::Borrowed),
        credentials: borrowed(&binding.credentials)?,
        syslog_drain_url: binding.syslog_drain_url.as_deref().map(Cow::Borrowed),
        route_service_url: binding.route_service_url.as_deref().map(Cow::Borrowed),
        volume_mounts: Cow::Borrowed(&binding.volume_mounts),
        endpoints: Cow::Borrowed(&binding.endpoints),
        parameters: if fetched {
            borrowed(&binding.parameters)?
        } else {
            None
        },
        vendor: Cow::Borrowed(&binding.vendor),
    })
}

impl Serialize for Binding {
    /// As [`BindingBody`], without `parameters` (a bind's answer, and what a store keeps).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        binding_body(self, false)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

/// The wire form of a fetched binding: the binding plus its parameters.
pub(crate) struct FetchedBinding<'a>(pub(crate) &'a Binding);

impl Serialize for FetchedBinding<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        binding_body(self.0, true)
            .map_err(serde::ser::Error::custom)?
            .serialize(serializer)
    }
}

impl Serialize for InstanceDetails {
    /// As [`InstanceDetailsBody`].
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        InstanceDetailsBody {
            service_id: self.service_id.as_deref().map(Cow::Borrowed),
            plan_id: self.plan_id.as_deref().map(Cow::Borrowed),
            dashboard_url: self.dashboard_url.as_deref().map(Cow::Borrowed),
            parameters: borrowed(&self.parameters).map_err(serde::ser::Error::custom)?,
            maintenance_info: self.maintenance_info.as_ref().map(Cow::Borrowed),
            metadata: self.metadata.as_ref().map(Cow::Borrowed),
            vendor: Cow::Borrowed(&self.vendor),
        }
        .serialize(serializer)
    }
}

impl Serialize for OperationReport {
    /// As [`LastOperationBody`].
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        LastOperationBody {
            state: self.state,
            description: self.description.as_deref().map(Cow::Borrowed),
            instance_usable: self.instance_usable,
            update_repeatable: self.update_repeatable,
            vendor: Cow::Borrowed(&self.vendor),
        }
        .serialize(serializer)
    }
}

impl Serialize for BindingOperationReport {
    /// As [`LastOperationBody`], without the fields only an instance's poll has.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        LastOperationBody {
            state: self.state,
            description: self.description.as_deref().map(Cow::Borrowed),
            instance_usable: None,
            update_repeatable: None,
            vendor: Cow::Borrowed(&self.vendor),
        }
        .serialize(serializer)
    }
}
