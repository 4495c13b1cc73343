//! An in-process client for a broker's router.

use std::fmt;

use axum::Router;
use axum::body::Body;
use base64::Engine as _;
use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use http_body_util::BodyExt as _;
use serde_json::Value;
use tower::ServiceExt as _;

use crate::api::API_VERSION_HEADER;
use crate::wire::paths::{accepts, binding_path, instance_path, with_query};

/// Sends requests to a router in-process, with the headers a platform sends:
/// `X-Broker-API-Version: 2.17` and, once set, credentials. Every default header can
/// be replaced or removed, and any request can be sent raw.
///
/// ```
/// # use osb::testing::TestClient;
/// # async fn demo(router: axum::Router) {
/// let client = TestClient::new(router).basic_auth("admin", "admin");
/// let catalog = client.catalog().await;
/// assert_eq!(catalog.status, 200);
/// let without_version = client.clone().without_header("x-broker-api-version");
/// assert_eq!(without_version.catalog().await.status, 412);
/// # }
/// ```
#[derive(Clone)]
pub struct TestClient {
    transport: Transport,
    headers: HeaderMap,
}

/// Where the requests go.
#[derive(Clone)]
enum Transport {
    /// A router, in-process.
    Router(Router),
    /// A broker at a URL, through [`crate::client::Client::send_raw`].
    #[cfg(feature = "client")]
    Http(crate::client::Client),
}

/// The status a [`TestResponse`] shows when no answer came over HTTP (the body says
/// why): not a status any broker sends.
pub const NO_ANSWER: StatusCode = match StatusCode::from_u16(599) {
    Ok(status) => status,
    Err(_) => StatusCode::BAD_GATEWAY,
};

impl fmt::Debug for TestClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.keys().map(HeaderName::as_str).collect();
        let transport = match &self.transport {
            Transport::Router(_) => String::from("router"),
            #[cfg(feature = "client")]
            Transport::Http(client) => client.url().to_owned(),
        };
        f.debug_struct("TestClient")
            .field("transport", &transport)
            .field("headers", &names)
            .finish()
    }
}

impl TestClient {
    /// A client for `router` that sends `X-Broker-API-Version: 2.17` and no credentials.
    pub fn new(router: Router) -> Self {
        let mut headers = HeaderMap::new();
        headers.insert(API_VERSION_HEADER, HeaderValue::from_static("2.17"));
        Self {
            transport: Transport::Router(router),
            headers,
        }
    }

    /// A client for the broker `client` reaches over HTTP(S), sending the same
    /// defaults: `client`'s own headers (credentials, version) are sent, and can be
    /// replaced or removed here like the others. A request that gets no answer shows
    /// as status [`NO_ANSWER`] with the error as its body.
    #[cfg(feature = "client")]
    #[cfg_attr(docsrs, doc(cfg(feature = "client")))]
    pub fn http(client: crate::client::Client) -> Self {
        let mut headers = client.default_headers().clone();
        if !headers.contains_key(API_VERSION_HEADER) {
            headers.insert(API_VERSION_HEADER, HeaderValue::from_static("2.17"));
        }
        Self {
            transport: Transport::Http(client),
            headers,
        }
    }

    /// Sends HTTP basic credentials with every request.
    #[must_use]
    pub fn basic_auth(self, username: &str, password: &str) -> Self {
        let encoded =
            base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
        self.header(AUTHORIZATION, &format!("Basic {encoded}"))
    }

    /// Sends a bearer token with every request.
    #[must_use]
    pub fn bearer(self, token: &str) -> Self {
        self.header(AUTHORIZATION, &format!("Bearer {token}"))
    }

    /// Sends `name: value` with every request, replacing a default. An invalid header
    /// value is a bug in the test and panics.
    #[must_use]
    pub fn header(mut self, name: impl TryInto<HeaderName>, value: &str) -> Self {
        let Ok(name) = name.try_into() else {
            panic!("invalid header name");
        };
        let Ok(value) = HeaderValue::from_str(value) else {
            panic!("invalid value for header {name}: {value:?}");
        };
        self.headers.insert(name, value);
        self
    }

