//! The `setting` matcher: conditions on the evaluated production settings (DESIGN §3.2, §4.1).
//!
//! A clause names a setting path and tests it; `when` and `unless` add conditions on other
//! settings or on project evidence (imports). Each test is three-valued: it holds, it does not,
//! or it cannot be decided (the value comes from an environment variable with no default, or
//! from code audit does not run). A clause that holds is a finding; one that cannot be decided
//! makes the check n/a with a note, never a finding.

use crate::findings::{assign_fingerprints, fold_whitespace, Finding, Severity};
use crate::locate::to_finding;
use crate::model::settings::{glob_match, py_eq, Kind, Loc, Lookup, Profile, Undecided, Value};
use crate::rules::hosts;
use crate::rules::matcher::{Needs, ProjectCheck, ProjectInput, ProjectMatcher};
use crate::rules::pattern::RawMatch;
use crate::rules::rule::{CodeAbsence, CodeEvidence, SettingClass, SettingCondition, SettingSpec};
use crate::rules::LoadedRule;
use std::collections::{BTreeMap, BTreeSet};

pub mod code;
mod describe;

pub use code::{CodeFacts, CodeNeedles};

/// A compiled `setting` matcher.
pub struct CompiledSetting {
    clauses: Vec<Clause>,
    /// `[match.project]`, compiled.
    project: Option<Box<crate::rules::project::CompiledProject>>,
}

struct Clause {
    setting: String,
    condition: Condition,
    when: Vec<Condition>,
    unless: Vec<Condition>,
    message: Option<String>,
    /// Lower than the rule's severity, when the clause says so.
    severity: Option<Severity>,
}

struct Condition {
    setting: Option<String>,
    tests: Vec<Test>,
    imports: Vec<String>,
    code_class: Option<CodeEvidence>,
    code_lacks: Option<CodeAbsence>,
    any: Vec<Condition>,
    all: Vec<Condition>,
}

enum Test {
    Is(SettingClass),
    Equals(Value),
    NotEquals(Value),
    In(Vec<Value>),
    NotIn(Vec<Value>),
    Contains(Vec<Value>),
    Lacks(Vec<Value>),
    Glob(String),
    NotGlob(String),
    GreaterThan(f64),
    LessThan(f64),
    /// An item names a project class with this evidence.
    DefinesClass(CodeEvidence),
}

/// One clause that held: where it points and its rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingMatch {
    pub at: Loc,
    pub message: Option<String>,
    /// The clause's own severity, when it has one (else the rule's applies).
    pub severity: Option<Severity>,
    /// The value is read from the environment: the deployment's own way to change it.
    pub from_env: bool,
}

/// What a setting rule found on one profile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SettingOutcome {
    pub matches: Vec<SettingMatch>,
    /// Why some clause could not be decided (sorted, without duplicates).
    pub undecided: Vec<String>,
    /// Project code that silenced a clause which held otherwise (a middleware that sends the
    /// header itself, with its file and line): the evidence of a check that passes.
    pub provided: Vec<String>,
}

/// Project facts beyond the settings that conditions may ask about.
pub struct Evidence<'a> {
    /// Dotted names imported by non-test files (`django.core.cache`, `django.core.cache.cache`).
    pub imports: &'a BTreeSet<String>,
    /// The code evidence the rules asked about, and what app files showed of it.
    pub needles: &'a CodeNeedles,
    pub code: &'a CodeFacts,
}

/// Three-valued result of a condition; `Yes` carries the list item a `contains` found.
#[derive(Clone, Debug)]
enum Tri {
    Yes(Option<Value>),
    No,
    Undecided(String),
}

impl Tri {
    fn from_bool(b: bool) -> Tri {
        if b {
            Tri::Yes(None)
        } else {
            Tri::No
        }
    }

    /// Conjunction: any `No` wins, then any undecided, else `Yes` (keeping the first item).
    fn and(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Undecided(n), _) | (_, Tri::Undecided(n)) => Tri::Undecided(n),
            (Tri::Yes(a), Tri::Yes(b)) => Tri::Yes(a.or(b)),
        }
    }

    /// Disjunction: any `Yes` wins, then any undecided, else `No`.
    fn or(self, other: Tri) -> Tri {
        match (self, other) {
            (Tri::Yes(a), _) => Tri::Yes(a),
            (_, Tri::Yes(b)) => Tri::Yes(b),
            (Tri::Undecided(n), _) | (_, Tri::Undecided(n)) => Tri::Undecided(n),
            _ => Tri::No,
        }
    }

    /// The same result without the item it found.
    fn anonymous(self) -> Tri {
        match self {
            Tri::Yes(_) => Tri::Yes(None),
            other => other,
        }
    }

    fn not(self) -> Tri {
        match self {
            Tri::Yes(_) => Tri::No,
            Tri::No => Tri::Yes(None),
            u => u,
        }
    }
}

