//! Renderers. Each takes the finished `AuditResult` and writes one format; none computes anything
//! the JSON does not also carry.

use crate::findings::Finding;
use crate::model::settings::SettingsChoice;
use crate::rules::rule::RuleMeta;
use crate::score::{Check, Scorecard};
use serde::Serialize;

/// A file that was skipped or only partly understood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileError {
    pub path: String,
    pub message: String,
}

/// Everything a run produced, in its final order.
#[derive(Clone, Debug)]
pub struct AuditResult {
    /// The scanned root as given on the command line.
    pub root: String,
    /// Files considered (after excludes).
    pub files: usize,
    /// Metadata of every rule that ran (selected, loaded), sorted by id.
    pub rules: Vec<RuleMeta>,
    /// One per rule, sorted by id.
    pub checks: Vec<Check>,
    /// Active findings sorted by path, line, column, rule.
    pub findings: Vec<Finding>,
    /// Findings hidden by inline ignores.
    pub suppressed: Vec<Finding>,
    /// Number of findings hidden by the baseline.
    pub baselined: usize,
    pub errors: Vec<FileError>,
    pub scorecard: Scorecard,
    /// The production settings module audited and why; `None` when none was found.
    pub settings: Option<SettingsChoice>,
}

impl AuditResult {
    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.id == id)
    }
}

impl AuditResult {
    /// Active findings of one rule, in report order.
    pub fn findings_of<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.rule == rule)
    }
}

/// Which settings module was audited, for every renderer: `config.settings.production
/// (config/settings/production.py): Dockerfile:12 sets DJANGO_SETTINGS_MODULE`.
pub fn settings_summary(result: &AuditResult) -> String {
    match &result.settings {
        Some(s) => format!("{} ({}): {}", s.module, s.path, s.reason),
        None => "none found".to_string(),
    }
}

/// The other Django projects' settings, not audited: `also found: side.settings (run with
/// --settings side.settings)`; `None` when there are none.
pub fn other_settings(result: &AuditResult) -> Option<String> {
    let others = &result.settings.as_ref()?.others;
    if others.is_empty() {
        return None;
    }
    let listed: Vec<String> = others
        .iter()
        .map(|m| format!("{m} (run with --settings {m})"))
        .collect();
    Some(format!("also found: {}", listed.join(", ")))
}

/// A finding's path as CI systems want it: relative to the directory the tool ran in (the
/// repository root in CI), which is the scanned root joined with the finding's path. `base` is
/// that root as a `/`-terminated relative prefix, or empty.
pub fn ci_path(base: &str, path: &str) -> String {
    format!("{base}{path}")
}

pub mod explain;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod progress;
pub mod sarif;
pub mod terminal;
