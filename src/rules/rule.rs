//! The TOML schema of one rule file (DESIGN §3). Everything a report needs about a rule lives here.

use crate::findings::{Category, Severity};
use crate::model::provenance::Origin;
use crate::model::roles::Role;
use ast_grep_config::SerializableRule;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
    /// Whether the rule also looks at test code (default: no). The same as `roles.test`
    /// set to the rule's severity.
    #[serde(default)]
    pub applies_to_tests: bool,
    /// The severity of findings in each code role, at most (`"skip"`: the rule does not look
    /// at files of that role). Unlisted: `app`, `command` and `script` at the rule's severity,
    /// `test` per `applies_to_tests`, `migration`, `fixture`, `template` and `vendored`
    /// skipped.
    #[serde(default)]
    pub roles: BTreeMap<Role, RoleLevel>,
    /// Codes of other tools' checks that ask the same question (ruff `S308`, bandit `B308`):
    /// a `# noqa: S308` or `# nosec B308` on the flagged line is a review the team already
    /// made, honoured as a suppression. A bare `# nosec` covers rules with a bandit code.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub peers: Vec<String>,
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

/// What a rule does in one code role: skip it, or report at most this severity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RoleLevel {
    Skip,
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl RoleLevel {
    pub fn severity(self) -> Option<Severity> {
        match self {
            RoleLevel::Skip => None,
            RoleLevel::Info => Some(Severity::Info),
            RoleLevel::Low => Some(Severity::Low),
            RoleLevel::Medium => Some(Severity::Medium),
            RoleLevel::High => Some(Severity::High),
            RoleLevel::Critical => Some(Severity::Critical),
        }
    }
}

impl RuleMeta {
    /// The highest severity the rule reports in files of `role`; `None` when it skips them.
    pub fn role_cap(&self, role: Role) -> Option<Severity> {
        if let Some(level) = self.roles.get(&role) {
            return level.severity().map(|s| s.min(self.severity));
        }
        match role {
            Role::App | Role::Command | Role::Script | Role::Worker => Some(self.severity),
            Role::Test => self.applies_to_tests.then_some(self.severity),
            Role::Migration | Role::Fixture | Role::Template | Role::Vendored => None,
        }
    }
}

impl AppliesWhen {
    /// Whether the preconditions hold for a project with these (normalized) dependencies and
    /// top-level imports.
    pub fn holds(
        &self,
        dependencies: &std::collections::BTreeSet<String>,
        imports: &std::collections::BTreeSet<String>,
    ) -> bool {
        self.is_unconditional()
            || self
                .dependency_any
                .iter()
                .any(|d| dependencies.contains(&crate::parse::manifests::normalize_name(d)))
            || self.import_any.iter().any(|m| imports.contains(m))
    }

    pub fn is_unconditional(&self) -> bool {
        self.dependency_any.is_empty() && self.import_any.is_empty()
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
    /// Severity by where the value an `args` condition examined came from.
    pub provenance: Option<ProvenanceSpec>,
    /// Contexts that lower the severity of a match (`[[match.lower]]`).
    pub lower: Vec<LowerSpec>,
}

/// `[[match.lower]]`: a match in these files or inside this construct (a function decorated as
/// a background task, say) is reported at `severity` at most, with `reason` in its message.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LowerSpec {
    pub severity: Severity,
    pub reason: String,
    /// Path globs relative to the root.
    #[serde(default)]
    pub files: Vec<String>,
    /// An ast-grep rule that some ancestor of the match must satisfy.
    pub inside: Option<SerializableRule>,
    /// An ast-grep rule that some ancestor of every call of the function around the match
    /// must satisfy: the function runs only from there (followed through same-file helpers).
    pub callers_inside: Option<SerializableRule>,
}

