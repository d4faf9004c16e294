//! What each command does, from parsed arguments to an exit code. `main.rs` only calls `run`.

use crate::cli::{Cli, ColorChoice, Command, Format, FormatSpec, ListFormat, ScanArgs};
use crate::config::{self, Config, FailOn};
use crate::pipeline::{self, RunError, RunOptions};
use crate::report::{self, explain::ExplainOptions, terminal::TerminalOptions, AuditResult};
use crate::rules::load::{self, RuleSet};
use crate::rules::LoadedRule;
use crate::selftest::check_rule;
use crate::{score, suppress};
use miette::Diagnostic;
use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes of the CLI contract (DESIGN §7).
pub const EXIT_OK: u8 = 0;
pub const EXIT_GATE_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// Worker threads per core at most: rule matching is CPU-bound, so more threads only add
/// memory and start-up time (100,000 of them took 53 s to spawn).
pub const MAX_JOBS_PER_CORE: usize = 4;

/// Terminal reports are laid out for this width when stdout is not a terminal, so piped
/// output is the same on every machine.
const DEFAULT_WIDTH: usize = 100;

pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Some(Command::Rules { format, rules }) => list_rules(format, &rules),
        Some(Command::TestRules { dir }) => test_rules(dir.as_deref()),
        Some(Command::Explain { id, rules, color }) => explain(&id, &rules, color),
        Some(Command::Init { dir }) => init(dir.as_deref()),
        None => scan(cli.scan),
    }
}

/// Prints a located error (miette code frame when the diagnostic has one) to stderr.
fn report_error(diagnostic: &dyn Diagnostic) {
    let handler = miette::GraphicalReportHandler::new_themed(theme_for_stderr());
    let mut out = String::new();
    if handler.render_report(&mut out, diagnostic).is_err() {
        out = format!("error: {diagnostic}");
    }
    eprintln!("{out}");
}

fn theme_for_stderr() -> miette::GraphicalTheme {
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    }
}

fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("error: {message}");
    EXIT_USAGE
}

fn load_rules(dirs: &[PathBuf], embedded: bool) -> Result<RuleSet, u8> {
    load::load(dirs, embedded).map_err(|e| {
        report_error(&e);
        EXIT_USAGE
    })
}

fn list_rules(format: ListFormat, dirs: &[PathBuf]) -> u8 {
    let set = match load_rules(dirs, true) {
        Ok(set) => set,
        Err(code) => return code,
    };
    let text = match format {
        ListFormat::Table => rules_table(&set),
        ListFormat::Json => {
            let metas: Vec<_> = set.rules.iter().map(|r| &r.meta).collect();
            match serde_json::to_string_pretty(&metas) {
                Ok(json) => json + "\n",
                Err(e) => return fail(e),
            }
        }
    };
    print!("{text}");
    EXIT_OK
}

/// `audit rules`: one line per rule under a header, then how to read more.
fn rules_table(set: &RuleSet) -> String {
    let mut out = format!(
        "{:<8} {:<9} {:<15} {:<5} {:<40} {}\n",
        "ID", "SEVERITY", "CATEGORY", "PHASE", "NAME", "TITLE"
    );
    for rule in &set.rules {
        let m = &rule.meta;
        out.push_str(&format!(
            "{:<8} {:<9} {:<15} {:<5} {:<40} {}\n",
            m.id,
            m.severity.as_str(),
            m.category.as_str(),
            m.phase,
            m.name,
            m.title
        ));
    }
    out.push_str(&format!(
        "\n{} rules · `audit explain ID` shows one in full · `audit rules --format json` for tools\n",
        set.rules.len()
    ));
    out
}

/// `audit explain ID`: the rule rendered for the terminal; exit 2 for an unknown id.
fn explain(id: &str, dirs: &[PathBuf], color: ColorChoice) -> u8 {
    let set = match load_rules(dirs, true) {
        Ok(set) => set,
        Err(code) => return code,
    };
    let Some(rule) = set
        .rules
        .iter()
        .find(|r| r.meta.id.eq_ignore_ascii_case(id.trim()))
    else {
        return fail(unknown_rule_message(id, &set));
    };
    let to_terminal = std::io::stdout().is_terminal();
    let options = ExplainOptions {
        color: use_color(color, to_terminal),
        width: DEFAULT_WIDTH,
    };
    let text = report::explain::render(
        &rule.meta,
        &rule.path,
        &rule.examples,
        &rule.grading(),
        &rule.clause_severities(),
        options,
    );
    write_stdout(&text)
}

