//! Loading rules: the embedded catalogue and user `--rules` directories, each file validated and
//! compiled once. A bad rule is refused with a message that points into its TOML.

use crate::rules::matcher::Matcher;
use crate::rules::registry::{self, RuleSource};
use crate::rules::rule::{ExampleFile, ExampleFiles, Examples, RuleMeta};
use crate::rules::LoadedRule;
use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode, SourceSpan};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

include!(concat!(env!("OUT_DIR"), "/embedded_rules.rs"));

/// A rule file that cannot be used, located in its TOML. Boxed: errors are rare, and results
/// that carry one stay small.
#[derive(Debug)]
pub struct RuleError(Box<RuleErrorDetail>);

#[derive(Debug)]
struct RuleErrorDetail {
    path: String,
    message: String,
    source: NamedSource<String>,
    span: Option<SourceSpan>,
    label: String,
}

impl RuleError {
    pub(crate) fn new(
        path: &str,
        text: &str,
        message: String,
        span: Option<(usize, usize)>,
    ) -> Self {
        RuleError(Box::new(RuleErrorDetail {
            path: path.to_string(),
            label: first_line(&message),
            message,
            source: NamedSource::new(path, text.to_string()),
            span: span.map(|(start, end)| SourceSpan::from(start..end.max(start))),
        }))
    }

    pub fn path(&self) -> &str {
        &self.0.path
    }

    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// Byte range in the rule's TOML the error points at, if any.
    pub fn span(&self) -> Option<(usize, usize)> {
        self.0.span.map(|s| (s.offset(), s.offset() + s.len()))
    }

    /// An error about a file as a whole (unreadable, duplicate id elsewhere).
    pub fn plain(path: &str, message: String) -> Self {
        Self::new(path, "", message, None)
    }
}

fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or_default().to_string()
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid rule {}: {}", self.0.path, self.0.message)
    }
}

impl std::error::Error for RuleError {}

impl Diagnostic for RuleError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("audit::rule"))
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0.span.map(|_| &self.0.source as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let span = self.0.span?;
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(
            Some(self.0.label.clone()),
            span,
        ))))
    }
}

/// All rules that will run, sorted by id.
pub struct RuleSet {
    pub rules: Vec<LoadedRule>,
}

/// Loads the embedded catalogue (unless `embedded` is false) and every `*.toml` under `dirs`.
pub fn load(dirs: &[PathBuf], embedded: bool) -> Result<RuleSet, RuleError> {
    let mut files: Vec<(String, String)> = Vec::new();
    if embedded {
        files.extend(
            EMBEDDED_RULES
                .iter()
                .map(|(p, t)| (p.to_string(), t.to_string())),
        );
    }
    for dir in dirs {
        files.extend(read_dir(dir)?);
    }
    let mut by_id: BTreeMap<String, LoadedRule> = BTreeMap::new();
    for (path, text) in &files {
        let rule = parse_rule(path, text)?;
        if let Some(previous) = by_id.get(&rule.meta.id) {
            let message = format!(
                "rule id {} is already defined by {}",
                rule.meta.id, previous.path
            );
            let span = key_span(text, "id");
            return Err(RuleError::new(path, text, message, span));
        }
        by_id.insert(rule.meta.id.clone(), rule);
    }
    Ok(RuleSet {
        rules: by_id.into_values().collect(),
    })
}

/// Every `*.toml` below `dir` (or `dir` itself if it is a file), sorted by path.
pub fn read_dir(dir: &Path) -> Result<Vec<(String, String)>, RuleError> {
    let display = dir.display().to_string();
    if !dir.exists() {
        return Err(RuleError::plain(
            &display,
            "no such rules directory".to_string(),
        ));
    }
    let mut paths = Vec::new();
    if dir.is_file() {
        paths.push(dir.to_path_buf());
    } else {
        for entry in ignore::WalkBuilder::new(dir)
            .standard_filters(false)
            .build()
            .flatten()
        {
            let path = entry.path();
            if path.is_file() && path.extension().is_some_and(|e| e == "toml") {
                paths.push(path.to_path_buf());
            }
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let shown = p.display().to_string();
            std::fs::read_to_string(&p)
                .map(|text| (shown.clone(), text))
                .map_err(|e| RuleError::plain(&shown, format!("cannot read: {e}")))
        })
        .collect()
}

