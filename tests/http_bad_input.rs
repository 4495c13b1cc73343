//! Every kind of bad request: authentication, headers, bodies, routes, query
//! parameters, ids and parameters, and handler results that break the
//! specification. In-process and over TCP.

mod common;

use std::collections::BTreeSet;

use common::*;
use http::Method;
use serde_json::{Value, json};

const CHALLENGE: &str = "Basic realm=\"Open Service Broker API\", charset=\"UTF-8\"";
const NO_ROUTE: &str = "No endpoint of the Open Service Broker API has this path.";
const NO_METHOD: &str = "This endpoint does not support this HTTP method.";

fn bad(description: &str) -> Value {
    json!({"description": description})
}

fn version_problem(problem: &str) -> Value {
    json!({"description": format!(
        "{problem}; this broker requires X-Broker-API-Version 2.13 or a later 2.x version (it implements 2.17)"
    )})
}

/// One request of each of the ten routes, with a valid body where there is one.
fn every_route() -> Vec<Call2> {
    vec![
        req(Method::GET, "/v2/catalog"),
        req(Method::PUT, "/v2/service_instances/i-1").json(provision_body(SMALL)),
        req(Method::GET, "/v2/service_instances/i-1"),
        req(Method::PATCH, "/v2/service_instances/i-1").json(json!({"service_id": DB})),
        req(
            Method::DELETE,
            &format!("/v2/service_instances/i-1?{DB_SMALL}"),
        ),
        req(Method::GET, "/v2/service_instances/i-1/last_operation"),
        req(
            Method::PUT,
            "/v2/service_instances/i-1/service_bindings/b-1",
        )
        .json(bind_body(SMALL)),
        req(
            Method::GET,
            "/v2/service_instances/i-1/service_bindings/b-1",
        ),
        req(
            Method::DELETE,
            &format!("/v2/service_instances/i-1/service_bindings/b-1?{DB_SMALL}"),
        ),
        req(
            Method::GET,
            "/v2/service_instances/i-1/service_bindings/b-1/last_operation",
        ),
    ]
}

fn provision_without(field: &str) -> Value {
    let mut body = provision_body(SMALL);
    body.as_object_mut().unwrap().remove(field);
    body
}

fn provision_with(field: &str, value: Value) -> Value {
    let mut body = provision_body(SMALL);
    body[field] = value;
    body
}

fn bind_with(plan: &str, field: &str, value: Value) -> Value {
    let mut body = bind_body(plan);
    body[field] = value;
    body
}

async fn provision(to: &Target, body: Value) -> Reply {
    req(Method::PUT, "/v2/service_instances/i-1")
        .json(body)
        .send(to)
        .await
}

async fn update(to: &Target, body: Value) -> Reply {
    req(Method::PATCH, "/v2/service_instances/i-1")
        .json(body)
        .send(to)
        .await
}

async fn bind(to: &Target, body: Value) -> Reply {
    req(
        Method::PUT,
        "/v2/service_instances/i-1/service_bindings/b-1",
    )
    .json(body)
    .send(to)
    .await
}

#[tokio::test]
async fn failed_authentication_is_401_with_a_challenge() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let cases = [
            (
                None,
                "Authentication is required: send HTTP basic credentials.",
            ),
            (
                Some(basic(USER, "wrong")),
                "The username or password is wrong.",
            ),
            (
                Some(basic("root", PASSWORD)),
                "The username or password is wrong.",
            ),
            (
                Some(String::from("Bearer abc")),
                "The Authorization header must use the Basic scheme.",
            ),
            (
                Some(String::from("Digest username=\"admin\"")),
                "The Authorization header must use the Basic scheme.",
            ),
            (
                Some(String::from("Basic !!!")),
                "The Authorization header is not valid Base64.",
            ),
        ];
        for (authorization, description) in cases {
            let call = req(Method::GET, "/v2/catalog");
            let call = match &authorization {
                Some(value) => call.header("authorization", value),
                None => call.without("authorization"),
            };
            let r = call.send(to).await;
            r.assert_json(401, bad(description));
            assert_eq!(
                r.header("www-authenticate"),
                Some(CHALLENGE),
                "{authorization:?}"
            );
        }
        // The scheme name is case-insensitive.
        let lower = basic(USER, PASSWORD).replacen("Basic", "basic", 1);
        let r = req(Method::GET, "/v2/catalog")
            .header("authorization", &lower)
            .send(to)
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("www-authenticate"), None);
    }
    assert!(broker.calls().is_empty());
}

#[tokio::test]
async fn every_route_requires_authentication() {
    let (app, broker) = app();
    let mut calls = every_route();
    calls.push(req(Method::GET, "/v2/nope"));
    calls.push(req(Method::POST, "/v2/catalog"));
    for to in &targets(app).await {
        println!("{to}");
        for call in calls.clone() {
            let what = format!("{} {}", call.method, call.uri);
            let r = call.without("authorization").send(to).await;
            assert_eq!(r.status, 401, "{what}: {}", r.text());
            r.assert_json(
                401,
                bad("Authentication is required: send HTTP basic credentials."),
            );
            assert_eq!(r.header("www-authenticate"), Some(CHALLENGE), "{what}");
        }
    }
    assert!(broker.calls().is_empty());
}

/// osb-checker's 401 probes send no version header and no valid body.
#[tokio::test]
async fn authentication_comes_before_version_and_body() {
    let (app, _) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = req(Method::PUT, "/v2/service_instances/i-1")
            .without("authorization")
            .without("x-broker-api-version")
            .header("content-type", "text/plain")
            .raw(b"{not json")
            .send(to)
            .await;
        r.assert_error(401);
        // With credentials, the version comes before the body.
        let r = req(Method::PUT, "/v2/service_instances/i-1")
            .without("x-broker-api-version")
            .header("content-type", "text/plain")
            .raw(b"{not json")
            .send(to)
            .await;
        r.assert_error(412);
        // And the identity header before the body.
        let r = req(Method::PUT, "/v2/service_instances/i-1")
            .header("x-broker-api-originating-identity", "cloudfoundry")
            .raw(b"{not json")
            .send(to)
            .await;
        assert!(
            r.assert_error(400)["description"]
                .as_str()
                .unwrap()
                .starts_with("invalid X-Broker-API-Originating-Identity header")
        );
    }
}

