//! One audit run, stage by stage (DESIGN §1): discover → read + prefilter → parse → rule matches
//! → suppressions and baseline → checks → score. Each file is read once and parsed at most once;
//! its tree is dropped as soon as its findings are extracted.

use crate::discover::{self, DiscoverError, DiscoverOptions, FileKind, SourceFile};
use crate::findings::{assign_fingerprints, fold_whitespace, Finding};
use crate::parse::{manifests, python};
use crate::report::{AuditResult, FileError};
use crate::rules::pattern::{FileContext, RawMatch};
use crate::rules::prefilter::Prefilter;
use crate::rules::{CompiledMatcher, LoadedRule};
use crate::score::{self, Check, CheckStatus};
use crate::suppress::{self, Baseline, Ignores, SuppressionProblem};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// A snippet shows at most this many lines of a long match (a whole `except` block, say).
const MAX_SNIPPET_LINES: usize = 8;

pub struct RunOptions {
    pub paths: Vec<PathBuf>,
    pub excludes: Vec<String>,
    /// Suppressed findings still fail their check.
    pub strict: bool,
    pub baseline: Option<Baseline>,
    /// Worker threads; `None` lets rayon choose.
    pub jobs: Option<usize>,
    /// Every rule id that exists (for unknown-id checks in suppressions).
    pub known_ids: BTreeSet<String>,
    /// `--settings` / `settings = "…"`: the dotted production settings module, if named.
    pub settings: Option<String>,
}

#[derive(Debug)]
pub enum RunError {
    Discover(DiscoverError),
    /// Suppression comments naming rules that do not exist.
    Suppressions(Vec<SuppressionProblem>),
    Threads(String),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Discover(e) => write!(f, "{e}"),
            RunError::Suppressions(problems) => {
                for (i, p) in problems.iter().enumerate() {
                    if i > 0 {
                        writeln!(f)?;
                    }
                    write!(f, "{}:{}: {}", p.path, p.line, p.message)?;
                }
                Ok(())
            }
            RunError::Threads(e) => write!(f, "cannot start worker threads: {e}"),
        }
    }
}

impl std::error::Error for RunError {}

/// What one file contributed.
#[derive(Default)]
struct FileOutcome {
    findings: Vec<Finding>,
    errors: Vec<FileError>,
    /// Top-level modules imported (non-test files only), for `applies_when`.
    imports: BTreeSet<String>,
    dependencies: Vec<manifests::Dependency>,
    ignores: Option<Ignores>,
}

/// Runs `rules` over the files under `opts.paths`.
pub fn run(rules: &[&LoadedRule], opts: &RunOptions) -> Result<AuditResult, RunError> {
    let discover_opts = DiscoverOptions {
        excludes: opts.excludes.clone(),
        ..DiscoverOptions::default()
    };
    let discovery = discover::discover(&opts.paths, &discover_opts).map_err(RunError::Discover)?;
    let prefilter = Prefilter::new(rules);
    let analyze_all = || -> Vec<FileOutcome> {
        discovery
            .files
            .par_iter()
            .map(|file| analyze_file(file, rules, &prefilter))
            .collect()
    };
    let outcomes = match opts.jobs {
        Some(jobs) => rayon::ThreadPoolBuilder::new()
            .num_threads(jobs.max(1))
            .build()
            .map_err(|e| RunError::Threads(e.to_string()))?
            .install(analyze_all),
        None => analyze_all(),
    };

    let mut findings = Vec::new();
    let mut errors = discovery.errors.clone();
    let mut imports = BTreeSet::new();
    let mut dependencies = BTreeSet::new();
    let mut ignores = BTreeMap::new();
    for (file, outcome) in discovery.files.iter().zip(outcomes) {
        findings.extend(outcome.findings);
        errors.extend(outcome.errors);
        imports.extend(outcome.imports);
        dependencies.extend(outcome.dependencies.into_iter().map(|d| d.name));
        if let Some(found) = outcome.ignores {
            ignores.insert(file.rel.clone(), found);
        }
    }

    let ran: BTreeSet<String> = rules.iter().map(|r| r.meta.id.clone()).collect();
    let split = suppress::apply(findings, &ignores, &ran, &opts.known_ids);
    let (fatal, warnings): (Vec<_>, Vec<_>) = split.problems.into_iter().partition(|p| p.is_error);
    if !fatal.is_empty() {
        return Err(RunError::Suppressions(fatal));
    }
    errors.extend(warnings.into_iter().map(|p| FileError {
        path: p.path,
        message: format!("line {}: {}", p.line, p.message),
    }));
    let (mut active, baselined) = match &opts.baseline {
        Some(baseline) => suppress::apply_baseline(split.active, baseline),
        None => (split.active, 0),
    };
    active.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut suppressed = split.suppressed;
    suppressed.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    errors.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    errors.dedup();

    let checks: Vec<Check> = rules
        .iter()
        .map(|rule| {
            check_for(
                rule,
                &active,
                &suppressed,
                opts.strict,
                &imports,
                &dependencies,
            )
        })
        .collect();
    let scorecard = score::scorecard(&checks);
    Ok(AuditResult {
        root: opts
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        files: discovery.files.len(),
        rules: rules.iter().map(|r| r.meta.clone()).collect(),
        checks,
        findings: active,
        suppressed,
        baselined,
        errors,
        scorecard,
    })
}

