//! What a handler receives: the requests the scripted broker recorded, in-process
//! and over TCP.

mod common;

use common::*;
use http::Method;
use osb::api::ApiVersion;
use osb::auth::Principal;
use osb::request::{BindResource, OriginatingIdentity, PreviousValues, RequestMeta};
use serde_json::{Value, json};

const RID: &str = "8a1c6f3e-rid";

/// The meta of a request sent with [`with_identities`] and version 2.16.
fn expected_meta() -> RequestMeta {
    RequestMeta {
        api_version: ApiVersion::V2_16,
        originating_identity: Some(OriginatingIdentity::parse(CF_IDENTITY).unwrap()),
        request_identity: Some(RID.to_owned()),
        principal: Some(Principal::new(USER)),
        ..RequestMeta::default()
    }
}

fn with_identities(call: Call2) -> Call2 {
    call.header("x-broker-api-version", "2.16")
        .header("x-broker-api-originating-identity", CF_IDENTITY)
        .header("x-broker-api-request-identity", RID)
}

fn raw(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap()
}

#[tokio::test]
async fn provision_receives_the_whole_request() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let mut body = provision_body(SMALL);
        body["parameters"] = json!({"size_mb": 64});
        body["maintenance_info"] = json!({"version": "1.0.0", "description": "first"});
        let r = with_identities(req(
            Method::PUT,
            "/v2/service_instances/i-1?accepts_incomplete=true",
        ))
        .json(body)
        .send(to)
        .await;
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.header("x-broker-api-request-identity"), Some(RID));

        let p = broker.last_provision();
        assert_eq!(p.instance_id, "i-1");
        assert_eq!(p.service_id, DB);
        assert_eq!(p.plan_id, SMALL);
        assert_eq!(p.organization_guid.as_deref(), Some("org"));
        assert_eq!(p.space_guid.as_deref(), Some("space"));
        assert!(p.accepts_incomplete);
        assert_eq!(p.meta, expected_meta());
        assert_eq!(p.meta.principal.as_ref().unwrap().name(), "admin");
        let identity = p.meta.originating_identity.as_ref().unwrap();
        assert_eq!(identity.platform, "cloudfoundry");
        assert_eq!(
            identity.user_id(),
            Some("683ea748-3092-4ff4-b656-39cacc4d5360")
        );
        assert_eq!(plan_index(&p), Some(0));
        let context = p.context.as_ref().unwrap();
        assert_eq!(context.platform(), Some("cloudfoundry"));
        let cf = context.cloud_foundry().unwrap().unwrap();
        assert_eq!(cf.organization_guid.as_deref(), Some("org"));
        assert_eq!(cf.space_guid.as_deref(), Some("space"));
        let parameters = p.parameters.as_ref().unwrap();
        assert_eq!(parameters.as_raw().get(), raw(&json!({"size_mb": 64})));
        assert_eq!(parameters.get::<u32>("size_mb").unwrap(), Some(64));
        assert_eq!(
            p.maintenance_info,
            Some(osb::catalog::MaintenanceInfo::new("1.0.0").description("first"))
        );
    }
}

#[tokio::test]
async fn plan_index_counts_the_plans_of_all_offerings_in_order() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        for (plan, index) in [(SMALL, 0), (LARGE, 1), (ROTATING, 2), (NOBIND, 3)] {
            let r = req(
                Method::PUT,
                "/v2/service_instances/i-1?accepts_incomplete=true",
            )
            .json(provision_body(plan))
            .send(to)
            .await;
            assert!(r.status.is_success(), "{plan}: {}", r.text());
            assert_eq!(plan_index(&broker.last_provision()), Some(index), "{plan}");
        }
        let r = req(Method::PUT, "/v2/service_instances/i-1")
            .json(json!({"service_id": QUEUE, "plan_id": BASIC, "organization_guid": "o", "space_guid": "s"}))
            .send(to)
            .await;
        assert_eq!(r.status, 201);
        assert_eq!(plan_index(&broker.last_provision()), Some(4));
    }
}