/// Validates and compiles one rule file.
pub fn parse_rule(path: &str, text: &str) -> Result<LoadedRule, RuleError> {
    let err =
        |message: String, span: Option<(usize, usize)>| RuleError::new(path, text, message, span);
    let mut table: toml::Table = toml::from_str(text).map_err(|e| {
        let span = e.span().map(|r| (r.start, r.end));
        err(e.message().to_string(), span)
    })?;
    let matcher = table
        .remove("match")
        .ok_or_else(|| err("missing [match] table".to_string(), None))?;
    let mut example = table.remove("example").ok_or_else(|| {
        err(
            "missing examples: a rule needs at least one [[example.bad]] and one [[example.good]]"
                .to_string(),
            None,
        )
    })?;
    let meta: RuleMeta = toml::Value::Table(table)
        .try_into()
        .map_err(|e: toml::de::Error| located(path, text, e.message(), None))?;
    let example_files = take_example_files(&mut example)
        .map_err(|e: toml::de::Error| located(path, text, e.message(), Some("files")))?;
    let example: Examples = example
        .try_into()
        .map_err(|e: toml::de::Error| located(path, text, e.message(), Some("example")))?;
    let (kind, table) = match_kind(matcher).map_err(|m| located(path, text, &m, Some("match")))?;
    let compiled = registry::compile(&kind, table, &RuleSource { path, text })?;
    validate(path, text, &meta, &example, &compiled.matcher)?;
    let prefilter = match &compiled.matcher {
        Matcher::File(m) if compiled.prefilter.is_empty() => m.default_prefilter(),
        _ => compiled.prefilter,
    };
    Ok(LoadedRule {
        meta,
        matcher: compiled.matcher,
        examples: example,
        example_files,
        path: path.to_string(),
        prefilter,
    })
}

/// Removes the `files` of every `[[example.bad]]` / `[[example.good]]` entry, index for index.
fn take_example_files(example: &mut toml::Value) -> Result<ExampleFiles, toml::de::Error> {
    let mut files = ExampleFiles::default();
    let Some(table) = example.as_table_mut() else {
        return Ok(files);
    };
    for (key, out) in [("bad", &mut files.bad), ("good", &mut files.good)] {
        let Some(toml::Value::Array(entries)) = table.get_mut(key) else {
            continue;
        };
        for entry in entries {
            let extra: Vec<ExampleFile> = match entry.as_table_mut().and_then(|t| t.remove("files"))
            {
                Some(v) => v.try_into()?,
                None => Vec::new(),
            };
            out.push(extra);
        }
    }
    Ok(files)
}

/// Splits `[match]` into its `kind` and the rest, which the kind reads strictly.
fn match_kind(value: toml::Value) -> Result<(String, toml::Table), String> {
    let toml::Value::Table(mut table) = value else {
        return Err("[match] must be a table".to_string());
    };
    match table.remove("kind") {
        Some(toml::Value::String(kind)) => Ok((kind, table)),
        Some(_) => Err("`kind` must be a string".to_string()),
        None => Err(format!(
            "[match] needs a `kind`: {}",
            registry::or_list(registry::KINDS.iter().map(|k| k.name))
        )),
    }
}

