// `#[resume]` takes interrupted work of any plan: it takes no plan list.
use osb::request::Interrupted;
use osb::response::Resumed;
use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

pub struct MyBroker;

#[osb::broker(services(Db), stateful)]
impl MyBroker {
    #[provision(Small)]
    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }

    #[resume(Small)]
    async fn resume(&self, _interrupted: Interrupted) -> Result<Resumed, Error> {
        Ok(Resumed::Completed)
    }
}

fn main() {}
