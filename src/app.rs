//! What each command does, from parsed arguments to an exit code. `main.rs` only calls `run`.

use crate::cli::{Cli, ColorChoice, Command, Format, ListFormat, ScanArgs};
use crate::config::{self, Config, FailOn};
use crate::pipeline::{self, RunError, RunOptions};
use crate::report::{self, terminal::TerminalOptions};
use crate::rules::examples::check_rule;
use crate::rules::load::{self, RuleSet};
use crate::rules::LoadedRule;
use crate::{score, suppress};
use miette::Diagnostic;
use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// Exit codes of the CLI contract (DESIGN §7).
pub const EXIT_OK: u8 = 0;
pub const EXIT_GATE_FAILED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

/// Terminal reports are laid out for this width when stdout is not a terminal, so piped
/// output is the same on every machine.
const DEFAULT_WIDTH: usize = 100;

pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Some(Command::Rules { format, rules }) => list_rules(format, &rules),
        Some(Command::TestRules { dir }) => test_rules(dir.as_deref()),
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
        ListFormat::Table => {
            let mut out = String::new();
            for rule in &set.rules {
                let m = &rule.meta;
                out.push_str(&format!(
                    "{:<8} {:<9} {:<15} {:<40} {}\n",
                    m.id,
                    m.severity.as_str(),
                    m.category.as_str(),
                    m.name,
                    m.title
                ));
            }
            out
        }
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
            Err(e) => return fail(format!("cannot use baseline {}: {e}", path.display())),
        },
        _ => None,
    };
    let mut excludes = config.exclude.clone();
    excludes.extend(args.exclude.iter().cloned());
    let options = RunOptions {
        paths,
        excludes,
        strict: args.strict || config.strict,
        baseline,
        jobs: args.jobs,
        known_ids: known,
        settings: args.settings.clone().or_else(|| config.settings.clone()),
    };
    let result = match pipeline::run(&selected, &options) {
        Ok(result) => result,
        Err(RunError::Suppressions(problems)) => {
            for p in &problems {
                eprintln!("error: {}:{}: {}", p.path, p.line, p.message);
            }
            return EXIT_USAGE;
        }
        Err(e) => return fail(e),
    };
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
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let text = match args.format {
        Format::Json => report::json::render(&result),
        Format::Terminal => {
            let color = match args.color {
                ColorChoice::Always => true,
                ColorChoice::Never => false,
                ColorChoice::Auto => to_terminal && std::env::var_os("NO_COLOR").is_none(),
            };
            let options = TerminalOptions {
                color,
                verbose: args.verbose,
                width: DEFAULT_WIDTH,
            };
            report::terminal::render(&result, &options)
        }
    };
    let written = match &args.output {
        Some(path) => std::fs::write(path, &text),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
        }
    };
    if let Err(e) = written {
        // A closed pipe (`audit . | head`) is not worth a message.
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return fail(format!("cannot write the report: {e}"));
        }
    }
    let fail_on = args.fail_on.or(config.fail_on).unwrap_or(FailOn::High);
    let min_score = args.min_score.or(config.min_score);
    if score::gate_failed(
        &result.findings,
        fail_on.threshold(),
        min_score,
        result.scorecard.score,
    ) {
        EXIT_GATE_FAILED
    } else {
        EXIT_OK
    }
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
