//! One run of the suite: the checks, in the order they run.

mod asynchronous;
mod bindings;
mod bodies;
mod catalog;
mod headers;
mod instances;
mod requests;
mod routes;
mod unbinding;
mod updates;

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::StatusCode;
use serde_json::Value;

use asynchronous::Refusal;

use super::{Check, Conformance, Created, Outcome, PlanFixture, Report};
use crate::catalog::{Plan, ServiceOffering};
use crate::testing::{TestClient, TestResponse};

/// What is being polled, for the checks that depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PollKind {
    /// A provision: its answers carry no field of a failed update.
    Provision,
    /// An update.
    Update,
    /// A bind.
    Bind,
    /// A deprovision or an unbind: `410 Gone` ends it well.
    Delete,
}

/// One run of the suite: the checks so far.
pub(super) struct Run<'a> {
    suite: &'a Conformance,
    report: Report,
    next_id: u32,
    /// Makes this run's ids its own, so that runs against a broker that keeps its
    /// state never meet each other's instances.
    token: String,
    deadline: Option<Instant>,
    /// The plans whose `Retry-After` was checked: once per plan is enough.
    retry_after_checked: HashSet<String>,
}

/// A request and its response, for failure messages.
fn exchange(body: Option<&Value>, response: &TestResponse) -> String {
    let mut text = format!("request:  {} {}", response.method, response.path);
    if let Some(body) = body {
        text.push_str(&format!("\n          {body}"));
    }
    text.push_str(&format!(
        "\nresponse: {} {}",
        response.status.as_u16(),
        response.text()
    ));
    text
}

impl<'a> Run<'a> {
    pub(super) fn new(suite: &'a Conformance, deadline: Option<Instant>) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos());
        Self {
            suite,
            report: Report::default(),
            next_id: 0,
            token: format!("{:08x}", (nanos as u64 ^ (nanos >> 64) as u64) as u32),
            deadline,
            retry_after_checked: HashSet::new(),
        }
    }

    pub(super) fn finish(self) -> Report {
        self.report
    }

    /// Every check, in order.
    pub(super) async fn all(&mut self) {
        let Some(catalog) = self.catalog().await else {
            return;
        };
        self.authentication().await;
        self.version_header().await;
        self.request_identity().await;
        self.route_probes(&catalog).await;
        self.bad_requests(&catalog).await;
        self.missing_resources(&catalog).await;
        for service in &catalog.services {
            for plan in &service.plans {
                if let Some(why) = self.excluded(service, plan) {
                    self.record(
                        format!("Provisioning: plan `{}` is exercised", plan.name),
                        Outcome::Skipped(why),
                    );
                    continue;
                }
                if self.out_of_time() {
                    self.record(
                        format!("Provisioning: plan `{}` is exercised", plan.name),
                        Outcome::Skipped(String::from("the time limit ran out")),
                    );
                    continue;
                }
                self.lifecycle(&catalog, service, plan).await;
            }
        }
    }

    fn out_of_time(&self) -> bool {
        self.deadline
            .is_some_and(|deadline| Instant::now() >= deadline)
    }

    /// Why a plan is left out, if it is.
    fn excluded(&self, service: &ServiceOffering, plan: &Plan) -> Option<String> {
        if let Some(wanted) = &self.suite.service
            && *wanted != service.id
            && *wanted != service.name
        {
            return Some(format!("the fixture names offering `{wanted}`"));
        }
        if self.suite.only_listed_plans && self.fixture_of(plan).is_none() {
            return Some(String::from("the fixture does not list it"));
        }
        None
    }

    /// The plan's fixture, by id or by name.
    fn fixture_of(&self, plan: &Plan) -> Option<&PlanFixture> {
        self.suite
            .plans
            .get(&plan.id)
            .or_else(|| self.suite.plans.get(&plan.name))
    }

    fn client(&self) -> &TestClient {
        &self.suite.client
    }

    fn id(&mut self, what: &str) -> String {
        self.next_id += 1;
        format!("osb-check-{}-{what}-{}", self.token, self.next_id)
    }

    /// Remembers an instance to deprovision at the end.
    fn created(&self, instance_id: &str, service: &ServiceOffering, plan: &Plan) {
        if let Ok(mut created) = self.suite.created.lock() {
            created.push(Created {
                instance_id: instance_id.to_owned(),
                service_id: service.id.clone(),
                plan_id: plan.id.clone(),
            });
        }
    }

    /// Forgets an instance the broker deleted.
    fn deleted(&self, instance_id: &str) {
        if let Ok(mut created) = self.suite.created.lock() {
            created.retain(|created| created.instance_id != instance_id);
        }
    }

    fn record(&mut self, rule: impl Into<String>, outcome: Outcome) {
        self.report.checks.push(Check {
            rule: rule.into(),
            outcome,
        });
    }

    /// Records whether `response` has `status` and an OSB error body when it is an error.
    fn expect(
        &mut self,
        rule: &str,
        body: Option<&Value>,
        response: &TestResponse,
        status: u16,
    ) -> bool {
        let problem = if response.status.as_u16() != status {
            Some(format!("expected status {status}"))
        } else if !is_json_object(response) {
            Some(String::from(
                if response.status.is_client_error() || response.status.is_server_error() {
                    "expected a JSON error body («Service Broker Errors»)"
                } else {
                    // «Content Type»: every answer of the API is a JSON object
                    // (`{}` when it has nothing to say).
                    "expected a JSON object with Content-Type application/json («Content Type»)"
                },
            ))
        } else {
            None
        };
        match problem {
            None => {
                self.record(rule, Outcome::Passed);
                true
            }
            Some(problem) => {
                let details = format!("{problem}\n{}", exchange(body, response));
                self.record(rule, Outcome::Failed(details));
                false
            }
        }
    }

