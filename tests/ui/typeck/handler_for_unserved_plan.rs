// A handler names a plan of an offering the broker does not serve.
use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A cache, not served by the broker.
#[osb::service(id = "svc-cache", plans(Tiny))]
pub struct Cache;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

/// A tiny cache.
#[osb::plan(id = "plan-tiny")]
pub struct Tiny;

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

    #[provision(Tiny)]
    async fn provision_tiny(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }
}

fn main() {}
