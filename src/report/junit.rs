//! `--format junit`: JUnit XML for CI test tabs. Every check is one test case, grouped in one
//! test suite per category; a failing check is a failed test whose body lists its findings, an
//! n/a check is skipped with the reason.

use super::{ci_path, AuditResult};
use crate::findings::Category;
use crate::score::{Check, CheckStatus};
use std::fmt::Write as _;

/// Renders the XML document with a trailing newline.
pub fn render(result: &AuditResult, base: &str) -> String {
    let coverage = &result.verdict.card.coverage;
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"audit\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">",
        coverage.checks, coverage.failed, coverage.not_applicable
    );
    for category in Category::ALL {
        let checks: Vec<&Check> = result
            .checks
            .iter()
            .filter(|c| c.category == category)
            .collect();
        if !checks.is_empty() {
            suite(&mut out, result, category, &checks, base);
        }
    }
    out.push_str("</testsuites>\n");
    out
}

fn suite(
    out: &mut String,
    result: &AuditResult,
    category: Category,
    checks: &[&Check],
    base: &str,
) {
    let count = |status: CheckStatus| checks.iter().filter(|c| c.status == status).count();
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" skipped=\"{}\" errors=\"0\">",
        category.as_str(),
        checks.len(),
        count(CheckStatus::Fail),
        count(CheckStatus::NotApplicable)
    );
    let _ = writeln!(
        out,
        "    <properties><property name=\"settings\" value=\"{}\"/></properties>",
        escape(&super::settings_summary(result), true)
    );
    for check in checks {
        case(out, result, check, base);
    }
    out.push_str("  </testsuite>\n");
}

fn case(out: &mut String, result: &AuditResult, check: &Check, base: &str) {
    let meta = result.rule(&check.rule);
    let name = meta.map_or_else(|| check.rule.clone(), |m| format!("{} {}", m.id, m.name));
    let title = meta.map_or_else(|| check.rule.clone(), |m| m.title.clone());
    let mut attrs = format!(
        "name=\"{}\" classname=\"audit.{}\"",
        xml(&name),
        check.category.as_str()
    );
    let first = result.findings_of(&check.rule).next();
    if let Some(finding) = first {
        let _ = write!(
            attrs,
            " file=\"{}\" line=\"{}\"",
            xml(&ci_path(base, &finding.path)),
            finding.line
        );
    }
    match check.status {
        CheckStatus::Pass => {
            let _ = writeln!(out, "    <testcase {attrs}/>");
        }
        CheckStatus::NotApplicable => {
            let note = check.note.as_deref().unwrap_or("preconditions not met");
            let _ = writeln!(out, "    <testcase {attrs}>");
            let _ = writeln!(out, "      <skipped message=\"{}\"/>", xml(note));
            out.push_str("    </testcase>\n");
        }
        CheckStatus::Fail => {
            let message = match check.findings {
                0 => format!("{title} (project-level)"),
                1 => format!("{title} (1 finding)"),
                n => format!("{title} ({n} findings)"),
            };
            let mut body = String::new();
            for finding in result.findings_of(&check.rule) {
                let _ = writeln!(
                    body,
                    "{}:{}:{}: {}",
                    ci_path(base, &finding.path),
                    finding.line,
                    finding.column,
                    finding.message
                );
            }
            if let Some(note) = &check.note {
                let _ = writeln!(body, "{note}");
            }
            if let Some(meta) = meta {
                let fix = crate::plan::fix_summary(&meta.fix);
                if !fix.is_empty() {
                    let _ = writeln!(body, "Fix: {fix}");
                }
            }
            let _ = writeln!(out, "    <testcase {attrs}>");
            let _ = writeln!(
                out,
                "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                xml(&message),
                check.severity,
                xml_text(&body)
            );
            out.push_str("    </testcase>\n");
        }
    }
}

/// Escapes text for an attribute (line breaks encoded, so they survive attribute
/// normalization) and drops characters XML 1.0 forbids.
fn xml(text: &str) -> String {
    escape(text, true)
}

/// Escapes an element body, where line breaks stay as they are.
fn xml_text(text: &str) -> String {
    escape(text, false)
}

/// Drops the control characters XML 1.0 forbids (all but tab, CR and LF), which source
/// snippets and messages may contain.
fn escape(text: &str, attribute: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' | '\t' | '\r' if attribute => out.push_str(&format!("&#{};", c as u32)),
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("&#13;"),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::sample_report;

    #[test]
    fn renders_the_sample_report() {
        insta::assert_snapshot!(render(&sample_report(), ""));
    }

    #[test]
    fn counts_and_cases_match_the_checks() {
        let report = sample_report();
        let text = render(&report, "");
        assert_eq!(text.matches("<testcase ").count(), report.checks.len());
        assert_eq!(
            text.matches("<failure ").count(),
            report.verdict.card.coverage.failed
        );
        assert_eq!(text.matches("<skipped ").count(), 1);
        assert!(text.contains(
            "<testsuites name=\"audit\" tests=\"13\" failures=\"6\" skipped=\"1\" errors=\"0\">"
        ));
        assert!(text.contains(
            "<testcase name=\"SEC028 content-security-policy-missing\" classname=\"audit.security\">\n      <skipped message=\"django-csp is not a dependency\"/>"
        ));
    }

    #[test]
    fn escapes_and_strips_invalid_characters() {
        assert_eq!(xml("a<b & \"c\"\u{1}\n"), "a&lt;b &amp; &quot;c&quot;&#10;");
        assert_eq!(xml_text("x\n\u{0}y"), "x\ny");
    }
}
