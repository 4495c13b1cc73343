// A parameter type without `schemars::JsonSchema`: the catalog cannot publish its schema.
use serde::Deserialize;

/// A small database.
#[osb::plan(id = "plan-small", provision = SmallParams)]
pub struct Small;

/// Parameters of a small database.
#[derive(Deserialize)]
pub struct SmallParams {
    /// Memory size in MiB.
    pub size_mb: u32,
}

fn main() {}
