// Two plans of one offering whose names differ only in case.

/// A database.
#[osb::service(id = "svc-db", plans(Small, Other))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

/// Another small database.
#[osb::plan(id = "plan-other", name = "SMALL")]
pub struct Other;

fn main() {}