impl CompiledSetting {
    pub fn compile(spec: &SettingSpec) -> Result<Self, String> {
        let mut clauses = Vec::new();
        let inline = spec.clause.iter().map(|c| ("[match]".to_string(), c));
        let listed = spec
            .any
            .iter()
            .enumerate()
            .map(|(i, c)| (format!("[[match.any]] #{}", i + 1), c));
        for (where_, clause) in inline.chain(listed) {
            clauses.push(compile_clause(clause).map_err(|e| format!("{where_}: {e}"))?);
        }
        if clauses.is_empty() {
            return Err("[match] has no clause: give `setting` and a test".to_string());
        }
        let project = match &spec.project {
            Some(p) => Some(Box::new(
                crate::rules::project::CompiledProject::compile(p)
                    .map_err(|e| format!("[match.project]: {e}"))?,
            )),
            None => None,
        };
        Ok(CompiledSetting { clauses, project })
    }

    /// Adds the code evidence this rule's conditions ask about.
    pub fn add_needles(&self, needles: &mut CodeNeedles) {
        for clause in &self.clauses {
            let nested = clause.when.iter().chain(&clause.unless);
            for condition in std::iter::once(&clause.condition).chain(nested) {
                condition.add_needles(needles);
            }
        }
    }

    /// Every clause on the production profile.
    pub fn evaluate(&self, profile: &Profile, evidence: &Evidence<'_>) -> SettingOutcome {
        let mut outcome = SettingOutcome::default();
        for clause in &self.clauses {
            for path in profile.expand(&clause.setting) {
                let path = profile.source_path(&path);
                let lookup = profile.lookup(&path);
                let mut result = clause.condition.tests_on(&path, &lookup, profile, evidence);
                // Only the clause's own tests choose where the finding points.
                for condition in &clause.when {
                    result = result.and(condition.eval(profile, evidence, &path).anonymous());
                }
                let held = matches!(result, Tri::Yes(_));
                for condition in &clause.unless {
                    // An exception that cannot be decided (a host read from the environment)
                    // does not silence what the clause's own tests decided.
                    let silenced = match condition.eval(profile, evidence, &path) {
                        Tri::Undecided(_) => Tri::No,
                        decided => decided,
                    };
                    if held && matches!(silenced, Tri::Yes(_)) && matches!(result, Tri::Yes(_)) {
                        for why in condition.explain(profile, evidence, &path) {
                            if !outcome.provided.contains(&why) {
                                outcome.provided.push(why);
                            }
                        }
                    }
                    result = result.and(silenced.not());
                }
                match result {
                    Tri::Yes(item) => {
                        let at = item
                            .as_ref()
                            .and_then(|i| i.at.clone())
                            .or_else(|| lookup.at.clone())
                            .unwrap_or_else(|| profile.entry_loc());
                        let found = clause
                            .when
                            .iter()
                            .flat_map(|c| c.explain(profile, evidence, &path))
                            .next()
                            .unwrap_or_default();
                        let message = clause.message.as_ref().map(|m| {
                            render(m, &path, &lookup, item.as_ref(), profile)
                                .replace("{evidence}", &found)
                        });
                        // One finding per location; a literal copied into other settings is
                        // named after the setting that writes it.
                        let severity = clause.severity;
                        match outcome.matches.iter_mut().find(|m| m.at == at) {
                            Some(existing) => {
                                if writes_at(profile, &path, &at) {
                                    existing.message = message;
                                    existing.severity = severity;
                                }
                            }
                            None => outcome.matches.push(SettingMatch {
                                at,
                                message,
                                severity,
                                from_env: lookup
                                    .value
                                    .as_ref()
                                    .is_some_and(|v| matches!(v.kind, Kind::Env { .. })),
                            }),
                        }
                    }
                    Tri::Undecided(note) => {
                        if !outcome.undecided.contains(&note) {
                            outcome.undecided.push(note);
                        }
                    }
                    Tri::No => {}
                }
            }
        }
        // A profile cut short by a bound may hide what would make this rule find something:
        // without a finding the check cannot pass, only be undecidable, with the reason.
        if outcome.matches.is_empty() {
            for note in &profile.incomplete {
                if !outcome.undecided.contains(note) {
                    outcome.undecided.push(note.clone());
                }
            }
        }
        outcome.undecided.sort();
        // Evidence of a clause that still found something elsewhere is no pass.
        if !outcome.matches.is_empty() {
            outcome.provided.clear();
        }
        outcome
    }
}

