//! Write [Open Service Broker API](https://www.openservicebrokerapi.org/) brokers in Rust.
//!
//! A service broker is the HTTP service a platform (Cloud Foundry, Kubernetes service
//! catalog, …) calls to list a catalog of services and plans, to provision, update and
//! deprovision service instances, and to bind applications to them. This crate speaks
//! version 2.17 of the API completely: all ten endpoints, their headers, status codes
//! and error codes. A broker only supplies its catalog and the real work.
//!
//! # Example
//!
//! Declare the catalog on types with [`macro@service`] and [`macro@plan`], write the
//! handlers in one impl block marked [`macro@broker`], serve it:
//!
//! ```no_run
#![doc = include_str!("../../examples/minimal.rs")]
//! ```
//!
//! Its crate depends on `open-service-broker` (whose library is `osb`), `serde_json`,
//! and `tokio` with the features `macros`, `rt-multi-thread` and `net`; plans with
//! parameter types also need `serde` with the feature `derive` and `schemars = "1"` (a
//! `JsonSchema` derived with schemars 0.8 does not count). The default feature
//! `sqlite` provides [`store::SqlStore`] on an SQLite file.
//!
//! Everything the specification asks of the HTTP layer happens before a handler runs:
//! authentication, the `X-Broker-API-Version` check, the request identity echo,
//! decoding the originating identity, 400 for malformed bodies and unknown service or
//! plan ids, 422 `AsyncRequired` and `MaintenanceInfoConflict`, validation of
//! `parameters` against the plan's schema. Mistakes in the catalog or in a handler's
//! signature are compile errors: see [`macro@broker`] for what is checked.
//!
//! # The DSL
//!
//! - [`macro@service`] declares a service offering on a type: id, name, description
//!   (from the doc comment), flags, plans.
//! - [`macro@plan`] declares a plan: id, name, flags, maintenance info, metadata and the
//!   types of its provision, update and bind parameters, whose draft-04 JSON Schemas
//!   the catalog publishes and against which requests are validated.
//! - [`macro@broker`] turns an impl block of `async fn` handlers into a [`Broker`].
//!
//! # Without macros
//!
//! The macros implement [`Broker`], an ordinary trait: a broker can implement it by
//! hand, with the catalog as data and the same checks before every handler:
//!
//! ```
//! use std::collections::HashMap;
//! use std::sync::Mutex;
//!
//! use osb::catalog::{Catalog, Plan, ServiceOffering};
//! use osb::{
//!     Bind, Binding, Bound, Broker, Deprovision, Deprovisioned, Error, FetchInstance,
//!     InstanceDetails, Provision, Provisioned, Unbind, Unbound,
//! };
//! use serde_json::json;
//!
//! /// One offering, one plan, instances kept in memory.
//! #[derive(Default)]
//! struct Notes {
//!     instances: Mutex<HashMap<String, (String, String)>>,
//! }
//!
//! impl Broker for Notes {
//!     fn catalog(&self) -> Catalog {
//!         Catalog::new([ServiceOffering::new("6b1d…-notes", "notes", "A notebook per instance.")
//!             .bindable(true)
//!             .instances_retrievable(true)
//!             .plan(Plan::new("9e0f…-notes-free", "free", "Up to 100 notes.").provision_schema(json!({
//!                 "$schema": "http://json-schema.org/draft-04/schema#",
//!                 "type": "object",
//!                 "properties": {"title": {"type": "string", "maxLength": 40}},
//!                 "additionalProperties": false
//!             })))])
//!     }
//!
//!     async fn provision(&self, req: Provision) -> Result<Provisioned, Error> {
//!         let mut instances = self.instances.lock().map_err(|_| Error::concurrency_error())?;
//!         let wanted = (req.service_id.clone(), req.plan_id.clone());
//!         match instances.get(&req.instance_id) {
//!             Some(existing) if *existing == wanted => Ok(Provisioned::already_exists()),
//!             Some(_) => Err(Error::instance_already_exists()),
//!             None => {
//!                 instances.insert(req.instance_id, wanted);
//!                 Ok(Provisioned::created())
//!             }
//!         }
//!     }
//!
//!     async fn fetch_instance(&self, req: FetchInstance) -> Result<InstanceDetails, Error> {
//!         let instances = self.instances.lock().map_err(|_| Error::concurrency_error())?;
//!         let (service, plan) = instances.get(&req.instance_id).ok_or_else(Error::instance_not_found)?;
//!         Ok(InstanceDetails::new(service, plan))
//!     }
//!
//!     async fn deprovision(&self, req: Deprovision) -> Result<Deprovisioned, Error> {
//!         let mut instances = self.instances.lock().map_err(|_| Error::concurrency_error())?;
//!         instances.remove(&req.instance_id).ok_or_else(Error::instance_not_found)?; // 410
//!         Ok(Deprovisioned::completed())
//!     }
//!
//!     async fn bind(&self, req: Bind) -> Result<Bound, Error> {
//!         let credentials = json!({"uri": format!("notes://{}/{}", req.instance_id, req.binding_id)});
//!         Ok(Bound::created(Binding::new().credentials(&credentials)))
//!     }
//!
//!     async fn unbind(&self, _req: Unbind) -> Result<Unbound, Error> {
//!         Ok(Unbound::completed())
//!     }
//! }
//!
//! # async fn demo() -> std::io::Result<()> {
//! let app = osb::router(Notes::default(), osb::auth::BasicAuth::new("admin", "s3cret"));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! osb::serve(listener, app).await // until SIGINT/SIGTERM, finishing in-flight requests
//! # }
//! ```
//!
//! # Serving
//!
//! [`router`] returns an [`axum::Router`]: serve it with [`serve`], or nest it next to
//! your own routes. [`Builder`] serves several brokers from one router, with settings
//! such as the oldest accepted API version and the body size limit.
//!
//! # State
//!
//! With a store ([`Builder::store`]: [`store::MemoryStore`], or [`store::SqlStore`] on
//! SQLite or PostgreSQL) the framework keeps instances, bindings and operations and
//! applies the specification's rules about them: identical requests answered again,
//! conflicting ones refused, fetch and `last_operation` answered from the store, work
//! returned as [`Provisioned::in_background`] run and polled, and resumed or failed
//! after a crash, also across replicas sharing one database. See [`store`].
//!
//! # Errors
//!
//! Handlers return [`Error`], whose [`ErrorKind`] names the condition; the runtime
//! picks the status the specification prescribes for it on each endpoint (a missing
//! instance is 410 on deprovision, 404 on fetch). Every failure, including a panic,
//! a malformed body, an unknown route or a wrong method, is answered with an OSB
//! error body `{"error"?, "description"}`; internal causes go to the log only.
//!
//! # Logs
//!
//! Each request runs in a `tracing` span `osb_request` with its method, route, ids,
//! `request_id` and status, so every log line of the request carries them. The
//! request's id is the first of `X-Broker-API-Request-Identity`, `X-Request-Id`,
//! `X-Correlation-Id` and `X-Vcap-Request-Id` (Cloud Foundry's router) it carries, or a
//! new UUID; the answer returns it under the header it came with, a new one as
//! `X-Request-Id`. Credentials, the `Authorization` header and bodies are never logged.
//!
//! # Where things are
//!
//! The crate root holds what every broker names: [`Broker`], [`Builder`], [`router`],
//! [`serve`], [`Error`], the nine requests ([`Provision`], …) and their answers
//! ([`Provisioned`], …), and the macros. Everything else lives in the module of its
//! topic, and only there: [`api`] (versions, headers, endpoints), [`auth`],
//! [`catalog`], [`metrics`], [`request`] and [`response`] (what requests and answers carry besides
//! their ids and status), [`store`], [`server`], [`dsl`], [`schema`] and `testing`.
//! `docs/LAYOUT.md` in the repository says where each job of the runtime lives.
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(rustdoc::broken_intra_doc_links)]

