//! The owned IR of one settings module and its converter from the syntax tree.

use super::{MAX_BLOCK_DEPTH, MAX_EXPR_DEPTH};
use crate::model::symbols::FileSymbols;
use crate::parse::python::PyNode;

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
    /// Not converted because a bound was hit; says which (the value becomes undecidable).
    Cut(String),
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
    /// More than [`MAX_EXPR_DEPTH`] keys: not followed, the name becomes undecidable.
    pub too_deep: bool,
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
        span: Span,
    },
    FromImport {
        level: usize,
        module: String,
        /// (imported name, bound name).
        names: Vec<(String, String)>,
        span: Span,
    },
    /// `if`/`elif` arms in order, then the `else` body: flat, so a chain of 5,000 `elif`s is
    /// no deeper than one `if`.
    If {
        arms: Vec<(Node, Vec<Stmt>)>,
        orelse: Vec<Stmt>,
    },
    /// `exec(...)` / `execfile(...)` at module level: settings read from a file at run time,
    /// which may override anything assigned before it.
    Exec {
        span: Span,
    },
    /// Statements nested deeper than [`MAX_BLOCK_DEPTH`] blocks, not converted; evaluating
    /// this marks the profile incomplete.
    Cut {
        note: String,
        span: Span,
    },
}

pub(super) struct Converter<'s, 'r> {
    pub(super) symbols: &'s FileSymbols<'r>,
    /// How many blocks enclose the statements being converted.
    pub(super) depth: std::cell::Cell<usize>,
}