fn compile_clause(spec: &SettingCondition) -> Result<Clause, String> {
    let Some(setting) = spec.setting.clone() else {
        return Err("a clause needs `setting`".to_string());
    };
    if setting.starts_with(['$', '^']) {
        return Err("`$` and `^` may only start a path inside `when` or `unless`".to_string());
    }
    let condition = compile_condition(spec, true)?;
    if condition.tests.is_empty() {
        return Err(format!("the clause on `{setting}` states no test (`is`, `equals`, `in`, `contains`, `lacks`, `glob`, …)"));
    }
    if !condition.imports.is_empty()
        || !condition.any.is_empty()
        || !condition.all.is_empty()
        || condition.code_class.is_some()
        || condition.code_lacks.is_some()
        || condition
            .tests
            .iter()
            .any(|t| matches!(t, Test::DefinesClass(_)))
    {
        return Err(
            "`imports`, `any`, `all`, `defines_class`, `code_class` and `code_lacks` belong in `when` or `unless`, not in the clause itself"
                .to_string(),
        );
    }
    let nested = |list: &[SettingCondition]| -> Result<Vec<Condition>, String> {
        list.iter().map(|c| compile_condition(c, false)).collect()
    };
    Ok(Clause {
        setting,
        condition,
        when: nested(&spec.when)?,
        unless: nested(&spec.unless)?,
        message: spec.message.clone(),
        severity: spec.severity,
    })
}

fn compile_condition(spec: &SettingCondition, is_clause: bool) -> Result<Condition, String> {
    if !is_clause
        && (spec.message.is_some()
            || spec.severity.is_some()
            || !spec.when.is_empty()
            || !spec.unless.is_empty())
    {
        return Err(
            "`message`, `severity`, `when` and `unless` belong to a clause, not to a nested condition"
                .to_string(),
        );
    }
    let mut tests = Vec::new();
    if let Some(class) = spec.is {
        tests.push(Test::Is(class));
    }
    let one = |v: &toml::Value| to_value(v);
    let many = |vs: &[toml::Value]| vs.iter().map(to_value).collect::<Result<Vec<_>, _>>();
    if let Some(v) = &spec.equals {
        tests.push(Test::Equals(one(v)?));
    }
    if let Some(v) = &spec.not_equals {
        tests.push(Test::NotEquals(one(v)?));
    }
    if let Some(vs) = &spec.one_of {
        tests.push(Test::In(many(vs)?));
    }
    if let Some(vs) = &spec.not_in {
        tests.push(Test::NotIn(many(vs)?));
    }
    if let Some(vs) = &spec.contains {
        tests.push(Test::Contains(many(vs)?));
    }
    if let Some(vs) = &spec.lacks {
        tests.push(Test::Lacks(many(vs)?));
    }
    if let Some(g) = &spec.glob {
        tests.push(Test::Glob(g.clone()));
    }
    if let Some(g) = &spec.not_glob {
        tests.push(Test::NotGlob(g.clone()));
    }
    if let Some(n) = spec.greater_than {
        tests.push(Test::GreaterThan(n));
    }
    if let Some(n) = spec.less_than {
        tests.push(Test::LessThan(n));
    }
    if let Some(e) = &spec.defines_class {
        check_evidence(e)?;
        tests.push(Test::DefinesClass(e.clone()));
    }
    if let Some(e) = &spec.code_class {
        check_evidence(e)?;
    }
    if let Some(a) = &spec.code_lacks {
        if a.any
            .iter()
            .all(|f| f.trim_start_matches('^').trim().is_empty())
        {
            return Err("`code_lacks` needs at least one code fragment in `any`".to_string());
        }
    }
    let nested = |list: &[SettingCondition]| -> Result<Vec<Condition>, String> {
        list.iter().map(|c| compile_condition(c, false)).collect()
    };
    let condition = Condition {
        setting: spec.setting.clone(),
        tests,
        imports: spec.imports.clone(),
        code_class: spec.code_class.clone(),
        code_lacks: spec.code_lacks.clone(),
        any: nested(&spec.any)?,
        all: nested(&spec.all)?,
    };
    if condition.setting.is_some() == condition.tests.is_empty() {
        return Err(match &condition.setting {
            Some(s) => format!("the condition on `{s}` states no test"),
            None => "a test needs the `setting` it applies to".to_string(),
        });
    }
    if !is_clause
        && condition.setting.is_none()
        && condition.imports.is_empty()
        && condition.code_class.is_none()
        && condition.code_lacks.is_none()
        && condition.any.is_empty()
        && condition.all.is_empty()
    {
        return Err(
            "an empty condition: give `setting` and a test, `imports`, `any` or `all`".to_string(),
        );
    }
    Ok(condition)
}

fn check_evidence(e: &CodeEvidence) -> Result<(), String> {
    let fragments = e.contains.iter().chain(&e.line);
    if e.contains.is_empty() && e.line.is_empty() || fragments.clone().any(|f| f.is_empty()) {
        return Err("code evidence needs non-empty `contains` or `line` fragments".to_string());
    }
    Ok(())
}

