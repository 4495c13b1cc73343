// `plans(…)` names a type that is not an `#[osb::plan]`.
/// A database.
#[osb::service(id = "svc-db", plans(Small, String))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
