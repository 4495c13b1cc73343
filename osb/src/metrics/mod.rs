//! What the runtime counts and times, through the [`metrics`](https://docs.rs/metrics)
//! facade: install any recorder (Prometheus, StatsD, OpenTelemetry, …) and these
//! appear in it; with none installed, recording them costs a few small allocations a
//! request and nothing is kept.
//!
//! | name | kind | labels | what |
//! | --- | --- | --- | --- |
//! | `osb_requests_total` | counter | `operation`, `service`, `plan`, `status` | requests answered |
//! | `osb_request_duration_seconds` | histogram | `operation`, `service`, `plan`, `status` | from the request's head to its answer |
//! | `osb_async_operations_running` | gauge | `operation` | background work running in this process (state store only) |
//! | `osb_async_operations_finished_total` | counter | `operation`, `state` | background work ended, `state` `succeeded` or `failed` |
//! | `osb_store_call_duration_seconds` | histogram | `call` | calls of `SqlStore` (SQLite or PostgreSQL), from the first poll to the answer, connection wait included; a store of your own records its own |
//! | `osb_store_errors_total` | counter | `call`, `error` | failed store calls; `error` is `unavailable` (a 503) or `other` |
//!
//! - `operation`: `catalog`, `provision`, `fetch_instance`, `update`, `deprovision`,
//!   `last_operation`, `bind`, `fetch_binding`, `unbind`, `binding_last_operation`;
//!   `none` for a path outside the OSB API (answered 404 or 405), which is counted
//!   too.
//! - `service` and `plan`: the **names** of the offering and the plan the request
//!   named (from its body or query), once the catalog knows them; empty when it named
//!   none (the catalog, a fetch without hints) or the request was refused first.
//! - `status`: the HTTP status code answered, `"200"`, `"422"`, ….
//! - `call`: the [`Store`](crate::store::Store) method's name (`insert_instance`,
//!   `update_instance`, `instance`, `ping`, …).
//!
//! The health and metrics routes are not counted. With the `prometheus` feature,
//! `Builder::metrics_route` serves them in
//! Prometheus's text format; the histograms then have the buckets of
//! [`DURATION_BUCKETS`].

#[cfg(feature = "prometheus")]
mod prometheus;

use std::time::Duration;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use metrics::{Counter, Histogram, Label, SharedString};

#[cfg(feature = "prometheus")]
#[cfg_attr(docsrs, doc(cfg(feature = "prometheus")))]
pub use prometheus::{MetricsError, Prometheus};

/// Requests answered: counter.
pub const REQUESTS_TOTAL: &str = "osb_requests_total";
/// How long requests took to answer, in seconds: histogram.
pub const REQUEST_DURATION_SECONDS: &str = "osb_request_duration_seconds";
/// Background work running in this process: gauge.
pub const ASYNC_OPERATIONS_RUNNING: &str = "osb_async_operations_running";
/// Background work that ended: counter.
pub const ASYNC_OPERATIONS_FINISHED_TOTAL: &str = "osb_async_operations_finished_total";
/// How long state store calls took, in seconds: histogram.
pub const STORE_CALL_DURATION_SECONDS: &str = "osb_store_call_duration_seconds";
/// State store calls that failed: counter.
pub const STORE_ERRORS_TOTAL: &str = "osb_store_errors_total";

/// The bucket bounds of the duration histograms in the Prometheus output, in seconds:
/// from a fast store call (0.5 ms) to a slow synchronous provision (60 s, what Cloud
/// Foundry waits before it gives up on a broker).
pub const DURATION_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0,
];

/// Says what each metric is, to the recorder installed (its `# HELP` lines).
pub(crate) fn describe() {
    metrics::describe_counter!(REQUESTS_TOTAL, "OSB requests answered");
    metrics::describe_histogram!(
        REQUEST_DURATION_SECONDS,
        metrics::Unit::Seconds,
        "Time from an OSB request's head to its answer"
    );
    metrics::describe_gauge!(
        ASYNC_OPERATIONS_RUNNING,
        "Asynchronous operations running in this process"
    );
    metrics::describe_counter!(
        ASYNC_OPERATIONS_FINISHED_TOTAL,
        "Asynchronous operations that ended, by state"
    );
    metrics::describe_histogram!(
        STORE_CALL_DURATION_SECONDS,
        metrics::Unit::Seconds,
        "Time of state store calls"
    );
    metrics::describe_counter!(STORE_ERRORS_TOTAL, "State store calls that failed");
}

