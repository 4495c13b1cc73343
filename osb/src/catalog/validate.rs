//! The catalog rules of «Catalog Management», checked when a router is built.

use std::collections::HashMap;
use std::fmt;

use serde_json::Value;

use super::{Catalog, Plan, ServiceOffering};

/// Every rule a catalog broke, one line each.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct CatalogError {
    problems: Vec<String>,
}

impl CatalogError {
    /// The violations, one sentence each.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid catalog: {}", self.problems.join("; "))
    }
}

/// The largest schema the specification allows («Input Parameters Schema Object»).
const MAX_SCHEMA_BYTES: usize = 64 * 1024;

/// Checks `catalogs` as one merged catalog: ids and offering names must be unique
/// across all of them.
pub(crate) fn validate(catalogs: &[Catalog]) -> Result<(), CatalogError> {
    let mut problems = Vec::new();
    let mut ids: HashMap<&str, String> = HashMap::new();
    let mut names: HashMap<&str, &str> = HashMap::new();

    for service in catalogs.iter().flat_map(|c| &c.services) {
        let who = format!("service offering `{}`", service.name);
        check_service(service, &who, &mut problems);
        claim_id(&mut ids, &service.id, &who, &mut problems);
        if !service.name.is_empty()
            && let Some(other) = names.insert(&service.name, &service.id)
        {
            problems.push(format!(
                    "service offering name `{}` is used twice (ids `{other}` and `{}`); names MUST be unique",
                    service.name, service.id
                ));
        }
        let mut plan_names: HashMap<&str, ()> = HashMap::new();
        for plan in &service.plans {
            let who = format!("plan `{}` of `{}`", plan.name, service.name);
            check_plan(plan, &who, &mut problems);
            claim_id(&mut ids, &plan.id, &who, &mut problems);
            if !plan.name.is_empty() && plan_names.insert(&plan.name, ()).is_some() {
                problems.push(format!(
                    "plan name `{}` is used twice in `{}`; plan names MUST be unique within an offering",
                    plan.name, service.name
                ));
            }
        }
    }

    if problems.is_empty() {
        Ok(())
    } else {
        Err(CatalogError { problems })
    }
}

fn claim_id<'a>(
    ids: &mut HashMap<&'a str, String>,
    id: &'a str,
    who: &str,
    problems: &mut Vec<String>,
) {
    if id.is_empty() {
        return;
    }
    if let Some(first) = ids.insert(id, who.to_owned()) {
        problems.push(format!(
            "id `{id}` of {who} is also the id of {first}; ids MUST be globally unique"
        ));
    }
}

fn check_service(service: &ServiceOffering, who: &str, problems: &mut Vec<String>) {
    required(&service.id, "id", who, problems);
    required(&service.name, "name", who, problems);
    required(&service.description, "description", who, problems);
    if service.plans.is_empty() {
        problems.push(format!("{who} has no plan; it MUST have at least one"));
    }
    if let Some(client) = &service.dashboard_client {
        required(&client.id, "dashboard_client.id", who, problems);
        required(&client.secret, "dashboard_client.secret", who, problems);
    }
    warn_style(&service.name, &service.description, who);
}

fn check_plan(plan: &Plan, who: &str, problems: &mut Vec<String>) {
    required(&plan.id, "id", who, problems);
    required(&plan.name, "name", who, problems);
    required(&plan.description, "description", who, problems);
    if let Some(info) = &plan.maintenance_info
        && semver::Version::parse(&info.version).is_err()
    {
        problems.push(format!(
            "maintenance_info.version `{}` of {who} is not a semantic version 2.0 (such as 1.2.3)",
            info.version
        ));
    }
    if let Some(metadata) = &plan.metadata {
        for cost in &metadata.costs {
            if cost.amount.values().any(|amount| !amount.is_finite()) {
                problems.push(format!(
                    "{who} has a cost amount that is not a finite number"
                ));
            }
        }
    }
    let schemas = [
        (
            "schemas.service_instance.create",
            plan.provision_parameters_schema(),
        ),
        (
            "schemas.service_instance.update",
            plan.update_parameters_schema(),
        ),
        (
            "schemas.service_binding.create",
            plan.bind_parameters_schema(),
        ),
    ];
    for (path, schema) in schemas {
        if let Some(schema) = schema {
            check_schema(schema, &format!("{path}.parameters of {who}"), problems);
        }
    }
    warn_style(&plan.name, &plan.description, who);
}

