//! What the suite sends for each plan, given in code or read from a fixture file.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

/// What to send for one plan: valid parameters, and optionally requests that differ
/// from them, to check the 409 answers.
///
/// In a fixture file, each field is a key of the plan's object:
/// `provision`, `conflicting_provision`, `update`, `bind`, `bind_resource`,
/// `conflicting_bind_resource` and `async_only`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFixture {
    #[serde(default)]
    pub(super) provision: Option<Value>,
    #[serde(default)]
    pub(super) conflicting_provision: Option<Value>,
    #[serde(default)]
    pub(super) update: Option<Value>,
    #[serde(default)]
    pub(super) bind: Option<Value>,
    #[serde(default)]
    pub(super) bind_resource: Option<Value>,
    #[serde(default)]
    pub(super) conflicting_bind_resource: Option<Value>,
    #[serde(default)]
    pub(super) async_only: bool,
}

impl PlanFixture {
    /// No parameters at all (`parameters` is left out of every request).
    pub fn new() -> Self {
        Self::default()
    }

    /// Valid provision `parameters`.
    #[must_use]
    pub fn provision(mut self, parameters: Value) -> Self {
        self.provision = Some(parameters);
        self
    }

    /// Other valid provision `parameters`: re-provisioning the same id with them must
    /// answer 409. Without them, the suite uses another plan of the same offering.
    #[must_use]
    pub fn conflicting_provision(mut self, parameters: Value) -> Self {
        self.conflicting_provision = Some(parameters);
        self
    }

    /// Valid update `parameters` (default: an update that sends none and changes
    /// nothing). The update must get 200, or 202 and then succeed
    /// («Updating a Service Instance» › «Response»).
    #[must_use]
    pub fn update(mut self, parameters: Value) -> Self {
        self.update = Some(parameters);
        self
    }

    /// Valid bind `parameters`.
    #[must_use]
    pub fn bind(mut self, parameters: Value) -> Self {
        self.bind = Some(parameters);
        self
    }

    /// The `bind_resource` to bind with (default `{"app_guid": "osb-conformance-app"}`).
    #[must_use]
    pub fn bind_resource(mut self, resource: Value) -> Self {
        self.bind_resource = Some(resource);
        self
    }

    /// Another `bind_resource`: re-binding the same id with it must answer 409. Without
    /// it, the 409 check for bindings is skipped (a broker may ignore the resource).
    #[must_use]
    pub fn conflicting_bind_resource(mut self, resource: Value) -> Self {
        self.conflicting_bind_resource = Some(resource);
        self
    }

    /// The plan only provisions asynchronously: a provision without
    /// `accepts_incomplete=true` must get 422 `AsyncRequired`.
    #[must_use]
    pub fn async_only(mut self, async_only: bool) -> Self {
        self.async_only = async_only;
        self
    }
}

/// What to exercise and what to send, as a fixture file gives it (JSON):
///
/// ```
/// let fixture = osb::testing::Fixture::from_json(r#"{
///     "service": "overview-service",
///     "plans": {
///         "small": {
///             "provision": {"size_mb": 64},
///             "conflicting_provision": {"size_mb": 128},
///             "bind_resource": {"app_guid": "app-1"},
///             "conflicting_bind_resource": {"app_guid": "app-2"}
///         },
///         "async": {"async_only": true}
///     },
///     "only_listed_plans": true
/// }"#).unwrap();
/// assert_eq!(fixture.plans.len(), 2);
/// ```
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Fixture {
    /// The only offering to exercise, by id or name.
    #[serde(default)]
    pub service: Option<String>,
    /// What to send for each plan, by plan id or name.
    #[serde(default)]
    pub plans: HashMap<String, PlanFixture>,
    /// Exercise only the plans listed in `plans`.
    #[serde(default)]
    pub only_listed_plans: bool,
}

/// Why a fixture could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FixtureError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The text is not a fixture.
    #[error("{where_}invalid fixture: {source}")]
    Invalid {
        /// The file and a separator, or nothing.
        where_: String,
        /// What is wrong, with line and column.
        source: serde_json::Error,
    },
}

impl Fixture {
    /// A fixture from JSON text.
    pub fn from_json(text: &str) -> Result<Self, FixtureError> {
        serde_json::from_str(text).map_err(|source| FixtureError::Invalid {
            where_: String::new(),
            source,
        })
    }

    /// A fixture from a JSON file.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, FixtureError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| FixtureError::Read {
            path: path.display().to_string(),
            source,
        })?;
        serde_json::from_str(&text).map_err(|source| FixtureError::Invalid {
            where_: format!("{}: ", path.display()),
            source,
        })
    }
}
