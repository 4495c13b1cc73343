//! The marker impls that say which handlers exist, for the offerings' `ServedBy`
//! bounds to check: `impl ProvisionFor<Small> for MyBroker {}`.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Generics, Ident};

use super::{cfg_predicate, exclusive_cfg};
use crate::broker::op::Op;
use crate::broker::parse::Broker;

/// The marker impls that say which handlers exist, checked by each offering's
/// coverage bound: `impl ProvisionFor<Small> for MyBroker {}`.
pub(super) fn markers(broker: &Broker<'_>, generics: &Generics) -> Vec<TokenStream> {
    let krate = &broker.krate;
    let self_ty = &broker.item.self_ty;
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let mut markers = Vec::new();
    if broker.stateful {
        // The store answers fetch and last-operation requests the broker has no
        // handler for, so the offerings' coverage checks hold without them.
        for op in [
            Op::FetchInstance,
            Op::LastOperation,
            Op::FetchBinding,
            Op::BindingLastOperation,
        ] {
            let Some(marker) = op.broker_marker(krate) else {
                continue;
            };
            // Unless a handler is compiled in: `not(any())` holds when there is none.
            let handlers = broker
                .handlers
                .iter()
                .filter(|handler| handler.op == op)
                .map(cfg_predicate);
            markers.push(quote! {
                #[cfg(not(any(#(#handlers),*)))]
                #[automatically_derived]
                impl #impl_generics #marker for #self_ty #where_clause {}
            });
        }
    }
    for (index, handler) in broker.handlers.iter().enumerate() {
        let cfg = exclusive_cfg(broker, index);
        if let Some(marker) = handler.op.broker_marker(krate) {
            markers.push(quote_spanned! {handler.attr_span=>
                #cfg
                #[automatically_derived]
                impl #impl_generics #marker for #self_ty #where_clause {}
            });
        }
        let Some(marker) = handler.op.plan_marker(krate) else {
            continue;
        };
        match &handler.plans {
            Some(plans) => {
                for plan in plans {
                    markers.push(quote_spanned! {plan.span()=>
                        #cfg
                        #[automatically_derived]
                        impl #impl_generics #marker<#plan> for #self_ty #where_clause {}
                    });
                }
            }
            None => {
                let plan = Ident::new("Plan", Span::mixed_site());
                let mut every = generics.clone();
                every
                    .params
                    .push(syn::parse_quote!(#plan: #krate::dsl::PlanDef));
                let (every_impl, _, every_where) = every.split_for_impl();
                markers.push(quote_spanned! {handler.attr_span=>
                    #cfg
                    #[automatically_derived]
                    impl #every_impl #marker<#plan> for #self_ty #every_where {}
                });
            }
        }
    }
    markers
}
