//! Partial evaluation of settings modules into namespaces of values.
//!
//! Linear in the module: values share their containers, statements that grow a setting
//! (`X.append(…)`, `X += […]`, `X = X + […]`, `X = {**X, …}`) update it in place, and an `if`
//! whose condition is undecidable runs each branch once, journaling what it writes instead of
//! copying the namespace. Every step is counted against [`MAX_EVAL_STEPS`] as a backstop.

use super::calls::call;
use super::ir::{shorten, DictItem, Expr, Node, Span, Stmt, Target};
use super::value::*;
use super::{
    is_non_production_name, SettingsFile, MAX_EVAL_STEPS, MAX_EXPR_DEPTH, MAX_IMPORT_DEPTH,
};
use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;

pub(super) type Namespace = BTreeMap<String, Value>;
/// Where each top-level name was last assigned (the statement), to tell the setting that
/// writes a literal from the ones that copy it.
pub(super) type Defined = BTreeMap<String, Loc>;

/// What executing a module leaves: its names and where they were assigned.
#[derive(Default)]
pub(super) struct Module {
    pub(super) ns: Namespace,
    pub(super) defined: Defined,
}

/// Each name's value before a branch first wrote it (`None`: it was unbound).
type Journal = BTreeMap<String, Option<Value>>;

/// One settings module being executed.
pub(super) struct Frame<'f> {
    pub(super) file: &'f SettingsFile,
    pub(super) ns: Namespace,
    pub(super) defined: Defined,
    /// django-environ `Env(NAME=(cast, default))` schemes seen so far.
    pub(super) schemes: HashMap<String, Value>,
    /// One journal per branch being run under an undecidable condition, innermost last.
    journals: Vec<Journal>,
    /// Steps left of [`MAX_EVAL_STEPS`]; at 0 the module's evaluation stops.
    steps: Cell<u64>,
    /// Byte offsets where the module's lines start, built on the first note that needs one.
    line_starts: std::cell::OnceCell<Vec<usize>>,
}

const BUDGET_NOTE: &str = "was cut short by the bound on evaluator steps per settings module";

impl Frame<'_> {
    /// Counts `n` steps; false once the budget is spent.
    pub(super) fn charge(&self, n: usize) -> bool {
        let left = self.steps.get();
        let n = u64::try_from(n).unwrap_or(u64::MAX);
        self.steps.set(left.saturating_sub(n));
        left >= n && left > 0
    }

    fn exhausted(&self) -> bool {
        self.steps.get() == 0
    }

    fn get(&self, name: &str) -> Option<&Value> {
        self.ns.get(name)
    }

    /// Binds `name`, remembering the old value in the innermost journal.
    fn set(&mut self, name: &str, value: Value) {
        self.journal(name);
        self.ns.insert(name.to_string(), value);
    }

    /// Unbinds `name` and hands over its value (to update it in place and `set` it back).
    fn take(&mut self, name: &str) -> Option<Value> {
        self.journal(name);
        self.ns.remove(name)
    }

    fn journal(&mut self, name: &str) {
        if let Some(journal) = self.journals.last_mut() {
            if !journal.contains_key(name) {
                journal.insert(name.to_string(), self.ns.get(name).cloned());
            }
        }
    }

    /// The 1-based line of a byte offset in this module, for notes.
    fn line(&self, offset: usize) -> usize {
        let starts = self.line_starts.get_or_init(|| {
            let bytes = self.file.source.as_bytes();
            std::iter::once(0)
                .chain(
                    (0..bytes.len())
                        .filter(|&i| bytes[i] == b'\n')
                        .map(|i| i + 1),
                )
                .collect()
        });
        starts.partition_point(|&start| start <= offset)
    }
}

pub(super) struct Evaluator<'a> {
    pub(super) files: &'a [SettingsFile],
    cache: HashMap<usize, Arc<Module>>,
    active: Vec<usize>,
    /// Every file merged into the profile, in the order first executed.
    pub(super) merged: Vec<String>,
    /// Star imports that could not be resolved to a settings module of the repository.
    pub(super) unresolved: BTreeSet<String>,
    /// Why the profile is incomplete: bounds that stopped evaluation, in the order hit.
    pub(super) incomplete: Vec<String>,
    /// Files read at run time that may override what was assigned before them (`exec` of a
    /// file, a star import of a module the repository lacks), where and how.
    pub(super) overrides: Vec<(Loc, String)>,
    /// Names a branch not taken would assign, where the `if` was decided by the default of an
    /// environment read (`if REDIS_HOST:` with `REDIS_HOST = os.getenv("REDIS_HOST")`), and
    /// no unconditional assignment run after it replaced: filled when the profile's module
    /// finishes, from `recorded`.
    pub(super) switches: Vec<Switch>,
    /// The switches in the order recorded; `None` where a later unconditional assignment of
    /// the name overrode one.
    recorded: Vec<Option<Switch>>,
    /// The live switches, and where each is in `recorded`, by name.
    live: HashSet<Switch>,
    by_name: HashMap<String, Vec<usize>>,
    /// How many `if` statements the statement being run is inside (across imports).
    branch_depth: usize,
}

/// A setting the deployment replaces by setting an environment variable: an `if` on an
/// environment read picked its branch from the read's default, and another branch assigns
/// the setting.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Switch {
    /// The top-level name the other branch assigns (`CACHES`).
    pub name: String,
    /// The condition of the `if`, and its 1-based line.
    pub at: Loc,
    pub line: usize,
    pub vars: Vec<String>,
}

/// Top-level names a block assigns, nested blocks included.
fn assigned_names(body: &[Stmt], out: &mut Vec<String>) {
    for stmt in body {
        match stmt {
            Stmt::Assign { targets, .. } => out.extend(targets.iter().map(|t| t.name.clone())),
            Stmt::AugAssign { target, .. } | Stmt::Mutate { target, .. } => {
                out.push(target.name.clone());
            }
            Stmt::If { arms, orelse } => {
                for (_, b) in arms {
                    assigned_names(b, out);
                }
                assigned_names(orelse, out);
            }
            _ => {}
        }
    }
}

