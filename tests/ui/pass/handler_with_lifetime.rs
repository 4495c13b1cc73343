//! A handler with only a lifetime parameter is accepted: the caller infers it.

use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

pub struct MyBroker {
    prefix: String,
}

#[osb::broker(services(Db))]
impl MyBroker {
    #[provision(Small)]
    async fn provision<'a>(&'a self, request: Provision) -> Result<Provisioned, Error> {
        let prefix: &'a str = &self.prefix;
        Ok(Provisioned::created().dashboard_url(format!("{prefix}/{}", request.instance_id)))
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

fn main() {
    let broker = MyBroker {
        prefix: String::from("https://dash"),
    };
    let _router = osb::router(broker, osb::auth::BasicAuth::new("admin", "admin"));
}
