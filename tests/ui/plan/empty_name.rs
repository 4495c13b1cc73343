/// A small database.
#[osb::plan(id = "plan-small", name = "")]
pub struct Small;

fn main() {}
