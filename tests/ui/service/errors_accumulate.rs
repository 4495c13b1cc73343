// Every mistake of one `#[osb::service]` is reported: the empty id, the name that is
// not CLI-friendly, the unknown requirement, the unknown key and the missing description.
#[osb::service(id = "", name = "My DB", requires(network), tag("sql"), plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
