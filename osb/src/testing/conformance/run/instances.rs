//! An instance's life: provision, the repeats and conflicts, fetch, deprovision.

use http::{Method, StatusCode};
use serde_json::json;

use super::bodies::*;
use super::{PollKind, Refusal, Run, exchange};
use crate::catalog::{Catalog, Plan, ServiceOffering};
use crate::testing::conformance::{Outcome, PlanFixture};
use crate::wire::paths::{instance_path, with_query};

impl Run<'_> {
    /// «Provisioning» (2.15): a provision naming another `maintenance_info.version`
    /// than the plan's gets 422 `MaintenanceInfoConflict`.
    pub(super) async fn maintenance_conflict(
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

    pub(super) async fn lifecycle(
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
            let refused = self
                .client()
                .request(
                    Method::PUT,
                    &format!("{}?accepts_incomplete=false", instance_path(&id)),
                )
                .json(&body)
                .send()
                .await;
            self.expect_error(
                &format!("Asynchronous Operations: plan `{name}` answers 422 AsyncRequired to accepts_incomplete=false"),
                Some(&body),
                &refused,
                422,
                "AsyncRequired",
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
            let path = with_query(
                instance_path(&id),
                &[
                    ("service_id", Some(&service.id)),
                    ("plan_id", Some(&plan.id)),
                ],
            );
            let response = self.client().request(Method::GET, &path).send().await;
            self.expect(
                &format!("Fetching a Service Instance: plan `{name}`'s instance answers 200 to a fetch with the service_id and plan_id hints"),
                None,
                &response,
                200,
            );
        }

        self.update(service, plan, &fixture, &id, asynchronous)
            .await;

        if service.is_plan_bindable(plan) {
            self.binding(service, plan, &fixture, &id).await;
        }

        self.bad_deletes(
            &format!("Deprovisioning: plan `{name}`'s deprovision"),
            &instance_path(&id),
            service,
            plan,
        )
        .await;

        // «Asynchronous Operations»: a deprovision without accepts_incomplete=true of
        // an asynchronous plan's instance gets 422, or is done synchronously.
        let deleted_synchronously = asynchronous
            && self
                .without_accepts_incomplete(
                    &format!("plan `{name}`'s deprovision"),
                    Method::DELETE,
                    &with_query(
                        instance_path(&id),
                        &[
                            ("service_id", Some(&service.id)),
                            ("plan_id", Some(&plan.id)),
                        ],
                    ),
                    None,
                )
                .await
                == Refusal::Done;

        let done = if deleted_synchronously {
            true
        } else if asynchronous {
            let deleted = self
                .client()
                .deprovision(&id, &service.id, &plan.id, true)
                .await;
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
            let deleted = self
                .client()
                .deprovision(&id, &service.id, &plan.id, false)
                .await;
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
}
