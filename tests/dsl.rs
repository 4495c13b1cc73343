//! The DSL as users write it in unusual places: under `#![no_implicit_prelude]`, from
//! inside `macro_rules!`, next to user types named `Result`, `Option`, `Box` and
//! `String`, on generic brokers with `where` clauses, several brokers and offerings in
//! one crate; and what the generated brokers then do over HTTP.

mod common;

use common::{Call2, Reply, basic, req};
use http::Method;
use osb::dsl::{CatalogDef, PlanDef, ServiceDef};
use serde_json::json;

/// Generated code must name everything by absolute path: nothing here is in scope.
#[no_implicit_prelude]
mod hygiene {
    // User types that shadow the prelude's names.
    #[allow(dead_code)]
    pub struct Result;
    #[allow(dead_code)]
    pub struct Option;
    #[allow(dead_code)]
    pub struct Box;
    #[allow(dead_code)]
    pub struct String;
    #[allow(dead_code)]
    pub struct Vec;

    // schemars' derive itself needs the prelude, so the parameter type lives outside.
    use super::Params;

    /// An offering declared without a prelude.
    #[::osb::service(id = "hyg-svc", bindable, instances_retrievable, plans(Plain, Typed))]
    pub struct Hygienic;

    /// A plan with raw parameters.
    #[::osb::plan(id = "hyg-plain", asynchronous(provision))]
    pub struct Plain;

    /// A plan with typed parameters.
    #[::osb::plan(id = "hyg-typed", provision = Params, update = Params, plan_updateable)]
    pub struct Typed;

    pub struct HygienicBroker;

    #[::osb::broker(services(Hygienic))]
    impl HygienicBroker {
        #[provision(Plain)]
        async fn provision_plain(
            &self,
            _request: ::osb::Provision,
        ) -> ::core::result::Result<::osb::Provisioned, ::osb::Error> {
            ::core::result::Result::Ok(::osb::Provisioned::accepted("op"))
        }

        #[provision(Typed)]
        async fn provision_typed(
            &self,
            request: ::osb::Provision<Params>,
        ) -> ::core::result::Result<::osb::Provisioned, ::osb::Error> {
            let url = ::std::format!("https://dash/{}", request.parameters.count);
            ::core::result::Result::Ok(::osb::Provisioned::created().dashboard_url(url))
        }

        #[update(Typed)]
        async fn update(
            &self,
            _request: ::osb::Update<Params>,
        ) -> ::core::result::Result<::osb::Updated, ::osb::Error> {
            ::core::result::Result::Ok(::osb::Updated::completed())
        }

        #[deprovision]
        async fn deprovision(&self, _request: ::osb::Deprovision) -> ::osb::Deprovisioned {
            ::osb::Deprovisioned::completed()
        }

        #[fetch_instance]
        async fn fetch(
            &self,
            _request: ::osb::FetchInstance,
        ) -> ::core::result::Result<::osb::InstanceDetails, ::osb::Error> {
            ::core::result::Result::Err(::osb::Error::instance_not_found())
        }

        #[last_operation]
        async fn poll(
            &self,
            _request: ::osb::LastOperation,
        ) -> ::core::result::Result<::osb::OperationReport, ::osb::Error> {
            ::core::result::Result::Ok(::osb::OperationReport::succeeded())
        }

        #[bind(Plain, Typed)]
        async fn bind(
            &self,
            _request: ::osb::Bind,
        ) -> ::core::result::Result<::osb::Bound, ::osb::Error> {
            ::core::result::Result::Ok(::osb::Bound::created(::osb::Binding::new()))
        }

        #[unbind]
        async fn unbind(
            &self,
            _request: ::osb::Unbind,
        ) -> ::core::result::Result<::osb::Unbound, ::osb::Error> {
            ::core::result::Result::Ok(::osb::Unbound::completed())
        }
    }
}

/// Parameters of the hygienic plan.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Params {
    /// A count.
    #[serde(default)]
    pub count: u8,
}

