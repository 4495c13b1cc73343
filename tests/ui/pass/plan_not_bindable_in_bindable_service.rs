//! A `bindable = false` plan in a bindable offering needs no bind handlers, while its
//! bindable sibling has them.

use osb::{
    Bind, Binding, Bound, Deprovision, Deprovisioned, Error, Provision, Provisioned, Unbind,
    Unbound,
};

/// A database.
#[osb::service(id = "svc-db", bindable, plans(Small, Large))]
pub struct Db;

/// A small database, not bindable.
#[osb::plan(id = "plan-small", bindable = false)]
pub struct Small;

/// A large database, bindable like its offering.
#[osb::plan(id = "plan-large")]
pub struct Large;

pub struct MyBroker;

#[osb::broker(services(Db))]
impl MyBroker {
    #[provision(Small, Large)]
    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }

    #[bind(Large)]
    async fn bind(&self, _request: Bind) -> Result<Bound, Error> {
        Ok(Bound::created(Binding::new()))
    }

    #[unbind(Large)]
    async fn unbind(&self, _request: Unbind) -> Result<Unbound, Error> {
        Ok(Unbound::completed())
    }
}

fn main() {
    let _router = osb::router(MyBroker, osb::auth::BasicAuth::new("admin", "admin"));
}
