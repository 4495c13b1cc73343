//! The paths of the OSB routes as a platform writes them, for both clients (the
//! HTTP one in [`crate::client`] and [`crate::testing::TestClient`]).
//!
//! «URL Properties»: ids may hold any character; the platform SHOULD percent-encode
//! what is not unreserved. A path segment is percent-encoded byte by byte (a `+` in a
//! path is a plus), a query value is form-encoded (a space is a `+`).

/// A query value, form-encoded.
pub(crate) fn query_value(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A path segment: every byte but the unreserved ones percent-encoded (RFC 3986).
pub(crate) fn segment(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// `/v2/service_instances/:instance_id`.
pub(crate) fn instance_path(instance_id: &str) -> String {
    format!("/v2/service_instances/{}", segment(instance_id))
}

/// `/v2/service_instances/:instance_id/service_bindings/:binding_id`.
pub(crate) fn binding_path(instance_id: &str, binding_id: &str) -> String {
    format!(
        "{}/service_bindings/{}",
        instance_path(instance_id),
        segment(binding_id)
    )
}

/// Appends `name=value` pairs to `path`, leaving out absent values.
pub(crate) fn with_query(mut path: String, pairs: &[(&str, Option<&str>)]) -> String {
    for (name, value) in pairs {
        if let Some(value) = value {
            path.push(if path.contains('?') { '&' } else { '?' });
            path.push_str(name);
            path.push('=');
            path.push_str(&query_value(value));
        }
    }
    path
}

/// The `accepts_incomplete` query value: `true`, or left out.
pub(crate) fn accepts(accepts_incomplete: bool) -> Option<&'static str> {
    accepts_incomplete.then_some("true")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_one_segment_and_query_values_are_form_encoded() {
        assert_eq!(
            with_query(
                binding_path("a b", "c/d+e"),
                &[("operation", Some("x&y z")), ("plan_id", None)]
            ),
            "/v2/service_instances/a%20b/service_bindings/c%2Fd%2Be?operation=x%26y+z"
        );
        assert_eq!(
            with_query(instance_path("é"), &[("a", Some("1")), ("b", Some("2"))]),
            "/v2/service_instances/%C3%A9?a=1&b=2"
        );
    }
}
