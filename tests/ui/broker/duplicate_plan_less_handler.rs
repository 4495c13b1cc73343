// Two `#[last_operation]` handlers.
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

    #[last_operation]
    async fn last_operation(
        &self,
        _request: osb::LastOperation,
    ) -> Result<osb::OperationReport, Error> {
        Err(Error::not_supported())
    }

    #[last_operation]
    async fn last_operation_again(
        &self,
        _request: osb::LastOperation,
    ) -> Result<osb::OperationReport, Error> {
        Err(Error::not_supported())
    }
}

fn main() {}
