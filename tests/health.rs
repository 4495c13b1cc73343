//! The opt-in health routes (issue 21, item 4): liveness and readiness answer without
//! credentials, everything else still asks for them; bad paths fail the build.
//! Readiness while the database is down: `store_faults.rs`, with PostgreSQL behind a
//! proxy.

use http::{Method, StatusCode};
use osb::auth::BasicAuth;
use osb::store::{MemoryStore, SqlStore};
use osb::testing::TestClient;
use osb::{BuildError, Builder};
use osb_tests::{OnePlan, unique};

fn builder() -> Builder {
    Builder::new()
        .broker(OnePlan)
        .auth(BasicAuth::new("admin", "secret"))
}

async fn get(client: &TestClient, path: &str) -> (StatusCode, String, Option<String>) {
    let response = client.request(Method::GET, path).send().await;
    (
        response.status,
        response.text(),
        response.header("content-type").map(str::to_owned),
    )
}

#[tokio::test]
async fn health_routes_answer_without_credentials_and_nothing_else_does() {
    let router = builder()
        .liveness_route("/healthz")
        .readiness_route("/readyz")
        .build()
        .unwrap();
    let client = TestClient::new(router);
    let up = (
        StatusCode::OK,
        r#"{"status":"UP"}"#.to_owned(),
        Some("application/json".to_owned()),
    );
    assert_eq!(get(&client, "/healthz").await, up);
    assert_eq!(get(&client, "/readyz").await, up);
    let head = client.request(Method::HEAD, "/healthz").send().await;
    assert_eq!(head.status, StatusCode::OK);
    // The OSB routes and unknown paths still ask for credentials.
    assert_eq!(client.catalog().await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(&client, "/healthz/more").await.0,
        StatusCode::UNAUTHORIZED
    );
    let with_credentials = client.clone().basic_auth("admin", "secret");
    assert_eq!(with_credentials.catalog().await.status, StatusCode::OK);
}

#[tokio::test]
async fn without_health_routes_their_paths_are_unknown() {
    let client = TestClient::new(builder().build().unwrap()).basic_auth("admin", "secret");
    let (status, body, _) = get(&client, "/healthz").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains(r#""description""#), "{body}");
}

#[tokio::test]
async fn readiness_asks_the_store() {
    let memory = builder()
        .store(MemoryStore::new())
        .readiness_route("/ready")
        .build()
        .unwrap();
    let (status, body, _) = get(&TestClient::new(memory), "/ready").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"status":"UP"}"#)
    );

    let dir = std::env::temp_dir().join(unique("osb-health"));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("state.db").display());
    let sqlite = builder()
        .store(SqlStore::open(&url).await.unwrap())
        .readiness_route("/ready")
        .build()
        .unwrap();
    let (status, body, _) = get(&TestClient::new(sqlite), "/ready").await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, r#"{"status":"UP"}"#)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn paths_that_cannot_be_health_routes_fail_the_build() {
    let cases = [
        (
            builder().liveness_route("/v2/health"),
            r#"invalid liveness route "/v2/health": `/v2` belongs to the OSB API"#,
        ),
        (
            builder().readiness_route("ready"),
            r#"invalid readiness route "ready": it must begin with `/`"#,
        ),
        (
            builder().liveness_route("/health/{probe}"),
            r#"invalid liveness route "/health/{probe}": it must be a plain path, without `{`, `}`, `*`, `?`, `#` or `//`"#,
        ),
        (
            builder()
                .liveness_route("/health")
                .readiness_route("/health"),
            r#"invalid readiness route "/health": it is the liveness route's path too"#,
        ),
    ];
    for (builder, message) in cases {
        let err = builder.build().err().unwrap();
        assert!(matches!(err, BuildError::OperatorRoute { .. }), "{err:?}");
        assert_eq!(err.to_string(), message);
    }
}
