//! Quoting request values inside error descriptions.

use std::fmt::Write as _;

/// The longest piece of a request value echoed in a description: ids have no length
/// limit, and a description must stay readable.
const MAX_ECHO: usize = 80;

/// `value` in backticks, cut after [`MAX_ECHO`] characters.
pub(crate) fn quoted(value: &str) -> String {
    let mut out = String::with_capacity(value.len().min(MAX_ECHO) + 4);
    out.push('`');
    let mut chars = value.chars();
    for c in chars.by_ref().take(MAX_ECHO) {
        if c.is_control() {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        } else {
            out.push(c);
        }
    }
    if chars.next().is_some() {
        out.push('…');
    }
    out.push('`');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_cuts() {
        assert_eq!(quoted("db-1"), "`db-1`");
        assert_eq!(quoted("a\nb"), "`a\\u{a}b`");
        let long = "x".repeat(200);
        assert_eq!(quoted(&long).chars().count(), MAX_ECHO + 3);
    }
}