#[tokio::test]
async fn requests_without_identities_carry_none() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = req(Method::GET, "/v2/service_instances/i-1").send(to).await;
        assert_eq!(r.status, 200);
        assert_eq!(
            broker.last_fetch_instance().meta,
            RequestMeta {
                api_version: ApiVersion::V2_17,
                originating_identity: None,
                request_identity: None,
                principal: Some(Principal::new(USER)),
                ..RequestMeta::default()
            }
        );
        // A Kubernetes identity, Base64 without padding.
        let r = req(Method::GET, "/v2/service_instances/i-1")
            .header(
                "x-broker-api-originating-identity",
                "kubernetes eyJ1c2VybmFtZSI6ImEifQ",
            )
            .send(to)
            .await;
        assert_eq!(r.status, 200);
        let identity = broker
            .last_fetch_instance()
            .meta
            .originating_identity
            .unwrap();
        assert_eq!(identity.platform, "kubernetes");
        assert_eq!(identity.username(), Some("a"));
        assert_eq!(
            identity.value,
            *json!({"username": "a"}).as_object().unwrap()
        );
    }
}

#[tokio::test]
async fn update_receives_the_whole_request() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let previous = json!({
            "plan_id": LARGE,
            "service_id": DB,
            "organization_id": "org",
            "space_id": "space",
            "maintenance_info": {"version": "0.9.0"}
        });
        let r = with_identities(req(
            Method::PATCH,
            "/v2/service_instances/i-1?accepts_incomplete=true",
        ))
        .json(json!({
            "service_id": DB,
            "plan_id": SMALL,
            "parameters": {"size_mb": 128},
            "context": {"platform": "kubernetes", "namespace": "shop", "clusterid": "c-1"},
            "previous_values": previous,
            "maintenance_info": {"version": "1.0.0"}
        }))
        .send(to)
        .await;
        r.assert_json(200, json!({}));
        let u = broker.last_update();
        assert_eq!(u.instance_id, "i-1");
        assert_eq!(u.service_id, DB);
        assert_eq!(u.plan_id.as_deref(), Some(SMALL));
        assert_eq!(u.target_plan_id(), Some(SMALL));
        assert_eq!(plan_index(&u), Some(0));
        assert!(u.accepts_incomplete);
        assert_eq!(u.meta, expected_meta());
        assert_eq!(
            u.parameters.as_ref().unwrap().as_raw().get(),
            raw(&json!({"size_mb": 128}))
        );
        let k8s = u.context.as_ref().unwrap().kubernetes().unwrap().unwrap();
        assert_eq!(k8s.namespace.as_deref(), Some("shop"));
        assert_eq!(k8s.clusterid.as_deref(), Some("c-1"));
        assert_eq!(
            u.previous_values,
            Some(PreviousValues {
                plan_id: Some(LARGE.to_owned()),
                service_id: Some(DB.to_owned()),
                organization_id: Some("org".to_owned()),
                space_id: Some("space".to_owned()),
                maintenance_info: Some(osb::catalog::MaintenanceInfo::new("0.9.0")),
            })
        );
        assert_eq!(
            u.maintenance_info,
            Some(osb::catalog::MaintenanceInfo::new("1.0.0"))
        );

        // Without plan_id the target is the previous plan.
        let r = req(Method::PATCH, "/v2/service_instances/i-1")
            .json(json!({"service_id": DB, "previous_values": {"plan_id": ROTATING}}))
            .send(to)
            .await;
        assert_eq!(r.status, 200);
        let u = broker.last_update();
        assert_eq!(u.plan_id, None);
        assert_eq!(u.parameters, None);
        assert_eq!(u.target_plan_id(), Some(ROTATING));
        assert_eq!(plan_index(&u), Some(2));
        assert!(!u.accepts_incomplete);

        // Nothing tells the plan.
        let r = req(Method::PATCH, "/v2/service_instances/i-1")
            .json(json!({"service_id": DB}))
            .send(to)
            .await;
        assert_eq!(r.status, 200);
        let u = broker.last_update();
        assert_eq!((u.target_plan_id(), plan_index(&u)), (None, None));
        assert_eq!(u.previous_values, None);
        assert_eq!(u.context, None);
    }
}

#[tokio::test]
async fn deprovision_receives_the_whole_request() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = with_identities(req(
            Method::DELETE,
            &format!("/v2/service_instances/i-1?{DB_LARGE}&accepts_incomplete=true"),
        ))
        .send(to)
        .await;
        r.assert_json(200, json!({}));
        let d = broker.last_deprovision();
        assert_eq!(
            (
                d.instance_id.as_str(),
                d.service_id.as_str(),
                d.plan_id.as_str()
            ),
            ("i-1", DB, LARGE)
        );
        assert!(d.accepts_incomplete);
        assert_eq!(plan_index(&d), Some(1));
        assert_eq!(d.meta, expected_meta());
    }
}

