/// A small database.
#[osb::plan(id = "plan-small", maximum_polling_duration = 0)]
pub struct Small;

fn main() {}
