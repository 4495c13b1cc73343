//! [`Broker`] → tokens: the `osb::Broker` impl with its dispatch, the catalog, the
//! handler markers and the compile-time catalog checks. Cannot fail: everything was
//! checked before.

mod checks;
mod dispatch;
mod markers;

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Generics, Ident, Path};

use super::op::Op;
use super::parse::{Broker, Handler};

/// Names of generated items, unreachable from user code.
fn services_const() -> Ident {
    Ident::new("SERVICES", Span::mixed_site())
}

fn bindable_const() -> Ident {
    Ident::new("BINDABLE", Span::mixed_site())
}

/// `#[cfg(all(…))]` for what a handler's `#[cfg]`s say, if it has any.
fn cfg_attr(handler: &Handler<'_>) -> TokenStream {
    if handler.cfgs.is_empty() {
        return TokenStream::new();
    }
    let predicate = cfg_predicate(handler);
    quote!(#[cfg(#predicate)])
}

/// The `#[cfg]` of what names handler `index` once (its markers, its method when its
/// operation has no plans): its own predicates, and none of the handlers before it
/// that `#[cfg]`s choose against it, so a build with both compiled in reports that
/// (see `checks::cfg_conflicts`) and not a conflict of generated items.
fn exclusive_cfg(broker: &Broker<'_>, index: usize) -> TokenStream {
    let Some(handler) = broker.handlers.get(index) else {
        return TokenStream::new();
    };
    let rivals: Vec<TokenStream> = broker
        .handlers
        .iter()
        .take(index)
        .filter(|earlier| {
            earlier.op == handler.op
                && crate::broker::check::cfg_chosen(earlier, handler)
                && checks::overlap(handler.op, earlier, handler).is_some()
        })
        .map(cfg_predicate)
        .collect();
    if rivals.is_empty() {
        return cfg_attr(handler);
    }
    let own = cfg_predicate(handler);
    quote!(#[cfg(all(#own, not(any(#(#rivals),*))))])
}

/// `all(…)` of a handler's `#[cfg]` predicates (`all()` holds: no `#[cfg]`).
fn cfg_predicate(handler: &Handler<'_>) -> TokenStream {
    let cfgs = &handler.cfgs;
    quote!(all(#(#cfgs),*))
}

// Input:   #[osb::broker(services(Db))] impl MyBroker { #[provision(Small)] async fn provision(&self, r: Provision<P>) -> … }
// Output:  const _: () = { positions; checks; impl ::osb::Broker for MyBroker { dispatch }; markers; coverage };
pub(crate) fn broker(broker: &Broker<'_>) -> TokenStream {
    let krate = &broker.krate;
    let item = broker.item;
    let self_ty = &item.self_ty;
    let generics = with_static_self(&item.generics, self_ty);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let services = &broker.services;
    let services_const = services_const();
    let bindable_const = bindable_const();
    let plan_ids = services
        .iter()
        .map(|s| quote_spanned!(s.span()=> <#s as #krate::dsl::ServiceDef>::PLAN_IDS));
    let plan_bindable = services
        .iter()
        .map(|s| quote_spanned!(s.span()=> <#s as #krate::dsl::ServiceDef>::PLAN_BINDABLE));
    let positions = checks::positions(broker);
    let position_consts = &positions.consts;
    let all_positions = positions.names.iter().flatten();
    let catalog_checks = checks::catalog(broker);
    let handler_checks = checks::handlers(broker);
    let cfg_conflicts = checks::cfg_conflicts(broker);
    let methods = Op::ALL
        .into_iter()
        .flat_map(|op| dispatch::methods(broker, op, &positions));
    let markers = markers::markers(broker, &generics);
    let stateful = broker.stateful.then(|| {
        quote!(
            const STATEFUL: bool = true;
        )
    });
    // At the broker's type, where a missing handler belongs: rustc reports an unmet
    // requirement of an offering at the tokens that ask for it.
    let served = services.iter().map(|service| {
        dispatch::respan(
            quote!(<#service as #krate::dsl::rules::ServedBy<#self_ty>>::served();),
            self_ty.span(),
        )
    });
    let check_served = Ident::new("check_served", Span::mixed_site());
    let service_definitions = services
        .iter()
        .map(|s| quote_spanned!(s.span()=> <#s as #krate::dsl::ServiceDef>::definition()));
    quote! {
        const _: () = {
            const #services_const: &[&[&str]] = &[#(#plan_ids),*];
            const #bindable_const: &[&[bool]] = &[#(#plan_bindable),*];
            #(#position_consts)*
            const _: () = { #(let _ = #all_positions;)* let _ = #bindable_const; };
            #catalog_checks
            #handler_checks
            #cfg_conflicts

            #[automatically_derived]
            impl #impl_generics #krate::Broker for #self_ty #where_clause {
                fn catalog(&self) -> #krate::catalog::Catalog {
                    <Self as #krate::dsl::CatalogDef>::catalog()
                }
                #stateful
                #(#methods)*
            }

            // After `osb::Broker`: a type with two `#[osb::broker]` blocks is first told
            // it implements `osb::Broker` twice.
            #[automatically_derived]
            impl #impl_generics #krate::dsl::CatalogDef for #self_ty #where_clause {
                fn catalog() -> #krate::catalog::Catalog {
                    #krate::catalog::Catalog::new([#(#service_definitions),*])
                }
            }

            #(#markers)*

            #[allow(dead_code)]
            fn #check_served #impl_generics () #where_clause {
                #(#served)*
            }
        };
    }
}

/// The item's generics plus `Self: Send + Sync + 'static`, which `osb::Broker`
/// requires, so a generic broker only needs bounds that make it so.
fn with_static_self(generics: &Generics, self_ty: &syn::Type) -> Generics {
    let mut generics = generics.clone();
    if !generics.params.is_empty() {
        generics
            .make_where_clause()
            .predicates
            .push(syn::parse_quote!(
                #self_ty: ::core::marker::Send + ::core::marker::Sync + 'static
            ));
    }
    generics
}

/// The broker's type as written, for messages: `MyBroker`.
fn broker_name(broker: &Broker<'_>) -> String {
    broker
        .item
        .self_ty
        .to_token_stream()
        .to_string()
        .replace(' ', "")
}

/// For a broker with errors: `osb::Broker` and `CatalogDef` impls that answer
/// nothing, so code using the broker does not fail too.
pub(crate) fn dummy(item: &syn::ItemImpl, krate: &Path) -> TokenStream {
    let self_ty = &item.self_ty;
    let generics = with_static_self(&item.generics, self_ty);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    quote! {
        impl #impl_generics #krate::dsl::CatalogDef for #self_ty #where_clause {
            fn catalog() -> #krate::catalog::Catalog {
                #krate::catalog::Catalog::new([])
            }
        }
        impl #impl_generics #krate::Broker for #self_ty #where_clause {
            fn catalog(&self) -> #krate::catalog::Catalog {
                #krate::catalog::Catalog::new([])
            }
            async fn provision(&self, _: #krate::Provision) -> ::core::result::Result<#krate::Provisioned, #krate::Error> {
                ::core::result::Result::Err(#krate::Error::not_supported())
            }
            async fn deprovision(&self, _: #krate::Deprovision) -> ::core::result::Result<#krate::Deprovisioned, #krate::Error> {
                ::core::result::Result::Err(#krate::Error::not_supported())
            }
        }
    }
}
