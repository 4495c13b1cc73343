//! Two offerings, three plans and all nine handler kinds, with typed and raw
//! parameters, plan lists and every-plan handlers, `#[osb::…]` and bare helpers.

use osb::response::OperationState;
use osb::schema::NoParams;
use osb::{
    Bind, Binding, BindingLastOperation, BindingOperationReport, Bound, Deprovision, Deprovisioned,
    Error, FetchBinding, FetchInstance, InstanceDetails, LastOperation, OperationReport, Provision,
    Provisioned, Unbind, Unbound, Update, Updated,
};
use schemars::JsonSchema;
use serde::Deserialize;

/// A database.
#[osb::service(
    id = "svc-db",
    bindable,
    instances_retrievable,
    bindings_retrievable,
    plan_updateable,
    tags("sql"),
    requires(syslog_drain, volume_mount),
    metadata(display_name = "Database", shareable),
    dashboard_client(id = "client", secret = "s3cr3t", redirect_uri = "https://example.com"),
    plans(Small, Large)
)]
pub struct Db;

/// A cache.
///
/// Its second paragraph becomes the long description.
#[osb::service(id = "svc-cache", plans(Tiny))]
pub struct Cache;

/// A small database.
#[osb::plan(
    id = "plan-small",
    free,
    provision = SmallParams,
    update = SmallParams,
    bind = NoParams,
    maintenance_info(version = "1.0.0", description = "The first release."),
    metadata(display_name = "Small", bullets("1 GiB"), cost(unit = "MONTHLY", usd = 0))
)]
pub struct Small;

#[osb::plan(
    id = "plan-large",
    description = "A large database.",
    free = false,
    bind = NoParams,
    asynchronous,
    maximum_polling_duration = 3600,
    binding_rotatable,
    requires_app
)]
pub struct Large;

/// A tiny cache.
#[osb::plan(id = "plan-tiny", name = "tiny.v2")]
pub struct Tiny;

/// Parameters of a small database.
#[derive(Deserialize, JsonSchema)]
pub struct SmallParams {
    /// Memory size in MiB.
    pub size_mb: u32,
}

pub struct MyBroker;

#[osb::broker(services(Db, Cache))]
impl MyBroker {
    #[provision(Small)]
    async fn provision_small(&self, request: Provision<SmallParams>) -> Result<Provisioned, Error> {
        let _size: u32 = request.parameters.size_mb;
        Ok(Provisioned::created())
    }

    #[osb::dsl::provision(Large, Tiny)]
    async fn provision_other(&self, _request: Provision) -> Result<Provisioned, Error> {
        Ok(Provisioned::created())
    }

    #[update(Small)]
    async fn update_small(&self, _request: Update<SmallParams>) -> Result<Updated, Error> {
        Ok(Updated::completed())
    }

    #[update(Large)]
    async fn update_large(&self, _request: Update) -> Result<Updated, Error> {
        Ok(Updated::completed())
    }

    #[deprovision]
    async fn deprovision(&self, _request: Deprovision) -> Result<Deprovisioned, Error> {
        Ok(Deprovisioned::completed())
    }

    #[fetch_instance]
    async fn fetch_instance(&self, request: FetchInstance) -> Result<InstanceDetails, Error> {
        Ok(InstanceDetails::new(request.instance_id, "plan-small"))
    }

    #[last_operation]
    async fn last_operation(&self, _request: LastOperation) -> Result<OperationReport, Error> {
        Ok(OperationReport::new(OperationState::Succeeded))
    }

    #[bind(Small, Large)]
    async fn bind(&self, _request: Bind<NoParams>) -> Result<Bound, Error> {
        Ok(Bound::created(Binding::new()))
    }

    #[unbind(Small, Large)]
    async fn unbind(&self, _request: Unbind) -> Result<Unbound, Error> {
        Ok(Unbound::completed())
    }

    #[fetch_binding]
    async fn fetch_binding(&self, _request: FetchBinding) -> Result<Binding, Error> {
        Ok(Binding::new())
    }

    #[binding_last_operation]
    async fn binding_last_operation(
        &self,
        _request: BindingLastOperation,
    ) -> Result<BindingOperationReport, Error> {
        Ok(BindingOperationReport::new(OperationState::Succeeded))
    }

    /// Methods without a helper attribute stay ordinary methods.
    fn helper(&self) -> u32 {
        1
    }
}

fn main() {
    assert_eq!(MyBroker.helper(), 1);
    let catalog = <MyBroker as osb::dsl::CatalogDef>::catalog();
    assert_eq!(catalog.services.len(), 2);
    let _router = osb::router(MyBroker, osb::auth::BasicAuth::new("admin", "admin"));
}
