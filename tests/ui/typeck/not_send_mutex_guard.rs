// A handler whose future holds a `std::sync::MutexGuard` across an `.await`.
use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

pub struct MyBroker;

static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[osb::broker(services(Db))]
impl MyBroker {
    #[provision(Small)]
    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        let guard = LOCK.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        tokio::task::yield_now().await;
        drop(guard);
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

fn main() {}
