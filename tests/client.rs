//! What `osb::client` sends and how it waits, seen by a broker on 127.0.0.1 that
//! records every request: the platform's headers, the body and query of a call,
//! `Retry-After` and `maximum_polling_duration` while polling, the call timeout, and
//! answers the specification does not allow.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use osb::client::{Client, ClientError, Wait};
use osb::response::OperationState;
use osb::wire::ProvisionRequest;
use serde_json::{Value, json};

/// One request as the broker received it.
#[derive(Debug, Clone)]
struct Received {
    method: Method,
    uri: String,
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

#[derive(Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Received>>>);

impl Recorder {
    fn all(&self) -> Vec<Received> {
        self.0.lock().unwrap().clone()
    }

    fn to(&self, path: &str) -> Vec<Received> {
        self.all()
            .into_iter()
            .filter(|received| received.uri.split('?').next() == Some(path))
            .collect()
    }
}

fn json_answer(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Answers by path: `slow`'s operation is in progress once with `Retry-After: 1`,
/// then succeeded; `never`'s stays in progress; `stalled` never answers in time;
/// `odd` answers a provision with 204; everything else is accepted.
async fn broker(
    State(recorder): State<Recorder>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_owned();
    recorder.0.lock().unwrap().push(Received {
        method: method.clone(),
        uri: uri.to_string(),
        headers,
        body,
        at: Instant::now(),
    });
    match (method, path.as_str()) {
        (Method::GET, "/v2/service_instances/slow/last_operation") => {
            if recorder.to(&path).len() == 1 {
                let mut answer = json_answer(StatusCode::OK, json!({"state": "in progress"}));
                answer
                    .headers_mut()
                    .insert("retry-after", "1".parse().unwrap());
                answer
            } else {
                json_answer(StatusCode::OK, json!({"state": "succeeded"}))
            }
        }
        (Method::GET, "/v2/service_instances/never/last_operation") => {
            json_answer(StatusCode::OK, json!({"state": "in progress"}))
        }
        (_, "/v2/service_instances/stalled") => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            json_answer(StatusCode::OK, json!({}))
        }
        (Method::PUT, "/v2/service_instances/odd") => (StatusCode::NO_CONTENT, "").into_response(),
        (Method::PUT, _) => json_answer(StatusCode::ACCEPTED, json!({"operation": "op-1"})),
        _ => json_answer(
            StatusCode::NOT_FOUND,
            json!({"description": "nothing here"}),
        ),
    }
}

/// The recording broker on a free port of 127.0.0.1, and its URL.
async fn recording_broker() -> (Recorder, String) {
    let recorder = Recorder::default();
    let app = Router::new().fallback(broker).with_state(recorder.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (recorder, url)
}

fn header<'a>(received: &'a Received, name: &str) -> Option<&'a str> {
    received
        .headers
        .get(name)
        .and_then(|value| value.to_str().ok())
}

#[tokio::test]
async fn a_call_carries_the_platforms_headers_body_and_query() {
    let (recorder, url) = recording_broker().await;
    let client = Client::builder(&url)
        .basic_auth("admin", "s3cret")
        .api_version("2.16")
        .originating_identity("cloudfoundry", &json!({"user_id": "u-1"}))
        .header("x-acme-tenant", "blue")
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let request = ProvisionRequest::new("svc", "plan")
        .organization("org", "space")
        .parameters(&json!({"size_mb": 64}));
    let answer = client.provision("i-1", &request, true).await.unwrap();
    assert_eq!(answer.status, StatusCode::ACCEPTED);
    assert_eq!(answer.body.operation.as_deref(), Some("op-1"));

    let received = recorder.to("/v2/service_instances/i-1");
    assert_eq!(received.len(), 1);
    let put = &received[0];
    assert_eq!(put.method, Method::PUT);
    assert_eq!(put.uri, "/v2/service_instances/i-1?accepts_incomplete=true");
    // «Platform to Service Broker Authentication»: admin:s3cret in Base64.
    assert_eq!(header(put, "authorization"), Some("Basic YWRtaW46czNjcmV0"));
    assert_eq!(header(put, "x-broker-api-version"), Some("2.16"));
    // «Originating Identity»: the platform, a space, the JSON object in Base64.
    assert_eq!(
        header(put, "x-broker-api-originating-identity"),
        Some("cloudfoundry eyJ1c2VyX2lkIjoidS0xIn0=")
    );
    assert_eq!(header(put, "x-acme-tenant"), Some("blue"));
    assert_eq!(header(put, "content-type"), Some("application/json"));
    // «Request Identity»: one per call, and the answer tells which.
    assert_eq!(
        header(put, "x-broker-api-request-identity"),
        Some(answer.request_identity.as_str())
    );
    let body: Value = serde_json::from_slice(&put.body).unwrap();
    assert_eq!(
        body,
        json!({"service_id": "svc", "plan_id": "plan", "organization_guid": "org",
               "space_guid": "space", "parameters": {"size_mb": 64}})
    );

    // Ids are one path segment each, whatever they hold; the query is form-encoded.
    let _ = client.last_operation("a/b c", Some("op 1")).await;
    let poll = recorder.all().pop().unwrap();
    assert_eq!(
        poll.uri,
        "/v2/service_instances/a%2Fb%20c/last_operation?operation=op+1"
    );
    assert_ne!(
        header(&poll, "x-broker-api-request-identity"),
        header(put, "x-broker-api-request-identity")
    );

    // A bearer token instead; the version defaults to 2.17.
    let bearer = Client::builder(&url).bearer("t0ken").build().unwrap();
    let _ = bearer.catalog().await;
    let catalog = recorder.all().pop().unwrap();
    assert_eq!(header(&catalog, "authorization"), Some("Bearer t0ken"));
    assert_eq!(header(&catalog, "x-broker-api-version"), Some("2.17"));
}