#[tokio::test]
async fn unusable_version_headers_are_412() {
    let (app, broker) = app();
    let missing = "the X-Broker-API-Version header is missing";
    for to in &targets(app).await {
        println!("{to}");
        for call in every_route() {
            let r = call.without("x-broker-api-version").send(to).await;
            r.assert_json(412, version_problem(missing));
        }
        let cases = [
            ("", missing.to_owned()),
            (
                "abc",
                "X-Broker-API-Version `abc` is not a version of the form MAJOR.MINOR".to_owned(),
            ),
            (
                "2",
                "X-Broker-API-Version `2` is not a version of the form MAJOR.MINOR".to_owned(),
            ),
            (
                "2.17.1",
                "X-Broker-API-Version `2.17.1` is not a version of the form MAJOR.MINOR".to_owned(),
            ),
            (
                "v2.17",
                "X-Broker-API-Version `v2.17` is not a version of the form MAJOR.MINOR".to_owned(),
            ),
            (
                "2.12",
                "X-Broker-API-Version 2.12 is not supported".to_owned(),
            ),
            (
                "1.17",
                "X-Broker-API-Version 1.17 is not supported".to_owned(),
            ),
            (
                "3.0",
                "X-Broker-API-Version 3.0 is not supported".to_owned(),
            ),
            (
                "3.17",
                "X-Broker-API-Version 3.17 is not supported".to_owned(),
            ),
        ];
        for (version, problem) in cases {
            let r = req(Method::PUT, "/v2/service_instances/i-1")
                .header("x-broker-api-version", version)
                .json(provision_body(SMALL))
                .send(to)
                .await;
            r.assert_json(412, version_problem(&problem));
        }
    }
    assert!(broker.calls().is_empty());
}

#[tokio::test]
async fn supported_versions_reach_the_handler() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        for (header, version) in [
            ("2.13", osb::api::ApiVersion::V2_13),
            ("2.16", osb::api::ApiVersion::V2_16),
            ("2.17", osb::api::ApiVersion::V2_17),
            // Minor versions are additive: a later 2.x is accepted.
            ("2.18", osb::api::ApiVersion::new(2, 18)),
        ] {
            let r = req(Method::GET, "/v2/service_instances/i-1")
                .header("x-broker-api-version", header)
                .send(to)
                .await;
            assert_eq!(r.status, 200, "{header}: {}", r.text());
            assert_eq!(broker.last_fetch_instance().meta.api_version, version);
        }
    }
}

#[tokio::test]
async fn missing_version_can_be_answered_400() {
    let (app, _) = app_with(|b| b.missing_version(osb::api::MissingVersion::BadRequest));
    let missing = version_problem("the X-Broker-API-Version header is missing");
    for to in &targets(app).await {
        println!("{to}");
        let r = req(Method::GET, "/v2/catalog")
            .without("x-broker-api-version")
            .send(to)
            .await;
        r.assert_json(400, missing.clone());
        let r = req(Method::GET, "/v2/catalog")
            .header("x-broker-api-version", "")
            .send(to)
            .await;
        r.assert_json(400, missing.clone());
        // Only the missing header changes: an unsupported one stays 412.
        let r = req(Method::GET, "/v2/catalog")
            .header("x-broker-api-version", "2.12")
            .send(to)
            .await;
        r.assert_json(
            412,
            version_problem("X-Broker-API-Version 2.12 is not supported"),
        );
    }
}

#[tokio::test]
async fn min_api_version_raises_the_floor() {
    let (app, _) = app_with(|b| b.min_api_version(osb::api::ApiVersion::V2_15));
    for to in &targets(app).await {
        println!("{to}");
        let r = req(Method::GET, "/v2/catalog")
            .header("x-broker-api-version", "2.14")
            .send(to)
            .await;
        r.assert_json(
            412,
            bad(
                "X-Broker-API-Version 2.14 is not supported; this broker requires X-Broker-API-Version 2.15 or a later 2.x version (it implements 2.17)",
            ),
        );
        let r = req(Method::GET, "/v2/catalog")
            .header("x-broker-api-version", "2.15")
            .send(to)
            .await;
        assert_eq!(r.status, 200);
    }
}

#[tokio::test]
async fn max_api_version_caps_the_range() {
    let (app, _) = app_with(|b| b.max_api_version(osb::api::ApiVersion::V2_15));
    for to in &targets(app).await {
        println!("{to}");
        let r = req(Method::GET, "/v2/catalog")
            .header("x-broker-api-version", "2.16")
            .send(to)
            .await;
        r.assert_json(
            412,
            bad(
                "X-Broker-API-Version 2.16 is not supported; this broker requires X-Broker-API-Version 2.13 to 2.15 (it implements 2.17)",
            ),
        );
        let r = req(Method::GET, "/v2/catalog")
            .header("x-broker-api-version", "2.15")
            .send(to)
            .await;
        assert_eq!(r.status, 200);
    }
}

#[tokio::test]
async fn malformed_originating_identity_is_400() {
    let (app, broker) = app();
    let invalid = |why: &str| {
        bad(&format!(
            "invalid X-Broker-API-Originating-Identity header: {why}"
        ))
    };
    for to in &targets(app).await {
        println!("{to}");
        let cases = [
            (
                "cloudfoundry",
                "it must be `Platform value`, separated by a space",
            ),
            ("cloudfoundry !!!", "the value must be Base64 encoded"),
            // `[1]` and `"not json"`: not JSON objects.
            (
                "cloudfoundry WzFd",
                "the decoded value must be a serialized JSON object",
            ),
            (
                "kubernetes bm90IGpzb24=",
                "the decoded value must be a serialized JSON object",
            ),
        ];
        for (header, why) in cases {
            for call in every_route() {
                let r = call
                    .header("x-broker-api-originating-identity", header)
                    .send(to)
                    .await;
                r.assert_json(400, invalid(why));
            }
        }
    }
    assert!(broker.calls().is_empty());
}

