//! What a request leaves behind besides its answer: its span, with the field names of
//! OpenTelemetry's HTTP conventions, and its metrics (`crate::metrics`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use http::request::Parts;
use tracing::Span;
use tracing::field::Empty;

use crate::api::Endpoint;
use crate::compiled::{CompiledCatalog, PlanEntry, PlanRef};

use super::correlation::Correlation;

/// No plan resolved (yet).
const NO_PLAN: usize = usize::MAX;

/// A request's span, start and plan, from its head to its answer.
pub(super) struct Trace {
    pub(super) span: Span,
    /// The `operation` label: the endpoint's name, `none` off the OSB API.
    operation: &'static str,
    started: Instant,
    /// The plan the request named, once the catalog resolved it ([`NO_PLAN`] before).
    /// Atomic only to be shared by reference with the route's work (a `Cell` would
    /// make its future `!Send`); one thread writes it, then reads it.
    plan: AtomicUsize,
}

impl Trace {
    /// The trace of a request to `endpoint`: its span has the method, route, operation
    /// and the request's id (`correlation`); ids, plan, status and latency come later.
    pub(super) fn start(endpoint: Endpoint, parts: &Parts, correlation: &Correlation) -> Self {
        let span = tracing::info_span!(
            "osb_request",
            http.request.method = %parts.method,
            http.route = endpoint.route(),
            osb.operation = endpoint.name(),
            instance_id = Empty,
            binding_id = Empty,
            osb.service_id = Empty,
            osb.plan_id = Empty,
            request_id = Empty,
            http.response.status_code = Empty,
            latency_ms = Empty,
        );
        if !span.is_disabled() {
            span.record("request_id", correlation.id().as_ref());
        }
        Self::with_span(span, endpoint.name())
    }

    /// The trace of a request off the OSB API (a 404 or 405): counted, not logged
    /// as a request.
    pub(super) fn off_api() -> Self {
        Self::with_span(Span::none(), "none")
    }

    fn with_span(span: Span, operation: &'static str) -> Self {
        Self {
            span,
            operation,
            started: Instant::now(),
            plan: AtomicUsize::new(NO_PLAN),
        }
    }

    /// The request names `plan` (`entry`), which the catalog knows.
    pub(super) fn plan(&self, plan: PlanRef, entry: &PlanEntry) {
        self.plan.store(plan.index(), Ordering::Relaxed);
        // A disabled span still looks each field up by name to record nothing.
        if !self.span.is_disabled() {
            self.span
                .record("osb.service_id", entry.service_id.as_str());
            self.span.record("osb.plan_id", entry.id.as_str());
        }
    }

    /// The request was answered with `status`: recorded in the span and the metrics.
    pub(super) fn finish(&self, catalog: &CompiledCatalog, status: u16) {
        let took = self.started.elapsed();
        if !self.span.is_disabled() {
            self.span.record("http.response.status_code", status);
            self.span.record("latency_ms", took.as_secs_f64() * 1000.0);
        }
        let plan = match self.plan.load(Ordering::Relaxed) {
            NO_PLAN => None,
            index => Some(&catalog.plan(PlanRef::at(index)).labels),
        };
        crate::metrics::request(self.operation, plan, status, took);
    }
}
