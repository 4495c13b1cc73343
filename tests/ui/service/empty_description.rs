/// A database (the key wins over the doc comment).
#[osb::service(id = "svc-db", description = "", plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
