// Parameters are always a JSON object: these types would publish schemas that refuse
// every request.

/// A plan.
#[osb::plan(id = "plan-small", provision = String, update = Vec<u32>, bind = ())]
pub struct Small;

fn main() {}
