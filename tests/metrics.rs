//! The metrics (issue 21, item 3): what the runtime counts and times, as the
//! Prometheus route serves it, with and without authentication.
//!
//! In a test binary of its own: the Prometheus recorder is the process's global
//! `metrics` recorder. Each test uses offerings and plans of its own, so that the
//! lines it reads count only its requests.

use std::time::Duration;

use http::{Method, StatusCode};
use osb::auth::BasicAuth;
use osb::catalog::{Catalog, Plan, ServiceOffering};
use osb::store::{MemoryStore, SqlStore};
use osb::testing::TestClient;
use osb::{Broker, BuildError, Builder, Deprovision, Deprovisioned, Error, Provision, Provisioned};
use osb_tests::unique;
use serde_json::json;

/// A broker of one offering, `service`, with a synchronous plan `small` and a plan
/// `slow` whose provision runs in the background for 50 ms.
struct Db {
    service: &'static str,
}

impl Broker for Db {
    fn catalog(&self) -> Catalog {
        Catalog::new([
            ServiceOffering::new(self.service, self.service, "A database")
                .plan(Plan::new(
                    format!("{}-small", self.service),
                    "small",
                    "Small",
                ))
                .plan(Plan::new(format!("{}-slow", self.service), "slow", "Slow")),
        ])
    }

    async fn provision(&self, request: Provision) -> Result<Provisioned, Error> {
        if request.plan_id.ends_with("-slow") {
            return Ok(Provisioned::in_background(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
                Ok(())
            }));
        }
        Ok(Provisioned::created())
    }

    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

fn body(service: &str, plan: &str) -> serde_json::Value {
    json!({
        "service_id": service,
        "plan_id": format!("{service}-{plan}"),
        "organization_guid": "org",
        "space_guid": "space",
    })
}

/// The metrics the route serves, with its content type.
async fn scrape(client: &TestClient, path: &str) -> (StatusCode, String, Option<String>) {
    let answer = client.request(Method::GET, path).send().await;
    (
        answer.status,
        answer.text(),
        answer.header("content-type").map(str::to_owned),
    )
}