/// Declares an offering, its plan and a broker: the macros must work on tokens that
/// come from a `macro_rules!` expansion.
macro_rules! tiny_broker {
    ($broker:ident, $service:ident, $plan:ident, $service_id:literal, $plan_id:literal) => {
        /// An offering declared by `macro_rules!`.
        #[osb::service(id = $service_id, plans($plan))]
        pub struct $service;

        /// A plan declared by `macro_rules!`.
        #[osb::plan(id = $plan_id)]
        pub struct $plan;

        pub struct $broker;

        #[osb::broker(services($service))]
        impl $broker {
            #[provision($plan)]
            async fn provision(&self, _: osb::Provision) -> Result<osb::Provisioned, osb::Error> {
                Ok(osb::Provisioned::created())
            }

            #[deprovision]
            async fn deprovision(
                &self,
                _: osb::Deprovision,
            ) -> Result<osb::Deprovisioned, osb::Error> {
                Ok(osb::Deprovisioned::completed())
            }
        }
    };
}

tiny_broker!(Alpha, AlphaService, AlphaPlan, "alpha-svc", "alpha-plan");
tiny_broker!(Beta, BetaService, BetaPlan, "beta-svc", "beta-plan");

/// Any store, shared by reference.
pub trait Store: Send + Sync + 'static {
    fn name(&self) -> &'static str;
}

pub struct Memory;

impl Store for Memory {
    fn name(&self) -> &'static str {
        "memory"
    }
}

/// An offering served by a generic broker.
#[osb::service(id = "gen-svc", plans(GenericPlan))]
pub struct GenericService;

/// A plan of the generic broker.
#[osb::plan(id = "gen-plan")]
pub struct GenericPlan;

pub struct GenericBroker<S, const N: usize> {
    store: S,
}

#[osb::broker(services(GenericService))]
impl<S, const N: usize> GenericBroker<S, N>
where
    S: Store,
{
    #[provision(GenericPlan)]
    async fn provision(&self, _: osb::Provision) -> Result<osb::Provisioned, osb::Error> {
        Ok(osb::Provisioned::created().dashboard_url(format!("https://{}/{N}", self.store.name())))
    }

    #[deprovision]
    async fn deprovision(&self, _: osb::Deprovision) -> Result<osb::Deprovisioned, osb::Error> {
        Ok(osb::Deprovisioned::completed())
    }
}

fn call(method: Method, uri: &str) -> Call2 {
    req(method, uri).header("authorization", &basic("admin", "admin"))
}

async fn send(app: &axum::Router, call: Call2) -> Reply {
    call.send(app).await
}

fn provision_body(service: &str, plan: &str) -> serde_json::Value {
    json!({"service_id": service, "plan_id": plan, "organization_guid": "o", "space_guid": "s"})
}

#[tokio::test]
async fn hygienic_broker_serves_its_plans() {
    let app = osb::router(
        hygiene::HygienicBroker,
        osb::auth::BasicAuth::new("admin", "admin"),
    );
    let typed = provision_body("hyg-svc", "hyg-typed");
    let mut with_count = typed.clone();
    with_count["parameters"] = json!({"count": 7});
    send(
        &app,
        call(Method::PUT, "/v2/service_instances/a").json(with_count),
    )
    .await
    .assert_json(201, json!({"dashboard_url": "https://dash/7"}));
    send(
        &app,
        call(Method::PUT, "/v2/service_instances/b").json(typed),
    )
    .await
    .assert_json(201, json!({"dashboard_url": "https://dash/0"}));
    // The plain plan is asynchronous only: the runtime answers before the handler.
    let plain = provision_body("hyg-svc", "hyg-plain");
    let reply = send(
        &app,
        call(Method::PUT, "/v2/service_instances/c").json(plain.clone()),
    )
    .await;
    assert_eq!(reply.assert_error(422)["error"], "AsyncRequired");
    send(
        &app,
        call(
            Method::PUT,
            "/v2/service_instances/c?accepts_incomplete=true",
        )
        .json(plain),
    )
    .await
    .assert_json(202, json!({"operation": "op"}));
    // A handler returning the success type itself (no Result) works too.
    send(
        &app,
        call(
            Method::DELETE,
            "/v2/service_instances/c?service_id=hyg-svc&plan_id=hyg-plain",
        ),
    )
    .await
    .assert_json(200, json!({}));
    // An update naming no plan goes to the only update handler.
    send(
        &app,
        call(Method::PATCH, "/v2/service_instances/a")
            .json(json!({"service_id": "hyg-svc", "parameters": {"count": 1}})),
    )
    .await
    .assert_json(200, json!({}));
}

