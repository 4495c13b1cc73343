//! The trait a broker implements, by hand or through `#[osb::broker]`.

use std::future::Future;

use crate::catalog::Catalog;
use crate::error::Error;
use crate::request::Interrupted;
use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
use crate::request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};
use crate::response::Resumed;
use crate::response::binding::{Binding, Bound, Unbound};
use crate::response::instance::{Deprovisioned, InstanceDetails, Provisioned, Updated};
use crate::response::operation::{BindingOperationReport, OperationReport};

/// A service broker: its catalog and the operations of the OSB API.
///
/// The runtime calls a method only after it has authenticated the caller, checked
/// `X-Broker-API-Version`, parsed the body and query, checked that the service and
/// plan exist and belong together, enforced `accepts_incomplete` for the plan's
/// [`async_only`](crate::catalog::Plan::async_only) operations, compared `maintenance_info`
/// with the plan's and validated `parameters` against the plan's schema.
///
/// [`catalog`](Broker::catalog), [`provision`](Broker::provision) and
/// [`deprovision`](Broker::deprovision) are required; the other operations have
/// defaults that answer as a broker without the feature must (documented on each).
///
/// The methods return `impl Future + Send`, so a plain `async fn` implements them and
/// no boxing is needed. A broker is shared between requests: keep mutable state
/// behind a lock or in a store, and never hold a lock across an `.await`.
///
/// ```
/// use osb::catalog::{Catalog, Plan, ServiceOffering};
/// use osb::{Broker, Deprovision, Deprovisioned, Error, Provision, Provisioned};
///
/// struct Echo;
///
/// impl Broker for Echo {
///     fn catalog(&self) -> Catalog {
///         Catalog::new([ServiceOffering::new("echo-id", "echo", "Says yes.")
///             .plan(Plan::new("echo-plan-id", "default", "The only plan."))])
///     }
///
///     async fn provision(&self, _req: Provision) -> Result<Provisioned, Error> {
///         Ok(Provisioned::created())
///     }
///
///     async fn deprovision(&self, _req: Deprovision) -> Result<Deprovisioned, Error> {
///         Ok(Deprovisioned::completed())
///     }
/// }
/// ```
pub trait Broker: Send + Sync + 'static {
    /// The catalog, read once when the router is built.
    fn catalog(&self) -> Catalog;

    /// Creates an instance: [`Provisioned::created`] (201), `already_exists` (200)
    /// or `accepted` (202).
    fn provision(
        &self,
        request: Provision,
    ) -> impl Future<Output = Result<Provisioned, Error>> + Send;

    /// Deletes an instance: [`Deprovisioned::completed`] (200) or `accepted` (202);
    /// [`Error::instance_not_found`] answers 410.
    fn deprovision(
        &self,
        request: Deprovision,
    ) -> impl Future<Output = Result<Deprovisioned, Error>> + Send;

    /// Updates an instance. Default: 422, updates are not supported.
    fn update(&self, request: Update) -> impl Future<Output = Result<Updated, Error>> + Send {
        let _ = request;
        async {
            Err(Error::not_supported().with_description(
                "This service broker does not support updating service instances.",
            ))
        }
    }

    /// Reads an instance. Default: 404 (platforms do not call it unless the offering
    /// declares `instances_retrievable`).
    fn fetch_instance(
        &self,
        request: FetchInstance,
    ) -> impl Future<Output = Result<InstanceDetails, Error>> + Send {
        let _ = request;
        async {
            Err(Error::not_supported().with_description(
                "This service broker does not support fetching service instances.",
            ))
        }
    }

    /// Reports the last operation on an instance. Default: 404 (a broker that never
    /// answers 202 is never polled).
    fn last_operation(
        &self,
        request: LastOperation,
    ) -> impl Future<Output = Result<OperationReport, Error>> + Send {
        let _ = request;
        async {
            Err(Error::not_supported()
                .with_description("This service broker has no asynchronous instance operations."))
        }
    }

    /// Creates a binding. Default: 422, binding is not supported.
    fn bind(&self, request: Bind) -> impl Future<Output = Result<Bound, Error>> + Send {
        let _ = request;
        async {
            Err(Error::not_supported()
                .with_description("This service broker does not support service bindings."))
        }
    }

    /// Deletes a binding: [`Unbound::completed`] (200) or `accepted` (202);
    /// [`Error::binding_not_found`] answers 410. Default: 410, nothing can be bound.
    fn unbind(&self, request: Unbind) -> impl Future<Output = Result<Unbound, Error>> + Send {
        let _ = request;
        async { Err(Error::binding_not_found()) }
    }

    /// Reads a binding. Default: 404.
    fn fetch_binding(
        &self,
        request: FetchBinding,
    ) -> impl Future<Output = Result<Binding, Error>> + Send {
        let _ = request;
        async {
            Err(Error::not_supported().with_description(
                "This service broker does not support fetching service bindings.",
            ))
        }
    }

    /// Reports the last operation on a binding. Default: 404.
    fn binding_last_operation(
        &self,
        request: BindingLastOperation,
    ) -> impl Future<Output = Result<BindingOperationReport, Error>> + Send {
        let _ = request;
        async {
            Err(Error::not_supported()
                .with_description("This service broker has no asynchronous binding operations."))
        }
    }

    /// Whether the broker relies on a state store ([`Builder::store`](crate::Builder::store))
    /// for its bookkeeping: then building a router without one is an error
    /// ([`BuildError::StoreRequired`](crate::BuildError::StoreRequired)) instead of a
    /// broker that forgets. `#[osb::broker(…, stateful)]` sets it. Default: `false`.
    const STATEFUL: bool = false;

    /// Finishes work that was interrupted: a [`Background`](crate::response::Background) task or
    /// a handler call that was running when the broker stopped (only with a state
    /// store, [`Builder::store`](crate::Builder::store)). The framework calls it once,
    /// on one replica, after the work's lease expired; its result is what
    /// `last_operation` reports. Make it idempotent: the interrupted work may have done
    /// part of its job, or all of it.
    ///
    /// Default: the operation fails with "interrupted by a restart", so it is never
    /// left in progress forever; a failed provision or bind may then be retried by
    /// the platform, a failed deprovision or unbind repeated.
    fn resume(
        &self,
        interrupted: Interrupted,
    ) -> impl Future<Output = Result<Resumed, Error>> + Send {
        let _ = interrupted;
        async {
            Err(Error::failed(
                "The operation was interrupted by a restart of the service broker; retry it.",
            ))
        }
    }
}
