//! Evaluated settings values: literal, read from the environment, or unknown.
//!
//! Lists and dicts are shared (`Arc`, as rules hold values and are shared across threads) so that copying a value is O(1) and a statement that grows
//! a setting in place does not copy it; [`Arc::make_mut`] copies only when another name still
//! holds the old value. Containers know their nesting depth and item count and refuse to grow
//! past [`MAX_VALUE_DEPTH`] and [`MAX_VALUE_ITEMS`] (an item past a bound becomes
//! [`Kind::Cut`]), so every walk over a value (equality, rendering, rule tests) is bounded.

use super::ir::shorten;
use std::collections::HashMap;
use std::ops::Deref;
use std::sync::Arc;

/// Values nest at most this deep (`X = [X]` repeated); deeper items become [`Kind::Cut`].
pub const MAX_VALUE_DEPTH: usize = 64;
/// A value holds at most this many items in all (shared parts counted each time they appear,
/// so `X = [X, X]` repeated cannot make walks exponential); further items become one
/// [`Kind::Cut`].
pub const MAX_VALUE_ITEMS: usize = 100_000;

/// Where a value was written: a file and the byte span of its statement, entry or item.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Loc {
    pub file: String,
    pub start: usize,
    pub end: usize,
}

/// An evaluated settings value and where it was written (`None` for Django's defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub kind: Kind,
    pub at: Option<Loc>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    None,
    /// list, tuple or set.
    List(Arc<List>),
    /// Keys are the literal keys rendered as strings.
    Dict(Arc<Dict>),
    /// Read from the environment. `fallback` is what the expression gives when every variable
    /// is unset; `None` when there is no default (the value is required from the environment).
    Env {
        vars: Vec<String>,
        fallback: Option<Box<Value>>,
    },
    /// Computed by something audit does not evaluate; a short form of the expression.
    Unknown(String),
    /// Not evaluated because a documented bound was hit; says which.
    Cut(String),
    /// Set only on some paths through an `if` audit cannot decide: `value` where it is set,
    /// absent (Django's default) elsewhere. `why` names the condition and where it is
    /// (`` `os.environ["HTTPS"] == "1"` holds (settings.py:11) ``). Reading the name later
    /// makes it certain (Python would stop with a NameError otherwise), so only values
    /// nothing reads stay maybe-set.
    Maybe {
        value: Box<Value>,
        why: String,
    },
}

impl Kind {
    pub fn list(items: Vec<Value>) -> Kind {
        Kind::List(Arc::new(List::from(items)))
    }

    pub fn dict(entries: Vec<(String, Value)>) -> Kind {
        Kind::Dict(Arc::new(Dict::from(entries)))
    }
}

/// What a container admits of a new item, keeping within the bounds.
#[derive(Clone, Debug, Default)]
struct Bounds {
    /// 1 + the depth of the deepest item.
    depth: usize,
    /// Items in all, nested ones included.
    size: usize,
    /// The item bound was hit: a `Cut` marker is in and nothing more is added.
    full: bool,
}

impl Bounds {
    /// The item to store for `value`, or `None` when the container is full.
    fn admit(&mut self, value: Value) -> Option<Value> {
        if self.full {
            return None;
        }
        let depth = value.depth() + 1;
        let size = value.size();
        if self.size + size > MAX_VALUE_ITEMS {
            self.full = true;
            self.size += 1;
            let note =
                format!("holds more than {MAX_VALUE_ITEMS} items, the bound on a value's size");
            return Some(Value::new(Kind::Cut(note), value.at));
        }
        if depth > MAX_VALUE_DEPTH {
            self.size += 1;
            let note = format!(
                "is nested deeper than {MAX_VALUE_DEPTH} levels, the bound on a value's depth"
            );
            return Some(Value::new(Kind::Cut(note), value.at));
        }
        self.depth = self.depth.max(depth);
        self.size += size;
        Some(value)
    }
}

/// The items of a list, tuple or set value.
#[derive(Clone, Debug, Default)]
pub struct List {
    items: Vec<Value>,
    bounds: Bounds,
}

impl List {
    pub fn push(&mut self, value: Value) {
        if let Some(v) = self.bounds.admit(value) {
            self.items.push(v);
        }
    }

    /// Inserts at `index` (clamped to the length).
    pub fn insert(&mut self, index: usize, value: Value) {
        if let Some(v) = self.bounds.admit(value) {
            let index = index.min(self.items.len());
            self.items.insert(index, v);
        }
    }

