//! One run of the suite: the checks, in the order they run.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Check, Conformance, Created, Outcome, PlanFixture, Report};
use crate::api::REQUEST_IDENTITY_HEADER;
use crate::catalog::{Catalog, Plan, ServiceOffering};
use crate::testing::{TestClient, TestResponse};
use crate::wire::BindingBody;

/// The catalog schema of the specification's openapi.yaml (v2.17), made by
/// conformance/spec/catalog_schema.py.
const CATALOG_SCHEMA: &str = include_str!("../catalog.schema.json");

/// What is being polled, for the checks that depend on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PollKind {
    /// A provision: its answers carry no field of a failed update.
    Provision,
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
        self.catalog_schema(&response);
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

    /// «Catalog Management»: the body validates against the catalog schema of the
    /// specification's openapi.yaml (v2.17).
    fn catalog_schema(&mut self, response: &TestResponse) {
        let rule =
            "Catalog Management: the catalog validates against the v2.17 openapi.yaml schema";
        let validator = serde_json::from_str::<Value>(CATALOG_SCHEMA)
            .ok()
            .and_then(|schema| jsonschema::draft7::new(&schema).ok());
        let Some(validator) = validator else {
            self.record(
                rule,
                Outcome::Skipped(String::from("the schema could not be loaded")),
            );
            return;
        };
        let problems: Vec<String> = validator
            .iter_errors(&response.json())
            .map(|error| format!("{}: {error}", error.instance_path()))
            .collect();
        if problems.is_empty() {
            self.record(rule, Outcome::Passed);
        } else {
            self.record(rule, Outcome::Failed(problems.join("\n")));
        }
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
            (
                "Provisioning: an empty service_id gets 400",
                provision_body("", &plan.id, None),
            ),
            (
                "Provisioning: an empty plan_id gets 400",
                provision_body(&service.id, "", None),
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
        let mut retry_after_checked = false;
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
                && !retry_after_checked
            {
                retry_after_checked = true;
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

    /// «Provisioning» (2.15): a provision naming another `maintenance_info.version`
    /// than the plan's gets 422 `MaintenanceInfoConflict`.
    async fn maintenance_conflict(
        &mut self,
        service: &ServiceOffering,
        plan: &Plan,
        fixture: &PlanFixture,
    ) {
        let rule = format!(
            "Provisioning: plan `{}` answers 422 MaintenanceInfoConflict to another maintenance_info version",
            plan.name
        );
        if plan.maintenance_info.is_none() {
            self.record(
                rule,
                Outcome::Skipped(String::from("the plan has no maintenance_info")),
            );
            return;
        }
        let id = self.id(&format!("{}-maintenance", plan.name));
        self.created(&id, service, plan);
        let mut body = provision_body(&service.id, &plan.id, fixture.provision.as_ref());
        body["maintenance_info"] = json!({"version": "0.0.0-osb-check"});
        let response = self.client().provision(&id, &body, true).await;
        if self.expect(&rule, Some(&body), &response, 422) {
            if response.json()["error"] != "MaintenanceInfoConflict" {
                let last = self.report.checks.len() - 1;
                self.report.checks[last].outcome = Outcome::Failed(format!(
                    "expected the error code MaintenanceInfoConflict\n{}",
                    exchange(Some(&body), &response)
                ));
            }
            self.deleted(&id);
        }
    }

    async fn lifecycle(
        &mut self,
        catalog: &Catalog,
        service: &crate::catalog::ServiceOffering,
        plan: &crate::catalog::Plan,
    ) {
        let fixture = self.fixture_of(plan).cloned().unwrap_or_default();
        let name = &plan.name;
        self.maintenance_conflict(service, plan, &fixture).await;
        let id = self.id(name);
        self.created(&id, service, plan);
        let body = provision_body(&service.id, &plan.id, fixture.provision.as_ref());

        // «Synchronous and Asynchronous Operations»: learn whether the plan is async-only.
        let first = self.client().provision(&id, &body, false).await;
        let asynchronous = first.status == StatusCode::UNPROCESSABLE_ENTITY
            && first.json()["error"] == "AsyncRequired";
        if fixture.async_only && !asynchronous {
            self.record(
                format!("Asynchronous Operations: plan `{name}` answers 422 AsyncRequired without accepts_incomplete"),
                Outcome::Failed(format!(
                    "the fixture says the plan is asynchronous only\n{}",
                    exchange(Some(&body), &first)
                )),
            );
        }
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
                plan,
                PollKind::Provision,
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

        if service.instances_retrievable == Some(true) {
            let path = format!(
                "/v2/service_instances/{id}?service_id={}&plan_id={}",
                encode(&service.id),
                encode(&plan.id)
            );
            let response = self.client().request(Method::GET, &path).send().await;
            self.expect(
                &format!("Fetching a Service Instance: plan `{name}`'s instance answers 200 to a fetch with the service_id and plan_id hints"),
                None,
                &response,
                200,
            );
        }

        if service.is_plan_bindable(plan) {
            self.binding(service, plan, &fixture, &id).await;
        }

        let response = self
            .client()
            .request(
                Method::DELETE,
                &format!("/v2/service_instances/{id}?accepts_incomplete=true"),
            )
            .send()
            .await;
        self.expect(
            "Deprovisioning: a request without service_id and plan_id gets 400",
            None,
            &response,
            400,
        );

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
                    plan,
                    PollKind::Delete,
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
            self.deleted(&id);
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

    /// «Binding» › «Body»: the answer has the specification's shape (`endpoints` of
    /// 2.15, `metadata` of 2.16 with `renew_before` ≤ `expires_at`, credentials an
    /// object).
    fn binding_shape(&mut self, name: &str, body: &Value, response: &TestResponse) {
        let rule = format!(
            "Binding: plan `{name}`'s binding has the specification's shape (credentials, endpoints, volume_mounts, metadata)"
        );
        let problem = match serde_json::from_slice::<BindingBody<'static>>(&response.body) {
            Err(err) => Some(format!("the body is not a binding: {err}")),
            Ok(binding) => {
                let times = binding
                    .metadata
                    .as_ref()
                    .and_then(|m| m.expires_at.zip(m.renew_before));
                if let Some((expires, renew)) = times
                    && renew > expires
                {
                    Some(String::from(
                        "metadata.renew_before is after metadata.expires_at",
                    ))
                } else if binding
                    .credentials
                    .as_ref()
                    .is_some_and(|c| !c.get().trim_start().starts_with('{'))
                {
                    Some(String::from("credentials is not a JSON object"))
                } else {
                    None
                }
            }
        };
        match problem {
            None => self.record(rule, Outcome::Passed),
            Some(problem) => self.record(
                rule,
                Outcome::Failed(format!("{problem}\n{}", exchange(Some(body), response))),
            ),
        }
    }

    /// «Binding Rotation» (2.17): a bind naming `predecessor_binding_id` makes a new
    /// binding while the old one stays; both are unbound after.
    async fn rotation(
        &mut self,
        service: &ServiceOffering,
        plan: &Plan,
        fixture: &PlanFixture,
        instance_id: &str,
        predecessor: &str,
        asynchronous: bool,
    ) {
        let name = &plan.name;
        let successor = self.id(&format!("{name}-successor"));
        let mut body = json!({
            "service_id": service.id,
            "plan_id": plan.id,
            "predecessor_binding_id": predecessor,
            "context": {"platform": "cloudfoundry"},
        });
        if let Some(parameters) = &fixture.bind {
            body["parameters"] = parameters.clone();
        }
        let response = self
            .client()
            .bind(instance_id, &successor, &body, asynchronous)
            .await;
        let rule = format!(
            "Binding Rotation: plan `{name}` rotates a binding with predecessor_binding_id"
        );
        let made = if asynchronous {
            self.expect(&rule, Some(&body), &response, 202)
                && {
                    let operation = response.json()["operation"].as_str().map(str::to_owned);
                    self.poll(
                    &format!("Polling Last Operation for Service Bindings: plan `{name}`'s rotated bind succeeds"),
                    instance_id,
                    Some(&successor),
                    operation.as_deref(),
                    plan,
                    PollKind::Bind,
                )
                .await
                }
        } else {
            self.expect(&rule, Some(&body), &response, 201)
        };
        if made {
            // The successor goes at once; the predecessor is unbound by the caller.
            let response = self
                .client()
                .unbind(instance_id, &successor, &service.id, &plan.id, true)
                .await;
            if !matches!(response.status.as_u16(), 200 | 202) {
                self.record(
                    format!("Binding Rotation: plan `{name}`'s rotated binding unbinds"),
                    Outcome::Failed(exchange(None, &response)),
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
        let mut without_service = body.clone();
        if let Some(fields) = without_service.as_object_mut() {
            fields.remove("service_id");
        }
        let missing_id = self.id(&format!("{name}-binding-bad"));
        let response = self
            .client()
            .bind(instance_id, &missing_id, &without_service, true)
            .await;
        self.expect(
            "Binding: a request without service_id gets 400",
            Some(&without_service),
            &response,
            400,
        );
        let first = self
            .client()
            .bind(instance_id, &binding_id, &body, false)
            .await;
        if first.status == StatusCode::CREATED {
            self.binding_shape(name, &body, &first);
        }
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
                plan,
                PollKind::Bind,
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
        if plan.binding_rotatable == Some(true) {
            self.rotation(
                service,
                plan,
                fixture,
                instance_id,
                &binding_id,
                asynchronous_bind,
            )
            .await;
        } else {
            self.record(
                format!(
                    "Binding Rotation: plan `{name}` rotates a binding with predecessor_binding_id"
                ),
                Outcome::Skipped(String::from("the plan is not binding_rotatable")),
            );
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
                    plan,
                        PollKind::Delete,
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

/// A query value, form-encoded.
fn encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
