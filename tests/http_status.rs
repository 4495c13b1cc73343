//! The status tables of checklist section 5, row by row: every status the runtime
//! produces for the scripted broker, with its exact body and headers, in-process and
//! over TCP.

mod common;

use std::time::Duration;

use common::*;
use http::Method;
use osb::catalog::{Catalog, Plan, ServiceOffering};
use osb::{
    BindingLastOperation, BindingOperationReport, Broker, Deprovision, Deprovisioned, Error,
    LastOperation, OperationReport, Provision, Provisioned,
};
use serde_json::{Value, json};

const ASYNC_REQUIRED: &str =
    "plan `large` performs this operation only asynchronously: send accepts_incomplete=true";

fn async_required() -> Value {
    json!({"error": "AsyncRequired", "description": ASYNC_REQUIRED})
}

fn concurrency_error() -> Value {
    json!({
        "error": "ConcurrencyError",
        "description": "Another operation for this Service Instance is in progress."
    })
}

fn internal() -> Value {
    json!({"description": INTERNAL})
}

fn instance(id: &str) -> String {
    format!("/v2/service_instances/{id}")
}

fn binding(instance: &str, binding: &str) -> String {
    format!("/v2/service_instances/{instance}/service_bindings/{binding}")
}

async fn provision(to: &Target, uri: &str, body: Value) -> Reply {
    req(Method::PUT, uri).json(body).send(to).await
}

async fn update(to: &Target, uri: &str, body: Value) -> Reply {
    req(Method::PATCH, uri).json(body).send(to).await
}

async fn bind(to: &Target, uri: &str, body: Value) -> Reply {
    req(Method::PUT, uri).json(body).send(to).await
}

async fn get(to: &Target, uri: &str) -> Reply {
    req(Method::GET, uri).send(to).await
}

async fn delete(to: &Target, uri: &str) -> Reply {
    req(Method::DELETE, uri).send(to).await
}

fn update_body(plan: &str) -> Value {
    json!({"service_id": DB, "plan_id": plan})
}

#[tokio::test]
async fn catalog_is_the_merged_catalog_with_an_etag() {
    let (app, _) = app();
    let expected: Value = serde_json::from_str(&catalog().to_json()).unwrap();
    for to in &targets(app).await {
        println!("{to}");
        let r = get(to, "/v2/catalog").await;
        r.assert_json(200, expected.clone());
        let etag = r.header("etag").expect("an ETag");
        assert!(
            etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
            "{etag}"
        );
        // The same catalog gets the same tag.
        assert_eq!(get(to, "/v2/catalog").await.header("etag"), Some(etag));
    }
}

#[tokio::test]
async fn catalog_if_none_match_answers_304() {
    let (app, _) = app();
    for to in &targets(app).await {
        println!("{to}");
        let etag = get(to, "/v2/catalog")
            .await
            .header("etag")
            .unwrap()
            .to_owned();
        let r = req(Method::GET, "/v2/catalog")
            .header("if-none-match", &etag)
            .header("x-broker-api-request-identity", "rid-304")
            .send(to)
            .await;
        assert_eq!(r.status, 304);
        assert!(r.body.is_empty(), "{}", r.text());
        assert_eq!(r.header("etag"), Some(etag.as_str()));
        assert_eq!(r.header("x-broker-api-request-identity"), Some("rid-304"));

        let r = req(Method::GET, "/v2/catalog")
            .header("if-none-match", "\"something-else\"")
            .send(to)
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["services"][0]["id"], DB);

        // The tag is no way around authentication.
        let r = req(Method::GET, "/v2/catalog")
            .header("if-none-match", &etag)
            .without("authorization")
            .send(to)
            .await;
        r.assert_error(401);
    }
}

/// RFC 7232, which «Catalog Management» points to: `If-None-Match` is a list of
/// entity-tags compared weakly, and `*` matches any current representation.
#[tokio::test]

async fn catalog_if_none_match_follows_rfc_7232() {
    let (app, _) = app();
    for to in &targets(app).await {
        println!("{to}");
        let etag = get(to, "/v2/catalog")
            .await
            .header("etag")
            .unwrap()
            .to_owned();
        for condition in [
            format!("\"other\", {etag}"),
            format!("{etag},\"other\""),
            format!("W/{etag}"),
            "*".to_owned(),
        ] {
            let r = req(Method::GET, "/v2/catalog")
                .header("if-none-match", &condition)
                .send(to)
                .await;
            assert_eq!(r.status, 304, "If-None-Match: {condition}");
            assert_eq!(r.header("etag"), Some(etag.as_str()));
        }
    }
}

