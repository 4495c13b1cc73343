//! Serving a router until SIGINT or SIGTERM, the one-line way.

use std::io;

use axum::Router;
use tokio::net::TcpListener;

use crate::server::{serve_with_shutdown, shutdown_signal};

/// Serves `app` on `listener` until the process gets SIGINT (Ctrl-C) or SIGTERM,
/// then stops accepting connections and returns once every in-flight request has
/// been answered (or after 30 s).
///
/// With the default [`ServeOptions`](crate::server::ServeOptions): a connection slow to
/// send a request head, or idle between requests, is closed after 30 s; at most 512
/// connections are served at once. [`server::serve_with_options`](crate::server::serve_with_options)
/// sets them.
///
/// Speaks HTTP/1.1, which is what OSB platforms send (Cloud Foundry's Cloud
/// Controller, the Kubernetes service catalog). The framework builds axum without
/// HTTP/2: its code and tables cost about 0.5 MiB of a broker's resident memory
/// (docs/PERFORMANCE.md). To accept HTTP/2 over cleartext as well, enable axum's
/// `http2` feature in your own `Cargo.toml`.
///
/// ```no_run
/// # use osb::catalog::{Catalog, Plan, ServiceOffering};
/// # use osb::{Broker, Deprovision, Deprovisioned, Error, Provision, Provisioned};
/// # struct MyBroker;
/// # impl Broker for MyBroker {
/// #     fn catalog(&self) -> Catalog { Catalog::new([ServiceOffering::new("s", "s", "d").plan(Plan::new("p", "p", "d"))]) }
/// #     async fn provision(&self, _: Provision) -> Result<Provisioned, Error> { Ok(Provisioned::created()) }
/// #     async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> { Ok(Deprovisioned::completed()) }
/// # }
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
///     osb::serve(listener, osb::router(MyBroker, osb::auth::BasicAuth::new("admin", "admin"))).await
/// }
/// ```
pub async fn serve(listener: TcpListener, app: Router) -> io::Result<()> {
    serve_with_shutdown(listener, app, shutdown_signal()).await
}
