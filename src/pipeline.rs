//! One audit run, stage by stage (DESIGN §1): discover → read + prefilter → parse → rule matches
//! → suppressions and baseline → checks → score. Each file is read once and parsed at most once;
//! its tree is dropped as soon as its findings are extracted.

use crate::discover::{self, DiscoverError, DiscoverOptions, FileKind, ManifestKind, SourceFile};
use crate::findings::{assign_fingerprints, Finding};
use crate::locate::{to_finding, LineIndex};
use crate::model::facts::{self, FileFacts};
use crate::model::project::Project;
use crate::model::reach;
use crate::model::roles::{self, Role, RoleOverrides};
use crate::model::settings::{self, HintSource, ModuleHint, SettingsChoice, SettingsFile};
use crate::model::symbols::NodeIndex;
use crate::parse::{deploy, imports, manifests, python, source};
use crate::result::{AuditResult, FileError, Verdict};
use crate::rules::matcher::{Matcher, Needs, ProjectInput, ProjectMatcher};
use crate::rules::pattern::FileContext;
use crate::rules::prefilter::Prefilter;
use crate::rules::project::DocumentWords;
use crate::rules::setting::{self, CodeFacts, CodeNeedles, Evidence};
use crate::rules::LoadedRule;
use crate::score::{self, Check, CheckStatus, Visibility};
use crate::suppress::{self, Baseline, Ignores, SuppressionProblem};
use aho_corasick::AhoCorasick;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Worker threads: each walker is bounded by `python::MAX_TREE_DEPTH`, and this leaves room for
/// the grammar's and ast-grep's own recursion on a tree that deep.
const WORKER_STACK_BYTES: usize = 32 << 20;
/// Past this much time on one file, its remaining rules are not run (a note says so).
const MAX_SECONDS_PER_FILE: u64 = 20;

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

/// What one file contributed.
#[derive(Default)]
struct FileOutcome {
    findings: Vec<Finding>,
    errors: Vec<FileError>,
    /// Dotted names imported (non-test files only): `a.b` and `a.b.c` for `from a.b import c`.
    imports: BTreeSet<String>,
    dependencies: Vec<manifests::Dependency>,
    ignores: Option<Ignores>,
    /// The statements of a candidate settings module, kept for the project stage.
    settings: Option<SettingsFile>,
    /// Settings modules the file names: `DJANGO_SETTINGS_MODULE` defaults, deploy settings.
    hints: Vec<ModuleHint>,
    /// Why a file named like a settings module could not be read or parsed, if it could not.
    unreadable_settings: Option<String>,
    /// The code role of a Python file.
    role: Option<Role>,
    /// Python files a deploy file's build copies into place.
    copies: Vec<(String, deploy::FileCopy)>,
    /// What a deploy file says about how production runs.
    deploy: Option<deploy::DeployFacts>,
    /// What an application, command or script module contributes to the project model.
    module: Option<FileFacts>,
    /// What an app file's classes and code show of the setting rules' code evidence.
    code: CodeFacts,
    /// Words project rules look for, found in this document or script: (word, line).
    document_words: Vec<(String, usize)>,
    /// The text was read; the text was parsed (its size in bytes).
    read: bool,
    parsed_bytes: Option<u64>,
}

/// The per-file rules and what the project stage needs, shared by scans and rule examples.
struct Plan<'a> {
    file_rules: Vec<&'a LoadedRule>,
    prefilter: Prefilter,
    /// Some rule looks at the settings: settings modules are parsed whatever the prefilter says.
    wants_settings: bool,
    /// `--settings`: that module is a settings candidate whatever its name and content.
    named: Option<String>,
    /// `[tool.audit.roles]`: roles the user assigned by glob.
    roles: RoleOverrides,
    code_needles: CodeNeedles,
    /// Words of the components project rules look for: a file holding one has its
    /// definitions read.
    definition_words: Option<AhoCorasick>,
    /// Words of the names project rules look for uses of.
    mention_words: Option<AhoCorasick>,
    /// Some project rule reads URL routes: urlconf modules are parsed for them.
    wants_routes: bool,
    /// Documents and scripts some project rule reads for words, and the words.
    documents: Option<(globset::GlobSet, AhoCorasick)>,
}

