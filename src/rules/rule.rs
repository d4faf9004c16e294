//! The TOML schema of one rule file (DESIGN §3). Everything a report needs about a rule lives here.

use crate::findings::{Category, Severity};
use ast_grep_config::SerializableRule;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

/// The metadata of a rule: everything but its matcher and examples.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleMeta {
    pub id: String,
    pub name: String,
    pub title: String,
    pub severity: Severity,
    pub category: Category,
    /// Sub-heading in report summaries, e.g. "authentication", "input-validation".
    pub area: String,
    /// Fix-plan phase 1..=5 (DESIGN §6.2).
    pub phase: u8,
    pub effort_hours: f64,
    pub confidence: Confidence,
    #[serde(default)]
    pub cwe: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    /// The acceptance-checklist line this rule verifies.
    pub criterion: String,
    #[serde(default)]
    pub applies_when: AppliesWhen,
    /// Whether the rule also looks at test code (default: no).
    #[serde(default)]
    pub applies_to_tests: bool,
    pub description: String,
    pub failure_scenario: String,
    pub impact: Vec<String>,
    /// Markdown, with a code block showing the real fix.
    pub fix: String,
}

/// Preconditions of a check; when none holds the check is n/a. Empty means always applicable.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AppliesWhen {
    /// Distribution names as written in requirements/pyproject (case-insensitive, `-`/`_` folded).
    #[serde(default)]
    pub dependency_any: Vec<String>,
    /// Top-level module names imported by any non-test file.
    #[serde(default)]
    pub import_any: Vec<String>,
}

impl AppliesWhen {
    pub fn is_unconditional(&self) -> bool {
        self.dependency_any.is_empty() && self.import_any.is_empty()
    }
}

/// A whole rule file, split into its parts by the loader (`rules/load.rs`), which deserializes
/// each part on its own so that unknown keys are refused everywhere (serde's `flatten` would
/// silently accept them).
#[derive(Clone)]
pub struct RuleFile {
    pub meta: RuleMeta,
    pub matcher: MatchSpec,
    pub example: Examples,
}

#[derive(Clone)]
pub enum MatchSpec {
    Pattern(Box<PatternSpec>),
    Query(QuerySpec),
    /// Condition on evaluated production settings; built with the settings issue.
    Setting(toml::Table),
    /// Evidence across the repository; built with the wiring issue.
    Project(toml::Table),
    /// A named Rust analyzer; its parameters stay in TOML.
    Analyzer(AnalyzerSpec),
}

impl MatchSpec {
    pub fn kind_name(&self) -> &'static str {
        match self {
            MatchSpec::Pattern(_) => "pattern",
            MatchSpec::Query(_) => "query",
            MatchSpec::Setting(_) => "setting",
            MatchSpec::Project(_) => "project",
            MatchSpec::Analyzer(_) => "analyzer",
        }
    }
}

/// A `pattern` matcher: one clause written inline in `[match]`, plus any under `[[match.any]]`; a
/// node matched by any clause is a finding.
#[derive(Clone)]
pub struct PatternSpec {
    /// The inline clause; `None` when `[match]` only holds `[[match.any]]`.
    pub clause: Option<Clause>,
    pub any: Vec<Clause>,
    /// Literals of which a file must contain at least one to be worth parsing for this rule.
    /// Defaults to the last segment of every `calls`/`refs` name.
    pub prefilter: Vec<String>,
}

#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// Qualified callees, resolved through the file's imports and local bindings. Segments
    /// are dot-separated; `*` matches one segment, `**` any number (e.g. `**.execute`).
    #[serde(default)]
    pub calls: Vec<String>,
    /// Qualified names referenced anywhere (a decorator, an argument), same syntax as `calls`.
    #[serde(default)]
    pub refs: Vec<String>,
    /// ast-grep rule core applied to each candidate node (the call or reference), or to every
    /// node of the file when neither `calls` nor `refs` is given.
    pub rule: Option<SerializableRule>,
    /// Conditions on the call's arguments, all of which must hold (calls only).
    #[serde(default)]
    pub args: Vec<ArgCondition>,
    /// Path globs (relative to the root) the clause is limited to.
    #[serde(default)]
    pub files: Vec<String>,
    /// Path globs excluded from the clause.
    #[serde(default)]
    pub exclude_files: Vec<String>,
    /// Message template: `{call}` the callee as written, `{qualified}` its resolved name,
    /// `{symbol}` the enclosing (or decorated) function or class, `{arg}` the text of the
    /// argument a condition looked at, `$VAR` an ast-grep metavariable.
    pub message: Option<String>,
}

/// Selects one argument of a call (by keyword, by position, or either) and states a condition
/// on its value. Values that are plain names are followed to their last assignment in the
/// enclosing scope before the call, so `opts = {...}; f(options=opts)` sees the dict.
#[derive(Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgCondition {
    pub keyword: Option<String>,
    pub position: Option<usize>,
    /// The argument must be absent (`true`) or present (`false`).
    pub absent: Option<bool>,
    /// A class of value the argument must have.
    pub is: Option<ValueClass>,
    /// An ast-grep rule the (resolved) value must match.
    pub rule: Option<SerializableRule>,
    /// The (resolved) value must not match this ast-grep rule.
    pub not: Option<SerializableRule>,
    /// Qualified callees whose result counts as safe constant text for `is`: a part built by
    /// `quote_name(...)` or `int(...)` does not make a string dynamic. Same glob syntax as `calls`.
    #[serde(default)]
    pub safe: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueClass {
    /// A string built at run time from non-literal parts: f-string with interpolation,
    /// `%` formatting, `.format()`, or `+` concatenation.
    DynamicString,
    /// Anything that is not a literal (or container of literals).
    NonLiteral,
    /// A literal or container of literals.
    Literal,
    /// `False` (or a name bound to it).
    False,
    /// `True` (or a name bound to it).
    True,
    /// `None` (or a name bound to it).
    None,
}

/// A `query` matcher: a tree-sitter S-expression; the `@finding` capture marks the span.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    pub query: String,
    pub message: String,
    #[serde(default)]
    pub prefilter: Vec<String>,
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub exclude_files: Vec<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnalyzerSpec {
    pub name: String,
    #[serde(default)]
    pub params: toml::Table,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    #[serde(default)]
    pub bad: Vec<Example>,
    #[serde(default)]
    pub good: Vec<Example>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Example {
    pub code: String,
    /// For bad examples: a finding must start on this 1-based line of `code`.
    pub line: Option<usize>,
    /// Path the example is checked as (default `app/example.py`), for rules limited by `files`.
    pub path: Option<String>,
}
