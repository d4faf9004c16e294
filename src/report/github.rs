//! `--format github`: GitHub Actions workflow commands, one annotation per active finding
//! (`::error file=…,line=…::message`), then one file-less annotation per failing project-level
//! check, so a pull request shows each problem on its line; a closing notice names the settings
//! module audited and why.

use super::{ci_path, AuditResult};
use crate::findings::{Finding, Severity};
use std::fmt::Write as _;

/// Renders the annotations, one per line.
pub fn render(result: &AuditResult, base: &str) -> String {
    let mut out = String::new();
    for finding in &result.findings {
        let _ = writeln!(out, "{}", annotation(result, finding, base));
    }
    for check in result.project_level_failures() {
        let meta = result.rule(&check.rule);
        let title = meta.map_or_else(|| check.rule.clone(), |m| format!("{} {}", m.id, m.name));
        let mut message = meta.map_or_else(|| check.rule.clone(), |m| m.title.clone());
        if let Some(note) = &check.note {
            let _ = write!(message, " ({note})");
        }
        let _ = writeln!(
            out,
            "::{} title={}::{}",
            command(check.severity),
            escape_property(&title),
            escape_data(&message)
        );
    }
    // Which settings were audited, in the run's summary (a notice, not a problem).
    let mut settings = format!("audited settings: {}", super::settings_summary(result));
    if let Some(others) = super::other_settings(result) {
        let _ = write!(settings, "; {others}");
    }
    let _ = writeln!(
        out,
        "::notice title={}::{}",
        escape_property("audit settings"),
        escape_data(&settings)
    );
    out
}

fn annotation(result: &AuditResult, finding: &Finding, base: &str) -> String {
    let title = format!("{} {}", finding.rule, finding.name);
    let mut message = finding.message.clone();
    if let Some(meta) = result.rule(&finding.rule) {
        let fix = crate::plan::fix_summary(&meta.fix);
        if !fix.is_empty() {
            let _ = write!(message, "\nFix: {}", crate::plan::first_sentence(&fix));
        }
    }
    let mut props = format!(
        "file={},line={},col={}",
        escape_property(&ci_path(base, &finding.path)),
        finding.line.max(1),
        finding.column.max(1)
    );
    if finding.end_line >= finding.line {
        let _ = write!(props, ",endLine={}", finding.end_line.max(1));
        if finding.end_line == finding.line {
            let _ = write!(props, ",endColumn={}", finding.end_column.max(1));
        }
    }
    let _ = write!(props, ",title={}", escape_property(&title));
    format!(
        "::{} {props}::{}",
        command(finding.severity),
        escape_data(&message)
    )
}

/// Critical and high fail the build, so they are errors; medium a warning; the rest notices.
fn command(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

/// The message part of a workflow command: `%`, CR and LF are encoded.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A property value: as the message, plus `:` and `,`, which delimit properties.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::sample_report;

    #[test]
    fn renders_the_sample_report() {
        insta::assert_snapshot!(render(&sample_report(), "fixtures/seed-app/"));
    }

    #[test]
    fn one_annotation_per_finding_then_project_failures() {
        let report = sample_report();
        let text = render(&report, "");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.iter().filter(|l| l.contains(" file=")).count(),
            report.findings.len()
        );
        let n = lines.len();
        assert_eq!(
            lines[n - 2],
            "::error title=REL002 request-timeout-missing::No bound on request time"
        );
        assert_eq!(
            lines[n - 1],
            "::notice title=audit settings::audited settings: apps.backend.config.settings \
             (apps/backend/config/settings.py): Dockerfile:12 sets DJANGO_SETTINGS_MODULE; also \
             found: tools.demo.settings (run with --settings tools.demo.settings)"
        );
        assert!(lines.contains(
            &"::error file=apps/users/middleware.py,line=90,col=19,endLine=90,endColumn=73,title=SEC001 jwt-signature-not-verified::`jwt.decode` is called with `verify_signature: False`: any forged token is accepted%0AFix: Verify the signature: pass the issuer's key and pin `algorithms`."
        ));
        assert!(text.contains("::notice file=apps/feed/tasks.py,line=8,"));
    }

    #[test]
    fn escapes_delimiters() {
        assert_eq!(escape_data("50%\nnext"), "50%25%0Anext");
        assert_eq!(escape_property("a:b,c"), "a%3Ab%2Cc");
    }
}
