//! `#[osb::plan]`: a Service Plan object declared on a type.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens as _, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Type};

use crate::attr::{self, Key};
use crate::ctxt::Ctxt;
use crate::doc::doc_text;
use crate::naming::{default_name, is_cli_friendly};
use crate::params::not_an_object;

const MACRO: &str = "osb::plan";
const KEYS: &[&str] = &[
    "id",
    "name",
    "description",
    "free",
    "bindable",
    "plan_updateable",
    "binding_rotatable",
    "maximum_polling_duration",
    "maintenance_info",
    "metadata",
    "provision",
    "update",
    "bind",
    "asynchronous",
    "requires_app",
];
const ASYNC_OPERATIONS: &[&str] = &["provision", "update", "deprovision", "bind", "unbind"];

/// What `#[osb::plan(...)]` declares.
struct PlanAttrs {
    id: Option<Key<LitStr>>,
    name: Option<Key<LitStr>>,
    description: Option<Key<LitStr>>,
    free: Option<Key<bool>>,
    bindable: Option<Key<bool>>,
    plan_updateable: Option<Key<bool>>,
    binding_rotatable: Option<Key<bool>>,
    maximum_polling_duration: Option<Key<u64>>,
    maintenance_version: Option<LitStr>,
    maintenance_description: Option<LitStr>,
    display_name: Option<LitStr>,
    bullets: Vec<LitStr>,
    costs: Vec<Cost>,
    provision: Option<Key<Type>>,
    update: Option<Key<Type>>,
    bind: Option<Key<Type>>,
    asynchronous: Option<Key<Vec<Ident>>>,
    requires_app: Option<Key<bool>>,
}

struct Cost {
    unit: LitStr,
    amounts: Vec<(Ident, f64)>,
}

/// The plan's name and description, resolved from keys, the type name and docs.
struct Resolved {
    name: String,
    description: String,
}

