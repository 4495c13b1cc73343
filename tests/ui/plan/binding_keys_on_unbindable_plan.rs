// Keys about bindings on a plan that says `bindable = false`.

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct Params {}

/// A small database.
#[osb::plan(
    id = "plan-small",
    bindable = false,
    bind = Params,
    binding_rotatable,
    requires_app,
    asynchronous(provision, unbind)
)]
pub struct Small;

fn main() {}