/// Names the ids the user may have meant: those sharing the typed prefix, else the three of the
/// same family with the nearest numbers (`SEC999` → SEC026, SEC027, SEC028).
fn unknown_rule_message(id: &str, set: &RuleSet) -> String {
    const SUGGESTIONS: usize = 3;
    let wanted = id.trim().to_ascii_uppercase();
    let family: String = wanted
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    let number = |s: &str| -> i64 {
        s.trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .parse()
            .unwrap_or(0)
    };
    let ids = || set.rules.iter().map(|r| r.meta.id.as_str());
    let mut close: Vec<&str> = ids()
        .filter(|k| !wanted.is_empty() && k.starts_with(wanted.as_str()))
        .collect();
    if close.is_empty() && !family.is_empty() {
        close = ids()
            .filter(|k| number(k) > 0 && k.starts_with(family.as_str()))
            .collect();
        let target = number(&wanted);
        close.sort_by_key(|k| ((number(k) - target).abs(), k.to_string()));
    }
    close.truncate(SUGGESTIONS);
    close.sort_unstable();
    let mut message = format!("unknown rule id `{id}`");
    if !close.is_empty() {
        message.push_str(&format!("; did you mean {}?", close.join(", ")));
    }
    message.push_str(" (`audit rules` lists every rule)");
    message
}

/// The commented configuration `audit init` writes; every key is optional.
pub const AUDIT_TOML_TEMPLATE: &str = r#"# audit.toml: configuration of `audit`, the production-readiness auditor.
# Command-line flags override these settings. Run `audit rules` to list rule ids and
# `audit explain ID` to read one rule in full.

# Exit with code 1 when a finding is at or above this severity:
# "critical", "high", "medium", "low" or "never".
fail_on = "high"

# Also exit with code 1 when the score (0 to 10) is below this value.
# min_score = 8.0

# Run only these rules (ids or prefixes such as "SEC"); all rules run when unset.
# select = ["SEC", "REL"]

# Never run these rules (ids or prefixes).
ignore = []

# Skip paths matching these globs, relative to the scanned root (added to the defaults).
exclude = []

# The production settings module, when discovery should not guess it.
# settings = "myproject.settings.production"

# Extra rule directories, relative to this file.
# rules = ["audit-rules"]

# Worker threads (default: one per core; at most 4 per core are started).
# jobs = 4

# Report only findings that are not in this baseline (write one with --write-baseline FILE).
# baseline = "audit-baseline.json"

# Make findings hidden by `# audit: ignore[ID]` comments still fail their check.
strict = false
"#;

/// `audit init`: writes `audit.toml` into `dir`; refuses (exit 2) when one exists.
fn init(dir: Option<&Path>) -> u8 {
    let dir = dir.unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return fail(format!("{} is not a directory", dir.display()));
    }
    let path = dir.join("audit.toml");
    // `create_new` refuses an existing file atomically, so a race cannot clobber one either.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path);
    let written = file.and_then(|mut f| f.write_all(AUDIT_TOML_TEMPLATE.as_bytes()));
    match written {
        Ok(()) => {
            println!(
                "wrote {}; edit it, then run `audit {}`",
                path.display(),
                dir.display()
            );
            EXIT_OK
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => fail(format!(
            "{} already exists; not overwriting it (delete it first to start over)",
            path.display()
        )),
        Err(e) => fail(format!("cannot write {}: {e}", path.display())),
    }
}

fn use_color(choice: ColorChoice, to_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
    }
}

fn write_stdout(text: &str) -> u8 {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|_| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            fail(format!("cannot write to standard output: {e}"))
        }
        _ => EXIT_OK,
    }
}

