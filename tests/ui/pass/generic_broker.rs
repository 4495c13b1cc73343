//! A generic broker whose handlers use a type parameter bounded in a `where` clause.

use std::sync::Mutex;

use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

/// Where the broker keeps its instances.
pub trait Store {
    fn put(&self, instance_id: &str);
}

/// Keeps instance ids in memory.
#[derive(Default)]
pub struct Memory(Mutex<Vec<String>>);

impl Store for Memory {
    fn put(&self, instance_id: &str) {
        self.0.lock().unwrap().push(instance_id.to_owned());
    }
}

pub struct MyBroker<S> {
    store: S,
}

#[osb::broker(services(Db))]
impl<S> MyBroker<S>
where
    S: Store + Send + Sync + 'static,
{
    #[provision(Small)]
    async fn provision(&self, request: Provision) -> Result<Provisioned, Error> {
        self.store.put(&request.instance_id);
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

fn main() {
    let broker = MyBroker {
        store: Memory::default(),
    };
    let _router = osb::router(broker, osb::auth::BasicAuth::new("admin", "admin"));
}