#[tokio::test]
async fn request_identity_is_echoed_on_every_response() {
    let (app, _) = app_with(|b| b.body_limit(512));
    for to in &targets(app).await {
        println!("{to}");
        let etag = req(Method::GET, "/v2/catalog")
            .send(to)
            .await
            .header("etag")
            .unwrap()
            .to_owned();
        let cases = [
            (200, req(Method::GET, "/v2/catalog")),
            (
                201,
                req(Method::PUT, "/v2/service_instances/i-1").json(provision_body(SMALL)),
            ),
            (
                202,
                req(
                    Method::PUT,
                    "/v2/service_instances/i-1?accepts_incomplete=true",
                )
                .json(provision_body(LARGE)),
            ),
            (
                304,
                req(Method::GET, "/v2/catalog").header("if-none-match", &etag),
            ),
            (
                400,
                req(Method::PUT, "/v2/service_instances/i-1").raw(b"[]"),
            ),
            (
                401,
                req(Method::GET, "/v2/catalog").without("authorization"),
            ),
            (404, req(Method::GET, "/v2/nope")),
            (404, req(Method::GET, "/v2/service_instances/missing")),
            (405, req(Method::POST, "/v2/catalog")),
            (
                410,
                req(
                    Method::DELETE,
                    &format!("/v2/service_instances/missing?{DB_SMALL}"),
                ),
            ),
            (
                412,
                req(Method::GET, "/v2/catalog").without("x-broker-api-version"),
            ),
            (
                413,
                req(Method::PUT, "/v2/service_instances/i-1")
                    .json(provision_with("pad", json!("x".repeat(1000)))),
            ),
            (
                422,
                req(Method::PUT, "/v2/service_instances/i-1").json(provision_body(LARGE)),
            ),
            (500, req(Method::GET, "/v2/service_instances/boom")),
            (500, req(Method::GET, "/v2/service_instances/panic")),
        ];
        for (n, (status, call)) in cases.into_iter().enumerate() {
            let identity = format!("rid-{n}-{status}");
            let what = format!("{} {}", call.method, call.uri);
            let r = call
                .header("x-broker-api-request-identity", &identity)
                .send(to)
                .await;
            assert_eq!(r.status.as_u16(), status, "{what}: {}", r.text());
            assert_eq!(
                r.header("x-broker-api-request-identity"),
                Some(identity.as_str()),
                "{what}"
            );
        }
        // Nothing is echoed when nothing was sent.
        let r = req(Method::GET, "/v2/catalog").send(to).await;
        assert_eq!(r.header("x-broker-api-request-identity"), None);
    }
}

#[tokio::test]
async fn malformed_bodies_are_400() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let cases: [(&[u8], &str); 8] = [
            (
                b"{\"service_id\": \"a\"",
                "invalid request body: EOF while parsing an object",
            ),
            (b"{not json}", "invalid request body: key must be a string"),
            (b"[]", "the request body must be a JSON object"),
            (b"\"text\"", "the request body must be a JSON object"),
            (b"42", "the request body must be a JSON object"),
            (b"null", "the request body must be a JSON object"),
            (b"", "the request body is empty; it must be a JSON object"),
            (
                b"  \n ",
                "the request body is empty; it must be a JSON object",
            ),
        ];
        for (body, description) in cases {
            let as_json = |call: Call2| call.header("content-type", "application/json").raw(body);
            let r = as_json(req(Method::PUT, "/v2/service_instances/i-1"))
                .send(to)
                .await;
            r.assert_json(400, bad(description));
            let r = as_json(req(Method::PATCH, "/v2/service_instances/i-1"))
                .send(to)
                .await;
            r.assert_json(400, bad(description));
            let r = as_json(req(
                Method::PUT,
                "/v2/service_instances/i-1/service_bindings/b-1",
            ))
            .send(to)
            .await;
            r.assert_json(400, bad(description));
        }
        // Trailing garbage after the object (the description could be more precise).
        let r = req(Method::PUT, "/v2/service_instances/i-1")
            .raw(b"{\"service_id\": \"svc-db\"} x")
            .send(to)
            .await;
        r.assert_json(400, bad("invalid request body: trailing characters"));
    }
    assert!(broker.calls().is_empty());
}

#[tokio::test]
async fn missing_and_empty_fields_are_400() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        for field in ["service_id", "plan_id", "organization_guid", "space_guid"] {
            let r = provision(to, provision_without(field)).await;
            r.assert_json(400, bad(&format!("{field} is required")));
            let r = provision(to, provision_with(field, json!(""))).await;
            r.assert_json(400, bad(&format!("{field} must be a non-empty string")));
            // null is absent.
            let r = provision(to, provision_with(field, Value::Null)).await;
            r.assert_json(400, bad(&format!("{field} is required")));
        }

        let r = update(to, json!({"plan_id": SMALL})).await;
        r.assert_json(400, bad("service_id is required"));
        let r = update(to, json!({"service_id": ""})).await;
        r.assert_json(400, bad("service_id must be a non-empty string"));
        let r = update(to, json!({"service_id": DB, "plan_id": ""})).await;
        r.assert_json(400, bad("plan_id must be a non-empty string when present"));

        for field in ["service_id", "plan_id"] {
            let mut body = bind_body(SMALL);
            body.as_object_mut().unwrap().remove(field);
            bind(to, body)
                .await
                .assert_json(400, bad(&format!("{field} is required")));
            bind(to, bind_with(SMALL, field, json!("")))
                .await
                .assert_json(400, bad(&format!("{field} must be a non-empty string")));
        }
    }
    assert!(broker.calls().is_empty());
}

