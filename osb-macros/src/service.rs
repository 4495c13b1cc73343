//! `#[osb::service]`: a Service Offering object declared on a type.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Path};

use crate::attr::{self, Key};
use crate::ctxt::Ctxt;
use crate::doc::doc_text;
use crate::naming::{default_name, is_cli_friendly};

const MACRO: &str = "osb::service";
const KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "bindable",
    "tags",
    "requires",
    "instances_retrievable",
    "bindings_retrievable",
    "allow_context_updates",
    "plan_updateable",
    "plans",
    "metadata",
    "dashboard_client",
];
const METADATA_KEYS: &[&str] = &[
    "display_name",
    "image_url",
    "long_description",
    "provider_display_name",
    "documentation_url",
    "support_url",
    "shareable",
];
/// «Service Offering Object»: the only permissions currently supported.
const REQUIREMENTS: &[(&str, &str)] = &[
    ("syslog_drain", "SyslogDrain"),
    ("route_forwarding", "RouteForwarding"),
    ("volume_mount", "VolumeMount"),
];

struct ServiceAttrs {
    id: Option<Key<LitStr>>,
    name: Option<Key<LitStr>>,
    description: Option<Key<LitStr>>,
    bindable: Option<Key<bool>>,
    tags: Vec<LitStr>,
    requires: Vec<Ident>,
    instances_retrievable: Option<Key<bool>>,
    bindings_retrievable: Option<Key<bool>>,
    allow_context_updates: Option<Key<bool>>,
    plan_updateable: Option<Key<bool>>,
    plans: Option<Key<Vec<Path>>>,
    metadata: Vec<(Ident, MetadataValue)>,
    dashboard_client: Option<DashboardClient>,
}

enum MetadataValue {
    Text(LitStr),
    Flag(bool),
}

struct DashboardClient {
    span: Span,
    id: Option<LitStr>,
    secret: Option<LitStr>,
    redirect_uri: Option<LitStr>,
}

