// The only `#[bind]` handler of a bindable plan is compiled out: the plan has no bind handler.
#![allow(unused_imports)]
use osb::{Bind, Bound, Deprovision, Deprovisioned, Error, Provision, Provisioned, Unbind, Unbound};

/// A database.
#[osb::service(id = "svc-db", bindable, plans(Small))]
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

    #[cfg(any())]
    #[bind(Small)]
    async fn bind(&self, _request: Bind) -> Result<Bound, Error> {
        Ok(Bound::created(osb::Binding::new()))
    }

    #[unbind]
    async fn unbind(&self, _request: Unbind) -> Result<Unbound, Error> {
        Ok(Unbound::completed())
    }

}

fn main() {}
