//! The `pattern` matcher: candidate nodes found by qualified name (`calls`, `refs`) or by an
//! ast-grep rule, filtered by ast-grep structure and by argument conditions that see through
//! local bindings.

use crate::findings::{self, fold_whitespace, Severity};
use crate::model::holes::Positions;
use crate::model::provenance::{Flows, Origin, Tracer};
use crate::model::symbols::{CallArgs, FileSymbols, NodeIndex, Safe};
use crate::parse::python::{self, PyNode, Python};
use crate::rules::matcher::FileMatcher;
use crate::rules::rule::{ArgCondition, Clause, PatternSpec, ProvenanceSpec, ValueClass};
use crate::rules::GradingSummary;
use ast_grep_config::{DeserializeEnv, Rule, SerializableRule};
use ast_grep_core::matcher::MatcherExt;
use ast_grep_core::{Language, Matcher};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde_json::Value as Json;
use std::cell::{OnceCell, RefCell};
use std::time::Duration;

/// Time one rule's relational conditions (`has`, `inside`, `precedes`, `follows`) may spend on
/// one file. `has` with `stopBy: end` visits the candidate's whole subtree and nested ones
/// multiply, so on deep code the work grows with the square (or cube) of the depth; past this
/// the rule stops on that file with a note. It is measured, not estimated: an estimate must
/// assume every walk runs to the root or the leaves, and then stops real rules on real files
/// (Django's schema editor), while real matching takes milliseconds. The clock is the thread's
/// CPU time, so the same file gets the same verdict on an idle and on a busy machine.
pub const RELATIONAL_BUDGET: Duration = Duration::from_secs(2);

/// Deepest nesting of sub-rules a rule may have: reading a rule's shape recurses this far.
/// TOML's own nesting limit is of the same order, so no real rule is refused by it.
const MAX_RULE_DEPTH: usize = 32;

/// A match before it becomes a `Finding`: byte range and rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMatch {
    pub start: usize,
    pub end: usize,
    pub message: Option<String>,
    /// Lower than the rule's severity: the clause's, or the one its evidence supports.
    pub severity: Option<Severity>,
    /// Where the examined value came from, for rules with `[match.provenance]`.
    pub evidence: Option<Origin>,
    /// A parameter whose callers in other files may settle the finding (the question's
    /// ceiling is the clause's and a lowering's severity, if any).
    pub settle: Option<RawSettle>,
}

/// [`RawMatch::settle`]: the parameter, and the grading it is settled by.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawSettle {
    pub settle: crate::model::provenance::Settle,
    pub ceiling: Option<Severity>,
    pub grades: Vec<(Origin, Severity)>,
}

