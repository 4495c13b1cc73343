//! The originating identity header: the platform user whose action caused a request.

use base64::Engine as _;
use serde_json::{Map, Value};

/// The decoded `X-Broker-API-Originating-Identity` header: the platform and the
/// identity of the platform user whose action caused the request («Originating Identity»).
///
/// Cloud Foundry sends `{"user_id": …}`, Kubernetes `{"username", "uid", "groups", "extra"}`
/// (profile «Originating Identity Header»).
#[derive(Debug, Clone, PartialEq)]
pub struct OriginatingIdentity {
    /// The platform, such as `cloudfoundry` or `kubernetes`.
    pub platform: String,
    /// The decoded JSON object.
    pub value: Map<String, Value>,
}

impl OriginatingIdentity {
    /// Decodes a header value `Platform base64(JSON object)`.
    pub fn parse(header: &str) -> Result<Self, InvalidIdentity> {
        let (platform, encoded) = header.split_once(' ').ok_or(InvalidIdentity(
            "it must be `Platform value`, separated by a space",
        ))?;
        if platform.is_empty() {
            return Err(InvalidIdentity("the platform must be a non-empty string"));
        }
        let encoded = encoded.trim();
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .or_else(|_| base64::engine::general_purpose::STANDARD_NO_PAD.decode(encoded))
            .map_err(|_| InvalidIdentity("the value must be Base64 encoded"))?;
        match serde_json::from_slice(&decoded) {
            Ok(Value::Object(value)) => Ok(Self {
                platform: platform.to_owned(),
                value,
            }),
            _ => Err(InvalidIdentity(
                "the decoded value must be a serialized JSON object",
            )),
        }
    }

    /// A string property of the identity (`user_id` on Cloud Foundry, `username` on Kubernetes).
    pub fn get_str(&self, key: &str) -> Option<&str> {
        self.value.get(key).and_then(Value::as_str)
    }

    /// The Cloud Foundry `user_id`, when the platform is `cloudfoundry`.
    pub fn user_id(&self) -> Option<&str> {
        (self.platform == "cloudfoundry")
            .then(|| self.get_str("user_id"))
            .flatten()
    }

    /// The Kubernetes `username`, when the platform is `kubernetes`.
    pub fn username(&self) -> Option<&str> {
        (self.platform == "kubernetes")
            .then(|| self.get_str("username"))
            .flatten()
    }
}

/// Why an `X-Broker-API-Originating-Identity` header could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid X-Broker-API-Originating-Identity header: {0}")]
pub struct InvalidIdentity(&'static str);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_the_spec_example() {
        let header = "cloudfoundry eyANCiAgInVzZXJfaWQiOiAiNjgzZWE3NDgtMzA5Mi00ZmY0LWI2NTYtMzljYWNjNGQ1MzYwIg0KfQ==";
        let identity = OriginatingIdentity::parse(header).unwrap();
        assert_eq!(identity.platform, "cloudfoundry");
        assert_eq!(
            identity.user_id(),
            Some("683ea748-3092-4ff4-b656-39cacc4d5360")
        );
        assert_eq!(identity.username(), None);
    }

    #[test]
    fn rejects_malformed_headers() {
        for bad in [
            "cloudfoundry",
            " eyJ9",
            "cloudfoundry !!!",
            "cloudfoundry WzFd",       // [1]
            "kubernetes bm90IGpzb24=", // "not json"
        ] {
            assert!(OriginatingIdentity::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn accepts_unpadded_base64() {
        let identity = OriginatingIdentity::parse("kubernetes eyJ1c2VybmFtZSI6ImEifQ").unwrap();
        assert_eq!(identity.username(), Some("a"));
    }
}
