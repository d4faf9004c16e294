//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF consumers.
//!
//! One run; `tool.driver.rules` carries every rule that ran (with its help as Markdown and a
//! `security-severity` GitHub uses to rank alerts); each active finding is a result, and each
//! finding hidden by an inline ignore is a result with an `inSource` suppression. Project-level
//! failures without a location are listed in the run's properties: code scanning drops results
//! that point nowhere.

use super::{ci_path, AuditResult};
use crate::findings::{Finding, Severity};
use crate::rules::rule::RuleMeta;
use crate::score::round1;
use serde::Serialize;
use std::borrow::Cow;
use std::collections::BTreeSet;

const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";
/// The key of the partial fingerprint every result carries (the `rename` below must match).
pub const FINGERPRINT_KEY: &str = "auditFingerprint/v1";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    invocations: Vec<Invocation>,
    /// Our columns count characters, not UTF-16 units.
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
    properties: RunProperties,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: String,
    name: String,
    short_description: Text<'static>,
    full_description: Text<'static>,
    help: Help,
    #[serde(skip_serializing_if = "Option::is_none")]
    help_uri: Option<String>,
    default_configuration: Configuration,
    properties: DescriptorProperties,
}

#[derive(Serialize)]
struct Text<'a> {
    text: Cow<'a, str>,
}

#[derive(Serialize)]
struct Help {
    text: String,
    markdown: String,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct DescriptorProperties {
    tags: Vec<String>,
    precision: &'static str,
    #[serde(rename = "problem.severity")]
    problem_severity: &'static str,
    #[serde(rename = "security-severity", skip_serializing_if = "Option::is_none")]
    security_severity: Option<&'static str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Invocation {
    execution_successful: bool,
    tool_execution_notifications: Vec<Notification>,
}

#[derive(Serialize)]
struct Notification {
    level: &'static str,
    message: Text<'static>,
    locations: Vec<Location<'static>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text<'a>,
    locations: Vec<Location<'a>>,
    partial_fingerprints: Fingerprints<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    suppressions: Vec<Suppression>,
}

#[derive(Serialize)]
struct Fingerprints<'a> {
    #[serde(rename = "auditFingerprint/v1")]
    audit: &'a str,
}

#[derive(Serialize)]
struct Suppression {
    kind: &'static str,
    status: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    physical_location: PhysicalLocation<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation<'a> {
    artifact_location: ArtifactLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region<'a>>,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region<'a> {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
    snippet: Text<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct RunProperties {
    score: f64,
    raw_score: f64,
    recommendation: &'static str,
    baselined: usize,
    /// Failing checks with no finding to point at (e.g. a setting that is missing).
    failed_project_checks: Vec<String>,
    /// The settings module audited and why; `null` when none was found.
    settings: Option<crate::model::settings::SettingsChoice>,
}

/// Renders the SARIF log, pretty-printed with a trailing newline. `base` is prefixed to every
/// path (see [`ci_path`]).
pub fn render(result: &AuditResult, base: &str) -> String {
    let rules: Vec<Descriptor> = result.rules.iter().map(descriptor).collect();
    let mut results: Vec<SarifResult> = result
        .findings
        .iter()
        .map(|f| sarif_result(result, f, base, false))
        .collect();
    results.extend(
        result
            .suppressed
            .iter()
            .map(|f| sarif_result(result, f, base, true)),
    );
    let log = Log {
        schema: SCHEMA_URI,
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "audit",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    rules,
                },
            },
            invocations: vec![invocation(result, base)],
            column_kind: "unicodeCodePoints",
            results,
            properties: run_properties(result),
        }],
    };
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_else(|e| {
        format!("{{\"version\": \"2.1.0\", \"runs\": [], \"error\": \"{e}\"}}")
    });
    text.push('\n');
    text
}