fn test_rules(dir: Option<&Path>) -> u8 {
    let set = match dir {
        Some(dir) => load_rules(&[dir.to_path_buf()], false),
        None => load_rules(&[], true),
    };
    let set = match set {
        Ok(set) => set,
        Err(code) => return code,
    };
    let mut failed = 0;
    for rule in &set.rules {
        let failures = check_rule(rule);
        let examples = rule.examples.bad.len() + rule.examples.good.len();
        if failures.is_empty() {
            println!("ok     {} ({} examples)", rule.meta.id, examples);
        } else {
            failed += 1;
            println!("FAILED {} ({})", rule.meta.id, rule.path);
            for f in failures {
                println!("       {}: {}", f.example, f.message);
            }
        }
    }
    println!("{} passed, {} failed", set.rules.len() - failed, failed);
    if failed > 0 {
        EXIT_GATE_FAILED
    } else {
        EXIT_OK
    }
}

/// Whether `id` is selected by an entry (a whole id or a prefix such as `SEC`).
fn matches_any(id: &str, entries: &[String]) -> bool {
    entries
        .iter()
        .any(|e| !e.is_empty() && id.starts_with(e.as_str()))
}

fn check_ids(entries: &[String], known: &BTreeSet<String>, flag: &str) -> Result<(), u8> {
    for entry in entries {
        if entry.is_empty() || !known.iter().any(|k| k.starts_with(entry.as_str())) {
            return Err(fail(format!("unknown rule id `{entry}` in {flag}")));
        }
    }
    Ok(())
}

fn scan(args: ScanArgs) -> u8 {
    let outputs = match outputs(&args.format_specs(), args.output.as_deref()) {
        Ok(outputs) => outputs,
        Err(message) => return fail(message),
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let (config, _config_path) = match config::load(&paths[0], args.config.as_deref()) {
        Ok(found) => found,
        Err(e) => {
            report_error(&e);
            return EXIT_USAGE;
        }
    };
    // `config::load` already resolved its paths against the config file's directory.
    let mut rule_dirs: Vec<PathBuf> = config.rules.clone();
    rule_dirs.extend(args.rules.iter().cloned());
    let set = match load_rules(&rule_dirs, true) {
        Ok(set) => set,
        Err(code) => return code,
    };
    let known: BTreeSet<String> = set.rules.iter().map(|r| r.meta.id.clone()).collect();
    if let Err(e) = config.check_rule_ids(&known) {
        report_error(&e);
        return EXIT_USAGE;
    }
    if let Err(code) = check_ids(&args.select, &known, "--select")
        .and_then(|_| check_ids(&args.ignore, &known, "--ignore"))
    {
        return code;
    }
    let selected = select_rules(&set, &config, &args);
    let baseline_path = args.baseline.clone().or_else(|| config.baseline.clone());
    let baseline = match (&baseline_path, &args.write_baseline) {
        // Writing a baseline records everything, so an input baseline is not applied.
        (Some(path), None) => match std::fs::read_to_string(path)
            .map_err(|e| e.to_string())
            .and_then(|text| suppress::load_baseline(&text))
        {
            Ok(b) => Some(b),
            Err(e) => {
                let message = format!("cannot use baseline {}: {e}", path.display());
                if args.baseline.is_some() {
                    return fail(message);
                }
                report_error(&config.error_at("baseline", message, "this baseline"));
                return EXIT_USAGE;
            }
        },
        _ => None,
    };
    let jobs = args.jobs.or(config.jobs).map(|requested| {
        let (jobs, capped) = capped_jobs(requested, available_cores());
        if capped && !args.quiet {
            eprintln!(
                "warning: {requested} jobs is more than {MAX_JOBS_PER_CORE} per core; using {jobs}"
            );
        }
        jobs
    });
    let mut excludes = config.exclude.clone();
    excludes.extend(args.exclude.iter().cloned());
    let options = RunOptions {
        paths,
        excludes,
        strict: args.strict || config.strict,
        baseline,
        jobs,
        known_ids: known,
        settings: args.settings.clone().or_else(|| config.settings.clone()),
        // Checked when the config was loaded.
        roles: config.role_overrides().unwrap_or_default(),
    };
    let progress = report::progress::Progress::start(
        &format!("auditing {}", options.paths[0].display()),
        !args.quiet && std::io::stderr().is_terminal(),
    );
    let run = pipeline::run(&selected, &options);
    progress.finish();
    let result = match run {
        Ok(result) => result,
        Err(RunError::Suppressions(problems)) => {
            for p in &problems {
                eprintln!("error: {}:{}: {}", p.path, p.line, p.message);
            }
            return EXIT_USAGE;
        }
        Err(e) => return fail(e),
    };
    if args.stats {
        let s = result.stats;
        eprintln!(
            "stats: {} files found, {} read, {} parsed ({} bytes)",
            result.files, s.read, s.parsed, s.parsed_bytes
        );
    }
    if let Some(path) = &args.write_baseline {
        if let Err(e) = std::fs::write(path, suppress::write_baseline(&result.findings)) {
            return fail(format!("cannot write baseline {}: {e}", path.display()));
        }
        if !args.quiet {
            eprintln!(
                "wrote a baseline of {} findings to {}",
                result.findings.len(),
                path.display()
            );
        }
    }
    for (format, destination) in &outputs {
        let text = render(&result, *format, destination.as_deref(), &args);
        if let Err(message) = write_output(destination.as_deref(), &text) {
            return fail(message);
        }
    }
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::High);
    let min_score = args.min_score.or(config.min_score);
    if score::gate_failed(
        &result.findings,
        fail_on.threshold(),
        min_score,
        result.verdict.card.score,
    ) {
        EXIT_GATE_FAILED
    } else {
        EXIT_OK
    }
}

