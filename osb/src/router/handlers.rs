//! What every route does around its own work: the request's span and id,
//! authentication, the version and identity headers, the ids in the path; then the
//! answer, an OSB error body for an error or a panic, and the request's id echoed. The
//! routes of the OSB API implement [`Route`] (in `instance` and `binding`) and are
//! served by [`handle`]; the catalog and the fallbacks have no ids and no body.
//!
//! The request paths here return `async move` blocks rather than being `async fn`s:
//! an `async fn` keeps its arguments in its future twice (as arguments and as the
//! locals they are moved into), and each request allocates these futures.

#![allow(
    clippy::manual_async_fn,
    reason = "`async move` blocks, not `async fn`s: see the module documentation"
)]

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::{Pin, pin};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, Request, State};
use axum::response::Response;
use futures_util::FutureExt;
use serde::de::DeserializeOwned;
use tracing::{Instrument, Span};

use crate::api::Endpoint;
use crate::dispatch::Dispatch;
use crate::error::{Error, ErrorKind};
use crate::request::HttpContext;

use super::correlation::Correlation;
use super::input;
use super::respond;
use super::shared::Shared;
use super::trace::Trace;

/// A route of the OSB API beyond the catalog, served by [`handle`].
pub(super) trait Route<D: Dispatch>: 'static {
    /// The endpoint.
    const ENDPOINT: Endpoint;
    /// The ids in its path.
    type Ids: Ids;

    /// Reads and checks the request (`Shared::preamble`, then [`read_ids`], first), calls
    /// the back end, answers.
    ///
    /// The request comes in pieces, used where they are: gathered in a struct and
    /// taken apart inside, they were held twice in the future (as the argument and as
    /// the locals), about 600 bytes more to allocate per request.
    fn work(
        shared: &Arc<Shared<D>>,
        path: PathIds<Self::Ids>,
        http: HttpContext,
        body: Body,
        trace: &Trace,
    ) -> impl Future<Output = Result<Response, Error>> + Send;
}

/// A [`Route`] impl whose work runs after the shared prologue, all in one future (see
/// [`Route::work`]): `Shared::preamble` binds `$meta`, [`read_ids`] binds `$ids`, and
/// `$work` reads and checks the rest of the request from `$parts` and `$body`, and
/// tells `$trace` the plan it names.
macro_rules! route {
    (
        $request:ty, $endpoint:ident, $ids_type:ty,
        |$shared:ident, $meta:ident, $ids:pat, $parts:ident, $body:ident, $trace:ident| $work:block
    ) => {
        impl<D: $crate::dispatch::Dispatch> $crate::router::handlers::Route<D> for $request {
            const ENDPOINT: $crate::api::Endpoint = $crate::api::Endpoint::$endpoint;
            type Ids = $ids_type;

            fn work(
                $shared: &std::sync::Arc<$crate::router::shared::Shared<D>>,
                path: $crate::router::handlers::PathIds<$ids_type>,
                http: $crate::request::HttpContext,
                $body: axum::body::Body,
                $trace: &$crate::router::trace::Trace,
            ) -> impl Future<Output = Result<axum::response::Response, $crate::error::Error>> + Send
            {
                async move {
                    let $meta = $shared.preamble(http.parts()).await?.meta(http);
                    let $ids = $crate::router::handlers::read_ids(path, &$trace.span)?;
                    // The head, read where the route reads it; it goes to the handler
                    // with the meta.
                    let $parts = $meta.http.parts();
                    $work
                }
            }
        }
    };
}

/// In a write route: `accepts_incomplete` and the JSON body.
///
/// Inline, not an `async fn`: in a future of its own, the body was held twice while
/// it ran, and the write routes' work went past the 1,032 bytes malloc's per-thread
/// cache serves.
macro_rules! write_body {
    ($shared:ident, $parts:ident, $body:ident) => {{
        // Only the flag is kept: the whole `Query` would sit in this future across
        // the body read.
        let accepts_incomplete =
            $crate::router::input::Query::parse($parts.uri.query())?.accepts_incomplete;
        let bytes =
            $crate::router::input::read_json_body($parts, $body, $shared.config.body_limit).await?;
        (accepts_incomplete, bytes)
    }};
}

pub(super) use {route, write_body};

/// The ids in a request's path, as axum extracted them.
pub(super) type PathIds<I> = Result<Path<I>, PathRejection>;

/// The ids in a route's path.
pub(super) trait Ids: DeserializeOwned + Send + 'static {
    /// Records them in the request's span.
    fn record(&self, span: &Span);
    /// Holds them to the rules every store can keep ([`input::check_id`]).
    fn check(&self) -> Result<(), Error>;
}

impl Ids for String {
    fn record(&self, span: &Span) {
        record_ids(span, self, None);
    }

    fn check(&self) -> Result<(), Error> {
        input::check_id("instance_id", self)
    }
}

impl Ids for (String, String) {
    fn record(&self, span: &Span) {
        record_ids(span, &self.0, Some(&self.1));
    }

