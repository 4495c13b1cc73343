/// A small database.
#[osb::plan(id = "plan-small", fre)]
pub struct Small;

fn main() {}
