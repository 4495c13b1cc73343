// An id that is not a string: one error, not a second one saying the id is missing.

/// A small database.
#[osb::plan(id = 5)]
pub struct Small;

fn main() {}