/// What the pattern matcher needs of one parsed file; built once and shared by all rules.
pub struct FileContext<'r> {
    pub rel: String,
    pub root: PyNode<'r>,
    pub index: NodeIndex<'r>,
    pub symbols: FileSymbols<'r>,
    calls: OnceCell<Vec<(PyNode<'r>, String)>>,
    refs: OnceCell<Vec<(PyNode<'r>, String)>>,
    /// Bindings for provenance, built the first time a rule asks.
    flows: OnceCell<Flows<'r>>,
    /// Calls of a plain name or a `self.`/`cls.` method, by that name (`callers_inside`).
    calls_by_name: OnceCell<std::collections::HashMap<String, Vec<PyNode<'r>>>>,
    /// `callers_inside` answers by (function start, rule address, depth): each function of the
    /// file is judged once per lowering, however many matches it holds.
    caller_answers: RefCell<std::collections::HashMap<(usize, usize, usize), bool>>,
    /// Notes of the rule that ran last (a work budget hit), taken by `take_notes`.
    notes: RefCell<Vec<String>>,
}

impl<'r> FileContext<'r> {
    pub fn new(rel: &str, root: PyNode<'r>) -> Self {
        let index = NodeIndex::build(&root);
        Self::with_index(rel, root, index)
    }

    /// [`FileContext::new`] with the node index already built (the pipeline builds it once).
    pub fn with_index(rel: &str, root: PyNode<'r>, index: NodeIndex<'r>) -> Self {
        let symbols = FileSymbols::from_index(&index);
        FileContext {
            rel: rel.to_string(),
            root,
            index,
            symbols,
            calls: OnceCell::new(),
            refs: OnceCell::new(),
            flows: OnceCell::new(),
            calls_by_name: OnceCell::new(),
            caller_answers: RefCell::new(std::collections::HashMap::new()),
            notes: RefCell::new(Vec::new()),
        }
    }

    /// The notes left by the last rule run on this file (a stopped rule), to report in
    /// `errors` under that rule's id.
    pub fn take_notes(&self) -> Vec<String> {
        std::mem::take(&mut *self.notes.borrow_mut())
    }

    fn flows(&self) -> &Flows<'r> {
        self.flows
            .get_or_init(|| Flows::build(&self.rel, &self.index, &self.symbols))
    }

    /// Calls by the name they call: `name(...)`, `self.name(...)`, `cls.name(...)`. Another
    /// object's method of the same name (`cache.get(...)`) is someone else's function.
    fn calls_named(&self, name: &str) -> &[PyNode<'r>] {
        let map = self.calls_by_name.get_or_init(|| {
            let mut map: std::collections::HashMap<String, Vec<PyNode<'r>>> = Default::default();
            for call in self.index.named("call") {
                let Some(callee) = call.field("function") else {
                    continue;
                };
                let called = match callee.kind().as_ref() {
                    "identifier" => Some(callee.text().to_string()),
                    "attribute" => {
                        let own = callee
                            .field("object")
                            .is_some_and(|o| matches!(o.text().as_ref(), "self" | "cls"));
                        callee
                            .field("attribute")
                            .filter(|_| own)
                            .map(|a| a.text().to_string())
                    }
                    _ => None,
                };
                if let Some(called) = called {
                    map.entry(called).or_default().push(call.clone());
                }
            }
            map
        });
        map.get(name).map_or(&[], Vec::as_slice)
    }

    /// Every call with its qualified callee, as a `/`-separated path for glob matching.
    fn calls(&self) -> &[(PyNode<'r>, String)] {
        self.calls.get_or_init(|| {
            self.index
                .named("call")
                .iter()
                .filter_map(|call| {
                    let function = call.field("function")?;
                    let name = self.symbols.qualify(&function);
                    Some((call.clone(), name.replace('.', "/")))
                })
                .collect()
        })
    }

    /// Every maximal name or attribute chain outside imports and definitions.
    fn refs(&self) -> &[(PyNode<'r>, String)] {
        self.refs.get_or_init(|| {
            self.index
                .refs
                .iter()
                .map(|n| (n.clone(), self.symbols.qualify(n).replace('.', "/")))
                .collect()
        })
    }
}

pub struct CompiledPattern {
    clauses: Vec<CompiledClause>,
    grading: Grading,
    /// The grading as written, for `audit explain`.
    summary: GradingSummary,
}

/// What decides a match's severity beside its clause: provenance and lowering contexts.
#[derive(Default)]
struct Grading {
    /// Boxed: rarely present, and large.
    provenance: Option<Box<CompiledProvenance>>,
    lower: Vec<CompiledLower>,
}

/// `[[match.lower]]` compiled.
struct CompiledLower {
    severity: Severity,
    reason: String,
    files: Option<GlobSet>,
    inside: Option<Structural>,
    callers_inside: Option<Structural>,
}

/// How many helper levels `callers_inside` follows up from the function around a match.
const CALLER_DEPTH: usize = 3;

/// A function with more call sites than this in its file is not followed (not lowered): the
/// walk stays small on generated or very repetitive code.
const CALLER_SITES: usize = 64;

impl Grading {
    /// The first lowering context the match at `node` is in, if any.
    fn lowered<'a>(
        &'a self,
        ctx: &FileContext<'_>,
        node: &PyNode<'_>,
        meter: &mut Meter,
    ) -> Option<&'a CompiledLower> {
        self.lower.iter().find(|lower| {
            lower.files.as_ref().is_none_or(|g| g.is_match(&ctx.rel))
                && lower.inside.as_ref().is_none_or(|rule| {
                    meter.charge(rule, node) && rule.rule.match_node(node.clone()).is_some()
                })
                && lower
                    .callers_inside
                    .as_ref()
                    .is_none_or(|rule| only_called_from(ctx, node, rule, meter, CALLER_DEPTH))
        })
    }
}

/// Whether the function around `node` is called in this file and every such call is where
/// `rule` holds, directly or through a helper whose own calls all are (up to `depth` levels).
/// Calls from other files are not seen; a function never called here is not lowered.
fn only_called_from(
    ctx: &FileContext<'_>,
    node: &PyNode<'_>,
    rule: &Structural,
    meter: &mut Meter,
    depth: usize,
) -> bool {
    if meter.stopped_at.is_some() {
        return false;
    }
    let Some(def) = node.ancestors().find(|n| n.kind() == "function_definition") else {
        return false;
    };
    let key = (def.range().start, rule as *const Structural as usize, depth);
    if let Some(known) = ctx.caller_answers.borrow().get(&key) {
        return *known;
    }
    let answer = callers_all_inside(ctx, &def, rule, meter, depth);
    ctx.caller_answers.borrow_mut().insert(key, answer);
    answer
}

/// [`only_called_from`] for the function `def`, unmemoised.
fn callers_all_inside(
    ctx: &FileContext<'_>,
    def: &PyNode<'_>,
    rule: &Structural,
    meter: &mut Meter,
    depth: usize,
) -> bool {
    let Some(name) = def.field("name").map(|n| n.text().to_string()) else {
        return false;
    };
    let (start, end) = (def.range().start, def.range().end);
    // a call inside the function itself (recursion) says nothing about who runs it
    let sites: Vec<_> = ctx
        .calls_named(&name)
        .iter()
        .filter(|call| !(start <= call.range().start && call.range().end <= end))
        .take(CALLER_SITES + 1)
        .collect();
    if sites.is_empty() || sites.len() > CALLER_SITES {
        return false;
    }
    sites.iter().all(|call| {
        (meter.charge(rule, call) && rule.rule.match_node((*call).clone()).is_some())
            || (depth > 1 && only_called_from(ctx, call, rule, meter, depth - 1))
    })
}

/// `[match.provenance]` with its sanitisers compiled.
struct CompiledProvenance {
    spec: ProvenanceSpec,
    sanitisers: Option<GlobSet>,
    positions: Positions,
}

impl CompiledProvenance {
    fn is_sanitiser(&self, qualified: &str) -> bool {
        self.sanitisers
            .as_ref()
            .is_some_and(|g| g.is_match(qualified.trim_end_matches("()").replace('.', "/")))
    }
}