    fn check(&self) -> Result<(), Error> {
        input::check_id("instance_id", &self.0)?;
        input::check_id("binding_id", &self.1)
    }
}

/// Serves route `R`: the request's span and id, `R`'s work, the answer.
pub(super) fn handle<D: Dispatch, R: Route<D>>(
    State(shared): State<Arc<Shared<D>>>,
    path: PathIds<R::Ids>,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (parts, body) = request.into_parts();
    async move {
        let correlation = Correlation::of(&parts);
        let trace = Trace::start(R::ENDPOINT, &parts, &correlation);
        let http = HttpContext::from_parts(parts);
        // Dropped with this future if the connection closes first: the handler learns
        // that its client went away (HttpContext::disconnected).
        let watch = http.watch();
        let work = R::work(&shared, path, http, body, &trace);
        let response = run(
            &shared,
            R::ENDPOINT,
            correlation,
            &trace,
            Box::pin(work).as_mut(),
        )
        .await;
        watch.answered();
        response
    }
}

/// The ids in the path, recorded in the request's span: what every route reads right
/// after `Shared::preamble` (authentication, the version and identity headers).
///
/// Not one `async` step with the preamble: the path moved into its future was held
/// twice while it ran (see [`write_body`]).
pub(super) fn read_ids<I: Ids>(path: PathIds<I>, span: &Span) -> Result<I, Error> {
    let ids = input::path_ids(path)?;
    ids.record(span);
    ids.check()?;
    Ok(ids)
}

/// Runs `work` inside the request span, answers its error with the OSB error body of
/// `endpoint` and a panic with a 500, echoes the request's id (`correlation`; the
/// specification's «Request Identity» on every response, when the platform sent one),
/// and finishes the request's `trace` (status, latency, metrics).
/// Done here rather than with tower layers around the router: each layer boxed and
/// cloned the route's service on every request, about a tenth of the instructions of
/// a catalog request.
///
/// `work` is pinned by the caller: taken by value, it would be stored twice in this
/// future (as the argument and inside `catch_unwind`), and axum allocates and moves
/// every handler's whole future. Most routes box their `work` apart: each block then
/// fits glibc's per-thread cache (up to 1,032 bytes), where one block holding both
/// went through the slower general allocator on every request.
async fn run<D: Dispatch>(
    shared: &Arc<Shared<D>>,
    endpoint: Endpoint,
    correlation: Correlation,
    trace: &Trace,
    work: Pin<&mut impl Future<Output = Result<Response, Error>>>,
) -> Response {
    shared.backend.on_request();
    let span = &trace.span;
    // With the level off, the span is disabled: skip entering it on every poll.
    let result = if span.is_disabled() {
        AssertUnwindSafe(work).catch_unwind().await
    } else {
        AssertUnwindSafe(work.instrument(span.clone()))
            .catch_unwind()
            .await
    };
    let mut response = span.in_scope(|| {
        let response = match result {
            Ok(Ok(response)) => response,
            Ok(Err(err)) => shared.error_response(&err, endpoint),
            Err(panic) => panicked(panic.as_ref()),
        };
        trace.finish(shared.backend.catalog(), response.status().as_u16());
        tracing::info!("request completed");
        response
    });
    correlation.echo(response.headers_mut());
    response
}

fn record_ids(span: &Span, instance_id: &str, binding_id: Option<&str>) {
    // A disabled span still looks each field up by name to record nothing: about 70
    // instructions a field, on every request with the level off.
    if span.is_disabled() {
        return;
    }
    span.record("instance_id", instance_id);
    if let Some(binding_id) = binding_id {
        span.record("binding_id", binding_id);
    }
}

pub(super) fn catalog<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    request: Request,
) -> impl Future<Output = Response> + Send {
    let (parts, _) = request.into_parts();
    async move {
        let correlation = Correlation::of(&parts);
        let trace = Trace::start(Endpoint::Catalog, &parts, &correlation);
        let work = async {
            shared.preamble(&parts).await?;
            Ok(shared.catalog_response(parts.headers.get(http::header::IF_NONE_MATCH)))
        };
        run(&shared, Endpoint::Catalog, correlation, &trace, pin!(work)).await
    }
}

/// Unknown paths: 404 with an OSB error body, after authentication.
pub(super) async fn not_found<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    request: Request,
) -> Response {
    rejected(&shared, request, ErrorKind::NotFound).await
}

/// Known paths with another method: 405 with an OSB error body, after authentication.
pub(super) async fn method_not_allowed<D: Dispatch>(
    State(shared): State<Arc<Shared<D>>>,
    request: Request,
) -> Response {
    rejected(&shared, request, ErrorKind::MethodNotAllowed).await
}

