//! The conformance suite a broker author runs against their own broker.

mod fixture;
mod report;
mod run;

use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use http::StatusCode;

pub use fixture::{Fixture, FixtureError, PlanFixture};
pub use report::{Check, Outcome, Report};

use super::TestClient;

/// The conformance suite: the rules of the specification every broker must follow,
/// checked against a broker: in-process against its router ([`Conformance::new`]), or
/// over HTTP against a broker in any language ([`Conformance::with_client`] with
/// [`TestClient::http`]).
///
/// It reads the catalog, then for every plan provisions, fetches, binds, unbinds and
/// deprovisions resources (polling asynchronous operations), and probes the answers
/// the framework and the specification require: 401 without credentials, the version
/// header rules, 400 for malformed bodies and unknown ids, 201 → 200 → 409 for
/// provision and bind, 410 for deleting what does not exist, 404 for fetching it,
/// `AsyncRequired`, the request identity echo.
///
/// ```
/// # async fn demo(router: axum::Router) {
/// use osb::testing::{Conformance, PlanFixture};
/// use serde_json::json;
///
/// let report = Conformance::new(router)
///     .basic_auth("admin", "admin")
///     .plan("plan-small-id", PlanFixture::new().provision(json!({"size_mb": 64})))
///     .run()
///     .await;
/// report.assert_passed();
/// # }
/// ```
#[derive(Debug)]
pub struct Conformance {
    client: TestClient,
    authenticated: bool,
    plans: HashMap<String, PlanFixture>,
    service: Option<String>,
    only_listed_plans: bool,
    missing_version: StatusCode,
    poll_timeout: Duration,
    poll_interval: Duration,
    time_limit: Option<Duration>,
    created: Arc<Mutex<Vec<Created>>>,
}

/// An instance the suite provisioned and has not seen deleted yet.
#[derive(Debug, Clone, PartialEq)]
struct Created {
    instance_id: String,
    service_id: String,
    plan_id: String,
}

impl Conformance {
    /// A suite for `router`, which must accept requests without credentials unless
    /// [`Conformance::basic_auth`] or [`Conformance::bearer`] says otherwise.
    pub fn new(router: Router) -> Self {
        Self::with_client(TestClient::new(router))
    }

    /// A suite that sends its requests through `client`: in-process, or over HTTP
    /// with [`TestClient::http`]. When `client` sends credentials, the 401 checks run.
    pub fn with_client(client: TestClient) -> Self {
        let authenticated = client.has_header(http::header::AUTHORIZATION);
        Self {
            client,
            authenticated,
            plans: HashMap::new(),
            service: None,
            only_listed_plans: false,
            missing_version: StatusCode::PRECONDITION_FAILED,
            poll_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(20),
            time_limit: None,
            created: Arc::default(),
        }
    }

    /// The broker's basic-auth credentials; the 401 checks then run.
    #[must_use]
    pub fn basic_auth(mut self, username: &str, password: &str) -> Self {
        self.client = self.client.basic_auth(username, password);
        self.authenticated = true;
        self
    }

    /// The broker's bearer token; the 401 checks then run.
    #[must_use]
    pub fn bearer(mut self, token: &str) -> Self {
        self.client = self.client.bearer(token);
        self.authenticated = true;
        self
    }

    /// What to send for plan `plan`, named by id or by name. Plans without a fixture
    /// get no parameters.
    #[must_use]
    pub fn plan(mut self, plan: &str, fixture: PlanFixture) -> Self {
        self.plans.insert(plan.to_owned(), fixture);
        self
    }

    /// Everything a [`Fixture`] (read from a file) says: the offering, the plans and
    /// what to send for each.
    #[must_use]
    pub fn fixture(mut self, fixture: Fixture) -> Self {
        self.service = fixture.service;
        self.only_listed_plans = fixture.only_listed_plans;
        self.plans.extend(fixture.plans);
        self
    }

