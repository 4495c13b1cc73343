//! Serving a router until SIGINT or SIGTERM, letting in-flight requests finish.

use std::future::Future;
use std::io;

use axum::Router;
use tokio::net::TcpListener;

/// Serves `app` on `listener` until the process gets SIGINT (Ctrl-C) or SIGTERM,
/// then stops accepting connections and returns once every in-flight request has
/// been answered.
///
/// Speaks HTTP/1.1, which is what OSB platforms send (Cloud Foundry's Cloud
/// Controller, the Kubernetes service catalog). The framework builds axum without
/// HTTP/2: its code and tables cost about 0.5 MiB of a broker's resident memory
/// (docs/PERFORMANCE.md). To accept HTTP/2 over cleartext as well, enable axum's
/// `http2` feature in your own `Cargo.toml`.
///
/// ```no_run
/// # use osb::{Broker, Catalog, Deprovision, Deprovisioned, Error, Plan, Provision, Provisioned, Service};
/// # struct MyBroker;
/// # impl Broker for MyBroker {
/// #     fn catalog(&self) -> Catalog { Catalog::new([Service::new("s", "s", "d").plan(Plan::new("p", "p", "d"))]) }
/// #     async fn provision(&self, _: Provision) -> Result<Provisioned, Error> { Ok(Provisioned::created()) }
/// #     async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> { Ok(Deprovisioned::completed()) }
/// # }
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
///     osb::serve(listener, osb::router(MyBroker, osb::BasicAuth::new("admin", "admin"))).await
/// }
/// ```
pub async fn serve(listener: TcpListener, app: Router) -> io::Result<()> {
    serve_with_shutdown(listener, app, shutdown_signal()).await
}

/// Serves `app` until `signal` completes, then drains in-flight requests.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    app: Router,
    signal: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .await
}

/// Completes on SIGINT or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => tracing::info!("SIGINT received: finishing in-flight requests"),
        () = terminate => tracing::info!("SIGTERM received: finishing in-flight requests"),
    }
}
