//! Paths as the user wrote them: compared and quoted in messages by their text.

use quote::quote;
use syn::Path;

/// Whether two paths are written alike.
pub(crate) fn same_path(a: &Path, b: &Path) -> bool {
    path_text(a) == path_text(b)
}

/// A path as written, without spaces: `db::Small`.
pub(crate) fn path_text(path: &Path) -> String {
    quote!(#path).to_string().replace(' ', "")
}
