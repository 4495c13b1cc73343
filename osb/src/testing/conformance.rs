//! The conformance suite a broker author runs against their own broker.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, Instant};

use axum::Router;
use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{TestClient, TestResponse};
use crate::api::REQUEST_IDENTITY_HEADER;
use crate::catalog::Catalog;

/// What to send for one plan: valid parameters, and optionally requests that differ
/// from them, to check the 409 answers.
#[derive(Debug, Clone, Default)]
pub struct PlanFixture {
    provision: Option<Value>,
    conflicting_provision: Option<Value>,
    bind: Option<Value>,
    bind_resource: Option<Value>,
    conflicting_bind_resource: Option<Value>,
}

impl PlanFixture {
    /// No parameters at all (`parameters` is left out of every request).
    pub fn new() -> Self {
        Self::default()
    }

    /// Valid provision `parameters`.
    #[must_use]
    pub fn provision(mut self, parameters: Value) -> Self {
        self.provision = Some(parameters);
        self
    }

    /// Other valid provision `parameters`: re-provisioning the same id with them must
    /// answer 409. Without them, the suite uses another plan of the same offering.
    #[must_use]
    pub fn conflicting_provision(mut self, parameters: Value) -> Self {
        self.conflicting_provision = Some(parameters);
        self
    }

    /// Valid bind `parameters`.
    #[must_use]
    pub fn bind(mut self, parameters: Value) -> Self {
        self.bind = Some(parameters);
        self
    }

    /// The `bind_resource` to bind with (default `{"app_guid": "osb-conformance-app"}`).
    #[must_use]
    pub fn bind_resource(mut self, resource: Value) -> Self {
        self.bind_resource = Some(resource);
        self
    }

    /// Another `bind_resource`: re-binding the same id with it must answer 409. Without
    /// it, the 409 check for bindings is skipped (a broker may ignore the resource).
    #[must_use]
    pub fn conflicting_bind_resource(mut self, resource: Value) -> Self {
        self.conflicting_bind_resource = Some(resource);
        self
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The broker did what the rule says.
    Passed,
    /// It did not; the text shows the request and response.
    Failed(String),
    /// The check does not apply to this broker, and why.
    Skipped(String),
}

/// One rule checked against the broker.
#[derive(Debug, Clone)]
pub struct Check {
    /// The rule, naming the specification section it comes from.
    pub rule: String,
    /// What happened.
    pub outcome: Outcome,
}

/// Everything the suite checked.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
}

impl Report {
    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|check| matches!(check.outcome, Outcome::Failed(_)))
    }

    /// How many checks passed.
    pub fn passed(&self) -> usize {
        self.checks
            .iter()
            .filter(|check| check.outcome == Outcome::Passed)
            .count()
    }

    /// Panics with every failure, each naming its rule, request and response.
    #[track_caller]
    pub fn assert_passed(&self) {
        if self.failures().next().is_some() {
            panic!("the broker breaks rules of the OSB API:\n{self}");
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            match &check.outcome {
                Outcome::Passed => writeln!(f, "passed   {}", check.rule)?,
                Outcome::Skipped(why) => writeln!(f, "skipped  {} ({why})", check.rule)?,
                Outcome::Failed(details) => {
                    writeln!(f, "FAILED   {}", check.rule)?;
                    for line in details.lines() {
                        writeln!(f, "           {line}")?;
                    }
                }
            }
        }
        let failed = self.failures().count();
        write!(
            f,
            "{} passed, {failed} failed, {} skipped",
            self.passed(),
            self.checks.len() - self.passed() - failed
        )
    }
}

/// The conformance suite: the rules of the specification every broker must follow,
/// checked in-process against a broker's router.
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
    missing_version: StatusCode,
    poll_timeout: Duration,
    poll_interval: Duration,
}

