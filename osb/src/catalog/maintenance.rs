//! Maintenance versions.

use serde::{Deserialize, Serialize};

/// A Maintenance Info object.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceInfo {
    /// A semantic version 2.0 string. Required.
    pub version: String,
    /// The impact of the maintenance update.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl MaintenanceInfo {
    /// Maintenance info with `version`.
    pub fn new(version: impl Into<String>) -> Self {
        Self {
            version: version.into(),
            description: None,
        }
    }

    /// Sets the description.
    #[must_use]
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}