impl<'a> Evaluator<'a> {
    pub(super) fn new(files: &'a [SettingsFile]) -> Self {
        Evaluator {
            files,
            cache: HashMap::new(),
            active: Vec::new(),
            merged: Vec::new(),
            unresolved: BTreeSet::new(),
            incomplete: Vec::new(),
            overrides: Vec::new(),
            switches: Vec::new(),
            recorded: Vec::new(),
            live: HashSet::new(),
            by_name: HashMap::new(),
            branch_depth: 0,
        }
    }

    fn record_switch(&mut self, switch: Switch) {
        if self.live.insert(switch.clone()) {
            self.by_name
                .entry(switch.name.clone())
                .or_default()
                .push(self.recorded.len());
            self.recorded.push(Some(switch));
        }
    }

    /// An assignment of `name` outside any `if`, run after the switches recorded so far: the
    /// other branches' values of the name can no longer reach the profile.
    fn override_switches(&mut self, name: &str) {
        for at in self.by_name.remove(name).unwrap_or_default() {
            if let Some(switch) = self.recorded[at].take() {
                self.live.remove(&switch);
            }
        }
    }

    fn note(&mut self, note: String) {
        if !self.incomplete.contains(&note) {
            self.incomplete.push(note);
        }
    }

    /// Executes a module once (later imports share the result). Recursion through imports is
    /// bounded by [`MAX_IMPORT_DEPTH`]: the caller checks it first.
    pub(super) fn module(&mut self, index: usize) -> Arc<Module> {
        if let Some(done) = self.cache.get(&index) {
            return Arc::clone(done);
        }
        if self.active.contains(&index) {
            // An import cycle: Python would see the partly executed module; nothing is assumed.
            return Arc::new(Module::default());
        }
        self.active.push(index);
        let file = &self.files[index];
        if !self.merged.contains(&file.rel) {
            self.merged.push(file.rel.clone());
        }
        let mut frame = Frame {
            file,
            ns: Namespace::new(),
            defined: Defined::new(),
            schemes: HashMap::new(),
            journals: Vec::new(),
            steps: Cell::new(MAX_EVAL_STEPS),
            line_starts: std::cell::OnceCell::new(),
        };
        self.run(&mut frame, &file.body);
        if frame.exhausted() {
            self.note(format!(
                "the evaluation of {} stopped after {MAX_EVAL_STEPS} steps (the bound on evaluator steps per settings module); what follows was not evaluated",
                file.rel
            ));
        }
        self.active.pop();
        if self.active.is_empty() {
            self.switches = self.recorded.iter().flatten().cloned().collect();
        }
        let done = Arc::new(Module {
            ns: frame.ns,
            defined: frame.defined,
        });
        self.cache.insert(index, Arc::clone(&done));
        done
    }

    /// The module an import in `frame` names, executed; `None` past the import-depth bound
    /// (with a note) or when it is not a settings module of the repository.
    fn import(&mut self, frame: &Frame<'_>, index: usize, shown: &str, span: Span) -> Arc<Module> {
        if self.active.len() > MAX_IMPORT_DEPTH && !self.cache.contains_key(&index) {
            let line = frame.line(span.0);
            self.note(format!(
                "`{shown}` in {}:{line} was not followed: star and from imports are followed {MAX_IMPORT_DEPTH} modules deep (the bound on import chains), so {} and what it imports were not evaluated",
                frame.file.rel, self.files[index].module
            ));
            return Arc::new(Module::default());
        }
        self.module(index)
    }

    fn run(&mut self, frame: &mut Frame<'_>, body: &[Stmt]) {
        for stmt in body {
            if !frame.charge(1) {
                return;
            }
            self.statement(frame, stmt);
        }
    }

    fn statement(&mut self, frame: &mut Frame<'_>, stmt: &Stmt) {
        match stmt {
            Stmt::Assign { targets, value } => {
                self.record_scheme(frame, value);
                // `CACHES = {…}` after `if REDIS_HOST: CACHES = {…redis…}` replaces both
                // branches; `CACHES = {**CACHES, …}` keeps what the branch assigned.
                if self.branch_depth == 0 && !self.by_name.is_empty() {
                    for target in targets {
                        if target.keys.is_empty()
                            && self.by_name.contains_key(&target.name)
                            && !mentions(value, &target.name)
                        {
                            self.override_switches(&target.name);
                        }
                    }
                }
                let statement = loc(frame, value.span);
                if let [target] = targets.as_slice() {
                    if target.keys.is_empty()
                        && !target.too_deep
                        && update_in_place(frame, &target.name, value)
                    {
                        frame.defined.insert(target.name.clone(), statement);
                        return;
                    }
                }
                let v = eval(frame, value, 0);
                for target in targets {
                    if target.keys.is_empty() {
                        frame.defined.insert(target.name.clone(), statement.clone());
                    }
                    assign(frame, target, v.clone());
                }
            }
            Stmt::AugAssign { target, op, value } => {
                let rhs = eval(frame, value, 0);
                let at = loc(frame, value.span);
                // The container keeps the location it was created at; its items keep theirs.
                update(frame, target, |frame, current| {
                    let kept = current.at.clone();
                    let combined = combine(frame, op, current, rhs, &at);
                    Value::new(combined.kind, kept.or(combined.at))
                });
            }
            Stmt::Mutate {
                target,
                method,
                args,
                span,
            } => {
                let args: Vec<Value> = args.iter().map(|a| eval(frame, a, 0)).collect();
                let at = loc(frame, *span);
                update(frame, target, |frame, current| {
                    mutate(frame, current, method, args, &at)
                });
            }
            Stmt::StarImport {
                level,
                module,
                span,
            } => self.star_import(frame, *level, module, *span),
            Stmt::FromImport {
                level,
                module,
                names,
                span,
            } => {
                let Some(index) = self.resolve(frame.file, *level, module) else {
                    return;
                };
                let shown = format!("from {}{module} import …", ".".repeat(*level));
                let done = self.import(frame, index, &shown, *span);
                for (name, alias) in names {
                    if let Some(v) = done.ns.get(name) {
                        frame.set(alias, v.clone());
                    }
                    if let Some(at) = done.defined.get(name) {
                        frame.defined.insert(alias.clone(), at.clone());
                    }
                }
            }
            Stmt::If { arms, orelse } => {
                self.branch_depth += 1;
                self.if_statement(frame, arms, orelse);
                self.branch_depth -= 1;
            }
            Stmt::Exec { span } => {
                let line = frame.line(span.0);
                let how = format!("the file run with exec() at {}:{line}", frame.file.rel);
                self.overrides.push((loc(frame, *span), how));
            }
            Stmt::Cut { note, span } => {
                let line = frame.line(span.0);
                self.note(format!("in {}:{line}, {note}", frame.file.rel));
            }
        }
    }

