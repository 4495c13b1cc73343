//! Plumbing for the code `#[osb::broker]`, `#[osb::service]` and `#[osb::plan]`
//! generate. Not a public API: it changes with the macros, which are pinned to this
//! exact version of the crate.
//!
//! Each check the macros cannot make by reading tokens is a trait bound here with a
//! `#[diagnostic::on_unimplemented]` message, placed by the macro at the user's span,
//! so the error reads as a sentence about the user's code.

use serde::de::DeserializeOwned;

use crate::dsl::PlanDef;
use crate::error::Error;
use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
use crate::request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};
use crate::request::{Interrupted, Parameters};
use crate::response::Resumed;
use crate::response::binding::{Binding, Bound, Unbound};
use crate::response::instance::{Deprovisioned, InstanceDetails, Provisioned, Updated};
use crate::response::operation::{BindingOperationReport, OperationReport};

/// A type a plan can declare for its parameters.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a parameter type: derive `serde::Deserialize` and `schemars::JsonSchema` for it",
    label = "used as a parameter type here",
    note = "the catalog publishes the type's JSON Schema and the runtime deserializes requests into it"
)]
pub trait ParameterType: DeserializeOwned + schemars::JsonSchema + Send + 'static {}
impl<T: DeserializeOwned + schemars::JsonSchema + Send + 'static> ParameterType for T {}

/// The draft-04 schema a plan publishes for parameter type `T`.
pub fn schema_of<T: ParameterType>() -> serde_json::Value {
    crate::schema::parameters_schema::<T>()
}

/// Type-level flag: the plan sets the property to `true`.
pub struct Yes;
/// Type-level flag: the plan sets the property to `false`.
pub struct No;
/// Type-level flag: the plan inherits the property from its offering.
pub struct Inherit;

/// A plan's flag resolved against its offering's (`Yes`/`No`).
pub trait Resolve<Offering> {
    /// The effective flag.
    type Out;
}
impl<S> Resolve<S> for Yes {
    type Out = Yes;
}
impl<S> Resolve<S> for No {
    type Out = No;
}
impl<S> Resolve<S> for Inherit {
    type Out = S;
}

// `#[diagnostic::on_unimplemented]` takes string literals only (no `concat!`), so
// every message is spelled out.

/// The broker has a `#[provision]` handler for plan `P`.
#[diagnostic::on_unimplemented(
    message = "broker `{Self}` has no `#[provision]` handler for plan `{P}`",
    label = "missing `#[provision({P})]` handler",
    note = "every plan of every offering the broker serves needs a provision handler"
)]
pub trait ProvisionFor<P> {}

/// The broker has an `#[update]` handler for plan `P`.
#[diagnostic::on_unimplemented(
    message = "broker `{Self}` has no `#[update]` handler for plan `{P}`",
    label = "missing `#[update({P})]` handler",
    note = "the plan is `plan_updateable`, or its offering allows context updates"
)]
pub trait UpdateFor<P> {}

/// The broker has a `#[deprovision]` handler for plan `P`.
#[diagnostic::on_unimplemented(
    message = "broker `{Self}` has no `#[deprovision]` handler for plan `{P}`",
    label = "missing `#[deprovision]` handler",
    note = "every plan needs a deprovision handler; `#[deprovision]` without plans covers them all"
)]
pub trait DeprovisionFor<P> {}

/// The broker has a `#[bind]` handler for plan `P`.
#[diagnostic::on_unimplemented(
    message = "broker `{Self}` has no `#[bind]` handler for plan `{P}`",
    label = "missing `#[bind({P})]` handler",
    note = "the plan is bindable (its own `bindable` or its offering's)"
)]
pub trait BindFor<P> {}

/// The broker has an `#[unbind]` handler for plan `P`.
#[diagnostic::on_unimplemented(
    message = "broker `{Self}` has no `#[unbind]` handler for plan `{P}`",
    label = "missing `#[unbind]` handler",
    note = "the plan is bindable; `#[unbind]` without plans covers them all"
)]
pub trait UnbindFor<P> {}

