//! Runs one input through the pipeline in-process and checks what comes out. A broken invariant
//! panics, so it is recorded like any other panic.

use crate::gen::Input;
use audit::findings::Finding;
use audit::parse::source;
use audit::pipeline::{self, RunOptions};
use audit::report::{self, AuditResult};
use audit::rules::load;
use audit::rules::matcher::Matcher;
use audit::rules::LoadedRule;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The embedded rules, loaded once per worker.
pub struct Engine {
    pub rules: Vec<LoadedRule>,
    pub known: BTreeSet<String>,
    /// Ids of the rules that look at the settings (their findings are located differently).
    pub settings_ids: BTreeSet<String>,
    /// Rayon threads for `pipeline::run`.
    pub jobs: usize,
}

impl Engine {
    pub fn new(jobs: usize) -> Engine {
        let set = load::load(&[], true).unwrap_or_else(|e| panic!("embedded rules: {e}"));
        let known = set.rules.iter().map(|r| r.meta.id.clone()).collect();
        let settings_ids = set
            .rules
            .iter()
            .filter(|r| matches!(&r.matcher, Matcher::Project(m) if !m.needs().project))
            .map(|r| r.meta.id.clone())
            .collect();
        Engine {
            rules: set.rules,
            known,
            settings_ids,
            jobs,
        }
    }
}

/// What one input gave, for the worker's statistics.
pub struct Outcome {
    pub findings: usize,
}

pub fn run(engine: &Engine, input: &Input) -> Outcome {
    let extra = input.rule.as_deref().and_then(|text| {
        // Most mutated rules are refused; rendering the refusal exercises the error path too.
        match load::parse_rule("fuzz/FUZZ001.toml", text) {
            Ok(rule) => Some(rule),
            Err(e) => {
                render_diagnostic(&e);
                None
            }
        }
    });
    let mut rules: Vec<&LoadedRule> = engine.rules.iter().collect();
    rules.extend(extra.as_ref());
    if input.disk {
        run_on_disk(engine, input, &rules)
    } else {
        run_in_memory(engine, input, &rules)
    }
}

fn run_in_memory(engine: &Engine, input: &Input, rules: &[&LoadedRule]) -> Outcome {
    let files: Vec<(String, String)> = input
        .files
        .iter()
        .map(|(p, b)| (p.clone(), String::from_utf8_lossy(b).into_owned()))
        .collect();
    let analysis =
        audit::memory::run_in_memory_with_settings(&files, rules, input.named.as_deref());
    let decoded: BTreeMap<String, String> = files
        .iter()
        .filter_map(|(p, t)| Some((p.clone(), decoded(p, t.as_bytes())?)))
        .collect();
    let sources: BTreeMap<&str, &str> = decoded
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    check_findings(&analysis.findings, &sources, &engine.settings_ids);
    Outcome {
        findings: analysis.findings.len(),
    }
}

fn run_on_disk(engine: &Engine, input: &Input, rules: &[&LoadedRule]) -> Outcome {
    let dir = tempfile::tempdir().expect("temporary directory");
    write_files(dir.path(), &input.files);
    let outcome = run_dir(engine, dir.path(), input.named.as_deref(), rules);
    let sources: BTreeMap<String, String> = input
        .files
        .iter()
        .filter_map(|(p, b)| Some((p.clone(), decoded(p, b)?)))
        .collect();
    let borrowed: BTreeMap<&str, &str> = sources
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let findings = outcome.map(|result| {
        check_findings(&result.findings, &borrowed, &engine.settings_ids);
        check_findings(&result.suppressed, &borrowed, &engine.settings_ids);
        result.findings.len()
    });
    Outcome {
        findings: findings.unwrap_or(0),
    }
}

/// A file's text as the pipeline sees it (byte-order mark dropped, coding cookie honoured, lone
/// CRs as line ends): findings' offsets, lines and columns refer to it.
fn decoded(path: &str, bytes: &[u8]) -> Option<String> {
    let text = if path.ends_with(".py") {
        source::decode_python(bytes)
    } else {
        source::decode_text(bytes)
    };
    text.ok()
}

/// Writes `files` under `root`, skipping paths that could leave it.
pub fn write_files(root: &Path, files: &[(String, Vec<u8>)]) {
    for (rel, bytes) in files {
        if rel
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
        {
            continue;
        }
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        let _ = std::fs::write(&path, bytes);
    }
}

