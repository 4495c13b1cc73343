// A parameter type deriving `JsonSchema` from schemars 0.8 (the crate is under another
// name here only because this workspace also has schemars 1, hence `crate = …`).
use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

#[derive(serde::Deserialize, schemars08::JsonSchema)]
#[schemars(crate = "schemars08")]
pub struct SmallParams {
    pub size: u32,
}

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small", provision = SmallParams)]
pub struct Small;

pub struct MyBroker;

#[osb::broker(services(Db))]
impl MyBroker {
    #[provision(Small)]
    async fn provision(&self, _request: Provision<SmallParams>) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

fn main() {}