/// The broker has a `#[fetch_instance]` handler.
#[diagnostic::on_unimplemented(
    message = "broker `{Self}` has no `#[fetch_instance]` handler, but an offering it serves declares `instances_retrievable`",
    label = "missing `#[fetch_instance]` handler",
    note = "or let the state store answer it: `#[osb::broker(services(…), stateful)]` with `Builder::store`"
)]
pub trait FetchInstanceHandler {}

/// The broker has a `#[fetch_binding]` handler.
#[diagnostic::on_unimplemented(
    message = "broker `{Self}` has no `#[fetch_binding]` handler, but an offering it serves declares `bindings_retrievable`",
    label = "missing `#[fetch_binding]` handler",
    note = "or let the state store answer it: `#[osb::broker(services(…), stateful)]` with `Builder::store`"
)]
pub trait FetchBindingHandler {}

/// The broker has a `#[last_operation]` handler.
#[diagnostic::on_unimplemented(
    message = "broker `{Self}` has no `#[last_operation]` handler, but a plan it serves provisions, updates or deprovisions asynchronously",
    label = "missing `#[last_operation]` handler",
    note = "or let the state store answer it: `#[osb::broker(services(…), stateful)]` with `Builder::store`"
)]
pub trait LastOperationHandler {}

/// The broker has a `#[binding_last_operation]` handler.
#[diagnostic::on_unimplemented(
    message = "broker `{Self}` has no `#[binding_last_operation]` handler, but a plan it serves binds or unbinds asynchronously",
    label = "missing `#[binding_last_operation]` handler",
    note = "or let the state store answer it: `#[osb::broker(services(…), stateful)]` with `Builder::store`"
)]
pub trait BindingLastOperationHandler {}

/// Binding handlers are required for plan `P` of broker `B` when the effective
/// `bindable` is `Yes`.
pub trait BindCovered<B, P> {}
impl<B, P> BindCovered<B, P> for No {}
impl<B: BindFor<P> + UnbindFor<P>, P> BindCovered<B, P> for Yes {}

/// An update handler is required for plan `P` when the effective `plan_updateable` is `Yes`.
pub trait UpdateCovered<B, P> {}
impl<B, P> UpdateCovered<B, P> for No {}
impl<B: UpdateFor<P>, P> UpdateCovered<B, P> for Yes {}

/// `#[last_operation]` is required when a plan has asynchronous instance operations.
pub trait InstancePollCovered<B> {}
impl<B> InstancePollCovered<B> for No {}
impl<B: LastOperationHandler> InstancePollCovered<B> for Yes {}

/// `#[binding_last_operation]` is required when a plan is bindable (`Self`, the
/// effective flag) and has asynchronous binding operations (`Async`).
pub trait BindingPollCovered<B, Async> {}
impl<B, Async> BindingPollCovered<B, Async> for No {}
impl<B> BindingPollCovered<B, No> for Yes {}
impl<B: BindingLastOperationHandler> BindingPollCovered<B, Yes> for Yes {}

/// The parameters a handler takes are the ones its plan declares.
#[diagnostic::on_unimplemented(
    message = "the handler takes parameters of type `{Self}`, but plan `{P}` declares `{Declared}`",
    label = "expected parameters of type `{Declared}` here",
    note = "the plan's `provision = …`, `update = …` or `bind = …` key sets the parameter type; a plan without one takes raw `osb::request::Parameters`"
)]
pub trait SameParams<Declared, P> {
    /// The identity.
    fn cast(value: Declared) -> Self;
}
impl<T, P> SameParams<T, P> for T {
    fn cast(value: T) -> T {
        value
    }
}