#[tokio::test]
async fn provision_statuses() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = provision(to, &instance("i-1"), provision_body(SMALL)).await;
        r.assert_json(201, json!({"dashboard_url": "https://dash/i-1"}));

        let r = provision(to, &instance("exists"), provision_body(SMALL)).await;
        r.assert_json(200, json!({}));

        // A synchronous handler may ignore accepts_incomplete=true.
        let r = provision(
            to,
            &instance("i-2?accepts_incomplete=true"),
            provision_body(SMALL),
        )
        .await;
        r.assert_json(201, json!({"dashboard_url": "https://dash/i-2"}));

        // The dashboard URL is in the first response, also of an asynchronous provision.
        let r = provision(
            to,
            &instance("async?accepts_incomplete=true"),
            provision_body(SMALL),
        )
        .await;
        r.assert_json(
            202,
            json!({"dashboard_url": "https://dash/async", "operation": "op-1"}),
        );

        let r = provision(
            to,
            &instance("i-3?accepts_incomplete=true"),
            provision_body(LARGE),
        )
        .await;
        r.assert_json(202, json!({"operation": "op-1"}));

        let r = provision(to, &instance("conflict"), provision_body(SMALL)).await;
        r.assert_json(
            409,
            json!({"description": "A service instance with this id already exists with different attributes."}),
        );

        let r = provision(to, &instance("busy"), provision_body(SMALL)).await;
        r.assert_json(422, concurrency_error());

        let r = provision(to, &instance("quota"), provision_body(SMALL)).await;
        r.assert_json(
            422,
            json!({"description": "The quota of this service plan has been exceeded."}),
        );

        let r = provision(to, &instance("failed"), provision_body(SMALL)).await;
        r.assert_json(500, json!({"description": "the disk is full"}));

        broker.clear();
        for query in ["", "?accepts_incomplete=false", "?accepts_incomplete="] {
            let r = provision(to, &instance(&format!("i-4{query}")), provision_body(LARGE)).await;
            r.assert_json(422, async_required());
        }
        assert!(broker.calls().is_empty(), "the handler is not called");
    }
}

#[tokio::test]
async fn provision_maintenance_info() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let with = |plan: &str, info: Value| {
            let mut body = provision_body(plan);
            body["maintenance_info"] = info;
            body
        };
        let r = provision(
            to,
            &instance("i-1"),
            with(SMALL, json!({"version": "1.0.0"})),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(
            broker.last_provision().maintenance_info,
            Some(osb::catalog::MaintenanceInfo::new("1.0.0"))
        );

        // `{}` (no version), as osb-checker sends it, counts as absent.
        let r = provision(to, &instance("i-2"), with(SMALL, json!({}))).await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(broker.last_provision().maintenance_info, None);

        broker.clear();
        let r = provision(
            to,
            &instance("i-3"),
            with(SMALL, json!({"version": "2.0.0"})),
        )
        .await;
        r.assert_json(
            422,
            json!({
                "error": "MaintenanceInfoConflict",
                "description": "maintenance_info.version `2.0.0` does not match version `1.0.0` of plan `small` in the catalog; fetch the catalog again"
            }),
        );
        let r = provision(
            to,
            &instance("i-4"),
            with(ROTATING, json!({"version": "1.0.0"})),
        )
        .await;
        r.assert_json(
            422,
            json!({
                "error": "MaintenanceInfoConflict",
                "description": "plan `rotating` has no maintenance_info in the catalog, but the request asks for version `1.0.0`"
            }),
        );
        assert!(broker.calls().is_empty(), "the handler is not called");
    }
}

