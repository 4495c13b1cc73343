//! Checks across handlers: one handler per operation and plan.
//! Checks of a single handler happen while parsing (serde's `check.rs` rule).

use super::op::{Op, Plans};
use super::parse::Broker;
use crate::ctxt::Ctxt;
use crate::service::{path_text, same_path};

pub(crate) fn check(cx: &Ctxt, broker: &Broker<'_>) {
    for (i, service) in broker.services.iter().enumerate() {
        if broker
            .services
            .iter()
            .take(i)
            .any(|earlier| same_path(earlier, service))
        {
            cx.error_spanned_by(
                service,
                format!("service offering `{}` is listed twice", path_text(service)),
            );
        }
    }
    for op in Op::ALL {
        let handlers: Vec<_> = broker.handlers.iter().filter(|h| h.op == op).collect();
        for (i, handler) in handlers.iter().enumerate() {
            let name = &handler.function.sig.ident;
            for earlier in handlers.iter().take(i) {
                let first = &earlier.function.sig.ident;
                match (&earlier.plans, &handler.plans) {
                    (None, _) | (_, None) => cx.error_spanned_by(
                        handler.attr,
                        format!(
                            "two `#[{}]` handlers, `{first}` and `{name}`: {}",
                            op.name(),
                            if op.plans() == Plans::None {
                                "only one is possible"
                            } else {
                                "one without a plan list handles every plan, so no other is possible"
                            }
                        ),
                    ),
                    (Some(before), Some(now)) => {
                        for plan in now.iter().filter(|p| before.iter().any(|b| same_path(b, p))) {
                            cx.error_spanned_by(
                                plan,
                                format!(
                                    "plan `{}` already has a `#[{}]` handler: `{first}`",
                                    path_text(plan),
                                    op.name()
                                ),
                            );
                        }
                    }
                }
            }
            if let Some(plans) = &handler.plans {
                for (j, plan) in plans.iter().enumerate() {
                    if plans.iter().take(j).any(|p| same_path(p, plan)) {
                        cx.error_spanned_by(
                            plan,
                            format!("plan `{}` is listed twice", path_text(plan)),
                        );
                    }
                }
            }
        }
    }
}