#[tokio::test]
async fn brokers_from_macro_rules_share_one_router() {
    let app = osb::Builder::new()
        .broker(Alpha)
        .broker(Beta)
        .auth(osb::auth::BasicAuth::new("admin", "admin"))
        .build()
        .unwrap();
    let catalog = send(&app, call(Method::GET, "/v2/catalog")).await.json();
    assert_eq!(catalog["services"][0]["name"], "alpha-service");
    assert_eq!(catalog["services"][1]["name"], "beta-service");
    assert_eq!(
        catalog["services"][1]["plans"][0]["description"],
        "A plan declared by `macro_rules!`."
    );
    for (service, plan) in [("alpha-svc", "alpha-plan"), ("beta-svc", "beta-plan")] {
        send(
            &app,
            call(Method::PUT, "/v2/service_instances/x").json(provision_body(service, plan)),
        )
        .await
        .assert_json(201, json!({}));
    }
}

#[tokio::test]
async fn generic_broker_with_where_clause() {
    let broker: GenericBroker<Memory, 3> = GenericBroker { store: Memory };
    let app = osb::router(broker, osb::auth::BasicAuth::new("admin", "admin"));
    send(
        &app,
        call(Method::PUT, "/v2/service_instances/g").json(provision_body("gen-svc", "gen-plan")),
    )
    .await
    .assert_json(201, json!({"dashboard_url": "https://memory/3"}));
    assert_eq!(
        <GenericBroker<Memory, 3> as CatalogDef>::catalog().services[0].id,
        "gen-svc"
    );
}

#[test]
fn generated_data_is_reachable_from_code() {
    assert_eq!(<hygiene::Typed as PlanDef>::ID, "hyg-typed");
    assert_eq!(<hygiene::Typed as PlanDef>::NAME, "typed");
    assert_eq!(
        <hygiene::Hygienic as ServiceDef>::PLAN_IDS,
        ["hyg-plain", "hyg-typed"]
    );
    let catalog = <hygiene::HygienicBroker as CatalogDef>::catalog();
    assert!(catalog.validate().is_ok());
    let typed = &catalog.services[0].plans[1];
    assert_eq!(
        typed.provision_parameters_schema().unwrap()["properties"]["count"]["description"],
        "A count."
    );
    assert_eq!(typed.plan_updateable, Some(true));
}

/// A parameter type the macro cannot tell from an object by its name (a newtype of a
/// number) publishes a schema that refuses every request: building the router says so.
mod newtype_parameters {
    use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};

    /// A size, in megabytes.
    #[derive(serde::Deserialize, schemars::JsonSchema)]
    pub struct Size(#[allow(dead_code, reason = "only its schema matters")] pub u32);

    /// Numbers.
    #[osb::service(id = "svc-newtype", plans(Sized))]
    pub struct Numbers;

    /// Sized.
    #[osb::plan(id = "plan-newtype", provision = Size)]
    pub struct Sized;

    pub struct NewtypeBroker;

    #[osb::broker(services(Numbers))]
    impl NewtypeBroker {
        #[provision(Sized)]
        async fn provision(&self, _request: Provision<Size>) -> Result<Provisioned, Error> {
            Ok(Provisioned::created())
        }

        #[deprovision]
        async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
            Ok(Deprovisioned::completed())
        }
    }
}

#[test]
fn a_parameter_type_that_is_no_object_fails_the_build() {
    let err = osb::Builder::new()
        .broker(newtype_parameters::NewtypeBroker)
        .auth(osb::auth::Auth::none())
        .build()
        .expect_err("a schema of type integer refuses every request");
    assert_eq!(
        err.to_string(),
        "invalid catalog: schemas.service_instance.create.parameters of plan `sized` of `numbers` does not \
         describe a JSON object (its `type` is \"integer\"); parameters are always an object, \
         so every request would be refused: with the DSL, declare a struct or a map"
    );
}

/// An offering whose handlers `#[cfg]` chooses: a fake for tests, the real one otherwise.
#[osb::service(id = "cfg-svc", bindable, plans(CfgPlan))]
pub struct CfgService;

