//! Requests the broker must refuse (400) and resources that do not exist (404, 410).

use http::Method;
use serde_json::{Value, json};

use super::Run;
use super::bodies::*;
use crate::catalog::{Catalog, Plan, ServiceOffering};
use crate::testing::conformance::Outcome;
use crate::wire::paths::with_query;

impl Run<'_> {
    pub(super) async fn bad_requests(&mut self, catalog: &Catalog) {
        let Some(service) = catalog.services.first() else {
            return;
        };
        let Some(plan) = service.plans.first() else {
            return;
        };
        let id = self.id("bad");
        // A broker that accepts one of these requests made an instance: cleaned up.
        self.created(&id, service, plan);
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
                "Provisioning: a request without plan_id gets 400",
                without(provision_body(&service.id, &plan.id, None), "plan_id"),
            ),
            (
                "Provisioning: a request without organization_guid gets 400",
                without(
                    provision_body(&service.id, &plan.id, None),
                    "organization_guid",
                ),
            ),
            (
                "Provisioning: a request without space_guid gets 400",
                without(provision_body(&service.id, &plan.id, None), "space_guid"),
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

    pub(super) async fn missing_resources(&mut self, catalog: &Catalog) {
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

    /// «Binding»: a bind without an id, or with an id the catalog lacks, gets 400.
    pub(super) async fn bad_binds(&mut self, plan_name: &str, instance_id: &str, body: &Value) {
        let cases = [
            ("without service_id", without(body.clone(), "service_id")),
            ("without plan_id", without(body.clone(), "plan_id")),
            (
                "with an unknown service_id",
                with(
                    body.clone(),
                    "service_id",
                    json!("osb-check-unknown-service"),
                ),
            ),
            (
                "with an unknown plan_id",
                with(body.clone(), "plan_id", json!("osb-check-unknown-plan")),
            ),
        ];
        for (what, bad) in cases {
            let binding_id = self.id(&format!("{plan_name}-binding-bad"));
            let response = self
                .client()
                .bind(instance_id, &binding_id, &bad, true)
                .await;
            self.expect(
                &format!("Binding: plan `{plan_name}`'s bind {what} gets 400"),
                Some(&bad),
                &response,
                400,
            );
        }
    }

    /// «Deprovisioning», «Unbinding»: `service_id` and `plan_id` are required query
    /// parameters; a delete of the resource at `path` that leaves out either gets
    /// 400. `what` begins the rules («Unbinding: plan `small`'s unbind»).
    pub(super) async fn bad_deletes(
        &mut self,
        what: &str,
        path: &str,
        service: &ServiceOffering,
        plan: &Plan,
    ) {
        for (left_out, sent) in [
            ("service_id", ("plan_id", &plan.id)),
            ("plan_id", ("service_id", &service.id)),
        ] {
            let path = with_query(
                path.to_owned(),
                &[(sent.0, Some(sent.1)), ("accepts_incomplete", Some("true"))],
            );
            let response = self.client().request(Method::DELETE, &path).send().await;
            self.expect(
                &format!("{what} without {left_out} gets 400"),
                None,
                &response,
                400,
            );
        }
    }
}
