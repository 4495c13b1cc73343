//! Known secrets, each naming its principal, compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::principal::Principal;

type Digest32 = [u8; 32];

/// Secrets (`user:password` pairs, tokens) kept as SHA-256 digests, each with the
/// principal it authenticates.
#[derive(Clone, Default)]
pub(super) struct Secrets(Vec<(Principal, Digest32)>);

impl Secrets {
    /// Also accepts `secret`, as `principal`.
    pub(super) fn add(&mut self, principal: Principal, secret: &[u8]) {
        self.0.push((principal, digest(secret)));
    }

    /// The principal of `candidate`, in time that depends on neither the secrets nor
    /// which one matched: every entry is compared, over fixed-size digests.
    pub(super) fn find(&self, candidate: &[u8]) -> Option<Principal> {
        let candidate = digest(candidate);
        let mut found = None;
        for (principal, secret) in &self.0 {
            if bool::from(secret.ct_eq(&candidate)) {
                found = Some(principal);
            }
        }
        found.cloned()
    }

    /// The principals' names, for `Debug`.
    pub(super) fn names(&self) -> Vec<&str> {
        self.0
            .iter()
            .map(|(principal, _)| principal.name())
            .collect()
    }
}

fn digest(bytes: &[u8]) -> Digest32 {
    Sha256::digest(bytes).into()
}
