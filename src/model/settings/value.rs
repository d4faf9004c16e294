//! Evaluated settings values: literal, read from the environment, or unknown.

use super::ir::shorten;

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
    List(Vec<Value>),
    /// Keys are the literal keys rendered as strings.
    Dict(Vec<(String, Value)>),
    /// Read from the environment. `fallback` is what the expression gives when every variable
    /// is unset; `None` when there is no default (the value is required from the environment).
    Env {
        vars: Vec<String>,
        fallback: Option<Box<Value>>,
    },
    /// Computed by something audit does not evaluate; a short form of the expression.
    Unknown(String),
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
            Kind::Env { .. } | Kind::Unknown(_) => false,
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
            Kind::Env { .. } | Kind::Unknown(_) => None,
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
            Kind::Dict(entries) => entries.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v),
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
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| py_eq(a, b))
        }
        (Kind::Dict(x), Kind::Dict(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| b.get(k).is_some_and(|w| py_eq(v, w)))
        }
        _ => false,
    }
}

/// Applies `f` to decided inputs; environment reads are replaced by their defaults and the
/// result remembers the variables. Unknown inputs make the result unknown.
pub(super) fn lift(inputs: &[&Value], at: &Loc, f: impl Fn(&[&Value]) -> Kind) -> Value {
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
                for var in v {
                    if !vars.contains(var) {
                        vars.push(var.clone());
                    }
                }
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
            for var in inner {
                if !vars.contains(&var) {
                    vars.push(var);
                }
            }
            fallback.map(|b| *b)
        }
        Some(Value {
            kind: Kind::Unknown(text),
            ..
        }) => return lit(Kind::Unknown(text), at),
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