/// A TOML literal as a settings value.
fn to_value(v: &toml::Value) -> Result<Value, String> {
    let kind = match v {
        toml::Value::String(s) => Kind::Str(s.clone()),
        toml::Value::Integer(i) => Kind::Int(*i),
        toml::Value::Float(f) => Kind::Float(*f),
        toml::Value::Boolean(b) => Kind::Bool(*b),
        toml::Value::Array(items) => {
            Kind::list(items.iter().map(to_value).collect::<Result<_, _>>()?)
        }
        other => return Err(format!("cannot compare a setting with {other}")),
    };
    Ok(Value::new(kind, None))
}

impl Condition {
    /// A nested condition; `current` is the clause's concrete path, for `$`.
    fn eval(&self, profile: &Profile, evidence: &Evidence<'_>, current: &str) -> Tri {
        let mut result = Tri::Yes(None);
        if let Some(pattern) = &self.setting {
            let pattern = relative_path(pattern, current);
            let mut any = Tri::No;
            for path in profile.expand(&pattern) {
                let path = profile.source_path(&path);
                let lookup = profile.lookup(&path);
                any = any.or(self.tests_on(&path, &lookup, profile, evidence));
            }
            result = result.and(any);
        }
        if let Some(wanted) = &self.code_class {
            result = result.and(Tri::from_bool(class_with(wanted, evidence).is_some()));
        }
        if let Some(absence) = &self.code_lacks {
            result = result.and(Tri::from_bool(
                present_sites(absence, profile, evidence).is_empty(),
            ));
        }
        if !self.imports.is_empty() {
            let imported = self.imports.iter().any(|wanted| {
                evidence.imports.iter().any(|name| {
                    name == wanted
                        || name
                            .strip_prefix(wanted.as_str())
                            .is_some_and(|rest| rest.starts_with('.'))
                })
            });
            result = result.and(Tri::from_bool(imported));
        }
        if !self.any.is_empty() {
            let mut any = Tri::No;
            for c in &self.any {
                any = any.or(c.eval(profile, evidence, current));
            }
            result = result.and(any);
        }
        for c in &self.all {
            result = result.and(c.eval(profile, evidence, current));
        }
        result
    }

    /// Every test of this condition on one looked-up setting.
    fn tests_on(
        &self,
        path: &str,
        lookup: &Lookup,
        profile: &Profile,
        evidence: &Evidence<'_>,
    ) -> Tri {
        let mut result = Tri::Yes(None);
        for test in &self.tests {
            result = result.and(test.eval(path, lookup, profile, evidence));
            if matches!(result, Tri::No) {
                break;
            }
        }
        result
    }
}

impl Condition {
    fn add_needles(&self, needles: &mut CodeNeedles) {
        for test in &self.tests {
            if let Test::DefinesClass(e) = test {
                needles.add_class(e);
            }
        }
        if let Some(e) = &self.code_class {
            needles.add_class(e);
        }
        if let Some(a) = &self.code_lacks {
            needles.add_absent(a);
        }
        for c in self.any.iter().chain(&self.all) {
            c.add_needles(needles);
        }
    }

    /// What project code makes this condition hold, for a message or a check's note:
    /// `pretix.base.middleware.SecurityMiddleware (pretix/base/middleware.py:341) has
    /// "Content-Security-Policy"`. Empty for conditions on settings alone.
    fn explain(&self, profile: &Profile, evidence: &Evidence<'_>, current: &str) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(pattern) = &self.setting {
            for test in &self.tests {
                if let Test::Is(SettingClass::EnvSwitched) = test {
                    for path in profile.expand(&relative_path(pattern, current)) {
                        if let Some(switch) = profile.switch_of(&path) {
                            let vars = switch.vars.join(", ");
                            out.push(format!(
                                "the `if` at {}:{} assigns {} when {vars} is set",
                                switch.at.file, switch.line, switch.name
                            ));
                        }
                    }
                }
                let Test::DefinesClass(wanted) = test else {
                    continue;
                };
                for path in profile.expand(&relative_path(pattern, current)) {
                    let lookup = profile.lookup(&profile.source_path(&path));
                    let Some(value) = lookup.value.as_ref().map(|v| v.clone().certain()) else {
                        continue;
                    };
                    if let Some((item, hit)) = defining_item(&value, wanted, evidence) {
                        out.push(format!(
                            "{path} names {item} ({}:{}), whose class has {}",
                            hit.rel,
                            hit.line,
                            describe_evidence(wanted)
                        ));
                    }
                }
            }
        }
        if let Some(wanted) = &self.code_class {
            if let Some(hit) = class_with(wanted, evidence) {
                out.push(format!(
                    "the class {}.{} ({}:{}) has {}",
                    hit.module,
                    hit.class,
                    hit.rel,
                    hit.line,
                    describe_evidence(wanted)
                ));
            }
        }
        if let Some(absence) = &self.code_lacks {
            if present_sites(absence, profile, evidence).is_empty() {
                let list: Vec<String> = absence
                    .any
                    .iter()
                    .map(|f| format!("`{}`", f.trim_start_matches('^')))
                    .collect();
                out.push(format!("no app code has {}", list.join(", ")));
            }
        }
        for c in self.any.iter().chain(&self.all) {
            out.extend(c.explain(profile, evidence, current));
        }
        out
    }
}