#[tokio::test]
async fn fetch_instance_statuses() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = get(to, &instance("i-1")).await;
        r.assert_json(
            200,
            json!({
                "service_id": DB,
                "plan_id": SMALL,
                "parameters": {"size_mb": 64},
                "maintenance_info": {"version": "1.0.0"}
            }),
        );
        let r = get(to, &instance("missing")).await;
        r.assert_json(
            404,
            json!({"description": "The service instance does not exist."}),
        );
        let r = get(to, &instance("gone")).await;
        r.assert_json(
            404,
            json!({"description": "The resource has been deleted."}),
        );
        let r = get(to, &instance("busy")).await;
        r.assert_json(422, concurrency_error());

        // Hints that name nothing in the catalog: no such instance, the handler is not asked.
        broker.clear();
        let r = get(to, &instance("i-1?service_id=nope")).await;
        r.assert_json(
            404,
            json!({"description": "service_id `nope` is not in the catalog, so no such resource exists"}),
        );
        let r = get(to, &instance("i-1?plan_id=nope")).await;
        r.assert_json(
            404,
            json!({"description": "plan_id `nope` is not in the catalog, so no such resource exists"}),
        );
        let r = get(
            to,
            &instance(&format!("i-1?service_id={QUEUE}&plan_id={SMALL}")),
        )
        .await;
        r.assert_json(
            404,
            json!({"description": "the plan_id and service_id hints do not belong together, so no such resource exists"}),
        );
        assert!(broker.calls().is_empty(), "the handler is not called");
    }
}

#[tokio::test]
async fn update_statuses() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = update(to, &instance("i-1"), update_body(SMALL)).await;
        r.assert_json(200, json!({}));
        // Only service_id is required.
        let r = update(to, &instance("i-1"), json!({"service_id": DB})).await;
        r.assert_json(200, json!({}));

        let r = update(
            to,
            &instance("async?accepts_incomplete=true"),
            update_body(SMALL),
        )
        .await;
        r.assert_json(202, json!({"operation": "op-2"}));

        let r = update(to, &instance("busy"), update_body(SMALL)).await;
        r.assert_json(422, concurrency_error());
        let r = update(to, &instance("quota"), update_body(SMALL)).await;
        r.assert_json(
            422,
            json!({"description": "The quota of this service plan has been exceeded."}),
        );
        // The update table defines no 404: a missing instance is a bad request.
        let r = update(to, &instance("missing"), update_body(SMALL)).await;
        r.assert_json(
            400,
            json!({"description": "The service instance does not exist."}),
        );

        broker.clear();
        let r = update(to, &instance("i-2"), update_body(LARGE)).await;
        r.assert_json(422, async_required());
        // Without plan_id the plan stays the previous one, which is async-only too.
        let r = update(
            to,
            &instance("i-2"),
            json!({"service_id": DB, "previous_values": {"plan_id": LARGE}}),
        )
        .await;
        r.assert_json(422, async_required());
        assert!(broker.calls().is_empty(), "the handler is not called");
        let r = update(
            to,
            &instance("i-2?accepts_incomplete=true"),
            update_body(LARGE),
        )
        .await;
        r.assert_json(200, json!({}));
    }
}

#[tokio::test]
async fn update_plan_changes() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let change = |from: &str, next: &str| json!({"service_id": DB, "plan_id": next, "previous_values": {"plan_id": from}});
        broker.clear();
        // plan `small` is not plan_updateable.
        let r = update(to, &instance("i-1"), change(SMALL, ROTATING)).await;
        r.assert_json(
            422,
            json!({"description": "plan `small` does not allow plan changes (plan_updateable is not true)"}),
        );
        assert!(broker.calls().is_empty(), "the handler is not called");

        // Staying on the plan is no plan change.
        let r = update(to, &instance("i-1"), change(SMALL, SMALL)).await;
        r.assert_json(200, json!({}));
        // plan `large` is plan_updateable.
        let r = update(to, &instance("i-1"), change(LARGE, SMALL)).await;
        r.assert_json(200, json!({}));
        assert_eq!(broker.last_update().plan_id.as_deref(), Some(SMALL));
        // A previous plan that has left the catalog is not checked.
        let r = update(to, &instance("i-1"), change("plan-retired", SMALL)).await;
        r.assert_json(200, json!({}));
    }
}