/// One reader of every project rule's documents: the union of their globs and their words.
fn document_reader(wanted: DocumentWords) -> Option<(globset::GlobSet, AhoCorasick)> {
    // Validated when the rule loaded.
    let set = crate::rules::project::glob_set(&wanted.files, "documents").ok()?;
    Some((set, automaton(wanted.words)?))
}

/// One automaton of `words`, or none when there are none.
fn automaton(mut words: Vec<String>) -> Option<AhoCorasick> {
    words.sort();
    words.dedup();
    words.retain(|w| !w.is_empty());
    if words.is_empty() {
        return None;
    }
    AhoCorasick::new(&words).ok()
}

/// The mention words, leftmost-longest (see `facts::word_automaton`).
fn mention_automaton(mut words: Vec<String>) -> Option<AhoCorasick> {
    words.sort();
    words.dedup();
    words.retain(|w| !w.is_empty());
    if words.is_empty() {
        return None;
    }
    facts::word_automaton(&words)
}

impl<'a> Plan<'a> {
    fn new(rules: &[&'a LoadedRule], named: Option<&str>, roles: RoleOverrides) -> Self {
        let file_rules: Vec<&LoadedRule> =
            rules.iter().copied().filter(|r| r.is_per_file()).collect();
        let prefilter = Prefilter::new(&file_rules);
        let needs = Needs::of(rules);
        Plan {
            file_rules,
            prefilter,
            wants_settings: needs.settings,
            named: named.map(str::to_string),
            roles,
            code_needles: needs.code,
            definition_words: automaton(needs.definition_words),
            mention_words: mention_automaton(needs.mention_words),
            wants_routes: needs.routes,
            documents: document_reader(needs.documents),
        }
    }

    /// A file the settings model must see.
    fn is_settings_candidate(&self, rel: &str, is_test: bool, text: &str) -> bool {
        self.wants_settings && !is_test && (settings::is_candidate(rel, text) || self.is_named(rel))
    }

    fn is_named(&self, rel: &str) -> bool {
        let Some(named) = &self.named else {
            return false;
        };
        let (module, _) = settings::module_of(rel);
        rel.ends_with(".py") && (module == *named || module.ends_with(&format!(".{named}")))
    }

    /// A file that would have been a settings candidate by its path alone.
    fn may_be_settings(&self, rel: &str, is_test: bool) -> bool {
        self.wants_settings
            && !is_test
            && rel.ends_with(".py")
            && (settings::named_like_settings(rel) || self.is_named(rel))
    }
}

/// Everything the files contributed, merged in path order.
#[derive(Default)]
struct Merged {
    findings: Vec<Finding>,
    errors: Vec<FileError>,
    imports: BTreeSet<String>,
    dependencies: Vec<manifests::Dependency>,
    ignores: BTreeMap<String, Ignores>,
    settings: Vec<SettingsFile>,
    hints: Vec<ModuleHint>,
    copies: Vec<(String, deploy::FileCopy)>,
    /// Deploy files and their facts, in path order.
    deploy: Vec<(String, deploy::DeployFacts)>,
    /// Every file discovered (read or not), in path order.
    paths: Vec<String>,
    /// Words project rules look for in documents and scripts: (path, word, line).
    documents: Vec<(String, String, usize)>,
    stats: crate::result::RunStats,
    code: CodeFacts,
    unreadable_settings: Vec<String>,
    /// Python files per code role.
    roles: BTreeMap<Role, usize>,
    modules: Vec<reach::ModuleFacts>,
}

impl Merged {
    fn add(&mut self, rel: &str, outcome: FileOutcome) {
        self.stats.read += usize::from(outcome.read);
        self.documents.extend(
            outcome
                .document_words
                .into_iter()
                .map(|(word, line)| (rel.to_string(), word, line)),
        );
        if let Some(bytes) = outcome.parsed_bytes {
            self.stats.parsed += 1;
            self.stats.parsed_bytes += bytes;
        }
        self.findings.extend(outcome.findings);
        self.errors.extend(outcome.errors);
        self.imports.extend(outcome.imports);
        self.dependencies.extend(outcome.dependencies);
        if let Some(found) = outcome.ignores {
            self.ignores.insert(rel.to_string(), found);
        }
        self.settings.extend(outcome.settings);
        self.hints.extend(outcome.hints);
        self.copies.extend(outcome.copies);
        if let Some(facts) = outcome.deploy {
            self.deploy.push((rel.to_string(), facts));
        }
        self.code.extend(outcome.code);
        if let Some(why) = outcome.unreadable_settings {
            self.unreadable_settings.push(format!("{rel}: {why}"));
        }
        if let Some(role) = outcome.role {
            *self.roles.entry(role).or_default() += 1;
        }
        self.modules.extend(outcome.module);
    }