fn validate(
    path: &str,
    text: &str,
    meta: &RuleMeta,
    example: &Examples,
    matcher: &Matcher,
) -> Result<(), RuleError> {
    let err = |message: String, key: &str| RuleError::new(path, text, message, key_span(text, key));
    let id_ok = meta.id.len() >= 4
        && meta
            .id
            .chars()
            .take_while(|c| c.is_ascii_uppercase())
            .count()
            >= 2
        && meta
            .id
            .chars()
            .skip_while(|c| c.is_ascii_uppercase())
            .all(|c| c.is_ascii_digit())
        && meta.id.chars().last().is_some_and(|c| c.is_ascii_digit());
    if !id_ok {
        return Err(err(
            format!(
                "rule id `{}` must be letters then digits, like SEC001",
                meta.id
            ),
            "id",
        ));
    }
    if meta.name.is_empty()
        || !meta
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return Err(err(
            format!("rule name `{}` must be kebab-case", meta.name),
            "name",
        ));
    }
    let stem = Path::new(path)
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let expected = format!("{}-{}", meta.id, meta.name);
    if stem != expected {
        return Err(err(
            format!("the file must be named `{expected}.toml` after its id and name"),
            "name",
        ));
    }
    if !(1..=5).contains(&meta.phase) {
        return Err(err(
            format!("phase {} is out of range 1..=5", meta.phase),
            "phase",
        ));
    }
    if meta.effort_hours.is_nan() || meta.effort_hours < 0.0 {
        return Err(err("effort_hours must be >= 0".to_string(), "effort_hours"));
    }
    if example.bad.is_empty() || example.good.is_empty() {
        return Err(err(
            "a rule needs at least one [[example.bad]] and one [[example.good]]".to_string(),
            "example",
        ));
    }
    // The rule's severity is its ceiling: what `explain`, `rules` and a passing check show.
    if let Some((over, _)) = matcher
        .clause_severities()
        .into_iter()
        .find(|(s, _)| *s > meta.severity)
    {
        return Err(err(
            format!(
                "a clause's severity `{over}` is above the rule's `{}`: the rule's severity is the highest any clause gives",
                meta.severity
            ),
            "severity",
        ));
    }
    if !meta.fix.contains("```") {
        return Err(err(
            "`fix` must show the corrected code in a fenced code block".to_string(),
            "fix",
        ));
    }
    Ok(())
}

/// Turns a serde message into a located error: `unknown field `x`` points at `x`; a quoted
/// value that is no key (an invalid pattern) points at where the file spells it.
pub(crate) fn located(path: &str, text: &str, message: &str, table: Option<&str>) -> RuleError {
    let named = message.split('`').nth(1).and_then(|quoted| {
        key_span(text, quoted).or_else(|| {
            let start = text.find(quoted).filter(|_| !quoted.is_empty())?;
            Some((start, start + quoted.len()))
        })
    });
    let span = named.or_else(|| table.and_then(|t| key_span(text, t)));
    RuleError::new(path, text, message.to_string(), span)
}

/// Byte span of the first line that defines `key` (`key =`, `[key`, `[[key`, `[x.key`).
pub fn key_span(text: &str, key: &str) -> Option<(usize, usize)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let header = trimmed.trim_start_matches('[');
        let is_header = header.len() != trimmed.len()
            && (header.starts_with(key) || header.contains(&format!(".{key}")));
        let is_assignment = trimmed
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        if is_header || is_assignment {
            let start = offset + indent;
            return Some((start, offset + line.trim_end().len()));
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_span_finds_assignments_and_headers() {
        let text = "id = \"X\"\nname = \"y\"\n[match]\nkind = \"pattern\"\n[[example.bad]]\n";
        assert_eq!(key_span(text, "name"), Some((9, 19)));
        assert_eq!(key_span(text, "match"), Some((20, 27)));
        assert_eq!(key_span(text, "bad"), Some((45, 60)));
        assert_eq!(key_span(text, "missing"), None);
    }

    #[test]
    fn every_embedded_rule_loads() {
        let set = load(&[], true).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.rules.len(), EMBEDDED_RULES.len());
    }
}
