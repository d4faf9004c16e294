//! Partial evaluation of settings modules into namespaces of values.

use super::calls::call;
use super::ir::{shorten, DictItem, Expr, Node, Span, Stmt, Target};
use super::value::*;
use super::{is_non_production_name, SettingsFile, MAX_EXPR_DEPTH, MAX_IMPORT_DEPTH};
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub(super) type Namespace = BTreeMap<String, Value>;
/// Where each top-level name was last assigned (the statement), to tell the setting that
/// writes a literal from the ones that copy it.
pub(super) type Defined = BTreeMap<String, Loc>;

/// One settings module being executed.
pub(super) struct Frame<'f> {
    pub(super) file: &'f SettingsFile,
    pub(super) ns: Namespace,
    pub(super) defined: Defined,
    /// django-environ `Env(NAME=(cast, default))` schemes seen so far.
    pub(super) schemes: HashMap<String, Value>,
}

pub(super) struct Evaluator<'a> {
    pub(super) files: &'a [SettingsFile],
    pub(super) cache: HashMap<usize, (Namespace, Defined)>,
    pub(super) active: Vec<usize>,
    /// Every file merged into the profile, in the order first executed.
    pub(super) merged: Vec<String>,
    /// Star imports that could not be resolved to a settings module of the repository.
    pub(super) unresolved: BTreeSet<String>,
}

impl<'a> Evaluator<'a> {
    pub(super) fn new(files: &'a [SettingsFile]) -> Self {
        Evaluator {
            files,
            cache: HashMap::new(),
            active: Vec::new(),
            merged: Vec::new(),
            unresolved: BTreeSet::new(),
        }
    }

    pub(super) fn module(&mut self, index: usize) -> (Namespace, Defined) {
        if let Some(done) = self.cache.get(&index) {
            return done.clone();
        }
        if self.active.contains(&index) || self.active.len() > MAX_IMPORT_DEPTH {
            return (Namespace::new(), Defined::new());
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
        };
        self.run(&mut frame, &file.body);
        self.active.pop();
        let done = (frame.ns, frame.defined);
        self.cache.insert(index, done.clone());
        done
    }

    fn run(&mut self, frame: &mut Frame<'_>, body: &[Stmt]) {
        for stmt in body {
            self.statement(frame, stmt);
        }
    }

    fn statement(&mut self, frame: &mut Frame<'_>, stmt: &Stmt) {
        match stmt {
            Stmt::Assign { targets, value } => {
                self.record_scheme(frame, value);
                let v = eval(frame, value, 0);
                let statement = loc(frame, value.span);
                for target in targets {
                    if target.keys.is_empty() {
                        frame.defined.insert(target.name.clone(), statement.clone());
                    }
                    assign(frame, target, v.clone());
                }
            }
            Stmt::AugAssign { target, op, value } => {
                let rhs = eval(frame, value, 0);
                let Some(current) = read_target(frame, target) else {
                    return;
                };
                let at = loc(frame, value.span);
                let combined = binary(op, &current, &rhs, &at);
                // The container keeps the location it was created at; its items keep theirs.
                let combined = Value::new(combined.kind, current.at.clone().or(combined.at));
                assign(frame, target, combined);
            }
            Stmt::Mutate {
                target,
                method,
                args,
                span,
            } => {
                let Some(current) = read_target(frame, target) else {
                    return;
                };
                let args: Vec<Value> = args.iter().map(|a| eval(frame, a, 0)).collect();
                let at = loc(frame, *span);
                assign(frame, target, mutate(current, method, &args, &at));
            }
            Stmt::StarImport { level, module } => self.star_import(frame, *level, module),
            Stmt::FromImport {
                level,
                module,
                names,
            } => {
                let Some(index) = self.resolve(frame.file, *level, module) else {
                    return;
                };
                let (ns, defined) = self.module(index);
                for (name, alias) in names {
                    if let Some(v) = ns.get(name) {
                        frame.ns.insert(alias.clone(), v.clone());
                    }
                    if let Some(at) = defined.get(name) {
                        frame.defined.insert(alias.clone(), at.clone());
                    }
                }
            }
            Stmt::If { cond, body, orelse } => self.if_statement(frame, cond, body, orelse),
        }
    }

    fn star_import(&mut self, frame: &mut Frame<'_>, level: usize, module: &str) {
        let Some(index) = self.resolve(frame.file, level, module) else {
            // An optional developer override (`from .local import *`) that is not in the
            // repository changes nothing in production.
            let shown = format!("{}{module}", ".".repeat(level));
            if (level > 0 || !module.starts_with("django.")) && !is_non_production_name(module) {
                self.unresolved.insert(shown);
            }
            return;
        };
        // A production module never takes values from a development or test profile
        // (`try: from .local import *` is a developer's override).
        let target = &self.files[index];
        if is_non_production_name(&target.module) && !is_non_production_name(&frame.file.module) {
            return;
        }
        let (ns, defined) = self.module(index);
        for (name, value) in ns {
            if !name.starts_with('_') {
                frame.ns.insert(name, value);
            }
        }
        for (name, at) in defined {
            if !name.starts_with('_') {
                frame.defined.insert(name, at);
            }
        }
    }

