/// A small database.
#[osb::plan(id = "plan-small", metadata(cost(unit = "MONTHLY", usd = 9.99, eur::cents = 1)))]
pub struct Small;

fn main() {}
