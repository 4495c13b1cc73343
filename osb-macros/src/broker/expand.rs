//! [`Broker`] → tokens: the `osb::Broker` impl with its dispatch, the catalog, the
//! handler markers and the compile-time catalog checks. Cannot fail: everything was
//! validated before.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Generics, Ident, Path};

use super::op::{Conversion, Op, Plans};
use super::parse::{Broker, Handler};
use crate::service::path_text;

/// Names of generated items, unreachable from user code.
fn services_const() -> Ident {
    Ident::new("__OSB_SERVICES", Span::mixed_site())
}

fn position_const(n: usize) -> Ident {
    format_ident!("__OSB_POSITION_{}", n, span = Span::mixed_site())
}

/// One position constant per (handler, plan), in handler order.
struct Positions {
    consts: Vec<TokenStream>,
    names: Vec<Vec<Ident>>,
}

// Input:   #[osb::broker(services(Db))] impl MyBroker { #[provision(Small)] async fn provision(&self, r: Provision<P>) -> … }
// Output:  const _: () = { positions; checks; impl ::osb::Broker for MyBroker { dispatch }; markers; coverage };
pub(crate) fn broker(broker: &Broker<'_>) -> TokenStream {
    let item = broker.item;
    let self_ty = &item.self_ty;
    let broker_name = quote!(#self_ty).to_string().replace(' ', "");
    let generics = with_static_self(&item.generics, self_ty);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    let services = &broker.services;
    let services_const = services_const();
    let service_ids = services
        .iter()
        .map(|s| quote_spanned!(s.span()=> <#s as ::osb::dsl::ServiceDef>::PLAN_IDS));
    let positions = positions(broker, &broker_name);
    let position_consts = &positions.consts;
    let all_positions = positions.names.iter().flatten();
    let catalog_checks = catalog_checks(services, &broker_name);
    let methods = Op::ALL
        .into_iter()
        .filter_map(|op| method(broker, op, &positions));
    let markers = markers(broker, &generics);
    let stateful = broker.stateful.then(|| {
        quote!(
            const STATEFUL: bool = true;
        )
    });
    let coverage = services.iter().map(|service| {
        quote_spanned! {service.span()=>
            <#service>::__osb_check_handlers::<#self_ty>();
        }
    });
    let service_definitions = services
        .iter()
        .map(|s| quote_spanned!(s.span()=> <#s as ::osb::dsl::ServiceDef>::definition()));
    quote! {
        const _: () = {
            const #services_const: &[&[&str]] = &[#(#service_ids),*];
            #(#position_consts)*
            const _: () = { #(let _ = #all_positions;)* };
            #catalog_checks

            #[automatically_derived]
            impl #impl_generics ::osb::dsl::CatalogDef for #self_ty #where_clause {
                fn catalog() -> ::osb::catalog::Catalog {
                    ::osb::catalog::Catalog::new([#(#service_definitions),*])
                }
            }

            #[automatically_derived]
            impl #impl_generics ::osb::Broker for #self_ty #where_clause {
                fn catalog(&self) -> ::osb::catalog::Catalog {
                    <Self as ::osb::dsl::CatalogDef>::catalog()
                }
                #stateful
                #(#methods)*
            }

            #(#markers)*

            #[allow(dead_code)]
            fn __osb_check_handlers #impl_generics () #where_clause {
                #(#coverage)*
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

fn positions(broker: &Broker<'_>, broker_name: &str) -> Positions {
    let services_const = services_const();
    let mut consts = Vec::new();
    let mut names = Vec::new();
    let mut n = 0;
    for handler in &broker.handlers {
        let mut handler_names = Vec::new();
        for plan in handler.plans.iter().flatten() {
            let name = position_const(n);
            n += 1;
            let message = format!(
                "plan `{}` is not a plan of the service offerings broker `{broker_name}` serves: \
                 list its offering in `#[osb::broker(services(…))]` or the plan in the offering's `plans(…)`",
                path_text(plan)
            );
            consts.push(quote_spanned! {plan.span()=>
                const #name: usize = match ::osb::__private::position(
                    #services_const,
                    <#plan as ::osb::dsl::PlanDef>::ID,
                ) {
                    ::core::option::Option::Some(position) => position,
                    ::core::option::Option::None => ::core::panic!(#message),
                };
            });
            handler_names.push(name);
        }
        names.push(handler_names);
    }
    Positions { consts, names }
}

/// «Service Offering Object»: ids MUST be globally unique, names unique across
/// offerings. Plans within an offering are checked by `#[osb::service]`.
fn catalog_checks(services: &[Path], broker_name: &str) -> TokenStream {
    let services_const = services_const();
    let mut checks = Vec::new();
    for (i, a) in services.iter().enumerate() {
        let (a_text, a_def) = (path_text(a), quote!(<#a as ::osb::dsl::ServiceDef>));
        let plan_clash = format!(
            "service offering `{a_text}` has the id of a plan of broker `{broker_name}`; ids MUST be globally unique"
        );
        checks.push(quote_spanned! {a.span()=>
            if ::osb::__private::position(#services_const, #a_def::ID).is_some() {
                ::core::panic!(#plan_clash);
            }
        });
        for b in services.iter().skip(i + 1) {
            let (b_text, b_def) = (path_text(b), quote!(<#b as ::osb::dsl::ServiceDef>));
            let ids = format!(
                "service offerings `{a_text}` and `{b_text}` have the same id; ids MUST be globally unique"
            );
            let names = format!(
                "service offerings `{a_text}` and `{b_text}` have the same name; names MUST be unique among offerings"
            );
            let plans = format!(
                "a plan of `{a_text}` and a plan of `{b_text}` have the same id (is one plan listed in both?); ids MUST be globally unique"
            );
            checks.push(quote_spanned! {b.span()=>
                if ::osb::__private::str_eq(#a_def::ID, #b_def::ID) {
                    ::core::panic!(#ids);
                }
                if ::osb::__private::str_eq(#a_def::NAME, #b_def::NAME) {
                    ::core::panic!(#names);
                }
                if ::osb::__private::share_any(#a_def::PLAN_IDS, #b_def::PLAN_IDS) {
                    ::core::panic!(#plans);
                }
            });
        }
    }
    quote!(const _: () = { #(#checks)* };)
}

/// The `osb::Broker` method of `op`, if the broker has handlers for it.
fn method(broker: &Broker<'_>, op: Op, positions: &Positions) -> Option<TokenStream> {
    let handlers: Vec<(usize, &Handler<'_>)> = broker
        .handlers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.op == op)
        .collect();
    let method = op.method();
    let request_ty = op.request();
    let ok = op.ok_type();
    if handlers.is_empty() {
        // `provision` and `deprovision` have no default in `osb::Broker`; without a
        // handler the offering's coverage check already names what is missing, so the
        // impl stays complete and rustc does not add "not all trait items implemented".
        if !matches!(op, Op::Provision | Op::Deprovision) {
            return None;
        }
        return Some(quote! {
            fn #method(
                &self,
                _: #request_ty,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<#ok, ::osb::Error>,
            > + ::core::marker::Send {
                ::core::future::ready(::core::result::Result::Err(::osb::Error::not_supported()))
            }
        });
    }
    let request = Ident::new("request", Span::mixed_site());
    let plan = Ident::new("plan", Span::mixed_site());
    let body = match op.plans() {
        Plans::None => match handlers.first() {
            Some((_, handler)) => call(handler, op, None, &request),
            None => return None,
        },
        Plans::Required | Plans::Optional => {
            let mut branches = Vec::new();
            let mut every_plan = None;
            for (index, handler) in &handlers {
                match &handler.plans {
                    None => every_plan = Some(call(handler, op, None, &request)),
                    Some(plans) => {
                        let names = positions.names.get(*index).map_or(&[][..], Vec::as_slice);
                        for (plan_path, position) in plans.iter().zip(names) {
                            let call = call(handler, op, Some(plan_path), &request);
                            branches.push(quote!(if #plan == ::core::option::Option::Some(#position) { #call }));
                        }
                    }
                }
            }
            let fallback = every_plan.unwrap_or_else(|| {
                quote!(::core::result::Result::Err(::osb::Error::not_supported()))
            });
            if op == Op::Update {
                update_body(&handlers, &plan, &request, &branches, fallback, op)
            } else {
                let services_const = services_const();
                quote! {
                    let #plan = ::osb::__private::plan_position(&#request, #services_const);
                    #(#branches)*
                    #fallback
                }
            }
        }
    };
    Some(quote! {
        fn #method(
            &self,
            #request: #request_ty,
        ) -> impl ::core::future::Future<
            Output = ::core::result::Result<#ok, ::osb::Error>,
        > + ::core::marker::Send {
            async move { #body }
        }
    })
}

/// Update requests may name no plan (neither `plan_id` nor `previous_values.plan_id`):
/// a single update handler takes them, with the parameter type of its first plan.
fn update_body(
    handlers: &[(usize, &Handler<'_>)],
    plan: &Ident,
    request: &Ident,
    branches: &[TokenStream],
    fallback: TokenStream,
    op: Op,
) -> TokenStream {
    let unknown = match handlers {
        [(_, only)] => {
            let first = only.plans.as_ref().and_then(|plans| plans.first());
            call(only, op, first, request)
        }
        _ => quote!(return ::core::result::Result::Err(
            ::osb::__private::update_plan_unknown()
        );),
    };
    let services_const = services_const();
    quote! {
        let #plan = ::osb::__private::plan_position(&#request, #services_const);
        if #plan.is_none() {
            #unknown
        }
        #(#branches)*
        #fallback
    }
}

// Input:   #[provision(Small)] async fn provision(&self, r: Provision<P>) -> Result<Provisioned, E>
// Output:  { let request = provision_request::<Small, Provision<P>>(request)?;
//            return ProvisionOutput::into_result(assert_send(Self::provision(self, request)).await); }
fn call(handler: &Handler<'_>, op: Op, plan: Option<&Path>, request: &Ident) -> TokenStream {
    let function = &handler.function.sig.ident;
    let request_type = handler.request_type;
    let typed = match (op.typed_request(), plan) {
        (Conversion::PerPlan(convert), Some(plan)) => {
            // The path carries the request type's span, so a request of the wrong
            // kind is reported at the argument, not at `#[osb::broker]`.
            let convert = respan(convert, type_name_span(request_type));
            quote_spanned! {request_type.span()=>
                let #request = #convert::<#plan, #request_type>(#request)?;
            }
        }
        (Conversion::PerPlan(_), None) => TokenStream::new(),
        (Conversion::Plain(check), _) => quote_spanned! {request_type.span()=>
            let #request = <#request_type as #check>::from_request(#request);
        },
    };
    let output = Ident::new("output", Span::mixed_site());
    let send = quote_spanned! {function.span()=>
        ::osb::__private::assert_send(Self::#function(self, #request))
    };
    let output_trait = op.output_trait();
    // rustc reports an unsatisfied `…Output` bound at the argument, which `identity`
    // places at the handler's return type (a bare local would point at `#[osb::broker]`).
    let output_trait = respan(output_trait, handler.return_span);
    let result = quote_spanned! {handler.return_span=>
        #output_trait::into_result(::core::convert::identity(#output))
    };
    quote! {
        #typed
        let #output = #send.await;
        return #result;
    }
}

/// The span of a type's last path segment (`Bind` in `osb::Bind<P>`): with it rustc
/// underlines the whole request type, with `Type::span()` only `osb`.
fn type_name_span(ty: &syn::Type) -> Span {
    match ty {
        syn::Type::Path(path) => path
            .path
            .segments
            .last()
            .map_or_else(|| ty.span(), |segment| segment.ident.span()),
        _ => ty.span(),
    }
}

/// `tokens` with every token at `span`.
fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut token| {
            if let proc_macro2::TokenTree::Group(group) = &token {
                let mut respanned =
                    proc_macro2::Group::new(group.delimiter(), respan(group.stream(), span));
                respanned.set_span(span);
                token = proc_macro2::TokenTree::Group(respanned);
            } else {
                token.set_span(span);
            }
            token
        })
        .collect()
}

/// The marker impls that say which handlers exist, checked by each offering's
/// coverage bound: `impl ProvisionFor<Small> for MyBroker {}`.
fn markers(broker: &Broker<'_>, generics: &Generics) -> Vec<TokenStream> {
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
            let Some(marker) = op.broker_marker() else {
                continue;
            };
            if broker.handlers.iter().any(|handler| handler.op == op) {
                continue;
            }
            markers.push(quote! {
                #[automatically_derived]
                impl #impl_generics #marker for #self_ty #where_clause {}
            });
        }
    }
    for handler in &broker.handlers {
        if let Some(marker) = handler.op.broker_marker() {
            markers.push(quote_spanned! {handler.attr_span=>
                #[automatically_derived]
                impl #impl_generics #marker for #self_ty #where_clause {}
            });
        }
        let Some(marker) = handler.op.plan_marker() else {
            continue;
        };
        match &handler.plans {
            Some(plans) => {
                for plan in plans {
                    markers.push(quote_spanned! {plan.span()=>
                        #[automatically_derived]
                        impl #impl_generics #marker<#plan> for #self_ty #where_clause {}
                    });
                }
            }
            None => {
                let plan = Ident::new("__OsbPlan", Span::mixed_site());
                let mut every = generics.clone();
                every
                    .params
                    .push(syn::parse_quote!(#plan: ::osb::dsl::PlanDef));
                let (every_impl, _, every_where) = every.split_for_impl();
                markers.push(quote_spanned! {handler.attr_span=>
                    #[automatically_derived]
                    impl #every_impl #marker<#plan> for #self_ty #every_where {}
                });
            }
        }
    }
    markers
}

/// For a broker with errors: `osb::Broker` and `CatalogDef` impls that answer
/// nothing, so code using the broker does not fail too.
pub(crate) fn dummy(item: &syn::ItemImpl) -> TokenStream {
    let self_ty = &item.self_ty;
    let generics = with_static_self(&item.generics, self_ty);
    let (impl_generics, _, where_clause) = generics.split_for_impl();
    quote! {
        impl #impl_generics ::osb::dsl::CatalogDef for #self_ty #where_clause {
            fn catalog() -> ::osb::catalog::Catalog {
                ::osb::catalog::Catalog::new([])
            }
        }
        impl #impl_generics ::osb::Broker for #self_ty #where_clause {
            fn catalog(&self) -> ::osb::catalog::Catalog {
                ::osb::catalog::Catalog::new([])
            }
            async fn provision(&self, _: ::osb::Provision) -> ::core::result::Result<::osb::Provisioned, ::osb::Error> {
                ::core::result::Result::Err(::osb::Error::not_supported())
            }
            async fn deprovision(&self, _: ::osb::Deprovision) -> ::core::result::Result<::osb::Deprovisioned, ::osb::Error> {
                ::core::result::Result::Err(::osb::Error::not_supported())
            }
        }
    }
}
