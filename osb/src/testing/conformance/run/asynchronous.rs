//! «Asynchronous Operations»: an operation a broker runs asynchronously, asked for
//! without `accepts_incomplete=true`.

use http::Method;
use serde_json::Value;

use super::{Run, exchange};
use crate::testing::TestResponse;
use crate::testing::conformance::Outcome;
use crate::wire::paths::with_query;

/// How a broker answered a request that did not accept an asynchronous answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    /// 422 `AsyncRequired` each time.
    Refused,
    /// It did the operation synchronously.
    Done,
    /// Neither: the rule failed.
    Failed,
}

impl Run<'_> {
    /// Sends `method path` (with `body`, if any) to an operation the broker runs
    /// asynchronously, first without `accepts_incomplete`, then with
    /// `accepts_incomplete=false`, recording one rule for each; `what` names the
    /// operation in the rules («plan `large`'s unbind»). Stops at the first answer that
    /// is not a refusal, and says what it was: after `Done` the operation has happened.
    ///
    /// Each must get 422 `AsyncRequired`; a broker that can do the update, deprovision
    /// or unbind synchronously after all answers 200 as for any synchronous request.
    /// A 202 is never allowed.
    pub(super) async fn without_accepts_incomplete(
        &mut self,
        what: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Refusal {
        for (asks, how) in [
            (None, "without accepts_incomplete"),
            (Some("false"), "with accepts_incomplete=false"),
        ] {
            let path = with_query(path.to_owned(), &[("accepts_incomplete", asks)]);
            let mut request = self.client().request(method.clone(), &path);
            if let Some(body) = body {
                request = request.json(body);
            }
            let response = request.send().await;
            let rule = format!(
                "Asynchronous Operations: {what} {how} gets 422 AsyncRequired (or 200 if done synchronously)"
            );
            let refusal = self.async_required(&rule, body, &response);
            if refusal != Refusal::Refused {
                return refusal;
            }
        }
        Refusal::Refused
    }

    /// Records whether `response` refused with 422 `AsyncRequired` or was done
    /// synchronously with 200, and says which.
    fn async_required(
        &mut self,
        rule: &str,
        body: Option<&Value>,
        response: &TestResponse,
    ) -> Refusal {
        let status = response.status.as_u16();
        if status == 422 && response.json()["error"] == "AsyncRequired" {
            self.record(rule, Outcome::Passed);
            Refusal::Refused
        } else if status == 200 {
            self.record(rule, Outcome::Passed);
            Refusal::Done
        } else {
            let details = format!(
                "expected 422 AsyncRequired, or 200 for an operation done synchronously\n{}",
                exchange(body, response)
            );
            self.record(rule, Outcome::Failed(details));
            Refusal::Failed
        }
    }
}
