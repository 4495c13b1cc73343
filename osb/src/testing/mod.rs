//! Testing a broker: an in-process client and the conformance suite (feature `testing`).
//!
//! [`TestClient`] sends requests to a router without a socket, with the headers a
//! platform sends by default and every one of them overridable. [`Conformance`] runs
//! the rules of the specification every broker must follow against a broker and
//! reports each, naming the rule and showing the request and response of a failure:
//!
//! ```
//! use osb::testing::{Conformance, PlanFixture};
//! use osb::catalog::{Catalog, Plan, ServiceOffering};
//! use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};
//!
//! struct Echo;
//!
//! impl osb::Broker for Echo {
//!     fn catalog(&self) -> Catalog {
//!         Catalog::new([ServiceOffering::new("echo-id", "echo", "Says yes.")
//!             .plan(Plan::new("echo-plan-id", "default", "The only plan."))])
//!     }
//!     async fn provision(&self, _: Provision) -> Result<Provisioned, Error> {
//!         Ok(Provisioned::created())
//!     }
//!     async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> {
//!         Ok(Deprovisioned::completed())
//!     }
//! }
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let router = osb::router(Echo, osb::auth::BasicAuth::new("admin", "admin"));
//! let report = Conformance::new(router).basic_auth("admin", "admin").run().await;
//! // Echo answers 201 to every provision, so the idempotency rules fail:
//! assert!(report.failures().any(|check| check.rule.contains("identically gets 200")));
//! # });
//! ```

mod client;
mod conformance;
mod store;

pub use client::{NO_ANSWER, TestClient, TestRequest, TestResponse};
pub use conformance::{Check, Conformance, Fixture, FixtureError, Outcome, PlanFixture, Report};
pub use store::{sample_binding, sample_instance, store_contract};
