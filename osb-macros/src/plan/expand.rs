//! A checked plan → its `PlanDef` impl (or a dummy one after errors).

use proc_macro2::TokenStream;
use quote::{ToTokens as _, format_ident, quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

use super::check::Checked;
use super::parse::PlanAttrs;
use crate::attr::Key;
use crate::tokens::{some, string};

fn flag_type(krate: &Path, flag: Option<&Key<bool>>) -> TokenStream {
    match flag.map(|f| f.value) {
        Some(true) => quote!(#krate::dsl::rules::Yes),
        Some(false) => quote!(#krate::dsl::rules::No),
        None => quote!(#krate::dsl::rules::Inherit),
    }
}

fn yes_no(krate: &Path, value: bool) -> TokenStream {
    if value {
        quote!(#krate::dsl::rules::Yes)
    } else {
        quote!(#krate::dsl::rules::No)
    }
}

// Input:   #[osb::plan(id = "p-1", provision = SmallParams)] /// Small. struct Small;
// Output:  impl ::osb::dsl::PlanDef for Small { const ID = "p-1"; type Provision = SmallParams; … }
pub(crate) fn plan_def(
    item: &syn::ItemStruct,
    attrs: &PlanAttrs,
    checked: &Checked,
) -> TokenStream {
    let krate = &attrs.krate;
    let ident = &item.ident;
    let id = &checked.id;
    let name = &checked.name;
    let description = &checked.description;
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
            plan.maintenance_info = ::core::option::Option::Some(#krate::catalog::MaintenanceInfo {
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
            quote!(#krate::catalog::Cost {
                amount: ::core::iter::FromIterator::from_iter([#(#amounts),*]),
                unit: #unit,
            })
        });
        setters.push(quote! {
            plan.metadata = ::core::option::Option::Some(#krate::catalog::PlanMetadata {
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
            let schema = quote_spanned!(ty.span()=> #krate::dsl::rules::schema_of::<#ty>());
            setters.push(quote!(plan = plan.#setter(#schema);));
        }
    }
    if let Some(ops) = &attrs.asynchronous {
        let consts = ops.value.iter().map(|op| {
            let name = format_ident!("{}", op.to_string().to_uppercase());
            quote!(#krate::catalog::AsyncOperations::#name)
        });
        setters.push(
            quote!(plan.async_only = #krate::catalog::AsyncOperations::NONE #(.union(#consts))*;),
        );
    }
    if attrs.requires_app.as_ref().is_some_and(|r| r.value) {
        setters.push(quote!(plan.requires_app = true;));
    }

    let parameter_types = parameter_types(attrs);
    let bindable = flag_type(krate, attrs.bindable.as_ref());
    let updateable = flag_type(krate, attrs.plan_updateable.as_ref());
    let async_instance = yes_no(
        krate,
        attrs.is_async("provision") || attrs.is_async("update") || attrs.is_async("deprovision"),
    );
    let async_binding = yes_no(krate, attrs.is_async("bind") || attrs.is_async("unbind"));
    let update_params = yes_no(krate, attrs.update.is_some());
    let bindable_const = match &attrs.bindable {
        Some(flag) => some(flag.value.to_token_stream()),
        None => quote!(::core::option::Option::None),
    };
    let binding_only = match &checked.binding_only {
        Some(message) => some(quote!(#message)),
        None => quote!(::core::option::Option::None),
    };
    quote! {
        #[automatically_derived]
        impl #krate::dsl::PlanDef for #ident {
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
            #[doc(hidden)]
            type UpdateParams = #update_params;
            #[doc(hidden)]
            const BINDABLE: ::core::option::Option<bool> = #bindable_const;
            #[doc(hidden)]
            const BINDING_ONLY: ::core::option::Option<&'static str> = #binding_only;

            fn definition() -> #krate::catalog::Plan {
                let mut plan = #krate::catalog::Plan::new(
                    <Self as #krate::dsl::PlanDef>::ID,
                    <Self as #krate::dsl::PlanDef>::NAME,
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
    let krate = &attrs.krate;
    let raw_option = quote!(::core::option::Option<#krate::request::Parameters>);
    let result = |ty: TokenStream| quote!(::core::result::Result<#ty, #krate::Error>);
    let (provision_ty, provision_fn) = match &attrs.provision {
        Some(ty) => {
            let ty = &ty.value;
            (
                quote!(#ty),
                quote_spanned!(ty.span()=> #krate::dsl::rules::typed_parameters::<#ty>(raw)),
            )
        }
        None => (
            raw_option.clone(),
            quote!(#krate::__private::raw_parameters(raw)),
        ),
    };
    let (update_ty, update_fn) = match &attrs.update {
        Some(ty) => {
            let ty = &ty.value;
            (
                quote!(#ty),
                quote_spanned!(ty.span()=> #krate::dsl::rules::typed_update_parameters::<#ty>(raw)),
            )
        }
        None => (
            quote!(#krate::request::Parameters),
            quote!(#krate::__private::raw_update_parameters(raw)),
        ),
    };
    let (bind_ty, bind_fn) = match &attrs.bind {
        Some(ty) => {
            let ty = &ty.value;
            (
                quote!(#ty),
                quote_spanned!(ty.span()=> #krate::dsl::rules::typed_parameters::<#ty>(raw)),
            )
        }
        None => (
            raw_option.clone(),
            quote!(#krate::__private::raw_parameters(raw)),
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

        fn update_parameters(raw: #krate::request::Parameters) -> #update_result {
            #update_fn
        }

        fn bind_parameters(raw: #raw_option) -> #bind_result {
            #bind_fn
        }
    }
}

/// A `PlanDef` for a plan with errors: an id no valid plan can have, so the catalog
/// checks of services and brokers stay quiet, and the types that did parse.
pub(crate) fn dummy_plan_def(item: &syn::ItemStruct, attrs: &PlanAttrs) -> TokenStream {
    let krate = &attrs.krate;
    if !item.generics.params.is_empty() {
        // `impl PlanDef for Small` would add "missing generics for struct `Small`".
        return TokenStream::new();
    }
    let ident = &item.ident;
    let id = format!("<invalid plan {ident}>");
    let parameter_types = parameter_types(attrs);
    quote! {
        impl #krate::dsl::PlanDef for #ident {
            const ID: &'static str = #id;
            const NAME: &'static str = #id;
            #parameter_types
            type Bindable = #krate::dsl::rules::Inherit;
            type Updateable = #krate::dsl::rules::Inherit;
            type AsyncInstance = #krate::dsl::rules::No;
            type AsyncBinding = #krate::dsl::rules::No;
            type UpdateParams = #krate::dsl::rules::No;
            fn definition() -> #krate::catalog::Plan {
                #krate::catalog::Plan::new(#id, #id, #id)
            }
        }
    }
}
