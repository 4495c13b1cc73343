/// An offering whose type name has a letter a CLI name may not.
#[osb::service(id = "svc-cafe", plans(Small))]
pub struct Café;

/// A plan.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
