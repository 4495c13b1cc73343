//! A plan as the request checks need it.

use crate::catalog::{AsyncOperations, MaintenanceInfo, Requirement};
use crate::error::Error;
use crate::metrics::PlanLabels;
use crate::store::record::FingerprintPrefix;
use crate::text::quoted;

use super::params::ParameterSchema;

/// A broker of the router, by its position in the order it was added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BrokerRef(pub(crate) usize);

/// A plan of the compiled catalog, by its position in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PlanRef(usize);

impl PlanRef {
    pub(crate) fn at(index: usize) -> Self {
        Self(index)
    }

    pub(crate) fn index(self) -> usize {
        self.0
    }
}

/// A plan of the compiled catalog.
pub(crate) struct PlanEntry {
    /// The broker that serves it.
    pub(crate) broker: BrokerRef,
    pub(crate) service_id: String,
    pub(crate) id: String,
    /// Position among the plans of the broker's catalog: what the code
    /// `#[osb::broker]` generates dispatches on.
    pub(crate) position: usize,
    pub(crate) name: String,
    pub(crate) bindable: bool,
    pub(crate) plan_updateable: bool,
    pub(crate) binding_rotatable: bool,
    pub(crate) maintenance_version: Option<String>,
    pub(crate) async_only: AsyncOperations,
    pub(crate) requires_app: bool,
    /// The offering's `requires`, which the binding response fields must match.
    pub(crate) requires: Vec<Requirement>,
    pub(crate) provision_schema: Option<ParameterSchema>,
    pub(crate) update_schema: Option<ParameterSchema>,
    pub(crate) bind_schema: Option<ParameterSchema>,
    /// Seconds after which polling an operation counts as failed.
    pub(crate) maximum_polling_duration: Option<u64>,
    /// The service and plan ids that begin the fingerprint of every provision and
    /// bind on this plan, hashed once.
    pub(crate) fingerprint_prefix: FingerprintPrefix,
    /// The `service` and `plan` labels of its requests' metrics.
    pub(crate) labels: PlanLabels,
}

impl PlanEntry {
    /// 422 `MaintenanceInfoConflict` when the request names another maintenance
    /// version than the plan's («Provisioning», «Updating a Service Instance»).
    pub(crate) fn check_maintenance(
        &self,
        requested: Option<&MaintenanceInfo>,
    ) -> Result<(), Error> {
        let Some(requested) = requested else {
            return Ok(());
        };
        match &self.maintenance_version {
            Some(version) if *version == requested.version => Ok(()),
            Some(version) => Err(Error::maintenance_info_conflict().with_description(format!(
                "maintenance_info.version {} does not match version {} of plan {} in the catalog; fetch the catalog again",
                quoted(&requested.version),
                quoted(version),
                quoted(&self.name)
            ))),
            None => Err(Error::maintenance_info_conflict().with_description(format!(
                "plan {} has no maintenance_info in the catalog, but the request asks for version {}",
                quoted(&self.name),
                quoted(&requested.version)
            ))),
        }
    }

    /// 422 `AsyncRequired` when the plan performs `operation` only asynchronously and
    /// the platform did not send `accepts_incomplete=true`.
    pub(crate) fn check_async(
        &self,
        operation: AsyncOperations,
        accepts_incomplete: bool,
    ) -> Result<(), Error> {
        if !accepts_incomplete && self.async_only.contains(operation) {
            return Err(Error::async_required().with_description(format!(
                "plan {} performs this operation only asynchronously: send accepts_incomplete=true",
                quoted(&self.name)
            )));
        }
        Ok(())
    }
}
