//! Project configuration: `audit.toml` at the root, `[tool.audit]` in `pyproject.toml`, or the
//! file named by `--config`.
//!
//! Every mistake in a config file is a `ConfigError` that carries the file's text and the byte
//! span of the offending key or value, so the CLI prints a located message and exits 2.

use crate::findings::Severity;
use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use serde::Deserialize;
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

const AUDIT_TOML: &str = "audit.toml";
const PYPROJECT: &str = "pyproject.toml";

/// The lowest severity that fails the CI gate, or `never`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    Critical,
    High,
    Medium,
    Low,
    Never,
}

impl FailOn {
    /// The form `score::gate_failed` takes: `None` never fails on findings.
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::Never => None,
        }
    }
}

/// Settings from the config file; command-line flags override them.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Rule ids (or id prefixes) to run; `None` runs all.
    pub select: Option<Vec<String>>,
    /// Rule ids (or id prefixes) never to run.
    pub ignore: Vec<String>,
    /// Extra exclude globs, as `--exclude`.
    pub exclude: Vec<String>,
    #[serde(alias = "fail-on")]
    pub fail_on: Option<FailOn>,
    #[serde(alias = "min-score")]
    pub min_score: Option<f64>,
    /// Directories of user rules; relative ones are resolved against the config file's directory.
    pub rules: Vec<PathBuf>,
    /// Dotted module of the production settings, as `--settings`.
    pub settings: Option<String>,
    /// Baseline file; resolved against the config file's directory.
    pub baseline: Option<PathBuf>,
    /// Suppressed findings still fail their check.
    pub strict: bool,
    /// Worker threads, as `--jobs` (capped at `MAX_JOBS_PER_CORE` per core by the CLI).
    pub jobs: Option<usize>,
    /// Code roles by path glob (`"deploy/tools/**" = "script"`); the longest matching glob wins.
    pub roles: std::collections::BTreeMap<String, String>,
    /// The text the config came from, kept to locate errors found after loading
    /// (`check_rule_ids`). Set by `load`.
    #[serde(skip)]
    pub source: Option<ConfigSource>,
}

/// A loaded config file's text and where in it the audit settings live.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigSource {
    /// The path as shown in messages.
    pub name: String,
    pub text: Arc<str>,
    /// The settings are the `[tool.audit]` table of a pyproject.toml.
    pub in_pyproject: bool,
}

/// Loads the config for `root`: `explicit` if given, else `audit.toml`, else `[tool.audit]` of
/// `pyproject.toml` in `root` (or in its directory when `root` is a file), else the defaults.
/// Returns the file the config came from.
pub fn load(
    root: &Path,
    explicit: Option<&Path>,
) -> Result<(Config, Option<PathBuf>), ConfigError> {
    if let Some(path) = explicit {
        let text = read(path)?;
        let config = if is_pyproject(path) {
            // A pyproject without the section, named explicitly, is an empty config.
            parse_pyproject(path, &text)?.unwrap_or_default()
        } else {
            parse_audit_toml(path, &text)?
        };
        return Ok((config, Some(path.to_path_buf())));
    }
    let dir = if root.is_file() {
        root.parent().unwrap_or(Path::new("."))
    } else {
        root
    };
    let audit_toml = dir.join(AUDIT_TOML);
    if audit_toml.is_file() {
        let config = parse_audit_toml(&audit_toml, &read(&audit_toml)?)?;
        return Ok((config, Some(audit_toml)));
    }
    let pyproject = dir.join(PYPROJECT);
    if pyproject.is_file() {
        if let Some(config) = parse_pyproject(&pyproject, &read(&pyproject)?)? {
            return Ok((config, Some(pyproject)));
        }
    }
    Ok((Config::default(), None))
}

fn is_pyproject(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == PYPROJECT)
}

fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path)
        .map_err(|e| ConfigError::plain(format!("cannot read config file {}: {e}", path.display())))
}

/// Parses a standalone config file.
pub fn parse_audit_toml(path: &Path, text: &str) -> Result<Config, ConfigError> {
    let source = ConfigSource {
        name: path.display().to_string(),
        text: Arc::from(text),
        in_pyproject: false,
    };
    let config: Config = toml::from_str(text).map_err(|e| toml_error(&source, &e))?;
    finish(config, path, source)
}

