/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub enum Db {
    Postgres,
}

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
