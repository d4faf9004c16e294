//! Django settings as production sees them (DESIGN §4.1).
//!
//! Three stages, in pipeline order:
//! 1. per file, while its tree is alive: [`is_candidate`] says whether a Python file may be a
//!    settings module, [`extract`] turns its module-level statements into a small owned IR
//!    ([`Stmt`], [`Node`]) and [`module_hints`] reads `DJANGO_SETTINGS_MODULE` defaults from any file;
//! 2. per project: [`production_profile`] picks the production module, follows its
//!    `from .base import *` chain and evaluates every statement partially into [`Value`]s that know
//!    whether they are literal, read from the environment with a default, or required from it;
//! 3. [`Profile::lookup`] answers a setting path (`DATABASES.default.CONN_MAX_AGE`), falling back to
//!    Django's default for the project's Django version.

use crate::model::symbols::FileSymbols;
use crate::parse::python::PyNode;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Expressions nested deeper than this are not evaluated (pathological input stays cheap).
const MAX_EXPR_DEPTH: usize = 64;
/// A chain of star imports longer than this is cut (real projects use two or three).
const MAX_IMPORT_DEPTH: usize = 16;
/// The Django version assumed when no manifest pins one (latest stable).
pub const LATEST_DJANGO: (u32, u32) = (5, 2);

/// Settings names that make a module a settings module by content.
const CONTENT_MARKERS: &[&str] = &["INSTALLED_APPS", "MIDDLEWARE", "ROOT_URLCONF", "SECRET_KEY"];
/// Module-name tokens of non-production profiles.
const NON_PRODUCTION: &[&str] = &[
    "dev",
    "devel",
    "development",
    "local",
    "test",
    "tests",
    "testing",
    "ci",
    "debug",
    "example",
    "sample",
];
/// Module-name tokens of the production profile, best first.
const PRODUCTION: &[&str] = &["prod", "production", "live", "staging"];

// ---------------------------------------------------------------------------------------------
// The owned IR of one settings module

/// Byte span of an expression in its file: from the start of its context (the statement, the
/// dict entry or the list item it belongs to) to the end of the expression.
pub type Span = (usize, usize);

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub expr: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    NoneLit,
    /// f-string or implicit concatenation: literal parts are `Str`.
    Format(Vec<Node>),
    /// list, tuple or set.
    Seq(Vec<Node>),
    Dict(Vec<DictItem>),
    /// `*x` inside a list.
    Starred(Box<Node>),
    /// A name or dotted chain of names, with what the file's imports make of it.
    Name {
        name: String,
        qualified: String,
    },
    Attr(Box<Node>, String),
    Subscript(Box<Node>, Box<Node>),
    Call {
        /// The callee resolved through imports and bindings (`environ.Env().bool`).
        callee: String,
        func: Box<Node>,
        args: Vec<Node>,
        kwargs: Vec<(String, Node)>,
    },
    BinOp(String, Box<Node>, Box<Node>),
    Compare(String, Box<Node>, Box<Node>),
    /// `and` (true) / `or` (false).
    BoolOp(bool, Box<Node>, Box<Node>),
    Not(Box<Node>),
    IfElse(Box<Node>, Box<Node>, Box<Node>),
    /// Anything not evaluated; the (shortened) source text.
    Unknown(String),
}

#[derive(Clone, Debug, PartialEq)]
pub enum DictItem {
    Pair(Node, Node),
    Splat(Node),
}

/// The left-hand side of a settings statement: `NAME` or `NAME["a"]["b"]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub name: String,
    pub keys: Vec<Node>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Stmt {
    Assign {
        targets: Vec<Target>,
        value: Node,
    },
    /// `X += v`, `X |= v`.
    AugAssign {
        target: Target,
        op: String,
        value: Node,
    },
    /// `X.append(v)`, `.extend`, `.insert`, `.update`, `.remove`.
    Mutate {
        target: Target,
        method: String,
        args: Vec<Node>,
        span: Span,
    },
    StarImport {
        level: usize,
        module: String,
    },
    FromImport {
        level: usize,
        module: String,
        /// (imported name, bound name).
        names: Vec<(String, String)>,
    },
    If {
        cond: Node,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
}

/// What the project stage keeps of one candidate settings module.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingsFile {
    pub rel: String,
    /// Dotted module path from the relative path (`apps.backend.config.settings.base`).
    pub module: String,
    pub is_package: bool,
    /// How many distinct content markers (INSTALLED_APPS, MIDDLEWARE, ROOT_URLCONF,
    /// SECRET_KEY) it assigns at module level.
    pub markers: usize,
    /// Named like a settings module (`settings.py`, `settings/*.py`, `*_settings.py`).
    pub named: bool,
    pub source: String,
    pub body: Vec<Stmt>,
}

/// A `DJANGO_SETTINGS_MODULE` default found in a file (`manage.py`, `wsgi.py`, `asgi.py`, …).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ModuleHint {
    pub rel: String,
    pub module: String,
}

/// The dotted module of a relative path: `a/b/settings/__init__.py` → (`a.b.settings`, true).
pub fn module_of(rel: &str) -> (String, bool) {
    let stem = rel.strip_suffix(".py").unwrap_or(rel);
    let mut parts: Vec<&str> = stem.split('/').filter(|p| !p.is_empty()).collect();
    let is_package = parts.last() == Some(&"__init__");
    if is_package {
        parts.pop();
    }
    (parts.join("."), is_package)
}

/// The module-name tokens (`settings_prod` → [`settings`, `prod`]) of the last segment.
fn name_tokens(module: &str) -> Vec<String> {
    let last = module.rsplit('.').next().unwrap_or(module);
    last.split(['_', '-'])
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// A module named like a development, test or example profile.
pub fn is_non_production_name(module: &str) -> bool {
    name_tokens(module)
        .iter()
        .any(|t| NON_PRODUCTION.contains(&t.as_str()))
}

/// Rank of a production-named module (0 best), if it is one.
fn production_rank(module: &str) -> Option<usize> {
    let tokens = name_tokens(module);
    PRODUCTION
        .iter()
        .position(|p| tokens.iter().any(|t| t == p))
}

pub fn named_like_settings(rel: &str) -> bool {
    let mut parts: Vec<&str> = rel.split('/').collect();
    let file = parts.pop().unwrap_or("");
    let stem = file.strip_suffix(".py").unwrap_or(file);
    stem == "settings"
        || stem.ends_with("_settings")
        || stem.starts_with("settings_")
        || parts.last() == Some(&"settings")
}

/// How many distinct content markers some line assigns at module level (no indentation).
fn content_markers(text: &str) -> usize {
    CONTENT_MARKERS
        .iter()
        .filter(|m| {
            text.lines().any(|line| {
                line.strip_prefix(*m).is_some_and(|rest| {
                    let rest = rest.trim_start();
                    rest.starts_with('=') && !rest.starts_with("==") || rest.starts_with("+=")
                })
            })
        })
        .count()
}

/// Whether a (non-test) Python file may be a settings module and must be parsed for the
/// settings model, whatever the rule prefilter says. Django's own defaults module is not a
/// project's settings.
pub fn is_candidate(rel: &str, text: &str) -> bool {
    rel.ends_with(".py")
        && !rel.ends_with("django/conf/global_settings.py")
        && (named_like_settings(rel) || content_markers(text) > 0)
}

/// `DJANGO_SETTINGS_MODULE` defaults written as literals: `os.environ.setdefault("…", "x")` or
/// `os.environ["…"] = "x"`. Read from the text, so no parse is needed.
pub fn module_hints(rel: &str, text: &str) -> Vec<ModuleHint> {
    const KEY: &str = "DJANGO_SETTINGS_MODULE";
    let mut hints = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        rest = &rest[at + KEY.len()..];
        let after = rest.trim_start_matches(['"', '\'']).trim_start();
        let after = after
            .strip_prefix(',')
            .or_else(|| {
                after
                    .strip_prefix(']')
                    .map(str::trim_start)
                    .and_then(|a| a.strip_prefix('='))
                    .filter(|a| !a.starts_with('='))
            })
            .map(str::trim_start);
        if let Some(value) = after.and_then(quoted_prefix) {
            let dotted = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if dotted {
                hints.push(ModuleHint {
                    rel: rel.to_string(),
                    module: value.to_string(),
                });
            }
        }
    }
    hints
}

/// The content of a string literal at the start of `text` (`"x.y"` → `x.y`).
fn quoted_prefix(text: &str) -> Option<&str> {
    let quote = text.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &text[1..];
    body.find(quote).map(|end| &body[..end])
}

/// Extracts the module-level statements of one parsed settings candidate.
pub fn extract(rel: &str, root: &PyNode<'_>) -> SettingsFile {
    let symbols = FileSymbols::collect(root);
    let converter = Converter { symbols: &symbols };
    let body = converter.block(root);
    let (module, is_package) = module_of(rel);
    let source = root.text().to_string();
    SettingsFile {
        rel: rel.to_string(),
        module,
        is_package,
        markers: content_markers(&source),
        named: named_like_settings(rel),
        source,
        body,
    }
}

struct Converter<'s, 'r> {
    symbols: &'s FileSymbols<'r>,
}