struct Resolved {
    name: String,
    description: String,
    long_description: Option<String>,
}

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let Ok(item) = syn::parse2::<syn::ItemStruct>(input.clone()) else {
        let error = syn::Error::new(
            Span::call_site(),
            "`#[osb::service]` goes on a struct: a service offering is a type, such as `struct Postgres;`",
        )
        .into_compile_error();
        return quote!(#input #error);
    };
    let cx = Ctxt::new();
    let attrs = ServiceAttrs::from_syn(&cx, args);
    let resolved = check(&cx, &item, &attrs);
    match cx.check() {
        Ok(()) => {
            let tokens = service_def(&item, &attrs, &resolved);
            quote!(#item #tokens)
        }
        Err(errors) => {
            let errors = errors.into_compile_error();
            let dummy = dummy_service_def(&item, attrs.plans());
            quote!(#item #errors #dummy)
        }
    }
}

impl ServiceAttrs {
    fn from_syn(cx: &Ctxt, args: TokenStream) -> Self {
        let mut attrs = ServiceAttrs {
            id: None,
            name: None,
            description: None,
            bindable: None,
            tags: Vec::new(),
            requires: Vec::new(),
            instances_retrievable: None,
            bindings_retrievable: None,
            allow_context_updates: None,
            plan_updateable: None,
            plans: None,
            metadata: Vec::new(),
            dashboard_client: None,
        };
        let mut seen = attr::Seen::default();
        attr::parse_keys(cx, args, |meta| {
            match attr::key_name(&meta).as_str() {
                // #[osb::service(id = "…")]
                "id" => attr::set_once(cx, &mut attrs.id, &meta, MACRO, attr::string(&meta)?),
                "name" => attr::set_once(cx, &mut attrs.name, &meta, MACRO, attr::string(&meta)?),
                "description" => {
                    let value = attr::string(&meta)?;
                    attr::set_once(cx, &mut attrs.description, &meta, MACRO, value);
                }
                // #[osb::service(bindable)] or #[osb::service(bindable = false)]
                "bindable" => {
                    attr::set_once(cx, &mut attrs.bindable, &meta, MACRO, attr::flag(&meta)?);
                }
                "instances_retrievable" => {
                    let value = attr::flag(&meta)?;
                    attr::set_once(cx, &mut attrs.instances_retrievable, &meta, MACRO, value);
                }
                "bindings_retrievable" => {
                    let value = attr::flag(&meta)?;
                    attr::set_once(cx, &mut attrs.bindings_retrievable, &meta, MACRO, value);
                }
                "allow_context_updates" => {
                    let value = attr::flag(&meta)?;
                    attr::set_once(cx, &mut attrs.allow_context_updates, &meta, MACRO, value);
                }
                "plan_updateable" => {
                    let value = attr::flag(&meta)?;
                    attr::set_once(cx, &mut attrs.plan_updateable, &meta, MACRO, value);
                }
                // #[osb::service(tags("sql", "postgres"))]
                "tags" => attrs.tags.extend(attr::strings(&meta)?),
                // #[osb::service(requires(syslog_drain, volume_mount))]
                "requires" => {
                    for path in attr::paths(&meta)? {
                        match path.get_ident() {
                            Some(ident) if attrs.requires.contains(ident) => {
                                cx.error_spanned_by(ident, format!("`{ident}` is listed twice"));
                            }
                            Some(ident) if REQUIREMENTS.iter().any(|(name, _)| ident == name) => {
                                attrs.requires.push(ident.clone());
                            }
                            _ => cx.error_spanned_by(
                                &path,
                                "`requires` accepts only `syslog_drain`, `route_forwarding` and `volume_mount`",
                            ),
                        }
                    }
                }
                // #[osb::service(plans(Small, Large))]
                "plans" => {
                    let plans = attr::paths(&meta)?;
                    attr::set_once(cx, &mut attrs.plans, &meta, MACRO, plans);
                }
                // #[osb::service(metadata(display_name = "…", shareable))]
                "metadata" => {
                    seen.first(cx, &meta, MACRO);
                    let mut nested = attr::Seen::default();
                    meta.parse_nested_meta(|inner| {
                        if !nested.first(cx, &inner, "osb::service(metadata)") {
                            return attr::skip_value(&inner);
                        }
                        let key = attr::key_name(&inner);
                        if key == "shareable" {
                            let value = attr::flag(&inner)?;
                            attrs
                                .metadata
                                .push((format_ident!("shareable"), MetadataValue::Flag(value)));
                        } else if METADATA_KEYS.contains(&key.as_str()) {
                            let value = attr::string(&inner)?;
                            if value.value().is_empty() {
                                cx.error_spanned_by(
                                    &value,
                                    format!("{key} MUST be a non-empty string"),
                                );
                            }
                            attrs
                                .metadata
                                .push((format_ident!("{}", key), MetadataValue::Text(value)));
                        } else {
                            attr::unknown_key(cx, &inner, "osb::service(metadata)", METADATA_KEYS)?;
                        }
                        Ok(())
                    })?;
                }
                // #[osb::service(dashboard_client(id = "…", secret = "…", redirect_uri = "…"))]
                "dashboard_client" => {
                    seen.first(cx, &meta, MACRO);
                    let mut nested = attr::Seen::default();
                    let mut client = DashboardClient {
                        span: meta.path.span(),
                        id: None,
                        secret: None,
                        redirect_uri: None,
                    };
                    meta.parse_nested_meta(|inner| {
                        if !nested.first(cx, &inner, "osb::service(dashboard_client)") {
                            return attr::skip_value(&inner);
                        }
                        match attr::key_name(&inner).as_str() {
                            "id" => client.id = Some(attr::string(&inner)?),
                            "secret" => client.secret = Some(attr::string(&inner)?),
                            "redirect_uri" => client.redirect_uri = Some(attr::string(&inner)?),
                            _ => attr::unknown_key(
                                cx,
                                &inner,
                                "osb::service(dashboard_client)",
                                &["id", "secret", "redirect_uri"],
                            )?,
                        }
                        Ok(())
                    })?;
                    attrs.dashboard_client = Some(client);
                }
                _ => attr::unknown_key(cx, &meta, MACRO, KEYS)?,
            }
            Ok(())
        });
        attrs
    }

    fn plans(&self) -> &[Path] {
        self.plans.as_ref().map_or(&[], |plans| &plans.value)
    }
}

fn check(cx: &Ctxt, item: &syn::ItemStruct, attrs: &ServiceAttrs) -> Resolved {
    if !item.generics.params.is_empty() {
        cx.error_spanned_by(
            &item.generics,
            "a service offering cannot be generic: it is one entry of the catalog",
        );
    }
    match &attrs.id {
        None => cx.error_at(
            Span::call_site(),
            "`#[osb::service]` needs an `id = \"…\"`: a globally unique, stable id (a GUID is recommended)",
        ),
        Some(id) if id.value.value().is_empty() => {
            cx.error_spanned_by(&id.value, "the service offering id MUST be a non-empty string");
        }
        Some(_) => {}
    }
    let name = match &attrs.name {
        Some(name) => {
            let text = name.value.value();
            if text.is_empty() {
                cx.error_spanned_by(
                    &name.value,
                    "the service offering name MUST be a non-empty string",
                );
            } else if !is_cli_friendly(&text) {
                cx.error_spanned_by(
                    &name.value,
                    format!(
                        "service offering name `{text}` is not CLI-friendly: use only letters, digits, `.` and `-`"
                    ),
                );
            }
            text
        }
        None => default_name(cx, &item.ident, "service offering"),
    };
    let doc = doc_text(&item.attrs);
    let description = match &attrs.description {
        Some(description) => {
            if description.value.value().is_empty() {
                cx.error_spanned_by(
                    &description.value,
                    "the service offering description MUST be a non-empty string",
                );
            }
            description.value.value()
        }
        None => {
            if doc.summary.is_empty() {
                cx.error_spanned_by(
                    &item.ident,
                    "OSB requires a non-empty service offering description: add a `///` doc comment or `description = \"…\"`",
                );
            }
            doc.summary.clone()
        }
    };
    match &attrs.plans {
        None => cx.error_at(
            Span::call_site(),
            "`#[osb::service]` needs `plans(…)`: a service offering MUST have at least one plan",
        ),
        Some(plans) if plans.value.is_empty() => {
            cx.error_at(plans.span, "a service offering MUST have at least one plan");
        }
        Some(plans) => {
            for (i, plan) in plans.value.iter().enumerate() {
                if plans
                    .value
                    .iter()
                    .take(i)
                    .any(|earlier| same_path(earlier, plan))
                {
                    cx.error_spanned_by(
                        plan,
                        format!("plan `{}` is listed twice", path_text(plan)),
                    );
                }
            }
        }
    }
    if let Some(client) = &attrs.dashboard_client {
        for (value, key) in [(&client.id, "id"), (&client.secret, "secret")] {
            match value {
                None => cx.error_at(
                    client.span,
                    format!("dashboard_client needs `{key} = \"…\"`"),
                ),
                Some(text) if text.value().is_empty() => {
                    cx.error_spanned_by(
                        text,
                        format!("dashboard_client {key} MUST be a non-empty string"),
                    );
                }
                Some(_) => {}
            }
        }
    }
    Resolved {
        name,
        description,
        long_description: doc.rest,
    }
}

pub(crate) fn same_path(a: &Path, b: &Path) -> bool {
    path_text(a) == path_text(b)
}

pub(crate) fn path_text(path: &Path) -> String {
    quote!(#path).to_string().replace(' ', "")
}

fn string(text: &str) -> TokenStream {
    // Trait methods by their full path: generated code cannot rely on the prelude.
    quote!(<::std::string::String as ::core::convert::From<&str>>::from(#text))
}

fn optional_flag(field: &str, flag: Option<&Key<bool>>) -> Option<TokenStream> {
    let flag = flag?.value;
    let field = format_ident!("{}", field);
    Some(quote!(service.#field = ::core::option::Option::Some(#flag);))
}

// Input:   #[osb::service(id = "s-1", bindable, plans(Small, Large))] /// Db. struct Db;
// Output:  impl ::osb::dsl::ServiceDef for Db { … } + plan-name checks + the handler coverage bound
fn service_def(item: &syn::ItemStruct, attrs: &ServiceAttrs, resolved: &Resolved) -> TokenStream {
    let ident = &item.ident;
    let id = attrs
        .id
        .as_ref()
        .map(|id| id.value.value())
        .unwrap_or_default();
    let name = &resolved.name;
    let description = &resolved.description;
    let bindable = attrs.bindable.as_ref().is_some_and(|b| b.value);
    let plans = attrs.plans();
    let plan_ids = plans
        .iter()
        .map(|plan| quote_spanned!(plan.span()=> <#plan as ::osb::dsl::PlanDef>::ID));
    let plan_definitions = plans
        .iter()
        .map(|plan| quote_spanned!(plan.span()=> <#plan as ::osb::dsl::PlanDef>::definition()));
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
            Some(quote!(::osb::catalog::Requirement::#variant))
        });
        setters.push(quote!(service.requires = ::std::vec![#(#requires),*];));
    }
    let has_long_description = attrs
        .metadata
        .iter()
        .any(|(key, _)| key == "long_description");
    if !attrs.metadata.is_empty() || resolved.long_description.is_some() {
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
        if let (false, Some(long)) = (has_long_description, &resolved.long_description) {
            // The doc comment's paragraphs after the first become the long description.
            let long = string(long);
            fields.push(quote!(long_description: ::core::option::Option::Some(#long),));
        }
        setters.push(quote! {
            service.metadata = ::core::option::Option::Some(::osb::catalog::ServiceMetadata {
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
            service.dashboard_client = ::core::option::Option::Some(::osb::catalog::DashboardClient {
                id: #id,
                secret: #secret,
                redirect_uri: #redirect_uri,
            });
        });
    }
    let name_checks = plan_name_checks(ident, plans);
    let coverage = coverage(ident, attrs);
    quote! {
        #[automatically_derived]
        impl ::osb::dsl::ServiceDef for #ident {
            const ID: &'static str = #id;
            const NAME: &'static str = #name;
            const PLAN_IDS: &'static [&'static str] = &[#(#plan_ids),*];

            fn definition() -> ::osb::catalog::ServiceOffering {
                let mut service = ::osb::catalog::ServiceOffering::new(
                    <Self as ::osb::dsl::ServiceDef>::ID,
                    <Self as ::osb::dsl::ServiceDef>::NAME,
                    #description,
                );
                service.bindable = #bindable;
                #(#setters)*
                service.plans = ::std::vec![#(#plan_definitions),*];
                service
            }
        }
        #name_checks
        #coverage
    }
}

/// «Service Plan Object»: names MUST be unique within the offering; ids MUST be
/// globally unique. Checked in `const` items, so a clash fails the build.
fn plan_name_checks(service: &Ident, plans: &[Path]) -> TokenStream {
    let mut checks = Vec::new();
    for (i, a) in plans.iter().enumerate() {
        for b in plans.iter().skip(i + 1) {
            if same_path(a, b) {
                continue;
            }
            let names = format!(
                "plans `{}` and `{}` of service offering `{service}` have the same name; plan names MUST be unique within an offering",
                path_text(a),
                path_text(b)
            );
            let ids = format!(
                "plans `{}` and `{}` of service offering `{service}` have the same id; ids MUST be globally unique",
                path_text(a),
                path_text(b)
            );
            checks.push(quote_spanned! {b.span()=>
                if ::osb::__private::str_eq(<#a as ::osb::dsl::PlanDef>::NAME, <#b as ::osb::dsl::PlanDef>::NAME) {
                    ::core::panic!(#names);
                }
                if ::osb::__private::str_eq(<#a as ::osb::dsl::PlanDef>::ID, <#b as ::osb::dsl::PlanDef>::ID) {
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

/// A bound per handler the offering needs from any broker that serves it: provision
/// and deprovision for every plan, bind and unbind for bindable plans, update for
/// updateable plans, `last_operation` for asynchronous ones, the fetch handlers for
/// retrievable offerings. `#[osb::broker]` calls it with its own type.
fn coverage(service: &Ident, attrs: &ServiceAttrs) -> TokenStream {
    let broker = Ident::new("__OsbBroker", Span::mixed_site());
    let bindable = if attrs.bindable.as_ref().is_some_and(|b| b.value) {
        quote!(::osb::__private::Yes)
    } else {
        quote!(::osb::__private::No)
    };
    let updateable = if attrs.plan_updateable.as_ref().is_some_and(|b| b.value) {
        quote!(::osb::__private::Yes)
    } else {
        quote!(::osb::__private::No)
    };
    let context_updates = attrs
        .allow_context_updates
        .as_ref()
        .is_some_and(|b| b.value);
    let mut bounds = Vec::new();
    for plan in attrs.plans() {
        let def = quote_spanned!(plan.span()=> <#plan as ::osb::dsl::PlanDef>);
        bounds.push(quote_spanned! {plan.span()=>
            #broker: ::osb::__private::ProvisionFor<#plan> + ::osb::__private::DeprovisionFor<#plan>,
            <#def::Bindable as ::osb::__private::Resolve<#bindable>>::Out: ::osb::__private::BindCovered<#broker, #plan>,
            <#def::Bindable as ::osb::__private::Resolve<#bindable>>::Out: ::osb::__private::BindingPollCovered<#broker, #def::AsyncBinding>,
            #def::AsyncInstance: ::osb::__private::InstancePollCovered<#broker>,
        });
        if context_updates {
            bounds.push(quote_spanned!(plan.span()=> #broker: ::osb::__private::UpdateFor<#plan>,));
        } else {
            bounds.push(quote_spanned! {plan.span()=>
                <#def::Updateable as ::osb::__private::Resolve<#updateable>>::Out: ::osb::__private::UpdateCovered<#broker, #plan>,
            });
        }
    }
    if let Some(flag) = attrs.instances_retrievable.as_ref().filter(|f| f.value) {
        bounds.push(quote_spanned!(flag.span=> #broker: ::osb::__private::FetchInstanceHandler,));
    }
    if let Some(flag) = attrs.bindings_retrievable.as_ref().filter(|f| f.value) {
        bounds.push(quote_spanned!(flag.span=> #broker: ::osb::__private::FetchBindingHandler,));
    }
    quote! {
        impl #service {
            #[doc(hidden)]
            #[allow(dead_code, clippy::extra_unused_type_parameters)]
            pub fn __osb_check_handlers<#broker>()
            where
                #(#bounds)*
            {
            }
        }
    }
}

/// A `ServiceDef` for an offering with errors, so brokers naming it do not fail too:
/// it keeps the plans that parsed, so handlers naming them still find them.
fn dummy_service_def(item: &syn::ItemStruct, plans: &[Path]) -> TokenStream {
    if !item.generics.params.is_empty() {
        // `impl ServiceDef for Db` would add "missing generics for struct `Db`".
        return TokenStream::new();
    }
    let ident = &item.ident;
    let id = format!("<invalid service {ident}>");
    let plan_ids = plans
        .iter()
        .map(|plan| quote_spanned!(plan.span()=> <#plan as ::osb::dsl::PlanDef>::ID));
    quote! {
        impl ::osb::dsl::ServiceDef for #ident {
            const ID: &'static str = #id;
            const NAME: &'static str = #id;
            const PLAN_IDS: &'static [&'static str] = &[#(#plan_ids),*];
            fn definition() -> ::osb::catalog::ServiceOffering {
                ::osb::catalog::ServiceOffering::new(#id, #id, #id)
            }
        }
        impl #ident {
            #[doc(hidden)]
            #[allow(dead_code)]
            pub fn __osb_check_handlers<__OsbBroker>() {}
        }
    }
}
