//! One audit run, stage by stage (DESIGN §1): discover → read + prefilter → parse → rule matches
//! → suppressions and baseline → checks → score. Each file is read once and parsed at most once;
//! its tree is dropped as soon as its findings are extracted.
//!
//! One module per stage: `plan` (which rules run per file, the prefilter, what project matchers
//! need), `file` (the per-file stage), `merge` (the files' contributions in path order),
//! `project_stage` (settings profile, project model, project matchers) and `checks` (pass, fail,
//! n/a). This module runs them on a scan (`run`) and on in-memory files (`analyze_project`).

use crate::discover::{self, DiscoverError, DiscoverOptions, FileKind, SourceFile};
use crate::findings::Finding;
use crate::model::roles::RoleOverrides;
use crate::model::settings;
use crate::parse::source;
use crate::result::{AuditResult, FileError, Verdict};
use crate::rules::LoadedRule;
use crate::score::{Check, Visibility};
use crate::suppress::{self, Baseline, SuppressionProblem};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

mod callers;
mod checks;
mod file;
mod merge;
mod plan;
mod project_stage;

use checks::{check_for, Applicability};
pub(crate) use file::analyze_source;
use file::{analyze_file, analyze_text, document_words, FileOutcome};
use merge::Merged;
use plan::Plan;
use project_stage::project_stage;

/// Worker threads: each walker is bounded by `python::MAX_TREE_DEPTH`, and this leaves room for
/// the grammar's and ast-grep's own recursion on a tree that deep.
const WORKER_STACK_BYTES: usize = 32 << 20;

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
    /// Code roles assigned by glob in the config.
    pub roles: RoleOverrides,
}

#[derive(Debug)]
pub enum RunError {
    Discover(DiscoverError),
    /// Suppression comments naming rules that do not exist.
    Suppressions(Vec<SuppressionProblem>),
    Threads(String),
    /// `--settings` names a module the repository does not have.
    UnknownSettings(String),
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
            RunError::UnknownSettings(name) => write!(
                f,
                "--settings {name}: no Python module of that name was found under the scanned paths"
            ),
        }
    }
}

impl std::error::Error for RunError {}

/// Runs `rules` over the files under `opts.paths`.
pub fn run(rules: &[&LoadedRule], opts: &RunOptions) -> Result<AuditResult, RunError> {
    let discover_opts = DiscoverOptions {
        excludes: opts.excludes.clone(),
        ..DiscoverOptions::default()
    };
    let discovery = discover::discover(&opts.paths, &discover_opts).map_err(RunError::Discover)?;
    let plan = Plan::new(rules, opts.settings.as_deref(), opts.roles.clone());
    let analyze_all = || -> Vec<FileOutcome> {
        discovery
            .files
            .par_iter()
            .map(|file| analyze_file(file, &plan))
            .collect()
    };
    let outcomes = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs.unwrap_or(0))
        .stack_size(WORKER_STACK_BYTES)
        .build()
        .map_err(|e| RunError::Threads(e.to_string()))?
        .install(analyze_all);

    let mut merged = Merged::default();
    for (file, outcome) in discovery.files.iter().zip(outcomes) {
        merged.paths.push(file.rel.clone());
        merged.add(&file.rel, outcome);
    }
    let by_rel: BTreeMap<&str, &SourceFile> = discovery
        .files
        .iter()
        .map(|f| (f.rel.as_str(), f))
        .collect();
    let read = |rel: &str| {
        let file = by_rel.get(rel)?;
        source::decode_python(std::fs::read(&file.abs).ok()?).ok()
    };
    callers::settle(&mut merged.findings, &merged.modules, &read);
    merged.place_background_modules(rules);
    // A settings module skipped before it was read (over the size limit) is unseen as well.
    for skipped in &discovery.errors {
        if plan.may_be_settings(&skipped.path, discover::is_test_path(&skipped.path)) {
            merged
                .unreadable_settings
                .push(format!("{}: {}", skipped.path, skipped.message));
        }
    }
    if let Some(named) = &opts.settings {
        if plan.wants_settings && settings::find_module(&merged.settings, named).is_none() {
            let unread = discovery.files.iter().any(|f| plan.is_named(&f.rel))
                || !merged.unreadable_settings.is_empty();
            if !unread {
                return Err(RunError::UnknownSettings(named.clone()));
            }
        }
    }
    let project = project_stage(rules, &merged, opts.settings.as_deref());
    let imports = merged.top_level_imports();
    let dependencies: BTreeSet<String> =
        merged.dependencies.iter().map(|d| d.name.clone()).collect();
    let mut findings = merged.findings;
    findings.extend(project.findings);
    let mut errors = discovery.errors.clone();
    errors.extend(merged.errors);
    errors.extend(project.errors);
    let ignores = merged.ignores;
    let roles = merged.roles;

    let ran: BTreeSet<String> = rules.iter().map(|r| r.meta.id.clone()).collect();
    let peers: BTreeMap<String, Vec<String>> = rules
        .iter()
        .map(|r| (r.meta.id.clone(), r.meta.peers.clone()))
        .collect();
    let split = suppress::apply(findings, &ignores, &ran, &opts.known_ids, &peers);
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

    let has_python = discovery.files.iter().any(SourceFile::is_python);
    let checks: Vec<Check> = rules
        .iter()
        .map(|rule| {
            check_for(
                rule,
                &active,
                &suppressed,
                opts.strict,
                &Applicability {
                    imports: &imports,
                    dependencies: &dependencies,
                    undecided: project.notes.get(&rule.meta.id),
                    passed: project.passed.get(&rule.meta.id),
                    has_python,
                },
            )
        })
        .collect();
    let mut unreadable_settings = merged.unreadable_settings;
    unreadable_settings.sort();
    unreadable_settings.extend(project.incomplete);
    let metas: Vec<_> = rules.iter().map(|r| r.meta.clone()).collect();
    let verdict = Verdict::compute(
        &checks,
        &metas,
        &active,
        &Visibility {
            settings_found: project.settings_found,
            settings_wanted: plan.wants_settings,
            unreadable_settings,
        },
    );
    Ok(AuditResult {
        root: opts
            .paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        files: discovery.files.len(),
        rules: metas,
        checks,
        findings: active,
        suppressed,
        baselined,
        errors,
        verdict,
        roles,
        settings: project.choice,
        stats: merged.stats,
    })
}

