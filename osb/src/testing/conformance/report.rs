//! What the suite found: a check per rule, and the report in text, JSON and JUnit XML.

use std::fmt;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{Value, json};

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The broker did what the rule says.
    Passed,
    /// It did not; the text shows the request and response.
    Failed(String),
    /// The check does not apply to this broker, and why.
    Skipped(String),
}

/// One rule checked against the broker.
#[derive(Debug, Clone)]
pub struct Check {
    /// The rule, naming the specification section it comes from.
    pub rule: String,
    /// What happened.
    pub outcome: Outcome,
}

impl Check {
    /// The specification section the rule comes from: its text before the first `: `.
    pub fn section(&self) -> &str {
        self.rule
            .split_once(": ")
            .map_or("", |(section, _)| section)
    }
}

/// Everything the suite checked.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Report {
    /// The checks, in the order they ran.
    pub checks: Vec<Check>,
    /// What the clean-up could not delete, one line per instance (empty when all
    /// went).
    pub cleanup: Vec<String>,
}

#[derive(Serialize)]
struct JsonCheck<'a> {
    section: &'a str,
    rule: &'a str,
    outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    details: Option<&'a str>,
}

impl Report {
    /// The checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = &Check> {
        self.checks
            .iter()
            .filter(|check| matches!(check.outcome, Outcome::Failed(_)))
    }

    /// How many checks passed.
    pub fn passed(&self) -> usize {
        self.checks
            .iter()
            .filter(|check| check.outcome == Outcome::Passed)
            .count()
    }

    /// How many checks were skipped.
    pub fn skipped(&self) -> usize {
        self.checks
            .iter()
            .filter(|check| matches!(check.outcome, Outcome::Skipped(_)))
            .count()
    }

    /// The report as JSON: the counts, every check with its section, rule, outcome
    /// (`passed`, `failed`, `skipped`) and details, and what the clean-up left.
    pub fn to_json(&self) -> Value {
        let checks: Vec<JsonCheck<'_>> = self
            .checks
            .iter()
            .map(|check| {
                let (outcome, details) = match &check.outcome {
                    Outcome::Passed => ("passed", None),
                    Outcome::Failed(details) => ("failed", Some(details.as_str())),
                    Outcome::Skipped(why) => ("skipped", Some(why.as_str())),
                };
                JsonCheck {
                    section: check.section(),
                    rule: &check.rule,
                    outcome,
                    details,
                }
            })
            .collect();
        json!({
            "passed": self.passed(),
            "failed": self.failures().count(),
            "skipped": self.skipped(),
            "checks": checks,
            "cleanup_failures": self.cleanup,
        })
    }

    /// The report as JUnit XML, for CI systems: a `testsuite` per specification
    /// section, a `testcase` per rule; a failure carries the request and the answer.
    pub fn to_junit(&self) -> String {
        let mut sections: Vec<(&str, Vec<&Check>)> = Vec::new();
        for check in &self.checks {
            match sections
                .iter_mut()
                .find(|(name, _)| *name == check.section())
            {
                Some((_, checks)) => checks.push(check),
                None => sections.push((check.section(), vec![check])),
            }
        }
        let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let _ = writeln!(
            xml,
            "<testsuites name=\"osb check\" tests=\"{}\" failures=\"{}\" skipped=\"{}\">",
            self.checks.len(),
            self.failures().count(),
            self.skipped()
        );
        for (section, checks) in sections {
            let failures = checks
                .iter()
                .filter(|c| matches!(c.outcome, Outcome::Failed(_)))
                .count();
            let skipped = checks
                .iter()
                .filter(|c| matches!(c.outcome, Outcome::Skipped(_)))
                .count();
            let _ = writeln!(
                xml,
                "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">",
                escape(section),
                checks.len()
            );
            for check in checks {
                let name = check
                    .rule
                    .split_once(": ")
                    .map_or(check.rule.as_str(), |(_, r)| r);
                let _ = write!(
                    xml,
                    "    <testcase classname=\"{}\" name=\"{}\"",
                    escape(section),
                    escape(name)
                );
                match &check.outcome {
                    Outcome::Passed => xml.push_str("/>\n"),
                    Outcome::Skipped(why) => {
                        let _ = writeln!(
                            xml,
                            ">\n      <skipped message=\"{}\"/>\n    </testcase>",
                            escape(why)
                        );
                    }
                    Outcome::Failed(details) => {
                        let first = details.lines().next().unwrap_or("");
                        let _ = writeln!(
                            xml,
                            ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
                            escape(first),
                            escape(details)
                        );
                    }
                }
            }
            xml.push_str("  </testsuite>\n");
        }
        xml.push_str("</testsuites>\n");
        xml
    }

    /// Panics with every failure, each naming its rule, request and response.
    #[track_caller]
    pub fn assert_passed(&self) {
        if self.failures().next().is_some() {
            panic!("the broker breaks rules of the OSB API:\n{self}");
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            match &check.outcome {
                Outcome::Passed => writeln!(f, "passed   {}", check.rule)?,
                Outcome::Skipped(why) => writeln!(f, "skipped  {} ({why})", check.rule)?,
                Outcome::Failed(details) => {
                    writeln!(f, "FAILED   {}", check.rule)?;
                    for line in details.lines() {
                        writeln!(f, "           {line}")?;
                    }
                }
            }
        }
        for line in &self.cleanup {
            writeln!(f, "NOT CLEANED UP  {line}")?;
        }
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed(),
            self.failures().count(),
            self.skipped()
        )
    }
}

/// Text for an XML attribute or element; characters XML 1.0 cannot hold are dropped.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\n' => escaped.push_str("&#10;"),
            '\t' | '\r' => escaped.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junit_escapes_and_groups_by_section() {
        let report = Report {
            checks: vec![
                Check {
                    rule: String::from("Provisioning: a <b> & \"c\""),
                    outcome: Outcome::Failed(String::from("expected status 400\nresponse: 500 {}")),
                },
                Check {
                    rule: String::from("Provisioning: other"),
                    outcome: Outcome::Passed,
                },
            ],
            cleanup: Vec::new(),
        };
        let xml = report.to_junit();
        assert!(
            xml.contains(
                "<testsuite name=\"Provisioning\" tests=\"2\" failures=\"1\" skipped=\"0\">"
            ),
            "{xml}"
        );
        assert!(
            xml.contains("name=\"a &lt;b&gt; &amp; &quot;c&quot;\""),
            "{xml}"
        );
        assert!(xml.contains("<failure message=\"expected status 400\">expected status 400&#10;response: 500 {}</failure>"), "{xml}");
        assert_eq!(report.to_json()["checks"][0]["section"], "Provisioning");
        assert_eq!(report.to_json()["failed"], 1);
    }
}
