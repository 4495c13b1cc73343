//! The checks of the broker's catalog and handlers that need the offerings' and
//! plans' values: `const` items that fail the build with a message at the user's
//! span (an anonymous `const _`, so the message names nothing generated).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::Ident;
use syn::spanned::Spanned;

use super::{bindable_const, broker_name, cfg_attr, cfg_predicate, services_const};
use crate::broker::check::cfg_chosen;
use crate::broker::op::{Op, Plans};
use crate::broker::parse::{Broker, Handler};
use crate::paths::{path_text, same_path};

/// One position constant per (handler, plan), in handler order.
pub(super) struct Positions {
    pub(super) consts: Vec<TokenStream>,
    pub(super) names: Vec<Vec<Ident>>,
}

/// Where each handler's plans stand among the broker's plans (the dispatch compares
/// them with the request's), and a check that each is a plan the broker serves.
pub(super) fn positions(broker: &Broker<'_>) -> Positions {
    let krate = &broker.krate;
    let services_const = services_const();
    let broker_name = broker_name(broker);
    let mut consts = Vec::new();
    let mut names = Vec::new();
    let mut n: usize = 0;
    for handler in &broker.handlers {
        let mut handler_names = Vec::new();
        for plan in handler.plans.iter().flatten() {
            let name = format_ident!("POSITION_{}", n, span = Span::mixed_site());
            n += 1;
            let message = format!(
                "plan `{}` is not a plan of the service offerings broker `{broker_name}` serves: \
                 list its offering in `#[osb::broker(services(…))]` or the plan in the offering's `plans(…)`",
                path_text(plan)
            );
            let position = quote!(#krate::__private::position(#services_const, <#plan as #krate::dsl::PlanDef>::ID));
            consts.push(quote_spanned! {plan.span()=>
                const #name: usize = match #position {
                    ::core::option::Option::Some(position) => position,
                    ::core::option::Option::None => usize::MAX,
                };
                const _: () = if #position.is_none() {
                    ::core::panic!(#message);
                };
            });
            handler_names.push(name);
        }
        names.push(handler_names);
    }
    Positions { consts, names }
}

