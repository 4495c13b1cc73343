/// A small database (the key wins over the doc comment).
#[osb::plan(id = "plan-small", description = "")]
pub struct Small;

fn main() {}
