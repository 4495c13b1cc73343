//! `#[osb::plan(…)]` tokens → [`PlanAttrs`]: every key read, each value checked alone.

use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Path, Type};

use super::MACRO;
use crate::attr::{self, Key};
use crate::ctxt::Ctxt;
use crate::krate;

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
    "crate",
];
const ASYNC_OPERATIONS: &[&str] = &["provision", "update", "deprovision", "bind", "unbind"];

/// What `#[osb::plan(...)]` declares.
pub(crate) struct PlanAttrs {
    pub(crate) id: Option<Key<LitStr>>,
    pub(crate) name: Option<Key<LitStr>>,
    pub(crate) description: Option<Key<LitStr>>,
    pub(crate) free: Option<Key<bool>>,
    pub(crate) bindable: Option<Key<bool>>,
    pub(crate) plan_updateable: Option<Key<bool>>,
    pub(crate) binding_rotatable: Option<Key<bool>>,
    pub(crate) maximum_polling_duration: Option<Key<u64>>,
    pub(crate) maintenance_version: Option<LitStr>,
    pub(crate) maintenance_description: Option<LitStr>,
    pub(crate) display_name: Option<LitStr>,
    pub(crate) bullets: Vec<LitStr>,
    pub(crate) costs: Vec<Cost>,
    pub(crate) provision: Option<Key<Type>>,
    pub(crate) update: Option<Key<Type>>,
    pub(crate) bind: Option<Key<Type>>,
    pub(crate) asynchronous: Option<Key<Vec<Ident>>>,
    /// `asynchronous(…)` names its operations (rather than meaning all of them).
    pub(crate) asynchronous_listed: bool,
    pub(crate) requires_app: Option<Key<bool>>,
    /// The path of the `osb` crate in generated code.
    pub(crate) krate: Path,
    /// Keys whose value did not parse: reported once, and not again as missing.
    pub(crate) invalid: Vec<String>,
}

pub(crate) struct Cost {
    pub(crate) unit: LitStr,
    pub(crate) amounts: Vec<(Ident, f64)>,
}

impl PlanAttrs {
    pub(crate) fn from_syn(cx: &Ctxt, args: TokenStream) -> Self {
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
            asynchronous_listed: false,
            requires_app: None,
            krate: krate::default_path(),
            invalid: Vec::new(),
        };
        let mut seen = attr::Seen::default();
        attrs.invalid = attr::parse_keys(cx, args, |meta| {
            let key = attr::key_name(&meta);
            match key.as_str() {
                // #[osb::plan(crate = "my_osb")]
                "crate" => attrs.krate = krate::parse(&meta)?,
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
                        if list.is_empty() {
                            cx.error_spanned_by(
                                &meta.path,
                                "`asynchronous()` lists no operation: write `asynchronous` for \
                                 all of them, or name them, such as `asynchronous(provision, deprovision)`",
                            );
                        }
                        attrs.asynchronous_listed = true;
                        let mut operations: Vec<Ident> = Vec::new();
                        for op in list {
                            if operations.contains(&op) {
                                cx.error_spanned_by(&op, format!("`{op}` is listed twice"));
                            } else if ASYNC_OPERATIONS.contains(&op.to_string().as_str()) {
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

    pub(crate) fn is_async(&self, operation: &str) -> bool {
        self.asynchronous
            .as_ref()
            .is_some_and(|ops| ops.value.iter().any(|op| op == operation))
    }
}

pub(crate) fn parse_cost(cx: &Ctxt, meta: &syn::meta::ParseNestedMeta<'_>) -> syn::Result<Cost> {
    let span = meta.path.span();
    let mut unit = None;
    let mut amounts = Vec::new();
    // An amount that is not a number is reported once, not again as a missing amount.
    let mut invalid_amount = false;
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
                _ => {
                    invalid_amount = true;
                    cx.error_spanned_by(&lit, "a cost amount is a number, such as `usd = 9.99`");
                }
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
    if amounts.is_empty() && !invalid_amount {
        cx.error_at(
            span,
            "a cost needs at least one amount, such as `usd = 9.99`",
        );
    }
    Ok(Cost { unit, amounts })
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::*;
    use crate::paths::path_text;

    #[test]
    fn reads_every_kind_of_key() {
        let cx = Ctxt::new();
        let attrs = PlanAttrs::from_syn(
            &cx,
            quote!(
                id = "p-1",
                bindable = false,
                free,
                asynchronous(provision),
                update = P,
                crate = "my_osb"
            ),
        );
        assert_eq!(cx.messages(), Vec::<String>::new());
        assert_eq!(attrs.id.map(|id| id.value.value()).as_deref(), Some("p-1"));
        assert_eq!(attrs.bindable.map(|flag| flag.value), Some(false));
        assert_eq!(attrs.free.map(|flag| flag.value), Some(true));
        assert!(attrs.asynchronous_listed);
        assert!(attrs.update.is_some());
        assert_eq!(path_text(&attrs.krate), "my_osb");
    }

    #[test]
    fn the_crate_is_osb_unless_renamed() {
        let attrs = PlanAttrs::from_syn(&Ctxt::new(), quote!(id = "p-1"));
        assert_eq!(path_text(&attrs.krate), "::osb");
    }

    #[test]
    fn a_value_that_does_not_parse_is_reported_once_and_remembered() {
        let cx = Ctxt::new();
        let attrs = PlanAttrs::from_syn(&cx, quote!(id = 5, name = "small"));
        assert_eq!(attrs.invalid, ["id"]);
        assert!(attrs.name.is_some(), "the keys after it still count");
        assert_eq!(cx.messages(), ["expected string literal"]);
    }

    #[test]
    fn asynchronous_names_operations_once_each() {
        let cx = Ctxt::new();
        let _ = PlanAttrs::from_syn(&cx, quote!(id = "p-1", asynchronous()));
        let _ = PlanAttrs::from_syn(&cx, quote!(id = "p-2", asynchronous(bind, bind, sync)));
        let messages = cx.messages();
        assert!(
            messages[0].starts_with("`asynchronous()` lists no operation"),
            "{messages:?}"
        );
        assert_eq!(messages[1], "`bind` is listed twice");
        assert!(
            messages[2].starts_with("unknown operation `sync`"),
            "{messages:?}"
        );
    }

    #[test]
    fn a_cost_amount_that_is_not_a_number_is_one_error() {
        let cx = Ctxt::new();
        let attrs = PlanAttrs::from_syn(
            &cx,
            quote!(id = "p-1", metadata(cost(unit = "MONTHLY", usd = "9"))),
        );
        assert_eq!(
            cx.messages(),
            ["a cost amount is a number, such as `usd = 9.99`"]
        );
        assert_eq!(attrs.costs.len(), 1);
    }
}