macro_rules! request_kind {
    ($($(#[$doc:meta])* $trait:ident for $ty:ident;)*) => {$(
        $(#[$doc])*
        pub trait $trait: Sized {
            /// The parameter type.
            type Params;
            /// The identity on the request.
            fn from_typed(request: $ty<Self::Params>) -> Self;
        }
        impl<T> $trait for $ty<T> {
            type Params = T;
            fn from_typed(request: $ty<T>) -> Self {
                request
            }
        }
    )*};
}

request_kind! {
    /// `Provision<P>`.
    #[diagnostic::on_unimplemented(
        message = "`#[provision]` handlers take `osb::Provision<P>`, not `{Self}`",
        label = "expected `osb::Provision<…>`"
    )]
    ProvisionRequest for Provision;
    /// `Update<P>`.
    #[diagnostic::on_unimplemented(
        message = "`#[update]` handlers take `osb::Update<P>`, not `{Self}`",
        label = "expected `osb::Update<…>`"
    )]
    UpdateRequest for Update;
    /// `Bind<P>`.
    #[diagnostic::on_unimplemented(
        message = "`#[bind]` handlers take `osb::Bind<P>`, not `{Self}`",
        label = "expected `osb::Bind<…>`"
    )]
    BindRequest for Bind;
}

macro_rules! plain_request_kind {
    ($($(#[$doc:meta])* $trait:ident for $ty:ident;)*) => {$(
        $(#[$doc])*
        pub trait $trait: Sized {
            /// The identity on the request.
            fn from_request(request: $ty) -> Self;
        }
        impl $trait for $ty {
            fn from_request(request: $ty) -> Self {
                request
            }
        }
    )*};
}

plain_request_kind! {
    /// `Deprovision`.
    #[diagnostic::on_unimplemented(
        message = "`#[deprovision]` handlers take `osb::Deprovision`, not `{Self}`",
        label = "expected `osb::Deprovision`"
    )]
    DeprovisionRequest for Deprovision;
    /// `FetchInstance`.
    #[diagnostic::on_unimplemented(
        message = "`#[fetch_instance]` handlers take `osb::FetchInstance`, not `{Self}`",
        label = "expected `osb::FetchInstance`"
    )]
    FetchInstanceRequest for FetchInstance;
    /// `LastOperation`.
    #[diagnostic::on_unimplemented(
        message = "`#[last_operation]` handlers take `osb::LastOperation`, not `{Self}`",
        label = "expected `osb::LastOperation`"
    )]
    LastOperationRequest for LastOperation;
    /// `Unbind`.
    #[diagnostic::on_unimplemented(
        message = "`#[unbind]` handlers take `osb::Unbind`, not `{Self}`",
        label = "expected `osb::Unbind`"
    )]
    UnbindRequest for Unbind;
    /// `FetchBinding`.
    #[diagnostic::on_unimplemented(
        message = "`#[fetch_binding]` handlers take `osb::FetchBinding`, not `{Self}`",
        label = "expected `osb::FetchBinding`"
    )]
    FetchBindingRequest for FetchBinding;
    /// `BindingLastOperation`.
    #[diagnostic::on_unimplemented(
        message = "`#[binding_last_operation]` handlers take `osb::BindingLastOperation`, not `{Self}`",
        label = "expected `osb::BindingLastOperation`"
    )]
    BindingLastOperationRequest for BindingLastOperation;
    /// `request::Interrupted`.
    #[diagnostic::on_unimplemented(
        message = "`#[resume]` handlers take `osb::request::Interrupted`, not `{Self}`",
        label = "expected `osb::request::Interrupted`"
    )]
    ResumeRequest for Interrupted;
}

/// Converts the runtime's raw provision request into the one the handler of plan `P` takes.
pub fn provision_request<P: PlanDef, A>(request: Provision) -> Result<A, Error>
where
    A: ProvisionRequest,
    A::Params: SameParams<P::Provision, P>,
{
    let typed = request.try_map_parameters(P::provision_parameters)?;
    Ok(A::from_typed(typed.map_parameters(A::Params::cast)))
}

/// Converts the raw update request into the one the handler of plan `P` takes.
pub fn update_request<P: PlanDef, A>(request: Update) -> Result<A, Error>
where
    A: UpdateRequest,
    A::Params: SameParams<P::Update, P>,
{
    let typed = request.try_map_parameters(P::update_parameters)?;
    Ok(A::from_typed(typed.map_parameters(A::Params::cast)))
}

