//! «Unbinding»: the 400s, `AsyncRequired`, the unbind and its poll, 410 after.

use http::Method;

use super::{PollKind, Refusal, Run};
use crate::catalog::{Plan, ServiceOffering};
use crate::wire::paths::{binding_path, with_query};

impl Run<'_> {
    pub(super) async fn unbinding(
        &mut self,
        service: &ServiceOffering,
        plan: &Plan,
        instance_id: &str,
        binding_id: &str,
        asynchronous_bind: bool,
    ) {
        let name = &plan.name;
        let path = binding_path(instance_id, binding_id);
        self.bad_deletes(
            &format!("Unbinding: plan `{name}`'s unbind"),
            &path,
            service,
            plan,
        )
        .await;
        let unbound_synchronously = asynchronous_bind
            && self
                .without_accepts_incomplete(
                    &format!("plan `{name}`'s unbind"),
                    Method::DELETE,
                    &with_query(
                        path,
                        &[
                            ("service_id", Some(&service.id)),
                            ("plan_id", Some(&plan.id)),
                        ],
                    ),
                    None,
                )
                .await
                == Refusal::Done;
        let done = if unbound_synchronously {
            true
        } else {
            let deleted = self
                .client()
                .unbind(
                    instance_id,
                    binding_id,
                    &service.id,
                    &plan.id,
                    asynchronous_bind,
                )
                .await;
            if asynchronous_bind {
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
                        Some(binding_id),
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
            }
        };
        if done {
            let again = self
                .client()
                .unbind(
                    instance_id,
                    binding_id,
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
