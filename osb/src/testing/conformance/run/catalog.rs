//! «Catalog Management»: the catalog, its shape and the v2.17 schema.

use serde_json::Value;

use super::{Run, exchange};
use crate::catalog::Catalog;
use crate::testing::TestResponse;
use crate::testing::conformance::Outcome;

/// The catalog schema of the specification's openapi.yaml (v2.17), made by
/// conformance/spec/catalog_schema.py.
const CATALOG_SCHEMA: &str = include_str!("../../catalog.schema.json");

impl Run<'_> {
    pub(super) async fn catalog(&mut self) -> Option<Catalog> {
        let rule = "Catalog Management: GET /v2/catalog answers 200 with a valid catalog";
        let response = self.client().catalog().await;
        if !self.expect(rule, None, &response, 200) {
            return None;
        }
        self.catalog_schema(&response);
        let catalog: Catalog = match serde_json::from_slice(&response.body) {
            Ok(catalog) => catalog,
            Err(err) => {
                let details = format!(
                    "the body is not a catalog: {err}\n{}",
                    exchange(None, &response)
                );
                self.record(
                    "Catalog Management: the catalog has the shape of the specification",
                    Outcome::Failed(details),
                );
                return None;
            }
        };
        let rule = "Catalog Management: ids and names unique, required fields non-empty, schemas with $schema, semver maintenance_info";
        match catalog.validate() {
            Ok(()) => self.record(rule, Outcome::Passed),
            Err(err) => self.record(rule, Outcome::Failed(err.problems().join("\n"))),
        }
        Some(catalog)
    }

    /// «Catalog Management»: the body validates against the catalog schema of the
    /// specification's openapi.yaml (v2.17).
    pub(super) fn catalog_schema(&mut self, response: &TestResponse) {
        let rule =
            "Catalog Management: the catalog validates against the v2.17 openapi.yaml schema";
        let validator = serde_json::from_str::<Value>(CATALOG_SCHEMA)
            .ok()
            .and_then(|schema| jsonschema::draft7::new(&schema).ok());
        let Some(validator) = validator else {
            self.record(
                rule,
                Outcome::Skipped(String::from("the schema could not be loaded")),
            );
            return;
        };
        let problems: Vec<String> = validator
            .iter_errors(&response.json())
            .map(|error| format!("{}: {error}", error.instance_path()))
            .collect();
        if problems.is_empty() {
            self.record(rule, Outcome::Passed);
        } else {
            self.record(rule, Outcome::Failed(problems.join("\n")));
        }
    }
}
