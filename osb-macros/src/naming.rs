//! Default names: `InmemoryDb` → `inmemory-db` (kebab-case, like clap).

use crate::ctxt::Ctxt;

pub(crate) fn kebab_case(ident: &str) -> String {
    let chars: Vec<char> = ident.trim_start_matches("r#").chars().collect();
    let mut out = String::with_capacity(chars.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' {
            if !out.ends_with('-') && !out.is_empty() {
                out.push('-');
            }
            continue;
        }
        if let (true, Some(&prev)) = (
            c.is_uppercase(),
            i.checked_sub(1).and_then(|p| chars.get(p)),
        ) {
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            // A new word starts at `Db` in `InmemoryDb` and at `Server` in `HTTPServer`.
            if (prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower))
                && !out.ends_with('-')
            {
                out.push('-');
            }
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The name a type gives `what` when none is set: its identifier in kebab-case,
/// held to the rule a set name is (an error at the identifier otherwise).
pub(crate) fn default_name(cx: &Ctxt, ident: &syn::Ident, what: &str) -> String {
    let name = kebab_case(&ident.to_string());
    if !is_cli_friendly(&name) {
        cx.error_spanned_by(
            ident,
            format!(
                "the {what} name `{name}` made of this type's name is not CLI-friendly \
                 (only letters, digits, `.` and `-`): set one with `name = \"…\"`"
            ),
        );
    }
    name
}

/// Only letters, digits, `.` and `-`, non-empty («Catalog Management»: CLI-friendly).
pub(crate) fn is_cli_friendly(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kebab() {
        assert_eq!(kebab_case("InmemoryDb"), "inmemory-db");
        assert_eq!(kebab_case("Small"), "small");
        assert_eq!(kebab_case("HTTPServer"), "http-server");
        assert_eq!(kebab_case("PgV2Large"), "pg-v2-large");
        assert_eq!(kebab_case("snake_case_name"), "snake-case-name");
    }

    #[test]
    fn cli_friendly() {
        assert!(is_cli_friendly("pg-small.v2"));
        assert!(!is_cli_friendly("pg small"));
        assert!(!is_cli_friendly(""));
        assert!(!is_cli_friendly("pg_small"));
    }
}
