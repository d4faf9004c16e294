//! `audit explain ID`: everything a rule file says, laid out for a terminal: the metadata,
//! what it finds, the failure scenario, the impact, the fix (code blocks indented), the
//! examples the rule is tested with, and the references.

use super::terminal::Paint as Style;
use crate::findings::Severity;
use crate::model::provenance::Origin;
use crate::model::roles::Role;
use crate::plan::phase_title;
use crate::rules::rule::{Confidence, Examples, RuleMeta};
use crate::rules::GradingSummary;
use std::fmt::Write as _;

/// How to draw the explanation; the CLI decides colour and width.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExplainOptions {
    pub color: bool,
    pub width: usize,
}

/// Narrower widths would wrap every word.
const MIN_WIDTH: usize = 40;
const INDENT: &str = "  ";

/// Renders one rule; `path` is where the rule file came from.
/// `severities` are the clauses whose findings carry a severity of their own.
pub fn render(
    meta: &RuleMeta,
    path: &str,
    examples: &Examples,
    grading: &GradingSummary,
    severities: &[(Severity, String)],
    opts: ExplainOptions,
) -> String {
    let width = opts.width.max(MIN_WIDTH);
    let style = Style { color: opts.color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}",
        style.bold(&meta.id),
        style.dim(&format!("· {}", meta.name))
    );
    let _ = writeln!(out, "{}", style.bold(&meta.title));
    let _ = writeln!(out);
    for (label, value) in facts(meta, path, grading, severities) {
        if label.is_empty() {
            // A clause's severity: wrapped under the value column.
            let first = format!("{INDENT}{:14}", "");
            wrap_into(&mut out, &value, width, &first, &format!("{first}  "));
        } else {
            let _ = writeln!(out, "{INDENT}{label:<14}{value}");
        }
    }
    section(&mut out, "What it finds", style);
    prose(&mut out, &meta.description, width);
    section(&mut out, "Failure scenario", style);
    prose(&mut out, &meta.failure_scenario, width);
    if !meta.impact.is_empty() {
        section(&mut out, "Impact", style);
        for line in &meta.impact {
            wrap_into(&mut out, line, width, "  • ", "    ");
        }
    }
    section(&mut out, "Fix", style);
    markdown(&mut out, &meta.fix, width, style);
    examples_section(&mut out, examples, style);
    if !meta.references.is_empty() {
        section(&mut out, "References", style);
        for reference in &meta.references {
            let _ = writeln!(out, "{INDENT}{reference}");
        }
    }
    out
}

fn facts(
    meta: &RuleMeta,
    path: &str,
    grading: &GradingSummary,
    severities: &[(Severity, String)],
) -> Vec<(&'static str, String)> {
    let mut rows = vec![(
        "Severity",
        format!("{} ({} · {})", meta.severity, meta.category, meta.area),
    )];
    // The rule's severity is the highest; a clause that gives less says so under it.
    for (severity, clause) in severities {
        if *severity != meta.severity {
            rows.push(("", format!("{severity}: {clause}")));
        }
    }
    rows.extend([
        (
            "Fix plan",
            format!("phase {} · {}", meta.phase, phase_title(meta.phase)),
        ),
        ("Effort", format!("{}h", meta.effort_hours)),
        (
            "Confidence",
            match meta.confidence {
                Confidence::High => "high",
                Confidence::Medium => "medium",
                Confidence::Low => "low",
            }
            .to_string(),
        ),
    ]);
    if !meta.cwe.is_empty() {
        rows.push(("CWE", meta.cwe.join(", ")));
    }
    rows.push(("Applies when", applies_when(meta)));
    if grading.per_file {
        rows.push(("Code roles", roles(meta)));
    }
    if let Some(provenance) = &grading.provenance {
        let graded = Origin::ALL
            .iter()
            .map(|&o| match provenance.severity(o) {
                Some(s) => format!("{} {s}", o.as_str()),
                None => format!("{} not reported", o.as_str()),
            })
            .collect::<Vec<_>>()
            .join(" · ");
        rows.push(("By origin", graded));
        if !provenance.sanitisers.is_empty() {
            rows.push(("Sanitisers", provenance.sanitisers.join(", ")));
        }
        if !provenance.identifier_after.is_empty() || !provenance.identifier_quotes.is_empty() {
            let mut places = Vec::new();
            if !provenance.identifier_after.is_empty() {
                places.push(format!("after {}", provenance.identifier_after.join(", ")));
            }
            if !provenance.identifier_quotes.is_empty() {
                let quoted: Vec<String> = provenance
                    .identifier_quotes
                    .iter()
                    .map(|q| format!("{q}…{q}"))
                    .collect();
                places.push(format!("inside {}", quoted.join(" ")));
            }
            rows.push(("Names only", places.join("; ")));
        }
        if provenance.trust_project_helpers {
            let text = "what the project's own imported functions return counts as sanitised";
            rows.push(("Helpers", text.to_string()));
        }
    }
    for (severity, reason, files) in &grading.lower {
        let place = if files.is_empty() {
            String::new()
        } else {
            format!(" (in {})", files.join(", "))
        };
        rows.push(("Lowered", format!("to {severity} when {reason}{place}")));
    }
    if !meta.peers.is_empty() {
        let codes: Vec<String> = meta.peers.iter().map(|c| format!("`{c}`")).collect();
        rows.push((
            "Peer markers",
            format!(
                "`# noqa: CODE` or `# nosec CODE` on the flagged line suppresses it, for {}",
                codes.join(", ")
            ),
        ));
    }
    rows.push(("Criterion", meta.criterion.clone()));
    rows.push(("Rule file", path.to_string()));
    rows
}

