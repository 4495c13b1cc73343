//! The id, name and description every catalog entry has (an offering or a plan),
//! checked alike: the id present and non-empty, the name set or made of the type's
//! name and CLI-friendly, the description set or taken from the doc comment.

use proc_macro2::Span;
use syn::LitStr;

use crate::attr::Key;
use crate::ctxt::Ctxt;
use crate::naming::{default_name, is_cli_friendly};

/// One entry's keys as parsed, and what the entry is called in messages.
pub(crate) struct Entry<'a> {
    /// `osb::plan` or `osb::service`.
    pub(crate) macro_name: &'a str,
    /// `plan` or `service offering`.
    pub(crate) what: &'a str,
    pub(crate) ident: &'a syn::Ident,
    /// Keys whose value did not parse: reported already, so not missing.
    pub(crate) invalid: &'a [String],
}

impl Entry<'_> {
    fn reported(&self, key: &str) -> bool {
        self.invalid.iter().any(|invalid| invalid == key)
    }

    /// The id (empty only after an error).
    pub(crate) fn id(&self, cx: &Ctxt, id: Option<&Key<LitStr>>) -> String {
        let what = self.what;
        match id {
            None if self.reported("id") => {}
            None => cx.error_at(
                Span::call_site(),
                format!(
                    "`#[{}]` needs an `id = \"…\"`: a globally unique, stable id (a GUID is recommended)",
                    self.macro_name
                ),
            ),
            Some(id) if id.value.value().is_empty() => {
                cx.error_spanned_by(&id.value, format!("the {what} id MUST be a non-empty string"));
            }
            Some(_) => {}
        }
        id.map(|id| id.value.value()).unwrap_or_default()
    }

    /// The name: the key's, else the type's name in kebab-case.
    pub(crate) fn name(&self, cx: &Ctxt, name: Option<&Key<LitStr>>) -> String {
        let what = self.what;
        let Some(name) = name else {
            return default_name(cx, self.ident, what);
        };
        let text = name.value.value();
        if text.is_empty() {
            cx.error_spanned_by(
                &name.value,
                format!("the {what} name MUST be a non-empty string"),
            );
        } else if !is_cli_friendly(&text) {
            cx.error_spanned_by(
                &name.value,
                format!("{what} name `{text}` is not CLI-friendly: use only letters, digits, `.` and `-`"),
            );
        }
        text
    }

    /// The description: the key's, else `summary`, the doc comment's first paragraph.
    pub(crate) fn description(
        &self,
        cx: &Ctxt,
        description: Option<&Key<LitStr>>,
        summary: &str,
    ) -> String {
        let what = self.what;
        match description {
            Some(description) => {
                let text = description.value.value();
                if text.is_empty() {
                    cx.error_spanned_by(
                        &description.value,
                        format!("the {what} description MUST be a non-empty string"),
                    );
                }
                text
            }
            None if self.reported("description") => String::new(),
            None => {
                if summary.is_empty() {
                    cx.error_spanned_by(
                        self.ident,
                        format!(
                            "OSB requires a non-empty {what} description: add a `///` doc comment or `description = \"…\"`"
                        ),
                    );
                }
                summary.to_owned()
            }
        }
    }
}
