/// A small database.
#[osb::plan(id = "plan-small", free, id = "plan-small-2")]
pub struct Small;

fn main() {}
