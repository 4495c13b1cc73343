//! What a handler takes and returns: the request type of its operation (with the
//! parameter type its plan declares), a `Result` of the operation's answer, a `Send`
//! future.

use crate::dsl::PlanDef;
use crate::error::Error;
use crate::request::Interrupted;
use crate::request::binding::{Bind, BindingLastOperation, FetchBinding, Unbind};
use crate::request::instance::{Deprovision, FetchInstance, LastOperation, Provision, Update};
use crate::response::Resumed;
use crate::response::binding::{Binding, Bound, Unbound};
use crate::response::instance::{Deprovisioned, InstanceDetails, Provisioned, Updated};
use crate::response::operation::{BindingOperationReport, OperationReport};

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
