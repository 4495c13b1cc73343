// A key repeated inside `metadata(…)` is reported at its second use.
/// A database.
#[osb::service(id = "svc-db", metadata(display_name = "A", display_name = "B"), plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
