/// A small database.
#[osb::plan(id = "plan-small", maintenance_info(version = "1.0.0", desc = "First."))]
pub struct Small;

fn main() {}
