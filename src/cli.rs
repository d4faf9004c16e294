//! Command-line definitions (clap) and nothing else.

use crate::config::FailOn;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "audit",
    version,
    about = "Static production-readiness audit of a Django (and Prisma) codebase",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// List the rules that would run.
    Rules {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Also load the rules under this directory.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
    },
    /// Show everything a rule says: what it finds, why it matters, how to fix it.
    Explain {
        /// A rule id such as SEC001 (case-insensitive).
        #[arg(value_name = "ID")]
        id: String,
        /// Also load the rules under this directory.
        #[arg(long = "rules", value_name = "DIR")]
        rules: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Run every rule's own good/bad examples (the embedded catalogue, or the rules in DIR).
    TestRules {
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Write a commented audit.toml into DIR (default: the current directory); never overwrites.
    Init {
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files or directories to audit (default: the current directory).
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Report format: terminal, json, markdown, sarif, github, junit or gitlab. Repeatable;
    /// FORMAT=FILE writes that report to FILE (e.g. `--format terminal --format sarif=audit.sarif`).
    /// At most one format may go to standard output.
    #[arg(long = "format", value_name = "FORMAT[=FILE]", value_parser = parse_format_spec)]
    pub formats: Vec<FormatSpec>,
    /// Write the report that would go to standard output to FILE instead.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Put the time of the run in the Markdown report (left out by default so reports diff cleanly).
    #[arg(long)]
    pub timestamp: bool,
    /// Exit 1 when a finding is at or above this severity (default: high).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Exit 1 when the score is below N (a number from 0 to 10).
    #[arg(long, value_name = "N", value_parser = parse_min_score)]
    pub min_score: Option<f64>,
    /// Only run these rules (ids or prefixes, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub select: Vec<String>,
    /// Never run these rules (ids or prefixes, comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "IDS")]
    pub ignore: Vec<String>,
    /// Load extra rules from DIR (repeatable).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Use this config file instead of audit.toml / [tool.audit] in pyproject.toml.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The production settings module (dotted), when discovery should not guess it.
    #[arg(long, value_name = "MODULE")]
    pub settings: Option<String>,
    /// Report only findings that are not in this baseline.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings as a baseline.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Skip paths matching GLOB (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Worker threads (default: one per core). At most 4 per core are started: more only
    /// cost memory and start-up time, never speed.
    #[arg(long, value_name = "N", value_parser = parse_jobs)]
    pub jobs: Option<usize>,
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Suppressed findings still fail their check.
    #[arg(long)]
    pub strict: bool,
    /// Show every finding, not the first five per rule.
    #[arg(long)]
    pub verbose: bool,
    /// Print on stderr how many files were read and parsed.
    #[arg(long)]
    pub stats: bool,
    /// No messages besides the report itself.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Terminal,
    Json,
    Markdown,
    Sarif,
    Github,
    Junit,
    Gitlab,
}

/// One `--format` value: a format and where its report goes (`None`: standard output or `-o`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FormatSpec {
    pub format: Format,
    pub path: Option<PathBuf>,
}

/// Parses `FORMAT` or `FORMAT=FILE`.
pub fn parse_format_spec(value: &str) -> Result<FormatSpec, String> {
    let (name, path) = match value.split_once('=') {
        Some((name, "")) => return Err(format!("`{name}=` needs a file name after `=`")),
        Some((name, path)) => (name, Some(PathBuf::from(path))),
        None => (value, None),
    };
    let format = Format::from_str(name, true).map_err(|_| {
        format!(
            "unknown format `{name}`; expected one of: {}",
            Format::value_variants()
                .iter()
                .filter_map(|f| f.to_possible_value())
                .map(|v| v.get_name().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    Ok(FormatSpec { format, path })
}

/// `--min-score`: the range the config accepts. NaN is refused: every comparison with it is
/// false, so it would switch the gate off.
pub fn parse_min_score(value: &str) -> Result<f64, String> {
    match value.trim().parse::<f64>() {
        Ok(score) if (0.0..=10.0).contains(&score) => Ok(score),
        _ => Err(format!(
            "the score must be a number from 0 to 10, not `{value}`"
        )),
    }
}

/// `--jobs`: a whole number of at least 1 (the cap per core is applied when the run starts).
pub fn parse_jobs(value: &str) -> Result<usize, String> {
    match value.trim().parse::<usize>() {
        Ok(jobs) if jobs >= 1 => Ok(jobs),
        _ => Err(format!(
            "the number of jobs must be a whole number of at least 1, not `{value}`"
        )),
    }
}

impl ScanArgs {
    /// The formats asked for; the terminal report when none was.
    pub fn format_specs(&self) -> Vec<FormatSpec> {
        if self.formats.is_empty() {
            vec![FormatSpec {
                format: Format::Terminal,
                path: None,
            }]
        } else {
            self.formats.clone()
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn format_specs_parse_with_and_without_files() {
        assert_eq!(
            parse_format_spec("sarif=out/audit.sarif"),
            Ok(FormatSpec {
                format: Format::Sarif,
                path: Some(PathBuf::from("out/audit.sarif"))
            })
        );
        assert_eq!(
            parse_format_spec("JSON"),
            Ok(FormatSpec {
                format: Format::Json,
                path: None
            })
        );
        assert!(parse_format_spec("pdf")
            .unwrap_err()
            .starts_with("unknown format `pdf`; expected one of: terminal, json, markdown"));
        assert!(parse_format_spec("json=").is_err());
    }

    #[test]
    fn min_score_and_jobs_refuse_what_would_disable_or_stall_the_run() {
        assert_eq!(parse_min_score("7.5"), Ok(7.5));
        assert_eq!(parse_min_score("0"), Ok(0.0));
        assert_eq!(parse_min_score("10"), Ok(10.0));
        for bad in ["nan", "NaN", "11", "-0.1", "inf", "", "seven"] {
            assert_eq!(
                parse_min_score(bad),
                Err(format!(
                    "the score must be a number from 0 to 10, not `{bad}`"
                ))
            );
        }
        assert_eq!(parse_jobs("3"), Ok(3));
        assert_eq!(
            parse_jobs("0"),
            Err("the number of jobs must be a whole number of at least 1, not `0`".to_string())
        );
        assert!(parse_jobs("-1").is_err());
    }

    #[test]
    fn format_is_repeatable_and_defaults_to_terminal() {
        let cli = Cli::try_parse_from([
            "audit",
            ".",
            "--format",
            "terminal",
            "--format",
            "sarif=a.sarif",
        ])
        .expect("parses");
        assert_eq!(cli.scan.format_specs().len(), 2);
        let cli = Cli::try_parse_from(["audit", "."]).expect("parses");
        assert_eq!(
            cli.scan.format_specs(),
            vec![FormatSpec {
                format: Format::Terminal,
                path: None
            }]
        );
        assert!(Cli::try_parse_from(["audit", "explain", "SEC001"]).is_ok());
        assert!(Cli::try_parse_from(["audit", "init", "some/dir"]).is_ok());
    }
}
