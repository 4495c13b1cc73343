//! What a handler sees of the HTTP request beyond the specification's fields (issue
//! 21, item 6): headers, the extensions a tower middleware put there (through the
//! `Broker` trait and through the macros), and that its client went away.

use std::time::Duration;

use axum::extract::Request;
use http::StatusCode;
use osb::auth::BasicAuth;
use osb::catalog::{Catalog, Plan, ServiceOffering};
use osb::store::MemoryStore;
use osb::testing::TestClient;
use osb::{Broker, Builder, Deprovision, Deprovisioned, Error, Provision, Provisioned};
use serde_json::json;
use tokio::io::AsyncWriteExt as _;
use tokio::sync::mpsc;
use tower::util::MapRequestLayer;

/// What the middleware hands on.
#[derive(Clone)]
struct Tenant(&'static str);

/// The middleware: puts the tenant in the request's extensions.
fn with_tenant(router: axum::Router) -> axum::Router {
    router.layer(MapRequestLayer::new(|mut request: Request| {
        request.extensions_mut().insert(Tenant("acme"));
        request
    }))
}

/// The answer of a handler that read the tenant and a header: its dashboard URL.
fn dashboard(request: &Provision<impl Sized>) -> String {
    let tenant = request
        .meta
        .http
        .extension::<Tenant>()
        .map_or("none", |t| t.0);
    let trace = request
        .meta
        .http
        .headers()
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("none");
    format!(
        "https://dashboard.example/{tenant}/{trace}{}",
        request.meta.http.uri().path()
    )
}

struct Db;

impl Broker for Db {
    fn catalog(&self) -> Catalog {
        Catalog::new([
            ServiceOffering::new("svc", "db", "A database").plan(Plan::new(
                "plan",
                "small",
                "A small one",
            )),
        ])
    }

    async fn provision(&self, request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created().dashboard_url(dashboard(&request)))
    }

    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

fn body(service_id: &str, plan_id: &str) -> serde_json::Value {
    json!({
        "service_id": service_id,
        "plan_id": plan_id,
        "organization_guid": "org",
        "space_guid": "space",
    })
}

#[tokio::test]
async fn a_middleware_value_and_the_headers_reach_the_handler() {
    let router = Builder::new()
        .broker(Db)
        .auth(BasicAuth::new("admin", "secret"))
        .build()
        .unwrap();
    let client = TestClient::new(with_tenant(router))
        .basic_auth("admin", "secret")
        .header("traceparent", "00-4bf92f-00f067-01");
    let answer = client.provision("i-1", &body("svc", "plan"), false).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(
        answer.json(),
        json!({"dashboard_url": "https://dashboard.example/acme/00-4bf92f-00f067-01/v2/service_instances/i-1"})
    );

    // Without the middleware, nothing is made up.
    let router = Builder::new()
        .broker(Db)
        .auth(BasicAuth::new("admin", "secret"))
        .build()
        .unwrap();
    let client = TestClient::new(router).basic_auth("admin", "secret");
    let answer = client.provision("i-2", &body("svc", "plan"), false).await;
    assert_eq!(
        answer.json(),
        json!({"dashboard_url": "https://dashboard.example/none/none/v2/service_instances/i-2"})
    );
}

/// The same through the macros: the handler's request type carries it.
mod dsl {
    use osb::{Error, Provision, Provisioned};

    /// An offering of the macro-written broker.
    #[osb::service(id = "dsl-svc", plans(DslPlan))]
    pub struct DslService;

    /// Its plan.
    #[osb::plan(id = "dsl-plan")]
    pub struct DslPlan;

    pub struct DslBroker;

    #[osb::broker(services(DslService))]
    impl DslBroker {
        #[provision(DslPlan)]
        async fn provision(&self, request: Provision) -> Result<Provisioned, Error> {
            Ok(Provisioned::created().dashboard_url(super::dashboard(&request)))
        }

        #[deprovision]
        async fn deprovision(&self, _: osb::Deprovision) -> Result<osb::Deprovisioned, Error> {
            Ok(osb::Deprovisioned::completed())
        }
    }
}

#[tokio::test]
async fn a_middleware_value_reaches_a_handler_written_with_the_macros() {
    let router = osb::router(dsl::DslBroker, BasicAuth::new("admin", "secret"));
    let client = TestClient::new(with_tenant(router)).basic_auth("admin", "secret");
    let answer = client
        .provision("i-1", &body("dsl-svc", "dsl-plan"), false)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    assert_eq!(
        answer.json(),
        json!({"dashboard_url": "https://dashboard.example/acme/none/v2/service_instances/i-1"})
    );
}

/// A broker whose provision waits for its client to go away, and says what it saw.
struct Patient {
    started: mpsc::UnboundedSender<()>,
    saw: mpsc::UnboundedSender<&'static str>,
}

impl Broker for Patient {
    fn catalog(&self) -> Catalog {
        Db.catalog()
    }

    async fn provision(&self, request: Provision) -> Result<Provisioned, Error> {
        let _ = self.started.send(());
        let saw = tokio::select! {
            () = request.meta.http.disconnected() => "the client went away",
            () = tokio::time::sleep(Duration::from_secs(30)) => "nothing in 30 s",
        };
        assert!(request.meta.http.is_disconnected());
        let _ = self.saw.send(saw);
        Err(Error::internal("nobody waits for this provision"))
    }

    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }
}

#[tokio::test]
async fn a_handler_learns_that_its_client_went_away() {
    let (started_tx, mut started) = mpsc::unbounded_channel();
    let (saw_tx, mut saw) = mpsc::unbounded_channel();
    // With a store, the write runs to its end after the client hangs up: it can
    // notice and give up.
    let router = Builder::new()
        .broker(Patient {
            started: started_tx,
            saw: saw_tx,
        })
        .auth(osb::auth::Auth::none())
        .store(MemoryStore::new())
        .build()
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(osb::server::serve_with_shutdown(
        listener,
        router,
        async move {
            let _ = stopped.await;
        },
    ));

    let json = body("svc", "plan").to_string();
    let request = format!(
        "PUT /v2/service_instances/i-1 HTTP/1.1\r\nhost: 127.0.0.1\r\n\
         x-broker-api-version: 2.17\r\ncontent-type: application/json\r\n\
         content-length: {}\r\n\r\n{json}",
        json.len()
    );
    let mut client = tokio::net::TcpStream::connect(address).await.unwrap();
    client.write_all(request.as_bytes()).await.unwrap();
    tokio::time::timeout(Duration::from_secs(10), started.recv())
        .await
        .expect("the handler starts")
        .unwrap();
    drop(client);
    let seen = tokio::time::timeout(Duration::from_secs(10), saw.recv())
        .await
        .expect("the handler hears of it")
        .unwrap();
    assert_eq!(seen, "the client went away");

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
