/// A small database.
#[osb::plan(free)]
pub struct Small;

fn main() {}
