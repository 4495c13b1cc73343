mod common;

use common::*;
use http::Method;
use serde_json::json;

#[tokio::test]
async fn smoke() {
    let (app, broker) = app();
    let r = req(Method::GET, "/v2/catalog").send(&app).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["services"][0]["id"], DB);

    let r = req(Method::PUT, "/v2/service_instances/i-1")
        .json(provision_body(SMALL))
        .send(&app)
        .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    assert_eq!(r.json(), json!({"dashboard_url": "https://dash/i-1"}));
    assert!(matches!(broker.last(), Some(Call::Provision(_))));

    let r = req(Method::PUT, "/v2/service_instances/i-1")
        .json(json!({"service_id": DB, "plan_id": SMALL, "organization_guid": "o", "space_guid": "s", "parameters": {"size_mb": 5000}}))
        .send(&app).await;
    let body = r.assert_error(400);
    assert_eq!(
        body,
        json!({"description": "parameters.size_mb: 5000 is greater than the maximum of 1024"})
    );

    let r = req(Method::GET, "/v2/catalog")
        .without("authorization")
        .send(&app)
        .await;
    r.assert_error(401);
    assert!(r.header("www-authenticate").is_some());

    let r = req(Method::GET, "/v2/catalog")
        .without("x-broker-api-version")
        .header("x-broker-api-request-identity", "rid-1")
        .send(&app)
        .await;
    r.assert_error(412);
    assert_eq!(r.header("x-broker-api-request-identity"), Some("rid-1"));

    let r = req(
        Method::DELETE,
        "/v2/service_instances/missing?service_id=svc-db&plan_id=plan-small",
    )
    .send(&app)
    .await;
    r.assert_error(410);
    let r = req(Method::GET, "/v2/service_instances/missing")
        .send(&app)
        .await;
    r.assert_error(404);
    let r = req(Method::GET, "/v2/service_instances/panic")
        .header("x-broker-api-request-identity", "rid-2")
        .send(&app)
        .await;
    r.assert_error(500);
    assert_eq!(r.header("x-broker-api-request-identity"), Some("rid-2"));
    let r = req(Method::POST, "/v2/catalog").send(&app).await;
    r.assert_error(405);
    println!("{:?}", r.headers);
    let r = req(Method::GET, "/nope").send(&app).await;
    r.assert_error(404);
    let r = req(
        Method::PUT,
        "/v2/service_instances/i-2?accepts_incomplete=true",
    )
    .json(provision_body(LARGE))
    .send(&app)
    .await;
    assert_eq!(r.status, 202);
    assert_eq!(r.json(), json!({"operation": "op-1"}));
    let r = req(Method::PUT, "/v2/service_instances/i-2")
        .json(provision_body(LARGE))
        .send(&app)
        .await;
    assert_eq!(r.assert_error(422)["error"], "AsyncRequired");
    let r = req(
        Method::GET,
        "/v2/service_instances/i-2/last_operation?operation=op-1",
    )
    .send(&app)
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("retry-after"), Some("3"));
    assert_eq!(
        r.json(),
        json!({"state": "in progress", "description": "40%"})
    );
    let r = req(
        Method::PUT,
        "/v2/service_instances/i-1/service_bindings/b-1",
    )
    .json(bind_body(SMALL))
    .send(&app)
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    let r = req(
        Method::GET,
        "/v2/service_instances/i-1/service_bindings/b-1",
    )
    .send(&app)
    .await;
    assert_eq!(
        r.json(),
        json!({"credentials": {"uri": "db://x"}, "parameters": {"role": "reader"}})
    );
}