/// `[match.provenance]`: the severity of a finding by the origin of the value that reaches
/// the sink (`model/provenance.rs`). An origin left out gives no finding.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenanceSpec {
    pub request: Option<Severity>,
    pub parameter: Option<Severity>,
    pub unknown: Option<Severity>,
    pub sanitised: Option<Severity>,
    pub constant: Option<Severity>,
    /// Qualified names (callees or attribute chains, same globs as `calls`) whose value is
    /// safe for this sink: identifier quoters for SQL, escapers for HTML, `shlex.quote`.
    #[serde(default)]
    pub sanitisers: Vec<String>,
    /// Words after which a template hole can only hold a name or keyword (`FROM`, `NOTIFY`,
    /// `ORDER BY`, `MATCH(`), also in a list of names after them: a value there that is not
    /// request data counts as sanitised.
    #[serde(default)]
    pub identifier_after: Vec<String>,
    /// Characters that make a hole they enclose an identifier (`"{column}"` in SQL).
    #[serde(default)]
    pub identifier_quotes: Vec<String>,
    /// What a function imported from the project's own package returns counts as sanitised
    /// (unless request data is passed to it): for sinks that get whole results of helpers
    /// built for them, such as HTML marked safe.
    #[serde(default)]
    pub trust_project_helpers: bool,
}

impl ProvenanceSpec {
    pub fn severity(&self, origin: Origin) -> Option<Severity> {
        match origin {
            Origin::Request => self.request,
            Origin::Parameter => self.parameter,
            Origin::Unknown => self.unknown,
            Origin::Sanitised => self.sanitised,
            Origin::Constant => self.constant,
        }
    }
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
    /// argument a condition looked at, `{evidence}` where that value came from (with
    /// `[match.provenance]`; appended when the template does not place it), `$VAR` an
    /// ast-grep metavariable.
    pub message: Option<String>,
    /// The severity of this clause's findings when it is lower than the rule's.
    pub severity: Option<Severity>,
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
    /// This argument is the sink's input: with `[match.provenance]`, where its value came from
    /// grades the finding (a condition with `is`, `rule` or `not` is one too).
    #[serde(default)]
    pub sink: bool,
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

/// A `setting` matcher: one clause inline in `[match]`, plus any under `[[match.any]]`. Each
/// clause that holds on the production settings is a finding.
#[derive(Clone, Debug)]
pub struct SettingSpec {
    pub clause: Option<SettingCondition>,
    pub any: Vec<SettingCondition>,
    /// `[match.project]`: evidence across the repository that makes the check pass (a pooler
    /// a deploy file starts), and components that, when not wired in while a clause holds,
    /// are findings of their own at the rule's severity (a pool built and never used).
    pub project: Option<crate::rules::project::ProjectSpec>,
}

/// A condition on one setting of the production profile. As a clause (in `[match]` or
/// `[[match.any]]`) it also carries `when`, `unless` and `message`; as a nested condition (in
/// `when`, `unless`, `any`, `all`) it may instead be `imports`, `any` or `all`. Every test given
/// must hold. Tests other than `is = "set" | "missing" | "literal" | "env…"` look at the value
/// production gets: the literal, the default of an environment read, or Django's default.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SettingCondition {
    /// Dotted path; segments may be globs (`*_URL`, `DATABASES.*.HOST`); in `when`/`unless`,
    /// `$` stands for the clause's concrete path (`$.OPTIONS`) and `^` for its parent
    /// (`^.ENGINE` beside `DATABASES.default.CONN_MAX_AGE`).
    pub setting: Option<String>,
    pub is: Option<SettingClass>,
    pub equals: Option<toml::Value>,
    pub not_equals: Option<toml::Value>,
    #[serde(rename = "in")]
    pub one_of: Option<Vec<toml::Value>>,
    pub not_in: Option<Vec<toml::Value>>,
    /// A list (or string) that has one of these items (substrings).
    pub contains: Option<Vec<toml::Value>>,
    /// A list (or string) that has none of these items (substrings).
    pub lacks: Option<Vec<toml::Value>>,
    /// A string matching this glob (`*` any run, `?` one character, `{a,b}` alternatives).
    pub glob: Option<String>,
    /// A value that is not a string matching this glob.
    pub not_glob: Option<String>,
    pub greater_than: Option<f64>,
    pub less_than: Option<f64>,
    /// Some non-test file imports one of these dotted names (or a name below one).
    #[serde(default)]
    pub imports: Vec<String>,
    /// A test on a list of dotted class paths (`MIDDLEWARE`): an item names a class defined
    /// in the project's app code whose source has this evidence (the project does the job
    /// itself).
    pub defines_class: Option<CodeEvidence>,
    /// Some class in the project's app code has this evidence.
    pub code_class: Option<CodeEvidence>,
    /// No app code has any of these code fragments (see [`CodeAbsence`]).
    pub code_lacks: Option<CodeAbsence>,
    /// At least one of these conditions holds.
    #[serde(default)]
    pub any: Vec<SettingCondition>,
    /// Every one of these conditions holds.
    #[serde(default)]
    pub all: Vec<SettingCondition>,
    /// Clause only: further conditions that must all hold.
    #[serde(default)]
    pub when: Vec<SettingCondition>,
    /// Clause only: conditions any of which silences the clause.
    #[serde(default)]
    pub unless: Vec<SettingCondition>,
    /// Clause only: the finding message. `{setting}` the concrete path, `{value}` the value
    /// production gets, `{when}` where that value comes from (` when the X environment variable
    /// is unset`, ` (Django's default)` or nothing for a literal), `{item}` the list item a
    /// `contains` test found, `{env}` the environment variables read, `{module}` the production
    /// settings module.
    pub message: Option<String>,
    /// Clause only: the severity of this clause's findings when it is lower than the rule's
    /// (the rule's `severity` is the highest any clause gives).
    pub severity: Option<Severity>,
}

