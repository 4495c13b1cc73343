//! The interface itself.

use std::future::Future;

use serde_json::value::RawValue;

use crate::compiled::{BrokerRef, CompiledCatalog, PlanRef};
use crate::error::Error;
use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
use crate::request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};
use crate::response::binding::{Binding, Bound, Unbound};
use crate::response::instance::{Deprovisioned, InstanceDetails, Provisioned, Updated};
use crate::response::operation::{BindingOperationReport, OperationReport};

/// What answers the operations of a router, once the handler checked the request
/// against the catalog.
///
/// Plans come resolved ([`PlanRef`]); `owner` is the broker the request's hints name,
/// `None` when they name none.
pub(crate) trait Dispatch: Send + Sync + 'static {
    /// The catalog the requests are checked against.
    fn catalog(&self) -> &CompiledCatalog;

    /// Called at the start of every request.
    fn on_request(&self) {}

    /// Whether requests can be served: the readiness route's answer. Brokers without
    /// a store are ready once they serve.
    fn ready(&self) -> impl Future<Output = Result<(), Error>> + Send + '_ {
        std::future::ready(Ok(()))
    }

    /// Provision on `plan`.
    fn provision(
        &self,
        plan: PlanRef,
        request: Provision,
    ) -> impl Future<Output = Result<Provisioned, Error>> + Send + '_;

    /// Update an instance of an offering of `owner`; `named` is the plan the request
    /// names as its new plan.
    fn update(
        &self,
        owner: BrokerRef,
        named: Option<PlanRef>,
        request: Update,
    ) -> impl Future<Output = Result<Updated, Error>> + Send + '_;

    /// Deprovision an instance the request says is of `plan`.
    fn deprovision(
        &self,
        plan: PlanRef,
        request: Deprovision,
    ) -> impl Future<Output = Result<Deprovisioned, Error>> + Send + '_;

    /// Fetch an instance.
    fn fetch_instance(
        &self,
        owner: Option<BrokerRef>,
        request: FetchInstance,
    ) -> impl Future<Output = Result<InstanceDetails, Error>> + Send + '_;

    /// Poll an instance's operation.
    fn last_operation(
        &self,
        owner: Option<BrokerRef>,
        request: LastOperation,
    ) -> impl Future<Output = Result<OperationReport, Error>> + Send + '_;

    /// Bind on `plan`; `sent_resource` is `bind_resource` as the platform sent it.
    fn bind(
        &self,
        plan: PlanRef,
        request: Bind,
        sent_resource: Option<Box<RawValue>>,
    ) -> impl Future<Output = Result<Bound, Error>> + Send + '_;

    /// Unbind a binding the request says is of `plan`.
    fn unbind(
        &self,
        plan: PlanRef,
        request: Unbind,
    ) -> impl Future<Output = Result<Unbound, Error>> + Send + '_;

    /// Fetch a binding.
    fn fetch_binding(
        &self,
        owner: Option<BrokerRef>,
        request: FetchBinding,
    ) -> impl Future<Output = Result<Binding, Error>> + Send + '_;

    /// Poll a binding's operation.
    fn binding_last_operation(
        &self,
        owner: Option<BrokerRef>,
        request: BindingLastOperation,
    ) -> impl Future<Output = Result<BindingOperationReport, Error>> + Send + '_;
}