struct CompiledClause {
    call_globs: Vec<String>,
    calls: Option<GlobSet>,
    ref_globs: Vec<String>,
    refs: Option<GlobSet>,
    rule: Option<Structural>,
    args: Vec<CompiledArg>,
    files: Option<GlobSet>,
    exclude: Option<GlobSet>,
    message: Option<String>,
    severity: Option<Severity>,
}

struct CompiledArg {
    spec: ArgCondition,
    rule: Option<Structural>,
    not: Option<Structural>,
}

impl CompiledPattern {
    pub fn compile(spec: &PatternSpec) -> Result<Self, String> {
        let provenance = match &spec.provenance {
            Some(p) => Some(Box::new(CompiledProvenance {
                spec: p.clone(),
                sanitisers: name_globs(&p.sanitisers)
                    .map_err(|e| format!("[match.provenance] sanitisers: {e}"))?,
                positions: Positions::checked(&p.identifier_after, &p.identifier_quotes)
                    .map_err(|e| format!("[match.provenance] {e}"))?,
            })),
            None => None,
        };
        let mut lower = Vec::new();
        for (i, spec) in spec.lower.iter().enumerate() {
            let at = |e: String| format!("[[match.lower]] #{}: {e}", i + 1);
            if spec.files.is_empty() && spec.inside.is_none() && spec.callers_inside.is_none() {
                return Err(at("give `files`, `inside` or `callers_inside`".to_string()));
            }
            // `inside = R` holds when some ancestor satisfies R.
            let ancestor = |rule: &Option<SerializableRule>| match rule {
                Some(rule) => {
                    let json = serde_json::json!({ "inside": { "all": [rule], "stopBy": "end" } });
                    let wrapped: SerializableRule = serde_json::from_value(json)
                        .map_err(|e| at(format!("invalid ast-grep rule: {e}")))?;
                    compile_rule(wrapped).map(Some).map_err(at)
                }
                None => Ok(None),
            };
            lower.push(CompiledLower {
                severity: spec.severity,
                reason: spec.reason.clone(),
                files: path_globs(&spec.files).map_err(at)?,
                inside: ancestor(&spec.inside)?,
                callers_inside: ancestor(&spec.callers_inside)?,
            });
        }
        let mut clauses = Vec::new();
        for (index, clause) in spec.clause.iter().chain(spec.any.iter()).enumerate() {
            let where_ = if spec.clause.is_some() && index == 0 {
                "[match]".to_string()
            } else {
                let n = if spec.clause.is_some() {
                    index
                } else {
                    index + 1
                };
                format!("[[match.any]] #{n}")
            };
            clauses.push(compile_clause(clause).map_err(|e| format!("{where_}: {e}"))?);
        }
        if clauses.is_empty() {
            return Err("[match] has no clause: give `calls`, `refs` or `rule`".to_string());
        }
        let grading = Grading { provenance, lower };
        if grading.provenance.is_some() {
            if let Some(i) = clauses
                .iter()
                .position(|c| !c.args.iter().any(|a| a.examines()))
            {
                return Err(format!(
                    "[match.provenance] grades the value an `args` condition examines, but \
                     clause #{} has no `args` condition with `sink`, `is`, `rule` or `not`",
                    i + 1
                ));
            }
        }
        let summary = GradingSummary {
            per_file: true,
            provenance: spec.provenance.clone(),
            lower: spec
                .lower
                .iter()
                .map(|l| (l.severity, l.reason.clone(), l.files.clone()))
                .collect(),
        };
        Ok(CompiledPattern {
            clauses,
            grading,
            summary,
        })
    }

    /// What a file must contain for some clause to match: alternatives, each a set of
    /// literals that must all be present. Empty when some clause could match anything (the
    /// rule then runs on every file).
    pub fn default_prefilter(&self) -> Vec<Vec<String>> {
        let mut alternatives = Vec::new();
        for clause in &self.clauses {
            let globs: Vec<&String> = clause.call_globs.iter().chain(&clause.ref_globs).collect();
            if globs.is_empty() {
                return Vec::new();
            }
            for glob in globs {
                match glob_literals(glob) {
                    Some(found) => alternatives.extend(found),
                    None => return Vec::new(),
                }
            }
        }
        alternatives.sort();
        alternatives.dedup();
        alternatives
    }

    /// Every match in one file. A node matched by several clauses is reported once. A rule
    /// that exhausts `RELATIONAL_BUDGET` keeps what it found and leaves a note in `ctx`.
    pub fn find(&self, ctx: &FileContext<'_>) -> Vec<RawMatch> {
        let mut out: Vec<RawMatch> = Vec::new();
        // Two clauses matching the same node report it once (a set: files can match thousands).
        let mut seen = std::collections::HashSet::new();
        let mut meter = Meter::default();
        for clause in &self.clauses {
            if !clause.applies_to(&ctx.rel) {
                continue;
            }
            for found in clause.find(ctx, &self.grading, &mut meter) {
                if seen.insert((found.start, found.end)) {
                    out.push(found);
                }
            }
            if meter.stopped_at.is_some() {
                break;
            }
        }
        if let Some(line) = meter.stopped_at {
            ctx.notes.borrow_mut().push(format!(
                "rule stopped at line {line}: its relational conditions (has, inside, precedes, \
                 follows) ran for more than {} s on this file; findings after that point may be \
                 missing",
                RELATIONAL_BUDGET.as_secs()
            ));
        }
        out.sort_by_key(|m| (m.start, m.end));
        out
    }
}