    fn star_import(&mut self, frame: &mut Frame<'_>, level: usize, module: &str, span: Span) {
        let shown = format!("from {}{module} import *", ".".repeat(level));
        let Some(index) = self.resolve(frame.file, level, module) else {
            // An optional developer override (`from .local import *`) that is not in the
            // repository changes nothing in production.
            let dotted = format!("{}{module}", ".".repeat(level));
            if (level > 0 || !module.starts_with("django.")) && !is_non_production_name(module) {
                self.unresolved.insert(dotted.clone());
            }
            if (level > 0 || !module.starts_with("django.")) && !is_non_production_name(module) {
                let line = frame.line(span.0);
                let how = format!(
                    "{dotted}, imported at {}:{line} and not in the repository,",
                    frame.file.rel
                );
                self.overrides.push((loc(frame, span), how));
            }
            return;
        };
        // A production module never takes values from a development or test profile
        // (`try: from .local import *` is a developer's override).
        let target = &self.files[index];
        if is_non_production_name(&target.module) && !is_non_production_name(&frame.file.module) {
            return;
        }
        let done = self.import(frame, index, &shown, span);
        frame.charge(done.ns.len());
        for (name, value) in &done.ns {
            if !name.starts_with('_') {
                frame.set(name, value.clone());
            }
        }
        for (name, at) in &done.defined {
            if !name.starts_with('_') {
                frame.defined.insert(name.clone(), at.clone());
            }
        }
    }

    /// Arms whose condition is decided pick themselves; with undecidable ones, each candidate
    /// body runs once from the same state (a journal undoes its writes) and the outcomes are
    /// merged ([`merge_variants`]): what every branch sets alike is decided, what only some
    /// set is maybe-set, what they set differently is undecidable, for the first undecidable
    /// condition's reason.
    fn if_statement(&mut self, frame: &mut Frame<'_>, arms: &[(Node, Vec<Stmt>)], orelse: &[Stmt]) {
        let mut open: Vec<(Value, &[Stmt], &Node)> = Vec::new();
        let mut last: &[Stmt] = orelse;
        // Bodies passed over because an environment read's default decided the condition.
        let mut switched: Vec<(&[Stmt], &Node, Vec<String>)> = Vec::new();
        for (cond, body) in arms {
            let c = eval(frame, cond, 0);
            let vars = c.env_vars().to_vec();
            match c.truth() {
                Some(true) => {
                    last = body;
                    if !vars.is_empty() {
                        switched.push((orelse, cond, vars));
                    }
                    break;
                }
                Some(false) => {
                    if !vars.is_empty() {
                        switched.push((body, cond, vars));
                    }
                }
                None => open.push((c, body, cond)),
            }
        }
        for (body, cond, vars) in switched {
            let mut names = Vec::new();
            assigned_names(body, &mut names);
            let at = loc(frame, cond.span);
            let line = frame.line(cond.span.0);
            for name in names {
                self.record_switch(Switch {
                    name,
                    at: at.clone(),
                    line,
                    vars: vars.clone(),
                });
            }
        }
        let Some((first, _, cond)) = open.first() else {
            self.run(frame, last);
            return;
        };
        let reason = first.clone();
        let mut why = condition_note(frame, cond);
        if open.len() > 1 {
            let _ = write!(
                why,
                " or one of the {} `elif` conditions after it",
                open.len() - 1
            );
        }
        let bodies: Vec<&[Stmt]> = open.iter().map(|(_, b, _)| *b).chain([last]).collect();
        let mut outcomes: Vec<Journal> = Vec::with_capacity(bodies.len());
        for body in bodies {
            frame.journals.push(Journal::new());
            self.run(frame, body);
            let journal = frame.journals.pop().unwrap_or_default();
            // Undo the branch; keep what it wrote.
            let mut wrote = Journal::new();
            for (name, before) in journal {
                let after = match before {
                    Some(v) => frame.ns.insert(name.clone(), v),
                    None => frame.ns.remove(&name),
                };
                wrote.insert(name, after);
            }
            outcomes.push(wrote);
        }
        let names: BTreeSet<&String> = outcomes.iter().flat_map(|o| o.keys()).collect();
        frame.charge(names.len());
        let mut merged: Vec<(String, Option<Value>)> = Vec::new();
        for name in names {
            let before = frame.get(name);
            let variants: Vec<Option<&Value>> = outcomes
                .iter()
                .map(|o| o.get(name).map_or(before, Option::as_ref))
                .collect();
            let value = merge_variants(frame, &variants, &reason, &why);
            let unchanged = match (&value, before) {
                (Some(v), Some(b)) => same(frame, v, b),
                (None, None) => true,
                _ => false,
            };
            if !unchanged {
                merged.push((name.clone(), value));
            }
        }
        for (name, value) in merged {
            match value {
                Some(v) => frame.set(&name, v),
                None => {
                    frame.take(&name);
                }
            }
        }
    }

    /// `env = environ.Env(DEBUG=(bool, False))`: remember the defaults it declares.
    fn record_scheme(&self, frame: &mut Frame<'_>, value: &Node) {
        let Expr::Call { callee, kwargs, .. } = &value.expr else {
            return;
        };
        if callee != "environ.Env" && callee != "environ.FileAwareEnv" {
            return;
        }
        for (name, scheme) in kwargs {
            if let Expr::Seq(parts) = &scheme.expr {
                if let [cast, default] = parts.as_slice() {
                    let default = eval(frame, default, 0);
                    let at = loc(frame, scheme.span);
                    let cast_name = match &cast.expr {
                        Expr::Name { name, .. } => name.clone(),
                        _ => String::new(),
                    };
                    let typed = apply_cast(&cast_name, &default, &at);
                    frame.schemes.insert(name.clone(), typed);
                }
            }
        }
    }

    /// The settings file a (relative) import names.
    fn resolve(&self, from: &SettingsFile, level: usize, module: &str) -> Option<usize> {
        if level == 0 {
            return find_module(self.files, module);
        }
        let mut package: Vec<&str> = from.module.split('.').collect();
        if !from.is_package {
            package.pop();
        }
        for _ in 1..level {
            package.pop();
        }
        let mut full = package.join(".");
        if !module.is_empty() {
            if !full.is_empty() {
                full.push('.');
            }
            full.push_str(module);
        }
        self.files.iter().position(|f| f.module == full)
    }
}

