// Two plans of one offering with the same name.
/// A database.
#[osb::service(id = "svc-db", plans(Small, Large))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

/// A large database.
#[osb::plan(id = "plan-large", name = "small")]
pub struct Large;

fn main() {}
