//! What the framework remembers of instances, bindings and their operations.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use crate::response::OperationState;

/// Where a resource stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceState {
    /// Being created; fetch answers 404.
    Creating,
    /// Created and usable.
    Ready,
    /// Being updated; fetch answers 422 `ConcurrencyError`.
    Updating,
    /// Being deleted.
    Deleting,
    /// Its creation failed; the platform deletes it (orphan mitigation), or retries.
    Failed,
}

impl ResourceState {
    /// Whether an instance in this state may get a new binding («Binding»: the
    /// instance must exist and be usable; one being created or deleted is not yet or
    /// no longer, one being updated still is).
    pub(crate) fn bindable(self) -> bool {
        matches!(self, ResourceState::Ready | ResourceState::Updating)
    }

    /// The text stored in databases.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceState::Creating => "creating",
            ResourceState::Ready => "ready",
            ResourceState::Updating => "updating",
            ResourceState::Deleting => "deleting",
            ResourceState::Failed => "failed",
        }
    }

    /// The state stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "creating" => ResourceState::Creating,
            "ready" => ResourceState::Ready,
            "updating" => ResourceState::Updating,
            "deleting" => ResourceState::Deleting,
            "failed" => ResourceState::Failed,
            _ => return None,
        })
    }
}

/// What an operation does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OperationKind {
    /// Creating an instance.
    Provision,
    /// Changing an instance.
    Update,
    /// Deleting an instance.
    Deprovision,
    /// Creating a binding.
    Bind,
    /// Deleting a binding.
    Unbind,
}

impl OperationKind {
    /// The text stored in databases.
    pub fn as_str(self) -> &'static str {
        match self {
            OperationKind::Provision => "provision",
            OperationKind::Update => "update",
            OperationKind::Deprovision => "deprovision",
            OperationKind::Bind => "bind",
            OperationKind::Unbind => "unbind",
        }
    }

    /// The kind stored as `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "provision" => OperationKind::Provision,
            "update" => OperationKind::Update,
            "deprovision" => OperationKind::Deprovision,
            "bind" => OperationKind::Bind,
            "unbind" => OperationKind::Unbind,
            _ => return None,
        })
    }
}

/// The state as stored in databases.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn operation_state_str(state: OperationState) -> &'static str {
    match state {
        OperationState::InProgress => "in progress",
        OperationState::Succeeded => "succeeded",
        OperationState::Failed => "failed",
    }
}

/// The state read back from a database.
#[cfg(any(feature = "sqlite", feature = "postgres"))]
pub(crate) fn parse_operation_state(text: &str) -> Option<OperationState> {
    Some(match text {
        "in progress" => OperationState::InProgress,
        "succeeded" => OperationState::Succeeded,
        "failed" => OperationState::Failed,
        _ => return None,
    })
}

/// The last operation on a resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRecord {
    /// The `operation` string the platform polls with, if any.
    pub id: Option<String>,
    /// What it does.
    pub kind: OperationKind,
    /// Where it stands.
    pub state: OperationState,
    /// The user-facing message.
    pub description: Option<String>,
    /// Run by the framework's runner (`in_background`); otherwise the broker answers
    /// `last_operation` itself and the framework follows its answers.
    pub runner: bool,
    /// When it started (Unix milliseconds).
    pub started_at: i64,
    /// When its runner last said it was alive (Unix milliseconds).
    pub heartbeat_at: i64,
    /// For a failed update or deprovision: whether the instance is still usable.
    pub instance_usable: Option<bool>,
    /// For a failed update: whether it may be repeated.
    pub update_repeatable: Option<bool>,
}

impl OperationRecord {
    /// An operation starting now.
    pub fn start(kind: OperationKind, id: Option<String>, runner: bool, now: i64) -> Self {
        Self {
            id,
            kind,
            state: OperationState::InProgress,
            description: None,
            runner,
            started_at: now,
            heartbeat_at: now,
            instance_usable: None,
            update_repeatable: None,
        }
    }

    /// An operation that finished when it started (a synchronous one).
    pub fn finished(kind: OperationKind, now: i64) -> Self {
        Self {
            state: OperationState::Succeeded,
            ..Self::start(kind, None, false, now)
        }
    }
}

/// JSON kept as the platform sent it (or as a handler produced it).
pub type Json = Box<RawValue>;