fn compile_clause(clause: &Clause) -> Result<CompiledClause, String> {
    let rule = clause.rule.clone().map(compile_rule).transpose()?;
    if clause.calls.is_empty() && clause.refs.is_empty() && rule.is_none() {
        return Err("a clause needs `calls`, `refs` or `rule`".to_string());
    }
    if !clause.args.is_empty() && clause.calls.is_empty() {
        return Err("`args` conditions need `calls`".to_string());
    }
    let mut args = Vec::new();
    for (i, arg) in clause.args.iter().enumerate() {
        if arg.keyword.is_none() && arg.position.is_none() {
            return Err(format!("args[{i}] needs `keyword` or `position`"));
        }
        if arg.absent.is_none()
            && arg.is.is_none()
            && arg.rule.is_none()
            && arg.not.is_none()
            && !arg.sink
        {
            return Err(format!(
                "args[{i}] states no condition: give `absent`, `is`, `rule`, `not` or `sink`"
            ));
        }
        args.push(CompiledArg {
            spec: arg.clone(),
            rule: arg.rule.clone().map(compile_rule).transpose()?,
            not: arg.not.clone().map(compile_rule).transpose()?,
        });
    }
    Ok(CompiledClause {
        call_globs: clause.calls.clone(),
        calls: name_globs(&clause.calls)?,
        ref_globs: clause.refs.clone(),
        refs: name_globs(&clause.refs)?,
        rule,
        args,
        files: path_globs(&clause.files)?,
        exclude: path_globs(&clause.exclude_files)?,
        message: clause.message.clone(),
        severity: clause.severity,
    })
}

/// An ast-grep rule with the shape of its relational conditions.
struct Structural {
    rule: Rule,
    shape: RuleShape,
}

/// Compiles an ast-grep rule against our Python grammar. Every pattern in it must parse as
/// Python: ast-grep accepts one with syntax errors and it then never matches.
fn compile_rule(rule: SerializableRule) -> Result<Structural, String> {
    let json = serde_json::to_value(&rule).map_err(|e| format!("invalid ast-grep rule: {e}"))?;
    let mut patterns = Vec::new();
    let shape = RuleShape::of(&json, 0, &mut patterns)?;
    for pattern in &patterns {
        check_pattern(pattern)?;
    }
    let rule = DeserializeEnv::new(Python)
        .deserialize_rule(rule)
        .map_err(|e| format!("invalid ast-grep rule: {e}"))?;
    Ok(Structural { rule, shape })
}

/// Refuses a pattern whose own parse has ERROR or MISSING nodes.
fn check_pattern(pattern: &str) -> Result<(), String> {
    let source = Python.pre_process_pattern(pattern).into_owned();
    let error = match python::parse(source) {
        Some(root) => python::first_syntax_error(&root),
        None => Some((1, 1)),
    };
    match error {
        Some((line, column)) => Err(format!(
            "invalid ast-grep pattern `{pattern}`: it is not valid Python (syntax error at \
             {line}:{column} of the pattern), so it could never match; give a complete \
             expression or statement, or a `context` with a `selector`"
        )),
        None => Ok(()),
    }
}

/// How far a relational condition reaches from the node it is tested on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reach {
    /// `has` with `stopBy` `end` or a rule: the whole subtree.
    Descendants,
    /// `has` stopping at the neighbour: the children.
    Children,
    /// `inside` with `stopBy` `end` or a rule: every ancestor.
    Ancestors,
    /// `inside` stopping at the neighbour: the parent.
    Parent,
    /// `precedes` / `follows` with `stopBy` `end` or a rule, `nthChild.ofRule`: the siblings.
    Siblings,
    /// `precedes` / `follows` stopping at the neighbour: one sibling.
    Sibling,
}

/// What a rule tests on one node: its atomic tests and, for each relational condition, how far
/// it reaches and what it tests there. Only "is it relational" decides anything today (which
/// rules are metered); the rest documents a rule's shape in tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct RuleShape {
    atoms: u64,
    relations: Vec<(Reach, RuleShape)>,
}