#[tokio::test]
async fn wrong_field_types_name_the_field() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let cases = [
            (
                "service_id",
                json!(7),
                "service_id: invalid type: integer `7`, expected a string",
            ),
            (
                "plan_id",
                json!(true),
                "plan_id: invalid type: boolean `true`, expected a string",
            ),
            (
                "organization_guid",
                json!({}),
                "organization_guid: invalid type: map, expected a string",
            ),
            (
                "space_guid",
                json!(["s"]),
                "space_guid: invalid type: sequence, expected a string",
            ),
            (
                "context",
                json!([1]),
                "context: `context` must be a JSON object",
            ),
            (
                "context",
                json!("cloudfoundry"),
                "context: `context` must be a JSON object",
            ),
            (
                "maintenance_info",
                json!({"version": 1}),
                "maintenance_info.version: invalid type: integer `1`, expected a string",
            ),
        ];
        for (field, value, detail) in cases {
            let r = provision(to, provision_with(field, value)).await;
            r.assert_json(400, bad(&format!("invalid request body: {detail}")));
        }

        let r = update(to, json!({"service_id": DB, "plan_id": 5})).await;
        r.assert_json(
            400,
            bad("invalid request body: plan_id: invalid type: integer `5`, expected a string"),
        );
        let r = update(
            to,
            json!({"service_id": DB, "previous_values": {"plan_id": 5}}),
        )
        .await;
        r.assert_json(
            400,
            bad(
                "invalid request body: previous_values.plan_id: invalid type: integer `5`, expected a string",
            ),
        );

        let r = bind(to, bind_with(SMALL, "app_guid", json!(5))).await;
        r.assert_json(
            400,
            bad("invalid request body: app_guid: invalid type: integer `5`, expected a string"),
        );
        let r = bind(
            to,
            bind_with(SMALL, "bind_resource", json!({"app_guid": false})),
        )
        .await;
        r.assert_json(
            400,
            bad(
                "invalid request body: bind_resource.app_guid: invalid type: boolean `false`, expected a string",
            ),
        );
        let r = bind(to, bind_with(SMALL, "predecessor_binding_id", json!(1))).await;
        r.assert_json(
            400,
            bad(
                "invalid request body: predecessor_binding_id: invalid type: integer `1`, expected a string",
            ),
        );
    }
    assert!(broker.calls().is_empty());
}

/// serde's derived struct deserializers also take a JSON array, field by field: an
/// array where the specification defines an object is a malformed body all the same.
#[tokio::test]

async fn objects_sent_as_arrays_are_400() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        broker.clear();
        let cases = [
            (
                Method::PUT,
                provision_with("maintenance_info", json!(["1.0.0"])),
                "invalid request body: maintenance_info: ",
            ),
            (
                Method::PUT,
                provision_with("maintenance_info", json!([])),
                "invalid request body: maintenance_info: ",
            ),
            (
                Method::PATCH,
                json!({"service_id": DB, "previous_values": [SMALL]}),
                "invalid request body: previous_values: ",
            ),
            (
                Method::PATCH,
                json!({"service_id": DB, "previous_values": {"maintenance_info": ["1.0.0"]}}),
                "invalid request body: previous_values.maintenance_info: ",
            ),
        ];
        for (method, body, prefix) in cases {
            let r = req(method, "/v2/service_instances/i-1")
                .json(body.clone())
                .send(to)
                .await;
            let error = r.assert_error(400);
            let description = error["description"].as_str().unwrap();
            assert!(description.starts_with(prefix), "{body}: {description}");
        }
        assert!(broker.calls().is_empty(), "the handler is not called");
    }
}

#[tokio::test]
async fn ids_outside_the_catalog_are_400() {
    let (app, broker) = app();
    let unknown_service =
        bad("service_id `nope` is not the id of a service offering in the catalog");
    let unknown_plan = bad("plan_id `nope` is not the id of a plan in the catalog");
    let foreign_plan = bad("plan `plan-basic` does not belong to service offering `svc-db`");
    for to in &targets(app).await {
        println!("{to}");
        let r = provision(to, provision_with("service_id", json!("nope"))).await;
        r.assert_json(400, unknown_service.clone());
        let r = provision(to, provision_with("plan_id", json!("nope"))).await;
        r.assert_json(400, unknown_plan.clone());
        let r = provision(to, provision_with("plan_id", json!(BASIC))).await;
        r.assert_json(400, foreign_plan.clone());

        let r = update(to, json!({"service_id": "nope"})).await;
        r.assert_json(400, unknown_service.clone());
        let r = update(to, json!({"service_id": DB, "plan_id": "nope"})).await;
        r.assert_json(400, unknown_plan.clone());
        let r = update(to, json!({"service_id": DB, "plan_id": BASIC})).await;
        r.assert_json(400, foreign_plan.clone());

        let r = bind(to, bind_with(SMALL, "service_id", json!("nope"))).await;
        r.assert_json(400, unknown_service.clone());
        let r = bind(to, bind_with(SMALL, "plan_id", json!("nope"))).await;
        r.assert_json(400, unknown_plan.clone());
        let r = bind(to, bind_with(SMALL, "plan_id", json!(BASIC))).await;
        r.assert_json(400, foreign_plan.clone());

        for base in [
            "/v2/service_instances/i-1",
            "/v2/service_instances/i-1/service_bindings/b-1",
        ] {
            let delete = |query: &str| req(Method::DELETE, &format!("{base}?{query}"));
            let r = delete("service_id=nope&plan_id=plan-small").send(to).await;
            r.assert_json(400, unknown_service.clone());
            let r = delete("service_id=svc-db&plan_id=nope").send(to).await;
            r.assert_json(400, unknown_plan.clone());
            let r = delete("service_id=svc-db&plan_id=plan-basic")
                .send(to)
                .await;
            r.assert_json(400, foreign_plan.clone());
        }
    }
    assert!(broker.calls().is_empty());
}

