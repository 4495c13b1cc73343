// A plan with a mistake still implements the traits a service and a broker need, so
// the only error is the plan's own.
use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};
use schemars::JsonSchema;
use serde::Deserialize;

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small", provision = SmallParams, fre)]
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
    async fn provision(&self, _request: Provision<SmallParams>) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

fn main() {
    let _router = osb::router(MyBroker, osb::auth::BasicAuth::new("admin", "admin"));
}
