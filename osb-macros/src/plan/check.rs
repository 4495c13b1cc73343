//! Checks of what a plan declares, before anything is generated.

use proc_macro2::Span;

use super::parse::PlanAttrs;
use crate::ctxt::Ctxt;
use crate::doc::doc_text;
use crate::entry::Entry;
use crate::params::not_an_object;

/// What the checks decide for the expansion: the plan's name and description from
/// keys, the type name and docs, and what it declares that needs a bindable plan.
pub(crate) struct Checked {
    /// The id (empty only when an error was reported).
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) description: String,
    /// The error for an offering that leaves this plan unbindable, if the plan
    /// declares something only a bindable plan can have.
    pub(crate) binding_only: Option<String>,
}

/// Checks of single values: required strings non-empty, names CLI-friendly, semver,
/// parameter types that can be objects; and of keys that contradict each other.
pub(crate) fn check(cx: &Ctxt, item: &syn::ItemStruct, attrs: &PlanAttrs) -> Checked {
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
    let entry = Entry {
        macro_name: super::MACRO,
        what: "plan",
        ident: &item.ident,
        invalid: &attrs.invalid,
    };
    let id = entry.id(cx, attrs.id.as_ref());
    let name = entry.name(cx, attrs.name.as_ref());
    let description = entry.description(
        cx,
        attrs.description.as_ref(),
        &doc_text(&item.attrs).summary,
    );
    if let Some(version) = &attrs.maintenance_version
        && semver::Version::parse(&version.value()).is_err()
    {
        cx.error_spanned_by(
                version,
                format!(
                    "maintenance_info version `{}` is not a semantic version 2.0, such as \"1.0.0\" or \"2.1.1+abcdef\"",
                    version.value()
                ),
            );
    }
    for cost in &attrs.costs {
        if cost.unit.value().is_empty() && !cost.amounts.is_empty() {
            cx.error_spanned_by(&cost.unit, "a cost unit MUST be a non-empty string");
        }
    }
    let binding_only = binding_only(cx, item, attrs);
    Checked {
        id,
        name,
        description,
        binding_only,
    }
}

/// The keys that only make sense on a bindable plan, if the plan sets any: an error
/// at each when the plan says `bindable = false`; otherwise the message the offering
/// reports if it leaves the plan unbindable.
fn binding_only(cx: &Ctxt, item: &syn::ItemStruct, attrs: &PlanAttrs) -> Option<String> {
    let mut keys: Vec<(Span, &str)> = Vec::new();
    if let Some(bind) = &attrs.bind {
        keys.push((bind.span, "bind = …"));
    }
    for (flag, key) in [
        (&attrs.binding_rotatable, "binding_rotatable"),
        (&attrs.requires_app, "requires_app"),
    ] {
        if let Some(flag) = flag.as_ref().filter(|flag| flag.value) {
            keys.push((flag.span, key));
        }
    }
    if let (Some(ops), true) = (&attrs.asynchronous, attrs.asynchronous_listed) {
        for op in &ops.value {
            if op == "bind" {
                keys.push((op.span(), "asynchronous(bind)"));
            } else if op == "unbind" {
                keys.push((op.span(), "asynchronous(unbind)"));
            }
        }
    }
    if attrs.bindable.as_ref().is_some_and(|flag| !flag.value) {
        for (span, key) in keys {
            cx.error_at(
                span,
                format!("`{key}` concerns bindings, but the plan says `bindable = false`: remove one of them"),
            );
        }
        return None;
    }
    let (_, key) = keys.first()?;
    Some(format!(
        "plan `{}` declares `{key}`, which concerns bindings, but neither the plan nor its \
         offering is bindable: set `bindable` on one of them, or remove `{key}`",
        item.ident
    ))
}

#[cfg(test)]
mod tests {
    use proc_macro2::TokenStream;
    use quote::quote;

    use super::*;

    fn run(args: TokenStream, item: TokenStream) -> (Option<Checked>, Vec<String>) {
        let cx = Ctxt::new();
        let item: syn::ItemStruct = syn::parse2(item).unwrap();
        let attrs = PlanAttrs::from_syn(&cx, args);
        let checked = check(&cx, &item, &attrs);
        let messages = cx.messages();
        (messages.is_empty().then_some(checked), messages)
    }

    #[test]
    fn name_and_description_come_from_the_type() {
        let (checked, _) = run(
            quote!(id = "p-1"),
            quote!(
                #[doc = " A small one."]
                struct SmallDb;
            ),
        );
        let checked = checked.unwrap();
        assert_eq!(checked.name, "small-db");
        assert_eq!(checked.description, "A small one.");
        assert_eq!(checked.binding_only, None);
    }

    #[test]
    fn binding_keys_wait_for_the_offering_unless_the_plan_says_no() {
        let (checked, _) = run(
            quote!(id = "p-1", binding_rotatable, asynchronous(provision, bind)),
            quote!(
                #[doc = " Small."]
                struct Small;
            ),
        );
        assert_eq!(
            checked.unwrap().binding_only.as_deref(),
            Some(
                "plan `Small` declares `binding_rotatable`, which concerns bindings, but neither the \
                 plan nor its offering is bindable: set `bindable` on one of them, or remove `binding_rotatable`"
            )
        );
        let (_, messages) = run(
            quote!(id = "p-1", bindable = false, bind = P),
            quote!(
                #[doc = " Small."]
                struct Small;
            ),
        );
        assert_eq!(
            messages,
            [
                "`bind = …` concerns bindings, but the plan says `bindable = false`: remove one of them"
            ]
        );
        // `asynchronous` alone means every operation that applies: not a binding key.
        let (checked, _) = run(
            quote!(id = "p-1", asynchronous),
            quote!(
                #[doc = " S."]
                struct S;
            ),
        );
        assert_eq!(checked.unwrap().binding_only, None);
    }

    #[test]
    fn an_id_that_did_not_parse_is_not_missing() {
        let (_, messages) = run(
            quote!(id = 5),
            quote!(
                #[doc = " S."]
                struct S;
            ),
        );
        assert_eq!(messages, ["expected string literal"]);
        let (_, messages) = run(
            quote!(),
            quote!(
                #[doc = " S."]
                struct S;
            ),
        );
        assert!(
            messages[0].starts_with("`#[osb::plan]` needs an `id = \"…\"`"),
            "{messages:?}"
        );
    }

    #[test]
    fn parameter_types_must_be_objects() {
        let (_, messages) = run(
            quote!(id = "p-1", provision = Vec<u8>),
            quote!(
                #[doc = " S."]
                struct S;
            ),
        );
        assert!(messages[0].contains("not a JSON array"), "{messages:?}");
    }
}
