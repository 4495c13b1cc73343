//! A binding's life: bind, its shape, rotation, fetch, unbind.

use http::StatusCode;
use serde_json::{Value, json};

use super::bodies::*;
use super::{PollKind, Run, exchange};
use crate::catalog::{Plan, ServiceOffering};
use crate::testing::TestResponse;
use crate::testing::conformance::{Outcome, PlanFixture};
use crate::wire::BindingBody;
use crate::wire::paths::binding_path;

impl Run<'_> {
    /// «Binding» › «Body»: the answer has the specification's shape (`endpoints` of
    /// 2.15, `metadata` of 2.16 with `renew_before` ≤ `expires_at`, credentials an
    /// object).
    pub(super) fn binding_shape(&mut self, name: &str, body: &Value, response: &TestResponse) {
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
    pub(super) async fn rotation(
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

    pub(super) async fn binding(
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
        self.bad_binds(name, instance_id, &body).await;
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
            // «Asynchronous Operations»: `accepts_incomplete=false` is refused like a
            // request without it. Sent before the bind exists, so it cannot be taken
            // for a re-sent bind.
            let refused = self
                .client()
                .request(
                    http::Method::PUT,
                    &format!(
                        "{}?accepts_incomplete=false",
                        binding_path(instance_id, &binding_id)
                    ),
                )
                .json(&body)
                .send()
                .await;
            self.expect_error(
                &format!(
                    "Asynchronous Operations: plan `{name}`'s bind with accepts_incomplete=false gets 422 AsyncRequired"
                ),
                Some(&body),
                &refused,
                422,
                "AsyncRequired",
            );
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
        {
            // «Binding»: an identical bind of an existing binding gets 200, also once
            // an asynchronous bind has finished.
            let again = self
                .client()
                .bind(instance_id, &binding_id, &body, asynchronous_bind)
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
        self.unbinding(service, plan, instance_id, &binding_id, asynchronous_bind)
            .await;
    }
}
