// `asynchronous()` that lists no operation, and one that lists an operation twice.

/// A small database.
#[osb::plan(id = "plan-small", asynchronous())]
pub struct Small;

/// A large database.
#[osb::plan(id = "plan-large", asynchronous(provision, provision))]
pub struct Large;

fn main() {}
