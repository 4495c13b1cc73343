//! Checks of what an offering declares, before anything is generated.

use proc_macro2::Span;

use super::parse::ServiceAttrs;
use crate::ctxt::Ctxt;
use crate::doc::doc_text;
use crate::naming::{default_name, is_cli_friendly};
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
    match &attrs.id {
        // A value that did not parse was reported: the key is there.
        None if attrs.invalid.iter().any(|key| key == "id") => {}
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
        // A value that did not parse was reported: the key is there.
        None if attrs.invalid.iter().any(|key| key == "description") => String::new(),
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
        id: attrs
            .id
            .as_ref()
            .map(|id| id.value.value())
            .unwrap_or_default(),
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
