// An id that is not a string: one error, not a second one saying the id is missing.

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

/// A database.
#[osb::service(id = 5, plans(Small))]
pub struct Db;

fn main() {}
