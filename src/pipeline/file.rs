//! The per-file stage: one file read once, parsed at most once, and what it contributes: rule
//! matches, imports, facts, settings statements, deploy evidence.

use crate::discover::{self, FileKind, ManifestKind, SourceFile};
use crate::findings::{assign_fingerprints, Finding};
use crate::locate::{to_finding, LineIndex};
use crate::model::facts::{self, FileFacts};
use crate::model::reach;
use crate::model::roles::{self, Role, RoleOverrides};
use crate::model::settings::{self, HintSource, ModuleHint, SettingsFile};
use crate::model::symbols::NodeIndex;
use crate::parse::{deploy, imports, manifests, python, source};
use crate::result::FileError;
use crate::rules::matcher::Matcher;
use crate::rules::pattern::FileContext;
use crate::rules::setting::{self, CodeFacts};
use crate::rules::LoadedRule;
use crate::suppress::{self, Ignores};
use aho_corasick::AhoCorasick;
use std::collections::BTreeSet;

use super::plan::Plan;

/// Past this much time on one file, its remaining rules are not run (a note says so).
const MAX_SECONDS_PER_FILE: u64 = 20;

/// What one file contributed.
#[derive(Default)]
pub(super) struct FileOutcome {
    pub(super) findings: Vec<Finding>,
    pub(super) errors: Vec<FileError>,
    /// Dotted names imported (non-test files only): `a.b` and `a.b.c` for `from a.b import c`.
    pub(super) imports: BTreeSet<String>,
    pub(super) dependencies: Vec<manifests::Dependency>,
    pub(super) ignores: Option<Ignores>,
    /// The statements of a candidate settings module, kept for the project stage.
    pub(super) settings: Option<SettingsFile>,
    /// Settings modules the file names: `DJANGO_SETTINGS_MODULE` defaults, deploy settings.
    pub(super) hints: Vec<ModuleHint>,
    /// Why a file named like a settings module could not be read or parsed, if it could not.
    pub(super) unreadable_settings: Option<String>,
    /// The code role of a Python file.
    pub(super) role: Option<Role>,
    /// Python files a deploy file's build copies into place.
    pub(super) copies: Vec<(String, deploy::FileCopy)>,
    /// What a deploy file says about how production runs.
    pub(super) deploy: Option<deploy::DeployFacts>,
    /// What an application, command or script module contributes to the project model.
    pub(super) module: Option<FileFacts>,
    /// What an app file's classes and code show of the setting rules' code evidence.
    pub(super) code: CodeFacts,
    /// Words project rules look for, found in this document or script: (word, line).
    pub(super) document_words: Vec<(String, usize)>,
    /// The text was read; the text was parsed (its size in bytes).
    pub(super) read: bool,
    pub(super) parsed_bytes: Option<u64>,
}

pub(super) fn analyze_file(file: &SourceFile, plan: &Plan<'_>) -> FileOutcome {
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
pub(super) fn document_words(bytes: &[u8], words: &AhoCorasick) -> Vec<(String, usize)> {
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
pub(super) fn analyze_text(
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
                // Uses count only in code production runs (commands and scripts do not).
                mentions: plan
                    .mention_words
                    .as_ref()
                    .filter(|_| matches!(role, Role::App | Role::Worker))
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
    // Also ruff's and bandit's markers, which rules with peer codes honour.
    if text.contains("audit:") || has_peer_word(&text) {
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
    // Components are looked for in application code only; tasks in worker code too.
    let wants_definitions = !is_test
        && ((role == Role::App
            && plan
                .definition_words
                .as_ref()
                .is_some_and(|words| facts::starts_a_word(words, text.as_bytes())))
            || (plan.wants_tasks
                && matches!(role, Role::App | Role::Worker)
                && outcome.module.as_ref().is_some_and(|m| m.defines_tasks)));
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
            if let Some(settle) = finding.settle.as_mut() {
                settle.ceiling = settle.ceiling.min(cap);
            }
            finding.role = role;
            analysis.findings.push(finding);
        }
    }
    assign_fingerprints(&mut analysis.findings);
    analysis
}

/// Whether a text may hold a ruff or bandit marker, in any case (`# NOQA: S308`): one
/// automaton pass, as the literal prefilter does.
fn has_peer_word(text: &str) -> bool {
    static WORDS: std::sync::LazyLock<Option<aho_corasick::AhoCorasick>> =
        std::sync::LazyLock::new(|| {
            aho_corasick::AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .build(["noqa", "nosec"])
                .ok()
        });
    WORDS.as_ref().is_none_or(|words| words.is_match(text))
}
