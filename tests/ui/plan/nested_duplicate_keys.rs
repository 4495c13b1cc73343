// Keys repeated inside `maintenance_info(…)` and `metadata(…)`, and a repeated
// `maintenance_info`, are each reported at the repetition.
/// A plan.
#[osb::plan(
    id = "p-1",
    maintenance_info(version = "1.0.0", version = "2.0.0"),
    maintenance_info(version = "3.0.0"),
    metadata(display_name = "A", display_name = "B", cost(unit = "MONTHLY", usd = 1), cost(unit = "GB", usd = 2))
)]
pub struct Small;

fn main() {}