fn descriptor(meta: &RuleMeta) -> Descriptor {
    let mut tags = vec![meta.category.as_str().to_string()];
    if !meta.area.is_empty() {
        tags.push(meta.area.clone());
    }
    tags.extend(meta.cwe.iter().filter_map(|cwe| cwe_tag(cwe)));
    // The schema wants unique tags; a rule could repeat a CWE.
    let mut seen = BTreeSet::new();
    tags.retain(|t| seen.insert(t.clone()));
    Descriptor {
        id: meta.id.clone(),
        name: meta.name.clone(),
        short_description: Text {
            text: Cow::Owned(meta.title.clone()),
        },
        full_description: Text {
            text: Cow::Owned(one_paragraph(&meta.description)),
        },
        help: Help {
            text: help_text(meta),
            markdown: help_markdown(meta),
        },
        help_uri: meta
            .references
            .iter()
            .find(|r| r.starts_with("https://") || r.starts_with("http://"))
            .cloned(),
        default_configuration: Configuration {
            level: level(meta.severity),
        },
        properties: DescriptorProperties {
            tags,
            precision: match meta.confidence {
                crate::rules::rule::Confidence::High => "high",
                crate::rules::rule::Confidence::Medium => "medium",
                crate::rules::rule::Confidence::Low => "low",
            },
            problem_severity: match meta.severity {
                Severity::Critical | Severity::High => "error",
                Severity::Medium => "warning",
                Severity::Low | Severity::Info => "recommendation",
            },
            security_severity: security_severity(meta.severity),
        },
    }
}

/// `CWE-347` -> `external/cwe/cwe-347`, the tag form GitHub turns into a CWE link.
fn cwe_tag(cwe: &str) -> Option<String> {
    let number = cwe.trim().to_ascii_lowercase();
    let number = number.strip_prefix("cwe-").unwrap_or(&number);
    (!number.is_empty() && number.chars().all(|c| c.is_ascii_digit()))
        .then(|| format!("external/cwe/cwe-{number}"))
}

/// GitHub ranks alerts by this score: critical ≥ 9.0, high ≥ 7.0, medium ≥ 4.0, low > 0.
pub fn security_severity(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Critical => Some("9.5"),
        Severity::High => Some("8.0"),
        Severity::Medium => Some("5.5"),
        Severity::Low => Some("2.0"),
        Severity::Info => None,
    }
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// Joins hard-wrapped prose into one line per paragraph.
fn one_paragraph(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn help_text(meta: &RuleMeta) -> String {
    let mut text = format!(
        "{}\n\nFailure scenario: {}\n\nImpact:\n",
        one_paragraph(&meta.description),
        one_paragraph(&meta.failure_scenario)
    );
    for line in &meta.impact {
        text.push_str(&format!("- {line}\n"));
    }
    text.push_str(&format!("\nFix:\n{}\n", meta.fix.trim()));
    text
}

fn help_markdown(meta: &RuleMeta) -> String {
    let mut md = format!(
        "**{}** ({} {}, `{}`)\n\n{}\n\n**Failure scenario**: {}\n\n**Impact**:\n\n",
        meta.title,
        meta.severity,
        meta.category,
        meta.id,
        meta.description.trim(),
        meta.failure_scenario.trim()
    );
    for line in &meta.impact {
        md.push_str(&format!("- {line}\n"));
    }
    md.push_str(&format!("\n**Fix**:\n\n{}\n", meta.fix.trim()));
    if !meta.cwe.is_empty() {
        md.push_str(&format!("\n**CWE**: {}\n", meta.cwe.join(", ")));
    }
    if !meta.references.is_empty() {
        md.push_str("\n**References**:\n\n");
        for reference in &meta.references {
            md.push_str(&format!("- <{reference}>\n"));
        }
    }
    md
}

fn sarif_result<'a>(
    result: &AuditResult,
    finding: &'a Finding,
    base: &str,
    suppressed: bool,
) -> SarifResult<'a> {
    SarifResult {
        rule_id: &finding.rule,
        rule_index: result.rules.iter().position(|r| r.id == finding.rule),
        level: level(finding.severity),
        message: Text {
            text: Cow::Borrowed(&finding.message),
        },
        locations: vec![location(finding, base)],
        partial_fingerprints: Fingerprints {
            audit: &finding.fingerprint,
        },
        suppressions: if suppressed {
            vec![Suppression {
                kind: "inSource",
                status: "accepted",
            }]
        } else {
            Vec::new()
        },
    }
}

fn location<'a>(finding: &'a Finding, base: &str) -> Location<'a> {
    // The schema requires positive positions; a degenerate finding must not break the log.
    let start_line = finding.line.max(1);
    let start_column = finding.column.max(1);
    let end_line = finding.end_line.max(start_line);
    let end_column = if end_line == start_line {
        finding.end_column.max(start_column)
    } else {
        finding.end_column.max(1)
    };
    Location {
        physical_location: PhysicalLocation {
            artifact_location: ArtifactLocation {
                uri: uri_reference(&ci_path(base, &finding.path)),
            },
            region: Some(Region {
                start_line,
                start_column,
                end_line,
                end_column,
                snippet: Text {
                    text: Cow::Borrowed(&finding.snippet),
                },
            }),
        },
    }
}

