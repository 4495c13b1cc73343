/// A database.
#[osb::service(
    id = "svc-db",
    dashboard_client(id = "client", secret = "s3cr3t", redirect_url = "https://example.com"),
    plans(Small)
)]
pub struct Db;

/// A small database.
#[osb::plan(id = "plan-small")]
pub struct Small;

fn main() {}
