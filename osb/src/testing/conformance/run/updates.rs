//! «Updating a Service Instance»: the 400s, `AsyncRequired`, and an update that
//! changes nothing but what the fixture gives.

use http::Method;
use serde_json::json;

use super::bodies::*;
use super::{PollKind, Run};
use crate::catalog::{Plan, ServiceOffering};
use crate::testing::conformance::PlanFixture;
use crate::wire::paths::instance_path;

impl Run<'_> {
    pub(super) async fn update(
        &mut self,
        service: &ServiceOffering,
        plan: &Plan,
        fixture: &PlanFixture,
        instance_id: &str,
        asynchronous: bool,
    ) {
        let name = &plan.name;
        let mut body = json!({
            "service_id": service.id,
            "context": {"platform": "cloudfoundry"},
        });
        if let Some(parameters) = &fixture.update {
            body["parameters"] = parameters.clone();
        }
        for (rule, bad) in [
            (
                format!(
                    "Updating a Service Instance: plan `{name}`'s update without service_id gets 400"
                ),
                without(body.clone(), "service_id"),
            ),
            (
                format!(
                    "Updating a Service Instance: plan `{name}`'s update with an unknown service_id gets 400"
                ),
                with(
                    body.clone(),
                    "service_id",
                    json!("osb-check-unknown-service"),
                ),
            ),
        ] {
            let response = self.client().update(instance_id, &bad, true).await;
            self.expect(&rule, Some(&bad), &response, 400);
        }
        if asynchronous {
            // Whatever the answer, the update below follows: a broker that updated
            // synchronously takes the same update again.
            self.without_accepts_incomplete(
                &format!("plan `{name}`'s update"),
                Method::PATCH,
                &instance_path(instance_id),
                Some(&body),
            )
            .await;
        }
        let response = self.client().update(instance_id, &body, true).await;
        let rule = format!(
            "Updating a Service Instance: plan `{name}`'s instance accepts an update with 200 or 202"
        );
        let status = response.status.as_u16();
        let expected = if status == 202 { 202 } else { 200 };
        if self.expect(&rule, Some(&body), &response, expected) && status == 202 {
            let operation = response.json()["operation"].as_str().map(str::to_owned);
            self.poll(
                &format!("Polling Last Operation: plan `{name}`'s update succeeds"),
                instance_id,
                None,
                operation.as_deref(),
                plan,
                PollKind::Update,
            )
            .await;
        }
    }
}
