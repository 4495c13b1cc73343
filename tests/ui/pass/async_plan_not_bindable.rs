// `asynchronous` marks bind and unbind too; a plan that is not bindable needs no
// `#[binding_last_operation]` handler all the same.
use osb::{
    Deprovision, Deprovisioned, Error, LastOperation, OperationReport, Provision, Provisioned,
};

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database, provisioned asynchronously.
#[osb::plan(id = "plan-small", asynchronous)]
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
    async fn last_operation(&self, _request: LastOperation) -> Result<OperationReport, Error> {
        Err(Error::not_supported())
    }
}

fn main() {}
