//! The `osb::Broker` methods: each request goes to the handler of its plan, through
//! the conversions that check the handler's signature.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Path};

use super::checks::Positions;
use super::{cfg_attr, exclusive_cfg, services_const};
use crate::broker::op::{Conversion, Op, Plans};
use crate::broker::parse::{Broker, Handler};

/// The `osb::Broker` methods of `op`: one dispatching to the handlers of each plan,
/// or, for an operation without plans, one per handler (several only when `#[cfg]`s
/// choose between them); none when the broker has no handler for `op` and the
/// trait's default answers.
pub(super) fn methods(broker: &Broker<'_>, op: Op, positions: &Positions) -> Vec<TokenStream> {
    let krate = &broker.krate;
    let handlers: Vec<(usize, &Handler<'_>)> = broker
        .handlers
        .iter()
        .enumerate()
        .filter(|(_, h)| h.op == op)
        .collect();
    let method = op.method();
    let request_ty = op.request(krate);
    let ok = op.ok_type(krate);
    let signature = |request: &Ident| {
        quote! {
            fn #method(
                &self,
                #request: #request_ty,
            ) -> impl ::core::future::Future<
                Output = ::core::result::Result<#ok, #krate::Error>,
            > + ::core::marker::Send
        }
    };
    let request = Ident::new("request", Span::mixed_site());
    if handlers.is_empty() {
        // `provision` and `deprovision` have no default in `osb::Broker`; without a
        // handler the offering's coverage check already names what is missing, so the
        // impl stays complete and rustc does not add "not all trait items implemented".
        if !matches!(op, Op::Provision | Op::Deprovision) {
            return Vec::new();
        }
        let signature = signature(&request);
        return vec![quote! {
            #[allow(unused_variables)]
            #signature {
                ::core::future::ready(::core::result::Result::Err(#krate::Error::not_supported()))
            }
        }];
    }
    if op.plans() == Plans::None {
        return handlers
            .iter()
            .map(|(index, handler)| {
                let cfg = exclusive_cfg(broker, *index);
                let signature = signature(&request);
                let call = call(krate, handler, op, None, &request);
                quote! {
                    #cfg
                    #signature {
                        async move { #call }
                    }
                }
            })
            .collect();
    }
    let plan = Ident::new("plan", Span::mixed_site());
    let mut branches = Vec::new();
    // Handlers of every plan come after the others: a handler of the plan itself wins.
    let mut every_plan = Vec::new();
    for (index, handler) in &handlers {
        let cfg = cfg_attr(handler);
        match &handler.plans {
            None => {
                let call = call(krate, handler, op, None, &request);
                every_plan.push(quote!(#cfg { #call }));
            }
            Some(plans) => {
                let names = positions.names.get(*index).map_or(&[][..], Vec::as_slice);
                for (plan_path, position) in plans.iter().zip(names) {
                    let call = call(krate, handler, op, Some(plan_path), &request);
                    branches.push(quote! {
                        #cfg
                        if #plan == ::core::option::Option::Some(#position) { #call }
                    });
                }
            }
        }
    }
    let unknown_plan =
        (op == Op::Update).then(|| update_unknown_plan(krate, &handlers, &plan, &request));
    let services_const = services_const();
    let signature = signature(&request);
    vec![quote! {
        // A handler of every plan behind `#[cfg]` leaves the answer after it reachable.
        #[allow(unreachable_code)]
        #signature {
            async move {
                let #plan = #krate::__private::plan_position(&#request, #services_const);
                #unknown_plan
                #(#branches)*
                #(#every_plan)*
                ::core::result::Result::Err(#krate::Error::not_supported())
            }
        }
    }]
}

/// Update requests may name no plan (neither `plan_id` nor `previous_values.plan_id`):
/// a single update handler takes them, with the parameter type of its first plan;
/// with several, they get 400.
fn update_unknown_plan(
    krate: &Path,
    handlers: &[(usize, &Handler<'_>)],
    plan: &Ident,
    request: &Ident,
) -> TokenStream {
    let unknown = match handlers {
        [(_, only)] => {
            let first = only.plans.as_ref().and_then(|plans| plans.first());
            let cfg = cfg_attr(only);
            let call = call(krate, only, Op::Update, first, request);
            quote!(#cfg { #call })
        }
        _ => TokenStream::new(),
    };
    quote! {
        if #plan.is_none() {
            #unknown
            return ::core::result::Result::Err(#krate::__private::update_plan_unknown());
        }
    }
}

// Input:   #[provision(Small)] async fn provision(&self, r: Provision<P>) -> Result<Provisioned, E>
// Output:  { let request = provision_request::<Small, Provision<P>>(request)?;
//            return ProvisionOutput::into_result(assert_send(Self::provision(self, request)).await); }
fn call(
    krate: &Path,
    handler: &Handler<'_>,
    op: Op,
    plan: Option<&Path>,
    request: &Ident,
) -> TokenStream {
    let function = &handler.function.sig.ident;
    let request_type = handler.request_type;
    let typed = match (op.typed_request(krate), plan) {
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
        #krate::dsl::rules::assert_send(Self::#function(self, #request))
    };
    let output_trait = op.output_trait(krate);
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
pub(super) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
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
