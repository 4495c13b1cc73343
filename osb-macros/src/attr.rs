//! Parsing helpers shared by the attribute macros: keys, flags, lists.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{LitStr, Path, Token};

use crate::ctxt::Ctxt;

/// A value with the span of the key that set it, so later errors point at the key.
pub(crate) struct Key<T> {
    pub(crate) span: Span,
    pub(crate) value: T,
}

/// The name of a key as written.
pub(crate) fn key_name(meta: &ParseNestedMeta<'_>) -> String {
    let path = &meta.path;
    path.get_ident().map_or_else(
        || quote::quote!(#path).to_string().replace(' ', ""),
        ToString::to_string,
    )
}

/// Stores `value` unless the key was given before (then an error at the second one).
pub(crate) fn set_once<T>(
    cx: &Ctxt,
    slot: &mut Option<Key<T>>,
    meta: &ParseNestedMeta<'_>,
    macro_name: &str,
    value: T,
) {
    if slot.is_some() {
        cx.error_spanned_by(
            &meta.path,
            format!("duplicate `#[{macro_name}]` key `{}`", key_name(meta)),
        );
    } else {
        *slot = Some(Key {
            span: meta.path.span(),
            value,
        });
    }
}

/// `key = "text"`.
pub(crate) fn string(meta: &ParseNestedMeta<'_>) -> syn::Result<LitStr> {
    meta.value()?.parse()
}

/// `key` (true) or `key = true|false`.
pub(crate) fn flag(meta: &ParseNestedMeta<'_>) -> syn::Result<bool> {
    if meta.input.peek(Token![=]) {
        let lit: syn::LitBool = meta.value()?.parse()?;
        Ok(lit.value)
    } else {
        Ok(true)
    }
}

/// `key("a", "b")`.
pub(crate) fn strings(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<LitStr>> {
    let content;
    syn::parenthesized!(content in meta.input);
    Ok(Punctuated::<LitStr, Token![,]>::parse_terminated(&content)?
        .into_iter()
        .collect())
}

/// `key(A, b::B)`.
pub(crate) fn paths(meta: &ParseNestedMeta<'_>) -> syn::Result<Vec<Path>> {
    let content;
    syn::parenthesized!(content in meta.input);
    Ok(Punctuated::<Path, Token![,]>::parse_terminated(&content)?
        .into_iter()
        .collect())
}

/// Consumes whatever follows an unknown key (`= value` or `(…)`), so parsing goes on
/// and the other keys are still checked.
pub(crate) fn skip_value(meta: &ParseNestedMeta<'_>) -> syn::Result<()> {
    if meta.input.peek(Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let _: TokenStream = content.parse()?;
    }
    Ok(())
}

/// Reports an unknown key, listing the valid ones, and skips its value.
pub(crate) fn unknown_key(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    macro_name: &str,
    keys: &[&str],
) -> syn::Result<()> {
    let expected = keys
        .iter()
        .map(|key| format!("`{key}`"))
        .collect::<Vec<_>>()
        .join(", ");
    cx.error_spanned_by(
        &meta.path,
        format!(
            "unknown `#[{macro_name}]` key `{}`, expected one of: {expected}",
            key_name(meta)
        ),
    );
    skip_value(meta)
}

/// Parses `args` with `parse_key` for each `key …`. A key whose value does not parse
/// is reported in `cx` and skipped up to the next `,`, so the keys after it still
/// count (otherwise a lost `provision = T` would surface as unrelated type errors).
/// Returns the names of those keys, so the checks do not report them again as missing.
pub(crate) fn parse_keys(
    cx: &Ctxt,
    args: TokenStream,
    mut parse_key: impl FnMut(ParseNestedMeta<'_>) -> syn::Result<()>,
) -> Vec<String> {
    let mut invalid = Vec::new();
    let parser = syn::meta::parser(|meta| {
        let input = meta.input;
        let key = key_name(&meta);
        if let Err(err) = parse_key(meta) {
            cx.syn_error(err);
            invalid.push(key);
            skip_to_comma(input)?;
        }
        Ok(())
    });
    if let Err(err) = syn::parse::Parser::parse2(parser, args) {
        cx.syn_error(err);
    }
    invalid
}

fn skip_to_comma(input: syn::parse::ParseStream<'_>) -> syn::Result<()> {
    input.step(|cursor| {
        let mut rest = *cursor;
        while let Some((token, next)) = rest.token_tree() {
            if matches!(&token, proc_macro2::TokenTree::Punct(p) if p.as_char() == ',') {
                return Ok(((), rest));
            }
            rest = next;
        }
        Ok(((), rest))
    })
}

/// The keys seen so far in one attribute or nested list, to report repeats.
#[derive(Default)]
pub(crate) struct Seen(Vec<String>);

impl Seen {
    /// Whether this is the first time `meta`'s key appears; reports it otherwise.
    pub(crate) fn first(
        &mut self,
        cx: &Ctxt,
        meta: &ParseNestedMeta<'_>,
        macro_name: &str,
    ) -> bool {
        let key = key_name(meta);
        if self.0.contains(&key) {
            cx.error_spanned_by(
                &meta.path,
                format!("duplicate `#[{macro_name}]` key `{key}`"),
            );
            false
        } else {
            self.0.push(key);
            true
        }
    }
}