/// Each role with the most a finding there can be, skipped roles last.
fn roles(meta: &RuleMeta) -> String {
    let mut checked = Vec::new();
    let mut skipped = Vec::new();
    for role in Role::ALL {
        match meta.role_cap(role) {
            Some(cap) => checked.push(format!("{role} {cap}")),
            None => skipped.push(role.as_str()),
        }
    }
    if !skipped.is_empty() {
        checked.push(format!("not checked: {}", skipped.join(", ")));
    }
    checked.join(" · ")
}

fn applies_when(meta: &RuleMeta) -> String {
    let when = &meta.applies_when;
    let mut parts = Vec::new();
    if !when.dependency_any.is_empty() {
        parts.push(format!("depends on {}", when.dependency_any.join(", ")));
    }
    if !when.import_any.is_empty() {
        parts.push(format!("imports {}", when.import_any.join(", ")));
    }
    if parts.is_empty() {
        "always".to_string()
    } else {
        format!("the project {}", parts.join(" or "))
    }
}

fn section(out: &mut String, title: &str, style: Style) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", style.bold(title));
    let _ = writeln!(out, "{}", style.dim(&"─".repeat(title.chars().count())));
}

/// Hard-wrapped prose, re-wrapped to the width; blank lines keep paragraphs apart.
fn prose(out: &mut String, text: &str, width: usize) {
    let mut first = true;
    for paragraph in paragraphs(text) {
        if !first {
            let _ = writeln!(out);
        }
        first = false;
        wrap_into(out, &paragraph, width, INDENT, INDENT);
    }
}

fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect()
}

/// The fix's Markdown: prose paragraphs and list items wrapped, fenced code indented as is.
fn markdown(out: &mut String, text: &str, width: usize, style: Style) {
    let mut blocks: Vec<Block> = Vec::new();
    let mut in_code = false;
    for line in text.trim().lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            if in_code {
                blocks.push(Block::Code(Vec::new()));
            }
            continue;
        }
        if in_code {
            if let Some(Block::Code(lines)) = blocks.last_mut() {
                lines.push(line.to_string());
            }
            continue;
        }
        let trimmed = line.trim();
        if trimmed.is_empty() {
            blocks.push(Block::Break);
        } else if let Some(item) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            blocks.push(Block::Item(item.to_string()));
        } else {
            match blocks.last_mut() {
                Some(Block::Text(text)) | Some(Block::Item(text)) => {
                    text.push(' ');
                    text.push_str(trimmed);
                }
                _ => blocks.push(Block::Text(trimmed.to_string())),
            }
        }
    }
    let mut pending_gap = false;
    let mut wrote = false;
    for block in blocks {
        match block {
            Block::Break => pending_gap = true,
            other => {
                if wrote && (pending_gap || matches!(other, Block::Code(_))) {
                    let _ = writeln!(out);
                }
                pending_gap = false;
                wrote = true;
                match other {
                    Block::Text(text) => wrap_into(out, &text, width, INDENT, INDENT),
                    Block::Item(text) => wrap_into(out, &text, width, "  • ", "    "),
                    Block::Code(lines) => {
                        for line in lines {
                            let _ =
                                writeln!(out, "{}", style.dim(&format!("    {line}")).trim_end());
                        }
                        pending_gap = true;
                    }
                    Block::Break => {}
                }
            }
        }
    }
}

enum Block {
    Text(String),
    Item(String),
    Code(Vec<String>),
    Break,
}

fn examples_section(out: &mut String, examples: &Examples, style: Style) {
    if examples.bad.is_empty() && examples.good.is_empty() {
        return;
    }
    section(out, "Examples", style);
    let mut first = true;
    let groups = [("Flagged", &examples.bad), ("Not flagged", &examples.good)];
    for (label, list) in groups {
        for example in list {
            if !first {
                let _ = writeln!(out);
            }
            first = false;
            let mut heading = format!("{INDENT}{label}");
            match (example.line, example.severity) {
                (Some(line), Some(severity)) => {
                    let _ = write!(heading, " (line {line}, {severity})");
                }
                (Some(line), None) => {
                    let _ = write!(heading, " (line {line})");
                }
                (None, Some(severity)) => {
                    let _ = write!(heading, " ({severity})");
                }
                (None, None) => {}
            }
            if let Some(path) = &example.path {
                let _ = write!(heading, " as {path}");
            }
            let _ = writeln!(out, "{}:", style.bold(&heading));
            for line in example.code.trim_matches('\n').lines() {
                let _ = writeln!(out, "{}", format!("    {line}").trim_end());
            }
        }
    }
}