/// Converts the raw bind request into the one the handler of plan `P` takes.
pub fn bind_request<P: PlanDef, A>(request: Bind) -> Result<A, Error>
where
    A: BindRequest,
    A::Params: SameParams<P::Bind, P>,
{
    let typed = request.try_map_parameters(P::bind_parameters)?;
    Ok(A::from_typed(typed.map_parameters(A::Params::cast)))
}

/// Parameters for a plan that declares a type: absent parameters deserialize from
/// `{}`, so the type's defaults apply. The runtime validated them against the
/// published schema already.
pub fn typed_parameters<T: ParameterType>(raw: Option<Parameters>) -> Result<T, Error> {
    match raw {
        Some(raw) => raw.parse(),
        None => serde_json::from_str("{}").map_err(|err| {
            Error::invalid_parameters(format!(
                "parameters are required: {}",
                crate::request::json::serde_message(&err)
            ))
        }),
    }
}

/// Update parameters for a plan that declares a type.
pub fn typed_update_parameters<T: ParameterType>(raw: Parameters) -> Result<T, Error> {
    raw.parse()
}

/// Parameters for a plan without a declared type: passed through raw.
pub fn raw_parameters(raw: Option<Parameters>) -> Result<Option<Parameters>, Error> {
    Ok(raw)
}

/// Update parameters for a plan without a declared type.
pub fn raw_update_parameters(raw: Parameters) -> Result<Parameters, Error> {
    Ok(raw)
}

macro_rules! output_kind {
    ($($(#[$doc:meta])* $trait:ident -> $ok:ident;)*) => {$(
        $(#[$doc])*
        pub trait $trait {
            /// The handler's result in the runtime's terms.
            fn into_result(self) -> Result<$ok, Error>;
        }
        impl<E: Into<Error>> $trait for Result<$ok, E> {
            fn into_result(self) -> Result<$ok, Error> {
                self.map_err(Into::into)
            }
        }
        impl $trait for $ok {
            fn into_result(self) -> Result<$ok, Error> {
                Ok(self)
            }
        }
    )*};
}

output_kind! {
    /// What a `#[provision]` handler returns.
    #[diagnostic::on_unimplemented(
        message = "`#[provision]` handlers return `Result<osb::Provisioned, E>` with `E: Into<osb::Error>`, not `{Self}`",
        label = "expected `Result<osb::Provisioned, E>`"
    )]
    ProvisionOutput -> Provisioned;
    /// What a `#[update]` handler returns.
    #[diagnostic::on_unimplemented(
        message = "`#[update]` handlers return `Result<osb::Updated, E>` with `E: Into<osb::Error>`, not `{Self}`",
        label = "expected `Result<osb::Updated, E>`"
    )]
    UpdateOutput -> Updated;
    /// What a `#[deprovision]` handler returns.
    #[diagnostic::on_unimplemented(
        message = "`#[deprovision]` handlers return `Result<osb::Deprovisioned, E>` with `E: Into<osb::Error>`, not `{Self}`",
        label = "expected `Result<osb::Deprovisioned, E>`"
    )]
    DeprovisionOutput -> Deprovisioned;
    /// What a `#[fetch_instance]` handler returns.
    #[diagnostic::on_unimplemented(
        message = "`#[fetch_instance]` handlers return `Result<osb::InstanceDetails, E>` with `E: Into<osb::Error>`, not `{Self}`",
        label = "expected `Result<osb::InstanceDetails, E>`"
    )]
    FetchInstanceOutput -> InstanceDetails;
    /// What a `#[last_operation]` handler returns.
    #[diagnostic::on_unimplemented(
        message = "`#[last_operation]` handlers return `Result<osb::OperationReport, E>` with `E: Into<osb::Error>`, not `{Self}`",
        label = "expected `Result<osb::OperationReport, E>`"
    )]
    LastOperationOutput -> OperationReport;
    /// What a `#[bind]` handler returns.
    #[diagnostic::on_unimplemented(
        message = "`#[bind]` handlers return `Result<osb::Bound, E>` with `E: Into<osb::Error>`, not `{Self}`",
        label = "expected `Result<osb::Bound, E>`"
    )]
    BindOutput -> Bound;
    /// What a `#[unbind]` handler returns.
    #[diagnostic::on_unimplemented(
        message = "`#[unbind]` handlers return `Result<osb::Unbound, E>` with `E: Into<osb::Error>`, not `{Self}`",
        label = "expected `Result<osb::Unbound, E>`"
    )]
    UnbindOutput -> Unbound;
    /// What a `#[fetch_binding]` handler returns.
    #[diagnostic::on_unimplemented(
        message = "`#[fetch_binding]` handlers return `Result<osb::Binding, E>` with `E: Into<osb::Error>`, not `{Self}`",
        label = "expected `Result<osb::Binding, E>`"
    )]
    FetchBindingOutput -> Binding;
    /// What a `#[binding_last_operation]` handler returns.
    #[diagnostic::on_unimplemented(
        message = "`#[binding_last_operation]` handlers return `Result<osb::BindingOperationReport, E>` with `E: Into<osb::Error>`, not `{Self}`",
        label = "expected `Result<osb::BindingOperationReport, E>`"
    )]
    BindingLastOperationOutput -> BindingOperationReport;
    /// What a `#[resume]` handler returns.
    #[diagnostic::on_unimplemented(
        message = "`#[resume]` handlers return `Result<osb::response::Resumed, E>` with `E: Into<osb::Error>`, not `{Self}`",
        label = "expected `Result<osb::response::Resumed, E>`"
    )]
    ResumeOutput -> Resumed;
}