    /// Removes the first item equal to `value` as Python sees it.
    pub fn remove_equal(&mut self, value: &Value) {
        if let Some(i) = self.items.iter().position(|x| py_eq(x, value)) {
            self.items.remove(i);
        }
    }
}

impl From<Vec<Value>> for List {
    fn from(items: Vec<Value>) -> Self {
        let mut list = List {
            items: Vec::with_capacity(items.len()),
            bounds: Bounds::default(),
        };
        for item in items {
            list.push(item);
        }
        list
    }
}

impl Deref for List {
    type Target = [Value];
    fn deref(&self) -> &[Value] {
        &self.items
    }
}

impl PartialEq for List {
    fn eq(&self, other: &Self) -> bool {
        // Shared values are the same value; no need to walk them.
        std::ptr::eq(self, other) || self.items == other.items
    }
}

/// The entries of a dict value, in insertion order, indexed by key.
#[derive(Clone, Debug, Default)]
pub struct Dict {
    entries: Vec<(String, Value)>,
    index: HashMap<String, usize>,
    bounds: Bounds,
}

impl Dict {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.index.get(key).map(|&i| &self.entries[i].1)
    }

    /// Sets `key`; a key already there keeps its place, as in Python.
    pub fn insert(&mut self, key: String, value: Value) {
        let Some(value) = self.bounds.admit(value) else {
            return;
        };
        match self.index.get(&key) {
            Some(&i) => self.entries[i].1 = value,
            None => {
                self.index.insert(key.clone(), self.entries.len());
                self.entries.push((key, value));
            }
        }
    }

    /// The entry under `key`, created as an empty dict when missing (for `X["a"]["b"] = v`);
    /// `None` when the dict is full and refuses it.
    pub(super) fn slot(&mut self, key: &str, at: Option<Loc>) -> Option<&mut Value> {
        if !self.index.contains_key(key) {
            self.insert(key.to_string(), Value::new(Kind::dict(Vec::new()), at));
        }
        let i = *self.index.get(key)?;
        Some(&mut self.entries[i].1)
    }
}

impl From<Vec<(String, Value)>> for Dict {
    fn from(entries: Vec<(String, Value)>) -> Self {
        let mut dict = Dict::default();
        for (k, v) in entries {
            dict.insert(k, v);
        }
        dict
    }
}

impl Deref for Dict {
    type Target = [(String, Value)];
    fn deref(&self) -> &[(String, Value)] {
        &self.entries
    }
}

impl PartialEq for Dict {
    fn eq(&self, other: &Self) -> bool {
        std::ptr::eq(self, other) || self.entries == other.entries
    }
}

impl Value {
    pub fn new(kind: Kind, at: Option<Loc>) -> Self {
        Value { kind, at }
    }

    /// Made only of literals: no environment read and nothing unknown anywhere inside.
    pub fn is_literal(&self) -> bool {
        match &self.kind {
            Kind::List(items) => items.iter().all(Value::is_literal),
            Kind::Dict(entries) => entries.iter().all(|(_, v)| v.is_literal()),
            Kind::Env { .. } | Kind::Unknown(_) | Kind::Cut(_) | Kind::Maybe { .. } => false,
            _ => true,
        }
    }

    /// The value production gets when the environment variables it reads are unset:
    /// `Ok` with the value (itself for a literal), `Err` when it cannot be known.
    pub fn effective(&self) -> Result<&Value, Undecided> {
        match &self.kind {
            Kind::Env {
                fallback: Some(f), ..
            } => Ok(f),
            Kind::Env {
                vars,
                fallback: None,
            } => Err(Undecided::Env(vars.clone())),
            Kind::Unknown(text) => Err(Undecided::Unknown(text.clone())),
            Kind::Cut(note) => Err(Undecided::Cut(note.clone())),
            Kind::Maybe { why, .. } => Err(Undecided::Maybe(why.clone())),
            _ => Ok(self),
        }
    }

    /// Python truthiness of a decided value.
    pub fn truth(&self) -> Option<bool> {
        match &self.effective().ok()?.kind {
            Kind::Str(s) => Some(!s.is_empty()),
            Kind::Int(i) => Some(*i != 0),
            Kind::Float(f) => Some(*f != 0.0),
            Kind::Bool(b) => Some(*b),
            Kind::None => Some(false),
            Kind::List(items) => Some(!items.is_empty()),
            Kind::Dict(entries) => Some(!entries.is_empty()),
            Kind::Env { .. } | Kind::Unknown(_) | Kind::Cut(_) | Kind::Maybe { .. } => None,
        }
    }

