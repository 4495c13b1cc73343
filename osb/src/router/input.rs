//! Reading what a request carries: path ids, query parameters and the JSON body.

use axum::body::Body;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;

use crate::error::{Error, ErrorKind};
use crate::request::json::serde_message;
use crate::request::{BindResource, Parameters};

use crate::text::quoted;

/// A path id: percent-decoded, valid UTF-8, non-empty («URL Properties»).
pub(crate) fn path_ids<T>(path: Result<Path<T>, PathRejection>) -> Result<T, Error> {
    match path {
        Ok(Path(ids)) => Ok(ids),
        Err(rejection) => Err(Error::bad_request(format!(
            "the ids in the path could not be read: {}",
            rejection.body_text()
        ))),
    }
}

/// The longest id the framework accepts, in bytes: far beyond any GUID, and short
/// enough for every store's keys (PostgreSQL indexes at most about 2,700 bytes per
/// key, and a binding's key holds two ids).
pub(crate) const MAX_ID_BYTES: usize = 1024;

/// The rules an id in the path must keep so that every store holds it alike, checked
/// before any store sees it: no NUL character (PostgreSQL's text cannot hold one, and
/// an id a memory or SQLite store would take must not fail on PostgreSQL) and at most
/// [`MAX_ID_BYTES`] bytes.
pub(crate) fn check_id(name: &str, id: &str) -> Result<(), Error> {
    if id.contains('\0') {
        return Err(Error::bad_request(format!(
            "{name} must not contain a NUL character (%00)"
        )));
    }
    if id.len() > MAX_ID_BYTES {
        return Err(Error::bad_request(format!(
            "{name} is {} bytes long; ids may be at most {MAX_ID_BYTES} bytes",
            id.len()
        )));
    }
    Ok(())
}

/// The query parameters of the OSB API, percent-decoded.
#[derive(Default)]
pub(crate) struct Query {
    pub(crate) accepts_incomplete: bool,
    pub(crate) service_id: Option<String>,
    pub(crate) plan_id: Option<String>,
    pub(crate) operation: Option<String>,
}

impl Query {
    /// Unknown parameters are ignored; an empty value counts as absent.
    pub(crate) fn parse(query: Option<&str>) -> Result<Self, Error> {
        let mut parsed = Query::default();
        let Some(query) = query else {
            return Ok(parsed);
        };
        // memchr's vectorised search: a byte-by-byte scan of the query was a fifth of
        // what the runtime adds to a `last_operation` poll.
        if memchr::memchr2(b'%', b'+', query.as_bytes()).is_some() {
            for (key, value) in form_urlencoded::parse(query.as_bytes()) {
                parsed.set(&key, &value)?;
            }
        } else {
            // Nothing to decode: the same pairs as `form_urlencoded::parse` (split on
            // `&`, empty pieces skipped, name and value split at the first `=`),
            // borrowed from the query instead of decoded into new strings.
            for pair in query.split('&').filter(|pair| !pair.is_empty()) {
                let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                parsed.set(key, value)?;
            }
        }
        Ok(parsed)
    }

    fn set(&mut self, key: &str, value: &str) -> Result<(), Error> {
        let value = (!value.is_empty()).then_some(value);
        match key {
            "accepts_incomplete" => {
                self.accepts_incomplete = match value {
                    None => false,
                    Some(v) if v.eq_ignore_ascii_case("true") => true,
                    Some(v) if v.eq_ignore_ascii_case("false") => false,
                    Some(v) => {
                        return Err(Error::bad_request(format!(
                            "accepts_incomplete must be true or false, not {}",
                            quoted(v)
                        )));
                    }
                }
            }
            "service_id" => self.service_id = value.map(str::to_owned),
            "plan_id" => self.plan_id = value.map(str::to_owned),
            "operation" => self.operation = value.map(str::to_owned),
            _ => {}
        }
        Ok(())
    }

