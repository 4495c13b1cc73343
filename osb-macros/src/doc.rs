//! `///` doc comments as catalog descriptions.

/// The doc comment of an item: its first paragraph (lines joined by spaces), and the
/// paragraphs after it (joined by blank lines), if any.
pub(crate) struct DocText {
    pub(crate) summary: String,
    pub(crate) rest: Option<String>,
}

pub(crate) fn doc_text(attrs: &[syn::Attribute]) -> DocText {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) = &nv.value
        {
            let text = text.value();
            // An empty `///` line is a paragraph break, but has no `lines()`.
            if text.trim().is_empty() {
                lines.push(String::new());
            }
            for line in text.lines() {
                lines.push(line.trim().to_owned());
            }
        }
    }
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    for line in lines {
        if line.is_empty() {
            if !current.is_empty() {
                paragraphs.push(current.join(" "));
                current.clear();
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        paragraphs.push(current.join(" "));
    }
    let mut paragraphs = paragraphs.into_iter();
    let summary = paragraphs.next().unwrap_or_default();
    let rest: Vec<String> = paragraphs.collect();
    DocText {
        summary,
        rest: (!rest.is_empty()).then(|| rest.join("\n\n")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_and_rest() {
        let item: syn::ItemStruct = syn::parse_quote! {
            /// An in-memory
            /// database.
            ///
            /// Nothing survives a restart.
            struct Db;
        };
        let doc = doc_text(&item.attrs);
        assert_eq!(doc.summary, "An in-memory database.");
        assert_eq!(doc.rest.as_deref(), Some("Nothing survives a restart."));
    }
}
