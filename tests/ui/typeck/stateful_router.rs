// A `stateful` broker served with `osb::router`, which takes no store.
#![allow(unused_imports)]
use osb::{Bind, Bound, Deprovision, Deprovisioned, Error, Provision, Provisioned, Unbind, Unbound};

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
}

fn main() {
    let _router = osb::router(MyBroker, osb::auth::BasicAuth::new("admin", "admin"));
}