fn available_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// The worker count for a requested one on a machine of `cores`, and whether it was capped.
fn capped_jobs(requested: usize, cores: usize) -> (usize, bool) {
    let cap = cores.max(1).saturating_mul(MAX_JOBS_PER_CORE);
    let jobs = requested.clamp(1, cap);
    (jobs, jobs != requested)
}

/// Where each report goes: `None` is standard output. At most one report may go there
/// (`-o FILE` redirects that one); no two reports may share a file.
fn outputs(
    specs: &[FormatSpec],
    output: Option<&Path>,
) -> Result<Vec<(Format, Option<PathBuf>)>, String> {
    let to_stdout = specs.iter().filter(|s| s.path.is_none()).count();
    if to_stdout > 1 {
        return Err(
            "only one --format can write to standard output; name a file for the others, \
             e.g. `--format terminal --format sarif=audit.sarif`"
                .to_string(),
        );
    }
    if to_stdout == 0 && output.is_some() {
        return Err(
            "-o has no report to write: every --format names its own file (FORMAT=FILE)"
                .to_string(),
        );
    }
    let outputs: Vec<(Format, Option<PathBuf>)> = specs
        .iter()
        .map(|s| {
            (
                s.format,
                s.path.clone().or_else(|| output.map(Path::to_path_buf)),
            )
        })
        .collect();
    let mut files = BTreeSet::new();
    for path in outputs.iter().filter_map(|(_, p)| p.as_ref()) {
        if !files.insert(path) {
            return Err(format!("two reports would overwrite {}", path.display()));
        }
    }
    Ok(outputs)
}

/// Renders one report; `destination` is its file, `None` for standard output.
fn render(
    result: &AuditResult,
    format: Format,
    destination: Option<&Path>,
    args: &ScanArgs,
) -> String {
    let base = ci_base(&result.root);
    match format {
        Format::Json => report::json::render(result),
        Format::Terminal => {
            let to_terminal = destination.is_none() && std::io::stdout().is_terminal();
            let options = TerminalOptions {
                color: use_color(args.color, to_terminal),
                verbose: args.verbose,
                width: DEFAULT_WIDTH,
            };
            report::terminal::render(result, &options)
        }
        Format::Markdown => {
            let options = report::markdown::MarkdownOptions {
                timestamp: args.timestamp.then(now_utc),
            };
            report::markdown::render(result, &options)
        }
        Format::Sarif => report::sarif::render(result, &base),
        Format::Github => report::github::render(result, &base),
        Format::Junit => report::junit::render(result, &base),
        Format::Gitlab => report::gitlab::render(result, &base),
    }
}