/// Parses the `[tool.audit]` table of a pyproject.toml; `None` when there is none. A pyproject
/// that is not valid TOML is refused: the damage may hide our table (`[tool.audit` without its
/// `]`), and reading it as "no config" would silently drop the user's gate settings.
pub fn parse_pyproject(path: &Path, text: &str) -> Result<Option<Config>, ConfigError> {
    #[derive(Deserialize)]
    struct Document {
        tool: Option<Tool>,
    }
    #[derive(Deserialize)]
    struct Tool {
        audit: Option<Config>,
    }
    let source = ConfigSource {
        name: path.display().to_string(),
        text: Arc::from(text),
        in_pyproject: true,
    };
    let doc: Document = toml::from_str(text).map_err(|e| toml_error(&source, &e))?;
    match doc.tool.and_then(|t| t.audit) {
        Some(config) => finish(config, path, source).map(Some),
        None => Ok(None),
    }
}

/// Validates what serde cannot, then resolves paths against the config file's directory.
fn finish(mut config: Config, path: &Path, source: ConfigSource) -> Result<Config, ConfigError> {
    if let Some(score) = config.min_score {
        if !(0.0..=10.0).contains(&score) {
            return Err(source.error_at_value(
                &["min_score", "min-score"],
                format!("min_score must be between 0 and 10, not {score}"),
                "out of range",
            ));
        }
    }
    if let Some(module) = &config.settings {
        if !is_dotted_module(module) {
            return Err(source.error_at_value(
                &["settings"],
                format!("settings must be a dotted module path like `shop.settings.prod`, not `{module}`"),
                "not a module path",
            ));
        }
    }
    if config.jobs == Some(0) {
        return Err(source.error_at_value(
            &["jobs"],
            "jobs must be at least 1".to_string(),
            "out of range",
        ));
    }
    if let Err(message) = config.role_overrides() {
        return Err(source.error_at_value(&["roles"], message, "invalid role"));
    }
    for glob in &config.exclude {
        if let Err(why) = check_glob(glob) {
            let message = format!("invalid glob `{glob}` in `exclude`: {why}");
            return Err(source.error_at_item("exclude", glob, message, "invalid glob"));
        }
    }
    let base = path.parent().unwrap_or(Path::new(""));
    for dir in &mut config.rules {
        let resolved = resolve(base, dir);
        if !resolved.exists() {
            let shown = dir.display().to_string();
            let message = format!(
                "rules directory `{shown}` does not exist (looked for {})",
                resolved.display()
            );
            return Err(source.error_at_item("rules", &shown, message, "no such directory"));
        }
        *dir = resolved;
    }
    if let Some(baseline) = &mut config.baseline {
        *baseline = resolve(base, baseline);
    }
    config.source = Some(source);
    Ok(config)
}

/// The check discovery applies to `--exclude` globs, done here so a bad glob in the config is
/// reported at its line in the config.
fn check_glob(raw: &str) -> Result<(), String> {
    let text = raw.trim().trim_start_matches("./").trim_end_matches('/');
    if text.is_empty() {
        return Ok(());
    }
    globset::GlobBuilder::new(text)
        .literal_separator(true)
        .build()
        .map(|_| ())
        .map_err(|e| e.kind().to_string())
}