    fn if_statement(&mut self, frame: &mut Frame<'_>, cond: &Node, body: &[Stmt], orelse: &[Stmt]) {
        let c = eval(frame, cond, 0);
        if let Some(truth) = c.truth() {
            self.run(frame, if truth { body } else { orelse });
            return;
        }
        // Undecidable condition: run both branches; whatever they disagree on is undecidable
        // too, for the same reason.
        let before = frame.ns.clone();
        self.run(frame, body);
        let taken = std::mem::replace(&mut frame.ns, before);
        self.run(frame, orelse);
        let names: BTreeSet<String> = taken.keys().chain(frame.ns.keys()).cloned().collect();
        let undecided = |shown: Option<String>| match &c.kind {
            Kind::Env { vars, .. } => Kind::Env {
                vars: vars.clone(),
                fallback: None,
            },
            Kind::Unknown(text) => Kind::Unknown(match shown {
                Some(item) => format!("{item} if {text}"),
                None => format!("if {text}"),
            }),
            _ => Kind::Unknown("a condition".to_string()),
        };
        for name in names {
            let (a, b) = (taken.get(&name), frame.ns.get(&name));
            if a == b {
                continue;
            }
            let at = a.or(b).and_then(|v| v.at.clone());
            // A list changed in one branch keeps the items both branches have; the others
            // become undecidable items, so `contains` still sees the certain ones.
            let kind = match (a.map(|v| &v.kind), b.map(|v| &v.kind)) {
                (Some(Kind::List(x)), Some(Kind::List(y))) => {
                    let common = |item: &Value, other: &[Value]| other.iter().any(|o| o == item);
                    let mut items: Vec<Value> =
                        x.iter().filter(|i| common(i, y)).cloned().collect();
                    for item in x
                        .iter()
                        .filter(|i| !common(i, y))
                        .chain(y.iter().filter(|i| !common(i, x)))
                    {
                        items.push(Value::new(undecided(Some(item.render())), item.at.clone()));
                    }
                    Kind::List(items)
                }
                _ => undecided(None),
            };
            frame.ns.insert(name, Value::new(kind, at));
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

/// The current value of an assignment target (`X` or `X["a"]["b"]`).
pub(super) fn read_target(frame: &Frame<'_>, target: &Target) -> Option<Value> {
    let mut current = frame.ns.get(&target.name)?.clone();
    for key in &target.keys {
        let k = py_str(&eval(frame, key, 0))?;
        current = current.get(&k)?.clone();
    }
    Some(current)
}

pub(super) fn assign(frame: &mut Frame<'_>, target: &Target, value: Value) {
    if target.keys.is_empty() {
        frame.ns.insert(target.name.clone(), value);
        return;
    }
    let keys: Option<Vec<String>> = target
        .keys
        .iter()
        .map(|k| py_str(&eval(frame, k, 0)))
        .collect();
    let Some(keys) = keys else {
        return;
    };
    if let Some(root) = frame.ns.get_mut(&target.name) {
        set_path(root, &keys, value);
    }
}

/// Sets `keys` inside nested dicts, creating the missing levels.
pub(super) fn set_path(container: &mut Value, keys: &[String], value: Value) {
    let Some((first, rest)) = keys.split_first() else {
        *container = value;
        return;
    };
    let Kind::Dict(entries) = &mut container.kind else {
        return;
    };
    let slot = match entries.iter().position(|(k, _)| k == first) {
        Some(i) => i,
        None => {
            let at = if rest.is_empty() {
                value.at.clone()
            } else {
                container.at.clone()
            };
            entries.push((first.clone(), Value::new(Kind::Dict(Vec::new()), at)));
            entries.len() - 1
        }
    };
    set_path(&mut entries[slot].1, rest, value);
}

/// `.append`, `.extend`, `.insert`, `.update`, `.remove` on a settings value.
pub(super) fn mutate(current: Value, method: &str, args: &[Value], at: &Loc) -> Value {
    // The container keeps the location it was created at (findings on a missing item point
    // at the list); the items keep theirs.
    let kept_at = current.at.clone();
    let result = match (&current.kind, method, args) {
        (Kind::List(items), "append", [item]) => {
            let mut items = items.clone();
            items.push(item.clone());
            Kind::List(items)
        }
        (Kind::List(_), "extend", [more]) => binary("+", &current, more, at).kind,
        (Kind::List(items), "insert", [index, item]) => {
            let mut items = items.clone();
            let len = items.len() as i64;
            let at_index = match index.kind {
                Kind::Int(i) if i < 0 => (len + i).max(0),
                Kind::Int(i) => i.min(len),
                _ => len,
            };
            items.insert(usize::try_from(at_index).unwrap_or(0), item.clone());
            Kind::List(items)
        }
        (Kind::List(items), "remove", [item]) => {
            let mut items = items.clone();
            if let Some(i) = items.iter().position(|x| py_eq(x, item)) {
                items.remove(i);
            }
            Kind::List(items)
        }
        (Kind::Dict(_), "update", [more]) => binary("|", &current, more, at).kind,
        (Kind::Env { .. } | Kind::Unknown(_), _, _) => current.kind.clone(),
        _ => Kind::Unknown(format!("{method}(…)")),
    };
    Value::new(result, kept_at)
}

/// `a + b`, `a | b`, `a - b`, `a * b` on decided values.
pub(super) fn binary(op: &str, a: &Value, b: &Value, at: &Loc) -> Value {
    lift(&[a, b], at, |v| match (op, &v[0].kind, &v[1].kind) {
        ("+", Kind::Str(x), Kind::Str(y)) => Kind::Str(format!("{x}{y}")),
        ("+", Kind::List(x), Kind::List(y)) => Kind::List(x.iter().chain(y).cloned().collect()),
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
            let mut merged = x.clone();
            for (k, val) in y {
                merged.retain(|(key, _)| key != k);
                merged.push((k.clone(), val.clone()));
            }
            Kind::Dict(merged)
        }
        _ => Kind::Unknown(format!("… {op} …")),
    })
}

pub(super) fn compare(op: &str, a: &Value, b: &Value, at: &Loc) -> Value {
    lift(&[a, b], at, |v| {
        let (x, y) = (v[0], v[1]);
        let contains = |hay: &Value, needle: &Value| match (&hay.kind, &needle.kind) {
            (Kind::Str(h), Kind::Str(n)) => Some(h.contains(n.as_str())),
            (Kind::List(items), _) => Some(items.iter().any(|i| py_eq(i, needle))),
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

/// Evaluates one expression in a frame.
pub(super) fn eval(frame: &Frame<'_>, node: &Node, depth: usize) -> Value {
    let at = loc(frame, node.span);
    if depth > MAX_EXPR_DEPTH {
        return lit(Kind::Unknown("…".to_string()), &at);
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
            let mut out = Vec::new();
            for item in items {
                if let Expr::Starred(inner) = &item.expr {
                    let v = eval(frame, inner, d);
                    match v.kind {
                        Kind::List(more) => out.extend(more),
                        _ => out.push(v),
                    }
                } else {
                    out.push(eval(frame, item, d));
                }
            }
            lit(Kind::List(out), &at)
        }
        Expr::Dict(items) => {
            let mut entries: Vec<(String, Value)> = Vec::new();
            for item in items {
                match item {
                    DictItem::Pair(k, v) => {
                        if let Some(key) = py_str(&eval(frame, k, d)) {
                            entries.retain(|(e, _)| *e != key);
                            entries.push((key, eval(frame, v, d)));
                        }
                    }
                    DictItem::Splat(inner) => {
                        if let Kind::Dict(more) = eval(frame, inner, d).kind {
                            for (k, v) in more {
                                entries.retain(|(e, _)| *e != k);
                                entries.push((k, v));
                            }
                        }
                    }
                }
            }
            lit(Kind::Dict(entries), &at)
        }
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
        Expr::BinOp(op, l, r) => binary(op, &eval(frame, l, d), &eval(frame, r, d), &at),
        Expr::Compare(op, l, r) => {
            // `"X" in os.environ` is False exactly when the variable is unset.
            if let (Expr::Str(var), Expr::Name { qualified, .. }) = (&l.expr, &r.expr) {
                if qualified == "os.environ" && (op == "in" || op == "not in") {
                    let unset = lit(Kind::Bool(op == "not in"), &at);
                    return env_value(vec![var.clone()], Some(unset), &at);
                }
            }
            compare(op, &eval(frame, l, d), &eval(frame, r, d), &at)
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
                _ => lit(Kind::Unknown("… if … else …".to_string()), &at),
            }
        }
        Expr::Unknown(text) => lit(Kind::Unknown(text.clone()), &at),
    }
}

pub(super) fn lookup_name(frame: &Frame<'_>, name: &str, qualified: &str, at: &Loc) -> Value {
    if let Some(v) = frame.ns.get(name) {
        return v.clone();
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
            .and_then(|k| object.get(&k).map(|v| v.kind.clone()))
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
        Kind::Unknown(_) => left,
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
        (_, Kind::Env { .. } | Kind::Unknown(_)) => return value.clone(),
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
        ("list" | "tuple" | "Csv" | "Csv()", Kind::Str(s)) => Kind::List(
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
