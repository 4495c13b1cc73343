// `#[osb::broker]` goes on the impl block of handlers, not on the broker type.
/// A database.
#[osb::service(id = "svc-db", plans(Small))]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

#[osb::broker(services(Db))]
pub struct MyBroker;

fn main() {}