fn required(value: &str, field: &str, who: &str, problems: &mut Vec<String>) {
    if value.is_empty() {
        problems.push(format!(
            "{field} of {who} is empty; it MUST be a non-empty string"
        ));
    }
}

fn check_schema(schema: &Value, where_: &str, problems: &mut Vec<String>) {
    let Some(object) = schema.as_object() else {
        problems.push(format!("{where_} is not a JSON object"));
        return;
    };
    if !object.contains_key("$schema") {
        problems.push(format!(
            "{where_} has no `$schema` key; it MUST declare its JSON Schema version"
        ));
    }
    if let Some(reference) = external_reference(schema) {
        problems.push(format!(
            "{where_} has the external reference `{reference}`; schemas MUST NOT contain external references"
        ));
    }
    let size = serde_json::to_vec(schema).map_or(0, |bytes| bytes.len());
    if size > MAX_SCHEMA_BYTES {
        problems.push(format!(
            "{where_} is {size} bytes; schemas MUST NOT be larger than 64 kB"
        ));
    }
    if let Err(err) = jsonschema::meta::validate(schema) {
        problems.push(format!("{where_} is not a valid JSON Schema: {err}"));
    }
    // «Service Plan Object»: `parameters` is always a JSON object, so a schema of any
    // other type refuses every request.
    let object_allowed = match object.get("type") {
        None => true,
        Some(Value::String(kind)) => kind == "object",
        Some(Value::Array(kinds)) => kinds.iter().any(|kind| kind == "object"),
        Some(_) => true,
    };
    if !object_allowed {
        problems.push(format!(
            "{where_} does not describe a JSON object (its `type` is {}); parameters are always \
             an object, so every request would be refused: with the DSL, declare a struct or a map",
            object
                .get("type")
                .map_or_else(String::new, Value::to_string)
        ));
    }
}

/// The first `$ref` that points outside the schema itself (anything but `#…`).
fn external_reference(schema: &Value) -> Option<&str> {
    match schema {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref")
                && !reference.starts_with('#')
            {
                return Some(reference);
            }
            map.values().find_map(external_reference)
        }
        Value::Array(items) => items.iter().find_map(external_reference),
        _ => None,
    }
}

