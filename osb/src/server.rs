//! Serving a router: until a signal of your choosing, and the signal
//! [`serve`](crate::serve) stops at.

use std::future::Future;
use std::io;

use axum::Router;
use tokio::net::TcpListener;

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
