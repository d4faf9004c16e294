//! `--format gitlab`: a GitLab Code Quality report (a JSON array of issues) for the merge
//! request widget. Every active finding is one issue, plus an `info` entry on the audited settings
//! module saying which it is and why; failing checks without a location cannot be placed in a
//! file and are left to the other formats.

use super::{ci_path, AuditResult};
use crate::findings::{Finding, Severity};
use serde::Serialize;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    check_name: &'a str,
    fingerprint: &'a str,
    severity: &'static str,
    categories: Vec<&'static str>,
    location: Location,
}

#[derive(Serialize)]
struct Location {
    path: String,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// Renders the issues as pretty-printed JSON with a trailing newline.
pub fn render(result: &AuditResult, base: &str) -> String {
    let mut issues: Vec<Issue> = result.findings.iter().map(|f| issue(f, base)).collect();
    // Which settings were audited: an info entry on the settings module's first line.
    if let Some(choice) = &result.settings {
        issues.push(Issue {
            kind: "issue",
            description: format!("audited settings: {}", super::settings_summary(result)),
            check_name: "audit-settings",
            fingerprint: "audit-settings",
            severity: "info",
            categories: vec!["Security"],
            location: Location {
                path: ci_path(base, &choice.path),
                lines: Lines { begin: 1, end: 1 },
            },
        });
    }
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".to_string());
    text.push('\n');
    text
}

fn issue<'a>(finding: &'a Finding, base: &str) -> Issue<'a> {
    Issue {
        kind: "issue",
        description: format!("{} {}: {}", finding.rule, finding.name, finding.message),
        check_name: &finding.rule,
        fingerprint: &finding.fingerprint,
        severity: severity(finding.severity),
        categories: vec![category(finding.category)],
        location: Location {
            path: ci_path(base, &finding.path),
            lines: Lines {
                begin: finding.line.max(1),
                end: finding.end_line.max(finding.line.max(1)),
            },
        },
    }
}

fn severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "blocker",
        Severity::High => "critical",
        Severity::Medium => "major",
        Severity::Low => "minor",
        Severity::Info => "info",
    }
}

/// Code Climate's category names, which GitLab shows.
fn category(category: crate::findings::Category) -> &'static str {
    use crate::findings::Category;
    match category {
        Category::Security => "Security",
        Category::Performance => "Performance",
        Category::Reliability | Category::DataIntegrity => "Bug Risk",
        Category::Operations => "Style",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::sample_report;
    use serde_json::Value;

    #[test]
    fn renders_the_sample_report() {
        insta::assert_snapshot!(render(&sample_report(), ""));
    }

    #[test]
    fn issues_have_the_required_keys() {
        let report = sample_report();
        let value: Value =
            serde_json::from_str(&render(&report, "fixtures/seed-app/")).expect("JSON");
        let issues = value.as_array().expect("array");
        // One per finding, plus the note on the audited settings when there are some.
        assert_eq!(
            issues.len(),
            report.findings.len() + usize::from(report.settings.is_some())
        );
        let jwt = issues
            .iter()
            .find(|i| i["check_name"] == "SEC001")
            .expect("SEC001");
        assert_eq!(jwt["severity"], "blocker");
        assert_eq!(
            jwt["location"]["path"],
            "fixtures/seed-app/apps/users/middleware.py"
        );
        assert_eq!(jwt["location"]["lines"]["begin"], 90);
        assert!(jwt["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("SEC001 jwt-signature-not-verified: ")));
        let fingerprints: std::collections::BTreeSet<&str> = issues
            .iter()
            .filter_map(|i| i["fingerprint"].as_str())
            .collect();
        assert_eq!(fingerprints.len(), issues.len(), "fingerprints are unique");
    }
}
