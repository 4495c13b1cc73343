//! The reference broker written by hand against [`osb::Broker`], without macros.
//!
//! It serves the same catalog, byte for byte, and the same behaviour as
//! `cargo run --example reference` (with its state in memory), sharing its
//! parameter types; compare the two files to see what the DSL writes for you (the
//! catalog, the dispatch by plan, the typed parameters and the compile-time checks).
//!
//! ```text
//! cargo run --example handwritten          # 127.0.0.1:8080, admin/admin (OSB_LISTEN overrides)
//! cargo run --example handwritten -- --catalog
//! ```

use std::time::Duration;

use osb::catalog::{
    AsyncOperations, Catalog, Cost, MaintenanceInfo, Plan, PlanMetadata, ServiceMetadata,
    ServiceOffering,
};
use osb::request::Interrupted;
use osb::response::Resumed;
use osb::schema::{no_parameters_schema, parameters_schema};
use osb::store::{MemoryStore, OperationKind, StateConfig};
use osb::{
    Bind, Binding, Bound, Broker, Deprovision, Deprovisioned, Error, Provision, Provisioned,
    Unbind, Unbound, Update, Updated,
};
use rand::Rng as _;
use rand::distr::Alphanumeric;
use serde_json::json;

use osb_examples::reference::params::{LargeParams, SmallParams};

const SERVICE_ID: &str = "3f0e8a4c-6a1d-4c7e-9b2f-5d8e1a7c4b90";
const SMALL_ID: &str = "8a9c2d4e-1b3f-4a6c-8e0d-2f4a6c8e0b12";
const LARGE_ID: &str = "c1d3e5f7-2a4c-4e6a-8c0e-3b5d7f9a1c34";

/// The catalog, written out: the macros derive all of this from the attributes.
fn catalog() -> Catalog {
    let small = Plan::new(
        SMALL_ID,
        "small",
        "A small database, provisioned synchronously.",
    )
    .free(true)
    .binding_rotatable(true)
    .maintenance_info(MaintenanceInfo::new("1.0.0").description("The first release."))
    .metadata(PlanMetadata {
        display_name: Some("Small".into()),
        bullets: vec!["Up to 1 GiB".into(), "Synchronous".into()],
        ..PlanMetadata::default()
    })
    .provision_schema(parameters_schema::<SmallParams>())
    .update_schema(parameters_schema::<SmallParams>())
    .bind_schema(no_parameters_schema());
    let large = Plan::new(
        LARGE_ID,
        "large",
        "A large database, provisioned asynchronously.",
    )
    .free(false)
    .metadata(PlanMetadata {
        display_name: Some("Large".into()),
        bullets: vec!["Up to 64 GiB".into(), "Asynchronous".into()],
        costs: vec![Cost::new("usd", 9.99, "MONTHLY")],
        ..PlanMetadata::default()
    })
    .provision_schema(parameters_schema::<LargeParams>())
    .update_schema(parameters_schema::<LargeParams>())
    .bind_schema(no_parameters_schema())
    .async_only(AsyncOperations::ALL);
    Catalog::new([ServiceOffering::new(
        SERVICE_ID,
        "inmemory-db",
        "An in-memory key-value database, one per instance.",
    )
    .bindable(true)
    .instances_retrievable(true)
    .bindings_retrievable(true)
    .plan_updateable(true)
    .tag("database")
    .tag("in-memory")
    .metadata(ServiceMetadata {
        display_name: Some("In-memory DB".into()),
        provider_display_name: Some("open-service-broker".into()),
        ..ServiceMetadata::default()
    })
    .plan(small)
    .plan(large)])
}

/// The broker: how long the large plan's work takes. The router's state store
/// keeps everything else.
struct Handwritten {
    delay: Duration,
}

impl Handwritten {
    fn work(&self) -> impl Future<Output = Result<(), Error>> + Send + 'static {
        let delay = self.delay;
        async move {
            tokio::time::sleep(delay).await;
            Ok(())
        }
    }
}

