//! `#[osb::service(…)]` tokens → [`ServiceAttrs`]: every key read, each value checked alone.

use proc_macro2::{Span, TokenStream};
use quote::format_ident;
use syn::spanned::Spanned;
use syn::{Ident, LitStr, Path};

use super::MACRO;
use crate::attr::{self, Key};
use crate::ctxt::Ctxt;
use crate::krate;

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
    "crate",
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
pub(crate) const REQUIREMENTS: &[(&str, &str)] = &[
    ("syslog_drain", "SyslogDrain"),
    ("route_forwarding", "RouteForwarding"),
    ("volume_mount", "VolumeMount"),
];

pub(crate) struct ServiceAttrs {
    pub(crate) id: Option<Key<LitStr>>,
    pub(crate) name: Option<Key<LitStr>>,
    pub(crate) description: Option<Key<LitStr>>,
    pub(crate) bindable: Option<Key<bool>>,
    pub(crate) tags: Vec<LitStr>,
    pub(crate) requires: Vec<Ident>,
    pub(crate) instances_retrievable: Option<Key<bool>>,
    pub(crate) bindings_retrievable: Option<Key<bool>>,
    pub(crate) allow_context_updates: Option<Key<bool>>,
    pub(crate) plan_updateable: Option<Key<bool>>,
    pub(crate) plans: Option<Key<Vec<Path>>>,
    pub(crate) metadata: Vec<(Ident, MetadataValue)>,
    pub(crate) dashboard_client: Option<DashboardClient>,
    /// The path of the `osb` crate in generated code.
    pub(crate) krate: Path,
    /// Keys whose value did not parse: reported once, and not again as missing.
    pub(crate) invalid: Vec<String>,
}

pub(crate) enum MetadataValue {
    Text(LitStr),
    Flag(bool),
}

pub(crate) struct DashboardClient {
    pub(crate) span: Span,
    pub(crate) id: Option<LitStr>,
    pub(crate) secret: Option<LitStr>,
    pub(crate) redirect_uri: Option<LitStr>,
}

impl ServiceAttrs {
    pub(crate) fn from_syn(cx: &Ctxt, args: TokenStream) -> Self {
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
            krate: krate::default_path(),
            invalid: Vec::new(),
        };
        let mut seen = attr::Seen::default();
        attrs.invalid = attr::parse_keys(cx, args, |meta| {
            match attr::key_name(&meta).as_str() {
                // #[osb::service(crate = "my_osb")]
                "crate" => attrs.krate = krate::parse(&meta)?,
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

    pub(crate) fn plans(&self) -> &[Path] {
        self.plans.as_ref().map_or(&[], |plans| &plans.value)
    }
}