/// `"Content-Security-Policy"`, `a line with "password" and "min_length="`.
fn describe_evidence(e: &CodeEvidence) -> String {
    let quoted = |xs: &[String]| {
        xs.iter()
            .map(|x| format!("{x:?}"))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let mut parts = Vec::new();
    if !e.contains.is_empty() {
        parts.push(quoted(&e.contains));
    }
    if !e.line.is_empty() {
        parts.push(format!("a line with {}", quoted(&e.line)));
    }
    parts.join(" and ")
}

/// The first class in app code with the evidence.
fn class_with<'e>(wanted: &CodeEvidence, evidence: &'e Evidence<'_>) -> Option<&'e code::ClassHit> {
    let index = evidence.needles.classes.iter().position(|e| e == wanted)?;
    evidence.code.classes.iter().find(|h| h.evidence == index)
}

/// The places in app code that have one of the fragments, leaving out functions a listed
/// setting names by dotted path.
fn present_sites<'e>(
    absence: &CodeAbsence,
    profile: &Profile,
    evidence: &'e Evidence<'_>,
) -> Vec<&'e code::SiteHit> {
    let Some(index) = evidence.needles.absent.iter().position(|a| a == absence) else {
        return Vec::new();
    };
    let named: Vec<String> = absence
        .except_named_by
        .iter()
        .filter_map(|s| match profile.lookup(s).value.map(Value::certain) {
            Some(Value {
                kind: Kind::Str(dotted),
                ..
            }) => Some(dotted),
            _ => None,
        })
        .collect();
    evidence
        .code
        .sites
        .iter()
        .filter(|site| site.absence == index)
        .filter(|site| {
            let Some(function) = &site.function else {
                return true;
            };
            let full = format!("{}.{function}", site.module);
            !named
                .iter()
                .any(|n| full == *n || full.ends_with(&format!(".{n}")))
        })
        .collect()
}

/// The item of a list of dotted paths naming a project class with the evidence.
fn defining_item<'e>(
    value: &Value,
    wanted: &CodeEvidence,
    evidence: &'e Evidence<'_>,
) -> Option<(String, &'e code::ClassHit)> {
    let index = evidence.needles.classes.iter().position(|e| e == wanted)?;
    let Kind::List(items) = &value.kind else {
        return None;
    };
    items.iter().find_map(|item| match &item.kind {
        Kind::Str(dotted) => evidence
            .code
            .class_named(index, dotted)
            .map(|hit| (dotted.clone(), hit)),
        _ => None,
    })
}

/// `defines_class` on a value: yes for a certain item, undecided when only an item some
/// undecidable branch adds names such a class.
fn defines_class(value: &Value, wanted: &CodeEvidence, evidence: &Evidence<'_>, path: &str) -> Tri {
    let Some(index) = evidence.needles.classes.iter().position(|e| e == wanted) else {
        return Tri::No;
    };
    let Kind::List(items) = &value.kind else {
        return Tri::No;
    };
    let mut maybe = None;
    for item in items.iter() {
        match &item.kind {
            Kind::Str(dotted) if evidence.code.class_named(index, dotted).is_some() => {
                return Tri::Yes(Some(item.clone()));
            }
            Kind::Maybe { value: inner, why } => {
                if let Kind::Str(dotted) = &inner.kind {
                    if evidence.code.class_named(index, dotted).is_some() {
                        maybe.get_or_insert_with(|| {
                            format!(
                                "{dotted} is in {path} only when {why}, which audit cannot decide"
                            )
                        });
                    }
                }
            }
            _ => {}
        }
    }
    maybe.map_or(Tri::No, Tri::Undecided)
}