fn write_output(destination: Option<&Path>, text: &str) -> Result<(), String> {
    let written = match destination {
        Some(path) => std::fs::write(path, text),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
        }
    };
    match (written, destination) {
        (Ok(()), _) => Ok(()),
        // A closed pipe (`audit . | head`) is not worth a message.
        (Err(e), None) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        (Err(e), None) => Err(format!("cannot write the report: {e}")),
        (Err(e), Some(path)) => Err(format!(
            "cannot write the report to {}: {e}",
            path.display()
        )),
    }
}

/// The scanned root as a prefix that makes finding paths relative to the working directory,
/// which is the repository root when CI runs the tool: `backend/` for `audit backend`, empty
/// for `audit .`, for a single file, or for a root outside the working directory.
fn ci_base(root: &str) -> String {
    let path = Path::new(root);
    if !path.is_dir() {
        return String::new();
    }
    let relative = if path.is_absolute() {
        match std::env::current_dir()
            .ok()
            .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_path_buf))
        {
            Some(rel) => rel,
            None => return String::new(),
        }
    } else {
        path.to_path_buf()
    };
    let parts: Vec<String> = relative
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(part) => Some(part.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    // `..` cannot be expressed relative to the repository; fall back to root-relative paths.
    if relative
        .components()
        .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return String::new();
    }
    parts.iter().map(|p| format!("{p}/")).collect()
}

/// The current time for `--timestamp`; `SOURCE_DATE_EPOCH` pins it for reproducible builds.
fn now_utc() -> String {
    let seconds = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        });
    report::markdown::utc_timestamp(seconds)
}

fn select_rules<'a>(set: &'a RuleSet, config: &Config, args: &ScanArgs) -> Vec<&'a LoadedRule> {
    let select: Vec<String> = if args.select.is_empty() {
        config.select.clone().unwrap_or_default()
    } else {
        args.select.clone()
    };
    let mut ignore = config.ignore.clone();
    ignore.extend(args.ignore.iter().cloned());
    set.rules
        .iter()
        .filter(|r| select.is_empty() || matches_any(&r.meta.id, &select))
        .filter(|r| !matches_any(&r.meta.id, &ignore))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(format: Format, path: Option<&str>) -> FormatSpec {
        FormatSpec {
            format,
            path: path.map(PathBuf::from),
        }
    }

    #[test]
    fn outputs_route_formats_to_stdout_or_files() {
        let got = outputs(
            &[
                spec(Format::Terminal, None),
                spec(Format::Sarif, Some("a.sarif")),
            ],
            None,
        )
        .expect("valid");
        assert_eq!(
            got,
            vec![
                (Format::Terminal, None),
                (Format::Sarif, Some(PathBuf::from("a.sarif")))
            ]
        );
        let got = outputs(&[spec(Format::Json, None)], Some(Path::new("r.json"))).expect("valid");
        assert_eq!(got, vec![(Format::Json, Some(PathBuf::from("r.json")))]);
        assert!(outputs(&[spec(Format::Json, None), spec(Format::Sarif, None)], None).is_err());
        assert!(outputs(&[spec(Format::Json, Some("x"))], Some(Path::new("y"))).is_err());
        assert!(outputs(
            &[spec(Format::Json, Some("x")), spec(Format::Sarif, None)],
            Some(Path::new("x"))
        )
        .is_err());
    }

    #[test]
    fn jobs_are_capped_per_core() {
        assert_eq!(capped_jobs(100_000, 2), (8, true));
        assert_eq!(capped_jobs(8, 2), (8, false));
        assert_eq!(capped_jobs(3, 2), (3, false));
        assert_eq!(capped_jobs(5, 0), (4, true));
    }

    #[test]
    fn ci_base_is_the_relative_directory() {
        assert_eq!(ci_base("."), "");
        assert_eq!(ci_base("src"), "src/");
        assert_eq!(ci_base("./src/report/"), "src/report/");
        assert_eq!(ci_base("src/lib.rs"), "");
        assert_eq!(ci_base("does/not/exist"), "");
    }

    #[test]
    fn template_is_a_valid_config() {
        let config = config::parse_audit_toml(Path::new("audit.toml"), AUDIT_TOML_TEMPLATE)
            .expect("the template parses");
        assert_eq!(config.fail_on, Some(FailOn::High));
        assert!(!config.strict);
        assert!(config.select.is_none());
    }
}
