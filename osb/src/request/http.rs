//! The HTTP request behind an OSB request: what a handler may read beyond the
//! specification's fields, and whether the client still waits for the answer.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use http::request::Parts;
use http::{Extensions, HeaderMap, Method, Uri};
use tokio::sync::Notify;

/// The HTTP request a handler is answering ([`RequestMeta::http`](super::RequestMeta::http)):
/// its method, URI, headers and extensions, and whether the client went away.
///
/// Extensions are how a tower middleware in front of the router hands a value to a
/// handler (a tenant, a verified token, a client certificate):
///
/// ```
/// use osb::{Error, Provision, Provisioned};
///
/// #[derive(Clone)]
/// struct Tenant(String);
///
/// async fn provision(request: Provision) -> Result<Provisioned, Error> {
///     let tenant = request.meta.http.extension::<Tenant>().map(|t| t.0.as_str());
///     let trace = request.meta.http.headers().get("traceparent");
///     # let _ = (tenant, trace);
///     Ok(Provisioned::created())
/// }
/// ```
///
/// Cheap to clone (shared). A request built outside the router
/// ([`Provision::new`](crate::Provision::new), …) has an empty one: `GET /`, no
/// headers, no extensions, never disconnected; [`HttpContext::from_parts`] builds one
/// for a test.
#[derive(Clone)]
pub struct HttpContext(Arc<Inner>);

struct Inner {
    parts: Parts,
    disconnected: AtomicBool,
    on_disconnect: Notify,
}

impl HttpContext {
    /// The context of a request with these method, URI, headers and extensions.
    pub fn from_parts(parts: Parts) -> Self {
        Self(Arc::new(Inner {
            parts,
            disconnected: AtomicBool::new(false),
            on_disconnect: Notify::new(),
        }))
    }

    /// The request's method.
    pub fn method(&self) -> &Method {
        &self.0.parts.method
    }

    /// The request's URI, as received (path and query).
    pub fn uri(&self) -> &Uri {
        &self.0.parts.uri
    }

    /// The request's headers, all of them (also those the runtime read itself, such as
    /// `Authorization` and `X-Broker-API-Version`).
    pub fn headers(&self) -> &HeaderMap {
        &self.0.parts.headers
    }

    /// The request's extensions: what the server and the middleware in front of the
    /// router put there.
    pub fn extensions(&self) -> &Extensions {
        &self.0.parts.extensions
    }

    /// The extension of type `T`, if a middleware put one there.
    pub fn extension<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.0.parts.extensions.get::<T>()
    }

    /// Whether the client stopped waiting for the answer: it closed the connection, or
    /// the server closed it (at the drain deadline of a shutdown).
    ///
    /// Without a [state store](crate::Builder::store), a handler is dropped at that
    /// moment, as in any axum handler, and never sees it. With one, the writes
    /// (provision, update, deprovision, bind, unbind) run to their end whatever the
    /// client does, so that what the store recorded stays true: such a handler may
    /// check this, or await [`disconnected`](HttpContext::disconnected), to give up
    /// early on work nobody waits for.
    pub fn is_disconnected(&self) -> bool {
        self.0.disconnected.load(Ordering::Acquire)
    }

    /// Completes once [`is_disconnected`](HttpContext::is_disconnected) is true; never
    /// while the client waits. For a `tokio::select!` beside the handler's work.
    pub async fn disconnected(&self) {
        loop {
            let notified = self.0.on_disconnect.notified();
            let mut notified = std::pin::pin!(notified);
            // Registered before the check: a disconnect in between still wakes it.
            notified.as_mut().enable();
            if self.is_disconnected() {
                return;
            }
            notified.await;
        }
    }

    /// The request's head, for the runtime's own reading.
    pub(crate) fn parts(&self) -> &Parts {
        &self.0.parts
    }

    /// A guard that marks this request disconnected if it is dropped before
    /// [`ClientWatch::answered`].
    pub(crate) fn watch(&self) -> ClientWatch {
        ClientWatch(Some(self.clone()))
    }
}

impl Default for HttpContext {
    fn default() -> Self {
        let (parts, ()) = http::Request::new(()).into_parts();
        Self::from_parts(parts)
    }
}

impl fmt::Debug for HttpContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the headers: they carry the credentials.
        f.debug_struct("HttpContext")
            .field("method", self.method())
            .field("uri", self.uri())
            .field("disconnected", &self.is_disconnected())
            .finish_non_exhaustive()
    }
}

/// Held by the future that answers a request: dropped before the answer was made
/// (hyper drops that future when the connection closes), it tells the handler.
pub(crate) struct ClientWatch(Option<HttpContext>);

impl ClientWatch {
    /// The answer is made: the client did not go away before it.
    pub(crate) fn answered(mut self) {
        self.0 = None;
    }
}

impl Drop for ClientWatch {
    fn drop(&mut self) {
        if let Some(http) = self.0.take() {
            http.0.disconnected.store(true, Ordering::Release);
            http.0.on_disconnect.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_watch_dropped_before_the_answer_wakes_the_handler() {
        let http = HttpContext::default();
        let watch = http.watch();
        let waiting = tokio::spawn({
            let http = http.clone();
            async move { http.disconnected().await }
        });
        tokio::task::yield_now().await;
        assert!(!http.is_disconnected());
        drop(watch);
        assert!(http.is_disconnected());
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("woken")
            .expect("no panic");
        // Already disconnected: completes at once.
        http.disconnected().await;
    }

    #[tokio::test]
    async fn an_answered_request_never_disconnects() {
        let http = HttpContext::default();
        http.watch().answered();
        assert!(!http.is_disconnected());
        let waited = tokio::time::timeout(Duration::from_millis(20), http.disconnected()).await;
        assert!(waited.is_err());
    }

    #[test]
    fn debug_leaves_the_headers_out() {
        let (parts, ()) = http::Request::builder()
            .uri("/v2/catalog")
            .header("authorization", "Basic c2VjcmV0")
            .body(())
            .unwrap()
            .into_parts();
        let text = format!("{:?}", HttpContext::from_parts(parts));
        assert!(text.contains("/v2/catalog"), "{text}");
        assert!(!text.contains("c2VjcmV0"), "{text}");
    }
}
