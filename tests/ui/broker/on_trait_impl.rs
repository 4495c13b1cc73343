// `#[osb::broker]` implements `osb::Broker` itself: it goes on an inherent impl.
use osb::catalog::Catalog;
use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

pub struct MyBroker;

#[osb::broker(services(Db))]
impl osb::Broker for MyBroker {
    fn catalog(&self) -> Catalog {
        Catalog::new([])
    }

    #[provision(Small)]
    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

fn main() {}
