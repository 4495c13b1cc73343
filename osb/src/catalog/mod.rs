//! The catalog: service offerings and their plans («Catalog Management»).
//!
//! These are the wire types of `GET /v2/catalog`. Absent optional fields are
//! omitted on output, never sent as `null`; vendor extension fields go in the
//! `extra` maps and are serialized next to the spec's fields.

mod maintenance;
mod offering;
mod plan;
mod schemas;
mod validate;

use serde::{Deserialize, Serialize};

pub use maintenance::MaintenanceInfo;
pub use offering::{DashboardClient, Requirement, ServiceMetadata, ServiceOffering};
pub use plan::{AsyncOperations, Cost, Plan, PlanMetadata};
pub use schemas::{InputParameters, Schemas, ServiceBindingSchemas, ServiceInstanceSchemas};
pub use validate::CatalogError;
pub(crate) use validate::validate;

/// The body of `GET /v2/catalog`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    /// The service offerings; MAY be empty.
    pub services: Vec<ServiceOffering>,
}

impl Catalog {
    /// A catalog of `services`.
    pub fn new(services: impl IntoIterator<Item = ServiceOffering>) -> Self {
        Self {
            services: services.into_iter().collect(),
        }
    }

    /// Checks every rule the specification states for a catalog (unique ids and
    /// names, non-empty required fields, semver `maintenance_info`, schemas with
    /// `$schema`, no external `$ref`, at most 64 kB each …) and lists every violation.
    pub fn validate(&self) -> Result<(), CatalogError> {
        validate(std::slice::from_ref(self))
    }

    /// The catalog as JSON, exactly as the runtime serves it.
    pub fn to_json(&self) -> String {
        // A catalog holds only strings, booleans, numbers and JSON maps with string
        // keys, which always serialize.
        serde_json::to_string(self).unwrap_or_else(|_| String::from("{\"services\":[]}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn omits_absent_optionals() {
        let catalog = Catalog::new([ServiceOffering::new("s", "svc", "A service.")
            .plan(Plan::new("p", "plan", "A plan.").async_only(AsyncOperations::ALL))]);
        assert_eq!(
            catalog.to_json(),
            r#"{"services":[{"id":"s","name":"svc","description":"A service.","bindable":false,"plans":[{"id":"p","name":"plan","description":"A plan."}]}]}"#
        );
    }

    #[test]
    fn serializes_profile_fields_and_extensions() {
        let mut service = ServiceOffering::new("s", "svc", "d").metadata(ServiceMetadata {
            display_name: Some("Svc".into()),
            shareable: Some(true),
            ..Default::default()
        });
        service.extra.insert("x-vendor".into(), json!(1));
        let plan = Plan::new("p", "plan", "d").metadata(PlanMetadata {
            bullets: vec!["fast".into()],
            costs: vec![Cost::new("usd", 9.5, "MONTHLY")],
            ..Default::default()
        });
        let value = serde_json::to_value(service.plan(plan)).unwrap();
        assert_eq!(
            value["metadata"],
            json!({"displayName": "Svc", "shareable": true})
        );
        assert_eq!(value["x-vendor"], json!(1));
        assert_eq!(
            value["plans"][0]["metadata"],
            json!({"bullets": ["fast"], "costs": [{"amount": {"usd": 9.5}, "unit": "MONTHLY"}]})
        );
    }

    /// The profile's «Service Metadata» names, as platforms read them.
    #[test]
    fn serializes_every_profile_service_field_by_its_profile_name() {
        let metadata = ServiceMetadata {
            display_name: Some("Db".into()),
            image_url: Some("data:image/png;base64,AAAA".into()),
            long_description: Some("A long one.".into()),
            provider_display_name: Some("Us".into()),
            documentation_url: Some("https://docs.example.com".into()),
            support_url: Some("https://help.example.com".into()),
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_value(&metadata).unwrap(),
            json!({
                "displayName": "Db",
                "imageUrl": "data:image/png;base64,AAAA",
                "longDescription": "A long one.",
                "providerDisplayName": "Us",
                "documentationUrl": "https://docs.example.com",
                "supportUrl": "https://help.example.com",
            })
        );
    }

    #[test]
    fn async_operations_set() {
        let ops = AsyncOperations::PROVISION | AsyncOperations::DEPROVISION;
        assert!(ops.contains(AsyncOperations::PROVISION));
        assert!(!ops.contains(AsyncOperations::BIND));
        assert!(AsyncOperations::ALL.contains(AsyncOperations::UNBIND));
        assert!(!AsyncOperations::NONE.contains(AsyncOperations::NONE));
    }
}