fn check_for(
    rule: &LoadedRule,
    active: &[Finding],
    suppressed: &[Finding],
    strict: bool,
    imports: &BTreeSet<String>,
    dependencies: &BTreeSet<String>,
) -> Check {
    let meta = &rule.meta;
    let count = active.iter().filter(|f| f.rule == meta.id).count();
    let hidden = suppressed.iter().filter(|f| f.rule == meta.id).count();
    let when = &meta.applies_when;
    let applicable = when.is_unconditional()
        || when
            .dependency_any
            .iter()
            .any(|d| dependencies.contains(&manifests::normalize_name(d)))
        || when.import_any.iter().any(|m| imports.contains(m));
    let (status, note) = if count > 0 || (strict && hidden > 0) {
        (CheckStatus::Fail, None)
    } else if !applicable {
        let mut evidence: Vec<String> = when.dependency_any.clone();
        evidence.extend(when.import_any.iter().map(|m| format!("import {m}")));
        let note = format!("not applicable: no {} in the project", evidence.join(" / "));
        (CheckStatus::NotApplicable, Some(note))
    } else {
        (CheckStatus::Pass, None)
    };
    Check {
        rule: meta.id.clone(),
        status,
        findings: count,
        note,
        severity: meta.severity,
        category: meta.category,
    }
}

fn analyze_file(file: &SourceFile, rules: &[&LoadedRule], prefilter: &Prefilter) -> FileOutcome {
    let mut outcome = FileOutcome::default();
    let wants_text = file.is_python() || matches!(file.kind, FileKind::Manifest(_));
    if !wants_text {
        return outcome;
    }
    let bytes = match std::fs::read(&file.abs) {
        Ok(bytes) => bytes,
        Err(e) => {
            outcome
                .errors
                .push(skip(file, &format!("cannot read: {e}")));
            return outcome;
        }
    };
    if bytes.contains(&0) {
        outcome
            .errors
            .push(skip(file, "skipped: binary content (NUL bytes)"));
        return outcome;
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(_) => {
            outcome.errors.push(skip(file, "skipped: not valid UTF-8"));
            return outcome;
        }
    };
    if let FileKind::Manifest(kind) = file.kind {
        outcome.dependencies = manifests::parse(kind, &file.rel, &text);
        return outcome;
    }
    if !file.is_test {
        outcome.imports = imported_modules(&text);
    }
    if text.contains("audit:") {
        outcome.ignores = Some(suppress::parse_ignores(&text));
    }
    let wanted: Vec<&LoadedRule> = prefilter
        .rules_for(text.as_bytes())
        .into_iter()
        .map(|i| rules[i])
        .filter(|r| !file.is_test || r.meta.applies_to_tests)
        .collect();
    if wanted.is_empty() {
        return outcome;
    }
    let analysis = analyze_source(&file.rel, text, &wanted);
    outcome.findings = analysis.findings;
    outcome.errors.extend(analysis.errors);
    outcome
}

fn skip(file: &SourceFile, message: &str) -> FileError {
    FileError {
        path: file.rel.clone(),
        message: message.to_string(),
    }
}

/// Findings of `rules` in one Python source, plus a note when it has syntax errors.
pub struct SourceAnalysis {
    pub findings: Vec<Finding>,
    pub errors: Vec<FileError>,
}