    /// The value where it is set, for a maybe-set one (itself otherwise): what a later read
    /// of the name sees.
    pub fn certain(self) -> Value {
        match self.kind {
            Kind::Maybe { value, .. } => value.certain(),
            _ => self,
        }
    }

    /// How deep containers nest inside this value (0 for a scalar).
    pub(super) fn depth(&self) -> usize {
        match &self.kind {
            Kind::List(list) => list.bounds.depth.max(1),
            Kind::Dict(dict) => dict.bounds.depth.max(1),
            Kind::Env {
                fallback: Some(f), ..
            } => f.depth() + 1,
            Kind::Maybe { value, .. } => value.depth() + 1,
            _ => 0,
        }
    }

    /// How many values this one is made of, itself included.
    pub(super) fn size(&self) -> usize {
        match &self.kind {
            Kind::List(list) => 1 + list.bounds.size,
            Kind::Dict(dict) => 1 + dict.bounds.size,
            Kind::Env {
                fallback: Some(f), ..
            } => 1 + f.size(),
            Kind::Maybe { value, .. } => 1 + value.size(),
            _ => 1,
        }
    }

    /// Environment variables this value reads at its top level.
    pub fn env_vars(&self) -> &[String] {
        match &self.kind {
            Kind::Env { vars, .. } => vars,
            _ => &[],
        }
    }

    /// The entry under `key` of a dict value.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match &self.kind {
            Kind::Dict(dict) => dict.get(key),
            _ => None,
        }
    }

    /// Python-like short rendering for messages: `'django-insecure-…'`, `True`, `['*']`.
    pub fn render(&self) -> String {
        match &self.kind {
            Kind::Str(s) => format!("'{}'", shorten(s, 48)),
            Kind::Int(i) => i.to_string(),
            Kind::Float(f) => f.to_string(),
            Kind::Bool(true) => "True".to_string(),
            Kind::Bool(false) => "False".to_string(),
            Kind::None => "None".to_string(),
            Kind::List(items) => {
                let shown: Vec<String> = items.iter().take(4).map(Value::render).collect();
                let more = if items.len() > 4 { ", …" } else { "" };
                format!("[{}{more}]", shown.join(", "))
            }
            Kind::Dict(entries) if entries.is_empty() => "{}".to_string(),
            Kind::Dict(_) => "{…}".to_string(),
            Kind::Env {
                vars,
                fallback: Some(f),
            } => format!("{} (default of {})", f.render(), vars.join(", ")),
            Kind::Env { vars, .. } => format!("the value of {}", vars.join(", ")),
            Kind::Unknown(text) => format!("`{text}`"),
            Kind::Cut(_) => "a value audit did not evaluate".to_string(),
            Kind::Maybe { value, .. } => value.render(),
        }
    }
}

/// Why a value cannot be known statically.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Undecided {
    /// Read from these environment variables with no default.
    Env(Vec<String>),
    /// Computed by this expression.
    Unknown(String),
    /// Not evaluated: a documented bound was hit (the note says which).
    Cut(String),
    /// Set only when a condition audit cannot decide holds (the note names it).
    Maybe(String),
}

impl Undecided {
    /// A note for the check: "… comes from the X environment variable, which has no default".
    pub fn describe(&self, what: &str) -> String {
        match self {
            Undecided::Env(vars) if vars.len() == 1 => format!(
                "{what} comes from the {} environment variable, which has no default",
                vars[0]
            ),
            Undecided::Env(vars) => format!(
                "{what} comes from the environment variables {}, which have no default",
                vars.join(", ")
            ),
            Undecided::Unknown(text) => {
                format!("{what} is computed by `{text}`, which audit does not evaluate")
            }
            Undecided::Cut(note) => format!("{what} is not known: it {note}"),
            Undecided::Maybe(why) => {
                format!("{what} is set only when {why}, which audit cannot decide")
            }
        }
    }
}

pub(super) fn lit(kind: Kind, at: &Loc) -> Value {
    Value::new(kind, Some(at.clone()))
}