/// What a name becomes where undecidable branches disagree on it.
fn undecided(reason: &Value, item: Option<String>) -> Kind {
    match &reason.kind {
        Kind::Env { vars, .. } => Kind::Env {
            vars: vars.clone(),
            fallback: None,
        },
        Kind::Unknown(text) => Kind::Unknown(match item {
            Some(item) => format!("{item} if {text}"),
            None => format!("if {text}"),
        }),
        Kind::Cut(note) => Kind::Cut(note.clone()),
        _ => Kind::Unknown("a condition".to_string()),
    }
}

/// `` `cond` holds (file:line) ``: the condition of an `if` audit cannot decide, for notes.
fn condition_note(frame: &Frame<'_>, cond: &Node) -> String {
    let source = &frame.file.source;
    let (start, end) = (cond.span.0.min(source.len()), cond.span.1.min(source.len()));
    let text = source.get(start..end).unwrap_or("").trim();
    let text = text
        .strip_prefix("elif")
        .or_else(|| text.strip_prefix("if"))
        .unwrap_or(text)
        .trim();
    let text: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    format!(
        "`{}` holds ({}:{})",
        shorten(&text, 60),
        frame.file.rel,
        frame.line(cond.span.0)
    )
}

/// The same value whatever its location: branches that set a name alike agree.
fn same(frame: &Frame<'_>, a: &Value, b: &Value) -> bool {
    frame.charge(1);
    match (&a.kind, &b.kind) {
        (Kind::List(x), Kind::List(y)) => {
            Arc::ptr_eq(x, y)
                || x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same(frame, p, q))
        }
        (Kind::Dict(x), Kind::Dict(y)) => {
            Arc::ptr_eq(x, y)
                || x.len() == y.len()
                    && x.iter()
                        .all(|(k, v)| y.get(k).is_some_and(|w| same(frame, v, w)))
        }
        (
            Kind::Env {
                vars: v1,
                fallback: f1,
            },
            Kind::Env {
                vars: v2,
                fallback: f2,
            },
        ) => {
            v1 == v2
                && match (f1, f2) {
                    (Some(p), Some(q)) => same(frame, p, q),
                    (None, None) => true,
                    _ => false,
                }
        }
        (Kind::Maybe { value: p, why: w1 }, Kind::Maybe { value: q, why: w2 }) => {
            w1 == w2 && same(frame, p, q)
        }
        (x, y) => x == y,
    }
}

/// What a name (or dict entry) becomes after an undecidable `if`, from its value at the end
/// of each branch (`None`: unbound there). Alike everywhere: that value. Alike where set but
/// unset somewhere: maybe-set. Dicts set everywhere merge entry by entry and lists item by
/// item, so one differing entry leaves the others decided; anything else is undecidable.
fn merge_variants(
    frame: &Frame<'_>,
    variants: &[Option<&Value>],
    reason: &Value,
    why: &str,
) -> Option<Value> {
    // A variant maybe-set by an earlier `if` is set in some worlds and unset in others.
    let mut earlier = false;
    let present: Vec<&Value> = variants
        .iter()
        .flatten()
        .map(|v| match &v.kind {
            Kind::Maybe { value, .. } => {
                earlier = true;
                &**value
            }
            _ => *v,
        })
        .collect();
    let first = *present.first()?;
    let everywhere = present.len() == variants.len() && !earlier;
    if present.iter().all(|v| same(frame, v, first)) {
        if everywhere {
            return Some(first.clone());
        }
        let why = if earlier {
            format!("{why} or an earlier condition")
        } else {
            why.to_string()
        };
        let maybe = Kind::Maybe {
            value: Box::new(first.clone()),
            why,
        };
        return Some(Value::new(maybe, first.at.clone()));
    }
    let at = first.at.clone();
    if !everywhere {
        return Some(Value::new(undecided(reason, None), at));
    }
    let dicts: Option<Vec<&Dict>> = present
        .iter()
        .map(|v| match &v.kind {
            Kind::Dict(d) => Some(&**d),
            _ => None,
        })
        .collect();
    if let Some(dicts) = dicts {
        return Some(Value::new(merge_dicts(frame, &dicts, reason, why), at));
    }
    let lists: Option<Vec<&List>> = present
        .iter()
        .map(|v| match &v.kind {
            Kind::List(l) => Some(&**l),
            _ => None,
        })
        .collect();
    let kind = match lists {
        Some(lists) => merge_lists(frame, &lists, why),
        None => undecided(reason, None),
    };
    Some(Value::new(kind, at))
}

/// Dicts the branches disagree on, entry by entry, keys in first-seen order.
fn merge_dicts(frame: &Frame<'_>, dicts: &[&Dict], reason: &Value, why: &str) -> Kind {
    let mut keys: Vec<&String> = Vec::new();
    let mut seen: BTreeSet<&String> = BTreeSet::new();
    for dict in dicts {
        frame.charge(dict.len());
        for (key, _) in dict.iter() {
            if seen.insert(key) {
                keys.push(key);
            }
        }
    }
    let entries = keys
        .into_iter()
        .filter_map(|key| {
            let variants: Vec<Option<&Value>> = dicts.iter().map(|d| d.get(key)).collect();
            merge_variants(frame, &variants, reason, why).map(|v| (key.clone(), v))
        })
        .collect();
    Kind::dict(entries)
}

