//! The lifecycle as a router's back end: each write runs to its end even if the
//! client hangs up ([`detached`]), reads are answered from the store.

use std::future::Future;
use std::sync::Arc;

use serde_json::value::RawValue;

use crate::compiled::{BrokerRef, CompiledCatalog, PlanRef};
use crate::dispatch::Dispatch;
use crate::error::Error;
use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
use crate::request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};
use crate::response::binding::{Binding, Bound, Unbound};
use crate::response::instance::{Deprovisioned, InstanceDetails, Provisioned, Updated};
use crate::response::operation::{BindingOperationReport, OperationReport};

use super::detach::detached;
use super::shared::Lifecycle;
use super::takeover::start_sweeper;
use super::{bindings, deletes, instances, reads};

impl Dispatch for Arc<Lifecycle> {
    fn catalog(&self) -> &CompiledCatalog {
        Lifecycle::catalog(self)
    }

    fn on_request(&self) {
        // Interrupted work is looked for from the first request when the router was
        // built outside a runtime.
        start_sweeper(self);
    }

    async fn ready(&self) -> Result<(), Error> {
        Ok(self.store.ping().await?)
    }

    fn provision(
        &self,
        plan: PlanRef,
        request: Provision,
    ) -> impl Future<Output = Result<Provisioned, Error>> + Send + '_ {
        detached(instances::provision(self.clone(), plan, request))
    }

    fn update(
        &self,
        _owner: BrokerRef,
        named: Option<PlanRef>,
        request: Update,
    ) -> impl Future<Output = Result<Updated, Error>> + Send + '_ {
        // The store knows the plan in force, also when the request names none.
        detached(instances::update(self.clone(), named, request))
    }

    fn deprovision(
        &self,
        plan: PlanRef,
        request: Deprovision,
    ) -> impl Future<Output = Result<Deprovisioned, Error>> + Send + '_ {
        detached(deletes::delete(self.clone(), plan, request))
    }

    fn fetch_instance(
        &self,
        owner: Option<BrokerRef>,
        request: FetchInstance,
    ) -> impl Future<Output = Result<InstanceDetails, Error>> + Send + '_ {
        reads::fetch_instance(self, owner, request)
    }

    fn last_operation(
        &self,
        _owner: Option<BrokerRef>,
        request: LastOperation,
    ) -> impl Future<Output = Result<OperationReport, Error>> + Send + '_ {
        reads::last_operation(self, request)
    }

    fn bind(
        &self,
        plan: PlanRef,
        request: Bind,
        sent_resource: Option<Box<RawValue>>,
    ) -> impl Future<Output = Result<Bound, Error>> + Send + '_ {
        detached(bindings::bind(self.clone(), plan, request, sent_resource))
    }

    fn unbind(
        &self,
        plan: PlanRef,
        request: Unbind,
    ) -> impl Future<Output = Result<Unbound, Error>> + Send + '_ {
        detached(deletes::delete(self.clone(), plan, request))
    }

    fn fetch_binding(
        &self,
        owner: Option<BrokerRef>,
        request: FetchBinding,
    ) -> impl Future<Output = Result<Binding, Error>> + Send + '_ {
        reads::fetch_binding(self, owner, request)
    }

    fn binding_last_operation(
        &self,
        _owner: Option<BrokerRef>,
        request: BindingLastOperation,
    ) -> impl Future<Output = Result<BindingOperationReport, Error>> + Send + '_ {
        reads::binding_last_operation(self, request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn future_size3<A, B, C, F: Future>(_: impl FnOnce(A, B, C) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    fn future_size4<A, B, C, D, F: Future>(_: impl FnOnce(A, B, C, D) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// Every write request boxes its future once (`detached`). glibc serves blocks of
    /// up to 1,032 bytes from its per-thread cache; a larger one goes through its
    /// general allocator on every request (the bind's was 1,040 bytes before its
    /// `bind_resource` moved into the boxed request: a share of a bind's CPU time).
    /// Held to it: the writes that create a resource, one per instance and binding.
    /// Updates and deletes, rarer and with more to carry, are larger (printed).
    #[test]
    fn write_futures_fit_the_allocator_cache() {
        let creates = [
            ("provision", future_size3(instances::provision)),
            ("bind", future_size4(bindings::bind)),
        ];
        let others = [
            ("update", future_size3(instances::update)),
            ("deprovision", future_size3(deletes::delete::<Deprovision>)),
            ("unbind", future_size3(deletes::delete::<Unbind>)),
        ];
        for (route, size) in creates.iter().chain(&others) {
            println!("{route}: {size} bytes");
        }
        for (route, size) in creates {
            assert!(size <= 1032, "the {route} write future is {size} bytes");
        }
    }
}