fn credentials(instance_id: &str, binding_id: &str) -> Binding {
    let random = |len: usize| -> String {
        rand::rng()
            .sample_iter(&Alphanumeric)
            .take(len)
            .map(char::from)
            .collect()
    };
    Binding::new().credentials(&json!({
        "uri": format!("inmemory://{instance_id}/{binding_id}"),
        "username": format!("user-{}", random(8).to_lowercase()),
        "password": random(24),
    }))
}

impl Broker for Handwritten {
    const STATEFUL: bool = true;

    fn catalog(&self) -> Catalog {
        catalog()
    }

    async fn provision(&self, request: Provision) -> Result<Provisioned, Error> {
        // The router validated the parameters against the plan's schema already;
        // parsing applies the defaults, which fetching the instance reports.
        let parameters = request.parameters.as_ref();
        match request.plan_id.as_str() {
            LARGE_ID => {
                let parameters: LargeParams = parse_or_default(parameters)?;
                Ok(Provisioned::in_background(self.work()).parameters_in_force(&parameters))
            }
            _ => {
                let parameters: SmallParams = parse_or_default(parameters)?;
                Ok(Provisioned::created().parameters_in_force(&parameters))
            }
        }
    }

    async fn update(&self, request: Update) -> Result<Updated, Error> {
        // With a store, `target_plan_id` is known even when the request names no plan.
        let large = request.target_plan_id() == Some(LARGE_ID);
        let updated = if large {
            Updated::in_background(self.work())
        } else {
            Updated::completed()
        };
        Ok(match (&request.parameters, large) {
            (None, _) => updated,
            (Some(p), true) => updated.parameters_in_force(&p.parse::<LargeParams>()?),
            (Some(p), false) => updated.parameters_in_force(&p.parse::<SmallParams>()?),
        })
    }

    async fn deprovision(&self, request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(match request.plan_id.as_str() {
            LARGE_ID => Deprovisioned::in_background(self.work()),
            _ => Deprovisioned::completed(),
        })
    }

    async fn bind(&self, request: Bind) -> Result<Bound, Error> {
        let binding = credentials(&request.instance_id, &request.binding_id);
        if request.plan_id != LARGE_ID {
            return Ok(Bound::created(binding));
        }
        let work = self.work();
        Ok(Bound::in_background(async move {
            work.await?;
            Ok(binding)
        }))
    }

    async fn unbind(&self, request: Unbind) -> Result<Unbound, Error> {
        Ok(match request.plan_id.as_str() {
            LARGE_ID => Unbound::in_background(self.work()),
            _ => Unbound::completed(),
        })
    }

    async fn resume(&self, interrupted: Interrupted) -> Result<Resumed, Error> {
        Ok(match (interrupted.kind, &interrupted.binding_id) {
            (OperationKind::Bind, Some(binding_id)) => {
                Resumed::Bound(credentials(&interrupted.instance_id, binding_id))
            }
            _ => Resumed::Completed,
        })
    }
}

/// The request's parameters as `T`, or `T`'s defaults (`{}`) when there are none.
fn parse_or_default<T: serde::de::DeserializeOwned>(
    parameters: Option<&osb::request::Parameters>,
) -> Result<T, Error> {
    match parameters {
        Some(parameters) => parameters.parse(),
        None => serde_json::from_str("{}").map_err(|err| Error::bad_request(err.to_string())),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    if std::env::args().any(|arg| arg == "--catalog") {
        println!("{}", catalog().to_json());
        return Ok(());
    }
    let app = osb::Builder::new()
        .broker(Handwritten {
            delay: Duration::from_millis(1000),
        })
        .auth(osb::auth::BasicAuth::new("admin", "admin"))
        .store(MemoryStore::new())
        .state_config(StateConfig {
            retry_after: Duration::from_secs(1),
            ..StateConfig::default()
        })
        .build()?;
    let address = std::env::var("OSB_LISTEN").unwrap_or_else(|_| "127.0.0.1:8080".into());
    let listener = tokio::net::TcpListener::bind(&address).await?;
    println!(
        "handwritten broker listening on http://{}",
        listener.local_addr()?
    );
    osb::serve(listener, app).await?;
    Ok(())
}