#[tokio::test]
async fn bodies_must_be_declared_as_json() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let body = serde_json::to_vec(&provision_body(SMALL)).unwrap();
        for (content_type, status) in [
            ("text/plain", 400),
            ("application/x-www-form-urlencoded", 400),
            ("application/xml", 400),
            ("application/json", 201),
            ("Application/JSON; charset=utf-8", 201),
            ("application/vnd.broker+json", 201),
        ] {
            let r = req(Method::PUT, "/v2/service_instances/i-1")
                .header("content-type", content_type)
                .raw(&body)
                .send(to)
                .await;
            if status == 400 {
                r.assert_json(
                    400,
                    bad(&format!(
                        "Content-Type must be application/json, not `{content_type}`"
                    )),
                );
            } else {
                assert_eq!(r.status, 201, "{content_type}: {}", r.text());
            }
        }
        let r = req(Method::PATCH, "/v2/service_instances/i-1")
            .header("content-type", "text/plain")
            .raw(br#"{"service_id": "svc-db"}"#)
            .send(to)
            .await;
        r.assert_json(
            400,
            bad("Content-Type must be application/json, not `text/plain`"),
        );
        let r = req(
            Method::PUT,
            "/v2/service_instances/i-1/service_bindings/b-1",
        )
        .header("content-type", "text/plain")
        .raw(&serde_json::to_vec(&bind_body(SMALL)).unwrap())
        .send(to)
        .await;
        r.assert_json(
            400,
            bad("Content-Type must be application/json, not `text/plain`"),
        );

        // A broker MAY process a body sent without a Content-Type.
        broker.clear();
        let r = req(Method::PUT, "/v2/service_instances/i-2")
            .raw(&body)
            .send(to)
            .await;
        r.assert_json(201, json!({"dashboard_url": "https://dash/i-2"}));
        let r = req(Method::PATCH, "/v2/service_instances/i-2")
            .raw(br#"{"service_id": "svc-db"}"#)
            .send(to)
            .await;
        r.assert_json(200, json!({}));
        let r = req(
            Method::PUT,
            "/v2/service_instances/i-2/service_bindings/b-2",
        )
        .raw(&serde_json::to_vec(&bind_body(SMALL)).unwrap())
        .send(to)
        .await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(broker.calls().len(), 3);
    }
}

#[tokio::test]
async fn bodies_over_the_limit_are_413() {
    let (app, broker) = app_with(|b| b.body_limit(64));
    let too_large = bad("the request body is larger than 64 bytes");
    // `{"x":"aaa…"}` of exactly `len` bytes.
    let body_of = |len: usize| format!("{{\"x\":\"{}\"}}", "a".repeat(len - 8)).into_bytes();
    assert_eq!(body_of(64).len(), 64);
    for to in &targets(app).await {
        println!("{to}");
        for uri in [
            "/v2/service_instances/i-1",
            "/v2/service_instances/i-1/service_bindings/b-1",
        ] {
            let r = req(Method::PUT, uri)
                .json(provision_body(SMALL))
                .send(to)
                .await;
            r.assert_json(413, too_large.clone());
            // At the limit the body is read (and then found wanting).
            let r = req(Method::PUT, uri).raw(&body_of(64)).send(to).await;
            r.assert_json(400, bad("service_id is required"));
            let r = req(Method::PUT, uri).raw(&body_of(65)).send(to).await;
            r.assert_json(413, too_large.clone());
        }
        let r = req(Method::PATCH, "/v2/service_instances/i-1")
            .raw(&body_of(65))
            .send(to)
            .await;
        r.assert_json(413, too_large.clone());
    }
    // In-process the body has no Content-Length unless the request declares one:
    // both the declared and the streamed size are checked.
    let (app, _) = app_with(|b| b.body_limit(64));
    let r = req(Method::PUT, "/v2/service_instances/i-1")
        .header("content-length", "65")
        .raw(&body_of(65))
        .send(&app)
        .await;
    r.assert_json(413, too_large.clone());
    assert!(broker.calls().is_empty());
}

#[tokio::test]
async fn unknown_routes_are_404_json() {
    let (app, _) = app();
    for to in &targets(app).await {
        println!("{to}");
        for (method, uri) in [
            (Method::GET, "/"),
            (Method::GET, "/v2"),
            (Method::GET, "/v2/nope"),
            (Method::GET, "/v3/catalog"),
            (Method::GET, "/v2/catalog/extra"),
            (Method::GET, "/v2/service_instances"),
            (Method::PUT, "/v2/service_instances/"),
            (Method::GET, "/v2/service_instances/i-1/service_bindings"),
            (Method::GET, "/v2/service_instances/i-1/last_operation/x"),
            (
                Method::GET,
                "/v2/service_instances/i-1/service_bindings/b-1/last_operation/x",
            ),
            (Method::POST, "/nope"),
        ] {
            let r = req(method.clone(), uri).send(to).await;
            assert_eq!(r.status, 404, "{method} {uri}: {}", r.text());
            r.assert_json(404, bad(NO_ROUTE));
        }
    }
}