    /// Application modules only background work reaches take the worker role: their findings
    /// are graded by what each rule says of workers, with the importers as evidence.
    fn place_background_modules(&mut self, rules: &[&LoadedRule]) {
        let background = reach::background_only(&self.modules);
        if background.is_empty() {
            return;
        }
        let moved = background.len();
        *self.roles.entry(Role::App).or_default() -= moved;
        *self.roles.entry(Role::Worker).or_default() += moved;
        self.roles.retain(|_, n| *n > 0);
        let by_id: BTreeMap<&str, &LoadedRule> =
            rules.iter().map(|r| (r.meta.id.as_str(), *r)).collect();
        self.findings.retain_mut(|finding| {
            let (Some(importers), Some(rule)) = (
                background.get(&finding.path),
                by_id.get(finding.rule.as_str()),
            ) else {
                return true;
            };
            if finding.role != Role::App {
                return true;
            }
            finding.role = Role::Worker;
            let Some(cap) = rule.meta.role_cap(Role::Worker) else {
                return false;
            };
            if cap < finding.severity {
                finding.severity = cap;
                finding.message.push_str(&format!(
                    "; only background work reaches this module: it is imported only by task modules, commands, scripts or modules only they reach ({})",
                    importers.join(", ")
                ));
            }
            true
        });
    }

    /// Top-level modules imported, for `applies_when.import_any`.
    fn top_level_imports(&self) -> BTreeSet<String> {
        self.imports
            .iter()
            .map(|m| m.split('.').next().unwrap_or(m).to_string())
            .collect()
    }
}

/// What the project stage (settings rules) found: findings, per-rule notes for checks that
/// could not be decided, and problems to report.
#[derive(Default)]
struct ProjectOutcome {
    findings: Vec<Finding>,
    notes: BTreeMap<String, String>,
    /// Per rule id: the project code that makes a passing check pass.
    passed: BTreeMap<String, String>,
    errors: Vec<FileError>,
    /// A production settings module was found and evaluated.
    settings_found: bool,
    /// Bounds that stopped its evaluation: the settings were not seen whole.
    incomplete: Vec<String>,
    /// Which module was audited and why.
    choice: Option<SettingsChoice>,
}

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

/// What decides whether a clean check passes or is n/a.
struct Applicability<'a> {
    /// Top-level modules imported by non-test files.
    imports: &'a BTreeSet<String>,
    dependencies: &'a BTreeSet<String>,
    /// Why the project stage could not decide this rule, if it could not.
    undecided: Option<&'a String>,
    /// The project code that provides what the rule looks for, if a clause was silenced by it.
    passed: Option<&'a String>,
    /// Some Python file was found: without one, per-file (Python) rules looked at nothing.
    has_python: bool,
}

