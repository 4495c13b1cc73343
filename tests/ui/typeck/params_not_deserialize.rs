// A parameter type without `serde::Deserialize`.
use schemars::JsonSchema;

/// A small database.
#[osb::plan(id = "plan-small", bind = SmallParams)]
pub struct Small;

/// Parameters of a small database.
#[derive(JsonSchema)]
pub struct SmallParams {
    /// Memory size in MiB.
    pub size_mb: u32,
}

fn main() {}