#[tokio::test]
async fn waiting_honours_retry_after_and_maximum_polling_duration() {
    let (recorder, url) = recording_broker().await;
    let client = Client::builder(&url).build().unwrap();

    // The broker asks for a second between polls; the client's own interval is 10 ms.
    let wait = Wait::default().interval(Duration::from_millis(10));
    let mut states = Vec::new();
    let done = client
        .wait_for_instance("slow", Some("op-1"), &wait, |polled| {
            states.push(polled.state)
        })
        .await
        .unwrap();
    assert_eq!(done.state, OperationState::Succeeded);
    assert_eq!(
        states,
        [OperationState::InProgress, OperationState::Succeeded]
    );
    let polls = recorder.to("/v2/service_instances/slow/last_operation");
    assert_eq!(polls.len(), 2);
    assert_eq!(
        polls[0].uri,
        "/v2/service_instances/slow/last_operation?operation=op-1"
    );
    let gap = polls[1].at - polls[0].at;
    assert!(
        gap >= Duration::from_millis(990),
        "polled again after {gap:?}"
    );

    // A plan whose maximum_polling_duration is one second: the wait gives up then.
    let plan: osb::catalog::Plan = serde_json::from_value(json!({
        "id": "p", "name": "p", "description": "p", "maximum_polling_duration": 1
    }))
    .unwrap();
    let wait = Wait::for_plan(&plan).interval(Duration::from_millis(100));
    let err = client
        .wait_for_instance("never", None, &wait, |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(err, ClientError::StillInProgress(limit) if limit == Duration::from_secs(1)),
        "{err}"
    );
    let polls = recorder.to("/v2/service_instances/never/last_operation");
    assert!(polls.len() >= 2, "{} polls", polls.len());
    let span = polls.last().unwrap().at - polls[0].at;
    assert!(span >= Duration::from_millis(900), "gave up after {span:?}");
}

#[tokio::test]
async fn no_answer_in_time_and_answers_out_of_the_spec_are_errors_of_their_own() {
    let (_recorder, url) = recording_broker().await;
    let client = Client::builder(&url)
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let err = client.fetch_instance("stalled").await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Timeout { timeout, .. } if *timeout == Duration::from_millis(300)),
        "{err}"
    );
    assert!(err.is_transport());

    // «Provisioning» allows 200, 201 and 202: a 204 is neither success nor an error.
    let request = ProvisionRequest::new("svc", "plan").organization("org", "space");
    let err = client.provision("odd", &request, true).await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Unexpected { status, .. } if *status == StatusCode::NO_CONTENT),
        "{err}"
    );
    assert!(!err.is_transport() && !err.is_broker());

    // A 404 with an OSB error body is the broker's own error, typed.
    let err = client.fetch_instance("missing").await.unwrap_err();
    let broker = err.broker().expect("a broker error");
    assert_eq!(broker.status, StatusCode::NOT_FOUND);
    assert_eq!(broker.description(), Some("nothing here"));
}