impl Test {
    fn eval(&self, path: &str, lookup: &Lookup, profile: &Profile, evidence: &Evidence<'_>) -> Tri {
        let elsewhere = || {
            Tri::Undecided(format!(
                "{path} is not set in {}, but may come from `from {} import *`, which audit could not follow",
                profile.module,
                profile.unresolved.join("`, `from ")
            ))
        };
        // A value a bound stopped decides nothing, whatever the test.
        if let Some(Value {
            kind: Kind::Cut(note),
            ..
        }) = &lookup.value
        {
            return Tri::Undecided(Undecided::Cut(note.clone()).describe(path));
        }
        // Set only under an `if` audit cannot decide: decided when the test comes out the
        // same with the value set and with it unset (Django's default), else undecidable.
        // `is = "set"` is the exception: a conditional assignment is an assignment, so the
        // deployment can turn the setting on (a proxy header read from the environment).
        if let Some(Value {
            kind: Kind::Maybe { why, .. },
            ..
        }) = &lookup.value
        {
            if matches!(self, Test::Is(SettingClass::Set)) {
                return Tri::Yes(None);
            }
            let set = Lookup {
                value: lookup.value.clone().map(Value::certain),
                ..lookup.clone()
            };
            let unset = profile.lookup_unset(path);
            return match (
                self.eval(path, &set, profile, evidence),
                self.eval(path, &unset, profile, evidence),
            ) {
                (Tri::Yes(item), Tri::Yes(_)) => Tri::Yes(item),
                (Tri::No, Tri::No) => Tri::No,
                (Tri::Undecided(note), _) | (_, Tri::Undecided(note)) => Tri::Undecided(note),
                _ => Tri::Undecided(Undecided::Maybe(why.clone()).describe(path)),
            };
        }
        if let Test::Is(class) = self {
            let value = lookup.value.as_ref().filter(|_| lookup.set);
            let env = value.and_then(|v| match &v.kind {
                Kind::Env { fallback, .. } => Some(fallback.is_some()),
                _ => None,
            });
            let decided = match class {
                SettingClass::Set | SettingClass::Missing
                    if !lookup.set && lookup.maybe_elsewhere =>
                {
                    return elsewhere()
                }
                SettingClass::Set => Some(lookup.set),
                SettingClass::Missing => Some(!lookup.set),
                SettingClass::Literal => Some(value.is_some_and(Value::is_literal)),
                SettingClass::Env => Some(env.is_some()),
                SettingClass::EnvWithDefault => Some(env == Some(true)),
                SettingClass::EnvRequired => Some(env == Some(false)),
                SettingClass::EnvSwitched => Some(profile.switch_of(path).is_some()),
                _ => None,
            };
            if let Some(b) = decided {
                return Tri::from_bool(b);
            }
        }
        if !lookup.set && lookup.maybe_elsewhere {
            return elsewhere();
        }
        let absent = Value::new(Kind::None, None);
        let value = lookup.value.as_ref().unwrap_or(&absent);
        let value = match value.effective() {
            Ok(v) => v,
            Err(why) => return Tri::Undecided(why.describe(path)),
        };
        match self {
            Test::Is(class) => Tri::from_bool(is_class(*class, value)),
            Test::Equals(x) => Tri::from_bool(py_eq(value, x)),
            Test::NotEquals(x) => Tri::from_bool(!py_eq(value, x)),
            Test::In(xs) => Tri::from_bool(xs.iter().any(|x| py_eq(value, x))),
            Test::NotIn(xs) => Tri::from_bool(!xs.iter().any(|x| py_eq(value, x))),
            Test::Contains(xs) => contains(path, value, xs),
            Test::Lacks(xs) => contains(path, value, xs).not(),
            Test::Glob(g) => {
                Tri::from_bool(matches!(&value.kind, Kind::Str(s) if glob_match(g, s)))
            }
            Test::NotGlob(g) => {
                Tri::from_bool(!matches!(&value.kind, Kind::Str(s) if glob_match(g, s)))
            }
            Test::GreaterThan(n) => Tri::from_bool(number(value).is_some_and(|v| v > *n)),
            Test::LessThan(n) => Tri::from_bool(number(value).is_some_and(|v| v < *n)),
            Test::DefinesClass(wanted) => defines_class(value, wanted, evidence, path),
        }
    }
}

/// True when the top-level setting of `path` is assigned by the statement at `at`.
fn writes_at(profile: &Profile, path: &str, at: &Loc) -> bool {
    let top = path.split('.').next().unwrap_or(path);
    profile
        .defined_at(top)
        .is_some_and(|d| d.file == at.file && d.start == at.start)
}

/// `$.X` is below the clause's concrete path, `^.X` beside it (below its parent).
fn relative_path(pattern: &str, current: &str) -> String {
    if let Some(rest) = pattern.strip_prefix('$') {
        return format!("{current}{rest}");
    }
    if let Some(rest) = pattern.strip_prefix('^') {
        let parent = current.rsplit_once('.').map_or("", |(p, _)| p);
        return format!("{parent}{rest}");
    }
    pattern.to_string()
}

fn number(value: &Value) -> Option<f64> {
    match value.kind {
        Kind::Int(i) => Some(i as f64),
        Kind::Float(f) => Some(f),
        _ => None,
    }
}

