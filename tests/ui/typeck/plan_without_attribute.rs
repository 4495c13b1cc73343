// `plans(…)` names a struct whose `#[osb::plan]` was forgotten.
/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database.
pub struct Small;

fn main() {}
