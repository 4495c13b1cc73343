/// A database.
#[osb::service(id = "svc-db", requires(syslog_drain, log_drain), plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