fn is_class(class: SettingClass, value: &Value) -> bool {
    let empty = match &value.kind {
        Kind::Str(s) => Some(s.is_empty()),
        Kind::List(items) => Some(items.is_empty()),
        Kind::Dict(entries) => Some(entries.is_empty()),
        Kind::None => Some(true),
        _ => None,
    };
    match class {
        SettingClass::True => value.kind == Kind::Bool(true),
        SettingClass::False => value.kind == Kind::Bool(false),
        SettingClass::None => value.kind == Kind::None,
        SettingClass::Truthy => value.truth() == Some(true),
        SettingClass::Falsy => value.truth() == Some(false),
        SettingClass::Empty => empty == Some(true),
        SettingClass::NonEmpty => empty == Some(false) && value.kind != Kind::None,
        SettingClass::String => matches!(&value.kind, Kind::Str(s) if !s.is_empty()),
        SettingClass::DeploymentHost => {
            matches!(&value.kind, Kind::Str(s) if hosts::is_deployment_specific(s))
        }
        // Decided from the lookup before the value is taken.
        SettingClass::Set
        | SettingClass::Missing
        | SettingClass::Literal
        | SettingClass::Env
        | SettingClass::EnvWithDefault
        | SettingClass::EnvRequired
        | SettingClass::EnvSwitched => false,
    }
}

/// A list item (or substring) equal to one of `needles`. Decided as far as the items that
/// can be known go: one item read from the environment or computed is not taken for a
/// needle, so `["a.com", env("HOST")]` does not contain `*`. Undecided when a needle is an
/// item only some branch of an undecidable `if` adds, or when a splat (`*X`) or a bound may
/// hide any number of items.
fn contains(path: &str, value: &Value, needles: &[Value]) -> Tri {
    // A needle `*.Name` matches any dotted string item ending in `.Name` (Django's class, or a
    // project's subclass that keeps its name); every other needle is compared for equality.
    let is_needle = |v: &Value| {
        needles.iter().any(|n| match (&n.kind, &v.kind) {
            (Kind::Str(suffix), Kind::Str(item)) if suffix.starts_with("*.") => {
                item.ends_with(&suffix[1..])
            }
            _ => py_eq(v, n),
        })
    };
    match &value.kind {
        Kind::List(items) => {
            let mut maybe = None;
            let mut undecided = None;
            for item in items.iter() {
                if let Kind::Maybe { value: inner, why } = &item.kind {
                    if inner.effective().is_ok_and(is_needle) {
                        maybe.get_or_insert_with(|| {
                            format!(
                                "{} is in {path} only when {why}, which audit cannot decide",
                                inner.render()
                            )
                        });
                    }
                    continue;
                }
                match item.effective() {
                    Ok(v) if is_needle(v) => return Tri::Yes(Some(item.clone())),
                    Ok(_) => {}
                    Err(why) => {
                        let many = matches!(&item.kind, Kind::Unknown(t) if t.starts_with('*'))
                            || matches!(item.kind, Kind::Cut(_));
                        if many {
                            undecided
                                .get_or_insert_with(|| why.describe(&format!("an item of {path}")));
                        }
                    }
                }
            }
            maybe.or(undecided).map_or(Tri::No, Tri::Undecided)
        }
        Kind::Str(s) => Tri::from_bool(
            needles
                .iter()
                .any(|n| matches!(&n.kind, Kind::Str(x) if s.contains(x.as_str()))),
        ),
        Kind::Dict(_) => Tri::from_bool(
            needles
                .iter()
                .any(|n| matches!(&n.kind, Kind::Str(k) if value.get(k).is_some())),
        ),
        _ => Tri::No,
    }
}

/// `{secret}`: the value with each quoted string cut short, so a report (often a CI log or an
/// uploaded SARIF file) does not carry a whole key: a long string keeps its first 16
/// characters (`'django-insecure-…'`), a short one its first 4.
fn mask_strings(rendered: &str) -> String {
    let mut out = String::with_capacity(rendered.len());
    let mut chars = rendered.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\'' && c != '"' {
            out.push(c);
            continue;
        }
        let mut inner = String::new();
        let mut closed = false;
        while let Some(next) = chars.next() {
            if next == '\\' {
                inner.push(next);
                if let Some(escaped) = chars.next() {
                    inner.push(escaped);
                }
            } else if next == c {
                closed = true;
                break;
            } else {
                inner.push(next);
            }
        }
        let length = inner.chars().count();
        let keep = if length > 24 { 16 } else { 4 };
        out.push(c);
        if length <= keep {
            out.push_str(&inner);
            if closed {
                out.push(c);
            }
        } else {
            out.extend(inner.chars().take(keep));
            out.push('…');
            if closed {
                out.push(c);
            }
        }
    }
    out
}

