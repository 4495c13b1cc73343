//! A typed async client for any OSB broker, over HTTP and HTTPS (feature `client`).
//!
//! It speaks the platform's side of the API: all ten endpoints with the request and
//! answer types of [`crate::wire`], which the router uses too. Every call sends
//! `X-Broker-API-Version`, the credentials, a fresh `X-Broker-API-Request-Identity`
//! and, when set, `X-Broker-API-Originating-Identity`, and gives up after the
//! client's timeout. An error status becomes a [`ClientError::Broker`] with the OSB
//! error body; an answer the specification does not allow becomes
//! [`ClientError::Unexpected`].
//!
//! ```no_run
//! use osb::client::{Client, Wait};
//! use osb::wire::ProvisionRequest;
//! use serde_json::json;
//!
//! # async fn demo() -> Result<(), osb::client::ClientError> {
//! let client = Client::builder("http://127.0.0.1:8080")
//!     .basic_auth("admin", "admin")
//!     .build()?;
//! let catalog = client.catalog().await?;
//! let service = &catalog.services[0];
//! let plan = &service.plans[0];
//! let request = ProvisionRequest::new(&service.id, &plan.id)
//!     .organization("org-guid", "space-guid")
//!     .parameters(&json!({"size_mb": 64}));
//! let answer = client.provision("instance-1", &request, true).await?;
//! if answer.is_accepted() {
//!     let wait = Wait::for_plan(plan);
//!     let done = client
//!         .wait_for_instance("instance-1", answer.body.operation.as_deref(), &wait, |_| {})
//!         .await?;
//!     println!("{:?}", done.state);
//! }
//! # Ok(()) }
//! ```
//!
//! HTTPS trusts the system's roots and any CA file given with
//! [`ClientBuilder::ca_file`]; [`ClientBuilder::identity`] presents a client
//! certificate (mutual TLS). TLS is rustls on *ring*.

mod answer;
mod error;
mod poll;
mod tls;

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, RETRY_AFTER};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use answer::{Answer, BindAnswer, Polled};
pub use error::{BrokerError, ClientError};
pub use poll::Wait;

use crate::api::{API_VERSION_HEADER, ORIGINATING_IDENTITY_HEADER, REQUEST_IDENTITY_HEADER};
use crate::catalog::Catalog;
use crate::wire::paths::{accepts, binding_path, instance_path, with_query};
use crate::wire::{
    BindRequest, BindingBody, ErrorBody, InstanceBody, InstanceDetailsBody, LastOperationBody,
    OperationBody, ProvisionRequest, UpdateRequest,
};

/// How long a call may take unless [`ClientBuilder::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Builds a [`Client`]: the broker's URL, credentials, headers, TLS and timeout.
#[derive(Debug, Clone)]
#[must_use]
pub struct ClientBuilder {
    url: String,
    headers: HeaderMap,
    timeout: Duration,
    connect_timeout: Duration,
    tls: tls::TlsSettings,
    invalid: Option<String>,
}

impl ClientBuilder {
    /// HTTP basic credentials («Platform to Service Broker Authentication»).
    pub fn basic_auth(self, username: &str, password: &str) -> Self {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        self.header(AUTHORIZATION, &format!("Basic {encoded}"))
    }

    /// A bearer token.
    pub fn bearer(self, token: &str) -> Self {
        self.header(AUTHORIZATION, &format!("Bearer {token}"))
    }

    /// The API version to send (default `2.17`).
    pub fn api_version(self, version: &str) -> Self {
        self.header(API_VERSION_HEADER, version)
    }

    /// `X-Broker-API-Originating-Identity`: the user on whose behalf the platform
    /// calls, as the platform's name and its identity object (sent base64-encoded).
    pub fn originating_identity(self, platform: &str, identity: &serde_json::Value) -> Self {
        let encoded = base64::engine::general_purpose::STANDARD.encode(identity.to_string());
        self.header(
            ORIGINATING_IDENTITY_HEADER,
            &format!("{platform} {encoded}"),
        )
    }

    /// Any other header, sent with every call.
    pub fn header(mut self, name: impl TryInto<HeaderName>, value: &str) -> Self {
        match (name.try_into(), HeaderValue::from_str(value)) {
            (Ok(name), Ok(value)) => {
                self.headers.insert(name, value);
            }
            _ => self.invalid = Some(format!("invalid header value {value:?}")),
        }
        self
    }

