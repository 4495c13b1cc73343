//! The brokers themselves, without a store.

use std::future::Future;

use serde_json::value::RawValue;

use crate::compiled::{BrokerRef, CompiledCatalog, PlanRef};
use crate::error::{Error, ErrorKind};
use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
use crate::request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};
use crate::response::binding::{Binding, Bound, Unbound};
use crate::response::instance::{Deprovisioned, InstanceDetails, Provisioned, Updated};
use crate::response::operation::{BindingOperationReport, OperationReport};

use super::backend::Dispatch;
use super::erased::{BoxFuture, DynBroker};

/// A router's brokers and their merged catalog: each request goes to the broker that
/// owns its plan, offering or resource.
pub(crate) struct Direct {
    brokers: Vec<Box<dyn DynBroker>>,
    catalog: CompiledCatalog,
}

impl Direct {
    /// `brokers[i]` owns what `catalog` says broker `i` owns.
    pub(crate) fn new(brokers: Vec<Box<dyn DynBroker>>, catalog: CompiledCatalog) -> Self {
        Self { brokers, catalog }
    }

    /// The catalog.
    pub(crate) fn catalog(&self) -> &CompiledCatalog {
        &self.catalog
    }

    /// The broker `broker`.
    pub(crate) fn broker(&self, broker: BrokerRef) -> &dyn DynBroker {
        // References come from the catalog, built from the same list of brokers.
        &*self.brokers[broker.0]
    }

    /// The broker that serves `plan`.
    pub(crate) fn broker_of(&self, plan: PlanRef) -> &dyn DynBroker {
        self.broker(self.catalog.plan(plan).broker)
    }

    /// Asks the broker that owns a resource known only by optional hints; without an
    /// owner, asks each broker in turn until one knows the resource.
    async fn ask<T>(
        &self,
        owner: Option<BrokerRef>,
        call: impl for<'a> Fn(&'a dyn DynBroker) -> BoxFuture<'a, T>,
    ) -> Result<T, Error> {
        if let Some(owner) = owner {
            return call(self.broker(owner)).await;
        }
        // When no broker knows the resource, answer with a "does not exist" from one of
        // them rather than another's "does not support fetching".
        let mut answer: Option<Error> = None;
        for broker in &self.brokers {
            match call(&**broker).await {
                Err(err)
                    if matches!(
                        err.kind(),
                        ErrorKind::InstanceNotFound | ErrorKind::BindingNotFound
                    ) =>
                {
                    if answer
                        .as_ref()
                        .is_none_or(|a| a.kind() == ErrorKind::NotSupported)
                    {
                        answer = Some(err);
                    }
                }
                Err(err) if err.kind() == ErrorKind::NotSupported => {
                    answer.get_or_insert(err);
                }
                other => return other,
            }
        }
        Err(answer.unwrap_or_else(|| Error::new(ErrorKind::NotSupported)))
    }
}

impl Dispatch for Direct {
    fn catalog(&self) -> &CompiledCatalog {
        &self.catalog
    }

    fn provision(
        &self,
        plan: PlanRef,
        request: Provision,
    ) -> impl Future<Output = Result<Provisioned, Error>> + Send + '_ {
        self.broker_of(plan).provision(request)
    }

    fn update(
        &self,
        owner: BrokerRef,
        _named: Option<PlanRef>,
        request: Update,
    ) -> impl Future<Output = Result<Updated, Error>> + Send + '_ {
        self.broker(owner).update(request)
    }

    fn deprovision(
        &self,
        plan: PlanRef,
        request: Deprovision,
    ) -> impl Future<Output = Result<Deprovisioned, Error>> + Send + '_ {
        self.broker_of(plan).deprovision(request)
    }

    fn fetch_instance(
        &self,
        owner: Option<BrokerRef>,
        request: FetchInstance,
    ) -> impl Future<Output = Result<InstanceDetails, Error>> + Send + '_ {
        self.ask(owner, move |broker| broker.fetch_instance(request.clone()))
    }

    fn last_operation(
        &self,
        owner: Option<BrokerRef>,
        request: LastOperation,
    ) -> impl Future<Output = Result<OperationReport, Error>> + Send + '_ {
        self.ask(owner, move |broker| broker.last_operation(request.clone()))
    }

    fn bind(
        &self,
        plan: PlanRef,
        request: Bind,
        _sent_resource: Option<Box<RawValue>>,
    ) -> impl Future<Output = Result<Bound, Error>> + Send + '_ {
        self.broker_of(plan).bind(request)
    }

    fn unbind(
        &self,
        plan: PlanRef,
        request: Unbind,
    ) -> impl Future<Output = Result<Unbound, Error>> + Send + '_ {
        self.broker_of(plan).unbind(request)
    }

    fn fetch_binding(
        &self,
        owner: Option<BrokerRef>,
        request: FetchBinding,
    ) -> impl Future<Output = Result<Binding, Error>> + Send + '_ {
        self.ask(owner, move |broker| broker.fetch_binding(request.clone()))
    }

    fn binding_last_operation(
        &self,
        owner: Option<BrokerRef>,
        request: BindingLastOperation,
    ) -> impl Future<Output = Result<BindingOperationReport, Error>> + Send + '_ {
        self.ask(owner, move |broker| {
            broker.binding_last_operation(request.clone())
        })
    }
}
