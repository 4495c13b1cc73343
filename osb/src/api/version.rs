//! The `X-Broker-API-Version` header («API Version Header»).

use std::fmt;
use std::str::FromStr;

/// An OSB API version as sent in the `X-Broker-API-Version` header (`MAJOR.MINOR`).
///
/// Versions order numerically, so a handler can require a feature of a newer
/// version with `if req.meta.api_version < ApiVersion::V2_17 { … }`.
///
/// ```
/// use osb::api::ApiVersion;
/// let v: ApiVersion = "2.17".parse().unwrap();
/// assert!(v > ApiVersion::V2_13);
/// assert_eq!(v.to_string(), "2.17");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ApiVersion {
    major: u16,
    minor: u16,
}

impl ApiVersion {
    /// Version 2.13, the oldest version this runtime accepts by default (as openbrokerapi does).
    pub const V2_13: Self = Self::new(2, 13);
    /// Version 2.14: fetch endpoints, asynchronous bindings.
    pub const V2_14: Self = Self::new(2, 14);
    /// Version 2.15: `maintenance_info`, CF/K8s `instance_name`.
    pub const V2_15: Self = Self::new(2, 15);
    /// Version 2.16: binding metadata `expires_at`, annotations.
    pub const V2_16: Self = Self::new(2, 16);
    /// Version 2.17: binding rotation, `renew_before`. The version this crate implements.
    pub const V2_17: Self = Self::new(2, 17);
    /// The version of the specification this crate implements.
    pub const LATEST: Self = Self::V2_17;

    /// A version from its two numbers.
    pub const fn new(major: u16, minor: u16) -> Self {
        Self { major, minor }
    }

    /// The major number (`2` in `2.17`).
    pub const fn major(self) -> u16 {
        self.major
    }

    /// The minor number (`17` in `2.17`).
    pub const fn minor(self) -> u16 {
        self.minor
    }

    /// Parses `MAJOR.MINOR` strictly: ASCII digits, one dot, nothing else.
    pub fn parse(text: &str) -> Option<Self> {
        let (major, minor) = text.split_once('.')?;
        Some(Self::new(parse_number(major)?, parse_number(minor)?))
    }
}

fn parse_number(digits: &str) -> Option<u16> {
    // `u16::from_str` also accepts a leading `+`, which is not a version.
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

impl fmt::Display for ApiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// What to answer when `X-Broker-API-Version` is missing
/// ([`Builder::missing_version`](crate::Builder::missing_version)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingVersion {
    /// `412 Precondition Failed`, as both osb-checker generations and Go's brokerapi expect.
    #[default]
    PreconditionFailed,
    /// `400 Bad Request`, as the specification allows («API Version Header», since 2.16).
    BadRequest,
}

/// The text was not a `MAJOR.MINOR` version.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an OSB API version (expected MAJOR.MINOR, such as 2.17)")]
pub struct ParseApiVersionError(String);

impl FromStr for ApiVersion {
    type Err = ParseApiVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s).ok_or_else(|| ParseApiVersionError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_major_minor() {
        assert_eq!(ApiVersion::parse("2.17"), Some(ApiVersion::V2_17));
        assert_eq!(ApiVersion::parse("2.0"), Some(ApiVersion::new(2, 0)));
        assert_eq!(ApiVersion::parse("10.123"), Some(ApiVersion::new(10, 123)));
    }

    #[test]
    fn rejects_everything_else() {
        for bad in [
            "", "2", "2.", ".17", "2.17.0", "v2.17", " 2.17", "2.17 ", "+2.17", "2.-1", "a.b",
            "99999.1", "2,17",
        ] {
            assert_eq!(ApiVersion::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn orders_numerically() {
        assert!(ApiVersion::new(2, 9) < ApiVersion::new(2, 10));
        assert!(ApiVersion::new(3, 0) > ApiVersion::V2_17);
    }
}
