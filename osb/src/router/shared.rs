//! What every request of a router shares: its back end, its catalog's bytes, its
//! authentication and settings; the checks every request goes through first.

use axum::response::Response;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderValue, StatusCode};

use crate::api::{
    API_VERSION_HEADER, ApiVersion, Endpoint, MissingVersion, ORIGINATING_IDENTITY_HEADER,
    REQUEST_IDENTITY_HEADER,
};
use crate::auth::Auth;
use crate::error::{Error, ErrorKind};
use crate::request::{HttpContext, OriginatingIdentity, RequestMeta};
use crate::text::quoted;

use super::respond;

/// Settings of the request checks.
#[derive(Debug, Clone)]
pub(super) struct Config {
    pub(super) min_version: ApiVersion,
    pub(super) max_version: Option<ApiVersion>,
    pub(super) missing_version: MissingVersion,
    pub(super) body_limit: usize,
    pub(super) require_org_and_space: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            min_version: ApiVersion::V2_13,
            max_version: None,
            missing_version: MissingVersion::PreconditionFailed,
            body_limit: 1024 * 1024,
            require_org_and_space: true,
        }
    }
}

/// What [`Shared::preamble`] read of a request: its [`RequestMeta`] but the HTTP
/// context (the catalog, which has no handler, never makes one).
pub(super) struct Preamble {
    api_version: ApiVersion,
    originating_identity: Option<OriginatingIdentity>,
    request_identity: Option<String>,
    principal: Option<crate::auth::Principal>,
}

impl Preamble {
    /// The meta of the request whose HTTP side is `http`.
    pub(super) fn meta(self, http: HttpContext) -> RequestMeta {
        RequestMeta {
            api_version: self.api_version,
            originating_identity: self.originating_identity,
            request_identity: self.request_identity,
            principal: self.principal,
            http,
        }
    }
}

/// Everything a request handler needs, shared by all requests of one router; `D`
/// answers the operations (the brokers, or the lifecycle over a store).
pub(super) struct Shared<D> {
    pub(super) backend: D,
    catalog_json: Bytes,
    etag: HeaderValue,
    pub(super) auth: Auth,
    pub(super) config: Config,
}

impl<D> Shared<D> {
    /// Serves `catalog_json` as the catalog.
    pub(super) fn new(backend: D, catalog_json: Bytes, auth: Auth, config: Config) -> Self {
        Self {
            backend,
            etag: etag(&catalog_json),
            catalog_json,
            auth,
            config,
        }
    }

    /// Authenticates, then checks the API version and decodes the identity headers,
    /// in that order: a platform's credentials are checked before anything else
    /// (osb-checker's 401 probes send no valid version header and no body).
    pub(super) async fn preamble(&self, parts: &Parts) -> Result<Preamble, Error> {
        let principal = self.auth.authenticate(parts).await?;
        let api_version = self.check_version(parts.headers.get(API_VERSION_HEADER))?;
        let originating_identity = match parts.headers.get(ORIGINATING_IDENTITY_HEADER) {
            None => None,
            Some(value) => {
                let text = value.to_str().map_err(|_| {
                    Error::bad_request(
                        "invalid X-Broker-API-Originating-Identity header: it must be ASCII",
                    )
                })?;
                Some(
                    OriginatingIdentity::parse(text)
                        .map_err(|err| Error::bad_request(err.to_string()))?,
                )
            }
        };
        let request_identity = parts
            .headers
            .get(REQUEST_IDENTITY_HEADER)
            .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
        Ok(Preamble {
            api_version,
            originating_identity,
            request_identity,
            principal,
        })
    }

    fn check_version(&self, header: Option<&HeaderValue>) -> Result<ApiVersion, Error> {
        let min = self.config.min_version;
        // Only rejections pay for formatting: accepted requests allocate nothing here.
        let rejected = |problem: String| {
            let supported = match self.config.max_version {
                Some(max) => format!("{min} to {max}"),
                None => format!("{min} or a later 2.x version"),
            };
            Error::new(ErrorKind::UnsupportedApiVersion).with_description(format!(
                "{problem}; this broker requires X-Broker-API-Version {supported} (it implements {})",
                ApiVersion::LATEST
            ))
        };
        let header = header.filter(|value| !value.is_empty());
        let Some(header) = header else {
            let err = rejected(String::from("the X-Broker-API-Version header is missing"));
            return Err(match self.config.missing_version {
                MissingVersion::PreconditionFailed => err,
                MissingVersion::BadRequest => Error::bad_request(err.description().to_owned()),
            });
        };
        let text = String::from_utf8_lossy(header.as_bytes());
        match ApiVersion::parse(text.trim()) {
            None => Err(rejected(format!(
                "X-Broker-API-Version {} is not a version of the form MAJOR.MINOR",
                quoted(&text)
            ))),
            Some(version)
                if version.major() != 2
                    || version < min
                    || self.config.max_version.is_some_and(|max| version > max) =>
            {
                Err(rejected(format!(
                    "X-Broker-API-Version {version} is not supported"
                )))
            }
            Some(version) => Ok(version),
        }
    }

    pub(super) fn error_response(&self, err: &Error, endpoint: Endpoint) -> Response {
        respond::error(err, endpoint, self.auth.challenge())
    }

    pub(super) fn catalog_response(&self, if_none_match: Option<&HeaderValue>) -> Response {
        // «Catalog Management»: brokers MAY support ETag for catalog caching.
        let mut response = if if_none_match.is_some_and(|tags| matches_etag(tags, &self.etag)) {
            let mut response = Response::new(axum::body::Body::empty());
            *response.status_mut() = StatusCode::NOT_MODIFIED;
            response
        } else {
            respond::json_bytes(StatusCode::OK, self.catalog_json.clone())
        };
        response
            .headers_mut()
            .insert(http::header::ETAG, self.etag.clone());
        response
    }
}

fn etag(bytes: &[u8]) -> HeaderValue {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut hasher);
    let tag = format!("\"{:016x}\"", hasher.finish());
    HeaderValue::from_str(&tag).unwrap_or(HeaderValue::from_static("\"catalog\""))
}

/// RFC 7232 §3.2: `If-None-Match` is `*` or a list of entity tags, compared weakly.
fn matches_etag(if_none_match: &HeaderValue, etag: &HeaderValue) -> bool {
    let Ok(tags) = if_none_match.to_str() else {
        return false;
    };
    let etag = etag.as_bytes();
    tags.split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag).as_bytes() == etag)
}