impl<'r> Converter<'_, 'r> {
    /// The statements of a module or block, flattening `try`/`with` bodies.
    fn block(&self, node: &PyNode<'r>) -> Vec<Stmt> {
        let mut out = Vec::new();
        for child in node.named_children() {
            self.statement(&child, &mut out);
        }
        out
    }

    fn statement(&self, node: &PyNode<'r>, out: &mut Vec<Stmt>) {
        match node.kind().as_ref() {
            "expression_statement" => {
                for child in node.named_children() {
                    self.expression_statement(&child, out);
                }
            }
            "import_from_statement" => self.import_from(node, out),
            "if_statement" => out.push(self.if_statement(node)),
            "try_statement" => {
                // The body runs; `except` handlers are the unusual path. `else`/`finally` run too.
                for child in node.named_children() {
                    match child.kind().as_ref() {
                        "block" => out.extend(self.block(&child)),
                        "else_clause" | "finally_clause" => {
                            if let Some(body) = child.field("body").or_else(|| last_block(&child)) {
                                out.extend(self.block(&body));
                            }
                        }
                        _ => {}
                    }
                }
            }
            "with_statement" => {
                if let Some(body) = node.field("body") {
                    out.extend(self.block(&body));
                }
            }
            _ => {}
        }
    }

    fn expression_statement(&self, node: &PyNode<'r>, out: &mut Vec<Stmt>) {
        let stmt_start = node.range().start;
        match node.kind().as_ref() {
            "assignment" => {
                let mut targets = Vec::new();
                let mut current = node.clone();
                // `A = B = v` nests assignments on the right.
                loop {
                    let (Some(left), Some(right)) = (current.field("left"), current.field("right"))
                    else {
                        return;
                    };
                    if left.kind() == "pattern_list" || left.kind() == "tuple_pattern" {
                        self.unpack(&left, &right, stmt_start, out);
                        return;
                    }
                    if let Some(target) = self.target(&left, stmt_start) {
                        targets.push(target);
                    }
                    if right.kind() == "assignment" {
                        current = right;
                        continue;
                    }
                    if !targets.is_empty() {
                        let value = self.node(&right, stmt_start, 0);
                        out.push(Stmt::Assign { targets, value });
                    }
                    return;
                }
            }
            "augmented_assignment" => {
                let (Some(left), Some(right), Some(op)) = (
                    node.field("left"),
                    node.field("right"),
                    node.field("operator"),
                ) else {
                    return;
                };
                if let Some(target) = self.target(&left, stmt_start) {
                    out.push(Stmt::AugAssign {
                        target,
                        op: op.text().trim_end_matches('=').to_string(),
                        value: self.node(&right, stmt_start, 0),
                    });
                }
            }
            "call" => {
                let Some(function) = node.field("function") else {
                    return;
                };
                if function.kind() != "attribute" {
                    return;
                }
                let (Some(object), Some(method)) =
                    (function.field("object"), function.field("attribute"))
                else {
                    return;
                };
                let method = method.text().to_string();
                if !matches!(
                    method.as_str(),
                    "append" | "extend" | "insert" | "update" | "remove"
                ) {
                    return;
                }
                if let Some(target) = self.target(&object, stmt_start) {
                    let args = node
                        .field("arguments")
                        .map(|a| {
                            a.named_children()
                                .filter(|c| c.kind() != "comment" && c.kind() != "keyword_argument")
                                .map(|c| self.node(&c, stmt_start, 0))
                                .collect()
                        })
                        .unwrap_or_default();
                    out.push(Stmt::Mutate {
                        target,
                        method,
                        args,
                        span: (stmt_start, node.range().end),
                    });
                }
            }
            _ => {}
        }
    }

    /// `A, B = 1, 2`: pairwise when both sides have the same length.
    fn unpack(&self, left: &PyNode<'r>, right: &PyNode<'r>, start: usize, out: &mut Vec<Stmt>) {
        let names: Vec<PyNode<'r>> = left.named_children().collect();
        let values: Vec<PyNode<'r>> = match right.kind().as_ref() {
            "expression_list" | "tuple" | "list" => right.named_children().collect(),
            _ => return,
        };
        if names.len() != values.len() {
            return;
        }
        for (name, value) in names.iter().zip(&values) {
            if let Some(target) = self.target(name, start) {
                out.push(Stmt::Assign {
                    targets: vec![target],
                    value: self.node(value, start, 0),
                });
            }
        }
    }

    fn target(&self, node: &PyNode<'r>, start: usize) -> Option<Target> {
        match node.kind().as_ref() {
            "identifier" => Some(Target {
                name: node.text().to_string(),
                keys: Vec::new(),
            }),
            "subscript" => {
                let mut target = self.target(&node.field("value")?, start)?;
                let key = node.field("subscript")?;
                target.keys.push(self.node(&key, start, 0));
                Some(target)
            }
            _ => None,
        }
    }

    fn import_from(&self, node: &PyNode<'r>, out: &mut Vec<Stmt>) {
        let Some(module) = node.field("module_name") else {
            return;
        };
        let text = module.text().to_string();
        let level = text.chars().take_while(|c| *c == '.').count();
        let name = text[level..].to_string();
        if node.children().any(|c| c.kind() == "wildcard_import") {
            out.push(Stmt::StarImport {
                level,
                module: name,
            });
            return;
        }
        let mut names = Vec::new();
        for child in node.field_children("name") {
            match child.kind().as_ref() {
                "dotted_name" => {
                    let n = child.text().to_string();
                    names.push((n.clone(), n));
                }
                "aliased_import" => {
                    if let (Some(n), Some(a)) = (child.field("name"), child.field("alias")) {
                        names.push((n.text().to_string(), a.text().to_string()));
                    }
                }
                _ => {}
            }
        }
        if !names.is_empty() {
            out.push(Stmt::FromImport {
                level,
                module: name,
                names,
            });
        }
    }

    fn if_statement(&self, node: &PyNode<'r>) -> Stmt {
        let alternatives: Vec<PyNode<'r>> = node.field_children("alternative").collect();
        self.conditional(node, &alternatives)
    }

    /// An `if` or `elif` clause with the clauses that follow it; `elif` chains become nested
    /// ifs in the else branch.
    fn conditional(&self, clause: &PyNode<'r>, following: &[PyNode<'r>]) -> Stmt {
        let start = clause.range().start;
        let cond = clause
            .field("condition")
            .map(|c| self.node(&c, start, 0))
            .unwrap_or_else(|| unknown_node("<condition>", (start, start)));
        let body = clause
            .field("consequence")
            .map(|b| self.block(&b))
            .unwrap_or_default();
        let orelse = self.alternatives(following);
        Stmt::If { cond, body, orelse }
    }

    fn alternatives(&self, alternatives: &[PyNode<'r>]) -> Vec<Stmt> {
        let Some((first, rest)) = alternatives.split_first() else {
            return Vec::new();
        };
        match first.kind().as_ref() {
            "else_clause" => first
                .field("body")
                .map(|b| self.block(&b))
                .unwrap_or_default(),
            "elif_clause" => vec![self.conditional(first, rest)],
            _ => Vec::new(),
        }
    }

    /// Converts an expression; `ctx` is the start of its statement, dict entry or list item.
    fn node(&self, node: &PyNode<'r>, ctx: usize, depth: usize) -> Node {
        let span = (ctx, node.range().end);
        if depth > MAX_EXPR_DEPTH {
            return unknown_node(&node.text(), span);
        }
        let d = depth + 1;
        let expr = match node.kind().as_ref() {
            "string" => self.string(node, ctx, d),
            "concatenated_string" => {
                let mut parts = Vec::new();
                for s in node.named_children() {
                    match self.string(&s, ctx, d) {
                        Expr::Format(inner) => parts.extend(inner),
                        other => parts.push(Node {
                            expr: other,
                            span: (ctx, s.range().end),
                        }),
                    }
                }
                Expr::Format(parts)
            }
            "integer" => parse_int(&node.text()).map_or_else(|| unknown(&node.text()), Expr::Int),
            "float" => node
                .text()
                .replace('_', "")
                .parse()
                .map_or_else(|_| unknown(&node.text()), Expr::Float),
            "true" => Expr::Bool(true),
            "false" => Expr::Bool(false),
            "none" => Expr::NoneLit,
            "list" | "tuple" | "set" | "expression_list" => Expr::Seq(
                node.named_children()
                    .filter(|c| c.kind() != "comment")
                    .map(|c| self.node(&c, c.range().start, d))
                    .collect(),
            ),
            "parenthesized_expression" => {
                match node.named_children().find(|c| c.kind() != "comment") {
                    Some(inner) => return self.node(&inner, ctx, d),
                    None => unknown(&node.text()),
                }
            }
            "list_splat" => match node.named_children().next() {
                Some(inner) => Expr::Starred(Box::new(self.node(&inner, ctx, d))),
                None => unknown(&node.text()),
            },
            "dictionary" => Expr::Dict(
                node.named_children()
                    .filter_map(|c| match c.kind().as_ref() {
                        "pair" => {
                            let start = c.range().start;
                            Some(DictItem::Pair(
                                self.node(&c.field("key")?, start, d),
                                self.node(&c.field("value")?, start, d),
                            ))
                        }
                        "dictionary_splat" => c
                            .named_children()
                            .next()
                            .map(|inner| DictItem::Splat(self.node(&inner, ctx, d))),
                        _ => None,
                    })
                    .collect(),
            ),
            "identifier" => Expr::Name {
                name: node.text().to_string(),
                qualified: self.symbols.qualify(node),
            },
            "attribute" => self.attribute(node, ctx, d),
            "subscript" => match (node.field("value"), node.field("subscript")) {
                (Some(value), Some(key)) => Expr::Subscript(
                    Box::new(self.node(&value, ctx, d)),
                    Box::new(self.node(&key, ctx, d)),
                ),
                _ => unknown(&node.text()),
            },
            "call" => self.call(node, ctx, d),
            "binary_operator" => match (
                node.field("left"),
                node.field("operator"),
                node.field("right"),
            ) {
                (Some(l), Some(op), Some(r)) => Expr::BinOp(
                    op.text().to_string(),
                    Box::new(self.node(&l, ctx, d)),
                    Box::new(self.node(&r, ctx, d)),
                ),
                _ => unknown(&node.text()),
            },
            "comparison_operator" => self.comparison(node, ctx, d),
            "boolean_operator" => match (
                node.field("left"),
                node.field("operator"),
                node.field("right"),
            ) {
                (Some(l), Some(op), Some(r)) => Expr::BoolOp(
                    op.text() == "and",
                    Box::new(self.node(&l, ctx, d)),
                    Box::new(self.node(&r, ctx, d)),
                ),
                _ => unknown(&node.text()),
            },
            "not_operator" => match node.field("argument") {
                Some(a) => Expr::Not(Box::new(self.node(&a, ctx, d))),
                None => unknown(&node.text()),
            },
            "unary_operator" => {
                let op = node.field("operator").map(|o| o.text().to_string());
                match (
                    op.as_deref(),
                    node.field("argument").map(|a| self.node(&a, ctx, d).expr),
                ) {
                    (Some("-"), Some(Expr::Int(i))) => Expr::Int(-i),
                    (Some("-"), Some(Expr::Float(f))) => Expr::Float(-f),
                    (Some("+"), Some(e @ (Expr::Int(_) | Expr::Float(_)))) => e,
                    _ => unknown(&node.text()),
                }
            }
            "conditional_expression" => {
                let parts: Vec<PyNode<'r>> = node
                    .named_children()
                    .filter(|c| c.kind() != "comment")
                    .collect();
                match parts.as_slice() {
                    [then, cond, orelse] => Expr::IfElse(
                        Box::new(self.node(cond, ctx, d)),
                        Box::new(self.node(then, ctx, d)),
                        Box::new(self.node(orelse, ctx, d)),
                    ),
                    _ => unknown(&node.text()),
                }
            }
            _ => unknown(&node.text()),
        };
        Node { expr, span }
    }

    fn attribute(&self, node: &PyNode<'r>, ctx: usize, d: usize) -> Expr {
        let (Some(object), Some(attr)) = (node.field("object"), node.field("attribute")) else {
            return unknown(&node.text());
        };
        if is_name_chain(node) {
            return Expr::Name {
                name: node.text().to_string(),
                qualified: self.symbols.qualify(node),
            };
        }
        Expr::Attr(
            Box::new(self.node(&object, ctx, d)),
            attr.text().to_string(),
        )
    }

    fn call(&self, node: &PyNode<'r>, ctx: usize, d: usize) -> Expr {
        let Some(function) = node.field("function") else {
            return unknown(&node.text());
        };
        let mut args = Vec::new();
        let mut kwargs = Vec::new();
        if let Some(list) = node.field("arguments") {
            for child in list.named_children() {
                match child.kind().as_ref() {
                    "keyword_argument" => {
                        if let (Some(name), Some(value)) =
                            (child.field("name"), child.field("value"))
                        {
                            kwargs.push((name.text().to_string(), self.node(&value, ctx, d)));
                        }
                    }
                    "comment" => {}
                    _ => args.push(self.node(&child, ctx, d)),
                }
            }
        }
        Expr::Call {
            callee: self.symbols.qualify(&function),
            func: Box::new(self.node(&function, ctx, d)),
            args,
            kwargs,
        }
    }

    fn comparison(&self, node: &PyNode<'r>, ctx: usize, d: usize) -> Expr {
        let operands: Vec<PyNode<'r>> = node
            .named_children()
            .filter(|c| c.kind() != "comment")
            .collect();
        if operands.len() != 2 {
            return unknown(&node.text());
        }
        let operator: String = node
            .children()
            .filter(|c| !c.is_named())
            .map(|c| c.text().to_string())
            .collect::<Vec<_>>()
            .join(" ");
        Expr::Compare(
            operator,
            Box::new(self.node(&operands[0], ctx, d)),
            Box::new(self.node(&operands[1], ctx, d)),
        )
    }

    fn string(&self, node: &PyNode<'r>, ctx: usize, d: usize) -> Expr {
        let text = node.text();
        let prefix: String = text
            .chars()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect::<String>()
            .to_ascii_lowercase();
        let raw = prefix.contains('r');
        let mut parts: Vec<Node> = Vec::new();
        let mut literal = String::new();
        let mut interpolated = false;
        for child in node.children() {
            match child.kind().as_ref() {
                "string_content" => literal.push_str(&child.text()),
                "escape_sequence" => {
                    if raw {
                        literal.push_str(&child.text());
                    } else {
                        literal.push_str(&unescape(&child.text()));
                    }
                }
                "interpolation" => {
                    interpolated = true;
                    if !literal.is_empty() {
                        parts.push(Node {
                            expr: Expr::Str(std::mem::take(&mut literal)),
                            span: (ctx, child.range().start),
                        });
                    }
                    let inner = child
                        .field("expression")
                        .or_else(|| child.named_children().next());
                    parts.push(match inner {
                        Some(inner) => self.node(&inner, ctx, d),
                        None => unknown_node(&child.text(), (ctx, child.range().end)),
                    });
                }
                _ => {}
            }
        }
        if !interpolated {
            return Expr::Str(literal);
        }
        if !literal.is_empty() {
            parts.push(Node {
                expr: Expr::Str(literal),
                span: (ctx, node.range().end),
            });
        }
        Expr::Format(parts)
    }
}

