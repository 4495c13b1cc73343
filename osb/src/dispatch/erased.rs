//! [`Broker`] behind a pointer, so one router serves brokers of different types.
//!
//! `Broker` returns `impl Future`, which keeps it free of boxing for the author but
//! makes it impossible to use as `dyn Broker`. This private twin boxes each future
//! once per request, which also keeps the route handlers non-generic: they are
//! compiled once in this crate instead of once per broker type in every user crate.

use std::future::Future;
use std::pin::Pin;

use crate::broker::Broker;
use crate::error::Error;
use crate::request::Interrupted;
use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
use crate::request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};
use crate::response::Resumed;
use crate::response::binding::{Binding, Bound, Unbound};
use crate::response::instance::{Deprovisioned, InstanceDetails, Provisioned, Updated};
use crate::response::operation::{BindingOperationReport, OperationReport};

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'a>>;

pub(crate) trait DynBroker: Send + Sync + 'static {
    fn provision(&self, request: Provision) -> BoxFuture<'_, Provisioned>;
    fn deprovision(&self, request: Deprovision) -> BoxFuture<'_, Deprovisioned>;
    fn update(&self, request: Update) -> BoxFuture<'_, Updated>;
    fn fetch_instance(&self, request: FetchInstance) -> BoxFuture<'_, InstanceDetails>;
    fn last_operation(&self, request: LastOperation) -> BoxFuture<'_, OperationReport>;
    fn bind(&self, request: Bind) -> BoxFuture<'_, Bound>;
    fn unbind(&self, request: Unbind) -> BoxFuture<'_, Unbound>;
    fn fetch_binding(&self, request: FetchBinding) -> BoxFuture<'_, Binding>;
    fn binding_last_operation(
        &self,
        request: BindingLastOperation,
    ) -> BoxFuture<'_, BindingOperationReport>;
    fn resume(&self, interrupted: Interrupted) -> BoxFuture<'_, Resumed>;
}

impl<B: Broker> DynBroker for B {
    fn provision(&self, request: Provision) -> BoxFuture<'_, Provisioned> {
        Box::pin(Broker::provision(self, request))
    }

    fn deprovision(&self, request: Deprovision) -> BoxFuture<'_, Deprovisioned> {
        Box::pin(Broker::deprovision(self, request))
    }

    fn update(&self, request: Update) -> BoxFuture<'_, Updated> {
        Box::pin(Broker::update(self, request))
    }

    fn fetch_instance(&self, request: FetchInstance) -> BoxFuture<'_, InstanceDetails> {
        Box::pin(Broker::fetch_instance(self, request))
    }

    fn last_operation(&self, request: LastOperation) -> BoxFuture<'_, OperationReport> {
        Box::pin(Broker::last_operation(self, request))
    }

    fn bind(&self, request: Bind) -> BoxFuture<'_, Bound> {
        Box::pin(Broker::bind(self, request))
    }

    fn unbind(&self, request: Unbind) -> BoxFuture<'_, Unbound> {
        Box::pin(Broker::unbind(self, request))
    }

    fn fetch_binding(&self, request: FetchBinding) -> BoxFuture<'_, Binding> {
        Box::pin(Broker::fetch_binding(self, request))
    }

    fn binding_last_operation(
        &self,
        request: BindingLastOperation,
    ) -> BoxFuture<'_, BindingOperationReport> {
        Box::pin(Broker::binding_last_operation(self, request))
    }

    fn resume(&self, interrupted: Interrupted) -> BoxFuture<'_, Resumed> {
        Box::pin(Broker::resume(self, interrupted))
    }
}