impl RuleShape {
    /// Reads the shape from the rule's serialized form, gathering its patterns on the way.
    /// Recursion is bounded by `MAX_RULE_DEPTH`.
    fn of(rule: &Json, depth: usize, patterns: &mut Vec<String>) -> Result<Self, String> {
        if depth > MAX_RULE_DEPTH {
            return Err(format!(
                "invalid ast-grep rule: sub-rules are nested more than {MAX_RULE_DEPTH} deep"
            ));
        }
        let mut shape = RuleShape::default();
        let Json::Object(fields) = rule else {
            return Ok(shape);
        };
        for (key, value) in fields {
            if value.is_null() {
                continue;
            }
            match key.as_str() {
                "pattern" => {
                    shape.atoms += 1;
                    let text = match value {
                        Json::Object(style) => style.get("context"),
                        other => Some(other),
                    };
                    if let Some(Json::String(text)) = text {
                        patterns.push(text.clone());
                    }
                }
                "has" | "inside" | "precedes" | "follows" => {
                    let stop = value.get("stopBy").filter(|v| !v.is_null());
                    let neighbour = stop.is_none_or(|v| v.as_str() == Some("neighbor"));
                    let reach = match (key.as_str(), neighbour) {
                        ("has", true) => Reach::Children,
                        ("has", false) => Reach::Descendants,
                        ("inside", true) => Reach::Parent,
                        ("inside", false) => Reach::Ancestors,
                        (_, true) => Reach::Sibling,
                        (_, false) => Reach::Siblings,
                    };
                    let mut inner = RuleShape::of(value, depth + 1, patterns)?;
                    // A `stopBy` rule is tested on every node the walk reaches, too.
                    if let Some(stop @ Json::Object(_)) = stop {
                        inner.merge(RuleShape::of(stop, depth + 1, patterns)?);
                    }
                    shape.relations.push((reach, inner));
                }
                "all" | "any" => {
                    for item in value.as_array().into_iter().flatten() {
                        shape.merge(RuleShape::of(item, depth + 1, patterns)?);
                    }
                }
                "not" => shape.merge(RuleShape::of(value, depth + 1, patterns)?),
                "nthChild" => {
                    shape.atoms += 1;
                    if let Some(of) = value.get("ofRule").filter(|v| !v.is_null()) {
                        let inner = RuleShape::of(of, depth + 1, patterns)?;
                        shape.relations.push((Reach::Siblings, inner));
                    }
                }
                // Parts of a relation, read with it above.
                "stopBy" | "field" => {}
                _ => shape.atoms += 1,
            }
        }
        Ok(shape)
    }

    fn merge(&mut self, other: RuleShape) {
        self.atoms += other.atoms;
        self.relations.extend(other.relations);
    }

    fn is_relational(&self) -> bool {
        !self.relations.is_empty()
    }
}

/// The time a rule's relational matching has taken on one file, against `RELATIONAL_BUDGET`.
#[derive(Default)]
struct Meter {
    /// When the rule first tested a relational condition on this file.
    started: Option<Duration>,
    /// 1-based line of the first candidate the budget refused.
    stopped_at: Option<usize>,
}

impl Meter {
    /// Whether `rule` may still be tested on `node`; false (and the rule stops) once its
    /// relational matching on this file has run past the budget.
    fn charge(&mut self, rule: &Structural, node: &PyNode<'_>) -> bool {
        if self.stopped_at.is_some() {
            return false;
        }
        if !rule.shape.is_relational() {
            return true;
        }
        let now = thread_time();
        let started = *self.started.get_or_insert(now);
        if now.saturating_sub(started) > RELATIONAL_BUDGET {
            self.stopped_at = Some(node.get_inner_node().start_position().row + 1);
            return false;
        }
        true
    }
}

/// CPU time this thread has used: the budget measures the rule's own work, which a busy machine
/// (parallel tests, other jobs) does not inflate the way wall-clock time would.
#[cfg(unix)]
fn thread_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_THREAD_CPUTIME_ID exists on every unix we build.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return wall_time();
    }
    Duration::new(
        ts.tv_sec.max(0) as u64,
        ts.tv_nsec.clamp(0, 999_999_999) as u32,
    )
}

#[cfg(not(unix))]
fn thread_time() -> Duration {
    wall_time()
}

/// Elapsed time since the first call, where no thread clock is available.
fn wall_time() -> Duration {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START.get_or_init(std::time::Instant::now).elapsed()
}

/// Qualified-name globs: dots are path separators so `*` stays inside one segment.
fn name_globs(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(&pattern.replace('.', "/"))
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid name pattern `{pattern}`: {e}"))?;
        builder.add(glob);
    }
    builder.build().map(Some).map_err(|e| e.to_string())
}

/// Path globs relative to the scanned root.
pub fn path_globs(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid path glob `{pattern}`: {e}"))?;
        builder.add(glob);
    }
    builder.build().map(Some).map_err(|e| e.to_string())
}

/// The literals a file must contain for a name glob to match. Every segment of a qualified
/// name is an identifier written in the file (in the call itself or in the import that bound
/// it), so all plain segments are required: `jwt.decode` needs `jwt` and `decode`. Without a
/// plain segment, a braced one gives alternatives (`**.{execute,raw}` needs `execute` or
/// `raw`); a glob of wildcards only gives `None` (no literal can be required).
fn glob_literals(glob: &str) -> Option<Vec<Vec<String>>> {
    let segments: Vec<&str> = glob
        .split('.')
        .map(|s| s.trim_end_matches("()"))
        .filter(|s| !s.is_empty())
        .collect();
    let plain: Vec<String> = segments
        .iter()
        .filter(|s| !s.contains(['*', '{', '}', '?', '[']))
        .map(|s| s.to_string())
        .collect();
    // Of several braced segments, the one whose shortest alternative is longest: short
    // literals (`c` of `{c,cursor}`) are in every file. Ties go to the first, usually the module.
    let shortest = |s: &str| {
        s.trim_matches(['{', '}'])
            .split(',')
            .map(str::len)
            .min()
            .unwrap_or(0)
    };
    let braced = segments
        .iter()
        .filter(|s| !s.contains(['*', '?', '[']) && s.contains('{'))
        .fold(None::<&&str>, |best, s| match best {
            Some(b) if shortest(b) >= shortest(s) => Some(b),
            _ => Some(s),
        });
    let options: Vec<String> = match braced.and_then(|b| Some((b, b.find('{')?, b.rfind('}')?))) {
        Some((b, open, close)) => b[open + 1..close]
            .split(',')
            .map(|o| format!("{}{o}{}", &b[..open], &b[close + 1..]))
            .collect(),
        None => Vec::new(),
    };
    match (plain.is_empty(), options.is_empty()) {
        (true, true) => None,
        (false, true) => Some(vec![plain]),
        // `os.{system,popen}` needs `os` and one of `system`, `popen`: `os` alone is in
        // every file that says `pos` or `close`.
        _ => Some(
            options
                .into_iter()
                .map(|o| plain.iter().cloned().chain(std::iter::once(o)).collect())
                .collect(),
        ),
    }
}

