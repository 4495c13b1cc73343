// A description that is not a string, on a type without doc comment: one error, not
// a second one saying the description is missing.

#[osb::plan(id = "plan-small", description = 5)]
pub struct Small;

fn main() {}