fn check_for(
    rule: &LoadedRule,
    active: &[Finding],
    suppressed: &[Finding],
    strict: bool,
    facts: &Applicability<'_>,
) -> Check {
    let meta = &rule.meta;
    let own = |f: &&Finding| f.rule == meta.id;
    let count = active.iter().filter(own).count();
    let hidden = suppressed.iter().filter(own).count();
    let when = &meta.applies_when;
    let applicable = when.holds(facts.dependencies, facts.imports);
    let (status, note) = if count > 0 || (strict && hidden > 0) {
        (CheckStatus::Fail, None)
    } else if rule.is_per_file() && !facts.has_python {
        // A clean pass over no files would claim a check that never ran.
        let note = "not applicable: no Python source files in the project".to_string();
        (CheckStatus::NotApplicable, Some(note))
    } else if !applicable {
        let mut evidence: Vec<String> = when.dependency_any.clone();
        evidence.extend(when.import_any.iter().map(|m| format!("import {m}")));
        let note = format!("not applicable: no {} in the project", evidence.join(" / "));
        (CheckStatus::NotApplicable, Some(note))
    } else if let Some(why) = facts.undecided {
        (CheckStatus::NotApplicable, Some(why.clone()))
    } else {
        (CheckStatus::Pass, facts.passed.cloned())
    };
    let undecided = status == CheckStatus::NotApplicable && applicable && facts.undecided.is_some();
    // The findings that make it fail: the active ones, and with --strict the suppressed ones.
    let failing = active
        .iter()
        .chain(suppressed.iter().filter(|_| strict))
        .filter(own)
        .map(|f| f.severity);
    Check {
        rule: meta.id.clone(),
        status,
        findings: count,
        note,
        severity: score::check_severity(meta.severity, status, failing),
        category: meta.category,
        undecided,
    }
}

fn analyze_file(file: &SourceFile, plan: &Plan<'_>) -> FileOutcome {
    // Documents and scripts a project rule reads for words (a backup runbook): read, never
    // parsed, whatever their kind.
    let document = plan
        .documents
        .as_ref()
        .filter(|(globs, _)| !file.is_python() && globs.is_match(&file.rel));
    // Deploy files are read only for the settings they name.
    let wants_text = file.is_python()
        || matches!(file.kind, FileKind::Manifest(_))
        || (plan.wants_settings && matches!(file.kind, FileKind::Deploy(_)));
    if !wants_text && document.is_none() {
        return FileOutcome::default();
    }
    // One read serves both.
    let bytes = std::fs::read(&file.abs);
    let document_words = match (document, &bytes) {
        (Some((_, words)), Ok(bytes)) => document_words(bytes, words),
        _ => Vec::new(),
    };
    if !wants_text {
        return FileOutcome {
            read: bytes.is_ok(),
            document_words,
            ..FileOutcome::default()
        };
    }
    let decoded = match bytes {
        Err(e) => Err(format!("cannot read: {e}")),
        Ok(bytes) if bytes.contains(&0) => Err("skipped: binary content (NUL bytes)".to_string()),
        Ok(bytes) if file.is_python() => source::decode_python(bytes).map_err(|e| e.0),
        Ok(bytes) => source::decode_text(bytes).map_err(|e| e.0),
    };
    let mut outcome = match decoded {
        Ok(text) => {
            let mut outcome = analyze_text(&file.rel, file.kind, file.is_test, text, plan);
            outcome.read = true;
            outcome
        }
        Err(message) => {
            let mut outcome = FileOutcome::default();
            if plan.may_be_settings(&file.rel, file.is_test) {
                outcome.unreadable_settings = Some(message.clone());
            }
            outcome.errors.push(skip(file, &message));
            outcome
        }
    };
    outcome.document_words = document_words;
    outcome
}