pub(crate) fn expand(args: TokenStream, input: TokenStream) -> TokenStream {
    let Ok(item) = syn::parse2::<syn::ItemStruct>(input.clone()) else {
        let error = syn::Error::new(
            Span::call_site(),
            "`#[osb::plan]` goes on a struct: a plan is a type, such as `struct Small;`",
        )
        .into_compile_error();
        return quote!(#input #error);
    };
    let cx = Ctxt::new();
    let attrs = PlanAttrs::from_syn(&cx, args);
    let resolved = check(&cx, &item, &attrs);
    let tokens = plan_def(&item, &attrs, &resolved);
    match cx.check() {
        Ok(()) => quote!(#item #tokens),
        Err(errors) => {
            // Still implement the trait, so code naming the plan does not fail too.
            let errors = errors.into_compile_error();
            let dummy = dummy_plan_def(&item, &attrs);
            quote!(#item #errors #dummy)
        }
    }
}

impl PlanAttrs {
    fn from_syn(cx: &Ctxt, args: TokenStream) -> Self {
        let mut attrs = PlanAttrs {
            id: None,
            name: None,
            description: None,
            free: None,
            bindable: None,
            plan_updateable: None,
            binding_rotatable: None,
            maximum_polling_duration: None,
            maintenance_version: None,
            maintenance_description: None,
            display_name: None,
            bullets: Vec::new(),
            costs: Vec::new(),
            provision: None,
            update: None,
            bind: None,
            asynchronous: None,
            requires_app: None,
        };
        let mut seen = attr::Seen::default();
        attr::parse_keys(cx, args, |meta| {
            let key = attr::key_name(&meta);
            match key.as_str() {
                // #[osb::plan(id = "…")]
                "id" => attr::set_once(cx, &mut attrs.id, &meta, MACRO, attr::string(&meta)?),
                // #[osb::plan(name = "small")]
                "name" => attr::set_once(cx, &mut attrs.name, &meta, MACRO, attr::string(&meta)?),
                // #[osb::plan(description = "…")]
                "description" => {
                    let value = attr::string(&meta)?;
                    attr::set_once(cx, &mut attrs.description, &meta, MACRO, value);
                }
                // #[osb::plan(free)] or #[osb::plan(free = false)]
                "free" => attr::set_once(cx, &mut attrs.free, &meta, MACRO, attr::flag(&meta)?),
                "bindable" => {
                    attr::set_once(cx, &mut attrs.bindable, &meta, MACRO, attr::flag(&meta)?);
                }
                "plan_updateable" => {
                    let value = attr::flag(&meta)?;
                    attr::set_once(cx, &mut attrs.plan_updateable, &meta, MACRO, value);
                }
                "binding_rotatable" => {
                    let value = attr::flag(&meta)?;
                    attr::set_once(cx, &mut attrs.binding_rotatable, &meta, MACRO, value);
                }
                "requires_app" => {
                    let value = attr::flag(&meta)?;
                    attr::set_once(cx, &mut attrs.requires_app, &meta, MACRO, value);
                }
                // #[osb::plan(maximum_polling_duration = 3600)]
                "maximum_polling_duration" => {
                    let lit: syn::LitInt = meta.value()?.parse()?;
                    match lit.base10_parse::<u64>() {
                        Ok(0) | Err(_) => cx.error_spanned_by(
                            &lit,
                            "maximum_polling_duration is a number of seconds greater than 0",
                        ),
                        Ok(seconds) => attr::set_once(
                            cx,
                            &mut attrs.maximum_polling_duration,
                            &meta,
                            MACRO,
                            seconds,
                        ),
                    }
                }
                // #[osb::plan(maintenance_info(version = "1.0.0", description = "…"))]
                "maintenance_info" => {
                    seen.first(cx, &meta, MACRO);
                    let mut version = None;
                    let mut description = None;
                    let mut nested = attr::Seen::default();
                    let span = meta.path.span();
                    meta.parse_nested_meta(|inner| {
                        if !nested.first(cx, &inner, "osb::plan(maintenance_info)") {
                            return attr::skip_value(&inner);
                        }
                        match attr::key_name(&inner).as_str() {
                            "version" => version = Some(attr::string(&inner)?),
                            "description" => description = Some(attr::string(&inner)?),
                            _ => attr::unknown_key(
                                cx,
                                &inner,
                                "osb::plan(maintenance_info)",
                                &["version", "description"],
                            )?,
                        }
                        Ok(())
                    })?;
                    if version.is_none() {
                        cx.error_at(span, "maintenance_info needs a `version = \"…\"` (a semantic version such as \"1.0.0\")");
                    }
                    attrs.maintenance_version = version;
                    attrs.maintenance_description = description;
                }
                // #[osb::plan(metadata(display_name = "…", bullets("…"), cost(unit = "MONTHLY", usd = 9.0)))]
                "metadata" => {
                    seen.first(cx, &meta, MACRO);
                    let mut nested = attr::Seen::default();
                    meta.parse_nested_meta(|inner| {
                        let key = attr::key_name(&inner);
                        // `cost` repeats on purpose: one per cost.
                        if key != "cost" && !nested.first(cx, &inner, "osb::plan(metadata)") {
                            return attr::skip_value(&inner);
                        }
                        match key.as_str() {
                            "display_name" => {
                                let name = attr::string(&inner)?;
                                if name.value().is_empty() {
                                    cx.error_spanned_by(
                                        &name,
                                        "display_name MUST be a non-empty string",
                                    );
                                }
                                attrs.display_name = Some(name);
                            }
                            "bullets" => attrs.bullets.extend(attr::strings(&inner)?),
                            "cost" => attrs.costs.push(parse_cost(cx, &inner)?),
                            _ => attr::unknown_key(
                                cx,
                                &inner,
                                "osb::plan(metadata)",
                                &["display_name", "bullets", "cost"],
                            )?,
                        }
                        Ok(())
                    })?;
                }
                // #[osb::plan(provision = SmallParams)]
                "provision" => {
                    let ty: Type = meta.value()?.parse()?;
                    attr::set_once(cx, &mut attrs.provision, &meta, MACRO, ty);
                }
                "update" => {
                    let ty: Type = meta.value()?.parse()?;
                    attr::set_once(cx, &mut attrs.update, &meta, MACRO, ty);
                }
                "bind" => {
                    let ty: Type = meta.value()?.parse()?;
                    attr::set_once(cx, &mut attrs.bind, &meta, MACRO, ty);
                }
                // #[osb::plan(asynchronous)] or #[osb::plan(asynchronous(provision, deprovision))]
                "asynchronous" => {
                    let operations = if meta.input.peek(syn::token::Paren) {
                        let content;
                        syn::parenthesized!(content in meta.input);
                        let list =
                            syn::punctuated::Punctuated::<Ident, syn::Token![,]>::parse_terminated(
                                &content,
                            )?;
                        let mut operations = Vec::new();
                        for op in list {
                            if ASYNC_OPERATIONS.contains(&op.to_string().as_str()) {
                                operations.push(op);
                            } else {
                                cx.error_spanned_by(&op, format!(
                                    "unknown operation `{op}`, expected one of: `provision`, `update`, `deprovision`, `bind`, `unbind`"
                                ));
                            }
                        }
                        operations
                    } else {
                        ASYNC_OPERATIONS
                            .iter()
                            .map(|op| Ident::new(op, meta.path.span()))
                            .collect()
                    };
                    attr::set_once(cx, &mut attrs.asynchronous, &meta, MACRO, operations);
                }
                _ => attr::unknown_key(cx, &meta, MACRO, KEYS)?,
            }
            Ok(())
        });
        attrs
    }

    fn is_async(&self, operation: &str) -> bool {
        self.asynchronous
            .as_ref()
            .is_some_and(|ops| ops.value.iter().any(|op| op == operation))
    }
}

fn parse_cost(cx: &Ctxt, meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Cost> {
    let span = meta.path.span();
    let mut unit = None;
    let mut amounts = Vec::new();
    meta.parse_nested_meta(|inner| {
        if inner.path.is_ident("unit") {
            unit = Some(attr::string(&inner)?);
        } else if let Some(currency) = inner.path.get_ident() {
            let lit: syn::Lit = inner.value()?.parse()?;
            let amount = match &lit {
                syn::Lit::Float(f) => f.base10_parse::<f64>().ok(),
                syn::Lit::Int(i) => i.base10_parse::<f64>().ok(),
                _ => None,
            };
            match amount {
                Some(amount) if amount.is_finite() => amounts.push((currency.clone(), amount)),
                _ => cx.error_spanned_by(&lit, "a cost amount is a number, such as `usd = 9.99`"),
            }
        } else {
            attr::unknown_key(
                cx,
                &inner,
                "osb::plan(metadata(cost))",
                &["unit", "<currency> = <amount>"],
            )?;
        }
        Ok(())
    })?;
    let Some(unit) = unit else {
        cx.error_at(span, "a cost needs a `unit = \"…\"`, such as \"MONTHLY\"");
        return Ok(Cost {
            unit: LitStr::new("", span),
            amounts,
        });
    };
    if amounts.is_empty() {
        cx.error_at(
            span,
            "a cost needs at least one amount, such as `usd = 9.99`",
        );
    }
    Ok(Cost { unit, amounts })
}

/// Checks of single values: required strings non-empty, names CLI-friendly, semver,
/// parameter types that can be objects.
fn check(cx: &Ctxt, item: &syn::ItemStruct, attrs: &PlanAttrs) -> Resolved {
    for (key, ty) in [
        ("provision", &attrs.provision),
        ("update", &attrs.update),
        ("bind", &attrs.bind),
    ] {
        if let Some(what) = ty.as_ref().and_then(|ty| not_an_object(&ty.value)) {
            cx.error_spanned_by(
                ty.as_ref().map(|ty| &ty.value),
                format!(
                    "`{key} = …` must be a type whose JSON Schema is an object, not {what}: \
                     OSB parameters are always a JSON object; declare a struct deriving \
                     `Deserialize` and `JsonSchema` (or a map)"
                ),
            );
        }
    }
    if !item.generics.params.is_empty() {
        cx.error_spanned_by(
            &item.generics,
            "a plan cannot be generic: it is one entry of the catalog",
        );
    }
    match &attrs.id {
        None => cx.error_at(
            Span::call_site(),
            "`#[osb::plan]` needs an `id = \"…\"`: a globally unique, stable id (a GUID is recommended)",
        ),
        Some(id) if id.value.value().is_empty() => {
            cx.error_spanned_by(&id.value, "the plan id MUST be a non-empty string");
        }
        Some(_) => {}
    }
    let name = match &attrs.name {
        Some(name) => {
            let text = name.value.value();
            if text.is_empty() {
                cx.error_spanned_by(&name.value, "the plan name MUST be a non-empty string");
            } else if !is_cli_friendly(&text) {
                cx.error_spanned_by(
                    &name.value,
                    format!("plan name `{text}` is not CLI-friendly: use only letters, digits, `.` and `-`"),
                );
            }
            text
        }
        None => default_name(cx, &item.ident, "plan"),
    };
    let description = match &attrs.description {
        Some(description) => {
            if description.value.value().is_empty() {
                cx.error_spanned_by(
                    &description.value,
                    "the plan description MUST be a non-empty string",
                );
            }
            description.value.value()
        }
        None => {
            let doc = doc_text(&item.attrs).summary;
            if doc.is_empty() {
                cx.error_spanned_by(
                    &item.ident,
                    "OSB requires a non-empty plan description: add a `///` doc comment or `description = \"…\"`",
                );
            }
            doc
        }
    };
    if let Some(version) = &attrs.maintenance_version {
        if semver::Version::parse(&version.value()).is_err() {
            cx.error_spanned_by(
                version,
                format!(
                    "maintenance_info version `{}` is not a semantic version 2.0, such as \"1.0.0\" or \"2.1.1+abcdef\"",
                    version.value()
                ),
            );
        }
    }
    for cost in &attrs.costs {
        if cost.unit.value().is_empty() && !cost.amounts.is_empty() {
            cx.error_spanned_by(&cost.unit, "a cost unit MUST be a non-empty string");
        }
    }
    Resolved { name, description }
}

fn some(value: TokenStream) -> TokenStream {
    quote!(::core::option::Option::Some(#value))
}

fn string(text: &str) -> TokenStream {
    // Trait methods by their full path: generated code cannot rely on the prelude.
    quote!(<::std::string::String as ::core::convert::From<&str>>::from(#text))
}

fn flag_type(flag: Option<&Key<bool>>) -> TokenStream {
    match flag.map(|f| f.value) {
        Some(true) => quote!(::osb::__private::Yes),
        Some(false) => quote!(::osb::__private::No),
        None => quote!(::osb::__private::Inherit),
    }
}

fn yes_no(value: bool) -> TokenStream {
    if value {
        quote!(::osb::__private::Yes)
    } else {
        quote!(::osb::__private::No)
    }
}

// Input:   #[osb::plan(id = "p-1", provision = SmallParams)] /// Small. struct Small;
// Output:  impl ::osb::dsl::PlanDef for Small { const ID = "p-1"; type Provision = SmallParams; … }
fn plan_def(item: &syn::ItemStruct, attrs: &PlanAttrs, resolved: &Resolved) -> TokenStream {
    let ident = &item.ident;
    let id = attrs
        .id
        .as_ref()
        .map(|id| id.value.value())
        .unwrap_or_default();
    let name = &resolved.name;
    let description = &resolved.description;
    let mut setters = Vec::new();
    for (field, flag) in [
        ("free", &attrs.free),
        ("bindable", &attrs.bindable),
        ("plan_updateable", &attrs.plan_updateable),
        ("binding_rotatable", &attrs.binding_rotatable),
    ] {
        if let Some(flag) = flag {
            let field = format_ident!("{}", field);
            let value = some(flag.value.to_token_stream());
            setters.push(quote!(plan.#field = #value;));
        }
    }
    if let Some(seconds) = &attrs.maximum_polling_duration {
        let value = some(seconds.value.to_token_stream());
        setters.push(quote!(plan.maximum_polling_duration = #value;));
    }
    if let Some(version) = &attrs.maintenance_version {
        let version = string(&version.value());
        let description = match &attrs.maintenance_description {
            Some(d) => some(string(&d.value())),
            None => quote!(::core::option::Option::None),
        };
        setters.push(quote! {
            plan.maintenance_info = ::core::option::Option::Some(::osb::catalog::MaintenanceInfo {
                version: #version,
                description: #description,
            });
        });
    }
    if attrs.display_name.is_some() || !attrs.bullets.is_empty() || !attrs.costs.is_empty() {
        let display_name = match &attrs.display_name {
            Some(d) => some(string(&d.value())),
            None => quote!(::core::option::Option::None),
        };
        let bullets = attrs.bullets.iter().map(|b| string(&b.value()));
        let costs = attrs.costs.iter().map(|cost| {
            let unit = string(&cost.unit.value());
            let amounts = cost.amounts.iter().map(|(currency, amount)| {
                let currency = string(&currency.to_string());
                quote!((#currency, #amount))
            });
            quote!(::osb::catalog::Cost {
                amount: ::core::iter::FromIterator::from_iter([#(#amounts),*]),
                unit: #unit,
            })
        });
        setters.push(quote! {
            plan.metadata = ::core::option::Option::Some(::osb::catalog::PlanMetadata {
                display_name: #display_name,
                bullets: ::std::vec![#(#bullets),*],
                costs: ::std::vec![#(#costs),*],
                extra: ::core::default::Default::default(),
            });
        });
    }
    for (ty, setter) in [
        (&attrs.provision, "provision_schema"),
        (&attrs.update, "update_schema"),
        (&attrs.bind, "bind_schema"),
    ] {
        if let Some(ty) = ty {
            let setter = format_ident!("{}", setter);
            let ty = &ty.value;
            let schema = quote_spanned!(ty.span()=> ::osb::__private::schema_of::<#ty>());
            setters.push(quote!(plan = plan.#setter(#schema);));
        }
    }
    if let Some(ops) = &attrs.asynchronous {
        let consts = ops.value.iter().map(|op| {
            let name = format_ident!("{}", op.to_string().to_uppercase());
            quote!(::osb::catalog::AsyncOperations::#name)
        });
        setters.push(
            quote!(plan.async_only = ::osb::catalog::AsyncOperations::NONE #(.union(#consts))*;),
        );
    }
    if attrs.requires_app.as_ref().is_some_and(|r| r.value) {
        setters.push(quote!(plan.requires_app = true;));
    }

    let parameter_types = parameter_types(attrs);
    let bindable = flag_type(attrs.bindable.as_ref());
    let updateable = flag_type(attrs.plan_updateable.as_ref());
    let async_instance = yes_no(
        attrs.is_async("provision") || attrs.is_async("update") || attrs.is_async("deprovision"),
    );
    let async_binding = yes_no(attrs.is_async("bind") || attrs.is_async("unbind"));
    quote! {
        #[automatically_derived]
        impl ::osb::dsl::PlanDef for #ident {
            const ID: &'static str = #id;
            const NAME: &'static str = #name;
            #parameter_types
            #[doc(hidden)]
            type Bindable = #bindable;
            #[doc(hidden)]
            type Updateable = #updateable;
            #[doc(hidden)]
            type AsyncInstance = #async_instance;
            #[doc(hidden)]
            type AsyncBinding = #async_binding;

            fn definition() -> ::osb::catalog::Plan {
                let mut plan = ::osb::catalog::Plan::new(
                    <Self as ::osb::dsl::PlanDef>::ID,
                    <Self as ::osb::dsl::PlanDef>::NAME,
                    #description,
                );
                #(#setters)*
                plan
            }
        }
    }
}

/// The associated parameter types and their conversions.
fn parameter_types(attrs: &PlanAttrs) -> TokenStream {
    let raw_option = quote!(::core::option::Option<::osb::request::Parameters>);
    let result = |ty: TokenStream| quote!(::core::result::Result<#ty, ::osb::Error>);
    let (provision_ty, provision_fn) = match &attrs.provision {
        Some(ty) => {
            let ty = &ty.value;
            (
                quote!(#ty),
                quote_spanned!(ty.span()=> ::osb::__private::typed_parameters::<#ty>(raw)),
            )
        }
        None => (
            raw_option.clone(),
            quote!(::osb::__private::raw_parameters(raw)),
        ),
    };
    let (update_ty, update_fn) = match &attrs.update {
        Some(ty) => {
            let ty = &ty.value;
            (
                quote!(#ty),
                quote_spanned!(ty.span()=> ::osb::__private::typed_update_parameters::<#ty>(raw)),
            )
        }
        None => (
            quote!(::osb::request::Parameters),
            quote!(::osb::__private::raw_update_parameters(raw)),
        ),
    };
    let (bind_ty, bind_fn) = match &attrs.bind {
        Some(ty) => {
            let ty = &ty.value;
            (
                quote!(#ty),
                quote_spanned!(ty.span()=> ::osb::__private::typed_parameters::<#ty>(raw)),
            )
        }
        None => (
            raw_option.clone(),
            quote!(::osb::__private::raw_parameters(raw)),
        ),
    };
    let provision_result = result(quote!(Self::Provision));
    let update_result = result(quote!(Self::Update));
    let bind_result = result(quote!(Self::Bind));
    quote! {
        type Provision = #provision_ty;
        type Update = #update_ty;
        type Bind = #bind_ty;

        fn provision_parameters(raw: #raw_option) -> #provision_result {
            #provision_fn
        }

        fn update_parameters(raw: ::osb::request::Parameters) -> #update_result {
            #update_fn
        }

        fn bind_parameters(raw: #raw_option) -> #bind_result {
            #bind_fn
        }
    }
}

/// A `PlanDef` for a plan with errors: an id no valid plan can have, so the catalog
/// checks of services and brokers stay quiet, and the types that did parse.
fn dummy_plan_def(item: &syn::ItemStruct, attrs: &PlanAttrs) -> TokenStream {
    if !item.generics.params.is_empty() {
        // `impl PlanDef for Small` would add "missing generics for struct `Small`".
        return TokenStream::new();
    }
    let ident = &item.ident;
    let id = format!("<invalid plan {ident}>");
    let parameter_types = parameter_types(attrs);
    quote! {
        impl ::osb::dsl::PlanDef for #ident {
            const ID: &'static str = #id;
            const NAME: &'static str = #id;
            #parameter_types
            type Bindable = ::osb::__private::Inherit;
            type Updateable = ::osb::__private::Inherit;
            type AsyncInstance = ::osb::__private::No;
            type AsyncBinding = ::osb::__private::No;
            fn definition() -> ::osb::catalog::Plan {
                ::osb::catalog::Plan::new(#id, #id, #id)
            }
        }
    }
}