    /// `service_id` and `plan_id`, both REQUIRED on the deletes; present but empty
    /// counts as missing (osb-checker sends exactly that).
    pub(crate) fn required_ids(&mut self) -> Result<(String, String), Error> {
        let missing = |name: &str| {
            Error::bad_request(format!(
                "the query parameter {name} is required and must be non-empty"
            ))
        };
        let service_id = self
            .service_id
            .take()
            .ok_or_else(|| missing("service_id"))?;
        let plan_id = self.plan_id.take().ok_or_else(|| missing("plan_id"))?;
        Ok((service_id, plan_id))
    }
}

/// Reads the whole body, refusing more than `limit` bytes (413), and checks it is
/// declared as JSON when a `Content-Type` is sent («Content Type»: a broker MAY
/// process a body without one, and SHOULD answer 400 to a mismatched one).
#[allow(
    clippy::manual_async_fn,
    reason = "an `async fn` would hold `body` twice in the future of every write"
)]
pub(crate) fn read_json_body(
    parts: &Parts,
    body: Body,
    limit: usize,
) -> impl Future<Output = Result<Bytes, Error>> + Send {
    async move {
        if let Some(content_type) = parts.headers.get(CONTENT_TYPE)
            && !is_json(content_type.as_bytes())
        {
            return Err(Error::bad_request(format!(
                "Content-Type must be application/json, not {}",
                quoted(&String::from_utf8_lossy(content_type.as_bytes()))
            )));
        }
        let too_large = || {
            Error::new(ErrorKind::PayloadTooLarge)
                .with_description(format!("the request body is larger than {limit} bytes"))
        };
        let declared = parts
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.parse::<u64>().ok());
        if declared.is_some_and(|length| length > limit as u64) {
            return Err(too_large());
        }
        match axum::body::to_bytes(body, limit).await {
            Ok(bytes) => Ok(bytes),
            Err(err) => {
                let limited = std::error::Error::source(&err)
                    .is_some_and(|source| source.is::<http_body_util::LengthLimitError>());
                if limited {
                    Err(too_large())
                } else {
                    Err(Error::bad_request("the request body could not be read"))
                }
            }
        }
    }
}

fn is_json(content_type: &[u8]) -> bool {
    // What nearly every platform sends, without splitting anything.
    if content_type.eq_ignore_ascii_case(b"application/json") {
        return true;
    }
    let Ok(text) = std::str::from_utf8(content_type) else {
        return false;
    };
    let essence = text.split(';').next().unwrap_or("").trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    // Compared without allocating: this runs on every request with a body.
    let json_suffix = subtype.len() >= 5
        && subtype.is_char_boundary(subtype.len() - 5)
        && subtype[subtype.len() - 5..].eq_ignore_ascii_case("+json");
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || json_suffix)
}

/// Parses a body object, saying which field is wrong when a field is.
pub(crate) fn parse_body<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Error> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => {
            return Err(Error::bad_request(
                "the request body is empty; it must be a JSON object",
            ));
        }
        Some(b'{') => {}
        Some(_) => return Err(Error::bad_request("the request body must be a JSON object")),
    }
    serde_json::from_slice(bytes).map_err(|first| {
        let detail = match located::<T>(bytes, &first) {
            (Some(path), message) => format!("{path}: {message}"),
            (None, message) => message,
        };
        Error::bad_request(format!("invalid request body: {detail}"))
    })
}

/// Where in `text` parsing it as `T` fails (the field path, `None` when the error is
/// not inside a field) and why, given the error `first` of a parse that did not track
/// it: parsed again, only on the error path.
fn located<T: DeserializeOwned>(
    text: &[u8],
    first: &serde_json::Error,
) -> (Option<String>, String) {
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    match serde_path_to_error::deserialize::<_, T>(&mut deserializer) {
        Err(err) => match err.path().to_string() {
            // `?` and `.` mean the error is not inside a field.
            path if path == "?" || path == "." => (None, serde_message(err.inner())),
            path => (Some(path), serde_message(err.inner())),
        },
        // Only the full parse failed: trailing characters after the value.
        Ok(_) => (None, serde_message(first)),
    }
}

