// Repeated keys inside `dashboard_client(…)`, a repeated `dashboard_client`, and a
// permission listed twice in `requires(…)`.
/// A database.
#[osb::service(
    id = "svc-db",
    requires(syslog_drain, syslog_drain),
    dashboard_client(id = "a", id = "b", secret = "s"),
    dashboard_client(id = "c", secret = "s"),
    plans(Small)
)]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
