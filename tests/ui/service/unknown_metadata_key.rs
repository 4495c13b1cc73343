/// A database.
#[osb::service(id = "svc-db", metadata(display = "Database"), plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