impl Conformance {
    /// A suite for `router`, which must accept requests without credentials unless
    /// [`Conformance::basic_auth`] or [`Conformance::bearer`] says otherwise.
    pub fn new(router: Router) -> Self {
        Self {
            client: TestClient::new(router),
            authenticated: false,
            plans: HashMap::new(),
            missing_version: StatusCode::PRECONDITION_FAILED,
            poll_timeout: Duration::from_secs(30),
            poll_interval: Duration::from_millis(20),
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

    /// What to send for plan `plan_id`. Plans without a fixture get no parameters.
    #[must_use]
    pub fn plan(mut self, plan_id: &str, fixture: PlanFixture) -> Self {
        self.plans.insert(plan_id.to_owned(), fixture);
        self
    }

    /// The status expected for a request without `X-Broker-API-Version` (default 412;
    /// 400 for a router built with `MissingVersion::BadRequest`).
    #[must_use]
    pub fn missing_version_status(mut self, status: StatusCode) -> Self {
        self.missing_version = status;
        self
    }

    /// How long an asynchronous operation may take (default 30 s) and how often to
    /// poll it (default 20 ms).
    #[must_use]
    pub fn polling(mut self, timeout: Duration, interval: Duration) -> Self {
        self.poll_timeout = timeout;
        self.poll_interval = interval;
        self
    }

    /// Runs every check and reports.
    pub async fn run(&self) -> Report {
        let mut run = Run {
            suite: self,
            report: Report::default(),
            next_id: 0,
        };
        let Some(catalog) = run.catalog().await else {
            return run.report;
        };
        run.authentication().await;
        run.version_header().await;
        run.request_identity().await;
        run.bad_requests(&catalog).await;
        run.missing_resources(&catalog).await;
        for service in &catalog.services {
            for plan in &service.plans {
                run.lifecycle(&catalog, service, plan).await;
            }
        }
        run.report
    }
}

/// One run of the suite: the checks so far.
struct Run<'a> {
    suite: &'a Conformance,
    report: Report,
    next_id: u32,
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

impl Run<'_> {
    fn client(&self) -> &TestClient {
        &self.suite.client
    }

    fn id(&mut self, what: &str) -> String {
        self.next_id += 1;
        format!("osb-conformance-{what}-{}", self.next_id)
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
        let mut problem = None;
        if response.status.as_u16() != status {
            problem = Some(format!("expected status {status}"));
        } else if response.status.is_client_error() || response.status.is_server_error() {
            let is_json = response
                .header("content-type")
                .is_some_and(|value| value.starts_with("application/json"));
            if !is_json || !response.json().is_object() {
                problem = Some(String::from(
                    "expected a JSON error body («Service Broker Errors»)",
                ));
            }
        }
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

    async fn catalog(&mut self) -> Option<Catalog> {
        let rule = "Catalog Management: GET /v2/catalog answers 200 with a valid catalog";
        let response = self.client().catalog().await;
        if !self.expect(rule, None, &response, 200) {
            return None;
        }
        let catalog: Catalog = match serde_json::from_slice(&response.body) {
            Ok(catalog) => catalog,
            Err(err) => {
                let details = format!(
                    "the body is not a catalog: {err}\n{}",
                    exchange(None, &response)
                );
                self.record(
                    "Catalog Management: the catalog has the shape of the specification",
                    Outcome::Failed(details),
                );
                return None;
            }
        };
        let rule = "Catalog Management: ids and names unique, required fields non-empty, schemas with $schema, semver maintenance_info";
        match catalog.validate() {
            Ok(()) => self.record(rule, Outcome::Passed),
            Err(err) => self.record(rule, Outcome::Failed(err.problems().join("\n"))),
        }
        Some(catalog)
    }

    async fn authentication(&mut self) {
        let rules = [
            "Platform to Service Broker Authentication: a request without credentials gets 401",
            "Platform to Service Broker Authentication: wrong credentials get 401",
            "Platform to Service Broker Authentication: credentials are checked before anything else",
        ];
        if !self.suite.authenticated {
            for rule in rules {
                self.record(
                    rule,
                    Outcome::Skipped(String::from("no credentials configured")),
                );
            }
            return;
        }
        let anonymous = self.client().clone().without_header("authorization");
        let response = anonymous.catalog().await;
        self.expect(rules[0], None, &response, 401);
        let wrong = self
            .client()
            .clone()
            .basic_auth("osb-conformance", "not-the-password");
        let response = wrong.catalog().await;
        self.expect(rules[1], None, &response, 401);
        let response = anonymous
            .clone()
            .without_header("x-broker-api-version")
            .request(
                Method::PUT,
                "/v2/service_instances/osb-conformance-auth-first",
            )
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await;
        self.expect(rules[2], None, &response, 401);
    }

    async fn version_header(&mut self) {
        let missing = self.client().clone().without_header("x-broker-api-version");
        let response = missing.catalog().await;
        let status = self.suite.missing_version.as_u16();
        self.expect(
            "API Version Header: a request without X-Broker-API-Version is rejected",
            None,
            &response,
            status,
        );
        for (value, rule) in [
            ("abc", "API Version Header: an unparsable version gets 412"),
            ("1.0", "API Version Header: an unsupported version gets 412"),
        ] {
            let response = self
                .client()
                .clone()
                .header("x-broker-api-version", value)
                .catalog()
                .await;
            self.expect(rule, None, &response, 412);
        }
    }

    async fn request_identity(&mut self) {
        let identity = "osb-conformance-e7c1b9a4";
        let rule = "Request Identity: X-Broker-API-Request-Identity is echoed on the response";
        let success = self
            .client()
            .clone()
            .header(REQUEST_IDENTITY_HEADER, identity)
            .catalog()
            .await;
        let error = self
            .client()
            .clone()
            .header(REQUEST_IDENTITY_HEADER, identity)
            .request(
                Method::PUT,
                "/v2/service_instances/osb-conformance-identity",
            )
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await;
        for response in [success, error] {
            if response.header(REQUEST_IDENTITY_HEADER.as_str()) != Some(identity) {
                let details = format!("expected the header back\n{}", exchange(None, &response));
                self.record(rule, Outcome::Failed(details));
                return;
            }
        }
        self.record(rule, Outcome::Passed);
    }

    async fn bad_requests(&mut self, catalog: &Catalog) {
        let Some(service) = catalog.services.first() else {
            return;
        };
        let Some(plan) = service.plans.first() else {
            return;
        };
        let id = self.id("bad");
        let response = self
            .client()
            .request(
                Method::PUT,
                &format!("/v2/service_instances/{id}?accepts_incomplete=true"),
            )
            .header("content-type", "application/json")
            .body("{\"service_id\": ")
            .send()
            .await;
        self.expect(
            "Provisioning: a malformed JSON body gets 400",
            None,
            &response,
            400,
        );
        let cases = [
            (
                "Provisioning: an unknown service_id gets 400",
                provision_body("osb-conformance-unknown-service", &plan.id, None),
            ),
            (
                "Provisioning: an unknown plan_id gets 400",
                provision_body(&service.id, "osb-conformance-unknown-plan", None),
            ),
            (
                "Provisioning: a request without service_id gets 400",
                json!({"plan_id": plan.id, "organization_guid": "org", "space_guid": "space"}),
            ),
        ];
        for (rule, body) in cases {
            let response = self.client().provision(&id, &body, true).await;
            self.expect(rule, Some(&body), &response, 400);
        }
        let foreign = catalog
            .services
            .iter()
            .filter(|other| other.id != service.id)
            .flat_map(|other| other.plans.first())
            .next();
        let rule = "Provisioning: a plan of another offering gets 400";
        match foreign {
            Some(foreign) => {
                let body = provision_body(&service.id, &foreign.id, None);
                let response = self.client().provision(&id, &body, true).await;
                self.expect(rule, Some(&body), &response, 400);
            }
            None => self.record(
                rule,
                Outcome::Skipped(String::from("the catalog has one offering")),
            ),
        }
    }

    async fn missing_resources(&mut self, catalog: &Catalog) {
        let Some(service) = catalog.services.first() else {
            return;
        };
        let Some(plan) = service.plans.first() else {
            return;
        };
        let id = self.id("missing");
        let response = self
            .client()
            .deprovision(&id, &service.id, &plan.id, true)
            .await;
        self.expect(
            "Deprovisioning: deleting an instance that does not exist gets 410",
            None,
            &response,
            410,
        );
        if let Some(bindable) = catalog.services.iter().find_map(|s| {
            s.plans
                .iter()
                .find(|p| s.is_plan_bindable(p))
                .map(|p| (s, p))
        }) {
            let (s, p) = bindable;
            let response = self
                .client()
                .unbind(&id, "osb-conformance-missing-binding", &s.id, &p.id, true)
                .await;
            self.expect(
                "Unbinding: deleting a binding that does not exist gets 410",
                None,
                &response,
                410,
            );
        }
        if catalog
            .services
            .iter()
            .any(|s| s.instances_retrievable == Some(true))
        {
            let response = self.client().fetch_instance(&id).await;
            self.expect(
                "Fetching a Service Instance: an instance that does not exist gets 404",
                None,
                &response,
                404,
            );
        }
        if catalog
            .services
            .iter()
            .any(|s| s.bindings_retrievable == Some(true))
        {
            let response = self
                .client()
                .fetch_binding(&id, "osb-conformance-missing-binding")
                .await;
            self.expect(
                "Fetching a Service Binding: a binding that does not exist gets 404",
                None,
                &response,
                404,
            );
        }
    }

    /// Polls `last_operation` (of an instance, or of a binding) until it is no longer
    /// `in progress`; `true` if it reports `succeeded`.
    async fn poll(
        &mut self,
        rule: &str,
        instance_id: &str,
        binding_id: Option<&str>,
        operation: Option<&str>,
    ) -> bool {
        let started = Instant::now();
        loop {
            let response = match binding_id {
                None => self.client().last_operation(instance_id, operation).await,
                Some(binding_id) => {
                    self.client()
                        .binding_last_operation(instance_id, binding_id, operation)
                        .await
                }
            };
            let state = response.json()["state"].as_str().map(str::to_owned);
            match (response.status.as_u16(), state.as_deref()) {
                (200, Some("in progress")) if started.elapsed() < self.suite.poll_timeout => {
                    tokio::time::sleep(self.suite.poll_interval).await;
                }
                (200, Some("succeeded")) => {
                    self.record(rule, Outcome::Passed);
                    return true;
                }
                _ => {
                    let details = format!(
                        "expected 200 with state `succeeded` within {:?}\n{}",
                        self.suite.poll_timeout,
                        exchange(None, &response)
                    );
                    self.record(rule, Outcome::Failed(details));
                    return false;
                }
            }
        }
    }

    async fn lifecycle(
        &mut self,
        catalog: &Catalog,
        service: &crate::catalog::ServiceOffering,
        plan: &crate::catalog::Plan,
    ) {
        let fixture = self.suite.plans.get(&plan.id).cloned().unwrap_or_default();
        let name = &plan.name;
        let id = self.id(name);
        let body = provision_body(&service.id, &plan.id, fixture.provision.as_ref());

        // «Synchronous and Asynchronous Operations»: learn whether the plan is async-only.
        let first = self.client().provision(&id, &body, false).await;
        let asynchronous = first.status == StatusCode::UNPROCESSABLE_ENTITY
            && first.json()["error"] == "AsyncRequired";
        let created = if asynchronous {
            self.record(
                format!("Asynchronous Operations: plan `{name}` answers 422 AsyncRequired without accepts_incomplete"),
                Outcome::Passed,
            );
            let accepted = self.client().provision(&id, &body, true).await;
            if !self.expect(
                &format!("Provisioning: plan `{name}` accepts an asynchronous provision with 202"),
                Some(&body),
                &accepted,
                202,
            ) {
                return;
            }
            let operation = accepted.json()["operation"].as_str().map(str::to_owned);
            let again = self.client().provision(&id, &body, true).await;
            let rule = format!(
                "Provisioning: re-sending plan `{name}`'s provision while it runs gets 202 with the same operation"
            );
            if again.status == StatusCode::ACCEPTED
                && again.json()["operation"] == accepted.json()["operation"]
            {
                self.record(rule, Outcome::Passed);
            } else if again.status == StatusCode::OK {
                self.record(
                    rule,
                    Outcome::Skipped(String::from("it had finished already")),
                );
            } else {
                self.record(rule, Outcome::Failed(exchange(Some(&body), &again)));
            }
            self.poll(
                &format!("Polling Last Operation: plan `{name}`'s provision succeeds"),
                &id,
                None,
                operation.as_deref(),
            )
            .await
        } else {
            self.expect(
                &format!("Provisioning: plan `{name}` provisions synchronously with 201"),
                Some(&body),
                &first,
                201,
            )
        };
        if !created {
            return;
        }
        let again = self.client().provision(&id, &body, asynchronous).await;
        self.expect(
            &format!("Provisioning: re-provisioning plan `{name}` identically gets 200"),
            Some(&body),
            &again,
            200,
        );
        let conflicting = match &fixture.conflicting_provision {
            Some(parameters) => Some(provision_body(&service.id, &plan.id, Some(parameters))),
            None => service
                .plans
                .iter()
                .find(|other| other.id != plan.id)
                .map(|other| provision_body(&service.id, &other.id, None)),
        };
        let rule = format!(
            "Provisioning: re-provisioning plan `{name}`'s instance with other attributes gets 409"
        );
        match conflicting {
            Some(conflicting) => {
                let response = self.client().provision(&id, &conflicting, true).await;
                self.expect(&rule, Some(&conflicting), &response, 409);
            }
            None => self.record(
                rule,
                Outcome::Skipped(String::from("no other plan or conflicting parameters")),
            ),
        }

        if service.instances_retrievable == Some(true) {
            let response = self.client().fetch_instance(&id).await;
            let rule = format!(
                "Fetching a Service Instance: plan `{name}`'s instance answers 200 with its plan"
            );
            if self.expect(&rule, None, &response, 200) {
                let details = response.json();
                if details.get("plan_id").is_some_and(|p| *p != json!(plan.id)) {
                    let last = self.report.checks.len() - 1;
                    self.report.checks[last].outcome = Outcome::Failed(format!(
                        "the plan_id is not the instance's\n{}",
                        exchange(None, &response)
                    ));
                }
            }
        }

        if service.is_plan_bindable(plan) {
            self.binding(service, plan, &fixture, &id).await;
        }

        let deleted = self
            .client()
            .deprovision(&id, &service.id, &plan.id, asynchronous)
            .await;
        let done = if asynchronous {
            self.expect(
                &format!("Deprovisioning: plan `{name}` deprovisions asynchronously with 202"),
                None,
                &deleted,
                202,
            ) && {
                let operation = deleted.json()["operation"].as_str().map(str::to_owned);
                self.poll(
                    &format!("Polling Last Operation: plan `{name}`'s deprovision succeeds"),
                    &id,
                    None,
                    operation.as_deref(),
                )
                .await
            }
        } else {
            self.expect(
                &format!("Deprovisioning: plan `{name}` deprovisions with 200"),
                None,
                &deleted,
                200,
            )
        };
        if done {
            let again = self
                .client()
                .deprovision(&id, &service.id, &plan.id, asynchronous)
                .await;
            self.expect(
                &format!("Deprovisioning: deprovisioning plan `{name}`'s instance again gets 410"),
                None,
                &again,
                410,
            );
            if catalog
                .services
                .iter()
                .any(|s| s.id == service.id && s.instances_retrievable == Some(true))
            {
                let response = self.client().fetch_instance(&id).await;
                self.expect(
                    &format!("Fetching a Service Instance: plan `{name}`'s deprovisioned instance gets 404"),
                    None,
                    &response,
                    404,
                );
            }
        }
    }

    async fn binding(
        &mut self,
        service: &crate::catalog::ServiceOffering,
        plan: &crate::catalog::Plan,
        fixture: &PlanFixture,
        instance_id: &str,
    ) {
        let name = &plan.name;
        let binding_id = self.id(&format!("{name}-binding"));
        let resource = fixture
            .bind_resource
            .clone()
            .unwrap_or_else(|| json!({"app_guid": "osb-conformance-app"}));
        let body = bind_body(&service.id, &plan.id, &resource, fixture.bind.as_ref());
        let first = self
            .client()
            .bind(instance_id, &binding_id, &body, false)
            .await;
        let asynchronous_bind = first.status == StatusCode::UNPROCESSABLE_ENTITY
            && first.json()["error"] == "AsyncRequired";
        let created = if asynchronous_bind {
            let accepted = self
                .client()
                .bind(instance_id, &binding_id, &body, true)
                .await;
            if !self.expect(
                &format!("Binding: plan `{name}` accepts an asynchronous bind with 202"),
                Some(&body),
                &accepted,
                202,
            ) {
                return;
            }
            if accepted.json().get("credentials").is_some() {
                self.record(
                    format!("Binding: plan `{name}`'s 202 carries no credentials"),
                    Outcome::Failed(exchange(Some(&body), &accepted)),
                );
            }
            let operation = accepted.json()["operation"].as_str().map(str::to_owned);
            self.poll(
                &format!(
                    "Polling Last Operation for Service Bindings: plan `{name}`'s bind succeeds"
                ),
                instance_id,
                Some(&binding_id),
                operation.as_deref(),
            )
            .await
        } else {
            self.expect(
                &format!("Binding: plan `{name}` binds synchronously with 201"),
                Some(&body),
                &first,
                201,
            )
        };
        if !created {
            return;
        }
        if !asynchronous_bind {
            let again = self
                .client()
                .bind(instance_id, &binding_id, &body, false)
                .await;
            self.expect(
                &format!("Binding: re-binding plan `{name}` identically gets 200"),
                Some(&body),
                &again,
                200,
            );
        }
        let rule =
            format!("Binding: re-binding plan `{name}`'s binding with other parameters gets 409");
        match &fixture.conflicting_bind_resource {
            Some(other) => {
                let conflicting = bind_body(&service.id, &plan.id, other, fixture.bind.as_ref());
                let response = self
                    .client()
                    .bind(instance_id, &binding_id, &conflicting, true)
                    .await;
                self.expect(&rule, Some(&conflicting), &response, 409);
            }
            None => self.record(
                rule,
                Outcome::Skipped(String::from("no conflicting bind_resource given")),
            ),
        }
        if service.bindings_retrievable == Some(true) {
            let response = self.client().fetch_binding(instance_id, &binding_id).await;
            self.expect(
                &format!("Fetching a Service Binding: plan `{name}`'s binding answers 200"),
                None,
                &response,
                200,
            );
        }
        let deleted = self
            .client()
            .unbind(
                instance_id,
                &binding_id,
                &service.id,
                &plan.id,
                asynchronous_bind,
            )
            .await;
        let done = if asynchronous_bind {
            self.expect(
                &format!("Unbinding: plan `{name}` unbinds asynchronously with 202"),
                None,
                &deleted,
                202,
            ) && {
                let operation = deleted.json()["operation"].as_str().map(str::to_owned);
                self.poll(
                    &format!("Polling Last Operation for Service Bindings: plan `{name}`'s unbind succeeds"),
                    instance_id,
                    Some(&binding_id),
                    operation.as_deref(),
                )
                .await
            }
        } else {
            self.expect(
                &format!("Unbinding: plan `{name}` unbinds with 200"),
                None,
                &deleted,
                200,
            )
        };
        if done {
            let again = self
                .client()
                .unbind(
                    instance_id,
                    &binding_id,
                    &service.id,
                    &plan.id,
                    asynchronous_bind,
                )
                .await;
            self.expect(
                &format!("Unbinding: unbinding plan `{name}`'s binding again gets 410"),
                None,
                &again,
                410,
            );
        }
    }
}

fn provision_body(service_id: &str, plan_id: &str, parameters: Option<&Value>) -> Value {
    let mut body = json!({
        "service_id": service_id,
        "plan_id": plan_id,
        "organization_guid": "osb-conformance-org",
        "space_guid": "osb-conformance-space",
        "context": {
            "platform": "cloudfoundry",
            "organization_guid": "osb-conformance-org",
            "space_guid": "osb-conformance-space"
        },
    });
    if let Some(parameters) = parameters {
        body["parameters"] = parameters.clone();
    }
    body
}

fn bind_body(
    service_id: &str,
    plan_id: &str,
    resource: &Value,
    parameters: Option<&Value>,
) -> Value {
    let mut body = json!({
        "service_id": service_id,
        "plan_id": plan_id,
        "bind_resource": resource,
        "context": {"platform": "cloudfoundry"},
    });
    if let Some(parameters) = parameters {
        body["parameters"] = parameters.clone();
    }
    body
}