/// The value on the line of `metrics` that begins with `series` and a space.
fn value(metrics: &str, series: &str) -> Option<f64> {
    metrics.lines().find_map(|line| {
        line.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

#[tokio::test]
async fn requests_are_counted_and_timed_by_operation_plan_and_status() {
    let router = Builder::new()
        .broker(Db { service: "counted" })
        .auth(BasicAuth::new("admin", "secret"))
        .store(MemoryStore::new())
        .metrics_route("/metrics")
        .build()
        .unwrap();
    let anonymous = TestClient::new(router);
    let client = anonymous.clone().basic_auth("admin", "secret");
    assert_eq!(client.catalog().await.status, StatusCode::OK);
    for id in ["m-1", "m-2"] {
        let answer = client.provision(id, &body("counted", "small"), false).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    }
    // The same again: 200 from the store.
    assert_eq!(
        client
            .provision("m-1", &body("counted", "small"), false)
            .await
            .status,
        StatusCode::OK
    );
    // A plan the catalog does not know: refused before a plan is known.
    let mut unknown = body("counted", "small");
    unknown["plan_id"] = json!("nowhere");
    assert_eq!(
        client.provision("m-3", &unknown, false).await.status,
        StatusCode::BAD_REQUEST
    );
    // A path outside the API.
    assert_eq!(
        client
            .request(Method::GET, "/v2/elsewhere")
            .send()
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Background work: running, then finished.
    let answer = client
        .provision("m-4", &body("counted", "slow"), true)
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.text());

    // Without credentials: the router's 401.
    let (status, text, _) = scrape(&anonymous, "/metrics").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(text.contains(r#""description""#), "{text}");

    let (status, metrics, content_type) = scrape(&client, "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        content_type.as_deref(),
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    let requests = |operation: &str, plan: &str, status: u16| {
        let service = if plan.is_empty() { "" } else { "counted" };
        value(
            &metrics,
            &format!(
                r#"osb_requests_total{{operation="{operation}",service="{service}",plan="{plan}",status="{status}"}}"#
            ),
        )
    };
    assert_eq!(requests("provision", "small", 201), Some(2.0), "{metrics}");
    assert_eq!(requests("provision", "small", 200), Some(1.0), "{metrics}");
    assert_eq!(requests("provision", "slow", 202), Some(1.0), "{metrics}");
    assert_eq!(requests("provision", "", 400), Some(1.0), "{metrics}");
    assert_eq!(requests("none", "", 404), Some(1.0), "{metrics}");
    assert!(requests("catalog", "", 200) >= Some(1.0), "{metrics}");
    // The histogram has the buckets documented, and counts the same requests.
    let histogram = r#"osb_request_duration_seconds_bucket{operation="provision",service="counted",plan="small",status="201",le="60"}"#;
    assert_eq!(value(&metrics, histogram), Some(2.0), "{metrics}");
    let count = r#"osb_request_duration_seconds_count{operation="provision",service="counted",plan="small",status="201"}"#;
    assert_eq!(value(&metrics, count), Some(2.0), "{metrics}");
    assert!(
        metrics.contains("# HELP osb_requests_total OSB requests answered"),
        "{metrics}"
    );

    // The background work ends; the gauge goes back down.
    let mut finished = None;
    for _ in 0..100 {
        let (_, metrics, _) = scrape(&client, "/metrics").await;
        finished = value(
            &metrics,
            r#"osb_async_operations_finished_total{operation="provision",state="succeeded"}"#,
        );
        if finished.is_some() {
            assert_eq!(
                value(
                    &metrics,
                    r#"osb_async_operations_running{operation="provision"}"#
                ),
                Some(0.0),
                "{metrics}"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(finished, Some(1.0));
}

#[tokio::test]
async fn a_public_metrics_route_needs_no_credentials_and_store_calls_are_timed() {
    let dir = std::env::temp_dir().join(unique("osb-metrics"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("state.db").display());
    let router = Builder::new()
        .broker(Db { service: "public" })
        .auth(BasicAuth::new("admin", "secret"))
        .store(SqlStore::open(&url).await.unwrap())
        .public_metrics_route("/internal/metrics")
        .build()
        .unwrap();
    let anonymous = TestClient::new(router);
    let client = anonymous.clone().basic_auth("admin", "secret");
    let answer = client
        .provision("p-1", &body("public", "small"), false)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());

    let (status, metrics, _) = scrape(&anonymous, "/internal/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        value(
            &metrics,
            r#"osb_requests_total{operation="provision",service="public",plan="small",status="201"}"#
        ) == Some(1.0),
        "{metrics}"
    );
    // The claim and the settle of the provision went to SQLite.
    for call in ["insert_instance", "update_instance"] {
        let count = value(
            &metrics,
            &format!(r#"osb_store_call_duration_seconds_count{{call="{call}"}}"#),
        );
        assert!(count >= Some(1.0), "{call}: {metrics}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_metrics_route_needs_a_path_of_its_own() {
    let builder = || {
        Builder::new()
            .broker(Db { service: "paths" })
            .auth(BasicAuth::new("admin", "secret"))
    };
    let err = builder()
        .liveness_route("/health")
        .metrics_route("/health")
        .build()
        .unwrap_err();
    assert!(matches!(err, BuildError::OperatorRoute { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        r#"invalid metrics route "/health": it is the liveness route's path too"#
    );
    let err = builder().metrics_route("/v2/metrics").build().unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"invalid metrics route "/v2/metrics": `/v2` belongs to the OSB API"#
    );
}

#[tokio::test]
async fn failed_store_calls_are_counted() {
    let dir = std::env::temp_dir().join(unique("osb-metrics-full"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("state.db").display());
    // A file that fills up after a few instances: the next write answers 503.
    let options = osb::store::SqlOptions::new()
        .sqlite_pragma("max_page_count", "40")
        .unwrap();
    let router = Builder::new()
        .broker(Db { service: "full" })
        .auth(osb::auth::Auth::none())
        .store(SqlStore::open_with(&url, &options).await.unwrap())
        .public_metrics_route("/metrics")
        .build()
        .unwrap();
    let client = TestClient::new(router);
    let mut request = body("full", "small");
    request["parameters"] = json!({ "filler": "f".repeat(8000) });
    let mut refused = 0;
    for n in 0..64 {
        let answer = client.provision(&format!("f-{n}"), &request, false).await;
        if answer.status == StatusCode::SERVICE_UNAVAILABLE {
            refused += 1;
            break;
        }
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    }
    assert_eq!(refused, 1, "the file never filled up");
    let (_, metrics, _) = scrape(&client, "/metrics").await;
    let failed: f64 = metrics
        .lines()
        .filter(|line| {
            line.starts_with("osb_store_errors_total{") && line.contains(r#"error="unavailable""#)
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum();
    assert!(failed >= 1.0, "{metrics}");
    assert_eq!(
        value(
            &metrics,
            r#"osb_requests_total{operation="provision",service="full",plan="small",status="503"}"#
        ),
        Some(1.0),
        "{metrics}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// An authenticator that panics.
struct Panics;

#[osb::async_trait]
impl osb::auth::Authenticator for Panics {
    async fn authenticate(
        &self,
        _request: &http::request::Parts,
    ) -> Result<Option<osb::auth::Principal>, Error> {
        panic!("the token service is on fire")
    }
}

#[tokio::test]
async fn a_panicking_authenticator_on_the_metrics_route_is_a_500() {
    let router = Builder::new()
        .broker(Db { service: "panics" })
        .auth(Panics)
        .metrics_route("/metrics")
        .build()
        .unwrap();
    let (status, text, content_type) = scrape(&TestClient::new(router), "/metrics").await;
    assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let body: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(body["description"].is_string(), "{text}");
    assert!(!text.contains("on fire"), "{text}");
}