// Generated code names `::osb::…`; this makes that path work inside the crate too.
#[allow(unused_extern_crates)]
extern crate self as osb;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
pub mod api;
pub mod auth;
mod broker;
pub mod catalog;
#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub mod client;
mod compiled;
mod dispatch;
pub mod dsl;
mod error;
mod lifecycle;
pub mod metrics;
mod raw_json;
pub mod request;
pub mod response;
mod router;
pub mod schema;
mod serve;
pub mod server;
pub mod store;
#[cfg(feature = "testing")]
#[cfg_attr(docsrs, doc(cfg(feature = "testing")))]
pub mod testing;
mod text;
pub mod wire;

pub use broker::Broker;
pub use error::{Error, ErrorKind};
pub use request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
pub use request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};
pub use response::binding::{Binding, Bound, Unbound};
pub use response::instance::{Deprovisioned, InstanceDetails, Provisioned, Updated};
pub use response::operation::{BindingOperationReport, OperationReport};
pub use router::{BuildError, Builder, router};
pub use serve::serve;

/// Re-exported so brokers and generated code name the same axum.
pub use axum;

/// Re-exported for the two traits a broker may implement for the framework to hold
/// behind a pointer: [`auth::Authenticator`] and [`store::Store`].
pub use async_trait::async_trait;

#[doc = include_str!("../docs/service.md")]
pub use osb_macros::service;

#[doc = include_str!("../docs/plan.md")]
pub use osb_macros::plan;

#[doc = include_str!("../docs/broker.md")]
pub use osb_macros::broker;