fn last_block<'r>(node: &PyNode<'r>) -> Option<PyNode<'r>> {
    node.named_children().filter(|c| c.kind() == "block").last()
}

/// `a.b.c` made only of identifiers.
fn is_name_chain(node: &PyNode<'_>) -> bool {
    match node.kind().as_ref() {
        "identifier" => true,
        "attribute" => node.field("object").is_some_and(|o| is_name_chain(&o)),
        _ => false,
    }
}

fn parse_int(text: &str) -> Option<i64> {
    let clean = text.replace('_', "").to_ascii_lowercase();
    if let Some(hex) = clean.strip_prefix("0x") {
        return i64::from_str_radix(hex, 16).ok();
    }
    if let Some(oct) = clean.strip_prefix("0o") {
        return i64::from_str_radix(oct, 8).ok();
    }
    if let Some(bin) = clean.strip_prefix("0b") {
        return i64::from_str_radix(bin, 2).ok();
    }
    clean.parse().ok()
}

fn unescape(seq: &str) -> String {
    match seq {
        "\\n" => "\n".to_string(),
        "\\t" => "\t".to_string(),
        "\\r" => "\r".to_string(),
        "\\\\" => "\\".to_string(),
        "\\'" => "'".to_string(),
        "\\\"" => "\"".to_string(),
        "\\0" => "\0".to_string(),
        other => other.to_string(),
    }
}

/// Unknown expressions keep a short form of their text for messages and notes.
fn unknown(text: &str) -> Expr {
    Expr::Unknown(shorten(&crate::findings::fold_whitespace(text), 60))
}

fn unknown_node(text: &str, span: Span) -> Node {
    Node {
        expr: unknown(text),
        span,
    }
}

/// At most `max` characters, with `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

// ---------------------------------------------------------------------------------------------
// Values

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

fn lit(kind: Kind, at: &Loc) -> Value {
    Value::new(kind, Some(at.clone()))
}