    /// How long each call may take, from connecting to the end of the body
    /// (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Trusts the CA certificates of a PEM file too (a broker with a private CA).
    pub fn ca_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.tls.ca_files.push(path.into());
        self
    }

    /// Trusts only the CA files given, not the system's roots.
    pub fn without_system_roots(mut self) -> Self {
        self.tls.skip_system_roots = true;
        self
    }

    /// Presents a client certificate (mutual TLS): a PEM chain and its PEM key.
    pub fn identity(
        mut self,
        chain: impl Into<std::path::PathBuf>,
        key: impl Into<std::path::PathBuf>,
    ) -> Self {
        self.tls.identity = Some((chain.into(), key.into()));
        self
    }

    /// The client; fails on an invalid URL, header or certificate file.
    pub fn build(self) -> Result<Client, ClientError> {
        if let Some(invalid) = self.invalid {
            return Err(ClientError::Settings(invalid));
        }
        let url = self.url.trim_end_matches('/').to_owned();
        let parsed = reqwest::Url::parse(&url)
            .map_err(|err| ClientError::Settings(format!("invalid broker URL {url:?}: {err}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ClientError::Settings(format!(
                "invalid broker URL {url:?}: the scheme must be http or https"
            )));
        }
        // reqwest needs a TLS backend even for http:// (it would otherwise look for a
        // process-wide rustls provider, and panic without one).
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .tls_backend_preconfigured(self.tls.config()?)
            .build()
            .map_err(|err| ClientError::Settings(chain(&err)))?;
        Ok(Client {
            http,
            url,
            headers: self.headers,
            timeout: self.timeout,
        })
    }
}

/// A client for one broker; cheap to clone (the connections are shared).
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    url: String,
    headers: HeaderMap,
    timeout: Duration,
}

/// An error with its causes, on one line.
fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// A fresh request identity: a random UUID (version 4).
fn request_identity() -> String {
    random_id()
}