/// A list the branches disagree on keeps the items every branch has; the others become
/// maybe-set items, so `contains` still sees the certain ones. The common prefix is found
/// in one pass; only the differing tails are matched item by item (and charged).
fn merge_lists(frame: &Frame<'_>, lists: &[&List], why: &str) -> Kind {
    let shortest = lists.iter().map(|l| l.len()).min().unwrap_or(0);
    let first = lists[0];
    let prefix = (0..shortest)
        .take_while(|&i| lists.iter().all(|l| same(frame, &l[i], &first[i])))
        .count();
    frame.charge(prefix.saturating_mul(lists.len()));
    let tails: Vec<&[Value]> = lists.iter().map(|l| &l[prefix..]).collect();
    let work: usize = tails.iter().map(|t| t.len()).sum();
    if !frame.charge(work.saturating_mul(work)) {
        return Kind::Cut(BUDGET_NOTE.to_string());
    }
    let in_all = |item: &Value| tails.iter().all(|t| t.iter().any(|x| same(frame, x, item)));
    let mut items: Vec<Value> = first[..prefix].to_vec();
    items.extend(tails[0].iter().filter(|i| in_all(i)).cloned());
    let mut shown: Vec<&Value> = Vec::new();
    for item in tails.iter().flat_map(|t| t.iter()) {
        if !in_all(item) && !shown.iter().any(|x| same(frame, x, item)) {
            shown.push(item);
            let maybe = Kind::Maybe {
                value: Box::new(item.clone()),
                why: why.to_string(),
            };
            items.push(Value::new(maybe, item.at.clone()));
        }
    }
    Kind::list(items)
}

/// The settings file whose dotted module is `dotted` or ends with `.dotted`.
pub fn find_module(files: &[SettingsFile], dotted: &str) -> Option<usize> {
    let suffix = format!(".{dotted}");
    let mut best: Option<usize> = None;
    for (i, f) in files.iter().enumerate() {
        if f.module == dotted {
            return Some(i);
        }
        if f.module.ends_with(&suffix)
            && best.is_none_or(|b| files[b].module.len() > f.module.len())
        {
            best = Some(i);
        }
    }
    best
}

pub(super) fn loc(frame: &Frame<'_>, span: Span) -> Loc {
    Loc {
        file: frame.file.rel.clone(),
        start: span.0,
        end: span.1,
    }
}

/// The string keys of a subscript target, evaluated; `None` when one is not decided.
fn target_keys(frame: &Frame<'_>, target: &Target) -> Option<Vec<String>> {
    target
        .keys
        .iter()
        .map(|k| py_str(&eval(frame, k, 0)))
        .collect()
}

/// What a name assigned through too many subscripts becomes.
fn too_deep_target(frame: &Frame<'_>, target: &Target) -> Value {
    Value::new(
        Kind::Cut(format!(
            "is assigned through more than {MAX_EXPR_DEPTH} subscripts, the bound on expression depth"
        )),
        frame.get(&target.name).and_then(|v| v.at.clone()),
    )
}

/// Replaces `X` or `X["a"]["b"]` with `f` of its current value, in place: the value is taken
/// out of the namespace so a list or dict held by no other name is not copied.
fn update(frame: &mut Frame<'_>, target: &Target, f: impl FnOnce(&Frame<'_>, Value) -> Value) {
    if target.too_deep {
        let cut = too_deep_target(frame, target);
        frame.set(&target.name, cut);
        return;
    }
    let Some(keys) = target_keys(frame, target) else {
        return;
    };
    if frame.get(&target.name).is_none() {
        return;
    }
    let Some(mut root) = frame.take(&target.name) else {
        return;
    };
    if let Some(slot) = slot_at(frame, &mut root, &keys) {
        let current = std::mem::replace(slot, Value::new(Kind::None, None));
        *slot = f(frame, current);
    }
    frame.set(&target.name, root);
}

/// A write through a maybe-set value reads it, so from there on it is set.
fn make_certain(value: &mut Value) {
    if matches!(value.kind, Kind::Maybe { .. }) {
        let taken = std::mem::replace(value, Value::new(Kind::None, None));
        *value = taken.certain();
    }
}

/// The existing value at `keys` inside nested dicts, made unique for writing.
fn slot_at<'v>(frame: &Frame<'_>, root: &'v mut Value, keys: &[String]) -> Option<&'v mut Value> {
    let mut current = root;
    for key in keys {
        make_certain(current);
        let Kind::Dict(dict) = &mut current.kind else {
            return None;
        };
        dict.get(key)?;
        current = unique(frame, dict).slot(key, None)?;
    }
    Some(current)
}

/// A container to write into: copied (and charged) only when another name shares it.
fn unique<'c, T: Clone + std::ops::Deref<Target = [E]>, E>(
    frame: &Frame<'_>,
    rc: &'c mut Arc<T>,
) -> &'c mut T {
    if Arc::strong_count(rc) > 1 || Arc::weak_count(rc) > 0 {
        frame.charge(rc.len());
    }
    Arc::make_mut(rc)
}

pub(super) fn assign(frame: &mut Frame<'_>, target: &Target, value: Value) {
    if target.too_deep {
        let cut = too_deep_target(frame, target);
        frame.set(&target.name, cut);
        return;
    }
    if target.keys.is_empty() {
        frame.set(&target.name, value);
        return;
    }
    let Some(keys) = target_keys(frame, target) else {
        return;
    };
    let Some(mut root) = frame.take(&target.name) else {
        return;
    };
    set_path(frame, &mut root, &keys, value);
    frame.set(&target.name, root);
}

/// Sets `keys` inside nested dicts, creating the missing levels (iteratively).
fn set_path(frame: &Frame<'_>, root: &mut Value, keys: &[String], value: Value) {
    let Some((last, path)) = keys.split_last() else {
        *root = value;
        return;
    };
    let mut current = root;
    for key in path {
        make_certain(current);
        let at = current.at.clone();
        let Kind::Dict(dict) = &mut current.kind else {
            return;
        };
        match unique(frame, dict).slot(key, at) {
            Some(next) => current = next,
            None => return,
        }
    }
    make_certain(current);
    if let Kind::Dict(dict) = &mut current.kind {
        unique(frame, dict).insert(last.clone(), value);
    }
}

/// Whether `node` mentions the name `name` anywhere (bounded by the IR's depth bound).
fn mentions(node: &Node, name: &str) -> bool {
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match &n.expr {
            Expr::Name { name: n, .. } if n == name || n.split('.').next() == Some(name) => {
                return true;
            }
            Expr::Format(parts) | Expr::Seq(parts) => stack.extend(parts),
            Expr::Dict(items) => {
                for item in items {
                    match item {
                        DictItem::Pair(k, v) => {
                            stack.push(k);
                            stack.push(v);
                        }
                        DictItem::Splat(v) => stack.push(v),
                    }
                }
            }
            Expr::Starred(x) | Expr::Not(x) | Expr::Attr(x, _) => stack.push(x),
            Expr::Subscript(a, b)
            | Expr::BinOp(_, a, b)
            | Expr::Compare(_, a, b)
            | Expr::BoolOp(_, a, b) => {
                stack.push(a);
                stack.push(b);
            }
            Expr::IfElse(a, b, c) => {
                stack.push(a);
                stack.push(b);
                stack.push(c);
            }
            Expr::Call {
                func, args, kwargs, ..
            } => {
                stack.push(func);
                stack.extend(args);
                stack.extend(kwargs.iter().map(|(_, v)| v));
            }
            _ => {}
        }
    }
    false
}