/// Findings and check notes of running `rules` on an in-memory project of `(path, text)` files,
/// through the same per-file and project stages as a scan (`run_in_memory` uses it).
pub(crate) fn analyze_project(
    files: &[(String, String)],
    rules: &[&LoadedRule],
    named: Option<&str>,
) -> ProjectAnalysis {
    let plan = Plan::new(rules, named, RoleOverrides::default());
    let mut merged = Merged::default();
    let mut sorted: Vec<&(String, String)> = files.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (rel, text) in sorted {
        merged.paths.push(rel.clone());
        if let Some((globs, words)) = &plan.documents {
            if !rel.ends_with(".py") && globs.is_match(rel) {
                let found = document_words(text.as_bytes(), words);
                merged
                    .documents
                    .extend(found.into_iter().map(|(w, l)| (rel.clone(), w, l)));
            }
        }
        let kind = discover::classify(rel);
        if !matches!(
            kind,
            FileKind::Python | FileKind::Manifest(_) | FileKind::Deploy(_)
        ) && !rel.ends_with(".py")
        {
            continue;
        }
        let is_test = discover::is_test_path(rel);
        // The same bounds as a scan: a file over the size limit is not read.
        let size = text.len() as u64;
        let decoded = if size > discover::DEFAULT_MAX_FILE_SIZE {
            Err(discover::too_large(size, discover::DEFAULT_MAX_FILE_SIZE))
        } else if rel.ends_with(".py") {
            source::decode_python(text.as_bytes()).map_err(|e| e.0)
        } else {
            source::decode_text(text.as_bytes()).map_err(|e| e.0)
        };
        let outcome = match decoded {
            Ok(text) => analyze_text(rel, kind, is_test, text, &plan),
            Err(message) => FileOutcome {
                unreadable_settings: plan.may_be_settings(rel, is_test).then(|| message.clone()),
                errors: vec![FileError {
                    path: rel.clone(),
                    message,
                }],
                ..FileOutcome::default()
            },
        };
        merged.add(rel, outcome);
    }
    let texts: BTreeMap<&str, &String> = files.iter().map(|(r, t)| (r.as_str(), t)).collect();
    let read = |rel: &str| texts.get(rel).map(|t| (*t).clone());
    callers::settle(&mut merged.findings, &merged.modules, &read);
    let project = project_stage(rules, &merged, named);
    let mut findings = merged.findings;
    findings.extend(project.findings);
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    ProjectAnalysis {
        findings,
        notes: project.notes,
    }
}

/// What [`analyze_project`] found.
pub(crate) struct ProjectAnalysis {
    pub findings: Vec<Finding>,
    /// Per rule id: why its check would be n/a (undecidable, or no settings module).
    pub notes: BTreeMap<String, String>,
}
