//! Two independent brokers, each with its own offerings, served by one router that
//! is nested in an existing axum application next to the application's own routes
//! (openbrokerapi's `serve_multiple`, plus `get_blueprint`).
//!
//! ```text
//! cargo run --example multi          # 127.0.0.1:8080 (OSB_LISTEN overrides)
//! curl http://127.0.0.1:8080/health
//! curl -u admin:admin -H 'X-Broker-API-Version: 2.17' http://127.0.0.1:8080/osb/v2/catalog
//! ```
//!
//! The catalogs are merged (a duplicate id would fail `build()`), and every request
//! reaches the broker that owns its offering, including fetch and `last_operation`
//! requests that name none.

use axum::Router;
use axum::routing::get;
use osb::{
    Deprovision, Deprovisioned, Error, FetchInstance, InstanceDetails, Provision, Provisioned,
};

/// A managed message queue.
#[osb::service(
    id = "5b3f1c9e-8d2a-4e6f-b1c3-7a9e2d4f6b80",
    instances_retrievable,
    plans(Standard)
)]
pub struct Queue;

/// One queue with 10,000 messages.
#[osb::plan(id = "1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9")]
pub struct Standard;

/// A managed object store.
#[osb::service(
    id = "9d8c7b6a-5f4e-4d3c-a2b1-0f9e8d7c6b5a",
    instances_retrievable,
    plans(Bucket)
)]
pub struct Storage;

/// One bucket of 10 GiB.
#[osb::plan(id = "0a1b2c3d-4e5f-4a6b-9c8d-7e6f5a4b3c2d")]
pub struct Bucket;

/// Provisions queues; only knows instances whose id starts with `q-`.
pub struct QueueBroker;

#[osb::broker(services(Queue))]
impl QueueBroker {
    #[provision(Standard)]
    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }

    #[fetch_instance]
    async fn fetch(&self, request: FetchInstance) -> Result<InstanceDetails, Error> {
        match request.instance_id.starts_with("q-") {
            true => Ok(InstanceDetails::new(
                <Queue as osb::dsl::ServiceDef>::ID,
                <Standard as osb::dsl::PlanDef>::ID,
            )),
            false => Err(Error::instance_not_found()),
        }
    }
}

/// Provisions buckets; only knows instances whose id starts with `b-`.
pub struct StorageBroker;

#[osb::broker(services(Storage))]
impl StorageBroker {
    #[provision(Bucket)]
    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }

    #[fetch_instance]
    async fn fetch(&self, request: FetchInstance) -> Result<InstanceDetails, Error> {
        match request.instance_id.starts_with("b-") {
            true => Ok(InstanceDetails::new(
                <Storage as osb::dsl::ServiceDef>::ID,
                <Bucket as osb::dsl::PlanDef>::ID,
            )),
            false => Err(Error::instance_not_found()),
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let brokers = osb::Builder::new()
        .broker(QueueBroker)
        .broker(StorageBroker)
        .auth(osb::auth::BasicAuth::new("admin", "admin"))
        .build()?;
    let app = Router::new()
        .route("/health", get(|| async { "ok" }))
        .nest("/osb", brokers);
    let address = std::env::var("OSB_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!(
        "multi listening on http://{} (brokers under /osb)",
        listener.local_addr()?
    );
    osb::serve(listener, app).await?;
    Ok(())
}