/// `X = X + […]`, `X = X | {…}` and `X = {**X, …}` grow `X` in place when the rest of the
/// expression does not read `X`: a file that grows a setting statement by statement stays
/// linear. Returns false when the statement is not of that shape.
fn update_in_place(frame: &mut Frame<'_>, name: &str, value: &Node) -> bool {
    let is_self = |n: &Node| matches!(&n.expr, Expr::Name { name: n, .. } if n == name);
    match &value.expr {
        Expr::BinOp(op, left, right)
            if (op == "+" || op == "|") && is_self(left) && !mentions(right, name) =>
        {
            if frame.get(name).is_none() {
                return false;
            }
            frame.charge(1);
            let rhs = eval(frame, right, 1);
            let at = loc(frame, value.span);
            let Some(current) = frame.take(name) else {
                return false;
            };
            let combined = combine(frame, op, current, rhs, &at);
            frame.set(name, Value::new(combined.kind, Some(at)));
            true
        }
        Expr::Dict(items)
            if matches!(items.first(), Some(DictItem::Splat(s)) if is_self(s))
                && items[1..].iter().all(|i| match i {
                    DictItem::Pair(k, v) => !mentions(k, name) && !mentions(v, name),
                    DictItem::Splat(v) => !mentions(v, name),
                }) =>
        {
            if !matches!(frame.get(name).map(|v| &v.kind), Some(Kind::Dict(_))) {
                return false;
            }
            frame.charge(1);
            let at = loc(frame, value.span);
            let rest = dict_entries(frame, &items[1..], 1);
            let Some(Value {
                kind: Kind::Dict(mut dict),
                ..
            }) = frame.take(name)
            else {
                return false;
            };
            let target = unique(frame, &mut dict);
            frame.charge(rest.len());
            for (k, v) in rest {
                target.insert(k, v);
            }
            frame.set(name, lit(Kind::Dict(dict), &at));
            true
        }
        _ => false,
    }
}

/// `a + b` / `a | b` consuming `a`: lists and dicts are extended in place when unshared.
fn combine(frame: &Frame<'_>, op: &str, current: Value, rhs: Value, at: &Loc) -> Value {
    let current = current.certain();
    match (op, current.kind, &rhs.kind) {
        ("+", Kind::List(mut list), Kind::List(more)) => {
            frame.charge(more.len());
            let items = unique(frame, &mut list);
            for item in more.iter() {
                items.push(item.clone());
            }
            lit(Kind::List(list), at)
        }
        ("|", Kind::Dict(mut dict), Kind::Dict(more)) => {
            frame.charge(more.len());
            let entries = unique(frame, &mut dict);
            for (k, v) in more.iter() {
                entries.insert(k.clone(), v.clone());
            }
            lit(Kind::Dict(dict), at)
        }
        (_, kind, _) => binary(frame, op, &Value::new(kind, current.at), &rhs, at),
    }
}

/// `.append`, `.extend`, `.insert`, `.update`, `.remove` on a settings value, in place.
fn mutate(frame: &Frame<'_>, current: Value, method: &str, args: Vec<Value>, at: &Loc) -> Value {
    // Growing a maybe-set value reads it: it is set from here on.
    let current = current.certain();
    // The container keeps the location it was created at (findings on a missing item point
    // at the list); the items keep theirs.
    let kept_at = current.at.clone();
    let mut args = args;
    match (current.kind, method, args.as_mut_slice()) {
        (Kind::List(mut list), "append", [item]) => {
            unique(frame, &mut list).push(std::mem::replace(item, Value::new(Kind::None, None)));
            Value::new(Kind::List(list), kept_at)
        }
        (kind @ Kind::List(_), "extend", [more]) => {
            let more = std::mem::replace(more, Value::new(Kind::None, None));
            let combined = combine(frame, "+", Value::new(kind, kept_at.clone()), more, at);
            Value::new(combined.kind, kept_at)
        }
        (Kind::List(mut list), "insert", [index, item]) => {
            let len = list.len() as i64;
            let at_index = match index.kind {
                Kind::Int(i) if i < 0 => (len + i).max(0),
                Kind::Int(i) => i.min(len),
                _ => len,
            };
            let at_index = usize::try_from(at_index).unwrap_or(0);
            frame.charge(list.len() - at_index.min(list.len()));
            let item = std::mem::replace(item, Value::new(Kind::None, None));
            unique(frame, &mut list).insert(at_index, item);
            Value::new(Kind::List(list), kept_at)
        }
        (Kind::List(mut list), "remove", [item]) => {
            frame.charge(list.len());
            unique(frame, &mut list).remove_equal(item);
            Value::new(Kind::List(list), kept_at)
        }
        // `update(other, **kwargs)`: each argument in turn, the keywords last.
        (kind @ Kind::Dict(_), "update", [_, ..]) => {
            let mut current = Value::new(kind, kept_at.clone());
            for more in args {
                current = combine(frame, "|", current, more, at);
            }
            Value::new(current.kind, kept_at)
        }
        (kind @ (Kind::Env { .. } | Kind::Unknown(_) | Kind::Cut(_)), _, _) => {
            Value::new(kind, kept_at)
        }
        _ => Value::new(Kind::Unknown(format!("{method}(…)")), kept_at),
    }
}

