// A handler taking raw parameters for a plan that declares a type.
use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};
use schemars::JsonSchema;
use serde::Deserialize;

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small", provision = SmallParams)]
pub struct Small;

/// Parameters of a small database.
#[derive(Deserialize, JsonSchema)]
pub struct SmallParams {
    /// Memory size in MiB.
    pub size_mb: u32,
}

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
}

fn main() {}