/// «Service Offering Object»: ids MUST be globally unique, names unique across
/// offerings (and not only by case, which platforms ignore). Plans within an
/// offering are checked by `#[osb::service]`.
pub(super) fn catalog(broker: &Broker<'_>) -> TokenStream {
    let krate = &broker.krate;
    let services = &broker.services;
    let services_const = services_const();
    let broker_name = broker_name(broker);
    let mut checks = Vec::new();
    for (i, a) in services.iter().enumerate() {
        let (a_text, a_def) = (path_text(a), quote!(<#a as #krate::dsl::ServiceDef>));
        let plan_clash = format!(
            "service offering `{a_text}` has the id of a plan of broker `{broker_name}`; ids MUST be globally unique"
        );
        checks.push(quote_spanned! {a.span()=>
            if #krate::__private::position(#services_const, #a_def::ID).is_some() {
                ::core::panic!(#plan_clash);
            }
        });
        for b in services.iter().skip(i + 1) {
            let (b_text, b_def) = (path_text(b), quote!(<#b as #krate::dsl::ServiceDef>));
            let ids = format!(
                "service offerings `{a_text}` and `{b_text}` have the same id; ids MUST be globally unique"
            );
            let names = format!(
                "service offerings `{a_text}` and `{b_text}` have the same name; names MUST be unique among offerings"
            );
            let case = format!(
                "the names of service offerings `{a_text}` and `{b_text}` differ only in case; platforms compare \
                 offering names ignoring case (Cloud Foundry refuses the catalog): rename one"
            );
            let plans = format!(
                "a plan of `{a_text}` and a plan of `{b_text}` have the same id (is one plan listed in both?); ids MUST be globally unique"
            );
            checks.push(quote_spanned! {b.span()=>
                if #krate::__private::str_eq(#a_def::ID, #b_def::ID) {
                    ::core::panic!(#ids);
                }
                if #krate::__private::str_eq(#a_def::NAME, #b_def::NAME) {
                    ::core::panic!(#names);
                }
                if #krate::__private::eq_ignore_case(#a_def::NAME, #b_def::NAME) {
                    ::core::panic!(#case);
                }
                if #krate::__private::share_any(#a_def::PLAN_IDS, #b_def::PLAN_IDS) {
                    ::core::panic!(#plans);
                }
            });
        }
    }
    quote!(const _: () = { #(#checks)* };)
}

/// Handlers the platform never calls, given the catalog: binding handlers of plans
/// that are not bindable (or of a broker with no bindable plan), fetch handlers
/// without an offering that makes its resources retrievable. Each is an error at the
/// handler, so a declaration never contradicts the catalog silently.
pub(super) fn handlers(broker: &Broker<'_>) -> TokenStream {
    let krate = &broker.krate;
    let services_const = services_const();
    let bindable_const = bindable_const();
    let broker_name = broker_name(broker);
    let mut checks = Vec::new();
    for handler in &broker.handlers {
        let cfg = cfg_attr(handler);
        let name = &handler.function.sig.ident;
        let op = handler.op.name();
        let binding = matches!(
            handler.op,
            Op::Bind | Op::Unbind | Op::FetchBinding | Op::BindingLastOperation
        );
        match &handler.plans {
            Some(plans) if binding => {
                for plan in plans {
                    let message = format!(
                        "plan `{}` is not bindable, so the platform never calls its `#[{op}]` handler `{name}`: \
                         set `bindable` on the plan or its offering, or remove the plan from the handler",
                        path_text(plan)
                    );
                    checks.push(quote_spanned! {plan.span()=>
                        #cfg
                        const _: () = if let ::core::option::Option::Some(false) = #krate::__private::plan_flag(
                            #services_const,
                            #bindable_const,
                            <#plan as #krate::dsl::PlanDef>::ID,
                        ) {
                            ::core::panic!(#message);
                        };
                    });
                }
            }
            None if binding => {
                let message = format!(
                    "no plan of broker `{broker_name}` is bindable, so the platform never calls the `#[{op}]` \
                     handler `{name}`: set `bindable` on an offering or plan, or remove the handler"
                );
                checks.push(quote_spanned! {handler.attr_span=>
                    #cfg
                    const _: () = if !#krate::__private::any_of(#bindable_const) {
                        ::core::panic!(#message);
                    };
                });
            }
            _ => {}
        }
        let retrievable = match handler.op {
            Op::FetchInstance => Some(("INSTANCES_RETRIEVABLE", "instances_retrievable")),
            Op::FetchBinding => Some(("BINDINGS_RETRIEVABLE", "bindings_retrievable")),
            _ => None,
        };
        if let Some((flag, key)) = retrievable {
            let flag = Ident::new(flag, Span::call_site());
            let flags = broker
                .services
                .iter()
                .map(|s| quote!(<#s as #krate::dsl::ServiceDef>::#flag));
            let message = format!(
                "no service offering of broker `{broker_name}` declares `{key}`, so platforms never call \
                 the `#[{op}]` handler `{name}` (OSB: only if the offering is `{key}`): \
                 add `{key}` to the offering, or remove the handler"
            );
            checks.push(quote_spanned! {handler.attr_span=>
                #cfg
                const _: () = if !(false #(|| #flags)*) {
                    ::core::panic!(#message);
                };
            });
        }
    }
    quote!(#(#checks)*)
}

/// Handlers the checks let stand because `#[cfg]`s choose between them: an error
/// for a build in which both are compiled in.
pub(super) fn cfg_conflicts(broker: &Broker<'_>) -> TokenStream {
    let mut errors = Vec::new();
    for op in Op::ALL {
        let handlers: Vec<&Handler<'_>> = broker.handlers.iter().filter(|h| h.op == op).collect();
        for (i, later) in handlers.iter().enumerate() {
            for earlier in handlers.iter().take(i) {
                if !cfg_chosen(earlier, later) {
                    continue;
                }
                let Some(what) = overlap(op, earlier, later) else {
                    continue;
                };
                let message = format!(
                    "`{}` and `{}` are both the `#[{}]` handler of {what} in this build: \
                     their `#[cfg]`s must exclude each other",
                    earlier.function.sig.ident,
                    later.function.sig.ident,
                    op.name()
                );
                let (a, b) = (cfg_predicate(earlier), cfg_predicate(later));
                errors.push(quote_spanned! {later.attr_span=>
                    #[cfg(all(#a, #b))]
                    ::core::compile_error!(#message);
                });
            }
        }
    }
    quote!(#(#errors)*)
}

/// What two handlers of `op` both handle, if anything: a plan both list, or every
/// plan when one lists none.
pub(super) fn overlap(op: Op, a: &Handler<'_>, b: &Handler<'_>) -> Option<String> {
    match (&a.plans, &b.plans) {
        (Some(a), Some(b)) => a
            .iter()
            .find(|plan| b.iter().any(|other| same_path(plan, other)))
            .map(|plan| format!("plan `{}`", path_text(plan))),
        _ if op.plans() == Plans::None => Some(String::from("the broker")),
        _ => Some(String::from("every plan")),
    }
}
