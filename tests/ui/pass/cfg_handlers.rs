// `#[cfg]` on handlers: a fake and a real provision chosen by `cfg(test)`, a bind handler compiled in, a fetch handler compiled out.
#![allow(unused_imports)]
use osb::{Bind, Bound, Deprovision, Deprovisioned, Error, Provision, Provisioned, Unbind, Unbound};

/// A database.
#[osb::service(id = "svc-db", bindable, plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

pub struct MyBroker;

#[osb::broker(services(Db))]
impl MyBroker {
    #[cfg(test)]
    #[provision(Small)]
    async fn fake_provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[cfg(not(test))]
    #[provision(Small)]
    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }

    #[cfg(all())]
    #[bind(Small)]
    async fn bind(&self, _request: Bind) -> Result<Bound, Error> {
        Ok(Bound::created(osb::Binding::new()))
    }

    #[unbind]
    async fn unbind(&self, _request: Unbind) -> Result<Unbound, Error> {
        Ok(Unbound::completed())
    }

    #[cfg(any())]
    #[fetch_instance]
    async fn fetch_instance(&self, _request: osb::FetchInstance) -> Result<osb::InstanceDetails, Error> {
        Ok(osb::InstanceDetails::new("svc-db", "plan-small"))
    }
}

fn main() {
    let _router = osb::router(MyBroker, osb::auth::BasicAuth::new("admin", "admin"));
}
