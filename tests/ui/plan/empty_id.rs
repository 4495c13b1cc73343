/// A small database.
#[osb::plan(id = "")]
pub struct Small;

fn main() {}