/// Changes an update applies when it succeeds.
#[derive(Debug, Clone)]
pub struct PendingUpdate {
    /// The new plan, if it changes.
    pub plan_id: Option<String>,
    /// The new parameters, if they change.
    pub parameters: Option<Json>,
    /// The new maintenance version, if it changes.
    pub maintenance_version: Option<String>,
    /// What the request looked like, to tell a retry from another update.
    pub fingerprint: Fingerprint,
}

/// A service instance as the framework remembers it.
#[derive(Debug, Clone)]
pub struct InstanceRecord {
    /// The instance.
    pub instance_id: String,
    /// Its offering.
    pub service_id: String,
    /// Its plan (the plan in force; an update's new plan is in `pending`).
    pub plan_id: String,
    /// The parameters in force.
    pub parameters: Option<Json>,
    /// The context it was provisioned or last updated with.
    pub context: Option<Json>,
    /// The maintenance version in force.
    pub maintenance_version: Option<String>,
    /// The dashboard URL the broker returned.
    pub dashboard_url: Option<String>,
    /// The instance metadata the broker returned.
    pub metadata: Option<Json>,
    /// Where it stands.
    pub state: ResourceState,
    /// Its last operation.
    pub operation: Option<OperationRecord>,
    /// The changes of an update in progress.
    pub pending: Option<PendingUpdate>,
    /// What the creating request looked like: an identical request is a retry.
    pub fingerprint: Fingerprint,
    /// Incremented by every change; writers compare it to detect concurrent changes.
    pub version: i64,
}

/// A service binding as the framework remembers it.
#[derive(Debug, Clone)]
pub struct BindingRecord {
    /// Its instance.
    pub instance_id: String,
    /// The binding.
    pub binding_id: String,
    /// The offering.
    pub service_id: String,
    /// The plan.
    pub plan_id: String,
    /// The bind parameters.
    pub parameters: Option<Json>,
    /// What the binding is for.
    pub bind_resource: Option<Json>,
    /// What the broker returned (credentials and the rest), served by fetch and by an
    /// identical re-bind. Stored as the broker produced it.
    pub response: Option<Json>,
    /// Where it stands.
    pub state: ResourceState,
    /// Its last operation.
    pub operation: Option<OperationRecord>,
    /// What the creating request looked like.
    pub fingerprint: Fingerprint,
    /// Incremented by every change.
    pub version: i64,
}

/// A finished delete, remembered so polling it answers `succeeded`.
#[derive(Debug, Clone, PartialEq)]
pub struct Tombstone {
    /// The deleted instance.
    pub instance_id: String,
    /// The deleted binding, for an unbind.
    pub binding_id: Option<String>,
    /// The delete operation, finished.
    pub operation: OperationRecord,
    /// When it finished (Unix milliseconds).
    pub deleted_at: i64,
}

