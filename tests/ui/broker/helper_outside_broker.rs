// A helper attribute on a free function: it only means something inside `#[osb::broker]`.
use osb::{Error, Provision, Provisioned};

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

#[osb::dsl::provision(Small)]
pub async fn provision(_request: Provision) -> Result<Provisioned, Error> {
    Ok(Provisioned::created())
}

fn main() {}
