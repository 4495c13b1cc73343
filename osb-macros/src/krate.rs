//! The path of the `osb` crate in generated code: `::osb`, or what
//! `crate = "…"` says when the user renamed the dependency (serde's `crate = "…"`).

use proc_macro2::Span;
use syn::Path;
use syn::meta::ParseNestedMeta;

/// `::osb`.
pub(crate) fn default_path() -> Path {
    let mut path = Path::from(syn::Ident::new("osb", Span::call_site()));
    path.leading_colon = Some(syn::Token![::](Span::call_site()));
    path
}

/// `crate = "my_osb"`: the path as a string, as serde takes it.
pub(crate) fn parse(meta: &ParseNestedMeta<'_>) -> syn::Result<Path> {
    let text: syn::LitStr = meta.value()?.parse()?;
    text.parse::<Path>().map_err(|_| {
        syn::Error::new(
            text.span(),
            format!(
                "`crate = \"{}\"` is not a path: write the name the `open-service-broker` \
                 dependency has in your Cargo.toml, such as `crate = \"my_osb\"`",
                text.value()
            ),
        )
    })
}