#[tokio::test]
async fn update_maintenance_info() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let with = |plan: &str, info: Value| json!({"service_id": DB, "plan_id": plan, "maintenance_info": info});
        let r = update(
            to,
            &instance("i-1"),
            with(SMALL, json!({"version": "1.0.0"})),
        )
        .await;
        r.assert_json(200, json!({}));
        let r = update(to, &instance("i-1"), with(SMALL, json!({}))).await;
        r.assert_json(200, json!({}));
        assert_eq!(broker.last_update().maintenance_info, None);
        // `{}` inside previous_values too.
        let r = update(
            to,
            &instance("i-1"),
            json!({
                "service_id": DB,
                "plan_id": SMALL,
                "previous_values": {"plan_id": SMALL, "maintenance_info": {}}
            }),
        )
        .await;
        r.assert_json(200, json!({}));
        let previous = broker.last_update().previous_values.unwrap();
        assert_eq!(previous.plan_id.as_deref(), Some(SMALL));
        assert_eq!(previous.maintenance_info, None);

        let r = update(
            to,
            &instance("i-1"),
            with(SMALL, json!({"version": "0.9.0"})),
        )
        .await;
        r.assert_json(
            422,
            json!({
                "error": "MaintenanceInfoConflict",
                "description": "maintenance_info.version `0.9.0` does not match version `1.0.0` of plan `small` in the catalog; fetch the catalog again"
            }),
        );
        // The target plan is the previous one when plan_id is absent.
        let r = update(
            to,
            &instance("i-1"),
            json!({
                "service_id": DB,
                "maintenance_info": {"version": "2.0.0"},
                "previous_values": {"plan_id": SMALL}
            }),
        )
        .await;
        assert_eq!(r.assert_error(422)["error"], "MaintenanceInfoConflict");
        let r = update(
            to,
            &instance("i-1"),
            with(ROTATING, json!({"version": "1.0.0"})),
        )
        .await;
        r.assert_json(
            422,
            json!({
                "error": "MaintenanceInfoConflict",
                "description": "plan `rotating` has no maintenance_info in the catalog, but the request asks for version `1.0.0`"
            }),
        );
    }
}

#[tokio::test]
async fn deprovision_statuses() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = delete(to, &instance(&format!("i-1?{DB_SMALL}"))).await;
        r.assert_json(200, json!({}));
        let r = delete(
            to,
            &instance(&format!("async?{DB_SMALL}&accepts_incomplete=true")),
        )
        .await;
        r.assert_json(202, json!({"operation": "op-3"}));
        let r = delete(to, &instance(&format!("missing?{DB_SMALL}"))).await;
        r.assert_json(
            410,
            json!({"description": "The service instance does not exist."}),
        );
        let r = delete(to, &instance(&format!("gone?{DB_SMALL}"))).await;
        r.assert_json(
            410,
            json!({"description": "The resource has been deleted."}),
        );
        let r = delete(to, &instance(&format!("busy?{DB_SMALL}"))).await;
        r.assert_json(422, concurrency_error());

        broker.clear();
        let r = delete(to, &instance(&format!("i-2?{DB_LARGE}"))).await;
        r.assert_json(422, async_required());
        assert!(broker.calls().is_empty(), "the handler is not called");
        let r = delete(
            to,
            &instance(&format!("i-2?{DB_LARGE}&accepts_incomplete=true")),
        )
        .await;
        r.assert_json(200, json!({}));
    }
}

#[tokio::test]
async fn last_operation_statuses() {
    let (app, _) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = get(to, &instance("i-1/last_operation?operation=op-1")).await;
        r.assert_json(200, json!({"state": "in progress", "description": "40%"}));
        // 2.5 s rounds up to whole seconds.
        assert_eq!(r.header("retry-after"), Some("3"));

        let r = get(to, &instance("failed-op/last_operation")).await;
        r.assert_json(
            200,
            json!({
                "state": "failed",
                "description": "out of disk",
                "instance_usable": true,
                "update_repeatable": false
            }),
        );
        assert_eq!(r.header("retry-after"), None);

        let r = get(to, &instance("missing/last_operation")).await;
        r.assert_json(
            404,
            json!({"description": "The service instance does not exist."}),
        );
        // 410 tells the platform an asynchronous delete has finished.
        let r = get(to, &instance("gone/last_operation")).await;
        r.assert_json(
            410,
            json!({"description": "The resource has been deleted."}),
        );
        let r = get(to, &instance("nope/last_operation?plan_id=nope")).await;
        r.assert_json(
            404,
            json!({"description": "plan_id `nope` is not in the catalog, so no such resource exists"}),
        );
    }
}

