//! Rule self-tests: runs a rule's own `[[example.bad]]` / `[[example.good]]` through
//! [`run_in_memory`], the same stages as a scan (prefilter, code roles, parse, match, project
//! stage), so an example passes only if a scanned file with the same content would behave the
//! same.

use crate::findings::Severity;
use crate::memory::run_in_memory;
use crate::rules::rule::{Example, ExampleFile};
use crate::rules::LoadedRule;

const DEFAULT_PATH: &str = "app/example.py";
/// Where the code of a `setting` rule's example is put: a single settings module.
const DEFAULT_SETTINGS_PATH: &str = "config/settings.py";

/// One example that did not behave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExampleFailure {
    pub rule: String,
    /// `bad #2`, `good #1`.
    pub example: String,
    pub message: String,
}

/// Lines and severities of what the rule reports in one example: a per-file rule's single file
/// through the per-file path, or, for project rules and multi-file examples, the whole example
/// project through the same stages as a scan.
fn example_lines(
    rule: &LoadedRule,
    example: &Example,
    extra: &[ExampleFile],
) -> Vec<(usize, Severity)> {
    let default = if rule.is_per_file() {
        DEFAULT_PATH
    } else {
        DEFAULT_SETTINGS_PATH
    };
    let mut files = vec![(
        example.path.as_deref().unwrap_or(default).to_string(),
        example.code.clone(),
    )];
    files.extend(extra.iter().map(|f| (f.path.clone(), f.code.clone())));
    run_in_memory(&files, &[rule])
        .findings
        .iter()
        .map(|f| (f.line, f.severity))
        .collect()
}

pub fn check_rule(rule: &LoadedRule) -> Vec<ExampleFailure> {
    let mut failures = Vec::new();
    let id = &rule.meta.id;
    let no_files = Vec::new();
    for (i, example) in rule.examples.bad.iter().enumerate() {
        let extra = rule.example_files.bad.get(i).unwrap_or(&no_files);
        let found = example_lines(rule, example, extra);
        let lines: Vec<usize> = found.iter().map(|(l, _)| *l).collect();
        let at_line: Vec<Severity> = found
            .iter()
            .filter(|(l, _)| example.line.is_none_or(|want| *l == want))
            .map(|(_, s)| *s)
            .collect();
        let problem = match (example.line, example.severity) {
            _ if lines.is_empty() => Some("expected a finding, got none".to_string()),
            (Some(line), _) if !lines.contains(&line) => Some(format!(
                "expected a finding at line {line}, got lines {lines:?}"
            )),
            (_, Some(want)) if !at_line.contains(&want) => Some(format!(
                "expected a {want} finding{}, got {}",
                example
                    .line
                    .map(|l| format!(" at line {l}"))
                    .unwrap_or_default(),
                at_line
                    .iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            _ => None,
        };
        if let Some(message) = problem {
            failures.push(ExampleFailure {
                rule: id.clone(),
                example: format!("bad #{}", i + 1),
                message,
            });
        }
    }
    for (i, example) in rule.examples.good.iter().enumerate() {
        let extra = rule.example_files.good.get(i).unwrap_or(&no_files);
        let lines: Vec<usize> = example_lines(rule, example, extra)
            .iter()
            .map(|(line, _)| *line)
            .collect();
        if !lines.is_empty() {
            failures.push(ExampleFailure {
                rule: id.clone(),
                example: format!("good #{}", i + 1),
                message: format!("expected no finding, got lines {lines:?}"),
            });
        }
    }
    failures
}