/// Fills a message template.
fn render(
    template: &str,
    path: &str,
    lookup: &Lookup,
    item: Option<&Value>,
    profile: &Profile,
) -> String {
    let value = lookup.value.as_ref();
    let shown = match value.map(|v| (v, v.effective())) {
        Some((_, Ok(v))) => v.render(),
        Some((v, Err(_))) => v.render(),
        None => "unset".to_string(),
    };
    let vars: Vec<String> = value.map(|v| v.env_vars().to_vec()).unwrap_or_default();
    let when = if !lookup.set {
        if value.is_some() {
            " (not set; Django's default)".to_string()
        } else {
            " (not set)".to_string()
        }
    } else {
        match vars.as_slice() {
            [] => String::new(),
            [one] => format!(" when the {one} environment variable is unset"),
            many => format!(
                " when the environment variables {} are unset",
                many.join(", ")
            ),
        }
    };
    template
        .replace("{setting}", path)
        .replace("{value}", &shown)
        .replace("{secret}", &mask_strings(&shown))
        .replace("{when}", &when)
        .replace("{item}", &item.map(Value::render).unwrap_or_default())
        .replace("{env}", &vars.join(", "))
        .replace("{module}", &profile.module)
}

impl ProjectMatcher for CompiledSetting {
    fn needs(&self) -> Needs {
        let mut needs = Needs {
            settings: true,
            ..Needs::default()
        };
        self.add_needles(&mut needs.code);
        if let Some(project) = &self.project {
            needs.merge(project.needs());
        }
        needs
    }

    fn clause_severities(&self) -> Vec<(Severity, String)> {
        CompiledSetting::clause_severities(self)
    }

    /// Every clause on the production profile; without one the check is n/a, with a note.
    fn check(&self, rule: &LoadedRule, input: &ProjectInput<'_>) -> ProjectCheck {
        let profile = match input.profile {
            Ok(Some(profile)) => profile,
            Ok(None) => {
                return ProjectCheck {
                    note: Some("not applicable: no Django settings module was found".to_string()),
                    ..ProjectCheck::default()
                }
            }
            Err(message) => {
                return ProjectCheck {
                    note: Some(format!("not applicable: {message}")),
                    ..ProjectCheck::default()
                }
            }
        };
        let mut check = ProjectCheck::default();
        // Project evidence passes the check; unwired components are reported beside the
        // clauses' findings, and only when a clause holds.
        let across = self.project.as_ref().map(|p| p.evaluate(input.project));
        if let Some(note) = across
            .as_ref()
            .filter(|a| a.matches.is_empty())
            .and_then(|a| a.provided.clone())
        {
            check.passed = Some(format!("passes on project evidence: {note}"));
            return check;
        }
        let found = self.evaluate(profile, input.evidence);
        let mut findings: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
        for m in found.matches {
            let Some((source, lines)) = input.sources.get(m.at.file.as_str()) else {
                continue;
            };
            let (start, end) = if m.at.end == 0 {
                // A setting that is absent: the module's first line.
                (0, source.find('\n').unwrap_or(source.len()))
            } else {
                (m.at.start.min(source.len()), m.at.end.min(source.len()))
            };
            let raw = RawMatch {
                severity: None,
                evidence: None,
                settle: None,
                start,
                end,
                message: m.message,
            };
            let absent = m.at.end == 0;
            let mut finding = to_finding(rule, &m.at.file, source, lines, raw);
            if let Some(severity) = m.severity {
                finding.severity = severity;
            }
            // A literal (or Django's default) may not be production's value when an operator
            // file read at run time can replace it: still worth fixing, no longer a launch
            // blocker by itself. A value read from the environment is the deployment's own way
            // in, and its default is what applies when it is forgotten.
            if let Some(how) = profile.overridden_by(&m.at).filter(|_| !m.from_env) {
                finding.severity = finding.severity.min(Severity::Medium);
                finding.message = format!("{} (unless {how} replaces it)", finding.message);
            }
            if absent {
                // Nothing in the file is the match: fingerprint what is missing, not line 1.
                finding.matched_text = fold_whitespace(&finding.message);
            }
            findings.entry(m.at.file.clone()).or_default().push(finding);
        }
        for (_, mut list) in findings {
            assign_fingerprints(&mut list);
            check.findings.extend(list);
        }
        if let Some(across) = across.filter(|_| !check.findings.is_empty()) {
            check
                .findings
                .extend(crate::rules::project::located(rule, across.matches, input));
        }
        if !found.undecided.is_empty() {
            check.note = Some(format!(
                "undecidable in {}: {}",
                profile.module,
                found.undecided.join("; ")
            ));
        }
        if !found.provided.is_empty() {
            check.passed = Some(format!(
                "passes on project evidence: {}",
                found.provided.join("; ")
            ));
        }
        check
    }
}

#[cfg(test)]
mod tests {
    use super::mask_strings;

    #[test]
    fn secrets_are_cut_short_in_messages() {
        assert_eq!(
            mask_strings("'django-insecure-change-this-in-production'"),
            "'django-insecure-…'"
        );
        assert_eq!(mask_strings("['abcdefgh', 'xy']"), "['abcd…', 'xy']");
        assert_eq!(mask_strings("True"), "True");
    }
}
