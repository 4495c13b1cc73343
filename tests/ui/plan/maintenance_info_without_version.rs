/// A small database.
#[osb::plan(id = "plan-small", maintenance_info(description = "The first release."))]
pub struct Small;

fn main() {}
