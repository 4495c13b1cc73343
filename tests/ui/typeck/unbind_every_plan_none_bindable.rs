// An `#[unbind]` handler of every plan, and a binding poll handler, in a broker with no bindable plan.
#![allow(unused_imports)]
use osb::{Bind, Bound, Deprovision, Deprovisioned, Error, Provision, Provisioned, Unbind, Unbound};

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

pub struct MyBroker;

#[osb::broker(services(Db))]
impl MyBroker {
    #[provision(Small)]
    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
    #[unbind]
    async fn unbind(&self, _request: Unbind) -> Result<Unbound, Error> {
        Ok(Unbound::completed())
    }

    #[binding_last_operation]
    async fn poll(&self, _request: osb::BindingLastOperation) -> Result<osb::BindingOperationReport, Error> {
        Ok(osb::BindingOperationReport::succeeded())
    }
}

fn main() {}