#[tokio::test]
async fn bind_statuses() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let credentials = |binding: &str| json!({"credentials": {"uri": format!("db://i-1/{binding}"), "password": "hunter2"}});
        let r = bind(to, &binding("i-1", "b-1"), bind_body(SMALL)).await;
        r.assert_json(201, credentials("b-1"));
        let r = bind(to, &binding("i-1", "exists"), bind_body(SMALL)).await;
        r.assert_json(200, credentials("exists"));
        let r = bind(to, &binding("i-1", "expiring"), bind_body(SMALL)).await;
        let mut expected = credentials("expiring");
        expected["metadata"] = json!({
            "expires_at": "2027-01-15T08:00:00.000Z",
            "renew_before": "2027-01-03T18:13:20.000Z"
        });
        r.assert_json(201, expected);

        // No credentials in a 202.
        let r = bind(
            to,
            &binding("i-1", "async?accepts_incomplete=true"),
            bind_body(SMALL),
        )
        .await;
        r.assert_json(202, json!({"operation": "bind-op"}));

        let r = bind(to, &binding("i-1", "conflict"), bind_body(SMALL)).await;
        assert_eq!(r.assert_error(409).get("error"), None);
        let r = bind(to, &binding("i-1", "busy"), bind_body(SMALL)).await;
        r.assert_json(422, concurrency_error());
        // The bind table defines no 404: a missing instance is a bad request.
        let r = bind(to, &binding("i-1", "missing"), bind_body(SMALL)).await;
        r.assert_json(
            400,
            json!({"description": "The service instance does not exist."}),
        );
        let r = bind(to, &binding("i-1", "failed"), bind_body(SMALL)).await;
        r.assert_json(500, json!({"description": "the disk is full"}));

        broker.clear();
        let r = bind(to, &binding("i-1", "b-2"), bind_body(LARGE)).await;
        r.assert_json(422, async_required());
        let r = bind(
            to,
            &binding("i-1", "b-2"),
            json!({"service_id": DB, "plan_id": ROTATING}),
        )
        .await;
        r.assert_json(
            422,
            json!({
                "error": "RequiresApp",
                "description": "plan `rotating` binds applications only: send bind_resource.app_guid"
            }),
        );
        let r = bind(
            to,
            &binding("i-1", "b-2"),
            json!({"service_id": DB, "plan_id": ROTATING, "bind_resource": {"route": "r.example.com"}}),
        )
        .await;
        assert_eq!(r.assert_error(422)["error"], "RequiresApp");
        assert!(broker.calls().is_empty(), "the handler is not called");

        // The deprecated top-level app_guid counts too.
        let r = bind(
            to,
            &binding("i-1", "b-3"),
            json!({"service_id": DB, "plan_id": ROTATING, "app_guid": "app-9"}),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(broker.last_bind().app(), Some("app-9"));
        let r = bind(
            to,
            &binding("i-1", "b-4?accepts_incomplete=true"),
            bind_body(LARGE),
        )
        .await;
        assert_eq!(r.status, 201, "{}", r.text());
    }
}

#[tokio::test]
async fn unbind_statuses() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = delete(to, &binding("i-1", &format!("b-1?{DB_SMALL}"))).await;
        r.assert_json(200, json!({}));
        let r = delete(
            to,
            &binding("i-1", &format!("async?{DB_SMALL}&accepts_incomplete=true")),
        )
        .await;
        r.assert_json(202, json!({"operation": "unbind-op"}));
        let r = delete(to, &binding("i-1", &format!("missing?{DB_SMALL}"))).await;
        r.assert_json(
            410,
            json!({"description": "The service binding does not exist."}),
        );
        let r = delete(to, &binding("i-1", &format!("gone?{DB_SMALL}"))).await;
        r.assert_json(
            410,
            json!({"description": "The resource has been deleted."}),
        );
        let r = delete(to, &binding("i-1", &format!("busy?{DB_SMALL}"))).await;
        r.assert_json(422, concurrency_error());

        broker.clear();
        let r = delete(to, &binding("i-1", &format!("b-2?{DB_LARGE}"))).await;
        r.assert_json(422, async_required());
        assert!(broker.calls().is_empty(), "the handler is not called");
        let r = delete(
            to,
            &binding("i-1", &format!("b-2?{DB_LARGE}&accepts_incomplete=true")),
        )
        .await;
        r.assert_json(200, json!({}));
    }
}

