/// A small database.
#[osb::plan(id = "plan-small", name = "small plan")]
pub struct Small;

fn main() {}
