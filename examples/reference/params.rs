//! The parameters of the two plans: serde types whose JSON Schema the catalog publishes.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Parameters of a small database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SmallParams {
    /// Memory size in MiB.
    #[serde(default = "SmallParams::default_size")]
    #[schemars(range(min = 1, max = 1024))]
    pub size_mb: u32,
}

impl SmallParams {
    pub const MAX_SIZE: u32 = 1024;

    fn default_size() -> u32 {
        64
    }
}

/// Parameters of a large database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LargeParams {
    /// Memory size in MiB.
    #[serde(default = "LargeParams::default_size")]
    #[schemars(range(min = 1, max = 65536))]
    pub size_mb: u32,
}

impl LargeParams {
    pub const MAX_SIZE: u32 = 65536;

    fn default_size() -> u32 {
        1024
    }
}