#[tokio::test]
async fn fetch_binding_statuses() {
    let (app, _) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = get(to, &binding("i-1", "b-1")).await;
        r.assert_json(
            200,
            json!({"credentials": {"uri": "db://x"}, "parameters": {"role": "reader"}}),
        );
        let r = get(to, &binding("i-1", "missing")).await;
        r.assert_json(
            404,
            json!({"description": "The service binding does not exist."}),
        );
        let r = get(to, &binding("i-1", "gone")).await;
        r.assert_json(
            404,
            json!({"description": "The resource has been deleted."}),
        );
        let r = get(to, &binding("i-1", "b-1?service_id=nope")).await;
        r.assert_json(
            404,
            json!({"description": "service_id `nope` is not in the catalog, so no such resource exists"}),
        );
    }
}

#[tokio::test]
async fn binding_last_operation_statuses() {
    let (app, _) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = get(to, &binding("i-1", "b-1/last_operation?operation=bind-op")).await;
        r.assert_json(200, json!({"state": "succeeded"}));
        assert_eq!(r.header("retry-after"), Some("3"));
        let r = get(to, &binding("i-1", "missing/last_operation")).await;
        r.assert_json(
            404,
            json!({"description": "The service binding does not exist."}),
        );
        let r = get(to, &binding("i-1", "gone/last_operation")).await;
        r.assert_json(
            410,
            json!({"description": "The resource has been deleted."}),
        );
    }
}

/// `instance_usable` only on update and deprovision, `update_repeatable` only on update.
#[tokio::test]
async fn failure_flags_only_where_the_spec_allows_them() {
    let (app, _) = app();
    let plain = json!({"description": "the disk is full"});
    for to in &targets(app).await {
        println!("{to}");
        let r = update(to, &instance("failed"), update_body(SMALL)).await;
        r.assert_json(
            500,
            json!({"description": "the disk is full", "instance_usable": false, "update_repeatable": false}),
        );
        let r = delete(to, &instance(&format!("failed?{DB_SMALL}"))).await;
        r.assert_json(
            500,
            json!({"description": "the disk is full", "instance_usable": false}),
        );
        let r = provision(to, &instance("failed"), provision_body(SMALL)).await;
        r.assert_json(500, plain.clone());
        let r = bind(to, &binding("i-1", "failed"), bind_body(SMALL)).await;
        r.assert_json(500, plain.clone());
        let r = delete(to, &binding("i-1", &format!("failed?{DB_SMALL}"))).await;
        r.assert_json(500, plain.clone());
        for uri in [
            instance("failed"),
            instance("failed/last_operation"),
            binding("i-1", "failed"),
            binding("i-1", "failed/last_operation"),
        ] {
            get(to, &uri).await.assert_json(500, plain.clone());
        }
    }
}

/// An internal error's cause goes to the log only: the platform gets a generic 500.
#[tokio::test]
async fn internal_errors_hide_their_cause() {
    let (app, _) = app();
    for to in &targets(app).await {
        println!("{to}");
        let replies = [
            provision(to, &instance("boom"), provision_body(SMALL)).await,
            update(to, &instance("boom"), update_body(SMALL)).await,
            delete(to, &instance(&format!("boom?{DB_SMALL}"))).await,
            get(to, &instance("boom")).await,
            get(to, &instance("boom/last_operation")).await,
            bind(to, &binding("i-1", "boom"), bind_body(SMALL)).await,
            delete(to, &binding("i-1", &format!("boom?{DB_SMALL}"))).await,
            get(to, &binding("i-1", "boom")).await,
            get(to, &binding("i-1", "boom/last_operation")).await,
        ];
        for r in replies {
            r.assert_json(500, internal());
            assert!(!r.text().contains("10.0.0.7"), "{}", r.text());
        }
    }
}

/// A broker with only the required operations: every other route gets the answer the
/// trait's defaults give, with the status of that endpoint.
struct Minimal;

impl Broker for Minimal {
    fn catalog(&self) -> Catalog {
        Catalog::new([
            ServiceOffering::new("svc-min", "min", "Only the required operations.")
                .bindable(true)
                .plan(Plan::new("plan-min", "min", "The plan.")),
        ])
    }

