//! Where a request's plan stands in its broker's catalog: what the code
//! `#[osb::broker]` generates dispatches on, without comparing plan ids.

/// Where a request's plan stands among the plans of its broker's catalog (every
/// offering's plans, in order), as the runtime resolved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum PlanPosition {
    /// Not resolved by the runtime (a request built in a test): the generated
    /// dispatch finds the position from the request's plan id.
    #[default]
    ByPlanId,
    /// At this position.
    At(usize),
    /// Unknown: an update that names no plan the broker serves.
    Unknown,
}

impl PlanPosition {
    /// The position, looking `plan_id` up in `services` (the broker's plan ids, by
    /// offering) when the runtime did not resolve it.
    pub(crate) fn resolve(self, plan_id: Option<&str>, services: &[&[&str]]) -> Option<usize> {
        match self {
            PlanPosition::At(position) => Some(position),
            PlanPosition::Unknown => None,
            PlanPosition::ByPlanId => plan_id.and_then(|id| position(services, id)),
        }
    }
}

/// Where plan `id` stands among the plans of `services` (in catalog order).
pub const fn position(services: &[&[&str]], id: &str) -> Option<usize> {
    let mut position = 0;
    let mut s = 0;
    while s < services.len() {
        let mut p = 0;
        while p < services[s].len() {
            if str_eq(services[s][p], id) {
                return Some(position);
            }
            position += 1;
            p += 1;
        }
        s += 1;
    }
    None
}

/// Byte equality of two strings in a `const` context.
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_in_catalog_order() {
        const SERVICES: &[&[&str]] = &[&["a", "b"], &["c"]];
        assert_eq!(position(SERVICES, "a"), Some(0));
        assert_eq!(position(SERVICES, "c"), Some(2));
        assert_eq!(position(SERVICES, "d"), None);
        assert!(str_eq("x", "x") && !str_eq("x", "xy") && !str_eq("ab", "ac"));
    }

    #[test]
    fn a_resolved_position_wins_over_the_plan_id() {
        const SERVICES: &[&[&str]] = &[&["a", "b"]];
        assert_eq!(PlanPosition::At(7).resolve(Some("a"), SERVICES), Some(7));
        assert_eq!(PlanPosition::Unknown.resolve(Some("a"), SERVICES), None);
        assert_eq!(PlanPosition::ByPlanId.resolve(Some("b"), SERVICES), Some(1));
        assert_eq!(PlanPosition::ByPlanId.resolve(None, SERVICES), None);
    }
}