impl CompiledClause {
    fn applies_to(&self, rel: &str) -> bool {
        self.files.as_ref().is_none_or(|g| g.is_match(rel))
            && !self.exclude.as_ref().is_some_and(|g| g.is_match(rel))
    }

    fn find<'r>(
        &self,
        ctx: &FileContext<'r>,
        grading: &Grading,
        meter: &mut Meter,
    ) -> Vec<RawMatch> {
        let mut out = Vec::new();
        if let Some(calls) = &self.calls {
            for (node, name) in ctx.calls() {
                if calls.is_match(name) {
                    self.try_candidate(ctx, node, name, true, grading, meter, &mut out);
                }
            }
        }
        if let Some(refs) = &self.refs {
            for (node, name) in ctx.refs() {
                if refs.is_match(name) {
                    self.try_candidate(ctx, node, name, false, grading, meter, &mut out);
                }
            }
        }
        if self.calls.is_none() && self.refs.is_none() {
            if let Some(structural) = &self.rule {
                let rule = &structural.rule;
                let candidates: Vec<&PyNode<'r>> = match rule.potential_kinds() {
                    Some(kinds) => kinds
                        .iter()
                        .flat_map(|k| ctx.index.of_kind(k as u16))
                        .collect(),
                    None => ctx.index.all.iter().collect(),
                };
                for node in candidates {
                    if !meter.charge(structural, node) {
                        break;
                    }
                    if let Some(found) = rule.match_node(node.clone()) {
                        let mut severity = self.severity;
                        let mut message = self.render(ctx, node, "", None, Some(&found), None);
                        if let Some(lower) = grading.lowered(ctx, node, meter) {
                            severity =
                                Some(severity.map_or(lower.severity, |s| s.min(lower.severity)));
                            message = message.map(|m| format!("{m}; {}", lower.reason));
                        }
                        out.push(RawMatch {
                            start: node.range().start,
                            end: node.range().end,
                            message,
                            severity,
                            evidence: None,
                            settle: None,
                        });
                    }
                }
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn try_candidate<'r>(
        &self,
        ctx: &FileContext<'r>,
        node: &PyNode<'r>,
        name: &str,
        is_call: bool,
        grading: &Grading,
        meter: &mut Meter,
        out: &mut Vec<RawMatch>,
    ) {
        let provenance = grading.provenance.as_ref();
        let structural = match &self.rule {
            Some(rule) => {
                if !meter.charge(rule, node) {
                    return;
                }
                match rule.rule.match_node(node.clone()) {
                    Some(found) => Some(found),
                    None => return,
                }
            }
            None => None,
        };
        // `{arg}` shows the last value a condition looked at; provenance grades the first
        // value a condition tested (the sink's input).
        let mut shown: Option<PyNode<'r>> = None;
        let mut examined: Option<Examined<'r>> = None;
        if is_call {
            let args = CallArgs::of(node);
            for condition in &self.args {
                let sanitiser = |n: &PyNode<'r>| {
                    provenance.is_some_and(|p| p.is_sanitiser(&ctx.symbols.qualify(n)))
                };
                match condition.holds(ctx, &args, &sanitiser, meter) {
                    Some(seen) => {
                        if let Some(seen) = &seen {
                            shown = Some(seen.resolved.clone());
                        }
                        // The `sink` argument if the clause names one, else the first examined.
                        let takes = condition.spec.sink
                            || (examined.is_none()
                                && condition.examines()
                                && !self.args.iter().any(|a| a.spec.sink));
                        if takes {
                            examined = seen;
                        }
                    }
                    None => return,
                }
            }
        }
        let mut severity = self.severity;
        let mut ceiling = self.severity;
        let mut evidence = None;
        let mut origin = None;
        let mut settle = None;
        if let Some(provenance) = provenance {
            // No value to trace (`pickle.load()` fed through `*args`): origin unknown.
            let (found, described, settled) = match examined.as_ref() {
                Some(examined) => {
                    let sanitiser = |qualified: &str| provenance.is_sanitiser(qualified);
                    let mut tracer = Tracer::new(&ctx.symbols, ctx.flows(), &sanitiser)
                        .with_positions(&provenance.positions);
                    if provenance.spec.trust_project_helpers {
                        tracer = tracer.trusting_project_helpers();
                    }
                    let found = tracer.trace(&examined.given);
                    let file = ctx.rel.rsplit('/').next().unwrap_or(&ctx.rel);
                    let settled = found
                        .settle
                        .clone()
                        .filter(|_| found.origin == Origin::Parameter);
                    (found.origin, Some(found.describe(file)), settled)
                }
                None => (Origin::Unknown, None, None),
            };
            settle = settled.map(|settle| RawSettle {
                settle,
                ceiling: None,
                grades: Origin::ALL
                    .iter()
                    .filter_map(|o| provenance.spec.severity(*o).map(|s| (*o, s)))
                    .collect(),
            });
            let Some(graded) = provenance.spec.severity(found) else {
                return;
            };
            severity = Some(severity.map_or(graded, |s| s.min(graded)));
            evidence = described;
            origin = Some(found);
        }
        let qualified = name.replace('/', ".");
        let mut message = self.render(
            ctx,
            node,
            &qualified,
            shown.as_ref(),
            structural.as_ref(),
            evidence.as_deref(),
        );
        if let Some(lower) = grading.lowered(ctx, node, meter) {
            severity = Some(severity.map_or(lower.severity, |s| s.min(lower.severity)));
            ceiling = Some(ceiling.map_or(lower.severity, |s| s.min(lower.severity)));
            message = message.map(|m| format!("{m}; {}", lower.reason));
        }
        if let Some(settle) = settle.as_mut() {
            settle.ceiling = ceiling;
        }
        out.push(RawMatch {
            start: node.range().start,
            end: node.range().end,
            message,
            severity,
            evidence: origin,
            settle,
        });
    }

    fn render(
        &self,
        ctx: &FileContext<'_>,
        node: &PyNode<'_>,
        qualified: &str,
        arg: Option<&PyNode<'_>>,
        found: Option<&ast_grep_core::NodeMatch<'_, crate::parse::python::PyDoc>>,
        evidence: Option<&str>,
    ) -> Option<String> {
        let template = self.message.as_ref()?;
        let call = if node.kind() == "call" {
            node.field("function")
                .map(|f| f.text().to_string())
                .unwrap_or_default()
        } else {
            node.text().to_string()
        };
        let mut text = template
            .replace("{call}", &fold_whitespace(&call))
            .replace("{qualified}", qualified)
            .replace("{symbol}", &ctx.symbols.enclosing_symbol(node))
            .replace(
                "{arg}",
                &arg.map(|a| shorten(&fold_whitespace(&a.text())))
                    .unwrap_or_default(),
            );
        if let Some(evidence) = evidence {
            if text.contains("{evidence}") {
                text = text.replace("{evidence}", evidence);
            } else {
                text = format!("{text}; {evidence}");
            }
        }
        if let Some(found) = found {
            text = substitute_metavars(&text, |var| {
                found
                    .get_env()
                    .get_match(var)
                    .map(|n| shorten(&fold_whitespace(&n.text())))
            });
        }
        Some(text)
    }
}

