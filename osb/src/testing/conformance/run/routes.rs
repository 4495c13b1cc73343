//! Every route, not only the catalog, refuses a request without the version header
//! («API Version Header») or without valid credentials («Platform to Service Broker
//! Authentication»), before it looks at what the request asks for.

use http::Method;
use serde_json::{Value, json};

use super::Run;
use super::bodies::*;
use crate::catalog::{Catalog, Plan, ServiceOffering};
use crate::testing::TestClient;
use crate::testing::conformance::Outcome;
use crate::wire::paths::{binding_path, instance_path, with_query};

/// The nine routes after the catalog.
#[derive(Clone, Copy)]
enum Route {
    Provision,
    Update,
    Deprovision,
    InstancePoll,
    FetchInstance,
    Bind,
    Unbind,
    BindingPoll,
    FetchBinding,
}

/// One probe: a route, and the request that reaches it.
struct Probe {
    route: Route,
    method: Method,
    path: String,
    body: Option<Value>,
}

impl Route {
    const ALL: [Route; 9] = [
        Route::Provision,
        Route::Update,
        Route::Deprovision,
        Route::InstancePoll,
        Route::FetchInstance,
        Route::Bind,
        Route::Unbind,
        Route::BindingPoll,
        Route::FetchBinding,
    ];

    /// How the rules name the route.
    fn label(self) -> &'static str {
        match self {
            Route::Provision => "PUT /v2/service_instances/:instance_id",
            Route::Update => "PATCH /v2/service_instances/:instance_id",
            Route::Deprovision => "DELETE /v2/service_instances/:instance_id",
            Route::InstancePoll => "GET /v2/service_instances/:instance_id/last_operation",
            Route::FetchInstance => "GET /v2/service_instances/:instance_id",
            Route::Bind => "PUT /v2/service_instances/:instance_id/service_bindings/:binding_id",
            Route::Unbind => {
                "DELETE /v2/service_instances/:instance_id/service_bindings/:binding_id"
            }
            Route::BindingPoll => {
                "GET /v2/service_instances/:instance_id/service_bindings/:binding_id/last_operation"
            }
            Route::FetchBinding => {
                "GET /v2/service_instances/:instance_id/service_bindings/:binding_id"
            }
        }
    }

    /// The three rules the route is probed for.
    fn rules(self) -> [String; 3] {
        let label = self.label();
        [
            format!("API Version Header: {label} without X-Broker-API-Version is rejected"),
            format!(
                "Platform to Service Broker Authentication: {label} without credentials gets 401"
            ),
            format!(
                "Platform to Service Broker Authentication: {label} with wrong credentials gets 401"
            ),
        ]
    }

    /// Whether `plan` of `service` has the route: the binding routes need a bindable
    /// plan («Binding»), the fetches need `instances_retrievable` («Fetching a Service
    /// Instance») or `bindings_retrievable` («Fetching a Service Binding»).
    fn offered(self, service: &ServiceOffering, plan: &Plan) -> bool {
        match self {
            Route::Provision | Route::Update | Route::Deprovision | Route::InstancePoll => true,
            Route::FetchInstance => service.instances_retrievable == Some(true),
            Route::Bind | Route::Unbind | Route::BindingPoll => service.is_plan_bindable(plan),
            Route::FetchBinding => {
                service.bindings_retrievable == Some(true) && service.is_plan_bindable(plan)
            }
        }
    }

    /// Why the route is not probed when no plan has it.
    fn why_not_offered(self) -> &'static str {
        match self {
            Route::Provision | Route::Update | Route::Deprovision | Route::InstancePoll => {
                "the catalog has no plan"
            }
            Route::FetchInstance => "no offering has instances_retrievable: true",
            Route::Bind | Route::Unbind | Route::BindingPoll => "no plan is bindable",
            Route::FetchBinding => {
                "no offering with bindings_retrievable: true has a bindable plan"
            }
        }
    }
}

