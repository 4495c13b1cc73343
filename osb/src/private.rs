//! Plumbing for the code `#[osb::broker]`, `#[osb::service]` and `#[osb::plan]`
//! generate that never shows in a compiler message (what may, lives in
//! [`crate::dsl::rules`]). Not a public API: it changes with the macros, which are
//! pinned to this exact version of the crate.

use crate::error::Error;
use crate::request::Parameters;
use crate::request::binding::{Bind, Unbind};
use crate::request::instance::{Deprovision, Provision, Update};

/// Parameters for a plan without a declared type: passed through raw.
pub fn raw_parameters(raw: Option<Parameters>) -> Result<Option<Parameters>, Error> {
    Ok(raw)
}

/// Update parameters for a plan without a declared type.
pub fn raw_update_parameters(raw: Parameters) -> Result<Parameters, Error> {
    Ok(raw)
}

/// Whether the two lists share a string.
pub const fn share_any(a: &[&str], b: &[&str]) -> bool {
    let mut i = 0;
    while i < a.len() {
        let mut j = 0;
        while j < b.len() {
            if str_eq(a[i], b[j]) {
                return true;
            }
            j += 1;
        }
        i += 1;
    }
    false
}

pub use crate::request::position::{position, str_eq};

/// A request whose plan the generated dispatch looks up.
pub trait Positioned {
    /// Where the request's plan stands among `services`' plans (the broker's catalog
    /// order): as the runtime resolved it, else found by the request's plan id.
    fn plan_position(&self, services: &[&[&str]]) -> Option<usize>;
}

impl<P> Positioned for Provision<P> {
    fn plan_position(&self, services: &[&[&str]]) -> Option<usize> {
        self.plan.resolve(Some(&self.plan_id), services)
    }
}

impl<P> Positioned for Update<P> {
    fn plan_position(&self, services: &[&[&str]]) -> Option<usize> {
        self.plan.resolve(self.target_plan_id(), services)
    }
}

impl Positioned for Deprovision {
    fn plan_position(&self, services: &[&[&str]]) -> Option<usize> {
        self.plan.resolve(Some(&self.plan_id), services)
    }
}

impl<P> Positioned for Bind<P> {
    fn plan_position(&self, services: &[&[&str]]) -> Option<usize> {
        self.plan.resolve(Some(&self.plan_id), services)
    }
}

impl Positioned for Unbind {
    fn plan_position(&self, services: &[&[&str]]) -> Option<usize> {
        self.plan.resolve(Some(&self.plan_id), services)
    }
}

/// Where `request`'s plan stands among `services`' plans (see [`Positioned`]).
pub fn plan_position(request: &impl Positioned, services: &[&[&str]]) -> Option<usize> {
    request.plan_position(services)
}

/// 400 for an update whose plan is unknown when several update handlers could answer it.
pub fn update_plan_unknown() -> Error {
    Error::bad_request(
        "the request names no plan (neither plan_id nor previous_values.plan_id), \
         and this broker updates its plans with different handlers",
    )
}

/// A plan's flag as its offering resolves it: the plan's own, else the offering's.
pub const fn effective(plan: Option<bool>, offering: bool) -> bool {
    match plan {
        Some(flag) => flag,
        None => offering,
    }
}

/// The flag of the plan with `id` among `services`' plans (`flags` lists one per
/// plan, in the same order); `None` if no plan has that id.
pub const fn plan_flag(services: &[&[&str]], flags: &[&[bool]], id: &str) -> Option<bool> {
    let mut s = 0;
    while s < services.len() && s < flags.len() {
        let mut p = 0;
        while p < services[s].len() && p < flags[s].len() {
            if str_eq(services[s][p], id) {
                return Some(flags[s][p]);
            }
            p += 1;
        }
        s += 1;
    }
    None
}

/// Whether any of `flags` is set.
pub const fn any(flags: &[bool]) -> bool {
    let mut i = 0;
    while i < flags.len() {
        if flags[i] {
            return true;
        }
        i += 1;
    }
    false
}

/// Whether any flag of any list is set.
pub const fn any_of(flags: &[&[bool]]) -> bool {
    let mut i = 0;
    while i < flags.len() {
        if any(flags[i]) {
            return true;
        }
        i += 1;
    }
    false
}

/// `str::eq_ignore_ascii_case` in `const`: Cloud Foundry compares names so, and
/// refuses a catalog whose names differ only in case.
pub const fn eq_ignore_case(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !a[i].eq_ignore_ascii_case(&b[i]) {
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
    fn flags_by_plan_id() {
        const SERVICES: &[&[&str]] = &[&["a", "b"], &["c"]];
        const FLAGS: &[&[bool]] = &[&[false, true], &[false]];
        assert_eq!(plan_flag(SERVICES, FLAGS, "b"), Some(true));
        assert_eq!(plan_flag(SERVICES, FLAGS, "c"), Some(false));
        assert_eq!(plan_flag(SERVICES, FLAGS, "d"), None);
        assert!(any_of(FLAGS));
        assert!(!any_of(&[&[false], &[]]));
        assert!(effective(None, true) && !effective(Some(false), true));
        assert!(eq_ignore_case("Small", "sMALL") && !eq_ignore_case("small", "smal1"));
    }
}