/// What a class's source must show: every `contains` fragment somewhere in the class (its
/// `class` line and body), and one line holding every `line` fragment. Plain text, compared
/// case-sensitively.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeEvidence {
    #[serde(default)]
    pub contains: Vec<String>,
    #[serde(default)]
    pub line: Vec<String>,
}

/// Code fragments none of which may appear in app code. Compared without whitespace (so
/// `render(request` finds `render(\n    request`) and as whole words (`TemplateView` is not
/// `ProjectTemplateViewSet`); a fragment starting with `^` must start its line. A fragment
/// inside a module-level function that one of the `except_named_by` settings names by its
/// dotted path (`CSRF_FAILURE_VIEW`) does not count.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeAbsence {
    pub any: Vec<String>,
    #[serde(default)]
    pub except_named_by: Vec<String>,
}

/// A class of settings value for `is`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SettingClass {
    /// Assigned in the production profile (defaults do not count).
    Set,
    /// Not assigned in the production profile.
    Missing,
    /// Assigned, and made only of literals (no environment read, nothing computed).
    Literal,
    /// Read from the environment (with or without a default).
    Env,
    /// Read from the environment with a default.
    EnvWithDefault,
    /// Read from the environment with no default.
    EnvRequired,
    True,
    False,
    None,
    Truthy,
    Falsy,
    /// An empty string, list or dict (or `None`).
    Empty,
    /// A non-empty string, list or dict.
    NonEmpty,
    /// A non-empty string.
    String,
    /// Another branch of an `if` on an environment variable assigns the setting: the `if`
    /// took its branch from the variable's default, and setting the variable replaces it.
    EnvSwitched,
    /// A string naming a host that belongs to one deployment (`rules/hosts.rs`): localhost, an
    /// IP, a service name, a private or environment name, a data-store URL; not a vendor's
    /// public endpoint.
    DeploymentHost,
}

/// `[match]` of `kind = "analyzer"`: a named Rust analyzer; its parameters stay in TOML.
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
    /// For bad examples: that finding (or, without `line`, some finding) has this severity,
    /// for rules whose clauses report below the rule's severity.
    pub severity: Option<Severity>,
    /// Path the example is checked as (default `app/example.py`, or `config/settings.py` for a
    /// `setting` rule), for rules limited by `files`.
    pub path: Option<String>,
}

/// More files of one example project (`[[example.bad.files]]`): a base settings module, a
/// `wsgi.py`, a view that uses the cache. The loader keeps them beside the example (in
/// `LoadedRule::example_files`) so `Example` keeps its shape.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ExampleFile {
    pub path: String,
    pub code: String,
}

/// The extra files of each example, index for index with `Examples::bad` and `::good`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExampleFiles {
    pub bad: Vec<Vec<ExampleFile>>,
    pub good: Vec<Vec<ExampleFile>>,
}
