//! A bindable offering whose only plan says `bindable = false` compiles without any
//! bind or unbind handler.

use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

/// A database.
#[osb::service(id = "svc-db", bindable, plans(Small))]
pub struct Db;

/// A small database, not bindable.
#[osb::plan(id = "plan-small", bindable = false)]
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
}

fn main() {
    let _router = osb::router(MyBroker, osb::auth::BasicAuth::new("admin", "admin"));
}
