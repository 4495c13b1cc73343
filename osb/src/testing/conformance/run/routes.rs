//! Every route, not only the catalog, refuses a request without the version header
//! («API Version Header») or without valid credentials («Platform to Service Broker
//! Authentication»), before it looks at what the request asks for.

use http::Method;
use serde_json::{Value, json};

use super::Run;
use super::bodies::*;
use crate::catalog::Catalog;
use crate::testing::TestClient;
use crate::testing::conformance::Outcome;

/// One route of the API: how the rules name it, and the request that probes it.
struct Route {
    label: &'static str,
    method: Method,
    path: String,
    body: Option<Value>,
}

impl Run<'_> {
    pub(super) async fn route_probes(&mut self, catalog: &Catalog) {
        let Some((service, plan)) = catalog
            .services
            .iter()
            .find_map(|service| service.plans.first().map(|plan| (service, plan)))
        else {
            return;
        };
        // A fresh id: a broker that lets a probe through must not find anything. If
        // it creates the instance anyway, the clean-up deletes it.
        let id = self.id("probe");
        self.created(&id, service, plan);
        let instance = format!("/v2/service_instances/{id}");
        let binding = format!("{instance}/service_bindings/{id}-binding");
        let ids = format!(
            "service_id={}&plan_id={}",
            encode(&service.id),
            encode(&plan.id)
        );
        let routes = [
            Route {
                label: "PUT /v2/service_instances/:instance_id",
                method: Method::PUT,
                path: format!("{instance}?accepts_incomplete=true"),
                body: Some(provision_body(&service.id, &plan.id, None)),
            },
            Route {
                label: "PATCH /v2/service_instances/:instance_id",
                method: Method::PATCH,
                path: format!("{instance}?accepts_incomplete=true"),
                body: Some(json!({"service_id": service.id})),
            },
            Route {
                label: "DELETE /v2/service_instances/:instance_id",
                method: Method::DELETE,
                path: format!("{instance}?{ids}&accepts_incomplete=true"),
                body: None,
            },
            Route {
                label: "GET /v2/service_instances/:instance_id/last_operation",
                method: Method::GET,
                path: format!("{instance}/last_operation"),
                body: None,
            },
            Route {
                label: "GET /v2/service_instances/:instance_id",
                method: Method::GET,
                path: instance.clone(),
                body: None,
            },
            Route {
                label: "PUT /v2/service_instances/:instance_id/service_bindings/:binding_id",
                method: Method::PUT,
                path: format!("{binding}?accepts_incomplete=true"),
                body: Some(bind_body(
                    &service.id,
                    &plan.id,
                    &json!({"app_guid": "osb-check-app"}),
                    None,
                )),
            },
            Route {
                label: "DELETE /v2/service_instances/:instance_id/service_bindings/:binding_id",
                method: Method::DELETE,
                path: format!("{binding}?{ids}&accepts_incomplete=true"),
                body: None,
            },
            Route {
                label: "GET /v2/service_instances/:instance_id/service_bindings/:binding_id/last_operation",
                method: Method::GET,
                path: format!("{binding}/last_operation"),
                body: None,
            },
            Route {
                label: "GET /v2/service_instances/:instance_id/service_bindings/:binding_id",
                method: Method::GET,
                path: binding.clone(),
                body: None,
            },
        ];
        let missing_version = self.client().clone().without_header("x-broker-api-version");
        let version_status = self.suite.missing_version.as_u16();
        let anonymous = self.client().clone().without_header("authorization");
        let wrong = self
            .client()
            .clone()
            .basic_auth("osb-check", "not-the-password");
        for route in &routes {
            let response = send(&missing_version, route).await;
            self.expect(
                &format!(
                    "API Version Header: {} without X-Broker-API-Version is rejected",
                    route.label
                ),
                route.body.as_ref(),
                &response,
                version_status,
            );
            let rules = [
                format!(
                    "Platform to Service Broker Authentication: {} without credentials gets 401",
                    route.label
                ),
                format!(
                    "Platform to Service Broker Authentication: {} with wrong credentials gets 401",
                    route.label
                ),
            ];
            if !self.suite.authenticated {
                for rule in rules {
                    self.record(
                        rule,
                        Outcome::Skipped(String::from("no credentials configured")),
                    );
                }
                continue;
            }
            let response = send(&anonymous, route).await;
            self.expect(&rules[0], route.body.as_ref(), &response, 401);
            let response = send(&wrong, route).await;
            self.expect(&rules[1], route.body.as_ref(), &response, 401);
        }
    }
}

async fn send(client: &TestClient, route: &Route) -> crate::testing::TestResponse {
    let request = client.request(route.method.clone(), &route.path);
    match &route.body {
        Some(body) => request.json(body).send().await,
        None => request.send().await,
    }
}