/// The `service` and `plan` labels of a plan's requests, made once when the router is
/// built, and the handles of their series, registered at their first request.
pub(crate) struct PlanLabels {
    service: SharedString,
    plan: SharedString,
    series: Series,
}

impl PlanLabels {
    pub(crate) fn new(service_name: &str, plan_name: &str) -> Self {
        Self {
            service: SharedString::from(Arc::<str>::from(service_name)),
            plan: SharedString::from(Arc::<str>::from(plan_name)),
            series: Series::default(),
        }
    }
}

/// The series of requests without a plan: shared by every router, as the recorder is.
static NO_PLAN: LazyLock<PlanLabels> = LazyLock::new(|| PlanLabels::new("", ""));

/// A plan's request series by operation and status: registered with the recorder once,
/// then counted through their handles. Registering builds a key (an allocation, the
/// labels hashed) and looks it up in the recorder; a handle adds to an atomic.
#[derive(Default)]
struct Series(RwLock<HandlesBy>);

/// The handles of each (operation, status) series seen so far.
type HandlesBy = HashMap<(&'static str, u16), (Counter, Histogram), foldhash::fast::RandomState>;

/// Counts and times an answered request.
///
/// The handles are kept from a series' first request on: a recorder installed after
/// it does not receive that series (install it before serving).
pub(crate) fn request(
    operation: &'static str,
    plan: Option<&PlanLabels>,
    status: u16,
    took: Duration,
) {
    let plan = plan.unwrap_or(&NO_PLAN);
    let seconds = took.as_secs_f64();
    let known = plan
        .series
        .0
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&(operation, status))
        .map(|(counter, histogram)| {
            counter.increment(1);
            histogram.record(seconds);
        });
    if known.is_some() {
        return;
    }
    let labels = vec![
        Label::from_static_parts("operation", operation),
        Label::new("service", plan.service.clone()),
        Label::new("plan", plan.plan.clone()),
        Label::new("status", status_label(status)),
    ];
    let counter = metrics::counter!(REQUESTS_TOTAL, labels.clone());
    let histogram = metrics::histogram!(REQUEST_DURATION_SECONDS, labels);
    counter.increment(1);
    histogram.record(seconds);
    plan.series
        .0
        .write()
        .unwrap_or_else(PoisonError::into_inner)
        .insert((operation, status), (counter, histogram));
}

/// A status code as a label, without an allocation for the codes the runtime answers.
fn status_label(status: u16) -> SharedString {
    SharedString::const_str(match status {
        200 => "200",
        201 => "201",
        202 => "202",
        204 => "204",
        304 => "304",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        405 => "405",
        409 => "409",
        410 => "410",
        412 => "412",
        413 => "413",
        415 => "415",
        422 => "422",
        500 => "500",
        501 => "501",
        502 => "502",
        503 => "503",
        504 => "504",
        other => return SharedString::from(other.to_string()),
    })
}

/// Background work of kind `operation` started.
pub(crate) fn async_started(operation: &'static str) {
    metrics::gauge!(ASYNC_OPERATIONS_RUNNING, "operation" => operation).increment(1.0);
}

/// Background work of kind `operation` ended.
pub(crate) fn async_finished(operation: &'static str, succeeded: bool) {
    metrics::gauge!(ASYNC_OPERATIONS_RUNNING, "operation" => operation).decrement(1.0);
    let state = if succeeded { "succeeded" } else { "failed" };
    metrics::counter!(ASYNC_OPERATIONS_FINISHED_TOTAL, "operation" => operation, "state" => state)
        .increment(1);
}

/// A store call `call` took `took`; `error` says how it failed, if it did.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn store_call(call: &'static str, took: Duration, error: Option<&'static str>) {
    metrics::histogram!(STORE_CALL_DURATION_SECONDS, "call" => call).record(took.as_secs_f64());
    if let Some(error) = error {
        metrics::counter!(STORE_ERRORS_TOTAL, "call" => call, "error" => error).increment(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_labels_are_the_codes() {
        for code in [200, 201, 202, 400, 404, 410, 422, 503, 418, 599] {
            assert_eq!(&*status_label(code), code.to_string());
        }
    }
}
