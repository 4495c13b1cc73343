//! The DSL's vocabulary: the traits the macros implement (a plan, a service offering
//! and a broker's catalog known at compile time) and the attributes that mark
//! handlers inside an [`#[osb::broker]`](macro@crate::broker) impl.
//!
//! `#[osb::plan]` implements [`PlanDef`], `#[osb::service]` implements [`ServiceDef`] and
//! `#[osb::broker]` implements [`CatalogDef`] and [`Broker`](crate::Broker). Tests and
//! tools can read the generated data through them:
//!
//! ```
//! # use osb::dsl::PlanDef;
//! /// The only plan.
//! #[osb::plan(id = "4d0e3f0c-2a4b-4c41-9d66-6c7c0d1e2f3a")]
//! struct Basic;
//!
//! assert_eq!(<Basic as PlanDef>::NAME, "basic");
//! assert_eq!(<Basic as PlanDef>::definition().description, "The only plan.");
//! ```

pub mod rules;

use crate::catalog::Catalog;
use crate::error::Error;
use crate::request::Parameters;

/// A plan declared with `#[osb::plan]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a plan",
    label = "not declared with `#[osb::plan]`",
    note = "declare plans on types: `#[osb::plan(id = \"…\")] struct {Self};`"
)]
pub trait PlanDef: 'static {
    /// The plan's id.
    const ID: &'static str;
    /// The plan's name.
    const NAME: &'static str;
    /// The type of the provision parameters a handler receives.
    type Provision: Send + 'static;
    /// The type of the update parameters a handler receives.
    type Update: Send + 'static;
    /// The type of the bind parameters a handler receives.
    type Bind: Send + 'static;
    /// Whether the plan overrides its offering's `bindable` (`Yes`, `No`, `Inherit`).
    #[doc(hidden)]
    type Bindable;
    /// Whether the plan overrides its offering's `plan_updateable`.
    #[doc(hidden)]
    type Updateable;
    /// `Yes` if provision, update or deprovision are asynchronous only.
    #[doc(hidden)]
    type AsyncInstance;
    /// `Yes` if bind or unbind are asynchronous only.
    #[doc(hidden)]
    type AsyncBinding;
    /// `Yes` if the plan declares update parameters (`update = …`), which only an
    /// update handler can take.
    #[doc(hidden)]
    type UpdateParams;
    /// The plan's own `bindable`, if it sets one.
    #[doc(hidden)]
    const BINDABLE: Option<bool> = None;
    /// What the plan declares that only a bindable plan can have, as the message of
    /// the error when neither the plan nor its offering is bindable.
    #[doc(hidden)]
    const BINDING_ONLY: Option<&'static str> = None;

    /// The plan as it appears in the catalog, schemas included.
    fn definition() -> crate::catalog::Plan;

    /// Converts raw provision parameters into [`PlanDef::Provision`].
    fn provision_parameters(raw: Option<Parameters>) -> Result<Self::Provision, Error>;

    /// Converts raw update parameters into [`PlanDef::Update`].
    fn update_parameters(raw: Parameters) -> Result<Self::Update, Error>;

    /// Converts raw bind parameters into [`PlanDef::Bind`].
    fn bind_parameters(raw: Option<Parameters>) -> Result<Self::Bind, Error>;
}

/// A service offering declared with `#[osb::service]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a service offering",
    label = "not declared with `#[osb::service]`",
    note = "declare offerings on types: `#[osb::service(id = \"…\", plans(…))] struct {Self};`"
)]
pub trait ServiceDef: 'static {
    /// The offering's id.
    const ID: &'static str;
    /// The offering's name.
    const NAME: &'static str;
    /// The ids of its plans, in catalog order.
    const PLAN_IDS: &'static [&'static str];
    /// Whether each plan is bindable (its own flag, else the offering's), in the
    /// order of [`PLAN_IDS`](ServiceDef::PLAN_IDS).
    #[doc(hidden)]
    const PLAN_BINDABLE: &'static [bool] = &[];
    /// `instances_retrievable`.
    #[doc(hidden)]
    const INSTANCES_RETRIEVABLE: bool = false;
    /// `bindings_retrievable`.
    #[doc(hidden)]
    const BINDINGS_RETRIEVABLE: bool = false;

    /// The offering as it appears in the catalog, plans included.
    fn definition() -> crate::catalog::ServiceOffering;
}

/// A broker whose catalog is known without an instance: implemented by `#[osb::broker]`.
///
/// ```
/// # mod demo {
/// # use osb::{Deprovision, Deprovisioned, Error, Provision, Provisioned};
/// # /// A service.
/// # #[osb::service(id = "svc-1", plans(Basic))] pub struct Svc;
/// # /// A plan.
/// # #[osb::plan(id = "plan-1")] pub struct Basic;
/// # pub struct MyBroker;
/// # #[osb::broker(services(Svc))]
/// # impl MyBroker {
/// #     #[provision(Basic)] async fn provision(&self, _: Provision) -> Result<Provisioned, Error> { Ok(Provisioned::created()) }
/// #     #[deprovision] async fn deprovision(&self, _: Deprovision) -> Result<Deprovisioned, Error> { Ok(Deprovisioned::completed()) }
/// # }
/// # }
/// use osb::dsl::CatalogDef;
/// let json = demo::MyBroker::catalog().to_json();
/// assert!(json.starts_with(r#"{"services":[{"id":"svc-1","name":"svc""#));
/// ```
pub trait CatalogDef {
    /// The catalog the broker serves.
    fn catalog() -> Catalog;
}

/// Marks the provision handler of the listed plans inside an [`macro@crate::broker`] impl.
pub use osb_macros::provision;

/// Marks the update handler of the listed plans inside an [`macro@crate::broker`] impl.
pub use osb_macros::update;

/// Marks the deprovision handler (of every plan, or of the listed ones) inside an
/// [`macro@crate::broker`] impl.
pub use osb_macros::deprovision;

/// Marks the fetch-instance handler inside an [`macro@crate::broker`] impl.
pub use osb_macros::fetch_instance;

/// Marks the instance last-operation handler inside an [`macro@crate::broker`] impl.
pub use osb_macros::last_operation;

/// Marks the bind handler of the listed plans inside an [`macro@crate::broker`] impl.
pub use osb_macros::bind;

/// Marks the unbind handler (of every plan, or of the listed ones) inside an
/// [`macro@crate::broker`] impl.
pub use osb_macros::unbind;

/// Marks the fetch-binding handler inside an [`macro@crate::broker`] impl.
pub use osb_macros::fetch_binding;

/// Marks the binding last-operation handler inside an [`macro@crate::broker`] impl.
pub use osb_macros::binding_last_operation;

/// Marks the handler of interrupted work inside an [`macro@crate::broker`] impl
/// ([`Broker::resume`](crate::Broker::resume); with a state store only).
pub use osb_macros::resume;
