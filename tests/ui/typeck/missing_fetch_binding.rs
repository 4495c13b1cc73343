// `bindings_retrievable` without a `#[fetch_binding]` handler.
use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

/// A database.
#[osb::service(id = "svc-db", bindable, bindings_retrievable, plans(Small))]
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

    #[bind(Small)]
    async fn bind(&self, _request: osb::Bind) -> Result<osb::Bound, Error> {
        Ok(osb::Bound::created(osb::Binding::new()))
    }

    #[unbind]
    async fn unbind(&self, _request: osb::Unbind) -> Result<osb::Unbound, Error> {
        Ok(osb::Unbound::completed())
    }
}

fn main() {}
