//! Which handlers a broker needs for the offerings it serves: one marker trait per
//! handler, and the bounds an offering places on any broker that serves it.

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
    note = "a plan needs an update handler when it is `plan_updateable`, declares `update = …` parameters, or its offering allows context updates"
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

/// An offering's handler requirements, met by broker `B`: `#[osb::service]` implements
/// it with a bound per handler its plans need, and `#[osb::broker]` asks for it once
/// per offering it serves, so a missing handler is an error naming the broker, the
/// operation and the plan.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a service offering",
    label = "not declared with `#[osb::service]`",
    note = "declare offerings on types: `#[osb::service(id = \"…\", plans(…))] struct {Self};`"
)]
pub trait ServedBy<B> {
    /// Reached only when every bound holds.
    fn served() {}
}
