//! The smallest useful broker: one offering, one plan, synchronous provisioning and
//! bindings with credentials. The DSL counterpart of openbrokerapi's README example.
//!
//! ```text
//! cargo run --example minimal
//! curl -u admin:admin -H 'X-Broker-API-Version: 2.17' http://127.0.0.1:8080/v2/catalog
//! ```

use osb::{
    Bind, Binding, Bound, Deprovision, Deprovisioned, Error, Provision, Provisioned, Unbind,
    Unbound,
};
use serde_json::json;

/// A greeting service: each instance greets whoever binds to it.
#[osb::service(id = "8c5b4a9e-2f1d-4c3b-9a7e-6d5c4b3a2f10", bindable, plans(Standard))]
pub struct Greeter;

/// One greeting per binding.
#[osb::plan(id = "0e7d6c5b-4a39-4281-b7f6-e5d4c3b2a190")]
pub struct Standard;

/// The broker: provisioning is instantaneous, bindings get a URL.
pub struct GreeterBroker;

#[osb::broker(services(Greeter))]
impl GreeterBroker {
    #[provision(Standard)]
    async fn provision(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }

    #[bind(Standard)]
    async fn bind(&self, request: Bind) -> Result<Bound, Error> {
        let url = format!("https://greeter.example.com/{}", request.instance_id);
        Ok(Bound::created(
            Binding::new().credentials(&json!({ "url": url })),
        ))
    }

    #[unbind]
    async fn unbind(&self, _request: Unbind) -> Result<Unbound, Error> {
        Ok(Unbound::completed())
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::var("OSB_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("minimal listening on http://{}", listener.local_addr()?);
    osb::serve(
        listener,
        osb::router(GreeterBroker, osb::auth::BasicAuth::new("admin", "admin")),
    )
    .await
}