/// Percent-encodes a relative path into a URI reference: keeps unreserved characters and `/`.
fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

fn invocation(result: &AuditResult, base: &str) -> Invocation {
    Invocation {
        execution_successful: true,
        tool_execution_notifications: result
            .errors
            .iter()
            .map(|e| Notification {
                level: "warning",
                message: Text {
                    text: Cow::Owned(e.message.clone()),
                },
                locations: vec![Location {
                    physical_location: PhysicalLocation {
                        artifact_location: ArtifactLocation {
                            uri: uri_reference(&ci_path(base, &e.path)),
                        },
                        region: None,
                    },
                }],
            })
            .collect(),
    }
}

fn run_properties(result: &AuditResult) -> RunProperties {
    RunProperties {
        score: round1(result.verdict.card.score),
        raw_score: round1(result.verdict.card.raw_score),
        recommendation: result.verdict.card.recommendation.as_str(),
        baselined: result.baselined,
        failed_project_checks: result.verdict.project_level.clone(),
        settings: result.settings.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::sample_report;
    use serde_json::Value;

    fn parsed() -> Value {
        serde_json::from_str(&render(&sample_report(), "fixtures/seed-app/")).expect("JSON")
    }

    #[test]
    fn renders_the_sample_report() {
        insta::assert_snapshot!(render(&sample_report(), ""));
    }

    #[test]
    fn rules_carry_severity_tags_and_help() {
        let log = parsed();
        let rules = log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .expect("rules");
        assert_eq!(rules.len(), sample_report().rules.len());
        let jwt = rules.iter().find(|r| r["id"] == "SEC001").expect("SEC001");
        assert_eq!(jwt["properties"]["security-severity"], "9.5");
        assert_eq!(jwt["defaultConfiguration"]["level"], "error");
        assert_eq!(
            jwt["shortDescription"]["text"],
            "JWT decoded without signature verification"
        );
        let md = jwt["help"]["markdown"].as_str().expect("markdown");
        assert!(md.contains("**Fix**:\n\nVerify the signature"));
        let request_id = rules.iter().find(|r| r["id"] == "OPS001").expect("OPS001");
        assert_eq!(request_id["properties"]["security-severity"], "5.5");
        assert_eq!(request_id["defaultConfiguration"]["level"], "warning");
        assert_eq!(
            request_id["properties"]["tags"],
            serde_json::json!(["operations", "area"])
        );
    }

    #[test]
    fn results_are_located_fingerprinted_and_suppressed() {
        let log = parsed();
        let results = log["runs"][0]["results"].as_array().expect("results");
        let report = sample_report();
        assert_eq!(
            results.len(),
            report.findings.len() + report.suppressed.len()
        );
        let jwt = results
            .iter()
            .find(|r| r["ruleId"] == "SEC001")
            .expect("SEC001");
        let location = &jwt["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "fixtures/seed-app/apps/users/middleware.py"
        );
        assert_eq!(location["region"]["startLine"], 90);
        assert_eq!(location["region"]["startColumn"], 19);
        assert_eq!(
            jwt["partialFingerprints"][FINGERPRINT_KEY]
                .as_str()
                .map(str::len),
            Some(16)
        );
        let suppressed: Vec<&Value> = results
            .iter()
            .filter(|r| r.get("suppressions").is_some())
            .collect();
        assert_eq!(suppressed.len(), 1);
        assert_eq!(suppressed[0]["suppressions"][0]["kind"], "inSource");
        assert_eq!(
            log["runs"][0]["properties"]["failedProjectChecks"],
            serde_json::json!(["REL002"])
        );
    }

    #[test]
    fn helpers_encode_and_map() {
        assert_eq!(uri_reference("a b/ü.py"), "a%20b/%C3%BC.py");
        assert_eq!(cwe_tag("CWE-89").as_deref(), Some("external/cwe/cwe-89"));
        assert_eq!(cwe_tag("cwe-x"), None);
        assert_eq!(security_severity(Severity::Low), Some("2.0"));
        assert_eq!(security_severity(Severity::Info), None);
    }
}
