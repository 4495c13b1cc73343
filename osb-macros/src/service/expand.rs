//! A checked offering → its `ServiceDef` impl, the catalog checks of its plans and
//! the handler requirements it places on brokers (or dummies after errors).

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Path};

use super::check::Checked;
use super::parse::{MetadataValue, REQUIREMENTS, ServiceAttrs};
use crate::attr::Key;
use crate::paths::{path_text, same_path};
use crate::tokens::string;

fn flag(flag: Option<&Key<bool>>) -> bool {
    flag.is_some_and(|flag| flag.value)
}

fn optional_flag(field: &str, flag: Option<&Key<bool>>) -> Option<TokenStream> {
    let flag = flag?.value;
    let field = format_ident!("{}", field);
    Some(quote!(service.#field = ::core::option::Option::Some(#flag);))
}

// Input:   #[osb::service(id = "s-1", bindable, plans(Small, Large))] /// Db. struct Db;
// Output:  impl ::osb::dsl::ServiceDef for Db { … } + plan-name checks + the handler coverage bound
pub(crate) fn service_def(
    item: &syn::ItemStruct,
    attrs: &ServiceAttrs,
    checked: &Checked,
) -> TokenStream {
    let krate = &attrs.krate;
    let ident = &item.ident;
    let id = &checked.id;
    let name = &checked.name;
    let description = &checked.description;
    let bindable = attrs.bindable.as_ref().is_some_and(|b| b.value);
    let plans = attrs.plans();
    let plan_ids = plans
        .iter()
        .map(|plan| quote_spanned!(plan.span()=> <#plan as #krate::dsl::PlanDef>::ID));
    let plan_definitions = plans
        .iter()
        .map(|plan| quote_spanned!(plan.span()=> <#plan as #krate::dsl::PlanDef>::definition()));
    let mut setters: Vec<TokenStream> = [
        optional_flag(
            "instances_retrievable",
            attrs.instances_retrievable.as_ref(),
        ),
        optional_flag("bindings_retrievable", attrs.bindings_retrievable.as_ref()),
        optional_flag(
            "allow_context_updates",
            attrs.allow_context_updates.as_ref(),
        ),
        optional_flag("plan_updateable", attrs.plan_updateable.as_ref()),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !attrs.tags.is_empty() {
        let tags = attrs.tags.iter().map(|tag| string(&tag.value()));
        setters.push(quote!(service.tags = ::std::vec![#(#tags),*];));
    }
    if !attrs.requires.is_empty() {
        let requires = attrs.requires.iter().filter_map(|ident| {
            let (_, variant) = REQUIREMENTS.iter().find(|(name, _)| ident == name)?;
            let variant = format_ident!("{}", variant);
            Some(quote!(#krate::catalog::Requirement::#variant))
        });
        setters.push(quote!(service.requires = ::std::vec![#(#requires),*];));
    }
    let has_long_description = attrs
        .metadata
        .iter()
        .any(|(key, _)| key == "long_description");
    if !attrs.metadata.is_empty() || checked.long_description.is_some() {
        let mut fields: Vec<TokenStream> = attrs
            .metadata
            .iter()
            .map(|(key, value)| match value {
                MetadataValue::Text(text) => {
                    let text = string(&text.value());
                    quote!(#key: ::core::option::Option::Some(#text),)
                }
                MetadataValue::Flag(flag) => quote!(#key: ::core::option::Option::Some(#flag),),
            })
            .collect();
        if let (false, Some(long)) = (has_long_description, &checked.long_description) {
            // The doc comment's paragraphs after the first become the long description.
            let long = string(long);
            fields.push(quote!(long_description: ::core::option::Option::Some(#long),));
        }
        setters.push(quote! {
            service.metadata = ::core::option::Option::Some(#krate::catalog::ServiceMetadata {
                #(#fields)*
                ..::core::default::Default::default()
            });
        });
    }
    if let Some(client) = &attrs.dashboard_client {
        let id = string(&client.id.as_ref().map(LitStr::value).unwrap_or_default());
        let secret = string(
            &client
                .secret
                .as_ref()
                .map(LitStr::value)
                .unwrap_or_default(),
        );
        let redirect_uri = match &client.redirect_uri {
            Some(uri) => {
                let uri = string(&uri.value());
                quote!(::core::option::Option::Some(#uri))
            }
            None => quote!(::core::option::Option::None),
        };
        setters.push(quote! {
            service.dashboard_client = ::core::option::Option::Some(#krate::catalog::DashboardClient {
                id: #id,
                secret: #secret,
                redirect_uri: #redirect_uri,
            });
        });
    }
    let name_checks = plan_checks(krate, ident, plans);
    let binding_checks = binding_checks(attrs, ident);
    let coverage = coverage(ident, attrs);
    let plan_bindable = plans.iter().map(|plan| {
        quote_spanned! {plan.span()=>
            #krate::__private::effective(<#plan as #krate::dsl::PlanDef>::BINDABLE, #bindable)
        }
    });
    let instances_retrievable = flag(attrs.instances_retrievable.as_ref());
    let bindings_retrievable = flag(attrs.bindings_retrievable.as_ref());
    quote! {
        #[automatically_derived]
        impl #krate::dsl::ServiceDef for #ident {
            const ID: &'static str = #id;
            const NAME: &'static str = #name;
            const PLAN_IDS: &'static [&'static str] = &[#(#plan_ids),*];
            #[doc(hidden)]
            const PLAN_BINDABLE: &'static [bool] = &[#(#plan_bindable),*];
            #[doc(hidden)]
            const INSTANCES_RETRIEVABLE: bool = #instances_retrievable;
            #[doc(hidden)]
            const BINDINGS_RETRIEVABLE: bool = #bindings_retrievable;

            fn definition() -> #krate::catalog::ServiceOffering {
                let mut service = #krate::catalog::ServiceOffering::new(
                    <Self as #krate::dsl::ServiceDef>::ID,
                    <Self as #krate::dsl::ServiceDef>::NAME,
                    #description,
                );
                service.bindable = #bindable;
                #(#setters)*
                service.plans = ::std::vec![#(#plan_definitions),*];
                service
            }
        }
        #name_checks
        #binding_checks
        #coverage
    }
}

/// «Service Plan Object»: names MUST be unique within the offering (and differ in
/// more than case: Cloud Foundry compares them so); ids MUST be globally unique.
/// Checked in `const` items, so a clash fails the build.
fn plan_checks(krate: &Path, service: &Ident, plans: &[Path]) -> TokenStream {
    let mut checks = Vec::new();
    for (i, a) in plans.iter().enumerate() {
        for b in plans.iter().skip(i + 1) {
            if same_path(a, b) {
                continue;
            }
            let (a_text, b_text) = (path_text(a), path_text(b));
            let names = format!(
                "plans `{a_text}` and `{b_text}` of service offering `{service}` have the same name; plan names MUST be unique within an offering"
            );
            let case = format!(
                "the names of plans `{a_text}` and `{b_text}` of service offering `{service}` differ only in case; platforms compare plan names ignoring case (Cloud Foundry refuses the catalog): rename one"
            );
            let ids = format!(
                "plans `{a_text}` and `{b_text}` of service offering `{service}` have the same id; ids MUST be globally unique"
            );
            let (a_def, b_def) = (
                quote!(<#a as #krate::dsl::PlanDef>),
                quote!(<#b as #krate::dsl::PlanDef>),
            );
            checks.push(quote_spanned! {b.span()=>
                if #krate::__private::str_eq(#a_def::NAME, #b_def::NAME) {
                    ::core::panic!(#names);
                }
                if #krate::__private::eq_ignore_case(#a_def::NAME, #b_def::NAME) {
                    ::core::panic!(#case);
                }
                if #krate::__private::str_eq(#a_def::ID, #b_def::ID) {
                    ::core::panic!(#ids);
                }
            });
        }
    }
    if checks.is_empty() {
        return TokenStream::new();
    }
    quote!(const _: () = { #(#checks)* };)
}

/// What only a bindable plan can have, on plans this offering leaves unbindable:
/// each plan's message (`PlanDef::BINDING_ONLY`) at the plan in `plans(…)`; and
/// `bindings_retrievable` on an offering none of whose plans is bindable.
fn binding_checks(attrs: &ServiceAttrs, service: &Ident) -> TokenStream {
    let krate = &attrs.krate;
    let bindable = flag(attrs.bindable.as_ref());
    let mut checks: Vec<TokenStream> = attrs
        .plans()
        .iter()
        .map(|plan| {
            let def = quote!(<#plan as #krate::dsl::PlanDef>);
            quote_spanned! {plan.span()=>
                if !#krate::__private::effective(#def::BINDABLE, #bindable) {
                    if let ::core::option::Option::Some(message) = #def::BINDING_ONLY {
                        ::core::panic!("{}", message);
                    }
                }
            }
        })
        .collect();
    if let Some(key) = attrs.bindings_retrievable.as_ref().filter(|key| key.value) {
        let message = format!(
            "service offering `{service}` declares `bindings_retrievable`, but none of its plans is bindable: \
             set `bindable` on the offering or a plan, or remove `bindings_retrievable`"
        );
        checks.push(quote_spanned! {key.span=>
            if !#krate::__private::any(<#service as #krate::dsl::ServiceDef>::PLAN_BINDABLE) {
                ::core::panic!(#message);
            }
        });
    }
    quote!(const _: () = { #(#checks)* };)
}

/// What the offering requires of any broker that serves it, as the bounds of its
/// `ServedBy<Broker>` impl: provision and deprovision for every plan; bind and unbind
/// for bindable plans; update for updateable plans, plans with update parameters,
/// and every plan of an offering that allows context updates; `last_operation` for
/// asynchronous plans; the fetch handlers for retrievable offerings.
/// `#[osb::broker]` asks for `ServedBy<Self>`, so a missing handler fails there.
fn coverage(service: &Ident, attrs: &ServiceAttrs) -> TokenStream {
    let krate = &attrs.krate;
    let rules = quote!(#krate::dsl::rules);
    let broker = Ident::new("Broker", Span::mixed_site());
    let yes_no = |flag: Option<&Key<bool>>| {
        if flag.is_some_and(|f| f.value) {
            quote!(#rules::Yes)
        } else {
            quote!(#rules::No)
        }
    };
    let bindable = yes_no(attrs.bindable.as_ref());
    let updateable = yes_no(attrs.plan_updateable.as_ref());
    let context_updates = flag(attrs.allow_context_updates.as_ref());
    let mut bounds = Vec::new();
    for plan in attrs.plans() {
        let def = quote_spanned!(plan.span()=> <#plan as #krate::dsl::PlanDef>);
        bounds.push(quote_spanned! {plan.span()=>
            #broker: #rules::ProvisionFor<#plan> + #rules::DeprovisionFor<#plan>,
            <#def::Bindable as #rules::Resolve<#bindable>>::Out: #rules::BindCovered<#broker, #plan>,
            <#def::Bindable as #rules::Resolve<#bindable>>::Out: #rules::BindingPollCovered<#broker, #def::AsyncBinding>,
            #def::AsyncInstance: #rules::InstancePollCovered<#broker>,
            #def::UpdateParams: #rules::UpdateCovered<#broker, #plan>,
        });
        if context_updates {
            bounds.push(quote_spanned!(plan.span()=> #broker: #rules::UpdateFor<#plan>,));
        } else {
            bounds.push(quote_spanned! {plan.span()=>
                <#def::Updateable as #rules::Resolve<#updateable>>::Out: #rules::UpdateCovered<#broker, #plan>,
            });
        }
    }
    if let Some(flag) = attrs.instances_retrievable.as_ref().filter(|f| f.value) {
        bounds.push(quote_spanned!(flag.span=> #broker: #rules::FetchInstanceHandler,));
    }
    // On an offering that is not bindable itself, `bindings_retrievable` is checked
    // against its plans' `bindable` in `const` (see `binding_checks`); a bound here
    // would demand a fetch handler of brokers whose plans never bind.
    if let (Some(flag), true) = (
        attrs.bindings_retrievable.as_ref().filter(|f| f.value),
        flag(attrs.bindable.as_ref()),
    ) {
        bounds.push(quote_spanned!(flag.span=> #broker: #rules::FetchBindingHandler,));
    }
    quote! {
        #[automatically_derived]
        impl<#broker> #rules::ServedBy<#broker> for #service
        where
            #(#bounds)*
        {
        }
    }
}

/// A `ServiceDef` for an offering with errors, so brokers naming it do not fail too:
/// it keeps the plans that parsed, so handlers naming them still find them.
pub(crate) fn dummy_service_def(item: &syn::ItemStruct, attrs: &ServiceAttrs) -> TokenStream {
    if !item.generics.params.is_empty() {
        // `impl ServiceDef for Db` would add "missing generics for struct `Db`".
        return TokenStream::new();
    }
    let krate = &attrs.krate;
    let ident = &item.ident;
    let id = format!("<invalid service {ident}>");
    let plan_ids = attrs
        .plans()
        .iter()
        .map(|plan| quote_spanned!(plan.span()=> <#plan as #krate::dsl::PlanDef>::ID));
    quote! {
        impl #krate::dsl::ServiceDef for #ident {
            const ID: &'static str = #id;
            const NAME: &'static str = #id;
            const PLAN_IDS: &'static [&'static str] = &[#(#plan_ids),*];
            fn definition() -> #krate::catalog::ServiceOffering {
                #krate::catalog::ServiceOffering::new(#id, #id, #id)
            }
        }
        impl<Broker> #krate::dsl::rules::ServedBy<Broker> for #ident {}
    }
}
