// A cost amount that is not a number: one error, not a second one saying the cost has no amount.

/// A small database.
#[osb::plan(id = "plan-small", metadata(cost(unit = "MONTHLY", usd = "9.99")))]
pub struct Small;

fn main() {}