/// Python `str()` of a decided scalar.
fn py_str(value: &Value) -> Option<String> {
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
fn lift(inputs: &[&Value], at: &Loc, f: impl Fn(&[&Value]) -> Kind) -> Value {
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
fn env_value(mut vars: Vec<String>, fallback: Option<Value>, at: &Loc) -> Value {
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

// ---------------------------------------------------------------------------------------------
// Evaluation

type Namespace = BTreeMap<String, Value>;
/// Where each top-level name was last assigned (the statement), to tell the setting that
/// writes a literal from the ones that copy it.
type Defined = BTreeMap<String, Loc>;

/// One settings module being executed.
struct Frame<'f> {
    file: &'f SettingsFile,
    ns: Namespace,
    defined: Defined,
    /// django-environ `Env(NAME=(cast, default))` schemes seen so far.
    schemes: HashMap<String, Value>,
}

struct Evaluator<'a> {
    files: &'a [SettingsFile],
    cache: HashMap<usize, (Namespace, Defined)>,
    active: Vec<usize>,
    /// Every file merged into the profile, in the order first executed.
    merged: Vec<String>,
    /// Star imports that could not be resolved to a settings module of the repository.
    unresolved: BTreeSet<String>,
}

impl<'a> Evaluator<'a> {
    fn new(files: &'a [SettingsFile]) -> Self {
        Evaluator {
            files,
            cache: HashMap::new(),
            active: Vec::new(),
            merged: Vec::new(),
            unresolved: BTreeSet::new(),
        }
    }

    fn module(&mut self, index: usize) -> (Namespace, Defined) {
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

fn loc(frame: &Frame<'_>, span: Span) -> Loc {
    Loc {
        file: frame.file.rel.clone(),
        start: span.0,
        end: span.1,
    }
}

/// The current value of an assignment target (`X` or `X["a"]["b"]`).
fn read_target(frame: &Frame<'_>, target: &Target) -> Option<Value> {
    let mut current = frame.ns.get(&target.name)?.clone();
    for key in &target.keys {
        let k = py_str(&eval(frame, key, 0))?;
        current = current.get(&k)?.clone();
    }
    Some(current)
}

fn assign(frame: &mut Frame<'_>, target: &Target, value: Value) {
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
fn set_path(container: &mut Value, keys: &[String], value: Value) {
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
fn mutate(current: Value, method: &str, args: &[Value], at: &Loc) -> Value {
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
fn binary(op: &str, a: &Value, b: &Value, at: &Loc) -> Value {
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

fn compare(op: &str, a: &Value, b: &Value, at: &Loc) -> Value {
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
fn eval(frame: &Frame<'_>, node: &Node, depth: usize) -> Value {
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

fn lookup_name(frame: &Frame<'_>, name: &str, qualified: &str, at: &Loc) -> Value {
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

fn index(object: &Value, key: &Value) -> Kind {
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
fn bool_op(and: bool, left: Value, right: Value, at: &Loc) -> Value {
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
fn truthy_text(text: &str) -> bool {
    matches!(
        text.trim().to_ascii_lowercase().as_str(),
        "true" | "1" | "yes" | "y" | "on" | "ok" | "t"
    )
}

/// `bool`, `int`, `float`, `str`, `list`, `Csv()` casts of a default.
fn apply_cast(cast: &str, value: &Value, at: &Loc) -> Value {
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

/// Which environment reader a callee is, if any.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Reader {
    /// `os.getenv(var, default)`, `os.environ.get(var, default)`.
    Os,
    /// django-environ `env(var, cast, default)`.
    EnvCall,
    /// django-environ `env.<cast>(var, default)`, `env.list(var, cast, default)`.
    EnvMethod,
    /// python-decouple `config(var, default, cast)`.
    Decouple,
    /// `dj_database_url.config(env=, default=, conn_max_age=)`.
    DbUrlConfig,
    /// `dj_database_url.parse(url, conn_max_age=)`.
    DbUrlParse,
    /// A project's own wrapper: `get_env_bool("X", default)`, `env_int("X", 0)`.
    Helper,
}

/// The cast of a project-defined environment helper, from its name: `get_env_bool` → `bool`,
/// `get_env` → `str`. Only names that say they read the environment.
fn env_helper_cast(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let stem = lower
        .strip_prefix("get_env")
        .or_else(|| lower.strip_prefix("getenv_"))
        .or_else(|| lower.strip_prefix("env_"))
        .or_else(|| lower.strip_prefix("read_env"))?;
    let cast = stem
        .trim_start_matches(['_', 'v'])
        .trim_start_matches("ar_");
    match cast {
        "" | "str" | "string" => Some("str"),
        "bool" | "boolean" | "flag" => Some("bool"),
        "int" | "integer" => Some("int"),
        "float" => Some("float"),
        "list" | "tuple" => Some("list"),
        _ => None,
    }
}

fn reader_of(callee: &str) -> Option<(Reader, &str)> {
    let method = callee.rsplit('.').next().unwrap_or(callee);
    if let Some(cast) = env_helper_cast(method) {
        if !callee.starts_with("environ.") && !callee.starts_with("os.") {
            return Some((Reader::Helper, cast));
        }
    }
    match callee {
        "os.getenv" | "os.environ.get" | "os.environ.setdefault" => Some((Reader::Os, "")),
        "environ.Env()" | "environ.FileAwareEnv()" => Some((Reader::EnvCall, "")),
        "decouple.config" | "decouple.AutoConfig()" | "decouple.Config()" => {
            Some((Reader::Decouple, ""))
        }
        "dj_database_url.config" => Some((Reader::DbUrlConfig, "")),
        "dj_database_url.parse" => Some((Reader::DbUrlParse, "")),
        _ if callee.starts_with("environ.Env().")
            || callee.starts_with("environ.Env.")
            || callee.starts_with("environ.FileAwareEnv().") =>
        {
            Some((Reader::EnvMethod, method))
        }
        _ => None,
    }
}

fn arg<'n>(
    args: &'n [Node],
    kwargs: &'n [(String, Node)],
    position: usize,
    keyword: &str,
) -> Option<&'n Node> {
    kwargs
        .iter()
        .find(|(k, _)| k == keyword)
        .map(|(_, v)| v)
        .or_else(|| args.get(position))
}

fn call(
    frame: &Frame<'_>,
    callee: &str,
    func: &Node,
    args: &[Node],
    kwargs: &[(String, Node)],
    at: &Loc,
    d: usize,
) -> Value {
    let ev = |n: &Node| eval(frame, n, d);
    let callee = resolve_callee(frame, func, callee);
    let callee = callee.as_str();
    if let Some((reader, method)) = reader_of(callee) {
        return read_env(frame, reader, method, args, kwargs, at, d);
    }
    if READER_CONSTRUCTORS.contains(&callee) {
        // Kept as a marker so `env.bool(...)` works in modules that star-import `env`.
        return lit(Kind::Unknown(format!("{callee}()")), at);
    }
    let last = callee.rsplit('.').next().unwrap_or(callee);
    // Builtin casts and constructors.
    if callee == last {
        match (last, args) {
            ("bool" | "int" | "float" | "str" | "list" | "tuple" | "set", [x]) => {
                let v = ev(x);
                return lift(&[&v], at, |x| apply_cast(last, x[0], at).kind);
            }
            ("dict", []) => {
                let entries = kwargs.iter().map(|(k, v)| (k.clone(), ev(v))).collect();
                return lit(Kind::Dict(entries), at);
            }
            _ => {}
        }
    }
    // Methods on evaluated values: `os.environ["X"].split(",")`, `NAME.lower()`.
    let receiver = match &func.expr {
        Expr::Attr(object, _) => Some(ev(object)),
        Expr::Name { name, .. } => name
            .rsplit_once('.')
            .and_then(|(recv, _)| frame.ns.get(recv).cloned()),
        _ => None,
    };
    if let Some(receiver) = receiver {
        let argv: Vec<Value> = args.iter().map(ev).collect();
        return method_call(&receiver, last, &argv, at);
    }
    let shown = format!("{}(…)", shorten(callee, 50));
    lit(Kind::Unknown(shown), at)
}

/// Constructors of environment readers whose instances are called later.
const READER_CONSTRUCTORS: &[&str] = &[
    "environ.Env",
    "environ.FileAwareEnv",
    "decouple.AutoConfig",
    "decouple.Config",
];

/// The callee through a reader instance bound in the namespace (`env` star-imported from a
/// base module holds the `environ.Env()` marker).
fn resolve_callee(frame: &Frame<'_>, func: &Node, callee: &str) -> String {
    if let Expr::Name { name, .. } = &func.expr {
        let (root, rest) = name.split_once('.').unwrap_or((name.as_str(), ""));
        if let Some(Value {
            kind: Kind::Unknown(marker),
            ..
        }) = frame.ns.get(root)
        {
            let is_reader = marker
                .strip_suffix("()")
                .is_some_and(|c| READER_CONSTRUCTORS.contains(&c));
            if is_reader {
                return if rest.is_empty() {
                    marker.clone()
                } else {
                    format!("{marker}.{rest}")
                };
            }
        }
    }
    callee.to_string()
}

fn method_call(receiver: &Value, method: &str, args: &[Value], at: &Loc) -> Value {
    let mut inputs = vec![receiver];
    inputs.extend(args.iter());
    let shown = format!("{}(…)", method);
    // A method on a missing environment variable's `None` fails: the value is required.
    if let Kind::Env {
        vars,
        fallback: Some(f),
    } = &receiver.kind
    {
        if f.kind == Kind::None {
            return env_value(vars.clone(), None, at);
        }
    }
    lift(&inputs, at, |v| {
        let text = |i: usize| v.get(i).and_then(|x| py_str(x));
        match (&v[0].kind, method) {
            (Kind::Str(s), "split") => {
                let parts: Vec<Value> = match text(1) {
                    Some(sep) if !sep.is_empty() => s
                        .split(sep.as_str())
                        .map(|p| lit(Kind::Str(p.to_string()), at))
                        .collect(),
                    _ => s
                        .split_whitespace()
                        .map(|p| lit(Kind::Str(p.to_string()), at))
                        .collect(),
                };
                Kind::List(parts)
            }
            (Kind::Str(s), "lower") => Kind::Str(s.to_lowercase()),
            (Kind::Str(s), "upper") => Kind::Str(s.to_uppercase()),
            (Kind::Str(s), "strip") => Kind::Str(s.trim().to_string()),
            (Kind::Str(s), "lstrip") => Kind::Str(s.trim_start().to_string()),
            (Kind::Str(s), "rstrip") => Kind::Str(s.trim_end().to_string()),
            (Kind::Str(s), "replace") => match (text(1), text(2)) {
                (Some(a), Some(b)) => Kind::Str(s.replace(&a, &b)),
                _ => Kind::Unknown(shown.clone()),
            },
            (Kind::Str(s), "startswith") => text(1).map_or(Kind::Unknown(shown.clone()), |p| {
                Kind::Bool(s.starts_with(&p))
            }),
            (Kind::Str(s), "endswith") => text(1).map_or(Kind::Unknown(shown.clone()), |p| {
                Kind::Bool(s.ends_with(&p))
            }),
            (Kind::Str(sep), "join") => match v.get(1).map(|x| &x.kind) {
                Some(Kind::List(items)) => items
                    .iter()
                    .map(py_str)
                    .collect::<Option<Vec<String>>>()
                    .map_or(Kind::Unknown(shown.clone()), |parts| {
                        Kind::Str(parts.join(sep))
                    }),
                _ => Kind::Unknown(shown.clone()),
            },
            (Kind::Dict(_), "get") => text(1)
                .and_then(|k| v[0].get(&k).map(|x| x.kind.clone()))
                .or_else(|| v.get(2).map(|d| d.kind.clone()))
                .unwrap_or(Kind::None),
            (Kind::Dict(_) | Kind::List(_), "copy") => v[0].kind.clone(),
            _ => Kind::Unknown(shown.clone()),
        }
    })
}

#[allow(clippy::too_many_arguments)]
fn read_env(
    frame: &Frame<'_>,
    reader: Reader,
    method: &str,
    args: &[Node],
    kwargs: &[(String, Node)],
    at: &Loc,
    d: usize,
) -> Value {
    let ev = |n: &Node| eval(frame, n, d);
    let var_of = |n: Option<&Node>, default: &str| -> Option<String> {
        match n.map(ev) {
            Some(v) => py_str(&v).filter(|_| matches!(v.kind, Kind::Str(_))),
            None if !default.is_empty() => Some(default.to_string()),
            None => None,
        }
    };
    match reader {
        Reader::Helper => {
            let Some(var) = var_of(arg(args, kwargs, 0, "name"), "") else {
                return lit(Kind::Unknown(format!("{method} helper(…)")), at);
            };
            let default = arg(args, kwargs, 1, "default").map(ev);
            let default = default.map(|v| match (&v.kind, method) {
                (Kind::List(_), _) | (_, "str") => v,
                _ => apply_cast(method, &v, at),
            });
            env_value(vec![var], default, at)
        }
        Reader::Os => {
            let Some(var) = var_of(arg(args, kwargs, 0, "key"), "") else {
                return lit(Kind::Unknown("os.getenv(…)".into()), at);
            };
            let default = arg(args, kwargs, 1, "default").map(ev);
            env_value(vec![var], default, at)
        }
        Reader::EnvCall => {
            let Some(var) = var_of(arg(args, kwargs, 0, "var"), "") else {
                return lit(Kind::Unknown("env(…)".into()), at);
            };
            let cast = arg(args, kwargs, 1, "cast")
                .map(cast_name)
                .unwrap_or_default();
            let default = arg(args, kwargs, 2, "default")
                .map(ev)
                .or_else(|| frame.schemes.get(&var).cloned());
            let default = default.map(|v| apply_cast(&cast, &v, at));
            env_value(vec![var], default, at)
        }
        Reader::EnvMethod => {
            let url_default = match method {
                "db" | "db_url" => "DATABASE_URL",
                "cache" | "cache_url" => "CACHE_URL",
                "email" | "email_url" => "EMAIL_URL",
                "search_url" => "SEARCH_URL",
                _ => "",
            };
            let Some(var) = var_of(arg(args, kwargs, 0, "var"), url_default) else {
                return lit(Kind::Unknown(format!("env.{method}(…)")), at);
            };
            let default_pos = if matches!(method, "list" | "tuple" | "dict") {
                2
            } else {
                1
            };
            let default = arg(args, kwargs, default_pos, "default")
                .map(ev)
                .or_else(|| frame.schemes.get(&var).cloned());
            match method {
                "db" | "db_url" => {
                    let url = env_value(vec![var], default, at);
                    database_from_url(&url, Vec::new(), at)
                }
                "cache" | "cache_url" => {
                    let url = env_value(vec![var], default, at);
                    cache_from_url(&url, at)
                }
                _ => {
                    let default = default.map(|v| apply_cast(method, &v, at));
                    env_value(vec![var], default, at)
                }
            }
        }
        Reader::Decouple => {
            let Some(var) = var_of(arg(args, kwargs, 0, "option"), "") else {
                return lit(Kind::Unknown("config(…)".into()), at);
            };
            let cast = arg(args, kwargs, 2, "cast")
                .map(cast_name)
                .unwrap_or_default();
            let default = arg(args, kwargs, 1, "default").map(ev);
            let default = default.map(|v| {
                if cast.ends_with("dj_database_url.parse") || cast == "db_url" {
                    database_from_url(&v, Vec::new(), at)
                } else {
                    apply_cast(&cast, &v, at)
                }
            });
            env_value(vec![var], default, at)
        }
        Reader::DbUrlConfig | Reader::DbUrlParse => {
            let url = if reader == Reader::DbUrlParse {
                arg(args, kwargs, 0, "url")
                    .map_or_else(|| lit(Kind::Unknown("parse(…)".into()), at), ev)
            } else {
                let var = var_of(
                    kwargs.iter().find(|(k, _)| k == "env").map(|(_, v)| v),
                    "DATABASE_URL",
                )
                .unwrap_or_else(|| "DATABASE_URL".to_string());
                let default = arg(args, kwargs, 1, "default").map(ev);
                env_value(vec![var], default, at)
            };
            let mut extra = Vec::new();
            let options = [
                ("conn_max_age", "CONN_MAX_AGE", Kind::Int(0)),
                (
                    "conn_health_checks",
                    "CONN_HEALTH_CHECKS",
                    Kind::Bool(false),
                ),
            ];
            for (keyword, key, default) in options {
                let v = kwargs
                    .iter()
                    .find(|(k, _)| k == keyword)
                    .map(|(_, n)| ev(n))
                    .unwrap_or_else(|| lit(default, at));
                extra.push((key.to_string(), v));
            }
            database_from_url(&url, extra, at)
        }
    }
}

fn cast_name(node: &Node) -> String {
    match &node.expr {
        Expr::Name { name, qualified } => {
            if qualified.is_empty() {
                name.clone()
            } else {
                qualified.clone()
            }
        }
        Expr::Call { callee, .. } => format!("{}()", callee.rsplit('.').next().unwrap_or(callee)),
        _ => String::new(),
    }
}

/// The parts of a database or cache URL: scheme, user, password, host, port, path.
struct UrlParts {
    scheme: String,
    user: String,
    password: String,
    host: String,
    port: String,
    path: String,
}

fn parse_url(url: &str) -> Option<UrlParts> {
    let (scheme, rest) = url.split_once("://")?;
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (&authority[..i], &authority[i + 1..]),
        None => ("", authority),
    };
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = match hostport.rfind(':') {
        Some(i) if !hostport.ends_with(']') => (&hostport[..i], &hostport[i + 1..]),
        _ => (hostport, ""),
    };
    Some(UrlParts {
        scheme: scheme.to_ascii_lowercase(),
        user: user.to_string(),
        password: password.to_string(),
        host: host.to_string(),
        port: port.to_string(),
        path: path.to_string(),
    })
}

fn database_engine(scheme: &str) -> String {
    let base = scheme.split('+').next().unwrap_or(scheme);
    match base {
        "postgres" | "postgresql" | "pgsql" | "psql" => "django.db.backends.postgresql",
        "postgis" => "django.contrib.gis.db.backends.postgis",
        "mysql" | "mysql2" => "django.db.backends.mysql",
        "mysqlgis" => "django.contrib.gis.db.backends.mysql",
        "sqlite" => "django.db.backends.sqlite3",
        "spatialite" => "django.contrib.gis.db.backends.spatialite",
        "oracle" => "django.db.backends.oracle",
        "mssql" => "mssql",
        "cockroach" => "django_cockroachdb",
        "timescale" => "timescale.db.backends.postgresql",
        other => other,
    }
    .to_string()
}

/// Applies `f` to a URL value field by field: literal, env-with-default or undecidable alike.
fn from_url(
    url: &Value,
    at: &Loc,
    f: impl Fn(Option<&UrlParts>) -> Vec<(String, Kind)>,
) -> Vec<(String, Value)> {
    let fields = |text: Option<&str>| f(text.and_then(parse_url).as_ref());
    match &url.kind {
        Kind::Str(s) => fields(Some(s))
            .into_iter()
            .map(|(k, v)| (k, lit(v, at)))
            .collect(),
        Kind::Env { vars, fallback } => {
            let default = fallback.as_ref().and_then(|f| match &f.kind {
                Kind::Str(s) => Some(s.as_str()),
                _ => None,
            });
            let keys = f(None);
            let parsed = default.map(|d| fields(Some(d)));
            keys.into_iter()
                .map(|(k, _)| {
                    let fb = parsed
                        .as_ref()
                        .and_then(|p| p.iter().find(|(pk, _)| *pk == k))
                        .map(|(_, v)| lit(v.clone(), at));
                    (k, env_value(vars.clone(), fb, at))
                })
                .collect()
        }
        other => {
            let text = match other {
                Kind::Unknown(t) => t.clone(),
                _ => "a database URL".to_string(),
            };
            f(None)
                .into_iter()
                .map(|(k, _)| (k, lit(Kind::Unknown(text.clone()), at)))
                .collect()
        }
    }
}

fn database_from_url(url: &Value, extra: Vec<(String, Value)>, at: &Loc) -> Value {
    let mut entries = from_url(url, at, |p| {
        let s = |f: fn(&UrlParts) -> String| p.map_or(Kind::None, |p| Kind::Str(f(p)));
        vec![
            ("ENGINE".to_string(), s(|p| database_engine(&p.scheme))),
            ("NAME".to_string(), s(|p| p.path.clone())),
            ("USER".to_string(), s(|p| p.user.clone())),
            ("PASSWORD".to_string(), s(|p| p.password.clone())),
            ("HOST".to_string(), s(|p| p.host.clone())),
            ("PORT".to_string(), s(|p| p.port.clone())),
        ]
    });
    entries.extend(extra);
    lit(Kind::Dict(entries), at)
}

fn cache_from_url(url: &Value, at: &Loc) -> Value {
    let entries = from_url(url, at, |p| {
        let backend = p.map_or(Kind::None, |p| {
            Kind::Str(
                match p.scheme.as_str() {
                    "redis" | "rediss" => "django.core.cache.backends.redis.RedisCache",
                    "locmem" => "django.core.cache.backends.locmem.LocMemCache",
                    "dummy" => "django.core.cache.backends.dummy.DummyCache",
                    "file" | "filecache" => "django.core.cache.backends.filebased.FileBasedCache",
                    "dbcache" => "django.core.cache.backends.db.DatabaseCache",
                    "memcache" | "pymemcache" => {
                        "django.core.cache.backends.memcached.PyMemcacheCache"
                    }
                    other => other,
                }
                .to_string(),
            )
        });
        vec![("BACKEND".to_string(), backend)]
    });
    lit(Kind::Dict(entries), at)
}

// ---------------------------------------------------------------------------------------------
// Profiles

/// The production settings: the chosen module with everything it imports, evaluated.
#[derive(Clone, Debug)]
pub struct Profile {
    /// Dotted module of the entry file.
    pub module: String,
    /// The entry file (relative path).
    pub rel: String,
    /// Every file merged into the profile, entry first.
    pub files: Vec<String>,
    /// How the module was chosen, for notes.
    pub reason: String,
    /// The Django (major, minor) whose defaults apply.
    pub django: (u32, u32),
    values: Namespace,
    defined: Defined,
    /// Star imports that name no settings module of the repository.
    pub unresolved: Vec<String>,
}

/// The answer to a setting path.
#[derive(Clone, Debug, PartialEq)]
pub struct Lookup {
    /// The value production gets: set in the profile, or Django's default. `None` when neither.
    pub value: Option<Value>,
    /// Set in the production profile (as opposed to a default).
    pub set: bool,
    /// Where to point: the value, else the deepest enclosing container that is set.
    pub at: Option<Loc>,
    /// Not set, but a star import audit could not follow may set it.
    pub maybe_elsewhere: bool,
}

impl Profile {
    /// Looks up a dotted path (`DATABASES.default.CONN_MAX_AGE`, `PASSWORD_HASHERS.0`).
    pub fn lookup(&self, path: &str) -> Lookup {
        let mut parts = path.split('.');
        let top = parts.next().unwrap_or("");
        let rest: Vec<&str> = parts.collect();
        let Some(value) = self.values.get(top) else {
            let value = django_default(top, self.django).map(|k| Value::new(k, None));
            let value = value.and_then(|v| descend_default(v, &rest));
            return Lookup {
                value,
                set: false,
                at: None,
                maybe_elsewhere: !self.unresolved.is_empty(),
            };
        };
        let mut current = value.clone();
        let mut at = value.at.clone();
        for key in &rest {
            match step(&current, key) {
                Step::Found(next) => {
                    at = next.at.clone().or(at);
                    current = next;
                }
                Step::Opaque => return found(current, at),
                Step::Missing => {
                    let default = nested_default(top, &rest).map(|k| Value::new(k, None));
                    return Lookup {
                        value: default,
                        set: false,
                        at,
                        maybe_elsewhere: false,
                    };
                }
            }
        }
        found(current, at)
    }

    /// Concrete paths for a pattern whose segments may be globs (`*_URL`, `DATABASES.*.HOST`).
    pub fn expand(&self, pattern: &str) -> Vec<String> {
        let segments: Vec<&str> = pattern.split('.').collect();
        let mut paths: Vec<String> = Vec::new();
        let Some((first, rest)) = segments.split_first() else {
            return paths;
        };
        if is_glob(first) {
            paths.extend(
                self.values
                    .keys()
                    .filter(|k| is_setting_name(k) && glob_match(first, k))
                    .cloned(),
            );
        } else {
            paths.push((*first).to_string());
        }
        for segment in rest {
            let mut next = Vec::new();
            for path in paths {
                if !is_glob(segment) {
                    next.push(format!("{path}.{segment}"));
                    continue;
                }
                if let Some(Value {
                    kind: Kind::Dict(entries),
                    ..
                }) = self
                    .lookup(&path)
                    .value
                    .map(|v| v.effective().cloned().unwrap_or(v))
                {
                    next.extend(
                        entries
                            .iter()
                            .filter(|(k, _)| glob_match(segment, k))
                            .map(|(k, _)| format!("{path}.{k}")),
                    );
                }
            }
            paths = next;
        }
        paths
    }

    /// Where a top-level setting was last assigned (its statement).
    pub fn defined_at(&self, name: &str) -> Option<&Loc> {
        self.defined.get(name)
    }

    /// Line 1 of the entry module, where findings about absent settings point.
    pub fn entry_loc(&self) -> Loc {
        Loc {
            file: self.rel.clone(),
            start: 0,
            end: 0,
        }
    }
}

fn found(value: Value, at: Option<Loc>) -> Lookup {
    Lookup {
        value: Some(value),
        set: true,
        at,
        maybe_elsewhere: false,
    }
}

enum Step {
    Found(Value),
    /// The container is not a literal (environment or unknown): the path ends here.
    Opaque,
    Missing,
}

fn step(current: &Value, key: &str) -> Step {
    match &current.kind {
        Kind::Dict(_) => current.get(key).cloned().map_or(Step::Missing, Step::Found),
        Kind::List(items) => match key.parse::<usize>() {
            Ok(i) => items.get(i).cloned().map_or(Step::Missing, Step::Found),
            Err(_) => Step::Missing,
        },
        Kind::Env {
            vars,
            fallback: Some(f),
        } => match step(f, key) {
            Step::Found(inner) => {
                let at = current.at.clone().unwrap_or_else(|| Loc {
                    file: String::new(),
                    start: 0,
                    end: 0,
                });
                Step::Found(env_value(vars.clone(), Some(inner), &at))
            }
            other => other,
        },
        Kind::Env { .. } | Kind::Unknown(_) => Step::Opaque,
        _ => Step::Missing,
    }
}

fn descend_default(value: Value, rest: &[&str]) -> Option<Value> {
    let mut current = value;
    for key in rest {
        match step(&current, key) {
            Step::Found(next) => current = next,
            _ => return None,
        }
    }
    Some(current)
}

fn is_setting_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

fn is_glob(segment: &str) -> bool {
    segment.contains(['*', '{', '?'])
}

/// Glob match of one path segment: `*` any run, `?` one character, `{a,b}` alternatives.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    if let Some(open) = pattern.find('{') {
        if let Some(close) = pattern[open..].find('}').map(|c| c + open) {
            let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
            return pattern[open + 1..close]
                .split(',')
                .any(|alt| glob_match(&format!("{head}{alt}{tail}"), text));
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative wildcard matching with backtracking to the last star.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Picks the production settings module and evaluates it. `named` is `--settings`; an error
/// says it names no settings module of the repository.
pub fn production_profile(
    files: &[SettingsFile],
    hints: &[ModuleHint],
    named: Option<&str>,
    django: Option<(u32, u32)>,
) -> Result<Option<Profile>, String> {
    let chosen = match named {
        Some(name) => match find_module(files, name) {
            Some(i) => Some((i, format!("named with --settings {name}"))),
            None => {
                return Err(format!(
                    "--settings {name}: no settings module of that name was found"
                ))
            }
        },
        None => choose(files, hints),
    };
    let Some((index, reason)) = chosen else {
        return Ok(None);
    };
    let mut evaluator = Evaluator::new(files);
    let (values, defined) = evaluator.module(index);
    let file = &files[index];
    Ok(Some(Profile {
        module: file.module.clone(),
        rel: file.rel.clone(),
        files: evaluator.merged,
        reason,
        django: django.unwrap_or(LATEST_DJANGO),
        values,
        defined,
        unresolved: evaluator.unresolved.into_iter().collect(),
    }))
}

/// A module worth evaluating: it assigns an upper-case name or star-imports settings.
fn has_content(file: &SettingsFile) -> bool {
    file.markers > 0
        || file.body.iter().any(|s| match s {
            Stmt::StarImport { .. } => true,
            Stmt::Assign { targets, .. } => targets.iter().any(|t| is_setting_name(&t.name)),
            _ => false,
        })
}

/// Clearly a project's settings module: named like one and setting a marker or importing
/// a base module, or setting two markers whatever its name (a package `__init__.py` that
/// exposes an `INSTALLED_APPS` list for its users is not one).
fn is_settings_module(file: &SettingsFile) -> bool {
    let imports_base = file
        .body
        .iter()
        .any(|s| matches!(s, Stmt::StarImport { .. }));
    (file.named && (file.markers > 0 || imports_base)) || file.markers >= 2
}

fn choose(files: &[SettingsFile], hints: &[ModuleHint]) -> Option<(usize, String)> {
    // 1. DJANGO_SETTINGS_MODULE defaults, server entry points first.
    let mut ordered: Vec<&ModuleHint> = hints.iter().collect();
    ordered.sort_by_key(|h| {
        let server = h.rel.ends_with("wsgi.py") || h.rel.ends_with("asgi.py");
        (!server, h.rel.clone(), h.module.clone())
    });
    for hint in ordered {
        if is_non_production_name(&hint.module) {
            continue;
        }
        if let Some(i) = find_module(files, &hint.module) {
            if has_content(&files[i]) {
                return Some((i, format!("DJANGO_SETTINGS_MODULE default in {}", hint.rel)));
            }
        }
    }
    let eligible = |f: &SettingsFile| !is_non_production_name(&f.module) && is_settings_module(f);
    let mut usable: Vec<usize> = (0..files.len()).filter(|&i| eligible(&files[i])).collect();
    if usable.is_empty() {
        // Last resort: a module named like settings that sets something (a one-file example).
        usable = (0..files.len())
            .filter(|&i| {
                let f = &files[i];
                f.named && has_content(f) && !is_non_production_name(&f.module)
            })
            .collect();
    }
    // 2. A module named for production.
    let production = usable
        .iter()
        .filter_map(|&i| production_rank(&files[i].module).map(|r| (r, files[i].rel.len(), i)))
        .min();
    if let Some((_, _, i)) = production {
        return Some((i, "named for production".to_string()));
    }
    // 3. The single or base module: `settings`, then `base`/`common`, then any other.
    let rank = |f: &SettingsFile| {
        let last = f.module.rsplit('.').next().unwrap_or("");
        match last {
            "settings" => 0,
            "base" | "common" | "defaults" | "core" => 1,
            _ => 2,
        }
    };
    usable
        .iter()
        .min_by_key(|&&i| {
            let f = &files[i];
            (Reverse(f.markers), rank(f), f.rel.len(), f.rel.clone())
        })
        .map(|&i| (i, "the base settings module".to_string()))
}

// ---------------------------------------------------------------------------------------------
// Django's defaults

fn strs(items: &[&str]) -> Kind {
    Kind::List(
        items
            .iter()
            .map(|s| Value::new(Kind::Str((*s).to_string()), None))
            .collect(),
    )
}

fn dict(entries: Vec<(&str, Kind)>) -> Kind {
    Kind::Dict(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::new(v, None)))
            .collect(),
    )
}

fn text(s: &str) -> Kind {
    Kind::Str(s.to_string())
}

/// The default of a top-level setting for a Django version (and the few third-party settings
/// rules look at), when Django's global settings define one.
pub fn django_default(name: &str, version: (u32, u32)) -> Option<Kind> {
    let kind = match name {
        "DEBUG"
        | "SECURE_SSL_REDIRECT"
        | "SESSION_COOKIE_SECURE"
        | "CSRF_COOKIE_SECURE"
        | "SECURE_HSTS_INCLUDE_SUBDOMAINS"
        | "SECURE_HSTS_PRELOAD"
        | "CSRF_COOKIE_HTTPONLY"
        | "CORS_ALLOW_ALL_ORIGINS"
        | "CORS_ORIGIN_ALLOW_ALL"
        | "CORS_ALLOW_CREDENTIALS" => Kind::Bool(false),
        "SESSION_COOKIE_HTTPONLY" => Kind::Bool(true),
        "SECURE_CONTENT_TYPE_NOSNIFF" => Kind::Bool(version >= (3, 0)),
        "SECRET_KEY" => text(""),
        "SECRET_KEY_FALLBACKS"
        | "ALLOWED_HOSTS"
        | "INSTALLED_APPS"
        | "MIDDLEWARE"
        | "AUTH_PASSWORD_VALIDATORS"
        | "CORS_ALLOWED_ORIGINS"
        | "CORS_ORIGIN_WHITELIST"
        | "CORS_ALLOWED_ORIGIN_REGEXES"
        | "CSRF_TRUSTED_ORIGINS" => Kind::List(Vec::new()),
        "SECURE_HSTS_SECONDS" => Kind::Int(0),
        "SECURE_PROXY_SSL_HEADER" => Kind::None,
        "X_FRAME_OPTIONS" => text(if version >= (3, 0) {
            "DENY"
        } else {
            "SAMEORIGIN"
        }),
        "DATABASES" | "LOGGING" => Kind::Dict(Vec::new()),
        "SECURE_CSP" if version >= (6, 0) => Kind::Dict(Vec::new()),
        "CACHES" => dict(vec![(
            "default",
            dict(vec![(
                "BACKEND",
                text("django.core.cache.backends.locmem.LocMemCache"),
            )]),
        )]),
        "SESSION_ENGINE" => text("django.contrib.sessions.backends.db"),
        "PASSWORD_HASHERS" => {
            let mut hashers = vec![
                "django.contrib.auth.hashers.PBKDF2PasswordHasher",
                "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
                "django.contrib.auth.hashers.Argon2PasswordHasher",
                "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
            ];
            if version >= (4, 0) {
                hashers.push("django.contrib.auth.hashers.ScryptPasswordHasher");
            }
            strs(&hashers)
        }
        _ => return None,
    };
    Some(kind)
}

/// Defaults inside an entry of a dict setting (`DATABASES.<alias>.CONN_MAX_AGE`).
fn nested_default(top: &str, rest: &[&str]) -> Option<Kind> {
    match (top, rest) {
        ("DATABASES", [_, key]) => Some(match *key {
            "CONN_MAX_AGE" => Kind::Int(0),
            "CONN_HEALTH_CHECKS" | "ATOMIC_REQUESTS" => Kind::Bool(false),
            "OPTIONS" => Kind::Dict(Vec::new()),
            "HOST" | "PORT" | "USER" | "PASSWORD" => text(""),
            _ => return None,
        }),
        ("DATABASES", [_, "OPTIONS", _]) | ("CACHES", [_, "OPTIONS", _]) => None,
        ("CACHES", [_, "OPTIONS"]) => Some(Kind::Dict(Vec::new())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::python::parse;

    fn file(rel: &str, code: &str) -> SettingsFile {
        let root = parse(code.to_string()).expect("parse");
        extract(rel, &root.root())
    }

    fn profile(files: &[(&str, &str)]) -> Profile {
        let files: Vec<SettingsFile> = files.iter().map(|(r, c)| file(r, c)).collect();
        production_profile(&files, &[], None, None)
            .expect("no error")
            .expect("a profile")
    }

    fn kind(p: &Profile, path: &str) -> Option<Kind> {
        p.lookup(path).value.map(|v| v.kind)
    }

    fn s(text: &str) -> Kind {
        Kind::Str(text.to_string())
    }

    fn env(vars: &[&str], fallback: Option<Kind>) -> Kind {
        Kind::Env {
            vars: vars.iter().map(|v| v.to_string()).collect(),
            fallback: fallback.map(|k| Box::new(Value::new(k, None))),
        }
    }

    /// Compares kinds ignoring locations.
    fn strip(kind: Kind) -> Kind {
        match kind {
            Kind::List(items) => Kind::List(
                items
                    .into_iter()
                    .map(|v| Value::new(strip(v.kind), None))
                    .collect(),
            ),
            Kind::Dict(entries) => Kind::Dict(
                entries
                    .into_iter()
                    .map(|(k, v)| (k, Value::new(strip(v.kind), None)))
                    .collect(),
            ),
            Kind::Env { vars, fallback } => Kind::Env {
                vars,
                fallback: fallback.map(|f| Box::new(Value::new(strip(f.kind), None))),
            },
            other => other,
        }
    }

    #[test]
    fn env_reads_know_their_defaults() {
        let p = profile(&[(
            "config/settings.py",
            r#"
import os
import environ
from decouple import config, Csv
SECRET_KEY = os.getenv('SECRET_KEY', 'django-insecure-x')
DEBUG = os.getenv('DEBUG', 'True') == 'True'
REQUIRED = os.environ["REQUIRED"]
env = environ.Env(FEATURE=(bool, True))
FLAG = env.bool("FLAG", default=False)
FEATURE = env("FEATURE")
HOSTS = config("HOSTS", default="a.com, b.com", cast=Csv())
DEBUG2 = config("DEBUG2", default="yes", cast=bool)
OR_DEFAULT = os.environ.get("X") or "fallback"
SPLIT = os.environ["HOSTS"].split(",")
"#,
        )]);
        assert_eq!(
            strip(kind(&p, "SECRET_KEY").unwrap()),
            env(&["SECRET_KEY"], Some(s("django-insecure-x")))
        );
        assert_eq!(
            strip(kind(&p, "DEBUG").unwrap()),
            env(&["DEBUG"], Some(Kind::Bool(true)))
        );
        assert_eq!(
            strip(kind(&p, "REQUIRED").unwrap()),
            env(&["REQUIRED"], None)
        );
        assert_eq!(
            strip(kind(&p, "FLAG").unwrap()),
            env(&["FLAG"], Some(Kind::Bool(false)))
        );
        assert_eq!(
            strip(kind(&p, "FEATURE").unwrap()),
            env(&["FEATURE"], Some(Kind::Bool(true)))
        );
        let hosts = Kind::List(vec![
            Value::new(s("a.com"), None),
            Value::new(s("b.com"), None),
        ]);
        assert_eq!(
            strip(kind(&p, "HOSTS").unwrap()),
            env(&["HOSTS"], Some(hosts))
        );
        assert_eq!(
            strip(kind(&p, "DEBUG2").unwrap()),
            env(&["DEBUG2"], Some(Kind::Bool(true)))
        );
        assert_eq!(
            strip(kind(&p, "OR_DEFAULT").unwrap()),
            env(&["X"], Some(s("fallback")))
        );
        assert_eq!(strip(kind(&p, "SPLIT").unwrap()), env(&["HOSTS"], None));
    }

    #[test]
    fn split_settings_merge_base_into_production_and_skip_dev() {
        let base = r#"
DEBUG = False
INSTALLED_APPS = ["django.contrib.auth"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "app"}}
"#;
        let production = r#"
from .base import *
MIDDLEWARE += ["whitenoise.middleware.WhiteNoiseMiddleware"]
MIDDLEWARE.insert(0, "first")
INSTALLED_APPS.append("extra")
DATABASES["default"]["CONN_MAX_AGE"] = 60
try:
    from .local import *
except ImportError:
    pass
"#;
        let local = "from .base import *\nDEBUG = True\n";
        let p = profile(&[
            ("proj/settings/base.py", base),
            ("proj/settings/production.py", production),
            ("proj/settings/local.py", local),
        ]);
        assert_eq!(p.rel, "proj/settings/production.py");
        assert_eq!(
            p.files,
            vec!["proj/settings/production.py", "proj/settings/base.py"]
        );
        assert_eq!(kind(&p, "DEBUG"), Some(Kind::Bool(false)));
        let middleware: Vec<Kind> = match kind(&p, "MIDDLEWARE") {
            Some(Kind::List(items)) => items.into_iter().map(|v| v.kind).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            middleware,
            vec![
                s("first"),
                s("django.middleware.security.SecurityMiddleware"),
                s("whitenoise.middleware.WhiteNoiseMiddleware")
            ]
        );
        assert_eq!(
            kind(&p, "DATABASES.default.CONN_MAX_AGE"),
            Some(Kind::Int(60))
        );
        assert_eq!(kind(&p, "INSTALLED_APPS.1"), Some(s("extra")));
        // The CONN_MAX_AGE assignment is located on its own line of production.py.
        let at = p
            .lookup("DATABASES.default.CONN_MAX_AGE")
            .at
            .expect("located");
        assert_eq!(at.file, "proj/settings/production.py");
        assert_eq!(
            &production[at.start..at.end],
            "DATABASES[\"default\"][\"CONN_MAX_AGE\"] = 60"
        );
    }

    #[test]
    fn absent_settings_take_django_defaults_for_the_version() {
        let files = vec![file(
            "settings.py",
            "SECRET_KEY = 'x'\nDATABASES = {'default': {'ENGINE': 'x'}}\n",
        )];
        let old = production_profile(&files, &[], None, Some((2, 2)))
            .unwrap()
            .unwrap();
        let new = production_profile(&files, &[], None, None)
            .unwrap()
            .unwrap();
        assert_eq!(kind(&old, "X_FRAME_OPTIONS"), Some(s("SAMEORIGIN")));
        assert_eq!(kind(&new, "X_FRAME_OPTIONS"), Some(s("DENY")));
        let lookup = new.lookup("DATABASES.default.CONN_MAX_AGE");
        assert_eq!(
            (lookup.value.map(|v| v.kind), lookup.set),
            (Some(Kind::Int(0)), false)
        );
        assert_eq!(
            kind(&new, "CACHES.default.BACKEND"),
            Some(s("django.core.cache.backends.locmem.LocMemCache"))
        );
        assert_eq!(new.lookup("NOT_A_SETTING").value, None);
    }

    #[test]
    fn database_urls_become_database_dicts() {
        let p = profile(&[(
            "settings.py",
            r#"
import dj_database_url
import environ
SECRET_KEY = "x"
env = environ.Env()
DATABASES = {
    "default": dj_database_url.config(default="postgres://u:pw@db:5432/app", conn_max_age=600),
    "other": dj_database_url.parse("mysql://root@localhost/other"),
    "third": env.db("THIRD_URL"),
}
"#,
        )]);
        assert_eq!(
            strip(kind(&p, "DATABASES.default.ENGINE").unwrap()),
            env(&["DATABASE_URL"], Some(s("django.db.backends.postgresql")))
        );
        assert_eq!(
            strip(kind(&p, "DATABASES.default.PASSWORD").unwrap()),
            env(&["DATABASE_URL"], Some(s("pw")))
        );
        assert_eq!(
            kind(&p, "DATABASES.default.CONN_MAX_AGE"),
            Some(Kind::Int(600))
        );
        assert_eq!(
            kind(&p, "DATABASES.other.ENGINE"),
            Some(s("django.db.backends.mysql"))
        );
        assert_eq!(kind(&p, "DATABASES.other.CONN_MAX_AGE"), Some(Kind::Int(0)));
        assert_eq!(
            strip(kind(&p, "DATABASES.third.HOST").unwrap()),
            env(&["THIRD_URL"], None)
        );
    }

    #[test]
    fn conditions_pick_branches_or_make_values_undecidable() {
        let p = profile(&[(
            "settings.py",
            r#"
import os
SECRET_KEY = "x"
DEBUG = os.getenv("DEBUG", "0") == "1"
if not DEBUG:
    SECURE_SSL_REDIRECT = True
if os.environ["STAGE"] == "prod":
    SESSION_COOKIE_SECURE = True
else:
    SESSION_COOKIE_SECURE = False
NAME = f"{SECRET_KEY}-suffix"
"#,
        )]);
        assert_eq!(kind(&p, "SECURE_SSL_REDIRECT"), Some(Kind::Bool(true)));
        assert_eq!(
            strip(kind(&p, "SESSION_COOKIE_SECURE").unwrap()),
            env(&["STAGE"], None)
        );
        assert_eq!(kind(&p, "NAME"), Some(s("x-suffix")));
    }

    #[test]
    fn the_profile_follows_hints_then_names() {
        let files = vec![
            file("config/settings/base.py", "SECRET_KEY = 'x'\n"),
            file(
                "config/settings/dev.py",
                "from .base import *\nDEBUG = True\n",
            ),
            file("config/settings/staging.py", "from .base import *\n"),
            file("config/settings/production.py", "from .base import *\n"),
        ];
        let hint = |rel: &str, module: &str| ModuleHint {
            rel: rel.to_string(),
            module: module.to_string(),
        };
        let pick = |hints: &[ModuleHint]| {
            production_profile(&files, hints, None, None)
                .unwrap()
                .map(|p| p.rel)
        };
        assert_eq!(pick(&[]).as_deref(), Some("config/settings/production.py"));
        let dev = [hint("manage.py", "config.settings.dev")];
        assert_eq!(pick(&dev).as_deref(), Some("config/settings/production.py"));
        let wsgi = [
            hint("manage.py", "config.settings.dev"),
            hint("config/wsgi.py", "config.settings.staging"),
        ];
        assert_eq!(pick(&wsgi).as_deref(), Some("config/settings/staging.py"));
        let named = production_profile(&files, &[], Some("settings.base"), None).unwrap();
        assert_eq!(
            named.map(|p| p.rel).as_deref(),
            Some("config/settings/base.py")
        );
        assert!(production_profile(&files, &[], Some("nope.settings"), None).is_err());
    }

    #[test]
    fn a_library_module_exposing_installed_apps_is_not_settings() {
        let files = vec![
            file("oscar/__init__.py", "INSTALLED_APPS = ['oscar']\n"),
            file("rest_framework/settings.py", "DEFAULTS = {}\n"),
        ];
        let picked = production_profile(&files, &[], None, None)
            .unwrap()
            .map(|p| p.rel);
        // Only the last resort remains: a module named like settings.
        assert_eq!(picked.as_deref(), Some("rest_framework/settings.py"));
        let only_library = vec![file("oscar/__init__.py", "INSTALLED_APPS = ['oscar']\n")];
        assert!(production_profile(&only_library, &[], None, None)
            .unwrap()
            .is_none());
    }

    #[test]
    fn module_hints_are_read_from_text() {
        let text = "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"config.settings\")\nos.environ['DJANGO_SETTINGS_MODULE'] = 'x.prod'\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', f'{x}')\n";
        let hints: Vec<String> = module_hints("manage.py", text)
            .into_iter()
            .map(|h| h.module)
            .collect();
        assert_eq!(hints, vec!["config.settings", "x.prod"]);
    }

    #[test]
    fn candidates_by_name_and_content() {
        assert!(is_candidate("a/settings.py", ""));
        assert!(is_candidate("a/settings/prod.py", ""));
        assert!(is_candidate("a/weblate_settings.py", ""));
        assert!(is_candidate("a/conf.py", "INSTALLED_APPS = []\n"));
        assert!(!is_candidate(
            "a/conf.py",
            "    INSTALLED_APPS = []\nx = INSTALLED_APPS == 1\n"
        ));
        assert!(!is_candidate(
            "a/views.py",
            "from django.conf import settings\n"
        ));
    }

    #[test]
    fn globs_match_segments() {
        assert!(glob_match("*_URL", "REDIS_URL"));
        assert!(!glob_match("*_URL", "URL_PREFIX"));
        assert!(glob_match("{*_URL,*_HOST}", "EMAIL_HOST"));
        assert!(glob_match("*postgres*", "django.db.backends.postgresql"));
        assert!(glob_match("?b*", "abc"));
    }
}
