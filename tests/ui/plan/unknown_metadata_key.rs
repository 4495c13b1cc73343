/// A small database.
#[osb::plan(id = "plan-small", metadata(displayname = "Small"))]
pub struct Small;

fn main() {}
