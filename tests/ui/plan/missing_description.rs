#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
