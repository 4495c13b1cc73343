// A helper attribute inside an impl block that is not `#[osb::broker]`.
use osb::{Error, Provision, Provisioned};

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

pub struct MyBroker;

impl MyBroker {
    #[osb::dsl::provision(Small)]
    pub async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }
}

fn main() {}