impl<'r> Converter<'_, 'r> {
    /// The statements of a module or block, flattening `try`/`with` bodies. Past
    /// [`MAX_BLOCK_DEPTH`] nested blocks, the block becomes one [`Stmt::Cut`].
    pub(super) fn block(&self, node: &PyNode<'r>) -> Vec<Stmt> {
        let depth = self.depth.get();
        if depth >= MAX_BLOCK_DEPTH {
            let range = node.range();
            return vec![Stmt::Cut {
                note: format!(
                    "statements nested deeper than {MAX_BLOCK_DEPTH} blocks were not evaluated (the bound on block nesting)"
                ),
                span: (range.start, range.end),
            }];
        }
        self.depth.set(depth + 1);
        let mut out = Vec::new();
        for child in node.named_children() {
            self.statement(&child, &mut out);
        }
        self.depth.set(depth);
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
            "if_statement" => {
                // `if NAME := value:` binds NAME before the test (only the first condition
                // always runs, so an `elif`'s binding is not followed).
                if let Some(cond) = node.field("condition") {
                    if cond.kind() == "named_expression" {
                        if let (Some(name), Some(value)) = (cond.field("name"), cond.field("value"))
                        {
                            let start = node.range().start;
                            out.push(Stmt::Assign {
                                targets: vec![Target {
                                    name: name.text().to_string(),
                                    keys: Vec::new(),
                                    too_deep: false,
                                }],
                                value: self.node(&value, start, 0),
                            });
                        }
                    }
                }
                out.push(self.if_statement(node));
            }
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
                if function.kind() == "identifier"
                    && matches!(function.text().as_ref(), "exec" | "execfile")
                {
                    out.push(Stmt::Exec {
                        span: (node.range().start, node.range().end),
                    });
                    return;
                }
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
                    let mut args: Vec<Node> = node
                        .field("arguments")
                        .map(|a| {
                            a.named_children()
                                .filter(|c| c.kind() != "comment" && c.kind() != "keyword_argument")
                                .map(|c| self.node(&c, stmt_start, 0))
                                .collect()
                        })
                        .unwrap_or_default();
                    // `d.update(KEY=v)` updates with a dict of its keyword arguments.
                    if method == "update" {
                        let pairs: Vec<DictItem> = node
                            .field("arguments")
                            .map(|a| {
                                a.named_children()
                                    .filter(|c| c.kind() == "keyword_argument")
                                    .filter_map(|c| {
                                        let (name, value) = (c.field("name")?, c.field("value")?);
                                        let start = c.range().start;
                                        let key = Node {
                                            expr: Expr::Str(name.text().to_string()),
                                            span: (start, name.range().end),
                                        };
                                        Some(DictItem::Pair(key, self.node(&value, start, 0)))
                                    })
                                    .collect()
                            })
                            .unwrap_or_default();
                        if !pairs.is_empty() {
                            args.push(Node {
                                expr: Expr::Dict(pairs),
                                span: (stmt_start, node.range().end),
                            });
                        }
                    }
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

    /// `NAME` or `NAME[k1][k2]…`, walked down iteratively: a chain of 12,000 subscripts is
    /// wide in the source but deep in the tree. Past [`MAX_EXPR_DEPTH`] keys the target is
    /// `NAME` alone with `too_deep` set, and the statement makes `NAME` undecidable.
    fn target(&self, node: &PyNode<'r>, start: usize) -> Option<Target> {
        let mut subscripts = Vec::new();
        let mut current = node.clone();
        while current.kind() == "subscript" {
            let value = current.field("value")?;
            subscripts.push(current);
            current = value;
        }
        if current.kind() != "identifier" {
            return None;
        }
        let name = current.text().to_string();
        if subscripts.len() > MAX_EXPR_DEPTH {
            return Some(Target {
                name,
                keys: Vec::new(),
                too_deep: true,
            });
        }
        let mut keys = Vec::with_capacity(subscripts.len());
        for subscript in subscripts.iter().rev() {
            keys.push(self.node(&subscript.field("subscript")?, start, 0));
        }
        Some(Target {
            name,
            keys,
            too_deep: false,
        })
    }

    fn import_from(&self, node: &PyNode<'r>, out: &mut Vec<Stmt>) {
        let span = (node.range().start, node.range().end);
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
                span,
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
                span,
            });
        }
    }

    /// The `if` clause and its `elif` clauses as flat arms, and the `else` body.
    fn if_statement(&self, node: &PyNode<'r>) -> Stmt {
        let mut arms = vec![self.arm(node)];
        let mut orelse = Vec::new();
        for clause in node.field_children("alternative") {
            match clause.kind().as_ref() {
                "elif_clause" => arms.push(self.arm(&clause)),
                "else_clause" => {
                    if let Some(body) = clause.field("body") {
                        orelse = self.block(&body);
                    }
                }
                _ => {}
            }
        }
        Stmt::If { arms, orelse }
    }

    fn arm(&self, clause: &PyNode<'r>) -> (Node, Vec<Stmt>) {
        let start = clause.range().start;
        let cond = clause
            .field("condition")
            .map(|c| self.node(&c, start, 0))
            .unwrap_or_else(|| unknown_node("<condition>", (start, start)));
        let body = clause
            .field("consequence")
            .map(|b| self.block(&b))
            .unwrap_or_default();
        (cond, body)
    }

    /// Converts an expression; `ctx` is the start of its statement, dict entry or list item.
    fn node(&self, node: &PyNode<'r>, ctx: usize, depth: usize) -> Node {
        let span = (ctx, node.range().end);
        if depth > MAX_EXPR_DEPTH {
            return Node {
                expr: Expr::Cut(format!(
                    "is computed by an expression nested deeper than {MAX_EXPR_DEPTH} levels, the bound on expression depth"
                )),
                span,
            };
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
            // `if FLAG := get_bool_env("FLAG", True):` tests the value it binds.
            "named_expression" => match node.field("value") {
                Some(value) => return self.node(&value, ctx, d),
                None => unknown(&node.text()),
            },
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

pub(super) fn last_block<'r>(node: &PyNode<'r>) -> Option<PyNode<'r>> {
    node.named_children().filter(|c| c.kind() == "block").last()
}

/// `a.b.c` made only of identifiers (walked iteratively: chains can be 16,000 long).
pub(super) fn is_name_chain(node: &PyNode<'_>) -> bool {
    let mut current = node.clone();
    loop {
        match current.kind().as_ref() {
            "identifier" => return true,
            "attribute" => match current.field("object") {
                Some(object) => current = object,
                None => return false,
            },
            _ => return false,
        }
    }
}

pub(super) fn parse_int(text: &str) -> Option<i64> {
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

pub(super) fn unescape(seq: &str) -> String {
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
pub(super) fn unknown(text: &str) -> Expr {
    // Only the start is shown: fold a bounded prefix, not a whole 2 MiB expression.
    const SHOWN: usize = 60;
    let mut end = text.len().min(SHOWN * 8);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let folded = crate::findings::fold_whitespace(&text[..end]);
    if end < text.len() && folded.chars().count() <= SHOWN {
        return Expr::Unknown(format!("{}…", shorten(&folded, SHOWN - 1)));
    }
    Expr::Unknown(shorten(&folded, SHOWN))
}

pub(super) fn unknown_node(text: &str, span: Span) -> Node {
    Node {
        expr: unknown(text),
        span,
    }
}

pub use crate::findings::shorten;