    /// Exercises only the plans of offering `service` (an id or a name).
    #[must_use]
    pub fn service(mut self, service: &str) -> Self {
        self.service = Some(service.to_owned());
        self
    }

    /// Exercises only the plans given a fixture with [`Conformance::plan`].
    #[must_use]
    pub fn only_listed_plans(mut self) -> Self {
        self.only_listed_plans = true;
        self
    }

    /// The status expected for a request without `X-Broker-API-Version` (default 412;
    /// 400 for a router built with `MissingVersion::BadRequest`; «API Version Header»
    /// allows both since 2.16).
    #[must_use]
    pub fn missing_version_status(mut self, status: StatusCode) -> Self {
        self.missing_version = status;
        self
    }

    /// How long an asynchronous operation may take (default 30 s, or less when the
    /// plan's `maximum_polling_duration` is shorter) and how often to poll it
    /// (default 20 ms; a `Retry-After` of the broker's own is honoured).
    #[must_use]
    pub fn polling(mut self, timeout: Duration, interval: Duration) -> Self {
        self.poll_timeout = timeout;
        self.poll_interval = interval;
        self
    }

    /// How long the whole run may take: once it is spent, the remaining plans are
    /// skipped, and what was provisioned is deprovisioned.
    #[must_use]
    pub fn time_limit(mut self, limit: Duration) -> Self {
        self.time_limit = Some(limit);
        self
    }

    /// Runs every check and reports; deprovisions every instance it provisioned
    /// before it returns. A caller that stops the run early (Ctrl-C) calls
    /// [`Conformance::clean_up`] itself.
    pub async fn run(&self) -> Report {
        let deadline = self.time_limit.map(|limit| Instant::now() + limit);
        let mut run = run::Run::new(self, deadline);
        run.all().await;
        let mut report = run.finish();
        report.cleanup = self.clean_up().await;
        report
    }

    /// Deprovisions every instance the suite provisioned and has not seen deleted
    /// (also after a failure or an interrupted run), polling asynchronous deletes;
    /// returns what could not be deleted, one line each.
    pub async fn clean_up(&self) -> Vec<String> {
        let left = match self.created.lock() {
            Ok(mut created) => std::mem::take(&mut *created),
            Err(poisoned) => std::mem::take(&mut *poisoned.into_inner()),
        };
        let mut failures = Vec::new();
        let mut seen = HashSet::new();
        for created in left {
            if !seen.insert(created.instance_id.clone()) {
                continue;
            }
            if let Err(problem) = self.delete(&created).await {
                failures.push(format!("instance {}: {problem}", created.instance_id));
            }
        }
        failures
    }

    /// Deletes one instance: accepts_incomplete, then polls a 202 until done.
    async fn delete(&self, created: &Created) -> Result<(), String> {
        let started = Instant::now();
        let response = loop {
            let response = self
                .client
                .deprovision(
                    &created.instance_id,
                    &created.service_id,
                    &created.plan_id,
                    true,
                )
                .await;
            match response.status.as_u16() {
                200 | 410 => return Ok(()),
                202 => break response,
                // «Deprovisioning» › «Response»: another operation is in progress (a
                // provision an interrupted run left running); it ends in time.
                422 if response.json()["error"] == "ConcurrencyError"
                    && started.elapsed() < self.poll_timeout =>
                {
                    tokio::time::sleep(self.poll_interval).await;
                }
                status => return Err(format!("{status} {}", response.text())),
            }
        };
        let operation = response.json()["operation"].as_str().map(str::to_owned);
        while started.elapsed() < self.poll_timeout {
            let polled = self
                .client
                .last_operation(&created.instance_id, operation.as_deref())
                .await;
            match (polled.status.as_u16(), polled.json()["state"].as_str()) {
                (410, _) | (200, Some("succeeded")) => return Ok(()),
                (200, Some("in progress")) => tokio::time::sleep(self.poll_interval).await,
                (status, _) => return Err(format!("last_operation: {status} {}", polled.text())),
            }
        }
        Err(format!("still deleting after {:?}", self.poll_timeout))
    }
}