    /// As [`Run::expect`], and the error body's `error` is `code` («Service Broker
    /// Errors» › «Error Codes»).
    fn expect_error(
        &mut self,
        rule: &str,
        body: Option<&Value>,
        response: &TestResponse,
        status: u16,
        code: &str,
    ) -> bool {
        if response.status.as_u16() == status && response.json()["error"] != code {
            let details = format!(
                "expected the error code {code}\n{}",
                exchange(body, response)
            );
            self.record(rule, Outcome::Failed(details));
            return false;
        }
        self.expect(rule, body, response, status)
    }

    /// How long to poll an operation of `plan`: the suite's limit, or the plan's
    /// `maximum_polling_duration` when shorter, never past the run's deadline.
    fn poll_limit(&self, plan: &Plan) -> Duration {
        let mut limit = self.suite.poll_timeout;
        if let Some(seconds) = plan.maximum_polling_duration {
            limit = limit.min(Duration::from_secs(seconds));
        }
        if let Some(deadline) = self.deadline {
            limit = limit.min(deadline.saturating_duration_since(Instant::now()));
        }
        limit
    }

    /// Polls `last_operation` (of an instance, or of a binding) until it is no longer
    /// `in progress`; `true` if it reports `succeeded`. Sleeps for the broker's
    /// `Retry-After` when it sends one (within the limit), and checks its form and,
    /// for a provision, that the answers carry no field of a failed update.
    async fn poll(
        &mut self,
        rule: &str,
        instance_id: &str,
        binding_id: Option<&str>,
        operation: Option<&str>,
        plan: &Plan,
        kind: PollKind,
    ) -> bool {
        let started = Instant::now();
        let limit = self.poll_limit(plan);
        let mut fields_checked = false;
        loop {
            let response = match binding_id {
                None => self.client().last_operation(instance_id, operation).await,
                Some(binding_id) => {
                    self.client()
                        .binding_last_operation(instance_id, binding_id, operation)
                        .await
                }
            };
            let retry_after = response.header("retry-after").map(str::trim);
            let pause = retry_after
                .and_then(|value| value.parse::<u64>().ok())
                .map_or(self.suite.poll_interval, Duration::from_secs);
            if let Some(value) = retry_after
                && self.retry_after_checked.insert(plan.id.clone())
            {
                let rule = format!(
                    "Polling Last Operation: plan `{}`'s Retry-After is a number of seconds or an HTTP date",
                    plan.name
                );
                match value.parse::<u64>() {
                    Ok(_) => self.record(rule, Outcome::Passed),
                    Err(_) if looks_like_http_date(value) => self.record(rule, Outcome::Passed),
                    Err(_) => self.record(rule, Outcome::Failed(exchange(None, &response))),
                }
            }
            let body = response.json();
            if kind == PollKind::Provision
                && binding_id.is_none()
                && !fields_checked
                && response.status == StatusCode::OK
            {
                fields_checked = true;
                let rule = format!(
                    "Polling Last Operation: plan `{}`'s provision answers carry no instance_usable or update_repeatable",
                    plan.name
                );
                if body.get("instance_usable").is_some() || body.get("update_repeatable").is_some()
                {
                    self.record(rule, Outcome::Failed(exchange(None, &response)));
                } else {
                    self.record(rule, Outcome::Passed);
                }
            }
            // «Content Type»: a poll answer is JSON like any other.
            if response.status == StatusCode::OK && !is_json_object(&response) {
                let details = format!(
                    "expected a JSON object with Content-Type application/json («Content Type»)\n{}",
                    exchange(None, &response)
                );
                self.record(rule, Outcome::Failed(details));
                return false;
            }
            let state = body["state"].as_str().map(str::to_owned);
            match (response.status.as_u16(), state.as_deref()) {
                (200, Some("in progress")) if started.elapsed() < limit => {
                    let left = limit.saturating_sub(started.elapsed());
                    tokio::time::sleep(pause.min(left)).await;
                }
                (200, Some("succeeded")) => {
                    self.record(rule, Outcome::Passed);
                    return true;
                }
                // «Polling Last Operation»: 410 Gone tells a finished delete too.
                (410, _) if kind == PollKind::Delete => {
                    self.record(rule, Outcome::Passed);
                    return true;
                }
                _ => {
                    let details = format!(
                        "expected 200 with state `succeeded` within {limit:?}\n{}",
                        exchange(None, &response)
                    );
                    self.record(rule, Outcome::Failed(details));
                    return false;
                }
            }
        }
    }
}

/// Whether `response` is a JSON object sent as `application/json`.
fn is_json_object(response: &TestResponse) -> bool {
    let is_json = response
        .header("content-type")
        .is_some_and(|value| value.to_ascii_lowercase().starts_with("application/json"));
    is_json && response.json().is_object()
}

/// Whether `value` has the shape of an HTTP date (RFC 9110 IMF-fixdate, such as
/// `Sun, 06 Nov 1994 08:49:37 GMT`).
fn looks_like_http_date(value: &str) -> bool {
    let parts: Vec<&str> = value.split(' ').collect();
    parts.len() == 6
        && parts[0].len() == 4
        && parts[0].ends_with(',')
        && parts[1].len() == 2
        && parts[1].bytes().all(|b| b.is_ascii_digit())
        && parts[3].len() == 4
        && parts[4].len() == 8
        && parts[5] == "GMT"
}