#[tokio::test]
async fn wrong_methods_are_405_json_with_allow() {
    let (app, _) = app();
    let methods =
        |list: &str| -> BTreeSet<String> { list.split(',').map(|m| m.trim().to_owned()).collect() };
    let get_only = methods("GET,HEAD");
    let instance = methods("GET,HEAD,PUT,PATCH,DELETE");
    let binding = methods("GET,HEAD,PUT,DELETE");
    for to in &targets(app).await {
        println!("{to}");
        for (method, uri, allowed) in [
            (Method::POST, "/v2/catalog", &get_only),
            (Method::PUT, "/v2/catalog", &get_only),
            (Method::DELETE, "/v2/catalog", &get_only),
            (Method::POST, "/v2/service_instances/i-1", &instance),
            (
                Method::PATCH,
                "/v2/service_instances/i-1/last_operation",
                &get_only,
            ),
            (
                Method::POST,
                "/v2/service_instances/i-1/service_bindings/b-1",
                &binding,
            ),
            (
                Method::PATCH,
                "/v2/service_instances/i-1/service_bindings/b-1",
                &binding,
            ),
            (
                Method::DELETE,
                "/v2/service_instances/i-1/service_bindings/b-1/last_operation",
                &get_only,
            ),
        ] {
            let r = req(method.clone(), uri).send(to).await;
            assert_eq!(r.status, 405, "{method} {uri}: {}", r.text());
            r.assert_json(405, bad(NO_METHOD));
            let allow = r.header("allow").unwrap_or_default();
            assert_eq!(&methods(allow), allowed, "{method} {uri}: Allow {allow:?}");
        }
    }
}

#[tokio::test]
async fn a_panicking_handler_is_a_500_and_serving_goes_on() {
    let (app, _) = app();
    for to in &targets(app).await {
        println!("{to}");
        for _ in 0..2 {
            let r = req(Method::GET, "/v2/service_instances/panic")
                .send(to)
                .await;
            r.assert_json(500, bad(INTERNAL));
            assert!(!r.text().contains("secret"), "{}", r.text());
            let r = req(Method::GET, "/v2/catalog").send(to).await;
            assert_eq!(r.status, 200);
            let r = req(Method::GET, "/v2/service_instances/i-1").send(to).await;
            assert_eq!(r.status, 200);
        }
    }
}

#[tokio::test]
async fn deletes_require_service_and_plan_ids() {
    let (app, broker) = app();
    let no_service = bad("the query parameter service_id is required and must be non-empty");
    let no_plan = bad("the query parameter plan_id is required and must be non-empty");
    for to in &targets(app).await {
        println!("{to}");
        for base in [
            "/v2/service_instances/i-1",
            "/v2/service_instances/i-1/service_bindings/b-1",
        ] {
            for (query, expected) in [
                ("", &no_service),
                ("?plan_id=plan-small", &no_service),
                ("?service_id=&plan_id=plan-small", &no_service),
                ("?service_id=svc-db", &no_plan),
                ("?service_id=svc-db&plan_id=", &no_plan),
                ("?accepts_incomplete=true", &no_service),
            ] {
                let r = req(Method::DELETE, &format!("{base}{query}"))
                    .send(to)
                    .await;
                r.assert_json(400, expected.clone());
            }
        }
    }
    assert!(broker.calls().is_empty());
}

#[tokio::test]
async fn accepts_incomplete_must_be_a_boolean() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        broker.clear();
        for value in ["maybe", "1", "yes"] {
            let expected = bad(&format!(
                "accepts_incomplete must be true or false, not `{value}`"
            ));
            let q = format!("accepts_incomplete={value}");
            let calls = [
                req(Method::PUT, &format!("/v2/service_instances/i-1?{q}"))
                    .json(provision_body(SMALL)),
                req(Method::PATCH, &format!("/v2/service_instances/i-1?{q}"))
                    .json(json!({"service_id": DB})),
                req(
                    Method::DELETE,
                    &format!("/v2/service_instances/i-1?{DB_SMALL}&{q}"),
                ),
                req(
                    Method::PUT,
                    &format!("/v2/service_instances/i-1/service_bindings/b-1?{q}"),
                )
                .json(bind_body(SMALL)),
                req(
                    Method::DELETE,
                    &format!("/v2/service_instances/i-1/service_bindings/b-1?{DB_SMALL}&{q}"),
                ),
            ];
            for call in calls {
                call.send(to).await.assert_json(400, expected.clone());
            }
        }
        assert!(broker.calls().is_empty());
        // Case does not matter.
        let r = req(
            Method::PUT,
            "/v2/service_instances/i-1?accepts_incomplete=TRUE",
        )
        .json(provision_body(LARGE))
        .send(to)
        .await;
        r.assert_json(202, json!({"operation": "op-1"}));
        assert!(broker.last_provision().accepts_incomplete);
    }
}

#[tokio::test]
async fn unknown_query_parameters_are_ignored() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = req(
            Method::PUT,
            "/v2/service_instances/i-1?foo=bar&accepts_incomplete=true&x",
        )
        .json(provision_body(LARGE))
        .send(to)
        .await;
        r.assert_json(202, json!({"operation": "op-1"}));
        let r = req(
            Method::DELETE,
            &format!("/v2/service_instances/i-1?trace=1&{DB_SMALL}&force"),
        )
        .send(to)
        .await;
        r.assert_json(200, json!({}));
        let r = req(
            Method::GET,
            "/v2/service_instances/i-1/last_operation?operation=op-1&page=2",
        )
        .send(to)
        .await;
        assert_eq!(r.status, 200);
        assert_eq!(
            broker.last_last_operation().operation.as_deref(),
            Some("op-1")
        );
    }
}

