//! Checks of what an offering declares, before anything is generated.

use proc_macro2::Span;

use super::parse::ServiceAttrs;
use crate::ctxt::Ctxt;
use crate::doc::doc_text;
use crate::entry::Entry;
use crate::paths::{path_text, same_path};

/// What the checks decide for the expansion: the offering's name and descriptions
/// from keys, the type name and docs.
pub(crate) struct Checked {
    /// The id (empty only when an error was reported).
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) long_description: Option<String>,
}

pub(crate) fn check(cx: &Ctxt, item: &syn::ItemStruct, attrs: &ServiceAttrs) -> Checked {
    if !item.generics.params.is_empty() {
        cx.error_spanned_by(
            &item.generics,
            "a service offering cannot be generic: it is one entry of the catalog",
        );
    }
    let entry = Entry {
        macro_name: super::MACRO,
        what: "service offering",
        ident: &item.ident,
        invalid: &attrs.invalid,
    };
    let id = entry.id(cx, attrs.id.as_ref());
    let name = entry.name(cx, attrs.name.as_ref());
    let doc = doc_text(&item.attrs);
    let description = entry.description(cx, attrs.description.as_ref(), &doc.summary);
    match &attrs.plans {
        None if attrs.invalid.iter().any(|key| key == "plans") => {}
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
    Checked {
        id,
        name,
        description,
        long_description: doc.rest,
    }
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;

    fn messages(args: TokenStream) -> Vec<String> {
        let cx = Ctxt::new();
        let item: syn::ItemStruct = syn::parse2(quote!(
            #[doc = " A db."]
            struct Db;
        ))
        .unwrap();
        let attrs = ServiceAttrs::from_syn(&cx, args);
        let _ = check(&cx, &item, &attrs);
        cx.messages()
    }

    #[test]
    fn a_valid_offering_has_no_message() {
        assert_eq!(
            messages(quote!(id = "s-1", bindable, plans(Small, Large))),
            Vec::<String>::new()
        );
    }

    #[test]
    fn plans_are_required_once_each() {
        assert!(messages(quote!(id = "s-1"))[0].starts_with("`#[osb::service]` needs `plans(…)`"));
        assert_eq!(
            messages(quote!(id = "s-1", plans(Small, Small))),
            ["plan `Small` is listed twice"]
        );
    }

    #[test]
    fn a_list_or_id_that_did_not_parse_is_not_missing() {
        assert_eq!(
            messages(quote!(id = 5, plans(Small))),
            ["expected string literal"]
        );
        assert_eq!(
            messages(quote!(id = "s-1", plans = Small)),
            ["expected parentheses"]
        );
    }
}