    async fn provision(&self, _: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

#[tokio::test]
async fn operations_a_broker_does_not_implement() {
    let app = osb::router(Minimal, osb::auth::BasicAuth::new(USER, PASSWORD));
    let ids = "service_id=svc-min&plan_id=plan-min";
    let body = json!({"service_id": "svc-min", "plan_id": "plan-min"});
    for to in &targets(app).await {
        println!("{to}");
        let mut provision_body = body.clone();
        provision_body["organization_guid"] = json!("o");
        provision_body["space_guid"] = json!("s");
        provision(to, &instance("m-1"), provision_body)
            .await
            .assert_json(201, json!({}));
        delete(to, &instance(&format!("m-1?{ids}")))
            .await
            .assert_json(200, json!({}));
        update(to, &instance("m-1"), body.clone()).await.assert_json(
            422,
            json!({"description": "This service broker does not support updating service instances."}),
        );
        get(to, &instance("m-1")).await.assert_json(
            404,
            json!({"description": "This service broker does not support fetching service instances."}),
        );
        get(to, &instance("m-1/last_operation")).await.assert_json(
            404,
            json!({"description": "This service broker has no asynchronous instance operations."}),
        );
        bind(to, &binding("m-1", "n-1"), body.clone())
            .await
            .assert_json(
                422,
                json!({"description": "This service broker does not support service bindings."}),
            );
        delete(to, &binding("m-1", &format!("n-1?{ids}")))
            .await
            .assert_json(
                410,
                json!({"description": "The service binding does not exist."}),
            );
        get(to, &binding("m-1", "n-1")).await.assert_json(
            404,
            json!({"description": "This service broker does not support fetching service bindings."}),
        );
        get(to, &binding("m-1", "n-1/last_operation"))
            .await
            .assert_json(
                404,
                json!({"description": "This service broker has no asynchronous binding operations."}),
            );
    }
}

/// Polling answers whose `Retry-After` is the instance or binding id in milliseconds.
struct Polled;

fn delay(id: &str) -> Duration {
    Duration::from_millis(id.parse().expect("a delay in milliseconds"))
}

impl Broker for Polled {
    fn catalog(&self) -> Catalog {
        Catalog::new([ServiceOffering::new("svc-poll", "poll", "Polled.")
            .bindable(true)
            .plan(Plan::new("plan-poll", "poll", "The plan."))])
    }

    async fn provision(&self, _: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }

    async fn last_operation(&self, req: LastOperation) -> Result<OperationReport, Error> {
        Ok(OperationReport::in_progress().retry_after(delay(&req.instance_id)))
    }

    async fn binding_last_operation(
        &self,
        req: BindingLastOperation,
    ) -> Result<BindingOperationReport, Error> {
        Ok(BindingOperationReport::in_progress().retry_after(delay(&req.binding_id)))
    }
}

async fn retry_after(to: &Target, millis: u64) -> (String, String) {
    let instance = get(to, &instance(&format!("{millis}/last_operation"))).await;
    instance.assert_json(200, json!({"state": "in progress"}));
    let binding = get(to, &binding("i-1", &format!("{millis}/last_operation"))).await;
    binding.assert_json(200, json!({"state": "in progress"}));
    let header = |r: &Reply| r.header("retry-after").expect("Retry-After").to_owned();
    (header(&instance), header(&binding))
}

#[tokio::test]
async fn retry_after_is_whole_seconds_rounded_up() {
    let app = osb::router(Polled, osb::auth::BasicAuth::new(USER, PASSWORD));
    for to in &targets(app).await {
        println!("{to}");
        for (millis, seconds) in [
            (1, "1"),
            (999, "1"),
            (1000, "1"),
            (1001, "2"),
            (60_000, "60"),
        ] {
            assert_eq!(
                retry_after(to, millis).await,
                (seconds.to_owned(), seconds.to_owned()),
                "{millis} ms"
            );
        }
    }
}

/// `OperationReport::retry_after` promises «whole seconds, at least 1».
#[tokio::test]

async fn retry_after_is_at_least_one_second() {
    let app = osb::router(Polled, osb::auth::BasicAuth::new(USER, PASSWORD));
    for to in &targets(app).await {
        println!("{to}");
        assert_eq!(retry_after(to, 0).await, ("1".to_owned(), "1".to_owned()));
    }
}