/// Passes a handler's future through, requiring it to be `Send` (the runtime runs
/// handlers on a multi-threaded executor).
pub fn assert_send<F: core::future::Future + Send>(future: F) -> F {
    future
}

/// Whether the two lists share a string.
pub const fn share_any(a: &[&str], b: &[&str]) -> bool {
    let mut i = 0;
    while i < a.len() {
        let mut j = 0;
        while j < b.len() {
            if str_eq(a[i], b[j]) {
                return true;
            }
            j += 1;
        }
        i += 1;
    }
    false
}

pub use crate::request::position::{position, str_eq};

/// A request whose plan the generated dispatch looks up.
pub trait Positioned {
    /// Where the request's plan stands among `services`' plans (the broker's catalog
    /// order): as the runtime resolved it, else found by the request's plan id.
    fn plan_position(&self, services: &[&[&str]]) -> Option<usize>;
}

impl<P> Positioned for Provision<P> {
    fn plan_position(&self, services: &[&[&str]]) -> Option<usize> {
        self.plan.resolve(Some(&self.plan_id), services)
    }
}

impl<P> Positioned for Update<P> {
    fn plan_position(&self, services: &[&[&str]]) -> Option<usize> {
        self.plan.resolve(self.target_plan_id(), services)
    }
}

impl Positioned for Deprovision {
    fn plan_position(&self, services: &[&[&str]]) -> Option<usize> {
        self.plan.resolve(Some(&self.plan_id), services)
    }
}

impl<P> Positioned for Bind<P> {
    fn plan_position(&self, services: &[&[&str]]) -> Option<usize> {
        self.plan.resolve(Some(&self.plan_id), services)
    }
}

impl Positioned for Unbind {
    fn plan_position(&self, services: &[&[&str]]) -> Option<usize> {
        self.plan.resolve(Some(&self.plan_id), services)
    }
}

/// Where `request`'s plan stands among `services`' plans (see [`Positioned`]).
pub fn plan_position(request: &impl Positioned, services: &[&[&str]]) -> Option<usize> {
    request.plan_position(services)
}

/// 400 for an update whose plan is unknown when several update handlers could answer it.
pub fn update_plan_unknown() -> Error {
    Error::bad_request(
        "the request names no plan (neither plan_id nor previous_values.plan_id), \
         and this broker updates its plans with different handlers",
    )
}
