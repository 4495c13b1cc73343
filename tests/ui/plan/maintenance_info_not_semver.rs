/// A small database.
#[osb::plan(id = "plan-small", maintenance_info(version = "1.0"))]
pub struct Small;

fn main() {}