/// The argument a condition looked at: as written in the call, and after following names.
struct Examined<'r> {
    given: PyNode<'r>,
    resolved: PyNode<'r>,
}

impl CompiledArg {
    /// Whether the condition looks at the argument's value (rather than its presence).
    fn examines(&self) -> bool {
        self.spec.sink
            || self.spec.is.is_some()
            || self.spec.rule.is_some()
            || self.spec.not.is_some()
    }

    /// `None` when the condition fails; otherwise the value it examined, if any. `sanitiser`
    /// vouches for parts of a dynamic string (the rule's provenance sanitisers).
    fn holds<'r>(
        &self,
        ctx: &FileContext<'r>,
        args: &CallArgs<'r>,
        sanitiser: &dyn Fn(&PyNode<'r>) -> bool,
        meter: &mut Meter,
    ) -> Option<Option<Examined<'r>>> {
        let symbols = &ctx.symbols;
        let spec = &self.spec;
        let by_keyword = spec.keyword.as_deref().and_then(|k| args.keyword(k));
        let by_position = spec.position.and_then(|p| args.positional.get(p));
        let selected = by_keyword.or(by_position).cloned();
        if let Some(absent) = spec.absent {
            let maybe_given = spec.keyword.is_some() && args.keyword_splat;
            let is_absent = selected.is_none() && !maybe_given;
            if absent != is_absent {
                return None;
            }
        }
        let resolved = selected.as_ref().map(|v| symbols.resolve_value(v));
        if let Some(class) = spec.is {
            let value = resolved.as_ref()?;
            // Parts the rule's `[match.provenance]` sanitisers vouch for are constant text.
            let safe = |node: &PyNode<'r>| sanitiser(node);
            if !is_class(value, class, symbols, &safe) {
                return None;
            }
        }
        if let Some(rule) = &self.rule {
            let value = resolved.as_ref()?;
            if !meter.charge(rule, value) {
                return None;
            }
            rule.rule.match_node(value.clone())?;
        }
        if let Some(not) = &self.not {
            if let Some(value) = resolved.as_ref() {
                // Out of budget, the condition cannot be decided: no finding rather than a guess.
                if !meter.charge(not, value) || not.rule.match_node(value.clone()).is_some() {
                    return None;
                }
            }
        }
        Some(
            selected
                .zip(resolved)
                .map(|(given, resolved)| Examined { given, resolved }),
        )
    }
}

fn is_class<'r>(
    value: &PyNode<'r>,
    class: ValueClass,
    symbols: &FileSymbols<'r>,
    safe: Safe<'_, 'r>,
) -> bool {
    match class {
        ValueClass::DynamicString => symbols.is_dynamic_with(value, safe),
        ValueClass::NonLiteral => !symbols.is_constant(value, safe),
        ValueClass::Literal => symbols.is_constant(value, safe),
        ValueClass::False => value.kind() == "false",
        ValueClass::True => value.kind() == "true",
        ValueClass::None => value.kind() == "none",
    }
}