/// `a + b`, `a | b`, `a - b`, `a * b` on decided values.
pub(super) fn binary(frame: &Frame<'_>, op: &str, a: &Value, b: &Value, at: &Loc) -> Value {
    lift(&[a, b], at, |v| match (op, &v[0].kind, &v[1].kind) {
        ("+", Kind::Str(x), Kind::Str(y)) => Kind::Str(format!("{x}{y}")),
        ("+", Kind::List(x), Kind::List(y)) => {
            frame.charge(x.len() + y.len());
            Kind::list(x.iter().chain(y.iter()).cloned().collect())
        }
        ("+", Kind::Int(x), Kind::Int(y)) => x
            .checked_add(*y)
            .map_or(Kind::Unknown("+".into()), Kind::Int),
        ("-", Kind::Int(x), Kind::Int(y)) => x
            .checked_sub(*y)
            .map_or(Kind::Unknown("-".into()), Kind::Int),
        ("*", Kind::Int(x), Kind::Int(y)) => x
            .checked_mul(*y)
            .map_or(Kind::Unknown("*".into()), Kind::Int),
        ("|", Kind::Dict(x), Kind::Dict(y)) => {
            frame.charge(x.len() + y.len());
            let mut merged = (**x).clone();
            for (k, val) in y.iter() {
                merged.insert(k.clone(), val.clone());
            }
            Kind::Dict(Arc::new(merged))
        }
        _ => Kind::Unknown(format!("… {op} …")),
    })
}

pub(super) fn compare(frame: &Frame<'_>, op: &str, a: &Value, b: &Value, at: &Loc) -> Value {
    frame.charge(a.size().min(b.size()));
    lift(&[a, b], at, |v| {
        let (x, y) = (v[0], v[1]);
        let contains = |hay: &Value, needle: &Value| match (&hay.kind, &needle.kind) {
            (Kind::Str(h), Kind::Str(n)) => Some(h.contains(n.as_str())),
            (Kind::List(items), _) => {
                frame.charge(items.len());
                Some(items.iter().any(|i| py_eq(i, needle)))
            }
            (Kind::Dict(_), Kind::Str(k)) => Some(hay.get(k).is_some()),
            _ => None,
        };
        let order = |x: &Value, y: &Value| {
            match (&x.kind, &y.kind) {
                (Kind::Int(a), Kind::Int(b)) => Some((*a as f64).partial_cmp(&(*b as f64))),
                (Kind::Float(a), Kind::Float(b)) => Some(a.partial_cmp(b)),
                (Kind::Int(a), Kind::Float(b)) => Some((*a as f64).partial_cmp(b)),
                (Kind::Float(a), Kind::Int(b)) => Some(a.partial_cmp(&(*b as f64))),
                _ => None,
            }
            .flatten()
        };
        let result = match op {
            "==" | "is" => Some(py_eq(x, y)),
            "!=" | "is not" => Some(!py_eq(x, y)),
            "in" => contains(y, x),
            "not in" => contains(y, x).map(|c| !c),
            "<" => order(x, y).map(|o| o.is_lt()),
            "<=" => order(x, y).map(|o| o.is_le()),
            ">" => order(x, y).map(|o| o.is_gt()),
            ">=" => order(x, y).map(|o| o.is_ge()),
            _ => None,
        };
        result.map_or_else(|| Kind::Unknown(format!("… {op} …")), Kind::Bool)
    })
}

/// The entries of dict items (pairs and `**` splats), later keys winning.
fn dict_entries(frame: &Frame<'_>, items: &[DictItem], d: usize) -> Vec<(String, Value)> {
    let mut entries: Vec<(String, Value)> = Vec::new();
    for item in items {
        match item {
            DictItem::Pair(k, v) => {
                if let Some(key) = py_str(&eval(frame, k, d)) {
                    entries.push((key, eval(frame, v, d)));
                }
            }
            DictItem::Splat(inner) => {
                if let Kind::Dict(more) = eval(frame, inner, d).kind {
                    frame.charge(more.len());
                    entries.extend(more.iter().cloned());
                }
            }
        }
    }
    entries
}

/// Evaluates one expression in a frame. Recursion follows the IR, which the converter keeps
/// within [`MAX_EXPR_DEPTH`]; the check here guards against any other producer.
pub(super) fn eval(frame: &Frame<'_>, node: &Node, depth: usize) -> Value {
    let at = loc(frame, node.span);
    if !frame.charge(1) {
        return lit(Kind::Cut(BUDGET_NOTE.to_string()), &at);
    }
    if depth > MAX_EXPR_DEPTH {
        return lit(
            Kind::Cut(format!(
                "is computed by an expression nested deeper than {MAX_EXPR_DEPTH} levels, the bound on expression depth"
            )),
            &at,
        );
    }
    let d = depth + 1;
    match &node.expr {
        Expr::Str(s) => lit(Kind::Str(s.clone()), &at),
        Expr::Int(i) => lit(Kind::Int(*i), &at),
        Expr::Float(f) => lit(Kind::Float(*f), &at),
        Expr::Bool(b) => lit(Kind::Bool(*b), &at),
        Expr::NoneLit => lit(Kind::None, &at),
        Expr::Format(parts) => {
            let values: Vec<Value> = parts.iter().map(|p| eval(frame, p, d)).collect();
            let refs: Vec<&Value> = values.iter().collect();
            lift(&refs, &at, |v| {
                v.iter()
                    .map(|x| py_str(x))
                    .collect::<Option<String>>()
                    .map_or_else(|| Kind::Unknown("f-string".to_string()), Kind::Str)
            })
        }
        Expr::Seq(items) => {
            let mut out = List::default();
            for item in items {
                if let Expr::Starred(inner) = &item.expr {
                    let v = eval(frame, inner, d);
                    match &v.kind {
                        Kind::List(more) => {
                            frame.charge(more.len());
                            for x in more.iter() {
                                out.push(x.clone());
                            }
                        }
                        Kind::Cut(_) => out.push(v),
                        // Any number of unknown items: a `contains` test cannot rule one out.
                        _ => {
                            let shown = match &v.kind {
                                Kind::Unknown(text) => text.clone(),
                                _ => v.render(),
                            };
                            let splat = Kind::Unknown(format!("*{}", shorten(&shown, 60)));
                            out.push(Value::new(splat, v.at.clone().or(Some(at.clone()))));
                        }
                    }
                } else {
                    out.push(eval(frame, item, d));
                }
            }
            lit(Kind::List(Arc::new(out)), &at)
        }
        Expr::Dict(items) => lit(Kind::dict(dict_entries(frame, items, d)), &at),
        Expr::Starred(inner) => eval(frame, inner, d),
        Expr::Name { name, qualified } => lookup_name(frame, name, qualified, &at),
        Expr::Attr(_, attr) => lit(Kind::Unknown(format!("….{attr}")), &at),
        Expr::Subscript(object, key) => {
            if let Expr::Name { qualified, .. } = &object.expr {
                if qualified == "os.environ" {
                    return match &key.expr {
                        Expr::Str(var) => env_value(vec![var.clone()], None, &at),
                        _ => lit(Kind::Unknown("os.environ[…]".to_string()), &at),
                    };
                }
            }
            let (o, k) = (eval(frame, object, d), eval(frame, key, d));
            lift(&[&o, &k], &at, |v| index(v[0], v[1]))
        }
        Expr::Call {
            callee,
            func,
            args,
            kwargs,
        } => call(frame, callee, func, args, kwargs, &at, d),
        Expr::BinOp(op, l, r) => binary(frame, op, &eval(frame, l, d), &eval(frame, r, d), &at),
        Expr::Compare(op, l, r) => {
            // `"X" in os.environ` is False exactly when the variable is unset.
            if let (Expr::Str(var), Expr::Name { qualified, .. }) = (&l.expr, &r.expr) {
                if qualified == "os.environ" && (op == "in" || op == "not in") {
                    let unset = lit(Kind::Bool(op == "not in"), &at);
                    return env_value(vec![var.clone()], Some(unset), &at);
                }
            }
            compare(frame, op, &eval(frame, l, d), &eval(frame, r, d), &at)
        }
        Expr::BoolOp(and, l, r) => bool_op(*and, eval(frame, l, d), eval(frame, r, d), &at),
        Expr::Not(inner) => {
            let v = eval(frame, inner, d);
            lift(&[&v], &at, |x| {
                x[0].truth()
                    .map_or(Kind::Unknown("not …".into()), |t| Kind::Bool(!t))
            })
        }
        Expr::IfElse(cond, then, orelse) => {
            let c = eval(frame, cond, d);
            let (t, o) = (eval(frame, then, d), eval(frame, orelse, d));
            match (&c.kind, c.truth()) {
                (Kind::Env { vars, .. }, Some(truth)) => {
                    env_value(vars.clone(), Some(if truth { t } else { o }), &at)
                }
                (_, Some(truth)) => {
                    if truth {
                        t
                    } else {
                        o
                    }
                }
                (Kind::Env { vars, .. }, None) => env_value(vars.clone(), None, &at),
                (Kind::Cut(_), None) => lit(c.kind.clone(), &at),
                _ => lit(Kind::Unknown("… if … else …".to_string()), &at),
            }
        }
        Expr::Unknown(text) => lit(Kind::Unknown(text.clone()), &at),
        Expr::Cut(note) => lit(Kind::Cut(note.clone()), &at),
    }
}

