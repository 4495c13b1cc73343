//! Serving a router: until a signal of your choosing, with limits that keep a broker
//! answering when clients misbehave, and the signal [`serve`](crate::serve) stops at.
//!
//! A connection that is slow to send a request head (or, between requests, to send
//! the next one) is closed after [`ServeOptions::request_head_timeout`]; at most
//! [`ServeOptions::max_connections`] connections are served at once (more wait in the
//! listen backlog until one closes: clients already connected keep being served); on
//! shutdown, requests in flight get [`ServeOptions::drain_timeout`] to finish.
//!
//! To serve the router yourself (nested in an application, behind `axum::serve` or
//! another server), give your server the same limits: a header-read timeout, an idle
//! timeout for keep-alive connections, a cap on connections, and a drain deadline.
//!
//! # HTTPS
//!
//! With the feature `tls`, `ServeOptions::tls` serves HTTPS instead of plain HTTP,
//! with certificates from PEM files that can be reloaded while serving, and optionally
//! requires client certificates (mutual TLS): see `Tls`. Each connection's handshake
//! runs in the connection's own task, within the request-head timeout; a failed one
//! closes that connection only.

use std::future::Future;
use std::io;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

#[cfg(feature = "tls")]
mod tls;

#[cfg(feature = "tls")]
pub use tls::{Tls, TlsError};

/// How [`serve_with_options`] serves. The defaults suit a broker facing a platform:
///
/// | setting | default |
/// | --- | --- |
/// | [`request_head_timeout`](ServeOptions::request_head_timeout) | 30 s |
/// | [`max_connections`](ServeOptions::max_connections) | 512 |
/// | [`drain_timeout`](ServeOptions::drain_timeout) | 30 s |
///
/// They serve plain HTTP; with the feature `tls`, `ServeOptions::tls` serves HTTPS.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    request_head_timeout: Duration,
    max_connections: usize,
    drain_timeout: Duration,
    #[cfg(feature = "tls")]
    tls: Option<Tls>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        Self {
            request_head_timeout: Duration::from_secs(30),
            max_connections: 512,
            drain_timeout: Duration::from_secs(30),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }
}

impl ServeOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long the server waits for a request's head, from the moment it waits for
    /// one: on a new connection, and on a kept-alive connection after an answer (so it
    /// is the idle timeout of keep-alive connections too). Then the connection is
    /// closed. Default 30 s.
    #[must_use]
    pub fn request_head_timeout(mut self, timeout: Duration) -> Self {
        self.request_head_timeout = timeout;
        self
    }

    /// How many connections are served at once (at least 1). Past it, new
    /// connections wait in the listen backlog (the kernel's; refused once it is full)
    /// until one closes, while connected clients keep being served. Keep it under the
    /// process's file descriptor limit (`ulimit -n`), which the state store needs too.
    /// Default 512.
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.max_connections = connections.max(1);
        self
    }

    /// On shutdown, how long requests in flight get to finish before their
    /// connections are closed. Default 30 s.
    #[must_use]
    pub fn drain_timeout(mut self, timeout: Duration) -> Self {
        self.drain_timeout = timeout;
        self
    }

    /// Serves HTTPS with `tls` instead of plain HTTP. Each connection's TLS handshake
    /// runs in the connection's own task and must finish within the
    /// [request-head timeout](ServeOptions::request_head_timeout); a handshake that
    /// fails or times out is logged at debug level and closes that connection only.
    #[cfg(feature = "tls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "tls")))]
    #[must_use]
    pub fn tls(mut self, tls: Tls) -> Self {
        self.tls = Some(tls);
        self
    }
}

/// Serves `app` with the default [`ServeOptions`] until `signal` completes, then
/// drains in-flight requests.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    app: Router,
    signal: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with_options(listener, app, ServeOptions::default(), signal).await
}

/// Serves `app` on `listener` with `options` until `signal` completes; then stops
/// accepting, lets requests in flight finish within the drain timeout, and returns.
pub async fn serve_with_options(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    signal: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let graceful = GracefulShutdown::new();
    // The connections' tasks, to end those still running at the drain deadline.
    let mut connections = JoinSet::new();
    let mut signal = pin!(signal);
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(options.request_head_timeout);
    let http = Arc::new(http);
    loop {
        // Forget the connections that ended.
        while connections.try_join_next().is_some() {}
        // A free slot first: past the cap, connections wait in the backlog.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
            () = &mut signal => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(err) => {
                    accept_failed(&err).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        // Answers are small and written whole: send them at once.
        let _ = stream.set_nodelay(true);
        #[cfg(feature = "tls")]
        if let Some(tls) = &options.tls {
            let (tls, app, http) = (tls.clone(), app.clone(), Arc::clone(&http));
            let watcher = graceful.watcher();
            let timeout = options.request_head_timeout;
            connections.spawn(async move {
                tls::serve_connection(&tls, stream, app, http, watcher, timeout).await;
                drop(slot);
            });
            continue;
        }
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        connections.spawn(async move {
            // A client that goes away or times out is not the server's failure.
            if let Err(err) = connection.await {
                tracing::debug!(error = %err, "a connection ended with an error");
            }
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(options.drain_timeout) => {
            tracing::warn!(
                drain_timeout = ?options.drain_timeout,
                "requests still in flight at the drain deadline: their connections are closed"
            );
        }
    }
    // Ended, with the requests they were serving (a no-op for those drained).
    connections.shutdown().await;
    Ok(())
}

/// An accept that failed: out of file descriptors or memory waits a little (the
/// listener would fail again at once), anything else was one connection's problem.
async fn accept_failed(err: &io::Error) {
    // ENFILE, EMFILE, ENOMEM, ENOBUFS (Linux numbers; elsewhere only slower to retry).
    let exhausted = matches!(err.raw_os_error(), Some(23 | 24 | 12 | 105));
    if exhausted {
        tracing::error!(error = %err, "could not accept a connection: out of resources");
        tokio::time::sleep(Duration::from_millis(100)).await;
    } else {
        tracing::debug!(error = %err, "a connection failed while being accepted");
    }
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
