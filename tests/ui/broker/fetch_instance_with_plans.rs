// `#[fetch_instance]` answers for every plan: it takes no plan list.
use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

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

    #[fetch_instance(Small)]
    async fn fetch_instance(
        &self,
        _request: osb::FetchInstance,
    ) -> Result<osb::InstanceDetails, Error> {
        Err(Error::not_supported())
    }
}

fn main() {}