/// What a request looked like, as [`fingerprint`] digests it: two requests are
/// "identical" when their fingerprints are equal.
///
/// 32 bytes, kept as they are in memory; SQL stores keep its lowercase [hex](Self::to_hex)
/// text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// The fingerprint made of `bytes`.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Its bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Its 64 lowercase hex digits, as SQL stores keep it.
    pub fn to_hex(&self) -> String {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = String::with_capacity(64);
        for byte in self.0 {
            hex.push(char::from(HEX[usize::from(byte >> 4)]));
            hex.push(char::from(HEX[usize::from(byte & 0x0f)]));
        }
        hex
    }

    /// The fingerprint written as 64 hex digits (either case); `None` for other text.
    pub fn from_hex(text: &str) -> Option<Self> {
        fn nibble(c: u8) -> Option<u8> {
            match c {
                b'0'..=b'9' => Some(c - b'0'),
                b'a'..=b'f' => Some(c - b'a' + 10),
                b'A'..=b'F' => Some(c - b'A' + 10),
                _ => None,
            }
        }
        let text = text.as_bytes();
        if text.len() != 64 {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(text.chunks_exact(2)) {
            *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
        }
        Some(Self(bytes))
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({})", self.to_hex())
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// A digest of the attributes that make two requests "identical" («Provisioning»:
/// same service, plan and parameters), with parameters compared as JSON values, so
/// key order and spacing do not matter.
///
/// The digest is SHA-256 over each part and a 0 byte, then over each JSON value in
/// its canonical text (`serde_json::Value`'s compact text: object keys sorted, no
/// spacing) or `-` when absent, and a 0 byte. Stores keep it, so it must not change
/// between versions.
pub fn fingerprint(parts: &[&str], json: &[Option<&RawValue>]) -> Fingerprint {
    digest(Sha256::new(), parts, json)
}

/// The first parts of a [`fingerprint`], hashed once: a plan's service and plan ids
/// begin the fingerprint of every provision and bind on it, and are 74 of the about
/// 90 bytes a provision hashes (one SHA-256 block of two).
#[derive(Clone)]
pub(crate) struct FingerprintPrefix(Sha256);

impl FingerprintPrefix {
    /// The digest state after `parts`, each followed by a 0 byte.
    pub(crate) fn new(parts: &[&str]) -> Self {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update(part.as_bytes());
            hasher.update([0]);
        }
        Self(hasher)
    }

    /// The [`fingerprint`] of this prefix's parts, then `parts`, then `json`.
    pub(crate) fn fingerprint(&self, parts: &[&str], json: &[Option<&RawValue>]) -> Fingerprint {
        digest(self.0.clone(), parts, json)
    }
}

/// [`fingerprint`], continuing from `hasher`.
fn digest(mut hasher: Sha256, parts: &[&str], json: &[Option<&RawValue>]) -> Fingerprint {
    /// Lets serde_json write a value's text straight into the hasher.
    struct Feed<'a>(&'a mut Sha256);

    impl std::io::Write for Feed<'_> {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.update(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Whether `text` is already the canonical text of the JSON value it holds, so
    /// that parsing it into a `Value` and writing that back would give `text` again:
    /// no spacing, object keys in strictly increasing byte order (the order of
    /// `Value`'s map; a repeated key is not canonical), strings without escapes (the
    /// serializer escapes only `"`, `\` and control characters), and integers that
    /// `Value` keeps exact (not `-0`, within `i64`/`u64`; fractions and exponents are
    /// left to the slow path). Anything else, including invalid JSON, says `false`.
    fn canonical(text: &[u8]) -> bool {
        /// Checks the value starting at `at`; returns where it ends.
        fn value(text: &[u8], at: usize, depth: usize) -> Option<usize> {
            if depth > 64 {
                return None;
            }
            match *text.get(at)? {
                b'{' => {
                    let mut at = at + 1;
                    if text.get(at) == Some(&b'}') {
                        return Some(at + 1);
                    }
                    let mut previous: Option<&[u8]> = None;
                    loop {
                        let end = string(text, at)?;
                        let key = &text[at + 1..end - 1];
                        if previous.is_some_and(|p| p >= key) {
                            return None;
                        }
                        previous = Some(key);
                        if text.get(end) != Some(&b':') {
                            return None;
                        }
                        at = value(text, end + 1, depth + 1)?;
                        match *text.get(at)? {
                            b',' => at += 1,
                            b'}' => return Some(at + 1),
                            _ => return None,
                        }
                    }
                }
                b'[' => {
                    let mut at = at + 1;
                    if text.get(at) == Some(&b']') {
                        return Some(at + 1);
                    }
                    loop {
                        at = value(text, at, depth + 1)?;
                        match *text.get(at)? {
                            b',' => at += 1,
                            b']' => return Some(at + 1),
                            _ => return None,
                        }
                    }
                }
                b'"' => string(text, at),
                b't' => literal(text, at, b"true"),
                b'f' => literal(text, at, b"false"),
                b'n' => literal(text, at, b"null"),
                b'-' | b'0'..=b'9' => integer(text, at),
                _ => None,
            }
        }

        /// A string without escapes or control characters, from its opening quote.
        fn string(text: &[u8], at: usize) -> Option<usize> {
            if text.get(at) != Some(&b'"') {
                return None;
            }
            let mut at = at + 1;
            loop {
                match *text.get(at)? {
                    b'"' => return Some(at + 1),
                    b'\\' | 0..=0x1f => return None,
                    _ => at += 1,
                }
            }
        }

        fn literal(text: &[u8], at: usize, word: &[u8]) -> Option<usize> {
            (text.get(at..at + word.len())? == word).then_some(at + word.len())
        }

        /// An integer `Value` holds as `u64` or `i64` and writes back unchanged.
        fn integer(text: &[u8], at: usize) -> Option<usize> {
            let negative = text[at] == b'-';
            let start = at + usize::from(negative);
            let mut end = start;
            let mut magnitude: u64 = 0;
            while let Some(digit @ b'0'..=b'9') = text.get(end) {
                magnitude = magnitude
                    .checked_mul(10)?
                    .checked_add(u64::from(digit - b'0'))?;
                end += 1;
            }
            let digits = end - start;
            // No digits, or a leading zero ("01" is not JSON).
            if digits == 0 || (digits > 1 && text[start] == b'0') {
                return None;
            }
            // A fraction or an exponent: a float, which may print differently.
            if matches!(text.get(end), Some(b'.' | b'e' | b'E')) {
                return None;
            }
            // `-0` and negatives beyond i64 become floats in a `Value`.
            if negative && !(1..=1 << 63).contains(&magnitude) {
                return None;
            }
            Some(end)
        }

        value(text, 0, 0) == Some(text.len())
    }

    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    for value in json {
        match value.map(RawValue::get) {
            Some(text) if canonical(text.as_bytes()) => hasher.update(text.as_bytes()),
            Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
                // `Value`'s map is ordered by key: its text is canonical.
                Ok(value) => {
                    // Writing into the hasher cannot fail.
                    let _ = serde_json::to_writer(Feed(&mut hasher), &value);
                }
                Err(_) => hasher.update(b"-"),
            },
            None => hasher.update(b"-"),
        }
        hasher.update([0]);
    }
    Fingerprint(hasher.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(text: &str) -> Json {
        RawValue::from_string(text.to_owned()).unwrap()
    }

    #[test]
    fn fingerprints_compare_json_values() {
        let a = raw(r#"{"a": 1, "b": [1, 2]}"#);
        let b = raw(r#"{"b":[1,2],"a":1}"#);
        let c = raw(r#"{"a": 2, "b": [1, 2]}"#);
        let f = |p: &Json| fingerprint(&["svc", "plan"], &[Some(p)]);
        assert_eq!(f(&a), f(&b));
        assert_ne!(f(&a), f(&c));
        assert_ne!(fingerprint(&["svc", "plan"], &[None]), f(&a));
        assert_ne!(
            fingerprint(&["sv", "cplan"], &[None]),
            fingerprint(&["svc", "plan"], &[None])
        );
    }

    /// A plan's prefix gives the same fingerprint as hashing every part, and the
    /// format is the one stores keep (the digest computed apart, with Python's hashlib).
    #[test]
    fn a_prefix_gives_the_same_fingerprint() {
        let params = raw(r#"{"b": [1, 2], "a": 1}"#);
        let json = [Some(&*params), None];
        let whole = fingerprint(&["svc", "plan", "app"], &json);
        let prefix = FingerprintPrefix::new(&["svc", "plan"]);
        assert_eq!(prefix.fingerprint(&["app"], &json), whole);
        assert_eq!(
            FingerprintPrefix::new(&[]).fingerprint(&["svc", "plan", "app"], &json),
            whole
        );
        assert_ne!(prefix.fingerprint(&["ap"], &json), whole);
        assert_eq!(
            whole.to_hex(),
            "79ef417c3db147c7e99d2f00780464b90be74baa7b4d5fde2bc839e2ce124530"
        );
    }

    #[test]
    fn fingerprints_round_trip_through_hex() {
        let fp = fingerprint(&["svc", "plan"], &[None]);
        assert_eq!(fp.to_hex().len(), 64);
        assert_eq!(Fingerprint::from_hex(&fp.to_hex()), Some(fp));
        assert_eq!(Fingerprint::from_hex(&fp.to_hex().to_uppercase()), Some(fp));
        assert_eq!(Fingerprint::from_hex("f1"), None);
        assert_eq!(Fingerprint::from_hex(&"g".repeat(64)), None);
        // Plain SHA-256 (of nothing, here): stores keep fingerprints, so the
        // digest must never change.
        assert_eq!(
            fingerprint(&[], &[]).to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn states_round_trip() {
        for state in [
            ResourceState::Creating,
            ResourceState::Ready,
            ResourceState::Updating,
            ResourceState::Deleting,
            ResourceState::Failed,
        ] {
            assert_eq!(ResourceState::parse(state.as_str()), Some(state));
        }
        for kind in [
            OperationKind::Provision,
            OperationKind::Update,
            OperationKind::Deprovision,
            OperationKind::Bind,
            OperationKind::Unbind,
        ] {
            assert_eq!(OperationKind::parse(kind.as_str()), Some(kind));
        }
    }
}