#[tokio::test]
async fn percent_encoded_ids_reach_the_handler_decoded() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        for (encoded, decoded) in [
            ("%E2%9C%93", "✓"),
            ("a%2Fb", "a/b"),
            ("a%20b", "a b"),
            ("a+b", "a+b"),
            ("%C3%A9t%C3%A9", "été"),
            ("a%3Fb%23c", "a?b#c"),
        ] {
            let r = req(Method::PUT, &format!("/v2/service_instances/{encoded}"))
                .json(provision_body(SMALL))
                .send(to)
                .await;
            r.assert_json(
                201,
                json!({"dashboard_url": format!("https://dash/{decoded}")}),
            );
            assert_eq!(broker.last_provision().instance_id, decoded);

            let r = req(
                Method::PUT,
                &format!("/v2/service_instances/{encoded}/service_bindings/{encoded}"),
            )
            .json(bind_body(SMALL))
            .send(to)
            .await;
            assert_eq!(r.status, 201, "{}", r.text());
            let bind = broker.last_bind();
            assert_eq!(
                (bind.instance_id.as_str(), bind.binding_id.as_str()),
                (decoded, decoded)
            );

            let r = req(
                Method::DELETE,
                &format!("/v2/service_instances/{encoded}/service_bindings/{encoded}?{DB_SMALL}"),
            )
            .send(to)
            .await;
            assert_eq!(r.status, 200);
            let unbind = broker.last_unbind();
            assert_eq!(
                (unbind.instance_id.as_str(), unbind.binding_id.as_str()),
                (decoded, decoded)
            );

            let r = req(
                Method::GET,
                &format!("/v2/service_instances/{encoded}/last_operation?operation={encoded}"),
            )
            .send(to)
            .await;
            assert_eq!(r.status, 200);
            let poll = broker.last_last_operation();
            assert_eq!(poll.instance_id, decoded);
            // In a query `+` is a space (application/x-www-form-urlencoded).
            let operation = if encoded == "a+b" { "a b" } else { decoded };
            assert_eq!(poll.operation.as_deref(), Some(operation));
        }
        // Query ids are decoded too.
        let r = req(
            Method::DELETE,
            "/v2/service_instances/i-1?service_id=svc%2Ddb&plan_id=plan%2Dsmall",
        )
        .send(to)
        .await;
        r.assert_json(200, json!({}));
        assert_eq!(broker.last_deprovision().service_id, DB);

        // Bytes that are not UTF-8 cannot be an id.
        let r = req(Method::GET, "/v2/service_instances/%FF").send(to).await;
        let body = r.assert_error(400);
        assert!(
            body["description"]
                .as_str()
                .unwrap()
                .starts_with("the ids in the path could not be read: "),
            "{body}"
        );
    }
}

#[tokio::test]
async fn parameters_must_be_an_object() {
    let (app, broker) = app();
    let expected = bad("`parameters` must be a JSON object");
    for to in &targets(app).await {
        println!("{to}");
        broker.clear();
        for value in [json!([1]), json!("size_mb=5"), json!(5), json!(true)] {
            let r = provision(to, provision_with("parameters", value.clone())).await;
            r.assert_json(400, expected.clone());
            let r = update(
                to,
                json!({"service_id": DB, "plan_id": LARGE, "parameters": value}),
            )
            .await;
            r.assert_json(400, expected.clone());
            let r = bind(to, bind_with(ROTATING, "parameters", value)).await;
            r.assert_json(400, expected.clone());
        }
        assert!(broker.calls().is_empty());
        // null is absent.
        let r = provision(to, provision_with("parameters", Value::Null)).await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(broker.last_provision().parameters, None);
    }
}

#[tokio::test]
async fn parameters_are_checked_against_the_plan_schema() {
    let (app, broker) = app();
    let too_big = bad("parameters.size_mb: 5000 is greater than the maximum of 1024");
    for to in &targets(app).await {
        println!("{to}");
        broker.clear();
        let r = provision(to, provision_with("parameters", json!({"size_mb": 5000}))).await;
        r.assert_json(400, too_big.clone());
        let r = provision(to, provision_with("parameters", json!({"size_mb": 0}))).await;
        r.assert_json(
            400,
            bad("parameters.size_mb: 0 is less than the minimum of 1"),
        );
        let r = provision(to, provision_with("parameters", json!({"size_mb": "big"}))).await;
        r.assert_json(
            400,
            bad("parameters.size_mb: \"big\" is not of type \"integer\""),
        );
        let r = update(
            to,
            json!({"service_id": DB, "plan_id": SMALL, "parameters": {"size_mb": 5000}}),
        )
        .await;
        r.assert_json(400, too_big.clone());
        // Without plan_id the previous plan's schema applies.
        let r = update(
            to,
            json!({"service_id": DB, "parameters": {"size_mb": 5000}, "previous_values": {"plan_id": SMALL}}),
        )
        .await;
        r.assert_json(400, too_big.clone());
        let r = provision(
            to,
            provision_with("parameters", json!({"size_mb": 1, "role": "admin"})),
        )
        .await;
        r.assert_json(
            400,
            bad("parameters: Additional properties are not allowed ('role' was unexpected)"),
        );
        let r = bind(to, bind_with(SMALL, "parameters", json!({"role": "admin"}))).await;
        let body = r.assert_error(400);
        assert!(
            body["description"]
                .as_str()
                .unwrap()
                .starts_with("parameters"),
            "{body}"
        );
        assert!(broker.calls().is_empty(), "the handler is not called");

        let r = provision(to, provision_with("parameters", json!({"size_mb": 1024}))).await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(
            broker
                .last_provision()
                .parameters
                .unwrap()
                .get::<u32>("size_mb")
                .unwrap(),
            Some(1024)
        );
        // Plans without a schema take any object.
        let r = provision(
            to,
            json!({
                "service_id": DB, "plan_id": ROTATING, "organization_guid": "o", "space_guid": "s",
                "parameters": {"size_mb": 5000, "anything": [1, 2]}
            }),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
}

/// A plan that takes no bind parameters at all publishes `additionalProperties: false`
/// without `properties`; the description must still say which property is unexpected.
#[tokio::test]

async fn schema_violations_name_the_unexpected_property() {
    let (app, _) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = bind(to, bind_with(SMALL, "parameters", json!({"role": "admin"}))).await;
        let body = r.assert_error(400);
        let description = body["description"].as_str().unwrap();
        assert!(
            description.starts_with("parameters.role: ") || description.contains("'role'"),
            "{description}"
        );
    }
}

#[tokio::test]
async fn unknown_body_fields_are_ignored_and_reachable() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let mut body = provision_body(SMALL);
        body["x-acme-tier"] = json!("gold");
        body["unknown"] = json!({"nested": [1, {"deep": null}]});
        body["context"]["x-platform-extra"] = json!(7);
        let r = provision(to, body).await;
        assert_eq!(r.status, 201, "{}", r.text());
        let p = broker.last_provision();
        assert_eq!(
            p.vendor_field::<String>("x-acme-tier").unwrap().as_deref(),
            Some("gold")
        );
        assert_eq!(
            p.vendor_field::<Value>("unknown").unwrap(),
            Some(json!({"nested": [1, {"deep": null}]}))
        );
        assert_eq!(p.vendor_field::<String>("x-absent").unwrap(), None);
        assert_eq!(
            p.context.unwrap().get::<u32>("x-platform-extra").unwrap(),
            Some(7)
        );

        let r = update(
            to,
            json!({"service_id": DB, "x-acme-tier": "silver", "previous_values": {"x-old": 1}}),
        )
        .await;
        r.assert_json(200, json!({}));
        assert_eq!(
            broker
                .last_update()
                .vendor_field::<String>("x-acme-tier")
                .unwrap()
                .as_deref(),
            Some("silver")
        );

        let r = bind(
            to,
            json!({
                "service_id": DB, "plan_id": SMALL, "x-acme-ttl": 60,
                "bind_resource": {"app_guid": "app-1", "x-mesh": true}
            }),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let b = broker.last_bind();
        assert_eq!(b.vendor_field::<u32>("x-acme-ttl").unwrap(), Some(60));
        assert_eq!(b.bind_resource.unwrap().extra["x-mesh"], json!(true));
    }
}

