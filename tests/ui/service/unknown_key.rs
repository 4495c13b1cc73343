/// A database.
#[osb::service(id = "svc-db", bindabel, plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
