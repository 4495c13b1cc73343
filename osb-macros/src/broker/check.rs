//! Checks across handlers: one handler per operation and plan, unless `#[cfg]`s
//! choose between them. Checks of a single handler happen while parsing (serde's
//! `check.rs` rule).

use super::op::{Op, Plans};
use super::parse::Broker;
use super::parse::Handler;
use crate::ctxt::Ctxt;
use crate::paths::{path_text, same_path};

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
                if cfg_chosen(earlier, handler) {
                    // Both compiled in at once is an error the expansion guards.
                    continue;
                }
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

/// Whether two handlers of one operation are alternatives chosen by `#[cfg]`, such
/// as a `#[cfg(test)]` fake and a `#[cfg(not(test))]` real one: both carry `#[cfg]`s,
/// and not the same ones. Whether the predicates really exclude each other is only
/// known to the compiler, so the expansion adds an error for both compiled in at once.
pub(crate) fn cfg_chosen(a: &Handler<'_>, b: &Handler<'_>) -> bool {
    let text = |handler: &Handler<'_>| {
        handler
            .cfgs
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
    };
    !a.cfgs.is_empty() && !b.cfgs.is_empty() && text(a) != text(b)
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;

    fn messages(args: TokenStream, item: TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let item: syn::ItemImpl = syn::parse2(item).unwrap();
        if let Some(broker) = Broker::from_syn(&cx, args, &item) {
            check(&cx, &broker);
        }
        cx.messages()
    }

    #[test]
    fn one_handler_per_plan_unless_cfgs_choose() {
        let twice = messages(
            quote!(services(Db)),
            quote!(impl B {
                #[provision(Small)] async fn a(&self, r: Provision) -> R { todo!() }
                #[provision(Small)] async fn b(&self, r: Provision) -> R { todo!() }
            }),
        );
        assert_eq!(
            twice,
            ["plan `Small` already has a `#[provision]` handler: `a`"]
        );
        let chosen = messages(
            quote!(services(Db)),
            quote!(impl B {
                #[cfg(test)] #[provision(Small)] async fn a(&self, r: Provision) -> R { todo!() }
                #[cfg(not(test))] #[provision(Small)] async fn b(&self, r: Provision) -> R { todo!() }
            }),
        );
        assert_eq!(chosen, Vec::<String>::new());
        // The same `#[cfg]` on both cannot choose between them.
        let same = messages(
            quote!(services(Db)),
            quote!(impl B {
                #[cfg(test)] #[fetch_instance] async fn a(&self, r: FetchInstance) -> R { todo!() }
                #[cfg(test)] #[fetch_instance] async fn b(&self, r: FetchInstance) -> R { todo!() }
            }),
        );
        assert_eq!(
            same,
            ["two `#[fetch_instance]` handlers, `a` and `b`: only one is possible"]
        );
    }

    #[test]
    fn a_broker_that_borrows_is_refused_at_its_lifetime() {
        let borrows = messages(
            quote!(services(Db)),
            quote!(
                impl<'a> B<'a> {
                    #[deprovision]
                    async fn d(&self, r: Deprovision) -> R {
                        todo!()
                    }
                }
            ),
        );
        assert!(
            borrows[0].starts_with("a broker cannot borrow (`'a`)"),
            "{borrows:?}"
        );
    }

    #[test]
    fn handlers_with_only_lifetimes_are_accepted() {
        let lifetimes = messages(
            quote!(services(Db)),
            quote!(impl B { #[deprovision] async fn d<'a>(&'a self, r: Deprovision) -> R { todo!() } }),
        );
        assert_eq!(lifetimes, Vec::<String>::new());
    }
}