pub(super) fn lookup_name(frame: &Frame<'_>, name: &str, qualified: &str, at: &Loc) -> Value {
    if let Some(v) = frame.ns.get(name) {
        // Reading a maybe-set name means it is set (else Python stops with a NameError).
        return v.clone().certain();
    }
    // `X.attr` on a setting: evaluated as far as a method call needs; plain attributes are unknown.
    let shown = if qualified.is_empty() {
        name
    } else {
        qualified
    };
    lit(Kind::Unknown(shorten(shown, 60)), at)
}

pub(super) fn index(object: &Value, key: &Value) -> Kind {
    match (&object.kind, &key.kind) {
        (Kind::Dict(_), _) => py_str(key)
            .and_then(|k| object.get(&k).map(|v| v.clone().certain().kind))
            .unwrap_or_else(|| Kind::Unknown("[…]".to_string())),
        (Kind::List(items), Kind::Int(i)) => {
            let len = items.len() as i64;
            let i = if *i < 0 { len + i } else { *i };
            usize::try_from(i)
                .ok()
                .and_then(|i| items.get(i))
                .map_or_else(|| Kind::Unknown("[…]".to_string()), |v| v.kind.clone())
        }
        _ => Kind::Unknown("[…]".to_string()),
    }
}

/// Python `and`/`or`, which return one of their operands.
pub(super) fn bool_op(and: bool, left: Value, right: Value, at: &Loc) -> Value {
    match &left.kind {
        Kind::Env { vars, fallback } => {
            // `os.getenv("X") or "default"`: the right side is what an unset variable gives.
            let when_unset = match fallback {
                None if !and => Some(right),
                None => None,
                Some(f) => match (f.truth(), and) {
                    (Some(true), false) | (Some(false), true) => Some((**f).clone()),
                    (Some(_), _) => Some(right),
                    (None, _) => None,
                },
            };
            env_value(vars.clone(), when_unset, at)
        }
        Kind::Unknown(_) | Kind::Cut(_) => left,
        _ => match (left.truth(), and) {
            (Some(true), false) | (Some(false), true) => left,
            _ => right,
        },
    }
}

/// Django-environ and python-decouple truth strings.
pub(super) fn truthy_text(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "y" | "on" | "ok" | "t"
    )
}

/// `bool`, `int`, `float`, `str`, `list`, `Csv()` casts of a default.
pub(super) fn apply_cast(cast: &str, value: &Value, at: &Loc) -> Value {
    let last = cast.rsplit('.').next().unwrap_or(cast);
    let kind = match (last, &value.kind) {
        (_, Kind::Env { .. } | Kind::Unknown(_) | Kind::Cut(_)) => return value.clone(),
        ("bool", Kind::Str(s)) => Kind::Bool(truthy_text(s)),
        ("bool", _) => value.truth().map_or(value.kind.clone(), Kind::Bool),
        ("int", Kind::Str(s)) => s
            .trim()
            .parse()
            .map_or(Kind::Unknown(format!("int('{s}')")), Kind::Int),
        ("int", Kind::Float(f)) => Kind::Int(*f as i64),
        ("int", Kind::Bool(b)) => Kind::Int(i64::from(*b)),
        ("float", Kind::Str(s)) => s
            .trim()
            .parse()
            .map_or(Kind::Unknown(format!("float('{s}')")), Kind::Float),
        ("float", Kind::Int(i)) => Kind::Float(*i as f64),
        ("str", _) => py_str(value).map_or(value.kind.clone(), Kind::Str),
        ("list" | "tuple" | "Csv" | "Csv()", Kind::Str(s)) => Kind::list(
            s.split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| lit(Kind::Str(p.to_string()), at))
                .collect(),
        ),
        _ => value.kind.clone(),
    };
    Value::new(kind, value.at.clone().or_else(|| Some(at.clone())))
}
