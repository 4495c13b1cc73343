//! The rules of every request: authentication, the version header, the request identity.

use http::Method;

use super::{Run, exchange};
use crate::api::REQUEST_IDENTITY_HEADER;
use crate::testing::conformance::Outcome;

impl Run<'_> {
    pub(super) async fn authentication(&mut self) {
        let rules = [
            "Platform to Service Broker Authentication: a request without credentials gets 401",
            "Platform to Service Broker Authentication: wrong credentials get 401",
            "Platform to Service Broker Authentication: credentials are checked before anything else",
        ];
        if !self.suite.authenticated {
            for rule in rules {
                self.record(
                    rule,
                    Outcome::Skipped(String::from("no credentials configured")),
                );
            }
            return;
        }
        let anonymous = self.client().clone().without_header("authorization");
        let response = anonymous.catalog().await;
        self.expect(rules[0], None, &response, 401);
        let wrong = self
            .client()
            .clone()
            .basic_auth("osb-conformance", "not-the-password");
        let response = wrong.catalog().await;
        self.expect(rules[1], None, &response, 401);
        let response = anonymous
            .clone()
            .without_header("x-broker-api-version")
            .request(
                Method::PUT,
                "/v2/service_instances/osb-conformance-auth-first",
            )
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await;
        self.expect(rules[2], None, &response, 401);
    }

    pub(super) async fn version_header(&mut self) {
        let missing = self.client().clone().without_header("x-broker-api-version");
        let response = missing.catalog().await;
        let status = self.suite.missing_version.as_u16();
        self.expect(
            "API Version Header: a request without X-Broker-API-Version is rejected",
            None,
            &response,
            status,
        );
        for (value, rule) in [
            ("abc", "API Version Header: an unparsable version gets 412"),
            ("1.0", "API Version Header: an unsupported version gets 412"),
        ] {
            let response = self
                .client()
                .clone()
                .header("x-broker-api-version", value)
                .catalog()
                .await;
            self.expect(rule, None, &response, 412);
        }
    }

    pub(super) async fn request_identity(&mut self) {
        let identity = "osb-conformance-e7c1b9a4";
        let rule = "Request Identity: X-Broker-API-Request-Identity is echoed on the response";
        let success = self
            .client()
            .clone()
            .header(REQUEST_IDENTITY_HEADER, identity)
            .catalog()
            .await;
        let error = self
            .client()
            .clone()
            .header(REQUEST_IDENTITY_HEADER, identity)
            .request(
                Method::PUT,
                "/v2/service_instances/osb-conformance-identity",
            )
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await;
        for response in [success, error] {
            if response.header(REQUEST_IDENTITY_HEADER.as_str()) != Some(identity) {
                let details = format!("expected the header back\n{}", exchange(None, &response));
                self.record(rule, Outcome::Failed(details));
                return;
            }
        }
        self.record(rule, Outcome::Passed);
    }
}