#[tokio::test]
async fn polling_and_fetching_receive_hints_and_operation() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = with_identities(req(
            Method::GET,
            &format!("/v2/service_instances/i-1?{DB_SMALL}"),
        ))
        .send(to)
        .await;
        assert_eq!(r.status, 200);
        let f = broker.last_fetch_instance();
        assert_eq!(f.instance_id, "i-1");
        assert_eq!(f.service_id.as_deref(), Some(DB));
        assert_eq!(f.plan_id.as_deref(), Some(SMALL));
        assert_eq!(f.meta, expected_meta());

        let r = req(
            Method::GET,
            "/v2/service_instances/i-1/last_operation?operation=create%20db%2F1&plan_id=plan-large",
        )
        .send(to)
        .await;
        assert_eq!(r.status, 200);
        let l = broker.last_last_operation();
        assert_eq!(l.instance_id, "i-1");
        assert_eq!(l.operation.as_deref(), Some("create db/1"));
        assert_eq!((l.service_id, l.plan_id.as_deref()), (None, Some(LARGE)));

        // An empty value is no value.
        let r = req(
            Method::GET,
            "/v2/service_instances/i-1/last_operation?operation=&service_id=",
        )
        .send(to)
        .await;
        assert_eq!(r.status, 200);
        let l = broker.last_last_operation();
        assert_eq!((l.operation, l.service_id), (None, None));

        let r = with_identities(req(
            Method::GET,
            &format!("/v2/service_instances/i-1/service_bindings/b-1?{DB_SMALL}"),
        ))
        .send(to)
        .await;
        assert_eq!(r.status, 200);
        let f = broker.last_fetch_binding();
        assert_eq!(
            (f.instance_id.as_str(), f.binding_id.as_str()),
            ("i-1", "b-1")
        );
        assert_eq!(f.service_id.as_deref(), Some(DB));
        assert_eq!(f.plan_id.as_deref(), Some(SMALL));
        assert_eq!(f.meta, expected_meta());

        let r = req(
            Method::GET,
            "/v2/service_instances/i-1/service_bindings/b-1/last_operation?operation=bind-op",
        )
        .send(to)
        .await;
        assert_eq!(r.status, 200);
        let l = broker.last_binding_last_operation();
        assert_eq!(
            (l.instance_id.as_str(), l.binding_id.as_str()),
            ("i-1", "b-1")
        );
        assert_eq!(l.operation.as_deref(), Some("bind-op"));
        assert_eq!((l.service_id, l.plan_id), (None, None));
    }
}

#[tokio::test]
async fn bind_receives_the_whole_request() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = with_identities(req(
            Method::PUT,
            "/v2/service_instances/i-1/service_bindings/b-2?accepts_incomplete=true",
        ))
        .json(json!({
            "service_id": DB,
            "plan_id": ROTATING,
            "context": {"platform": "cloudfoundry", "organization_guid": "org", "space_guid": "space"},
            "app_guid": "app-old",
            "bind_resource": {
                "app_guid": "app-1",
                "route": "shop.example.com",
                "space_guid": "space",
                "credential_client_id": "cc-1",
                "x-extra": "kept"
            },
            "parameters": {"role": "reader"},
            "predecessor_binding_id": "b-1"
        }))
        .send(to)
        .await;
        assert_eq!(r.status, 201, "{}", r.text());
        let b = broker.last_bind();
        assert_eq!(
            (b.instance_id.as_str(), b.binding_id.as_str()),
            ("i-1", "b-2")
        );
        assert_eq!((b.service_id.as_str(), b.plan_id.as_str()), (DB, ROTATING));
        assert_eq!(plan_index(&b), Some(2));
        assert!(b.accepts_incomplete);
        assert_eq!(b.meta, expected_meta());
        assert_eq!(b.context.as_ref().unwrap().platform(), Some("cloudfoundry"));
        assert_eq!(b.app_guid.as_deref(), Some("app-old"));
        // bind_resource.app_guid wins over the deprecated field.
        assert_eq!(b.app(), Some("app-1"));
        let mut extra = serde_json::Map::new();
        extra.insert("x-extra".to_owned(), Value::from("kept"));
        assert_eq!(
            b.bind_resource,
            Some(BindResource {
                app_guid: Some("app-1".to_owned()),
                route: Some("shop.example.com".to_owned()),
                space_guid: Some("space".to_owned()),
                app_annotations: None,
                credential_client_id: Some("cc-1".to_owned()),
                extra,
            })
        );
        assert_eq!(
            b.parameters.as_ref().unwrap().as_raw().get(),
            raw(&json!({"role": "reader"}))
        );
        assert_eq!(b.predecessor_binding_id.as_deref(), Some("b-1"));
    }
}