/// Parses `text` once and runs every rule on it. Used for scanned files and rule examples alike.
pub fn analyze_source(rel: &str, text: String, rules: &[&LoadedRule]) -> SourceAnalysis {
    let mut analysis = SourceAnalysis {
        findings: Vec::new(),
        errors: Vec::new(),
    };
    let Some(root) = python::parse(text) else {
        analysis.errors.push(FileError {
            path: rel.to_string(),
            message: "skipped: the parser gave up on this file".to_string(),
        });
        return analysis;
    };
    if let Some((line, column)) = python::first_syntax_error(&root) {
        analysis.errors.push(FileError {
            path: rel.to_string(),
            message: format!(
                "syntax error at {line}:{column}; findings in the parts that parse are still reported"
            ),
        });
    }
    let source = root.get_text();
    let lines = LineIndex::new(source);
    let ctx = FileContext::new(rel, root.root());
    for rule in rules {
        let matches = match &rule.matcher {
            CompiledMatcher::Pattern(p) => p.find(&ctx),
            CompiledMatcher::Query(q) => q.find(&ctx),
        };
        for raw in matches {
            analysis
                .findings
                .push(to_finding(rule, rel, source, &lines, raw));
        }
    }
    assign_fingerprints(&mut analysis.findings);
    analysis
}

fn to_finding(
    rule: &LoadedRule,
    rel: &str,
    source: &str,
    lines: &LineIndex,
    raw: RawMatch,
) -> Finding {
    let (line, column) = lines.position(source, raw.start);
    let (end_line, end_column) = lines.position(source, raw.end);
    let snippet_start = lines.starts[line - 1];
    let last_line = end_line.min(line + MAX_SNIPPET_LINES - 1);
    let snippet_end = lines.starts.get(last_line).copied().unwrap_or(source.len());
    let snippet = source[snippet_start..snippet_end].trim_end_matches(['\n', '\r']);
    let shown_end = raw.end.min(snippet_start + snippet.len());
    Finding {
        rule: rule.meta.id.clone(),
        name: rule.meta.name.clone(),
        severity: rule.meta.severity,
        category: rule.meta.category,
        path: rel.to_string(),
        line,
        column,
        end_line,
        end_column,
        message: raw.message.unwrap_or_else(|| rule.meta.title.clone()),
        snippet: snippet.to_string(),
        fingerprint: String::new(),
        byte_range: (raw.start, shown_end.max(raw.start)),
        snippet_offset: snippet_start,
        matched_text: fold_whitespace(&source[raw.start..raw.end]),
    }
}

/// Byte offsets of line starts, for offset → (line, column) conversions.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(source: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            source
                .bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// 1-based line and 1-based column in characters.
    fn position(&self, source: &str, offset: usize) -> (usize, usize) {
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let column = source
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(0);
        (line, column + 1)
    }
}

/// Top-level modules a file imports, read from its text (no parse needed): `import a.b`,
/// `import a as x`, `from a.b import c`. Relative imports are skipped.
fn imported_modules(text: &str) -> BTreeSet<String> {
    let mut modules = BTreeSet::new();
    for line in text.lines() {
        let line = line.trim_start();
        let rest = if let Some(rest) = line.strip_prefix("import ") {
            rest
        } else if let Some(rest) = line.strip_prefix("from ") {
            rest.split(" import").next().unwrap_or("")
        } else {
            continue;
        };
        for part in rest.split(',') {
            let name = part.trim().split([' ', '.']).next().unwrap_or("");
            if !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_') {
                modules.insert(name.to_string());
            }
        }
    }
    modules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_characters_not_bytes() {
        let source = "a = 1\nb = \"é\" + x\n";
        let lines = LineIndex::new(source);
        assert_eq!(lines.position(source, 0), (1, 1));
        let x = source.find('x').expect("x");
        assert_eq!(lines.position(source, x), (2, 11));
    }

    #[test]
    fn imported_modules_reads_every_import_form() {
        let text = "import jwt as pyjwt\nfrom jose import jwt\nimport os.path, sys\nfrom . import views\n    import requests\n";
        let found: Vec<String> = imported_modules(text).into_iter().collect();
        assert_eq!(found, vec!["jose", "jwt", "os", "requests", "sys"]);
    }
}