#[tokio::test]
async fn organization_and_space_can_be_made_optional() {
    let (app, broker) = app_with(|b| b.require_organization_and_space(false));
    for to in &targets(app).await {
        println!("{to}");
        let body = json!({
            "service_id": DB,
            "plan_id": SMALL,
            "context": {"platform": "kubernetes", "namespace": "shop", "clusterid": "c-1"}
        });
        let r = provision(to, body).await;
        r.assert_json(201, json!({"dashboard_url": "https://dash/i-1"}));
        let p = broker.last_provision();
        assert_eq!((p.organization_guid, p.space_guid), (None, None));
        // Still non-empty when sent.
        let r = provision(to, provision_with("organization_guid", json!(""))).await;
        r.assert_json(
            400,
            bad("organization_guid must be a non-empty string when present"),
        );
        let r = provision(to, provision_with("space_guid", json!(""))).await;
        r.assert_json(
            400,
            bad("space_guid must be a non-empty string when present"),
        );
        let r = provision(to, provision_body(SMALL)).await;
        assert_eq!(r.status, 201);
        assert_eq!(
            broker.last_provision().organization_guid.as_deref(),
            Some("org")
        );
    }
}

#[tokio::test]
async fn bind_requests_are_checked_against_the_plan() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        broker.clear();
        let r = bind(to, bind_body(NOBIND)).await;
        r.assert_json(400, bad("plan `nobind` is not bindable"));
        let r = bind(to, bind_with(SMALL, "predecessor_binding_id", json!("b-0"))).await;
        r.assert_json(
            400,
            bad("plan `small` does not support binding rotation (binding_rotatable is not true)"),
        );
        let r = bind(to, bind_with(ROTATING, "predecessor_binding_id", json!(""))).await;
        r.assert_json(
            400,
            bad("predecessor_binding_id must be a non-empty string when present"),
        );
        let r = bind(to, bind_with(SMALL, "app_guid", json!(""))).await;
        r.assert_json(400, bad("app_guid must be a non-empty string when present"));
        let r = bind(
            to,
            bind_with(SMALL, "bind_resource", json!({"app_guid": ""})),
        )
        .await;
        r.assert_json(
            400,
            bad("bind_resource.app_guid must be a non-empty string when present"),
        );
        assert!(broker.calls().is_empty(), "the handler is not called");

        let r = bind(
            to,
            bind_with(ROTATING, "predecessor_binding_id", json!("b-0")),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(
            broker.last_bind().predecessor_binding_id.as_deref(),
            Some("b-0")
        );
    }
}

/// Handler results that break the specification become a logged, generic 500.
#[tokio::test]
async fn invalid_handler_results_are_500() {
    let (app, _) = app();
    for to in &targets(app).await {
        println!("{to}");
        // renew_before after expires_at.
        let r = bind(to, bind_body(SMALL)).await;
        assert_eq!(r.status, 201);
        let r = req(
            Method::PUT,
            "/v2/service_instances/i-1/service_bindings/bad-metadata",
        )
        .json(bind_body(SMALL))
        .send(to)
        .await;
        r.assert_json(500, bad(INTERNAL));
        // An operation of 10,001 characters.
        let r = req(
            Method::PUT,
            "/v2/service_instances/long-op?accepts_incomplete=true",
        )
        .json(provision_body(SMALL))
        .send(to)
        .await;
        r.assert_json(500, bad(INTERNAL));
        // 202 although the platform did not send accepts_incomplete=true.
        for query in ["", "?accepts_incomplete=false"] {
            let r = req(
                Method::PUT,
                &format!("/v2/service_instances/wrong-async{query}"),
            )
            .json(provision_body(SMALL))
            .send(to)
            .await;
            r.assert_json(500, bad(INTERNAL));
        }
        let r = req(
            Method::PUT,
            "/v2/service_instances/wrong-async?accepts_incomplete=true",
        )
        .json(provision_body(SMALL))
        .send(to)
        .await;
        r.assert_json(202, json!({"operation": "op-1"}));
        // The same for a bind.
        let r = req(
            Method::PUT,
            "/v2/service_instances/i-1/service_bindings/async",
        )
        .json(bind_body(SMALL))
        .send(to)
        .await;
        r.assert_json(500, bad(INTERNAL));
    }
}
