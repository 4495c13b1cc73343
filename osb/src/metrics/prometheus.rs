//! The metrics in Prometheus's text format: the recorder, installed once per process.

use std::sync::Mutex;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::{DURATION_BUCKETS, REQUEST_DURATION_SECONDS, STORE_CALL_DURATION_SECONDS};

/// The Prometheus recorder of this process, once installed.
static INSTALLED: Mutex<Option<Prometheus>> = Mutex::new(None);

/// How often histograms are compacted between scrapes, so that a broker nobody
/// scrapes keeps a bounded amount of samples.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The process's Prometheus recorder: what
/// [`Builder::metrics_route`](crate::Builder::metrics_route) serves. Installed as the
/// global [`metrics`](https://docs.rs/metrics) recorder by the first
/// [`Prometheus::install`]; every later call returns the same one. Cheap to clone.
#[derive(Clone)]
pub struct Prometheus(PrometheusHandle);

/// Why the Prometheus recorder could not be installed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MetricsError {
    /// The process has a global `metrics` recorder of another kind already: the
    /// framework's metrics go to it, and it is what should expose them.
    #[error(
        "another `metrics` recorder is installed already: the framework's metrics go to it; \
         expose them with that recorder instead of Builder::metrics_route"
    )]
    OtherRecorder,
    /// The Prometheus exporter refused its settings.
    #[error("the Prometheus exporter refused its settings: {0}")]
    Exporter(String),
}

impl Prometheus {
    /// The process's Prometheus recorder, installed as the global `metrics` recorder
    /// if it is not yet, with the buckets of [`DURATION_BUCKETS`](super::DURATION_BUCKETS)
    /// for the duration histograms. Fails if another recorder is installed.
    pub fn install() -> Result<Self, MetricsError> {
        // A poisoned lock only means another install panicked: what it holds is whole.
        let mut installed = INSTALLED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(prometheus) = &*installed {
            return Ok(prometheus.clone());
        }
        let mut builder = PrometheusBuilder::new();
        for name in [REQUEST_DURATION_SECONDS, STORE_CALL_DURATION_SECONDS] {
            builder = builder
                .set_buckets_for_metric(Matcher::Full(name.to_owned()), DURATION_BUCKETS)
                .map_err(|err| MetricsError::Exporter(err.to_string()))?;
        }
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        metrics::set_global_recorder(recorder).map_err(|_| MetricsError::OtherRecorder)?;
        super::describe();
        let upkeep = handle.clone();
        // A thread rather than a task: it must not depend on the runtime the first
        // router was built in.
        let spawned = std::thread::Builder::new()
            .name("osb-metrics-upkeep".to_owned())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            });
        if let Err(err) = spawned {
            // Each scrape compacts too: only memory between scrapes is at stake.
            tracing::warn!(error = %err, "could not start the metrics upkeep thread");
        }
        let prometheus = Self(handle);
        *installed = Some(prometheus.clone());
        Ok(prometheus)
    }

    /// Every metric recorded so far, in Prometheus's text exposition format.
    pub fn render(&self) -> String {
        self.0.run_upkeep();
        self.0.render()
    }
}

impl std::fmt::Debug for Prometheus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prometheus")
    }
}
