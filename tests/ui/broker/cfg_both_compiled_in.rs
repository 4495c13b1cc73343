// Two `#[cfg]`-chosen provision handlers of one plan whose predicates both hold.
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
    #[cfg(all())]
    #[provision(Small)]
    async fn provision_a(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[cfg(not(any()))]
    #[provision(Small)]
    async fn provision_b(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

fn main() {}