/// Recommendations of the specification, reported as warnings: names SHOULD be
/// CLI-friendly and strings SHOULD NOT exceed 255 characters.
fn warn_style(name: &str, description: &str, who: &str) {
    let cli_friendly = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    if !name.is_empty() && !cli_friendly {
        tracing::warn!("name of {who} is not CLI-friendly (use only letters, digits, `.` and `-`)");
    }
    if description.chars().count() > 255 {
        tracing::warn!("description of {who} is longer than the recommended 255 characters");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{DashboardClient, MaintenanceInfo};
    use serde_json::json;

    fn plan(id: &str, name: &str) -> Plan {
        Plan::new(id, name, "A plan.")
    }

    fn problems(catalogs: &[Catalog]) -> Vec<String> {
        validate(catalogs)
            .err()
            .map(|e| e.problems)
            .unwrap_or_default()
    }

    #[test]
    fn accepts_a_valid_catalog() {
        let catalog = Catalog::new([ServiceOffering::new("s1", "svc", "d")
            .plan(plan("p1", "small").maintenance_info(MaintenanceInfo::new("1.0.0+build.7")))
            .plan(plan("p2", "large").provision_schema(json!({
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object",
                "definitions": {"x": {"type": "string"}},
                "properties": {"a": {"$ref": "#/definitions/x"}}
            })))]);
        assert_eq!(problems(&[catalog]), Vec::<String>::new());
    }

    /// «Catalog Management»: names MUST be treated as case-sensitive strings.
    #[test]
    fn names_are_case_sensitive() {
        let catalog = Catalog::new([
            ServiceOffering::new("s1", "db", "d")
                .plan(plan("p1", "small"))
                .plan(plan("p2", "Small")),
            ServiceOffering::new("s2", "DB", "d").plan(plan("p3", "small")),
        ]);
        assert_eq!(
            problems(std::slice::from_ref(&catalog)),
            Vec::<String>::new()
        );
        let served: serde_json::Value = serde_json::from_str(&catalog.to_json()).unwrap();
        let names: Vec<&str> = served["services"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["db", "DB"]);
        assert_eq!(served["services"][0]["plans"][1]["name"], "Small");
    }

    /// Parameters are always an object: a schema of another type would refuse every
    /// request, so it is refused when the router is built.
    #[test]
    fn parameter_schemas_describe_objects() {
        let schema = |kind: serde_json::Value| json!({"$schema": "http://json-schema.org/draft-04/schema#", "type": kind});
        let catalog = |kind| {
            Catalog::new([ServiceOffering::new("s1", "svc", "d")
                .plan(plan("p1", "small").provision_schema(schema(kind)))])
        };
        for accepted in [json!("object"), json!(["object", "null"])] {
            assert_eq!(
                problems(&[catalog(accepted.clone())]),
                Vec::<String>::new(),
                "{accepted}"
            );
        }
        assert_eq!(
            problems(&[catalog(json!("string"))]),
            [
                "schemas.service_instance.create.parameters of plan `small` of `svc` does not \
              describe a JSON object (its `type` is \"string\"); parameters are always an \
              object, so every request would be refused: with the DSL, declare a struct or a map"
            ]
        );
        assert_eq!(problems(&[catalog(json!(["array", "null"]))]).len(), 1);
    }

    #[test]
    fn reports_every_problem() {
        let catalog = Catalog::new([
            ServiceOffering::new("s1", "svc", "")
                .plan(plan("p1", "small"))
                .plan(plan("p1", "small").maintenance_info(MaintenanceInfo::new("1.0"))),
            ServiceOffering::new("s2", "svc", "d"),
            ServiceOffering::new("", "other", "d")
                .dashboard_client(DashboardClient::default())
                .plan(
                    plan("p3", "x")
                        .bind_schema(json!({"type": "object", "$ref": "http://x/y.json"})),
                ),
        ]);
        let found = problems(&[catalog]);
        let expected = [
            "description of service offering `svc` is empty; it MUST be a non-empty string",
            "id `p1` of plan `small` of `svc` is also the id of plan `small` of `svc`; ids MUST be globally unique",
            "plan name `small` is used twice in `svc`; plan names MUST be unique within an offering",
            "maintenance_info.version `1.0` of plan `small` of `svc` is not a semantic version 2.0 (such as 1.2.3)",
            "service offering `svc` has no plan; it MUST have at least one",
            "service offering name `svc` is used twice (ids `s1` and `s2`); names MUST be unique",
            "id of service offering `other` is empty; it MUST be a non-empty string",
            "dashboard_client.id of service offering `other` is empty; it MUST be a non-empty string",
            "dashboard_client.secret of service offering `other` is empty; it MUST be a non-empty string",
            "schemas.service_binding.create.parameters of plan `x` of `other` has no `$schema` key; it MUST declare its JSON Schema version",
            "schemas.service_binding.create.parameters of plan `x` of `other` has the external reference `http://x/y.json`; schemas MUST NOT contain external references",
        ];
        for line in expected {
            assert!(
                found.iter().any(|p| p == line),
                "missing {line:?} in {found:#?}"
            );
        }
        assert_eq!(found.len(), expected.len(), "{found:#?}");
    }

    #[test]
    fn ids_are_unique_across_merged_catalogs() {
        let a = Catalog::new([ServiceOffering::new("s1", "a", "d").plan(plan("p1", "x"))]);
        let b = Catalog::new([ServiceOffering::new("s2", "b", "d").plan(plan("s1", "y"))]);
        assert_eq!(
            problems(&[a, b]),
            [
                "id `s1` of plan `y` of `b` is also the id of service offering `a`; ids MUST be globally unique"
            ]
        );
    }

    #[test]
    fn rejects_oversized_schema() {
        let big = "x".repeat(MAX_SCHEMA_BYTES);
        let catalog =
            Catalog::new([ServiceOffering::new("s", "a", "d")
                .plan(plan("p", "x").provision_schema(
                json!({"$schema": "http://json-schema.org/draft-04/schema#", "description": big}),
            ))]);
        let found = problems(&[catalog]);
        assert_eq!(found.len(), 1);
        assert!(
            found[0].contains("MUST NOT be larger than 64 kB"),
            "{found:?}"
        );
    }
}