/// A required string field: present and non-empty.
pub(crate) fn required(value: Option<String>, field: &str) -> Result<String, Error> {
    match value {
        Some(value) if !value.is_empty() => Ok(value),
        Some(_) => Err(Error::bad_request(format!(
            "{field} must be a non-empty string"
        ))),
        None => Err(Error::bad_request(format!("{field} is required"))),
    }
}

/// An optional string field that MUST be non-empty when present.
pub(crate) fn non_empty(value: Option<String>, field: &str) -> Result<Option<String>, Error> {
    require_non_empty(value.as_deref(), field)?;
    Ok(value)
}

/// Checks an optional string field that MUST be non-empty when present.
fn require_non_empty(value: Option<&str>, field: &str) -> Result<(), Error> {
    match value {
        Some("") => Err(Error::bad_request(format!(
            "{field} must be a non-empty string when present"
        ))),
        _ => Ok(()),
    }
}

pub(crate) fn parameters(raw: Option<Box<RawValue>>) -> Result<Option<Parameters>, Error> {
    raw.map(Parameters::from_raw).transpose()
}

/// Reads a bind request's `bind_resource`, kept as sent; an error names the field
/// inside it as [`parse_body`] does (`bind_resource.app_guid: …`), and an empty
/// `app_guid` is one.
pub(crate) fn bind_resource(raw: &RawValue) -> Result<BindResource, Error> {
    let resource: BindResource = serde_json::from_str(raw.get()).map_err(|first| {
        let detail = match located::<BindResource>(raw.get().as_bytes(), &first) {
            (Some(path), message) => format!("bind_resource.{path}: {message}"),
            (None, message) => format!("bind_resource: {message}"),
        };
        Error::bad_request(format!("invalid request body: {detail}"))
    })?;
    require_non_empty(resource.app_guid.as_deref(), "bind_resource.app_guid")?;
    Ok(resource)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values() {
        let q = Query::parse(Some(
            "accepts_incomplete=TRUE&operation=a%20b%2Fc&service_id=&x=1",
        ))
        .unwrap();
        assert!(q.accepts_incomplete);
        assert_eq!(q.operation.as_deref(), Some("a b/c"));
        assert_eq!(q.service_id, None);
        let err = Query::parse(Some("accepts_incomplete=yes")).err().unwrap();
        assert_eq!(
            err.description(),
            "accepts_incomplete must be true or false, not `yes`"
        );
    }

    #[test]
    fn json_content_types() {
        for ok in [
            "application/json",
            "Application/JSON; charset=utf-8",
            "application/vnd.osb+json",
        ] {
            assert!(is_json(ok.as_bytes()), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "json",
            "",
        ] {
            assert!(!is_json(bad.as_bytes()), "{bad}");
        }
    }

    #[test]
    fn body_errors_name_the_field() {
        let err = parse_body::<crate::wire::ProvisionRequest>(br#"{"service_id": 7}"#)
            .err()
            .unwrap();
        assert_eq!(
            err.description(),
            "invalid request body: service_id: invalid type: integer `7`, expected a string"
        );
        let err = parse_body::<crate::wire::ProvisionRequest>(br#"{"service_id": "a""#)
            .err()
            .unwrap();
        assert_eq!(
            err.description(),
            "invalid request body: EOF while parsing an object"
        );
        let err = parse_body::<crate::wire::ProvisionRequest>(b"[]")
            .err()
            .unwrap();
        assert_eq!(err.description(), "the request body must be a JSON object");
        let err = parse_body::<crate::wire::ProvisionRequest>(br#"{"context": [1]}"#)
            .err()
            .unwrap();
        assert_eq!(
            err.description(),
            "invalid request body: context: `context` must be a JSON object"
        );
    }
}
