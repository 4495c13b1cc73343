//! The dependency under another name: every macro takes `crate = "…"`.

extern crate osb as my_osb;

use my_osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

/// A database.
#[my_osb::service(id = "svc-db", plans(Small), crate = "my_osb")]
pub struct Db;

/// A small database.
#[my_osb::plan(id = "plan-small", crate = "my_osb")]
pub struct Small;

pub struct MyBroker;

#[my_osb::broker(services(Db), crate = "my_osb")]
impl MyBroker {
    #[provision(Small)]
    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[my_osb::dsl::deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

fn main() {
    let _router = my_osb::router(MyBroker, my_osb::auth::BasicAuth::new("admin", "admin"));
}
