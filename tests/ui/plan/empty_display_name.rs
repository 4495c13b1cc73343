// Profile display fields MUST be non-empty when given.
/// A plan.
#[osb::plan(id = "p-1", metadata(display_name = ""))]
pub struct Small;

fn main() {}
