//! The reference broker's handlers: the contract of `cargo run --example reference`.
//!
//! The broker keeps no state of its own: the router's state store remembers
//! instances, bindings and operations, answers repeated and conflicting requests,
//! fetches and polls, and runs the `large` plan's work in the background. What is
//! left here is the real work, which for an in-memory database is little more than
//! waiting and making up credentials.

use std::future::Future;
use std::time::Duration;

use osb::dsl::PlanDef;
use osb::request::Interrupted;
use osb::response::Resumed;
use osb::schema::NoParams;
use osb::store::OperationKind;
use osb::{
    Bind, Binding, Bound, Deprovision, Deprovisioned, Error, Provision, Provisioned, Unbind,
    Unbound, Update, Updated,
};
use rand::Rng as _;
use rand::distr::Alphanumeric;
use serde::Serialize;

use super::catalog::{InmemoryDb, Large, Small};
use super::params::{LargeParams, SmallParams};

/// The reference broker: how long its asynchronous work takes, and nothing else.
pub struct Reference {
    delay: Duration,
}

impl Reference {
    /// A broker whose asynchronous operations take `delay`.
    pub fn new(delay: Duration) -> Self {
        Self { delay }
    }

    /// The work of an operation of the `large` plan: a pause.
    fn work(&self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let delay = self.delay;
        async move {
            tokio::time::sleep(delay).await;
            Ok(())
        }
    }

    fn credentials(instance_id: &str, binding_id: &str) -> Binding {
        Binding::new().credentials(&Credentials {
            password: random_string(24),
            uri: format!("inmemory://{instance_id}/{binding_id}"),
            username: format!("user-{}", random_string(8).to_lowercase()),
        })
    }
}

/// What a binding gets. A typed struct rather than `json!`: serialized straight to
/// text, without building a map first (fields in the order `json!` gave them).
#[derive(Serialize)]
struct Credentials {
    password: String,
    uri: String,
    username: String,
}

fn random_string(len: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

#[osb::broker(services(InmemoryDb), stateful)]
impl Reference {
    #[provision(Small)]
    async fn provision_small(&self, request: Provision<SmallParams>) -> Result<Provisioned, Error> {
        // Fetching the instance reports the parameters with their defaults.
        Ok(Provisioned::created().parameters_in_force(&request.parameters))
    }

    #[provision(Large)]
    async fn provision_large(&self, request: Provision<LargeParams>) -> Result<Provisioned, Error> {
        Ok(Provisioned::in_background(self.work()).parameters_in_force(&request.parameters))
    }

    #[update(Small)]
    async fn update_small(&self, request: Update<SmallParams>) -> Result<Updated, Error> {
        Ok(match request.parameters {
            Some(parameters) => Updated::completed().parameters_in_force(&parameters),
            None => Updated::completed(),
        })
    }

    #[update(Large)]
    async fn update_large(&self, request: Update<LargeParams>) -> Result<Updated, Error> {
        let updated = Updated::in_background(self.work());
        Ok(match request.parameters {
            Some(parameters) => updated.parameters_in_force(&parameters),
            None => updated,
        })
    }

    #[deprovision(Small)]
    async fn deprovision_small(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }

    #[deprovision(Large)]
    async fn deprovision_large(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::in_background(self.work()))
    }

    #[bind(Small, Large)]
    async fn bind(&self, request: Bind<NoParams>) -> Result<Bound, Error> {
        let binding = Self::credentials(&request.instance_id, &request.binding_id);
        if request.plan_id != <Large as PlanDef>::ID {
            return Ok(Bound::created(binding));
        }
        let work = self.work();
        Ok(Bound::in_background(async move {
            work.await?;
            Ok(binding)
        }))
    }

    #[unbind(Small)]
    async fn unbind_small(&self, _request: Unbind) -> Result<Unbound, Error> {
        Ok(Unbound::completed())
    }

    #[unbind(Large)]
    async fn unbind_large(&self, _request: Unbind) -> Result<Unbound, Error> {
        Ok(Unbound::in_background(self.work()))
    }

    /// After a restart: the interrupted work was a pause, so it is done; a bind
    /// makes its credentials now.
    #[resume]
    async fn resume(&self, interrupted: Interrupted) -> Result<Resumed, Error> {
        Ok(match (interrupted.kind, &interrupted.binding_id) {
            (OperationKind::Bind, Some(binding_id)) => {
                Resumed::Bound(Self::credentials(&interrupted.instance_id, binding_id))
            }
            _ => Resumed::Completed,
        })
    }
}