/// A random UUID (version 4), as platforms make instance and binding ids.
pub fn random_id() -> String {
    let bytes: [u8; 16] = rand::random();
    let n = u128::from_be_bytes(bytes);
    let n = (n & !(0xF << 76) | (0x4 << 76)) & !(0x3 << 62) | (0x2 << 62);
    let hex = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A response read whole.
struct Read {
    request: String,
    identity: String,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Read {
    fn text(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        match text.char_indices().nth(2000) {
            Some((cut, _)) => format!("{}…", &text[..cut]),
            None => text.into_owned(),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        let value = self.headers.get(RETRY_AFTER)?.to_str().ok()?;
        value.trim().parse::<u64>().ok().map(Duration::from_secs)
    }

    fn unexpected(&self, problem: impl Into<String>) -> ClientError {
        ClientError::Unexpected {
            request: self.request.clone(),
            status: self.status,
            problem: problem.into(),
            body: self.text(),
        }
    }

    /// The body as `T` if the status is one of `allowed`; an error status is the
    /// broker's error.
    fn expect<T: DeserializeOwned>(&self, allowed: &[u16]) -> Result<T, ClientError> {
        if self.status.is_client_error() || self.status.is_server_error() {
            let body = serde_json::from_slice::<ErrorBody<'static>>(&self.body).unwrap_or_default();
            return Err(ClientError::Broker(BrokerError {
                request: self.request.clone(),
                status: self.status,
                body,
                retry_after: self.retry_after(),
            }));
        }
        if !allowed.contains(&self.status.as_u16()) {
            return Err(self.unexpected(format!(
                "the specification allows {} here",
                allowed
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        serde_json::from_slice(&self.body).map_err(|err| self.unexpected(format!("{err}")))
    }

    fn answer<T: DeserializeOwned>(self, allowed: &[u16]) -> Result<Answer<T>, ClientError> {
        let body = self.expect(allowed)?;
        Ok(Answer {
            status: self.status,
            body,
            request_identity: self.identity,
        })
    }
}

impl Client {
    /// A builder for the broker at `url` (`http://…` or `https://…`, without `/v2`).
    pub fn builder(url: impl Into<String>) -> ClientBuilder {
        let mut headers = HeaderMap::new();
        headers.insert(API_VERSION_HEADER, HeaderValue::from_static("2.17"));
        ClientBuilder {
            url: url.into(),
            headers,
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(10),
            tls: tls::TlsSettings::default(),
            invalid: None,
        }
    }

    /// The broker's URL, without a trailing `/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The headers every call sends (version, credentials, originating identity).
    pub fn default_headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Sends one request exactly as given, with none of the client's headers, and
    /// reads the whole answer: for tools and tests that probe a broker with requests
    /// a platform would not send. `path_and_query` starts with `/`.
    pub async fn send_raw(
        &self,
        method: Method,
        path_and_query: &str,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<http::Response<Bytes>, ClientError> {
        let request = format!("{method} {path_and_query}");
        let url = format!("{}{path_and_query}", self.url);
        let call = async {
            let response = self
                .http
                .request(method, url)
                .headers(headers)
                .body(body)
                .send()
                .await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        };
        match tokio::time::timeout(self.timeout, call).await {
            Err(_) => Err(ClientError::Timeout {
                request,
                timeout: self.timeout,
            }),
            Ok(Err(err)) => Err(ClientError::Transport {
                request,
                message: chain(&err),
            }),
            Ok(Ok((status, headers, body))) => {
                let mut response = http::Response::new(body);
                *response.status_mut() = status;
                *response.headers_mut() = headers;
                Ok(response)
            }
        }
    }

    async fn call(
        &self,
        method: Method,
        path: String,
        body: Option<&impl Serialize>,
    ) -> Result<Read, ClientError> {
        let mut headers = self.headers.clone();
        let identity = request_identity();
        if let Ok(value) = HeaderValue::from_str(&identity) {
            headers.insert(REQUEST_IDENTITY_HEADER, value);
        }
        let bytes = match body {
            Some(body) => {
                headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Bytes::from(
                    serde_json::to_vec(body)
                        .map_err(|err| ClientError::Settings(err.to_string()))?,
                )
            }
            None => Bytes::new(),
        };
        let request = format!("{method} {path}");
        let response = self.send_raw(method, &path, headers, bytes).await?;
        let (parts, body) = response.into_parts();
        Ok(Read {
            request,
            identity,
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// `GET /v2/catalog`.
    pub async fn catalog(&self) -> Result<Catalog, ClientError> {
        let read = self
            .call(Method::GET, String::from("/v2/catalog"), None::<&()>)
            .await?;
        read.expect(&[200])
    }

    /// `PUT /v2/service_instances/:instance_id`: `201` created, `200` an identical
    /// instance existed, `202` started (poll with [`Client::wait_for_instance`]).
    pub async fn provision(
        &self,
        instance_id: &str,
        request: &ProvisionRequest,
        accepts_incomplete: bool,
    ) -> Result<Answer<InstanceBody<'static>>, ClientError> {
        let path = with_query(
            instance_path(instance_id),
            &[("accepts_incomplete", accepts(accepts_incomplete))],
        );
        let read = self.call(Method::PUT, path, Some(request)).await?;
        read.answer(&[200, 201, 202])
    }

    /// `PATCH /v2/service_instances/:instance_id`: `200` done, `202` started.
    pub async fn update(
        &self,
        instance_id: &str,
        request: &UpdateRequest,
        accepts_incomplete: bool,
    ) -> Result<Answer<InstanceBody<'static>>, ClientError> {
        let path = with_query(
            instance_path(instance_id),
            &[("accepts_incomplete", accepts(accepts_incomplete))],
        );
        let read = self.call(Method::PATCH, path, Some(request)).await?;
        read.answer(&[200, 202])
    }

    /// `DELETE /v2/service_instances/:instance_id`: `200` done, `202` started; an
    /// instance that does not exist is a [`ClientError::Broker`] with status 410.
    pub async fn deprovision(
        &self,
        instance_id: &str,
        service_id: &str,
        plan_id: &str,
        accepts_incomplete: bool,
    ) -> Result<Answer<OperationBody<'static>>, ClientError> {
        self.delete(
            instance_path(instance_id),
            service_id,
            plan_id,
            accepts_incomplete,
        )
        .await
    }

    /// `GET /v2/service_instances/:instance_id` (offerings with `instances_retrievable`).
    pub async fn fetch_instance(
        &self,
        instance_id: &str,
    ) -> Result<InstanceDetailsBody<'static>, ClientError> {
        let read = self
            .call(Method::GET, instance_path(instance_id), None::<&()>)
            .await?;
        read.expect(&[200])
    }

    /// `GET /v2/service_instances/:instance_id/last_operation`.
    pub async fn last_operation(
        &self,
        instance_id: &str,
        operation: Option<&str>,
    ) -> Result<Polled, ClientError> {
        let path = with_query(
            format!("{}/last_operation", instance_path(instance_id)),
            &[("operation", operation)],
        );
        let read = self.call(Method::GET, path, None::<&()>).await?;
        let body: LastOperationBody<'static> = read.expect(&[200])?;
        Ok(Polled {
            body,
            retry_after: read.retry_after(),
        })
    }

    /// `PUT …/service_bindings/:binding_id`: the binding (`200`/`201`), or an
    /// operation to poll (`202`).
    pub async fn bind(
        &self,
        instance_id: &str,
        binding_id: &str,
        request: &BindRequest,
        accepts_incomplete: bool,
    ) -> Result<Answer<BindAnswer>, ClientError> {
        let path = with_query(
            binding_path(instance_id, binding_id),
            &[("accepts_incomplete", accepts(accepts_incomplete))],
        );
        let read = self.call(Method::PUT, path, Some(request)).await?;
        let body = if read.status == StatusCode::ACCEPTED {
            BindAnswer::Accepted(read.expect(&[202])?)
        } else {
            BindAnswer::Bound(read.expect(&[200, 201])?)
        };
        Ok(Answer {
            status: read.status,
            body,
            request_identity: read.identity,
        })
    }

    /// `DELETE …/service_bindings/:binding_id`: `200` done, `202` started; a binding
    /// that does not exist is a [`ClientError::Broker`] with status 410.
    pub async fn unbind(
        &self,
        instance_id: &str,
        binding_id: &str,
        service_id: &str,
        plan_id: &str,
        accepts_incomplete: bool,
    ) -> Result<Answer<OperationBody<'static>>, ClientError> {
        self.delete(
            binding_path(instance_id, binding_id),
            service_id,
            plan_id,
            accepts_incomplete,
        )
        .await
    }

    /// A deprovision or an unbind of the instance or binding at `resource`: both
    /// carry the same query (spec «Deprovisioning», «Unbinding») and the same answers.
    async fn delete(
        &self,
        resource: String,
        service_id: &str,
        plan_id: &str,
        accepts_incomplete: bool,
    ) -> Result<Answer<OperationBody<'static>>, ClientError> {
        let path = with_query(
            resource,
            &[
                ("service_id", Some(service_id)),
                ("plan_id", Some(plan_id)),
                ("accepts_incomplete", accepts(accepts_incomplete)),
            ],
        );
        let read = self.call(Method::DELETE, path, None::<&()>).await?;
        read.answer(&[200, 202])
    }

    /// `GET …/service_bindings/:binding_id` (offerings with `bindings_retrievable`).
    pub async fn fetch_binding(
        &self,
        instance_id: &str,
        binding_id: &str,
    ) -> Result<BindingBody<'static>, ClientError> {
        let read = self
            .call(
                Method::GET,
                binding_path(instance_id, binding_id),
                None::<&()>,
            )
            .await?;
        read.expect(&[200])
    }

    /// `GET …/service_bindings/:binding_id/last_operation`.
    pub async fn binding_last_operation(
        &self,
        instance_id: &str,
        binding_id: &str,
        operation: Option<&str>,
    ) -> Result<Polled, ClientError> {
        let path = with_query(
            format!("{}/last_operation", binding_path(instance_id, binding_id)),
            &[("operation", operation)],
        );
        let read = self.call(Method::GET, path, None::<&()>).await?;
        let body: LastOperationBody<'static> = read.expect(&[200])?;
        Ok(Polled {
            body,
            retry_after: read.retry_after(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_identities_are_version_4_uuids() {
        let id = request_identity();
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
        assert_ne!(id, request_identity());
    }
}