async fn rejected<D: Dispatch>(
    shared: &Arc<Shared<D>>,
    request: Request,
    kind: ErrorKind,
) -> Response {
    let (parts, _) = request.into_parts();
    let correlation = Correlation::of(&parts);
    // Through `run`, as every route: a custom authenticator that panics is a 500 too.
    let work = async {
        let err = match shared.auth.authenticate(&parts).await {
            Ok(_) => Error::new(kind),
            Err(err) => err,
        };
        tracing::debug!(method = %parts.method, path = parts.uri.path(), "no such route");
        Err(err)
    };
    run(
        shared,
        Endpoint::Catalog,
        correlation,
        &Trace::off_api(),
        pin!(work),
    )
    .await
}

/// A handler panicked: a generic 500; the panic message goes only to the log.
fn panicked(panic: &(dyn Any + Send)) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| String::from("(no message)"));
    tracing::error!(panic = %message, "a request handler panicked");
    respond::error(&Error::new(ErrorKind::Internal), Endpoint::Catalog, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
    use crate::request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};

    /// The size of the future a handler returns, read off its type without calling it.
    fn future_size<A, B, C, F: std::future::Future>(_: impl FnOnce(A, B, C) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    fn future_size2<A, B, F: std::future::Future>(_: impl FnOnce(A, B) -> F) -> usize {
        std::mem::size_of::<F>()
    }

    /// axum allocates every request's handler future and moves it: what a request
    /// carries across its `.await`s is paid for on every request. The budget catches a
    /// change that doubles it (taking `work` by value in `run` did, for every route,
    /// and so did writing the handlers as `async fn`s, which keep the whole `Request`).
    /// They were 584 to 952 bytes when this was written; axum's wrapper adds about 260,
    /// and glibc serves blocks up to 1,032 bytes from its fast per-thread cache.
    fn sizes<D: Dispatch>() -> [(&'static str, usize); 10] {
        [
            ("catalog", future_size2(catalog::<D>)),
            ("provision", future_size(handle::<D, Provision>)),
            ("update", future_size(handle::<D, Update>)),
            ("deprovision", future_size(handle::<D, Deprovision>)),
            ("fetch_instance", future_size(handle::<D, FetchInstance>)),
            ("last_operation", future_size(handle::<D, LastOperation>)),
            ("bind", future_size(handle::<D, Bind>)),
            ("unbind", future_size(handle::<D, Unbind>)),
            ("fetch_binding", future_size(handle::<D, FetchBinding>)),
            (
                "binding_last_operation",
                future_size(handle::<D, BindingLastOperation>),
            ),
        ]
    }

    fn future_size5<A, B, C, E, G, F: std::future::Future>(
        _: impl FnOnce(A, B, C, E, G) -> F,
    ) -> usize {
        std::mem::size_of::<F>()
    }

    fn work_sizes<D: Dispatch>() -> [(&'static str, usize); 9] {
        [
            ("provision", future_size5(<Provision as Route<D>>::work)),
            ("update", future_size5(<Update as Route<D>>::work)),
            ("deprovision", future_size5(<Deprovision as Route<D>>::work)),
            (
                "fetch_instance",
                future_size5(<FetchInstance as Route<D>>::work),
            ),
            (
                "last_operation",
                future_size5(<LastOperation as Route<D>>::work),
            ),
            ("bind", future_size5(<Bind as Route<D>>::work)),
            ("unbind", future_size5(<Unbind as Route<D>>::work)),
            (
                "fetch_binding",
                future_size5(<FetchBinding as Route<D>>::work),
            ),
            (
                "binding_last_operation",
                future_size5(<BindingLastOperation as Route<D>>::work),
            ),
        ]
    }

    /// Each route's work is boxed once per request (`handle`): glibc serves blocks of
    /// up to 1,032 bytes from its per-thread cache, a larger one through its general
    /// allocator, slower, on every request. Held to it: the writes that create a
    /// resource; the others are printed.
    #[test]
    fn boxed_work_fits_the_allocator_cache() {
        let backends = [
            ("brokers", work_sizes::<crate::dispatch::Direct>()),
            (
                "lifecycle",
                work_sizes::<std::sync::Arc<crate::lifecycle::Lifecycle>>(),
            ),
        ];
        for (backend, sizes) in backends {
            for (route, size) in sizes {
                println!("{backend} {route} work: {size} bytes");
                if matches!(route, "provision" | "bind") {
                    assert!(
                        size <= 1032,
                        "the {route} work is {size} bytes with the {backend}"
                    );
                }
            }
        }
    }

    #[test]
    fn handler_futures_stay_small() {
        let backends = [
            ("brokers", sizes::<crate::dispatch::Direct>()),
            (
                "lifecycle",
                sizes::<std::sync::Arc<crate::lifecycle::Lifecycle>>(),
            ),
        ];
        for (backend, sizes) in backends {
            for (route, size) in sizes {
                println!("{backend} {route}: {size} bytes");
            }
            for (route, size) in sizes {
                assert!(
                    size <= 1024,
                    "the {route} handler's future is {size} bytes with the {backend}"
                );
            }
        }
    }
}