    /// Whether `name` is among the headers sent by default.
    pub fn has_header(&self, name: impl TryInto<HeaderName>) -> bool {
        name.try_into()
            .is_ok_and(|name| self.headers.contains_key(name))
    }

    /// Stops sending a default header (credentials, the version, …).
    #[must_use]
    pub fn without_header(mut self, name: impl TryInto<HeaderName>) -> Self {
        if let Ok(name) = name.try_into() {
            self.headers.remove(name);
        }
        self
    }

    /// A request to `path` with the default headers, to complete and send.
    pub fn request(&self, method: Method, path: &str) -> TestRequest<'_> {
        TestRequest {
            client: self,
            method,
            path: path.to_owned(),
            headers: self.headers.clone(),
            body: Bytes::new(),
        }
    }

    /// Sends a request exactly as given: no default header is added.
    pub async fn send_raw(&self, request: Request<Body>) -> TestResponse {
        let method = request.method().clone();
        let path = request.uri().to_string();
        let router = match &self.transport {
            Transport::Router(router) => router.clone(),
            #[cfg(feature = "client")]
            Transport::Http(client) => return send_http(client, request).await,
        };
        let response = match router.oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let body = match body.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(err) => Bytes::from(format!("<body could not be read: {err}>")),
        };
        TestResponse {
            method,
            path,
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// `GET /v2/catalog`.
    pub async fn catalog(&self) -> TestResponse {
        self.request(Method::GET, "/v2/catalog").send().await
    }

    /// `PUT /v2/service_instances/:id` with `body`.
    pub async fn provision(
        &self,
        instance_id: &str,
        body: &Value,
        accepts_incomplete: bool,
    ) -> TestResponse {
        let path = with_query(
            instance_path(instance_id),
            &[("accepts_incomplete", accepts(accepts_incomplete))],
        );
        self.request(Method::PUT, &path).json(body).send().await
    }

    /// `PATCH /v2/service_instances/:id` with `body`.
    pub async fn update(
        &self,
        instance_id: &str,
        body: &Value,
        accepts_incomplete: bool,
    ) -> TestResponse {
        let path = with_query(
            instance_path(instance_id),
            &[("accepts_incomplete", accepts(accepts_incomplete))],
        );
        self.request(Method::PATCH, &path).json(body).send().await
    }

    /// `DELETE /v2/service_instances/:id?service_id=…&plan_id=…`.
    pub async fn deprovision(
        &self,
        instance_id: &str,
        service_id: &str,
        plan_id: &str,
        accepts_incomplete: bool,
    ) -> TestResponse {
        let path = with_query(
            instance_path(instance_id),
            &[
                ("service_id", Some(service_id)),
                ("plan_id", Some(plan_id)),
                ("accepts_incomplete", accepts(accepts_incomplete)),
            ],
        );
        self.request(Method::DELETE, &path).send().await
    }

    /// `GET /v2/service_instances/:id`.
    pub async fn fetch_instance(&self, instance_id: &str) -> TestResponse {
        self.request(Method::GET, &instance_path(instance_id))
            .send()
            .await
    }

    /// `GET /v2/service_instances/:id/last_operation`, with `operation` if given.
    pub async fn last_operation(&self, instance_id: &str, operation: Option<&str>) -> TestResponse {
        let path = with_query(
            format!("{}/last_operation", instance_path(instance_id)),
            &[("operation", operation)],
        );
        self.request(Method::GET, &path).send().await
    }

    /// `PUT …/service_bindings/:binding_id` with `body`.
    pub async fn bind(
        &self,
        instance_id: &str,
        binding_id: &str,
        body: &Value,
        accepts_incomplete: bool,
    ) -> TestResponse {
        let path = with_query(
            binding_path(instance_id, binding_id),
            &[("accepts_incomplete", accepts(accepts_incomplete))],
        );
        self.request(Method::PUT, &path).json(body).send().await
    }

    /// `DELETE …/service_bindings/:binding_id?service_id=…&plan_id=…`.
    pub async fn unbind(
        &self,
        instance_id: &str,
        binding_id: &str,
        service_id: &str,
        plan_id: &str,
        accepts_incomplete: bool,
    ) -> TestResponse {
        let path = with_query(
            binding_path(instance_id, binding_id),
            &[
                ("service_id", Some(service_id)),
                ("plan_id", Some(plan_id)),
                ("accepts_incomplete", accepts(accepts_incomplete)),
            ],
        );
        self.request(Method::DELETE, &path).send().await
    }

    /// `GET …/service_bindings/:binding_id`.
    pub async fn fetch_binding(&self, instance_id: &str, binding_id: &str) -> TestResponse {
        self.request(Method::GET, &binding_path(instance_id, binding_id))
            .send()
            .await
    }

    /// `GET …/service_bindings/:binding_id/last_operation`, with `operation` if given.
    pub async fn binding_last_operation(
        &self,
        instance_id: &str,
        binding_id: &str,
        operation: Option<&str>,
    ) -> TestResponse {
        let path = with_query(
            format!("{}/last_operation", binding_path(instance_id, binding_id)),
            &[("operation", operation)],
        );
        self.request(Method::GET, &path).send().await
    }
}

