//! A broker that authenticates platforms with bearer tokens instead of basic auth:
//! one token per platform, each naming the principal handlers see.
//!
//! ```text
//! OSB_TOKEN=s3cret cargo run --example bearer
//! curl -H 'Authorization: Bearer s3cret' -H 'X-Broker-API-Version: 2.17' http://127.0.0.1:8080/v2/catalog
//! ```
//!
//! For any other scheme (API keys, mutual TLS, token introspection), implement
//! [`osb::auth::Authenticator`]; `BearerAuth` is one such implementation.

use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

/// Scratch space that lives as long as its instance.
#[osb::service(id = "6e5d4c3b-2a19-4807-b6f5-e4d3c2b1a098", plans(Scratch))]
pub struct Scratchpad;

/// 1 MiB of scratch space.
#[osb::plan(id = "7f6e5d4c-3b2a-4190-8a7b-6c5d4e3f2a1b")]
pub struct Scratch;

/// Logs who provisioned what.
pub struct ScratchBroker;

#[osb::broker(services(Scratchpad))]
impl ScratchBroker {
    #[provision(Scratch)]
    async fn provision(&self, request: Provision) -> Result<Provisioned, Error> {
        let who = request
            .meta
            .principal
            .as_ref()
            .map_or("nobody", |p| p.name());
        println!("{who} provisioned {}", request.instance_id);
        Ok(Provisioned::created())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let token = std::env::var("OSB_TOKEN").unwrap_or_else(|_| "change-me".into());
    let auth = osb::auth::BearerAuth::new().token(token, "platform");
    let address = std::env::var("OSB_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!("bearer listening on http://{}", listener.local_addr()?);
    osb::serve(listener, osb::router(ScratchBroker, auth)).await
}