/// A plan of the `#[cfg]` broker.
#[osb::plan(id = "cfg-plan")]
pub struct CfgPlan;

pub struct CfgBroker;

#[osb::broker(services(CfgService))]
impl CfgBroker {
    #[cfg(test)]
    #[provision(CfgPlan)]
    async fn fake_provision(&self, _: osb::Provision) -> Result<osb::Provisioned, osb::Error> {
        Ok(osb::Provisioned::created().dashboard_url("https://fake"))
    }

    #[cfg(not(test))]
    #[provision(CfgPlan)]
    async fn provision(&self, _: osb::Provision) -> Result<osb::Provisioned, osb::Error> {
        Ok(osb::Provisioned::created().dashboard_url("https://real"))
    }

    #[deprovision]
    async fn deprovision(&self, _: osb::Deprovision) -> Result<osb::Deprovisioned, osb::Error> {
        Ok(osb::Deprovisioned::completed())
    }

    /// Compiled out: the broker has no fetch handler, so the trait's default answers.
    #[cfg(any())]
    #[fetch_instance]
    async fn fetch_instance(
        &self,
        _: osb::FetchInstance,
    ) -> Result<osb::InstanceDetails, osb::Error> {
        Ok(osb::InstanceDetails::new("cfg-svc", "cfg-plan"))
    }

    #[cfg(any(unix, windows))]
    #[bind(CfgPlan)]
    async fn bind(&self, _: osb::Bind) -> Result<osb::Bound, osb::Error> {
        Ok(osb::Bound::created(osb::Binding::new()))
    }

    #[unbind]
    async fn unbind(&self, _: osb::Unbind) -> Result<osb::Unbound, osb::Error> {
        Ok(osb::Unbound::completed())
    }
}

#[tokio::test]
async fn cfg_chooses_the_handler_and_drops_the_compiled_out_ones() {
    let app = osb::router(CfgBroker, osb::auth::BasicAuth::new("admin", "admin"));
    // Integration tests build with `cfg(test)`: the fake answers.
    send(
        &app,
        call(Method::PUT, "/v2/service_instances/c").json(provision_body("cfg-svc", "cfg-plan")),
    )
    .await
    .assert_json(201, json!({"dashboard_url": "https://fake"}));
    send(
        &app,
        call(Method::PUT, "/v2/service_instances/c/service_bindings/b")
            .json(provision_body("cfg-svc", "cfg-plan")),
    )
    .await
    .assert_json(201, json!({}));
    // The compiled-out fetch handler is not called: the default answers.
    send(&app, call(Method::GET, "/v2/service_instances/c"))
        .await
        .assert_json(
            404,
            json!({"description": "This service broker does not support fetching service instances."}),
        );
}

/// A hand-written broker whose provision answers `in_background`.
struct Background;

impl osb::Broker for Background {
    fn catalog(&self) -> osb::catalog::Catalog {
        osb::catalog::Catalog::new([osb::catalog::ServiceOffering::new("bg-svc", "bg", "d")
            .plan(osb::catalog::Plan::new("bg-plan", "p", "d"))])
    }

    async fn provision(&self, _: osb::Provision) -> Result<osb::Provisioned, osb::Error> {
        Ok(osb::Provisioned::in_background(async { Ok(()) }))
    }

    async fn deprovision(&self, _: osb::Deprovision) -> Result<osb::Deprovisioned, osb::Error> {
        Ok(osb::Deprovisioned::completed())
    }
}

/// Work `in_background` needs a store to run it; without one the answer says so, in
/// its description (the platform's operator sees it), not only in a log.
#[tokio::test]
async fn in_background_without_a_store_says_what_is_missing() {
    let app = osb::router(Background, osb::auth::BasicAuth::new("admin", "admin"));
    send(
        &app,
        call(Method::PUT, "/v2/service_instances/x?accepts_incomplete=true")
            .json(provision_body("bg-svc", "bg-plan")),
    )
    .await
    .assert_json(
        500,
        json!({
            "description": "The service broker is misconfigured: a handler answered `in_background`, \
                            which needs a state store to run and poll the work; configure one with \
                            `Builder::store`."
        }),
    );
}
