// A `stateful` broker: the state store answers fetch and last-operation requests,
// so an offering with retrievable instances and bindings and an asynchronous plan
// needs no handler for them; `#[resume]` takes interrupted work.
use osb::request::Interrupted;
use osb::response::Resumed;
use osb::{
    Bind, Binding, Bound, Deprovision, Deprovisioned, Error, Provision, Provisioned, Unbind,
    Unbound,
};

/// A database.
#[osb::service(
    id = "svc-db",
    bindable,
    instances_retrievable,
    bindings_retrievable,
    plans(Small, Large)
)]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

/// A large database, made in the background.
#[osb::plan(id = "plan-large", asynchronous)]
pub struct Large;

pub struct MyBroker;

#[osb::broker(services(Db), stateful)]
impl MyBroker {
    #[provision(Small, Large)]
    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::in_background(async { Ok(()) }))
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }

    #[bind(Small, Large)]
    async fn bind(&self, _request: Bind) -> Result<Bound, Error> {
        Ok(Bound::created(Binding::new()))
    }

    #[unbind]
    async fn unbind(&self, _request: Unbind) -> Result<Unbound, Error> {
        Ok(Unbound::completed())
    }

    #[resume]
    async fn resume(&self, _interrupted: Interrupted) -> Result<Resumed, Error> {
        Ok(Resumed::Completed)
    }
}

fn main() {
    assert!(<MyBroker as osb::Broker>::STATEFUL);
    // Without a store, building the router says what is missing.
    let err = osb::Builder::new()
        .broker(MyBroker)
        .auth(osb::auth::Auth::none())
        .build()
        .err()
        .unwrap();
    assert!(matches!(err, osb::BuildError::StoreRequired(_)));
}