impl Run<'_> {
    /// Probes each route with the first plan that has it, so a broker that answers a
    /// route its catalog does not offer with 404 is not blamed for it.
    pub(super) async fn route_probes(&mut self, catalog: &Catalog) {
        // One fresh id for every probe: a broker that lets a probe through finds
        // nothing. If it creates the instance anyway, the clean-up deletes it.
        let id = self.id("probe");
        let mut probes = Vec::new();
        for route in Route::ALL {
            let offering = catalog.services.iter().find_map(|service| {
                let plan = service
                    .plans
                    .iter()
                    .find(|plan| route.offered(service, plan));
                plan.map(|plan| (service, plan))
            });
            match offering {
                Some((service, plan)) => {
                    if probes.is_empty() {
                        self.created(&id, service, plan);
                    }
                    probes.push(probe(route, &id, service, plan));
                }
                None => {
                    for rule in route.rules() {
                        let reason = String::from(route.why_not_offered());
                        self.record(rule, Outcome::Skipped(reason));
                    }
                }
            }
        }
        let missing_version = self.client().clone().without_header("x-broker-api-version");
        let version_status = self.suite.missing_version.as_u16();
        let anonymous = self.client().clone().without_header("authorization");
        let wrong = self
            .client()
            .clone()
            .basic_auth("osb-check", "not-the-password");
        for probe in &probes {
            let [version, without, wrong_credentials] = probe.route.rules();
            let response = send(&missing_version, probe).await;
            self.expect(&version, probe.body.as_ref(), &response, version_status);
            if !self.suite.authenticated {
                for rule in [without, wrong_credentials] {
                    self.record(
                        rule,
                        Outcome::Skipped(String::from("no credentials configured")),
                    );
                }
                continue;
            }
            let response = send(&anonymous, probe).await;
            self.expect(&without, probe.body.as_ref(), &response, 401);
            let response = send(&wrong, probe).await;
            self.expect(&wrong_credentials, probe.body.as_ref(), &response, 401);
        }
    }
}

/// The probe of `route` for `plan` of `service`, on the instance id `id`.
fn probe(route: Route, id: &str, service: &ServiceOffering, plan: &Plan) -> Probe {
    let instance = instance_path(id);
    let binding = binding_path(id, &format!("{id}-binding"));
    // What a delete sends: both ids, and that it takes an asynchronous answer.
    let delete = |resource: &str| {
        with_query(
            resource.to_owned(),
            &[
                ("service_id", Some(&service.id)),
                ("plan_id", Some(&plan.id)),
                ("accepts_incomplete", Some("true")),
            ],
        )
    };
    let (method, path, body) = match route {
        Route::Provision => (
            Method::PUT,
            format!("{instance}?accepts_incomplete=true"),
            Some(provision_body(&service.id, &plan.id, None)),
        ),
        Route::Update => (
            Method::PATCH,
            format!("{instance}?accepts_incomplete=true"),
            Some(json!({"service_id": service.id})),
        ),
        Route::Deprovision => (Method::DELETE, delete(&instance), None),
        Route::InstancePoll => (Method::GET, format!("{instance}/last_operation"), None),
        Route::FetchInstance => (Method::GET, instance, None),
        Route::Bind => (
            Method::PUT,
            format!("{binding}?accepts_incomplete=true"),
            Some(bind_body(
                &service.id,
                &plan.id,
                &json!({"app_guid": "osb-check-app"}),
                None,
            )),
        ),
        Route::Unbind => (Method::DELETE, delete(&binding), None),
        Route::BindingPoll => (Method::GET, format!("{binding}/last_operation"), None),
        Route::FetchBinding => (Method::GET, binding, None),
    };
    Probe {
        route,
        method,
        path,
        body,
    }
}

async fn send(client: &TestClient, probe: &Probe) -> crate::testing::TestResponse {
    let request = client.request(probe.method.clone(), &probe.path);
    match &probe.body {
        Some(body) => request.json(body).send().await,
        None => request.send().await,
    }
}