/// Each of `words` the bytes hold, once, with the 1-based line of its first occurrence.
fn document_words(bytes: &[u8], words: &AhoCorasick) -> Vec<(String, usize)> {
    let mut found: Vec<(String, usize)> = Vec::new();
    let mut line = 1;
    let mut counted = 0;
    for hit in words.find_iter(bytes) {
        line += bytes[counted..hit.start()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        counted = hit.start();
        let word = String::from_utf8_lossy(&bytes[hit.start()..hit.end()]).into_owned();
        if !found.iter().any(|(w, _)| *w == word) {
            found.push((word, line));
        }
    }
    found
}

/// The per-file stage on a file's text: dependencies of a manifest; for Python, imports,
/// suppressions, per-file rule matches and, for a settings candidate, its statements. The
/// file is parsed at most once, and only if some rule or the settings model needs it.
fn analyze_text(
    rel: &str,
    kind: FileKind,
    is_test: bool,
    text: String,
    plan: &Plan<'_>,
) -> FileOutcome {
    let mut outcome = FileOutcome::default();
    if let FileKind::Manifest(manifest_kind) = kind {
        let manifest = manifests::parse(manifest_kind, rel, &text);
        outcome.dependencies = manifest.dependencies;
        outcome
            .errors
            .extend(manifest.problems.into_iter().map(|message| FileError {
                path: rel.to_string(),
                message,
            }));
        // `setup.py` is also Python source, audited as a script.
        if manifest_kind != ManifestKind::SetupPy || !rel.ends_with(".py") {
            return outcome;
        }
    }
    if let FileKind::Deploy(deploy_kind) = kind {
        if plan.wants_settings && !is_test {
            let mut facts = deploy::parse(deploy_kind, &text);
            outcome.hints = deploy_hints(rel, &facts);
            outcome.copies = std::mem::take(&mut facts.copies)
                .into_iter()
                .map(|c| (rel.to_string(), c))
                .collect();
            outcome
                .errors
                .extend(facts.problems.drain(..).map(|message| FileError {
                    path: rel.to_string(),
                    message,
                }));
            outcome.deploy = Some(facts);
        }
        // A gunicorn config written in Python is also Python source.
        if !rel.ends_with(".py") {
            return outcome;
        }
    }
    let role = roles::role_of(rel, is_test, &text, &plan.roles);
    outcome.role = Some(role);
    if !is_test {
        let found = imports::scan(&text);
        outcome.imports = imports::absolute_names(&found);
        if matches!(
            role,
            Role::App | Role::Command | Role::Script | Role::Worker
        ) {
            outcome.module = Some(FileFacts {
                rel: rel.to_string(),
                module: reach::module_of(rel),
                role,
                is_test,
                assigned: plan.roles.role_for(rel).is_some(),
                imports: imports::resolved_modules(&found, &reach::package_of(rel)),
                defines_tasks: reach::defines_tasks(&text),
                mentions: plan
                    .mention_words
                    .as_ref()
                    .map(|words| facts::mentions(&text, words))
                    .unwrap_or_default(),
                ..FileFacts::default()
            });
        }
    }
    // Code evidence: what runs in production, requests, workers, management commands and
    // scripts alike (a command that deletes a cache key invalidates it as a view would).
    if matches!(role, Role::App | Role::Command | Role::Script) && !plan.code_needles.is_empty() {
        outcome.code = setting::code::scan(rel, &text, &plan.code_needles);
    }
    if text.contains("audit:") {
        outcome.ignores = Some(suppress::parse_ignores(&text));
    }
    let settings_candidate = plan.is_settings_candidate(rel, is_test, &text);
    if plan.wants_settings && !is_test && text.contains("DJANGO_SETTINGS_MODULE") {
        outcome.hints.extend(settings::module_hints(rel, &text));
    }
    let wanted: Vec<&LoadedRule> = plan
        .prefilter
        .rules_for(text.as_bytes())
        .into_iter()
        .map(|i| plan.file_rules[i])
        .filter(|r| r.meta.role_cap(role).is_some())
        .collect();
    // Components are looked for in application code only.
    let wants_definitions = role == Role::App
        && !is_test
        && plan
            .definition_words
            .as_ref()
            .is_some_and(|words| facts::starts_a_word(words, text.as_bytes()));
    let wants_routes = plan.wants_routes
        && role == Role::App
        && !is_test
        && crate::model::routes::may_declare_routes(&text);
    if wanted.is_empty() && !settings_candidate && !wants_definitions && !wants_routes {
        return outcome;
    }
    outcome.parsed_bytes = Some(text.len() as u64);
    let analysis = analyze_parsed(
        rel,
        role,
        text,
        &wanted,
        Wants {
            settings: settings_candidate,
            definitions: wants_definitions,
            routes: wants_routes,
        },
    );
    if let (Some(module), Some(found)) = (outcome.module.as_mut(), analysis.routes) {
        module.routes = Some(found);
    }
    if let (Some(module), Some((classes, functions))) =
        (outcome.module.as_mut(), analysis.definitions)
    {
        module.classes = classes;
        module.functions = functions;
    }
    if settings_candidate && analysis.settings.is_none() {
        outcome.unreadable_settings = analysis.errors.first().map(|e| e.message.clone());
    }
    outcome.findings = analysis.findings;
    outcome.errors.extend(analysis.errors);
    outcome.settings = analysis.settings;
    outcome
}

/// The settings modules a deploy file names, as hints for the production profile.
fn deploy_hints(rel: &str, facts: &deploy::DeployFacts) -> Vec<ModuleHint> {
    facts
        .settings_modules
        .iter()
        .map(|m| ModuleHint {
            rel: rel.to_string(),
            module: m.module.clone(),
            source: HintSource::Deploy {
                line: m.line,
                how: m.how,
            },
        })
        .collect()
}

fn skip(file: &SourceFile, message: &str) -> FileError {
    FileError {
        path: file.rel.clone(),
        message: message.to_string(),
    }
}

/// Parses `text` once and runs every per-file rule its code role allows on it: the findings of
/// one in-memory Python source (`run_in_memory`).
pub(crate) fn analyze_source(rel: &str, text: String, rules: &[&LoadedRule]) -> Vec<Finding> {
    let role = roles::role_of(
        rel,
        discover::is_test_path(rel),
        &text,
        &RoleOverrides::default(),
    );
    let rules: Vec<&LoadedRule> = rules
        .iter()
        .copied()
        .filter(|r| r.meta.role_cap(role).is_some())
        .collect();
    analyze_parsed(rel, role, text, &rules, Wants::default()).findings
}

struct ParsedAnalysis {
    findings: Vec<Finding>,
    errors: Vec<FileError>,
    settings: Option<SettingsFile>,
    definitions: Option<(Vec<facts::ClassDef>, Vec<facts::FunctionDef>)>,
    routes: Option<crate::model::routes::FileRoutes>,
}

/// What the tree is read for besides the per-file rules.
#[derive(Clone, Copy, Default)]
struct Wants {
    /// The file is a settings candidate: keep its statements.
    settings: bool,
    /// Some project rule may look for a component defined here.
    definitions: bool,
    /// The file may declare URL routes some project rule reads.
    routes: bool,
}

fn analyze_parsed(
    rel: &str,
    role: Role,
    text: String,
    rules: &[&LoadedRule],
    wants: Wants,
) -> ParsedAnalysis {
    let mut analysis = ParsedAnalysis {
        findings: Vec::new(),
        errors: Vec::new(),
        settings: None,
        definitions: None,
        routes: None,
    };
    let note = |message: String| FileError {
        path: rel.to_string(),
        message,
    };
    // The grammar's scanner aborts the process on indentation this deep: never hand it over.
    let depth = python::indentation_depth(&text);
    if depth > python::MAX_INDENT_DEPTH {
        analysis.errors.push(note(format!(
            "skipped: {depth} levels of indentation exceed the limit of {}",
            python::MAX_INDENT_DEPTH
        )));
        return analysis;
    }
    let started = std::time::Instant::now();
    let Some(root) = python::parse_within(text, MAX_SECONDS_PER_FILE) else {
        analysis.errors.push(note(format!(
            "skipped: the parser gave up on this file (or took over {MAX_SECONDS_PER_FILE} s)"
        )));
        return analysis;
    };
    // The node index is built by an explicit stack; every walker after it may recurse along
    // the tree's height, so a tree too high stops here.
    let top = root.root();
    let index = NodeIndex::build(&top);
    if index.height > python::MAX_TREE_DEPTH {
        analysis.errors.push(note(format!(
            "skipped: syntax nested more than {} levels deep",
            python::MAX_TREE_DEPTH
        )));
        return analysis;
    }
    if let Some((line, column)) = python::first_syntax_error(&root) {
        analysis.errors.push(FileError {
            path: rel.to_string(),
            message: format!(
                "syntax error at {line}:{column}; findings in the parts that parse are still reported"
            ),
        });
    }
    let source = root.get_text();
    // Most parsed files have no finding: index their lines only when one needs a location.
    let lines = std::cell::OnceCell::new();
    if wants.settings {
        analysis.settings = Some(settings::extract_indexed(rel, &root, &index));
    }
    if wants.definitions {
        analysis.definitions = Some(facts::definitions(&top));
    }
    if wants.routes {
        analysis.routes = Some(crate::model::routes::extract_indexed(rel, &root, &index));
    }
    if rules.is_empty() {
        return analysis;
    }
    let ctx = FileContext::with_index(rel, top, index);
    for (done, rule) in rules.iter().enumerate() {
        if started.elapsed().as_secs() >= MAX_SECONDS_PER_FILE {
            analysis.errors.push(note(format!(
                "stopped after {done} of {} rules: over {MAX_SECONDS_PER_FILE} s on this file",
                rules.len()
            )));
            break;
        }
        let matches = match &rule.matcher {
            Matcher::File(m) => m.find(&ctx),
            Matcher::Project(_) => Vec::new(),
        };
        for note in ctx.take_notes() {
            analysis.errors.push(FileError {
                path: rel.to_string(),
                message: format!("{}: {note}", rule.meta.id),
            });
        }
        // Caller filtered by role: a rule that skips this role is not here.
        let cap = rule.meta.role_cap(role).unwrap_or(rule.meta.severity);
        for raw in matches {
            let mut finding = to_finding(
                rule,
                rel,
                source,
                lines.get_or_init(|| LineIndex::new(source)),
                raw,
            );
            finding.severity = finding.severity.min(cap);
            finding.role = role;
            analysis.findings.push(finding);
        }
    }
    assign_fingerprints(&mut analysis.findings);
    analysis
}

/// The project stage: picks and evaluates the production settings, builds the cross-file
/// model, then runs every project matcher on them. Each matcher decides what a missing settings
/// module means for its check (a setting rule is n/a, with a note).
fn project_stage(rules: &[&LoadedRule], merged: &Merged, named: Option<&str>) -> ProjectOutcome {
    let mut outcome = ProjectOutcome::default();
    let mut matchers: Vec<(&LoadedRule, &dyn ProjectMatcher, Needs)> = rules
        .iter()
        .filter_map(|r| match &r.matcher {
            Matcher::Project(m) => Some((*r, m.as_ref(), m.needs())),
            Matcher::File(_) => None,
        })
        .collect();
    if matchers.is_empty() {
        return outcome;
    }
    // Matchers of the settings profile alone run first, then those of the project model: the
    // order findings were gathered in before both were matchers alike (stable, so rule order
    // holds within each).
    matchers.sort_by_key(|(_, _, needs)| needs.project);
    let mut files = merged.settings.clone();
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    settings::add_copies(&mut files, &merged.copies);
    let mut hints = merged.hints.clone();
    hints.sort();
    let django = manifests::django_version(&merged.dependencies);
    let chosen = settings::production_profile(&files, &hints, named, django);
    match &chosen {
        Ok(Some(profile)) => {
            outcome.settings_found = true;
            outcome.choice = Some(profile.choice());
            outcome.incomplete = profile
                .incomplete
                .iter()
                .map(|why| format!("{}: {why}", profile.module))
                .collect();
        }
        Ok(None) => {}
        Err(message) => outcome.errors.push(FileError {
            path: String::new(),
            message: message.clone(),
        }),
    }
    let profile = chosen.as_ref().ok().and_then(Option::as_ref);
    let settings_rels: Vec<String> = files.iter().map(|f| f.rel.clone()).collect();
    let dependencies: BTreeSet<String> =
        merged.dependencies.iter().map(|d| d.name.clone()).collect();
    let imports = merged.top_level_imports();
    let project = Project::build(
        &merged.modules,
        profile,
        &settings_rels,
        &dependencies,
        &imports,
    )
    .with_deploy(&merged.deploy)
    .with_paths(&merged.paths)
    .with_documents(&merged.documents);
    let needles = Needs::of(rules).code;
    let mut code = merged.code.clone();
    code.sort();
    let evidence = Evidence {
        imports: &merged.imports,
        needles: &needles,
        code: &code,
    };
    let sources: BTreeMap<&str, (&str, LineIndex)> = files
        .iter()
        .map(|f| {
            (
                f.rel.as_str(),
                (f.source.as_str(), LineIndex::new(&f.source)),
            )
        })
        .collect();
    let input = ProjectInput {
        profile: chosen.as_ref().map(Option::as_ref).map_err(String::as_str),
        project: &project,
        evidence: &evidence,
        sources: &sources,
        dependencies: &dependencies,
        imports: &imports,
    };
    for (rule, matcher, _) in matchers {
        let check = matcher.check(rule, &input);
        outcome.findings.extend(check.findings);
        if let Some(note) = check.note {
            outcome.notes.insert(rule.meta.id.clone(), note);
        }
        if let Some(note) = check.passed {
            outcome.passed.insert(rule.meta.id.clone(), note);
        }
    }
    outcome
}

/// Findings and check notes of running `rules` on an in-memory project of `(path, text)` files,
/// through the same per-file and project stages as a scan (rule examples use it).
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;

    #[test]
    fn a_check_weighs_the_findings_that_make_it_fail() {
        let set = crate::rules::load::load(&[], true).expect("embedded rules");
        let rule = set
            .rules
            .iter()
            .find(|r| r.meta.id == "SEC017")
            .expect("SEC017");
        assert_eq!(rule.meta.severity, Severity::Critical);
        let at = |severity: Severity, line: usize| Finding {
            severity,
            ..crate::plan::tests::finding(&rule.meta, "scripts/load.py", line)
        };
        let none = BTreeSet::new();
        let facts = Applicability {
            imports: &none,
            dependencies: &none,
            undecided: None,
            passed: None,
            has_python: true,
        };
        let check = |active: &[Finding], suppressed: &[Finding], strict: bool| {
            let c = check_for(rule, active, suppressed, strict, &facts);
            (c.status, c.severity)
        };
        let medium = [at(Severity::Medium, 3), at(Severity::Low, 9)];
        assert_eq!(
            check(&medium, &[], false),
            (CheckStatus::Fail, Severity::Medium)
        );
        // A suppressed finding weighs only when --strict makes it count.
        let high = [at(Severity::High, 5)];
        assert_eq!(
            check(&medium, &high, false),
            (CheckStatus::Fail, Severity::Medium)
        );
        assert_eq!(
            check(&medium, &high, true),
            (CheckStatus::Fail, Severity::High)
        );
        assert_eq!(check(&[], &high, true), (CheckStatus::Fail, Severity::High));
        // Clean, it weighs the rule's own severity; with no Python at all it is n/a.
        assert_eq!(
            check(&[], &[], false),
            (CheckStatus::Pass, Severity::Critical)
        );
        let c = check_for(
            rule,
            &[],
            &[],
            false,
            &Applicability {
                has_python: false,
                ..facts
            },
        );
        assert_eq!(
            (c.status, c.note.as_deref(), c.undecided),
            (
                CheckStatus::NotApplicable,
                Some("not applicable: no Python source files in the project"),
                false
            )
        );
    }

    #[test]
    fn imported_names_reads_every_import_form() {
        let text = "import jwt as pyjwt\nfrom jose import jwt\nimport os.path, sys\nfrom . import views\n    import requests\nfrom django.core.cache import cache, caches as c\nfrom django.views.decorators.cache import (\n    never_cache,  # headers only\n    cache_page,\n)\n";
        let found: Vec<String> = imports::imported_names(text).into_iter().collect();
        assert_eq!(
            found,
            vec![
                "django.core.cache",
                "django.core.cache.cache",
                "django.core.cache.caches",
                "django.views.decorators.cache",
                "django.views.decorators.cache.cache_page",
                "django.views.decorators.cache.never_cache",
                "jose",
                "jose.jwt",
                "jwt",
                "os.path",
                "requests",
                "sys"
            ]
        );
        let merged = Merged {
            imports: imports::imported_names(text),
            ..Merged::default()
        };
        let top: Vec<String> = merged.top_level_imports().into_iter().collect();
        assert_eq!(top, vec!["django", "jose", "jwt", "os", "requests", "sys"]);
    }
}