fn resolve(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

fn is_dotted_module(text: &str) -> bool {
    text.split('.').all(|part| {
        part.starts_with(|c: char| c.is_alphabetic() || c == '_')
            && part.chars().all(|c| c.is_alphanumeric() || c == '_')
    })
}

impl Config {
    /// Checks `select` and `ignore` against the rule ids that exist. An entry may be a whole id
    /// or a prefix of some (`SEC`, `SEC01`). The error points at the entry in the config file.
    pub fn check_rule_ids(&self, known: &BTreeSet<String>) -> Result<(), ConfigError> {
        let lists = [
            ("select", self.select.as_deref().unwrap_or(&[])),
            ("ignore", &self.ignore[..]),
        ];
        for (key, ids) in lists {
            for id in ids {
                if known.iter().any(|k| k.starts_with(id.as_str())) && !id.is_empty() {
                    continue;
                }
                let message = format!("unknown rule id `{id}` in `{key}`");
                return Err(match &self.source {
                    Some(source) => source.error_at_item(key, id, message, "unknown rule id"),
                    None => ConfigError::plain(message),
                });
            }
        }
        Ok(())
    }

    /// An error about the value of `key` found after loading (a baseline that cannot be read),
    /// located at that value in the config file.
    /// The `roles` table compiled; its errors are reported when the config is loaded.
    pub fn role_overrides(&self) -> Result<crate::model::roles::RoleOverrides, String> {
        let entries: Vec<(String, String)> = self
            .roles
            .iter()
            .map(|(glob, role)| (glob.clone(), role.clone()))
            .collect();
        crate::model::roles::RoleOverrides::new(&entries)
    }

    pub fn error_at(&self, key: &str, message: String, label: &str) -> ConfigError {
        match &self.source {
            Some(source) => source.error_at_value(&[key], message, label),
            None => ConfigError::plain(message),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Errors

/// A config problem, located in the config text when possible.
#[derive(Debug)]
pub struct ConfigError(Box<ErrorDetail>);

#[derive(Debug)]
struct ErrorDetail {
    message: String,
    source_code: Option<NamedSource<String>>,
    span: Option<(Range<usize>, String)>,
}

impl ConfigError {
    fn plain(message: String) -> Self {
        ConfigError(Box::new(ErrorDetail {
            message,
            source_code: None,
            span: None,
        }))
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Byte range in the config text of what is wrong.
    pub fn span(&self) -> Option<Range<usize>> {
        self.0.span.as_ref().map(|(range, _)| range.clone())
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0.source_code {
            Some(source) => write!(f, "{}: {}", source.name(), self.0.message),
            None => f.write_str(&self.0.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl Diagnostic for ConfigError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("audit::config"))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0.source_code.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let (range, label) = self.0.span.as_ref()?;
        let span = LabeledSpan::new_with_span(Some(label.clone()), range.clone());
        Some(Box::new(std::iter::once(span)))
    }
}

fn toml_error(source: &ConfigSource, err: &toml::de::Error) -> ConfigError {
    let message = err.message().trim().to_string();
    let label = if message.starts_with("unknown field") {
        "unknown key"
    } else if message.starts_with("unknown variant") || message.starts_with("invalid type") {
        "invalid value"
    } else {
        "here"
    };
    // An unknown key's message already lists the valid ones.
    source.error(err.span().unwrap_or(0..0), message, label)
}

impl ConfigSource {
    fn error(&self, span: Range<usize>, message: String, label: &str) -> ConfigError {
        let span = clamp(span, self.text.len());
        ConfigError(Box::new(ErrorDetail {
            message,
            source_code: Some(NamedSource::new(&self.name, self.text.to_string())),
            span: Some((span, label.to_string())),
        }))
    }

    /// An error at the value of the first of `keys` present in the audit table.
    fn error_at_value(&self, keys: &[&str], message: String, label: &str) -> ConfigError {
        let span = audit_table(&self.text, self.in_pyproject)
            .and_then(|t| keys.iter().find_map(|k| t.get(*k).map(Spanned::span)))
            .unwrap_or(0..0);
        self.error(span, message, label)
    }

    /// An error at the string `item` of the array `key` in the audit table.
    fn error_at_item(&self, key: &str, item: &str, message: String, label: &str) -> ConfigError {
        let span = audit_table(&self.text, self.in_pyproject)
            .and_then(|t| t.get(key).map(|v| (v.span(), v.get_ref().clone())))
            .and_then(|(whole, value)| match value {
                DeValue::Array(items) => items
                    .iter()
                    .find(|i| i.get_ref().as_str() == Some(item))
                    .map(Spanned::span)
                    .or(Some(whole)),
                _ => Some(whole),
            })
            .unwrap_or(0..0);
        self.error(span, message, label)
    }
}

fn clamp(span: Range<usize>, len: usize) -> Range<usize> {
    let start = span.start.min(len);
    start..span.end.clamp(start, len)
}

/// The table holding the audit settings, with spans: the document itself, or `tool.audit`.
fn audit_table(text: &str, in_pyproject: bool) -> Option<DeTable<'_>> {
    let (doc, _errors) = DeTable::parse_recoverable(text);
    let doc = doc.into_inner();
    if !in_pyproject {
        return Some(doc);
    }
    let tool = doc.get("tool")?.get_ref().as_table()?;
    tool.get("audit")?.get_ref().as_table().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> BTreeSet<String> {
        ["SEC001", "SEC002", "REL003"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    fn spanned<'a>(err: &ConfigError, text: &'a str) -> &'a str {
        let span = err.span().expect("span");
        &text[span]
    }

    #[test]
    fn valid_audit_toml() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = r#"
select = ["SEC", "REL003"]
ignore = ["SEC002"]
exclude = ["legacy/**", "migrations"]
fail_on = "critical"
min_score = 7.5
rules = ["audit-rules", "ABS"]
settings = "shop.settings.prod"
baseline = ".audit/baseline.json"
strict = true
"#;
        let elsewhere = tempfile::tempdir().expect("tempdir");
        let text = text.replace("ABS", &elsewhere.path().display().to_string());
        std::fs::create_dir(dir.path().join("audit-rules")).expect("mkdir");
        std::fs::write(dir.path().join("audit.toml"), text).expect("write");
        let (config, path) = load(dir.path(), None).expect("loads");
        assert_eq!(path, Some(dir.path().join("audit.toml")));
        assert_eq!(
            config.select,
            Some(vec!["SEC".to_string(), "REL003".to_string()])
        );
        assert_eq!(config.ignore, vec!["SEC002".to_string()]);
        assert_eq!(
            config.exclude,
            vec!["legacy/**".to_string(), "migrations".to_string()]
        );
        assert_eq!(config.fail_on, Some(FailOn::Critical));
        assert_eq!(
            config.fail_on.and_then(FailOn::threshold),
            Some(Severity::Critical)
        );
        assert_eq!(config.min_score, Some(7.5));
        assert_eq!(
            config.rules,
            vec![
                dir.path().join("audit-rules"),
                elsewhere.path().to_path_buf()
            ]
        );
        assert_eq!(config.settings.as_deref(), Some("shop.settings.prod"));
        assert_eq!(
            config.baseline,
            Some(dir.path().join(".audit/baseline.json"))
        );
        assert!(config.strict);
        assert_eq!(
            config.check_rule_ids(&known()).map_err(|e| e.to_string()),
            Ok(())
        );
    }

    #[test]
    fn unknown_key_points_at_the_key() {
        let text = "select = [\"SEC001\"]\nfail_onn = \"high\"\n";
        let err = parse_audit_toml(Path::new("audit.toml"), text).expect_err("unknown key");
        assert_eq!(spanned(&err, text), "fail_onn");
        assert!(
            err.message().starts_with("unknown field `fail_onn`"),
            "{}",
            err.message()
        );
        let labels: Vec<_> = err.labels().expect("labels").collect();
        assert_eq!(labels[0].label(), Some("unknown key"));
        assert_eq!(labels[0].offset(), 20);
        assert!(err.help().is_none());
        assert!(err.source_code().is_some());
    }

    #[test]
    fn bad_values_point_at_the_value() {
        let text = "fail_on = \"sometimes\"\n";
        let err = parse_audit_toml(Path::new("audit.toml"), text).expect_err("bad variant");
        assert_eq!(spanned(&err, text), "\"sometimes\"");

        let text = "strict = true\nmin_score = 11\n";
        let err = parse_audit_toml(Path::new("audit.toml"), text).expect_err("range");
        assert_eq!(spanned(&err, text), "11");
        assert_eq!(err.message(), "min_score must be between 0 and 10, not 11");

        let text = "settings = \"shop/settings.py\"\n";
        let err = parse_audit_toml(Path::new("audit.toml"), text).expect_err("module");
        assert_eq!(spanned(&err, text), "\"shop/settings.py\"");

        let text = "select = [\n";
        let err = parse_audit_toml(Path::new("audit.toml"), text).expect_err("syntax");
        assert_eq!(err.span().map(|s| s.start <= text.len()), Some(true));
    }

    #[test]
    fn pyproject_section() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = r#"[project]
name = "shop"

[tool.ruff]
line-length = 100

[tool.audit]
fail-on = "medium"
ignore = ["SEC001", "SEC999"]
rules = ["rules"]
"#;
        std::fs::create_dir(dir.path().join("rules")).expect("mkdir");
        std::fs::write(dir.path().join("pyproject.toml"), text).expect("write");
        let (config, path) = load(dir.path(), None).expect("loads");
        assert_eq!(path, Some(dir.path().join("pyproject.toml")));
        assert_eq!(config.fail_on, Some(FailOn::Medium));
        assert_eq!(config.rules, vec![dir.path().join("rules")]);
        let err = config.check_rule_ids(&known()).expect_err("unknown id");
        assert_eq!(err.message(), "unknown rule id `SEC999` in `ignore`");
        assert_eq!(spanned(&err, text), "\"SEC999\"");

        let bad = "[tool.audit]\nselect = [\"SEC001\"]\nfoo = 1\n";
        std::fs::write(dir.path().join("pyproject.toml"), bad).expect("write");
        let err = load(dir.path(), None).expect_err("unknown key");
        assert_eq!(spanned(&err, bad), "foo");
    }

    #[test]
    fn pyproject_without_section_is_no_config() {
        let dir = tempfile::tempdir().expect("tempdir");
        let text = "[project]\nname = \"shop\"\n[tool.ruff]\nline-length = 100\n";
        std::fs::write(dir.path().join("pyproject.toml"), text).expect("write");
        let (config, path) = load(dir.path(), None).expect("loads");
        assert_eq!(config, Config::default());
        assert_eq!(path, None);
    }

    #[test]
    fn broken_pyproject_is_refused_where_it_breaks() {
        // The damage is before the table, after it, or in its own header: each could hide it.
        let cases = [
            (
                "[project\nname = 1\n[tool.audit]\nfail_on = \"never\"\n",
                8,
                "unclosed table, expected `]`",
            ),
            (
                "[tool.audit]\nfail_on = \"never\"\n[project]\nname = 1 2\n",
                48,
                "string values must be quoted, expected literal string",
            ),
            (
                "[tool.audit\nfail_on = \"never\"\n",
                11,
                "unclosed table, expected `]`",
            ),
        ];
        for (text, offset, message) in cases {
            let err = parse_pyproject(Path::new("pyproject.toml"), text).expect_err(text);
            assert_eq!(err.message(), message, "{text}");
            assert_eq!(err.span().map(|s| s.start), Some(offset), "{text}");
        }
    }

    #[test]
    fn no_config_is_default() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (config, path) = load(dir.path(), None).expect("loads");
        assert_eq!(config, Config::default());
        assert_eq!(path, None);
    }

    #[test]
    fn audit_toml_wins_and_explicit_file_wins_over_both() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("audit.toml"), "strict = true\n").expect("write");
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[tool.audit]\nmin_score = 5\n",
        )
        .expect("write");
        let other = dir.path().join("ci.toml");
        std::fs::write(&other, "fail_on = \"never\"\n").expect("write");

        let (config, _) = load(dir.path(), None).expect("loads");
        assert!(config.strict);
        assert_eq!(config.min_score, None);

        let (config, path) = load(dir.path(), Some(&other)).expect("loads");
        assert_eq!(path, Some(other.clone()));
        assert_eq!(config.fail_on, Some(FailOn::Never));
        assert_eq!(FailOn::Never.threshold(), None);

        let missing = dir.path().join("missing.toml");
        let err = load(dir.path(), Some(&missing)).expect_err("missing");
        assert!(
            err.message().starts_with("cannot read config file"),
            "{}",
            err.message()
        );
        assert_eq!(err.span(), None);
    }

    #[test]
    fn rule_id_prefixes_are_accepted() {
        let config = Config {
            select: Some(vec!["SEC".into(), "REL0".into()]),
            ignore: vec!["SEC002".into()],
            ..Config::default()
        };
        assert_eq!(
            config.check_rule_ids(&known()).map_err(|e| e.to_string()),
            Ok(())
        );
        let config = Config {
            select: Some(vec!["PERF".into()]),
            ..Config::default()
        };
        assert_eq!(
            config.check_rule_ids(&known()).map_err(|e| e.to_string()),
            Err("unknown rule id `PERF` in `select`".to_string())
        );
    }
}