#[tokio::test]
async fn unbind_receives_the_whole_request() {
    let (app, broker) = app();
    for to in &targets(app).await {
        println!("{to}");
        let r = with_identities(req(
            Method::DELETE,
            &format!("/v2/service_instances/i-1/service_bindings/b-1?{DB_SMALL}"),
        ))
        .send(to)
        .await;
        r.assert_json(200, json!({}));
        let u = broker.last_unbind();
        assert_eq!(
            (
                u.instance_id.as_str(),
                u.binding_id.as_str(),
                u.service_id.as_str(),
                u.plan_id.as_str()
            ),
            ("i-1", "b-1", DB, SMALL)
        );
        assert!(!u.accepts_incomplete);
        assert_eq!(plan_index(&u), Some(0));
        assert_eq!(u.meta, expected_meta());
    }
}

#[tokio::test]
async fn bearer_tokens_name_the_principal() {
    let broker = Scripted::default();
    let app = osb::Builder::new()
        .broker(broker.clone())
        .auth(
            osb::auth::BearerAuth::new()
                .token("t-prod", "cf-prod")
                .token("t-dev", "cf-dev"),
        )
        .build()
        .unwrap();
    for to in &targets(app).await {
        println!("{to}");
        for (token, principal) in [("t-prod", "cf-prod"), ("t-dev", "cf-dev")] {
            let r = req(Method::GET, "/v2/service_instances/i-1")
                .header("authorization", &format!("Bearer {token}"))
                .send(to)
                .await;
            assert_eq!(r.status, 200);
            assert_eq!(
                broker.last_fetch_instance().meta.principal,
                Some(Principal::new(principal))
            );
        }
        let r = req(Method::GET, "/v2/catalog")
            .header("authorization", "Bearer t-other")
            .send(to)
            .await;
        r.assert_json(
            401,
            json!({"description": "The bearer token is not valid."}),
        );
        assert_eq!(
            r.header("www-authenticate"),
            Some("Bearer realm=\"Open Service Broker API\"")
        );
        // Basic credentials are not a bearer token.
        let r = req(Method::GET, "/v2/catalog").send(to).await;
        r.assert_json(
            401,
            json!({"description": "The Authorization header must use the Bearer scheme."}),
        );
    }
}

#[tokio::test]
async fn without_authentication_there_is_no_principal() {
    let broker = Scripted::default();
    let app = osb::Builder::new()
        .broker(broker.clone())
        .auth(osb::auth::Auth::none())
        .build()
        .unwrap();
    for to in &targets(app).await {
        println!("{to}");
        let r = req(Method::GET, "/v2/service_instances/i-1")
            .without("authorization")
            .send(to)
            .await;
        assert_eq!(r.status, 200);
        assert_eq!(broker.last_fetch_instance().meta.principal, None);
        // Whatever is sent is ignored.
        let r = req(Method::GET, "/v2/catalog")
            .header("authorization", "Bearer anything")
            .send(to)
            .await;
        assert_eq!(r.status, 200);
        // The version is still checked.
        let r = req(Method::GET, "/v2/catalog")
            .without("authorization")
            .without("x-broker-api-version")
            .send(to)
            .await;
        r.assert_error(412);
        assert_eq!(r.header("www-authenticate"), None);
    }
}

/// Real platforms send empty sub-objects: `"bind_resource": {}` is a bind resource
/// with nothing in it, not a bad request.
#[tokio::test]
async fn an_empty_bind_resource_is_accepted() {
    let (app, broker) = app();
    let r = req(
        Method::PUT,
        "/v2/service_instances/i-1/service_bindings/b-1",
    )
    .json(json!({ "service_id": DB, "plan_id": SMALL, "bind_resource": {} }))
    .send(&app)
    .await;
    assert_eq!(r.status, 201, "{}", r.text());
    let b = broker.last_bind();
    assert_eq!(b.app(), None);
    let resource = b.bind_resource.expect("an empty bind_resource is kept");
    assert_eq!(resource.app_guid, None);
    assert!(resource.extra.is_empty());
}
