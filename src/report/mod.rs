//! Renderers. Each takes the finished `AuditResult` (`result.rs`) and writes one format: they
//! format the verdict computed there and compute none of their own.

pub use crate::result::{AuditResult, FileError};

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

/// The Python files per code role, largest first (`312 app · 88 migration · 9 script`), or
/// `None` when there were none.
pub fn role_counts(
    roles: &std::collections::BTreeMap<crate::model::roles::Role, usize>,
) -> Option<String> {
    let mut counts: Vec<(&crate::model::roles::Role, &usize)> =
        roles.iter().filter(|(_, n)| **n > 0).collect();
    if counts.is_empty() {
        return None;
    }
    counts.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    Some(
        counts
            .iter()
            .map(|(role, n)| format!("{n} {role}"))
            .collect::<Vec<_>>()
            .join(" · "),
    )
}

/// What the role counts mean for the code rules, in one sentence.
pub const ROLE_NOTE: &str = "migrations, fixtures, scaffolding templates and vendored code are not \
    audited by the code rules; commands and scripts are audited at the severity each rule gives them";

pub mod explain;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod progress;
pub mod sarif;
pub mod terminal;