/// Sends `request` over HTTP; no answer becomes a [`NO_ANSWER`] response.
#[cfg(feature = "client")]
async fn send_http(client: &crate::client::Client, request: Request<Body>) -> TestResponse {
    let method = request.method().clone();
    let path = request
        .uri()
        .path_and_query()
        .map_or_else(|| request.uri().to_string(), ToString::to_string);
    let (parts, body) = request.into_parts();
    let body = body
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    match client
        .send_raw(method.clone(), &path, parts.headers, body)
        .await
    {
        Ok(response) => {
            let (parts, body) = response.into_parts();
            TestResponse {
                method,
                path,
                status: parts.status,
                headers: parts.headers,
                body,
            }
        }
        Err(err) => TestResponse {
            method,
            path,
            status: NO_ANSWER,
            headers: HeaderMap::new(),
            body: Bytes::from(format!("<no answer: {err}>")),
        },
    }
}

/// A request being built by [`TestClient::request`].
#[must_use]
pub struct TestRequest<'a> {
    client: &'a TestClient,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl fmt::Debug for TestRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

impl TestRequest<'_> {
    /// Sets a header, replacing a default (panics on an invalid value: a bug in the test).
    pub fn header(mut self, name: impl TryInto<HeaderName>, value: &str) -> Self {
        let (Ok(name), Ok(value)) = (name.try_into(), HeaderValue::from_str(value)) else {
            panic!("invalid header {value:?}");
        };
        self.headers.insert(name, value);
        self
    }

    /// Removes a default header.
    pub fn without_header(mut self, name: impl TryInto<HeaderName>) -> Self {
        if let Ok(name) = name.try_into() {
            self.headers.remove(name);
        }
        self
    }

    /// A JSON body, with `Content-Type: application/json`.
    pub fn json(mut self, body: &Value) -> Self {
        self.body = Bytes::from(body.to_string());
        self.headers
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        self
    }

    /// A body as bytes, without setting a content type.
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Sends the request.
    pub async fn send(self) -> TestResponse {
        let mut request = Request::new(Body::from(self.body));
        *request.method_mut() = self.method;
        let Ok(uri) = self.path.parse() else {
            panic!("invalid request path {:?}", self.path);
        };
        *request.uri_mut() = uri;
        *request.headers_mut() = self.headers;
        self.client.send_raw(request).await
    }
}

/// A response, read whole.
#[derive(Clone)]
pub struct TestResponse {
    /// The request's method, for messages.
    pub method: Method,
    /// The request's path and query, for messages.
    pub path: String,
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl TestResponse {
    /// The body as JSON (`Value::Null` if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// A header's value as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl fmt::Debug for TestResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} → {} {}",
            self.method,
            self.path,
            self.status,
            self.text()
        )
    }
}
