// `asynchronous(bind)` and `binding_rotatable` on a plan of an offering that is not bindable.
#![allow(unused_imports)]
use osb::{Bind, Bound, Deprovision, Deprovisioned, Error, Provision, Provisioned, Unbind, Unbound};

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small", asynchronous(provision, bind), binding_rotatable)]
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

    #[last_operation]
    async fn poll(&self, _request: osb::LastOperation) -> Result<osb::OperationReport, Error> {
        Ok(osb::OperationReport::succeeded())
    }
}

fn main() {}
