/// A small database.
#[osb::plan(id = "plan-small", asynchronous(provision, fetch))]
pub struct Small;

fn main() {}