/// Keeps messages one line and readable when an argument is a long literal.
fn shorten(text: &str) -> String {
    findings::shorten(text, 60)
}

/// Replaces `$NAME` with the metavariable's text where the rule bound one.
fn substitute_metavars(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let len = after
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_'))
            .map(|(i, _)| i)
            .unwrap_or(after.len());
        let var = &after[..len];
        match (len > 0).then(|| lookup(var)).flatten() {
            Some(value) => out.push_str(&value),
            None => {
                out.push('$');
                out.push_str(var);
            }
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

impl FileMatcher for CompiledPattern {
    fn find(&self, ctx: &FileContext<'_>) -> Vec<RawMatch> {
        CompiledPattern::find(self, ctx)
    }

    fn default_prefilter(&self) -> Vec<Vec<String>> {
        CompiledPattern::default_prefilter(self)
    }

    fn grading(&self) -> GradingSummary {
        self.summary.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilter_requires_every_plain_segment() {
        let one = |g: &str| glob_literals(g);
        let all = |v: &[&str]| Some(vec![v.iter().map(|s| s.to_string()).collect::<Vec<_>>()]);
        assert_eq!(one("jwt.decode"), all(&["jwt", "decode"]));
        assert_eq!(one("**.execute"), all(&["execute"]));
        assert_eq!(one("subprocess.*"), all(&["subprocess"]));
        assert_eq!(
            one("requests.{get,post}"),
            Some(vec![
                vec!["requests".to_string(), "get".to_string()],
                vec!["requests".to_string(), "post".to_string()],
            ])
        );
        assert_eq!(
            one("requests.Session().get"),
            all(&["requests", "Session", "get"])
        );
        assert_eq!(
            one("**.{execute,raw}"),
            Some(vec![vec!["execute".to_string()], vec!["raw".to_string()]])
        );
        assert_eq!(
            one("**.{c,cursor}.{execute,raw}"),
            Some(vec![vec!["execute".to_string()], vec!["raw".to_string()]])
        );
        assert_eq!(
            one("{pickle,dill}.{load,loads}"),
            Some(vec![vec!["pickle".to_string()], vec!["dill".to_string()]])
        );
        assert_eq!(one("**"), None);
        assert_eq!(one("*.*"), None);
    }

    fn shape(toml_rule: &str) -> (RuleShape, Vec<String>) {
        let value: toml::Value = toml::from_str(&format!("r = {toml_rule}")).expect("toml");
        let rule: SerializableRule = value["r"].clone().try_into().expect("rule");
        let json = serde_json::to_value(&rule).expect("json");
        let mut patterns = Vec::new();
        let shape = RuleShape::of(&json, 0, &mut patterns).expect("shape");
        (shape, patterns)
    }

    #[test]
    fn cost_shape_follows_relations_and_collects_patterns() {
        let (s, patterns) = shape(
            r#"{ kind = "call", not = { pattern = "f($A)" }, has = { stopBy = "end", kind = "identifier", has = { field = "x", regex = "y" } }, inside = { pattern = { context = "def g(): pass", selector = "function_definition" }, stopBy = { kind = "class_definition" } } }"#,
        );
        let atom = |n| RuleShape {
            atoms: n,
            relations: vec![],
        };
        assert_eq!(
            s,
            RuleShape {
                atoms: 2,
                relations: vec![
                    (
                        Reach::Descendants,
                        RuleShape {
                            atoms: 1,
                            relations: vec![(Reach::Children, atom(1))],
                        }
                    ),
                    (Reach::Ancestors, atom(2)),
                ],
            }
        );
        assert_eq!(patterns, vec!["def g(): pass", "f($A)"]);
    }

    #[test]
    fn only_rules_with_relations_are_metered() {
        let (nested, _) =
            shape(r#"{ has = { stopBy = "end", has = { stopBy = "end", kind = "x" } } }"#);
        assert!(nested.is_relational());
        let (sideways, _) = shape(r#"{ nthChild = { position = 1, ofRule = { kind = "x" } } }"#);
        assert_eq!(sideways.relations[0].0, Reach::Siblings);
        assert!(!shape(r#"{ kind = "call", regex = "x" }"#).0.is_relational());
    }

    #[test]
    fn patterns_must_parse_and_rules_must_not_nest_too_deep() {
        assert_eq!(check_pattern("requests.get($URL, $$$)"), Ok(()));
        assert_eq!(
            check_pattern("foo("),
            Err(
                "invalid ast-grep pattern `foo(`: it is not valid Python (syntax error at 1:1 \
                 of the pattern), so it could never match; give a complete expression or \
                 statement, or a `context` with a `selector`"
                    .to_string()
            )
        );
        let mut json = serde_json::json!({ "kind": "call" });
        for _ in 0..=MAX_RULE_DEPTH {
            json = serde_json::json!({ "not": json });
        }
        assert_eq!(
            RuleShape::of(&json, 0, &mut Vec::new()),
            Err("invalid ast-grep rule: sub-rules are nested more than 32 deep".to_string())
        );
    }

    #[test]
    fn metavariables_are_substituted_and_unknown_ones_kept() {
        let out = substitute_metavars("call $A with $B and $", |v| {
            (v == "A").then(|| "x".to_string())
        });
        assert_eq!(out, "call x with $B and $");
    }
}