/// Python `str()` of a decided scalar.
pub(super) fn py_str(value: &Value) -> Option<String> {
    match &value.kind {
        Kind::Str(s) => Some(s.clone()),
        Kind::Int(i) => Some(i.to_string()),
        Kind::Float(f) => Some(f.to_string()),
        Kind::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
        Kind::None => Some("None".to_string()),
        _ => None,
    }
}

/// Equality of decided values as Python sees it (tuples and lists alike).
pub fn py_eq(a: &Value, b: &Value) -> bool {
    match (&a.kind, &b.kind) {
        (Kind::Str(x), Kind::Str(y)) => x == y,
        (Kind::Int(x), Kind::Int(y)) => x == y,
        (Kind::Float(x), Kind::Float(y)) => x == y,
        (Kind::Int(x), Kind::Float(y)) | (Kind::Float(y), Kind::Int(x)) => (*x as f64) == *y,
        (Kind::Bool(x), Kind::Bool(y)) => x == y,
        (Kind::Bool(x), Kind::Int(y)) | (Kind::Int(y), Kind::Bool(x)) => i64::from(*x) == *y,
        (Kind::None, Kind::None) => true,
        (Kind::List(x), Kind::List(y)) => {
            Arc::ptr_eq(x, y)
                || x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| py_eq(a, b))
        }
        (Kind::Dict(x), Kind::Dict(y)) => {
            Arc::ptr_eq(x, y)
                || x.len() == y.len()
                    && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => false,
    }
}

/// Applies `f` to decided inputs; environment reads are replaced by their defaults and the
/// result remembers the variables. Unknown inputs make the result unknown.
pub(super) fn lift(inputs: &[&Value], at: &Loc, f: impl Fn(&[&Value]) -> Kind) -> Value {
    // A bound that was hit is the more useful note, so it wins over an unknown input.
    // A maybe-set input that is read is set (or Python stops), so its value counts.
    if inputs.iter().any(|v| matches!(v.kind, Kind::Maybe { .. })) {
        let certain: Vec<Value> = inputs.iter().map(|v| (*v).clone().certain()).collect();
        let refs: Vec<&Value> = certain.iter().collect();
        return lift(&refs, at, f);
    }
    if let Some(cut) = inputs.iter().find(|v| matches!(v.kind, Kind::Cut(_))) {
        return lit(cut.kind.clone(), at);
    }
    if let Some(text) = inputs.iter().find_map(|v| match &v.kind {
        Kind::Unknown(t) => Some(t.clone()),
        _ => None,
    }) {
        return lit(Kind::Unknown(text), at);
    }
    let mut vars: Vec<String> = Vec::new();
    let mut required = false;
    let mut plain: Vec<&Value> = Vec::new();
    for input in inputs {
        match &input.kind {
            Kind::Env { vars: v, fallback } => {
                add_vars(&mut vars, v.iter().cloned());
                match fallback {
                    Some(f) => plain.push(f),
                    None => required = true,
                }
            }
            _ => plain.push(input),
        }
    }
    if vars.is_empty() {
        return lit(f(&plain), at);
    }
    if required {
        return lit(
            Kind::Env {
                vars,
                fallback: None,
            },
            at,
        );
    }
    let result = lit(f(&plain), at);
    env_value(vars, Some(result), at)
}

/// An environment-dependent value; nested environment reads are flattened into one.
pub(super) fn env_value(mut vars: Vec<String>, fallback: Option<Value>, at: &Loc) -> Value {
    let fallback = match fallback {
        Some(Value {
            kind: Kind::Env {
                vars: inner,
                fallback,
            },
            ..
        }) => {
            add_vars(&mut vars, inner);
            fallback.map(|b| *b)
        }
        Some(Value {
            kind: kind @ (Kind::Unknown(_) | Kind::Cut(_)),
            ..
        }) => return lit(kind, at),
        other => other,
    };
    lit(
        Kind::Env {
            vars,
            fallback: fallback.map(Box::new),
        },
        at,
    )
}

/// Environment variables a value names in messages; past this many, one `…` stands for the rest
/// (the value reads the environment either way, so no decision depends on the list).
const MAX_ENV_NAMES: usize = 16;

fn add_vars(vars: &mut Vec<String>, more: impl IntoIterator<Item = String>) {
    for var in more {
        if vars.len() > MAX_ENV_NAMES {
            return;
        }
        if !vars.contains(&var) {
            if vars.len() == MAX_ENV_NAMES {
                vars.push("…".to_string());
                return;
            }
            vars.push(var);
        }
    }
}