/// What the CLI does for `audit DIR`: config, run, every report format. `None` when the config
/// or the run is refused (exit 2 in the CLI), which is a fine outcome for a fuzzed project.
pub fn run_dir(
    engine: &Engine,
    root: &Path,
    named: Option<&str>,
    rules: &[&LoadedRule],
) -> Option<AuditResult> {
    let config = match audit::config::load(root, None) {
        Ok((config, _)) => config,
        Err(e) => {
            render_diagnostic(&e);
            return None;
        }
    };
    if let Err(e) = config.check_rule_ids(&engine.known) {
        render_diagnostic(&e);
    }
    // Config `rules` and `baseline` name paths outside the input; the fuzzer does not follow them.
    let options = RunOptions {
        paths: vec![root.to_path_buf()],
        excludes: config.exclude.clone(),
        strict: config.strict,
        baseline: None,
        jobs: Some(engine.jobs),
        known_ids: engine.known.clone(),
        settings: named.map(str::to_string).or(config.settings.clone()),
        roles: config.role_overrides().unwrap_or_default(),
    };
    let result = pipeline::run(rules, &options).ok()?;
    render_all(&result);
    Some(result)
}

fn render_all(result: &AuditResult) {
    let base = "src/";
    let _ = report::json::render(result);
    let _ = report::sarif::render(result, base);
    let _ = report::junit::render(result, base);
    let _ = report::github::render(result, base);
    let _ = report::gitlab::render(result, base);
    let _ = report::markdown::render(
        result,
        &report::markdown::MarkdownOptions { timestamp: None },
    );
    for (color, verbose, width) in [(false, false, 100), (true, true, 40)] {
        let _ = report::terminal::render(
            result,
            &report::terminal::TerminalOptions {
                color,
                verbose,
                width,
            },
        );
    }
}

fn render_diagnostic(diagnostic: &dyn miette::Diagnostic) {
    let handler =
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor());
    let mut out = String::new();
    let _ = handler.render_report(&mut out, diagnostic);
}

/// Settings findings and per-file findings are located by different code: a broken invariant
/// is one bug class per side. Settings rule ids are those of the settings catalogue.
fn family(f: &Finding, settings_ids: &BTreeSet<String>) -> &'static str {
    if settings_ids.contains(&f.rule) {
        "settings"
    } else {
        "file"
    }
}

/// Every finding points into its file: its byte range lies on char boundaries, its line and
/// column are those of the range's start, and its snippet starts at that line.
pub fn check_findings(
    findings: &[Finding],
    sources: &BTreeMap<&str, &str>,
    settings_ids: &BTreeSet<String>,
) {
    let mut by_file: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        by_file.entry(f.path.as_str()).or_default().push(f);
    }
    for (path, mut list) in by_file {
        let Some(source) = sources.get(path) else {
            panic!(
                "invariant unknown-path: {} finding in {path}, a file not in the input",
                list[0].rule
            );
        };
        // One walk over the file in offset order, so checking stays linear in its size (the
        // pipeline under test is allowed no worse, and neither is its checker).
        list.sort_by_key(|f| f.byte_range.0);
        let mut cursor = Cursor::default();
        for f in list {
            let (start, end) = f.byte_range;
            assert!(
                start <= end && end <= source.len(),
                "invariant range {}: {} {path}:{} byte range {start}..{end} outside a {}-byte file",
                family(f, settings_ids),
                f.rule,
                f.line,
                source.len()
            );
            assert!(
                source.is_char_boundary(start) && source.is_char_boundary(end),
                "invariant char-boundary {}: {} {path}:{} byte range {start}..{end} is not on char boundaries",
                family(f, settings_ids),
                f.rule,
                f.line
            );
            assert!(
                f.end_line >= f.line,
                "invariant end-line {}: {} {path}:{} ends on line {}",
                family(f, settings_ids),
                f.rule,
                f.line,
                f.end_line
            );
            cursor.advance(source, start);
            assert_eq!(
                (f.line, f.column),
                (cursor.line, cursor.column),
                "invariant line/column {}: {} {path} line/column disagree with byte offset {start}",
                family(f, settings_ids),
                f.rule
            );
        }
    }
}

/// 1-based line and column (in chars) of byte `offset`, moved forward only.
struct Cursor {
    offset: usize,
    line: usize,
    column: usize,
}

impl Default for Cursor {
    fn default() -> Self {
        Cursor {
            offset: 0,
            line: 1,
            column: 1,
        }
    }
}

impl Cursor {
    fn advance(&mut self, source: &str, to: usize) {
        for c in source[self.offset..to].chars() {
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.offset = to;
    }
}