/// Greedy word wrap; a word longer than the line (a URL) gets a line of its own.
fn wrap_into(out: &mut String, text: &str, width: usize, first: &str, rest: &str) {
    let mut line = first.to_string();
    let mut empty = true;
    for word in text.split_whitespace() {
        let would = line.chars().count() + usize::from(!empty) + word.chars().count();
        if !empty && would > width {
            let _ = writeln!(out, "{line}");
            line = rest.to_string();
            empty = true;
        }
        if !empty {
            line.push(' ');
        }
        line.push_str(word);
        empty = false;
    }
    let _ = writeln!(out, "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Category, Severity};
    use crate::rules::rule::Example;

    fn sample() -> (RuleMeta, Examples) {
        let mut meta = crate::plan::tests::meta(
            "SEC001",
            "jwt-signature-not-verified",
            Severity::Critical,
            Category::Security,
            1,
            4.0,
        );
        meta.cwe = vec!["CWE-347".into()];
        meta.description =
            "Finds tokens decoded\nwithout their signature.\n\nSecond paragraph.".into();
        meta.impact = vec!["Account takeover".into()];
        meta.fix = "Verify the\nsignature:\n\n```python\njwt.decode(t, key)\n```\n\n- pin algorithms\n- test it".into();
        meta.references = vec!["https://example.org/jwt".into()];
        meta.applies_when.import_any = vec!["jwt".into()];
        let examples = Examples {
            bad: vec![Example {
                code: "jwt.decode(t, options={})\n".into(),
                line: Some(1),
                severity: None,
                path: None,
            }],
            good: vec![Example {
                code: "jwt.decode(t, key)\n".into(),
                line: None,
                severity: None,
                path: None,
            }],
        };
        (meta, examples)
    }

    #[test]
    fn renders_every_part_of_the_rule() {
        let (meta, examples) = sample();
        let grading = GradingSummary {
            per_file: true,
            provenance: Some(crate::rules::rule::ProvenanceSpec {
                request: Some(Severity::Critical),
                parameter: Some(Severity::Medium),
                unknown: Some(Severity::Low),
                sanitisers: vec!["**.verified".into()],
                trust_project_helpers: true,
                ..Default::default()
            }),
            lower: vec![(
                Severity::Medium,
                "it runs in a task".into(),
                vec!["**/tasks.py".into()],
            )],
        };
        let text = render(
            &meta,
            "rules/security/SEC001.toml",
            &examples,
            &grading,
            &[],
            ExplainOptions {
                color: false,
                width: 80,
            },
        );
        assert_eq!(
            text,
            "SEC001 · jwt-signature-not-verified
Title of SEC001

  Severity      critical (security · area)
  Fix plan      phase 1 · Critical security
  Effort        4h
  Confidence    high
  CWE           CWE-347
  Applies when  the project imports jwt
  Code roles    app critical · command critical · script critical · worker critical · not checked: migration, test, fixture, template, vendored
  By origin     request critical · parameter medium · unknown low · sanitised not reported · constant not reported
  Sanitisers    **.verified
  Helpers       what the project's own imported functions return counts as sanitised
  Lowered       to medium when it runs in a task (in **/tasks.py)
  Criterion     Criterion of SEC001
  Rule file     rules/security/SEC001.toml

What it finds
─────────────
  Finds tokens decoded without their signature.

  Second paragraph.

Failure scenario
────────────────
  f

Impact
──────
  • Account takeover

Fix
───
  Verify the signature:

    jwt.decode(t, key)

  • pin algorithms
  • test it

Examples
────────
  Flagged (line 1):
    jwt.decode(t, options={})

  Not flagged:
    jwt.decode(t, key)

References
──────────
  https://example.org/jwt
"
        );
    }

    #[test]
    fn wraps_long_prose() {
        let mut out = String::new();
        wrap_into(&mut out, "aaa bbb ccc ddd", 9, "  ", "  ");
        assert_eq!(out, "  aaa bbb\n  ccc ddd\n");
        let mut out = String::new();
        wrap_into(&mut out, "https://a.very.long/url x", 10, "  ", "  ");
        assert_eq!(out, "  https://a.very.long/url\n  x\n");
    }

    #[test]
    fn a_clause_below_the_rule_severity_is_shown_under_it() {
        let (meta, examples) = sample();
        let severities = [
            (Severity::Low, "ALLOWED_HOSTS is empty".to_string()),
            // as severe as the rule: nothing to add
            (
                Severity::Critical,
                "ALLOWED_HOSTS contains \"*\"".to_string(),
            ),
        ];
        let text = render(
            &meta,
            "rules/security/SEC001.toml",
            &examples,
            &GradingSummary::default(),
            &severities,
            ExplainOptions {
                color: false,
                width: 80,
            },
        );
        let head: Vec<&str> = text.lines().skip(3).take(3).collect();
        assert_eq!(
            head,
            [
                "  Severity      critical (security · area)",
                "                low: ALLOWED_HOSTS is empty",
                "  Fix plan      phase 1 · Critical security",
            ]
        );
    }
}
