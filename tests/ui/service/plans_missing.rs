/// A database.
#[osb::service(id = "svc-db")]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
