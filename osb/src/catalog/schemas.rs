//! The parameter schemas a plan publishes.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The Schemas object of a plan.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Schemas {
    /// Schemas for creating and updating instances.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_instance: Option<ServiceInstanceSchemas>,
    /// Schema for creating bindings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_binding: Option<ServiceBindingSchemas>,
}

/// Schemas for creating and updating an instance.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceInstanceSchemas {
    /// Provision parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<InputParameters>,
    /// Update parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<InputParameters>,
}

/// Schema for creating a binding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceBindingSchemas {
    /// Bind parameters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub create: Option<InputParameters>,
}

/// An Input Parameters Schema object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InputParameters {
    /// A JSON Schema with `$schema`, no external references, at most 64 kB.
    pub parameters: Value,
}

impl InputParameters {
    /// Wraps a JSON Schema.
    pub fn new(parameters: Value) -> Self {
        Self { parameters }
    }
}
