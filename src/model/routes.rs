//! URL routes: what each urlconf module declares (`path`, `re_path`, `url`, `include`,
//! `i18n_patterns`, DRF routers), with views named by their qualified names, and the project's
//! routes resolved from its root urlconf through every `include()`.
//!
//! Everything is read statically from module-level statements (also inside module-level `if`,
//! `try`, `with` and loops, so `if settings.DEBUG: urlpatterns += [...]` counts). Lists are
//! unions of every contribution to a name (`=`, `+=`, `.append`, `.extend`, `.insert`): a list
//! rebuilt on one branch and extended on another yields both. Nothing walks the tree by
//! recursion; expansion keeps its own stack with a guard on the names it is inside.

use crate::model::reach::package_of;
use crate::model::settings::module_of;
use crate::model::symbols::{CallArgs, FileSymbols, NodeIndex};
use crate::parse::python::{self, PyNode, PyRoot};
use std::collections::HashMap;

/// Routes one file may yield before the rest is dropped with a note: far above any real
/// urlconf, low enough that a list doubled on itself (`b = a + a; c = b + b; ...`) stays cheap.
pub const MAX_FILE_ROUTES: usize = 20_000;

/// Routes `resolve` emits before it stops with a note (diamond-shaped includes multiply).
pub const MAX_RESOLVED_ROUTES: usize = 100_000;

/// Names nested in one another a list expansion follows (`a = [include(b)]`, `b = ...`).
const MAX_NAME_DEPTH: usize = 64;

/// Includes nested in one another `resolve` follows across lists.
pub const MAX_INCLUDE_DEPTH: usize = 64;

/// Wrappers unwrapped around one view (`never_cache(csrf_exempt(login_required(v)))`).
const MAX_WRAPPERS: usize = 16;

/// How a route is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RouteKind {
    /// `django.urls.path`.
    Path,
    /// `django.urls.re_path`.
    RePath,
    /// `django.conf.urls.url` (a regex, removed in Django 4).
    Url,
    /// `router.register(prefix, ViewSet)` on a DRF router.
    Router,
    /// A pattern list spliced in without a prefix from another module
    /// (`urlpatterns += other_urls.urlpatterns`, `urlpatterns = common_patterns + ...`).
    Splice,
}

/// What a route leads to.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RouteTarget {
    /// A view function or class, qualified through the file's imports (`app.views.health`).
    View {
        view: String,
        /// Callables wrapped around it, outermost first (`django.views.decorators.csrf.csrf_exempt`).
        wrappers: Vec<String>,
        /// `X.as_view()` or a router's viewset.
        class_based: bool,
    },
    /// `include()` of another module, named as written or qualified (`"app.urls"`,
    /// `debug_toolbar.urls`, `app.api.router.urls`).
    Include { module: String },
    /// `include()` of a list declared in this file: its routes follow with `parent` set.
    Nested,
    /// Could not be read statically.
    Unknown { expr: String, why: String },
}

/// One declared route.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Route {
    /// Relative path of the declaring file.
    pub file: String,
    /// 1-based line of the `path()` call (or the `register()` call, or the spliced name).
    pub line: usize,
    /// The pattern as written (`"api/<int:pk>/"`, `r"^legacy/$"` without quotes); `None` when
    /// computed (an f-string, a call, a name not bound to a literal).
    pub pattern: Option<String>,
    pub kind: RouteKind,
    pub target: RouteTarget,
    /// `name=` (a router's `basename`).
    pub name: Option<String>,
    /// Index in the same list of the `include([...])` route this one is nested under.
    pub parent: Option<usize>,
}

/// A module-level router (`router = DefaultRouter()`) with its registrations, or a pattern
/// list other than `urlpatterns` (`api_patterns = [...]`), kept whether or not this file mounts
/// it, so another urlconf's `include(api.router.urls)` or `from .urls import api_patterns`
/// finds it. `routes` nest by `parent` within this list.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NamedRoutes {
    pub name: String,
    pub line: usize,
    pub routes: Vec<Route>,
}

/// Something in a pattern list that could not be read as routes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Unread {
    pub line: usize,
    pub why: String,
}

/// The routes of one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FileRoutes {
    pub file: String,
    /// Dotted module of the file, named as the settings model names modules.
    pub module: String,
    /// `urlpatterns`, in document order; nested routes follow the route they are under.
    pub routes: Vec<Route>,
    pub routers: Vec<NamedRoutes>,
    /// Module-level names other than `urlpatterns` that hold at least one route.
    pub lists: Vec<NamedRoutes>,
    pub unread: Vec<Unread>,
}

/// A cheap byte test before parsing: only such files can declare routes. Beside `urlpatterns`
/// and routers, a module of lists that others splice in (`common_patterns = [...]`, named
/// with `_patterns` by convention) counts when it calls a route function.
pub fn may_declare_routes(text: &str) -> bool {
    text.contains("urlpatterns")
        || (text.contains(".register(") && text.contains("Router"))
        || (text.contains("_patterns") && (text.contains("path(") || text.contains("url(")))
}

/// Parses `text` and extracts its routes; a file the grammar cannot take yields a note.
pub fn extract_text(rel: &str, text: &str) -> FileRoutes {
    let refuse = |why: String| FileRoutes {
        file: rel.to_string(),
        module: module_of(rel).0,
        unread: vec![Unread { line: 1, why }],
        ..FileRoutes::default()
    };
    if python::indentation_depth(text) > python::MAX_INDENT_DEPTH {
        return refuse("indented too deeply to parse".to_string());
    }
    let Some(parsed) = python::parse(text.to_string()) else {
        return refuse("could not be parsed".to_string());
    };
    let top = parsed.root();
    let index = NodeIndex::build(&top);
    if index.height > python::MAX_TREE_DEPTH {
        return refuse("nested too deeply to read".to_string());
    }
    extract_indexed(rel, &parsed, &index)
}

/// The routes of a parsed file.
pub fn extract(rel: &str, parsed: &PyRoot) -> FileRoutes {
    let top = parsed.root();
    extract_indexed(rel, parsed, &NodeIndex::build(&top))
}

/// As [`extract`], reusing the file's node index.
pub fn extract_indexed<'r>(rel: &str, parsed: &'r PyRoot, index: &NodeIndex<'r>) -> FileRoutes {
    extract_with(rel, parsed, &FileSymbols::from_index(index))
}

/// As [`extract`], reusing the file's symbol table (built from the same tree).
pub fn extract_with<'r>(rel: &str, parsed: &'r PyRoot, symbols: &FileSymbols<'r>) -> FileRoutes {
    let top = parsed.root();
    let mut reader = Reader::new(rel, symbols);
    reader.collect_statements(&top);
    let mut out = FileRoutes {
        file: rel.to_string(),
        module: reader.module.clone(),
        ..FileRoutes::default()
    };
    let roots: Vec<Piece<'r>> = reader.lists.get("urlpatterns").cloned().unwrap_or_default();
    if !roots.is_empty() {
        let guard = reader.chain_push("urlpatterns", None);
        let work = roots
            .into_iter()
            .rev()
            .map(|p| Work::Piece(p, None, guard))
            .collect();
        out.routes = reader.expand(work, MAX_FILE_ROUTES);
    }
    out.lists = reader.named_lists(MAX_FILE_ROUTES.saturating_sub(out.routes.len()));
    let mut names: Vec<(&String, &RouterInfo<'r>)> = reader.routers.iter().collect();
    names.sort_by_key(|(_, r)| r.line);
    out.routers = names
        .into_iter()
        .map(|(name, info)| NamedRoutes {
            name: name.clone(),
            line: info.line,
            routes: reader.router_routes(info, None),
        })
        .collect();
    out.unread = std::mem::take(&mut reader.unread);
    if let Some((line, column)) = python::first_syntax_error(parsed) {
        out.unread.insert(
            0,
            Unread {
                line,
                why: format!("a syntax error at {line}:{column}; routes around it may be missing"),
            },
        );
    }
    out
}

/// One contribution to a module-level list.
#[derive(Clone)]
enum Piece<'r> {
    /// An expression that is a list of patterns (`= [...]`, `+= [...]`, `.extend(x)`).
    List(PyNode<'r>),
    /// One pattern (`.append(x)`, `.insert(i, x)`).
    Item(PyNode<'r>),
}

struct RouterInfo<'r> {
    line: usize,
    registrations: Vec<PyNode<'r>>,
}

/// Pending expansion: a piece under a parent route, inside the names of a guard chain.
enum Work<'r> {
    Piece(Piece<'r>, Option<usize>, Option<usize>),
}

struct Reader<'a, 'r> {
    rel: String,
    module: String,
    package: String,
    symbols: &'a FileSymbols<'r>,
    /// Module-level names with every contribution to them, in document order.
    lists: HashMap<String, Vec<Piece<'r>>>,
    routers: HashMap<String, RouterInfo<'r>>,
    /// Module-level `def` and `class` names: a view defined in the urlconf itself.
    local_defs: Vec<String>,
    /// Modules of `from m import *`.
    star_imports: Vec<String>,
    /// Linked list of names being expanded: (name, outer link).
    chains: Vec<(String, Option<usize>)>,
    /// Expansion steps left for the whole file: lists of empty lists doubled on themselves
    /// yield no route but still cost a step each.
    steps_left: usize,
    unread: Vec<Unread>,
}

fn line_of(node: &PyNode<'_>) -> usize {
    node.get_inner_node().start_position().row + 1
}

/// The text of a string literal as written (escapes kept), or `None` for an f-string with
/// placeholders or anything that is not a string literal.
fn literal_text(node: &PyNode<'_>) -> Option<String> {
    let mut node = node.clone();
    // `(("a"))`: parentheses unwrapped in a loop, never by recursion.
    while node.kind() == "parenthesized_expression" {
        let inner = node.named_children().next()?;
        node = inner;
    }
    let parts: Vec<PyNode<'_>> = match node.kind().as_ref() {
        "string" => vec![node],
        // Its parts are plain strings (the grammar nests nothing deeper).
        "concatenated_string" => node.named_children().collect(),
        _ => return None,
    };
    let mut out = String::new();
    for part in parts {
        if part.kind() != "string" {
            return None;
        }
        for child in part.children() {
            match child.kind().as_ref() {
                "string_content" | "escape_sequence" => out.push_str(&child.text()),
                "interpolation" => return None,
                _ => {}
            }
        }
    }
    Some(out)
}

/// `a` of `a.b.c`, walked without recursion.
fn leftmost_name(node: &PyNode<'_>) -> String {
    let mut current = node.clone();
    while current.kind() == "attribute" {
        match current.field("object") {
            Some(object) => current = object,
            None => break,
        }
    }
    current.text().to_string()
}

fn last_segment(qualified: &str) -> &str {
    qualified.rsplit('.').next().unwrap_or(qualified)
}

/// Statement kinds whose bodies still run at module level.
const MODULE_BLOCKS: &[&str] = &[
    "if_statement",
    "elif_clause",
    "else_clause",
    "try_statement",
    "except_clause",
    "finally_clause",
    "with_statement",
    "for_statement",
    "while_statement",
    "block",
];

impl<'a, 'r> Reader<'a, 'r> {
    fn new(rel: &str, symbols: &'a FileSymbols<'r>) -> Self {
        Reader {
            rel: rel.to_string(),
            module: module_of(rel).0,
            package: package_of(rel),
            symbols,
            lists: HashMap::new(),
            routers: HashMap::new(),
            local_defs: Vec::new(),
            star_imports: Vec::new(),
            chains: Vec::new(),
            steps_left: MAX_FILE_ROUTES * 10,
            unread: Vec::new(),
        }
    }

    fn note(&mut self, node: &PyNode<'_>, why: String) {
        self.unread.push(Unread {
            line: line_of(node),
            why,
        });
    }

    /// Reads every module-level statement, in document order.
    fn collect_statements(&mut self, top: &PyNode<'r>) {
        let mut stack: Vec<PyNode<'r>> = top.children().collect();
        stack.reverse();
        while let Some(node) = stack.pop() {
            let kind = node.kind();
            if MODULE_BLOCKS.contains(&kind.as_ref()) {
                let mut children: Vec<PyNode<'r>> = node.children().collect();
                children.reverse();
                stack.extend(children);
                continue;
            }
            match kind.as_ref() {
                "expression_statement" => {
                    for child in node.named_children() {
                        self.statement(&child);
                    }
                }
                "function_definition" | "class_definition" => self.define(&node),
                "ERROR" => self.damaged(&node),
                "decorated_definition" => {
                    if let Some(inner) = node.field("definition") {
                        self.define(&inner);
                    }
                }
                "import_from_statement"
                    if node.children().any(|c| c.kind() == "wildcard_import") =>
                {
                    if let Some(module) = node.field("module_name") {
                        let module = self.absolute(&module.text());
                        self.star_imports.push(module);
                    }
                }
                _ => {}
            }
        }
    }

    /// `urlpatterns = [path(...), path(...` left unclosed: tree-sitter keeps the name, the
    /// `=` and the complete calls loose in an ERROR node. Those calls are the list's items.
    fn damaged(&mut self, node: &PyNode<'r>) {
        let children: Vec<PyNode<'r>> = node.children().collect();
        let [name, op, rest @ ..] = children.as_slice() else {
            return;
        };
        if name.kind() != "identifier" || !matches!(op.text().as_ref(), "=" | "+=") {
            return;
        }
        for call in rest.iter().filter(|c| c.kind() == "call") {
            self.add(name.text().to_string(), Piece::Item(call.clone()));
        }
    }

    fn define(&mut self, node: &PyNode<'r>) {
        if let Some(name) = node.field("name") {
            self.local_defs.push(name.text().to_string());
        }
    }

    fn add(&mut self, name: String, piece: Piece<'r>) {
        self.lists.entry(name).or_default().push(piece);
    }

    fn statement(&mut self, node: &PyNode<'r>) {
        match node.kind().as_ref() {
            "assignment" => {
                let (Some(left), Some(right)) = (node.field("left"), node.field("right")) else {
                    return;
                };
                if left.kind() != "identifier" {
                    return;
                }
                let name = left.text().to_string();
                if right.kind() == "call" && self.is_router_constructor(&right) {
                    self.routers.entry(name).or_insert(RouterInfo {
                        line: line_of(node),
                        registrations: Vec::new(),
                    });
                } else {
                    self.add(name, Piece::List(right));
                }
            }
            "augmented_assignment" => {
                let (Some(left), Some(right)) = (node.field("left"), node.field("right")) else {
                    return;
                };
                let op = node.field("operator").map(|o| o.text().to_string());
                if left.kind() == "identifier" && op.as_deref() == Some("+=") {
                    self.add(left.text().to_string(), Piece::List(right));
                }
            }
            "call" => self.method_call(node),
            _ => {}
        }
    }

    /// `name.append(x)`, `name.extend(x)`, `name.insert(i, x)`, `router.register(...)`.
    fn method_call(&mut self, call: &PyNode<'r>) {
        let Some(function) = call.field("function").filter(|f| f.kind() == "attribute") else {
            return;
        };
        let (Some(object), Some(method)) = (function.field("object"), function.field("attribute"))
        else {
            return;
        };
        if object.kind() != "identifier" {
            return;
        }
        let name = object.text().to_string();
        let args = CallArgs::of(call);
        match method.text().as_ref() {
            "register" => {
                if let Some(router) = self.routers.get_mut(&name) {
                    router.registrations.push(call.clone());
                }
            }
            "append" => {
                if let Some(item) = args.positional.first() {
                    self.add(name, Piece::Item(item.clone()));
                }
            }
            "extend" => {
                if let Some(list) = args.positional.first() {
                    self.add(name, Piece::List(list.clone()));
                }
            }
            "insert" => {
                if let Some(item) = args.positional.get(1) {
                    self.add(name, Piece::Item(item.clone()));
                }
            }
            _ => {}
        }
    }

    /// `DefaultRouter()`, `routers.SimpleRouter(trailing_slash=False)`, any `*Router(...)`.
    fn is_router_constructor(&self, call: &PyNode<'r>) -> bool {
        call.field("function")
            .is_some_and(|f| last_segment(&self.symbols.qualify(&f)).ends_with("Router"))
    }

    /// A qualified name made absolute: `.views.x` against the file's package.
    fn absolute(&self, qualified: &str) -> String {
        let dots = qualified.len() - qualified.trim_start_matches('.').len();
        if dots == 0 {
            return qualified.to_string();
        }
        let rest = &qualified[dots..];
        let mut parts: Vec<&str> = self.package.split('.').filter(|p| !p.is_empty()).collect();
        for _ in 1..dots {
            parts.pop();
        }
        if !rest.is_empty() {
            parts.push(rest);
        }
        parts.join(".")
    }

    /// The qualified name of a view or module expression, or why there is none.
    fn qualified(&self, node: &PyNode<'r>) -> Result<String, String> {
        if node.kind() == "identifier" {
            let name = node.text().to_string();
            if let Some(imported) = self.symbols.import_of(&name) {
                return Ok(self.absolute(imported));
            }
            if self.local_defs.contains(&name) {
                return Ok(format!("{}.{name}", self.module));
            }
            return match self.star_imports.as_slice() {
                [only] => Ok(format!("{only}.{name}")),
                [] => Err(format!(
                    "`{name}` is neither imported nor defined in this file"
                )),
                _ => Err(format!(
                    "`{name}` may come from any of {} star imports",
                    self.star_imports.len()
                )),
            };
        }
        let text = self.symbols.qualify(node);
        if text.contains("<expr>") || text.contains("<str>") || text.contains('(') {
            return Err("an expression, not a name".to_string());
        }
        // The chain's first name decides: imported (qualify already followed it), defined
        // here, or brought in by the one star import.
        let head = leftmost_name(node);
        if text.starts_with('.') || self.symbols.import_of(&head).is_some() {
            return Ok(self.absolute(&text));
        }
        if self.local_defs.contains(&head) {
            return Ok(format!("{}.{text}", self.module));
        }
        match self.star_imports.as_slice() {
            [only] => Ok(format!("{only}.{text}")),
            _ => Err(format!(
                "`{head}` is neither imported nor defined in this file"
            )),
        }
    }

    /// The name a callee stands for, as well as it can be told.
    fn callee(&self, call: &PyNode<'r>) -> String {
        match call.field("function") {
            Some(f) => self
                .qualified(&f)
                .unwrap_or_else(|_| self.absolute(&self.symbols.qualify(&f))),
            None => String::new(),
        }
    }

    /// The pattern of a route argument: a literal, or a name bound to one.
    fn pattern(&self, node: &PyNode<'r>) -> Option<String> {
        literal_text(&self.symbols.resolve_value(node))
    }

    fn chain_push(&mut self, name: &str, outer: Option<usize>) -> Option<usize> {
        self.chains.push((name.to_string(), outer));
        Some(self.chains.len() - 1)
    }

    /// `name` is being expanded around here, or the names are nested past `MAX_NAME_DEPTH`
    /// (so that each check stays short, whatever the file).
    fn in_chain(&self, name: &str, mut link: Option<usize>) -> bool {
        let mut depth = 0;
        while let Some(i) = link {
            depth += 1;
            if self.chains[i].0 == name || depth > MAX_NAME_DEPTH {
                return true;
            }
            link = self.chains[i].1;
        }
        false
    }

    /// Expands pattern lists into routes, depth first in document order.
    fn expand(&mut self, mut work: Vec<Work<'r>>, limit: usize) -> Vec<Route> {
        let mut routes: Vec<Route> = Vec::new();
        while let Some(Work::Piece(piece, parent, guard)) = work.pop() {
            self.steps_left = self.steps_left.saturating_sub(1);
            if routes.len() >= limit || self.steps_left == 0 {
                let line = routes.last().map_or(1, |r| r.line);
                self.unread.push(Unread {
                    line,
                    why: format!("more than {MAX_FILE_ROUTES} routes; the rest were not read"),
                });
                break;
            }
            let mut pending: Vec<Work<'r>> = Vec::new();
            match piece {
                Piece::List(node) => self.list(&node, parent, guard, &mut routes, &mut pending),
                Piece::Item(node) => self.item(&node, parent, guard, &mut routes, &mut pending),
            }
            work.extend(pending.into_iter().rev());
        }
        routes
    }

    /// Every other module-level name that holds a route of its own (a name bound to one
    /// spliced import, or to a string, is no list), within a shared budget of routes. What
    /// these expansions could not read is already told by `urlpatterns` or is no pattern list.
    fn named_lists(&mut self, mut budget: usize) -> Vec<NamedRoutes> {
        let mut names: Vec<(usize, String)> = self
            .lists
            .iter()
            .filter(|(name, _)| name.as_str() != "urlpatterns")
            .filter_map(|(name, pieces)| Some((piece_line(pieces.first()?), name.clone())))
            .collect();
        names.sort();
        let mut out = Vec::new();
        for (line, name) in names {
            if budget == 0 || self.steps_left == 0 {
                break;
            }
            let pieces = self.lists[&name].clone();
            let guard = self.chain_push(&name, None);
            let work = pieces
                .into_iter()
                .rev()
                .map(|p| Work::Piece(p, None, guard))
                .collect();
            let notes = self.unread.len();
            let routes = self.expand(work, budget);
            self.unread.truncate(notes);
            if routes.iter().any(|r| r.kind != RouteKind::Splice) {
                budget = budget.saturating_sub(routes.len());
                out.push(NamedRoutes { name, line, routes });
            }
        }
        out
    }

    /// An expression standing for a list of patterns.
    fn list(
        &mut self,
        node: &PyNode<'r>,
        parent: Option<usize>,
        guard: Option<usize>,
        routes: &mut Vec<Route>,
        pending: &mut Vec<Work<'r>>,
    ) {
        match node.kind().as_ref() {
            "list" | "tuple" | "expression_list" | "parenthesized_expression" => {
                for child in node.named_children().filter(|c| c.kind() != "comment") {
                    pending.push(Work::Piece(Piece::Item(child), parent, guard));
                }
            }
            "binary_operator" => {
                for side in [node.field("left"), node.field("right")]
                    .into_iter()
                    .flatten()
                {
                    pending.push(Work::Piece(Piece::List(side), parent, guard));
                }
            }
            "identifier" => {
                let name = node.text().to_string();
                if let Some(pieces) = self.lists.get(&name).cloned() {
                    if self.in_chain(&name, guard) {
                        return;
                    }
                    let inner = self.chain_push(&name, guard);
                    for piece in pieces {
                        pending.push(Work::Piece(piece, parent, inner));
                    }
                } else {
                    self.splice(node, parent, routes);
                }
            }
            "attribute" => {
                if let Some(router) = self.local_router_urls(node) {
                    let info = &self.routers[&router];
                    let mut found = self.router_routes(info, parent);
                    routes.append(&mut found);
                } else {
                    self.splice(node, parent, routes);
                }
            }
            "call" => {
                let callee = self.callee(node);
                if is_list_call(&callee) {
                    for arg in CallArgs::of(node).positional {
                        if literal_text(&arg).is_none() {
                            pending.push(Work::Piece(Piece::List(arg), parent, guard));
                        }
                    }
                } else if is_route_call(&callee).is_some() {
                    // `urlpatterns += path(...)`: one route where a list was expected.
                    pending.push(Work::Piece(Piece::Item(node.clone()), parent, guard));
                } else {
                    self.note(node, format!("patterns computed by a call to `{callee}`"));
                }
            }
            "list_splat" => {
                if let Some(inner) = node.named_children().next() {
                    pending.push(Work::Piece(Piece::List(inner), parent, guard));
                }
            }
            "list_comprehension" | "generator_expression" => {
                self.note(node, "patterns built by a comprehension".to_string());
            }
            _ => self.note(node, format!("patterns from a `{}`", node.kind())),
        }
    }

    /// `router.urls` of a router declared in this file.
    fn local_router_urls(&self, node: &PyNode<'r>) -> Option<String> {
        let attr = node.field("attribute")?;
        let object = node.field("object")?;
        (attr.text() == "urls" && object.kind() == "identifier")
            .then(|| object.text().to_string())
            .filter(|name| self.routers.contains_key(name))
    }

    /// A pattern list named from another module, spliced in without a prefix.
    fn splice(&mut self, node: &PyNode<'r>, parent: Option<usize>, routes: &mut Vec<Route>) {
        let target = match self.qualified(node) {
            Ok(module) => RouteTarget::Include { module },
            Err(why) => RouteTarget::Unknown {
                expr: node.text().to_string(),
                why,
            },
        };
        routes.push(Route {
            file: self.rel.clone(),
            line: line_of(node),
            pattern: Some(String::new()),
            kind: RouteKind::Splice,
            target,
            name: None,
            parent,
        });
    }

    /// One element of a pattern list.
    fn item(
        &mut self,
        node: &PyNode<'r>,
        parent: Option<usize>,
        guard: Option<usize>,
        routes: &mut Vec<Route>,
        pending: &mut Vec<Work<'r>>,
    ) {
        if node.kind() != "call" {
            // A splat, a nested list, a name of a list: all lists in an item's place.
            self.list(node, parent, guard, routes, pending);
            return;
        }
        let callee = self.callee(node);
        let Some(kind) = is_route_call(&callee) else {
            self.list(node, parent, guard, routes, pending);
            return;
        };
        let args = CallArgs::of(node);
        let route_arg = args
            .positional
            .first()
            .or_else(|| args.keyword("route"))
            .or_else(|| args.keyword("regex"));
        let view_arg = args.positional.get(1).or_else(|| args.keyword("view"));
        let name = args
            .keyword("name")
            .or_else(|| args.positional.get(3))
            .and_then(|n| literal_text(&self.symbols.resolve_value(n)));
        let pattern = route_arg.and_then(|a| self.pattern(a));
        let index = routes.len();
        let mut nested: Vec<Piece<'r>> = Vec::new();
        let target = match view_arg {
            Some(view) => self.target(view, &mut nested),
            None => RouteTarget::Unknown {
                expr: node.text().to_string(),
                why: "no view argument".to_string(),
            },
        };
        routes.push(Route {
            file: self.rel.clone(),
            line: line_of(node),
            pattern,
            kind,
            target,
            name,
            parent,
        });
        for piece in nested {
            pending.push(Work::Piece(piece, Some(index), guard));
        }
    }

    /// What a route's view argument leads to; a local list to nest goes to `nested`.
    fn target(&mut self, view: &PyNode<'r>, nested: &mut Vec<Piece<'r>>) -> RouteTarget {
        let mut current = self.symbols.resolve_value(view);
        let mut wrappers: Vec<String> = Vec::new();
        for _ in 0..MAX_WRAPPERS {
            match current.kind().as_ref() {
                "call" => {
                    let Some(function) = current.field("function") else {
                        break;
                    };
                    let method = (function.kind() == "attribute")
                        .then(|| function.field("attribute").map(|a| a.text().to_string()))
                        .flatten();
                    if method.as_deref() == Some("as_view") {
                        let Some(mut class) = function.field("object") else {
                            break;
                        };
                        // `View().as_view()`: as_view is a classmethod, the class is the callee.
                        if let Some(callee) =
                            class.field("function").filter(|_| class.kind() == "call")
                        {
                            class = callee;
                        }
                        return match self.qualified(&self.symbols.resolve_value(&class)) {
                            Ok(view) => RouteTarget::View {
                                view,
                                wrappers,
                                class_based: true,
                            },
                            Err(why) => unknown(&current, why),
                        };
                    }
                    let callee = self.callee(&current);
                    let args = CallArgs::of(&current);
                    if last_segment(&callee) == "include" {
                        return match args.positional.first() {
                            Some(arg) => self.include(arg, nested),
                            None => unknown(&current, "`include()` without a target".to_string()),
                        };
                    }
                    // `cache_page(60)(view)`: the wrapper is the inner call's callee.
                    let wrapper = if function.kind() == "call" {
                        self.callee(&function)
                    } else {
                        callee
                    };
                    match args.positional.first() {
                        Some(inner) if literal_text(inner).is_none() => {
                            wrappers.push(wrapper);
                            current = self.symbols.resolve_value(inner);
                        }
                        // `ChangesFeed()`: an instance of a callable class is the view.
                        None if args.keywords.is_empty()
                            && function.kind() != "call"
                            && last_segment(&wrapper)
                                .starts_with(|c: char| c.is_ascii_uppercase()) =>
                        {
                            return match self.qualified(&function) {
                                Ok(view) => RouteTarget::View {
                                    view,
                                    wrappers,
                                    class_based: true,
                                },
                                Err(why) => unknown(&current, why),
                            };
                        }
                        _ => {
                            return unknown(
                                &current,
                                format!("the view is returned by a call to `{wrapper}`"),
                            )
                        }
                    }
                }
                "identifier" | "attribute" => {
                    return match self.qualified(&current) {
                        Ok(view) => {
                            // `admin.site.urls`, `debug_toolbar.urls`: a (patterns, app, ns)
                            // triple or a urls module, mounted like an include.
                            if wrappers.is_empty() && view.ends_with(".urls") {
                                RouteTarget::Include { module: view }
                            } else {
                                RouteTarget::View {
                                    view,
                                    wrappers,
                                    class_based: false,
                                }
                            }
                        }
                        Err(why) => unknown(&current, why),
                    };
                }
                "tuple" | "list" => return self.include(&current, nested),
                "lambda" => return unknown(&current, "a lambda".to_string()),
                // Django 1's `url(r"^$", "app.views.home")`: the view by its dotted name.
                "string" | "concatenated_string" if wrappers.is_empty() => {
                    return match literal_text(&current) {
                        Some(view) => RouteTarget::View {
                            view,
                            wrappers,
                            class_based: false,
                        },
                        None => unknown(&current, "a computed string".to_string()),
                    };
                }
                other => return unknown(&current, format!("a `{other}`")),
            }
        }
        unknown(
            &current,
            format!("more than {MAX_WRAPPERS} wrappers around the view"),
        )
    }

    /// The target of `include(x)`: a module by name or object, a local list, a tuple.
    fn include(&mut self, arg: &PyNode<'r>, nested: &mut Vec<Piece<'r>>) -> RouteTarget {
        let mut current = arg.clone();
        // `(patterns, app_name)`: the first element is the target.
        if current.kind() == "tuple" {
            let first = current.named_children().next();
            match first {
                Some(first) => current = first,
                None => return unknown(&current, "an empty tuple".to_string()),
            }
        }
        // A list this file builds (all its contributions), or a router it declares.
        let is_local_list =
            current.kind() == "identifier" && self.lists.contains_key(current.text().as_ref());
        if is_local_list || self.local_router_urls(&current).is_some() {
            nested.push(Piece::List(current));
            return RouteTarget::Nested;
        }
        let current = self.symbols.resolve_value(&current);
        if let Some(module) = literal_text(&current) {
            return RouteTarget::Include { module };
        }
        match current.kind().as_ref() {
            "list" | "binary_operator" | "list_comprehension" => {
                nested.push(Piece::List(current));
                RouteTarget::Nested
            }
            "identifier" | "attribute" => match self.qualified(&current) {
                Ok(module) => RouteTarget::Include { module },
                Err(why) => unknown(&current, why),
            },
            "call" => {
                let callee = self.callee(&current);
                if is_list_call(&callee) {
                    nested.push(Piece::List(current));
                    RouteTarget::Nested
                } else {
                    unknown(
                        &current,
                        format!("the included patterns come from a call to `{callee}`"),
                    )
                }
            }
            "string" | "concatenated_string" => unknown(
                &current,
                "the included module's name is computed".to_string(),
            ),
            other => unknown(&current, format!("an include of a `{other}`")),
        }
    }

    /// The routes of a router's registrations, each under `parent`.
    fn router_routes(&self, info: &RouterInfo<'r>, parent: Option<usize>) -> Vec<Route> {
        info.registrations
            .iter()
            .map(|call| {
                let args = CallArgs::of(call);
                let prefix = args
                    .positional
                    .first()
                    .or_else(|| args.keyword("prefix"))
                    .and_then(|p| self.pattern(p));
                let viewset = args.positional.get(1).or_else(|| args.keyword("viewset"));
                let target = match viewset {
                    Some(v) => match self.qualified(&self.symbols.resolve_value(v)) {
                        Ok(view) => RouteTarget::View {
                            view,
                            wrappers: Vec::new(),
                            class_based: true,
                        },
                        Err(why) => unknown(v, why),
                    },
                    None => unknown(call, "no viewset argument".to_string()),
                };
                let name = args
                    .keyword("basename")
                    .or_else(|| args.keyword("base_name"))
                    .or_else(|| args.positional.get(2))
                    .and_then(|n| literal_text(&self.symbols.resolve_value(n)));
                Route {
                    file: self.rel.clone(),
                    line: line_of(call),
                    pattern: prefix,
                    kind: RouteKind::Router,
                    target,
                    name,
                    parent,
                }
            })
            .collect()
    }
}

fn piece_line(piece: &Piece<'_>) -> usize {
    match piece {
        Piece::List(node) | Piece::Item(node) => line_of(node),
    }
}

fn unknown(node: &PyNode<'_>, why: String) -> RouteTarget {
    let text = node.text();
    let expr: String = text.chars().take(120).collect();
    RouteTarget::Unknown { expr, why }
}

/// The route kind of a callee: Django's functions, or a bare name that reads like them.
fn is_route_call(callee: &str) -> Option<RouteKind> {
    let from_django = callee.starts_with("django.") || !callee.contains('.');
    if !from_django {
        return None;
    }
    match last_segment(callee) {
        "path" => Some(RouteKind::Path),
        "re_path" => Some(RouteKind::RePath),
        "url" => Some(RouteKind::Url),
        _ => None,
    }
}

/// Calls that return the patterns they are given (`i18n_patterns(*urls)`,
/// `format_suffix_patterns([...])`, Django 1's `patterns("", ...)`).
fn is_list_call(callee: &str) -> bool {
    matches!(
        last_segment(callee),
        "i18n_patterns" | "format_suffix_patterns" | "patterns"
    )
}

// ---------------------------------------------------------------------------------------------
// The project's routes

/// A route with its full path from the root urlconf.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResolvedRoute {
    /// The declaring file, line and kind of the route that leads to the view.
    pub file: String,
    pub line: usize,
    pub kind: RouteKind,
    /// The prefixes of every include and the route's own pattern, concatenated; a regex keeps
    /// its text (a `^` that opens an inner regex is dropped). A computed part is `{?}`.
    pub path: String,
    /// Some part of `path` was computed.
    pub computed: bool,
    /// A view or an unknown target (includes are followed, never listed here).
    pub target: RouteTarget,
    pub name: Option<String>,
}

/// An include `resolve` did not follow.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MissedInclude {
    pub file: String,
    pub line: usize,
    pub module: String,
    /// Where it is mounted (`admin/` for `path("admin/", admin.site.urls)`).
    pub path: String,
    /// `not found` (another package, or a file not read), `cycle` (already being included) or
    /// `too deep` (past `MAX_INCLUDE_DEPTH` includes).
    pub why: String,
}

/// The project's routes from one root urlconf.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resolved {
    pub routes: Vec<ResolvedRoute>,
    pub missed: Vec<MissedInclude>,
    /// The root module was found among the files.
    pub root_found: bool,
    /// Stopped at `MAX_RESOLVED_ROUTES`.
    pub truncated: bool,
}

/// A list of routes among the files.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Source {
    /// A file's `urlpatterns`.
    Patterns(usize),
    /// A router declared in a file (`app.api.router.urls`).
    Router(usize, usize),
    /// Another pattern list of a file (`app.urls.api_patterns`).
    List(usize, usize),
}

fn source_file(source: Source) -> usize {
    match source {
        Source::Patterns(f) | Source::Router(f, _) | Source::List(f, _) => f,
    }
}

impl Source {
    fn routes(self, files: &[FileRoutes]) -> &[Route] {
        match self {
            Source::Patterns(f) => &files[f].routes,
            Source::Router(f, r) => &files[f].routers[r].routes,
            Source::List(f, l) => &files[f].lists[l].routes,
        }
    }
}

/// Every file by every dotted suffix of its module (`a.b.urls`: `urls`, `b.urls`,
/// `a.b.urls`), so a lookup is one hash probe, whatever the number of files.
struct Modules<'f> {
    files: &'f [FileRoutes],
    by_suffix: HashMap<&'f str, Vec<usize>>,
}

impl<'f> Modules<'f> {
    fn new(files: &'f [FileRoutes]) -> Self {
        let mut by_suffix: HashMap<&'f str, Vec<usize>> = HashMap::new();
        for (i, f) in files.iter().enumerate() {
            let module = f.module.as_str();
            by_suffix.entry(module).or_default().push(i);
            for (at, _) in module.match_indices('.') {
                by_suffix.entry(&module[at + 1..]).or_default().push(i);
            }
        }
        Modules { files, by_suffix }
    }

    /// The file whose module is `dotted` or ends with `.dotted`: the exact one, else the one
    /// sharing most leading packages with the includer `near` (the same source tree), else the
    /// shortest.
    fn find(&self, dotted: &str, near: &str) -> Option<usize> {
        let candidates = self.by_suffix.get(dotted)?;
        let shared = |module: &str| {
            module
                .split('.')
                .zip(near.split('.'))
                .take_while(|(a, b)| a == b)
                .count()
        };
        candidates.iter().copied().min_by_key(|&i| {
            let module = self.files[i].module.as_str();
            (
                module != dotted,
                usize::MAX - shared(module),
                module.len(),
                i,
            )
        })
    }

    /// A module, or a list or router named inside one (`m.urlpatterns`, `m.api_patterns`,
    /// `m.router.urls`).
    fn target(&self, module: &str, near: &str) -> Option<Source> {
        let files = self.files;
        if let Some(i) = self.find(module, near) {
            return Some(Source::Patterns(i));
        }
        let (head, last) = module.rsplit_once('.')?;
        if let Some(i) = self.find(head, near) {
            if let Some(r) = files[i].routers.iter().position(|r| r.name == last) {
                return Some(Source::Router(i, r));
            }
            if let Some(l) = files[i].lists.iter().position(|l| l.name == last) {
                return Some(Source::List(i, l));
            }
            return (last == "urlpatterns").then_some(Source::Patterns(i));
        }
        let (module, router) = head.rsplit_once('.')?;
        let i = self.find(module, near)?;
        let r = files[i].routers.iter().position(|r| r.name == router)?;
        (last == "urls").then_some(Source::Router(i, r))
    }
}

/// Joins a prefix and a pattern as Django matches them.
fn join(prefix: &str, pattern: &str) -> String {
    if prefix.is_empty() {
        return pattern.to_string();
    }
    let mut out = prefix.trim_end_matches('$').to_string();
    out.push_str(pattern.strip_prefix('^').unwrap_or(pattern));
    out
}

/// One list being walked at one level.
struct Frame {
    source: Source,
    /// Indices in the source's routes still to walk, reversed (next at the end).
    todo: Vec<usize>,
    prefix: String,
    computed: bool,
    /// Lists being included along the way here, for the cycle guard.
    chain: Vec<Source>,
}

/// The top-level routes of a list, and for each route the routes nested under it, in order.
type Nesting = (Vec<usize>, HashMap<usize, Vec<usize>>);

fn nesting(routes: &[Route]) -> Nesting {
    let mut top = Vec::new();
    let mut children: HashMap<usize, Vec<usize>> = HashMap::new();
    for (i, r) in routes.iter().enumerate() {
        match r.parent {
            Some(p) => children.entry(p).or_default().push(i),
            None => top.push(i),
        }
    }
    (top, children)
}

/// Follows `include()` from the root urlconf module (ROOT_URLCONF's value) to every view.
pub fn resolve(files: &[FileRoutes], root: &str) -> Resolved {
    let mut out = Resolved::default();
    let modules = Modules::new(files);
    let Some(first) = modules.find(root, "") else {
        return out;
    };
    out.root_found = true;
    let mut nestings: HashMap<Source, Nesting> = HashMap::new();
    let mut frame_of = |source: Source, children_of: Option<usize>, prefix, computed, chain| {
        let (top, children) = nestings
            .entry(source)
            .or_insert_with(|| nesting(source.routes(files)));
        let mut todo = match children_of {
            Some(p) => children.get(&p).cloned().unwrap_or_default(),
            None => top.clone(),
        };
        todo.reverse();
        Frame {
            source,
            todo,
            prefix,
            computed,
            chain,
        }
    };
    let mut stack = vec![frame_of(
        Source::Patterns(first),
        None,
        String::new(),
        false,
        vec![Source::Patterns(first)],
    )];
    while let Some(frame) = stack.last_mut() {
        let Some(i) = frame.todo.pop() else {
            stack.pop();
            continue;
        };
        if out.routes.len() >= MAX_RESOLVED_ROUTES {
            out.truncated = true;
            break;
        }
        let source = frame.source;
        let route = &source.routes(files)[i];
        let (path, computed) = match &route.pattern {
            Some(p) => (join(&frame.prefix, p), frame.computed),
            None => (join(&frame.prefix, "{?}"), true),
        };
        match &route.target {
            RouteTarget::Nested => {
                let chain = frame.chain.clone();
                stack.push(frame_of(source, Some(i), path, computed, chain));
            }
            RouteTarget::Include { module } => {
                let missed = |why: &str| MissedInclude {
                    file: route.file.clone(),
                    line: route.line,
                    module: module.clone(),
                    path: path.clone(),
                    why: why.to_string(),
                };
                let chain = &frame.chain;
                let near = files[source_file(source)].module.as_str();
                match modules.target(module, near) {
                    None => out.missed.push(missed("not found")),
                    Some(target) if chain.contains(&target) => out.missed.push(missed("cycle")),
                    Some(_) if chain.len() >= MAX_INCLUDE_DEPTH => {
                        out.missed.push(missed("too deep"))
                    }
                    Some(target) => {
                        let mut chain = chain.clone();
                        chain.push(target);
                        stack.push(frame_of(target, None, path, computed, chain));
                    }
                }
            }
            RouteTarget::View { .. } | RouteTarget::Unknown { .. } => {
                out.routes.push(ResolvedRoute {
                    file: route.file.clone(),
                    line: route.line,
                    kind: route.kind,
                    path,
                    computed,
                    target: route.target.clone(),
                    name: route.name.clone(),
                });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(name: &str) -> RouteTarget {
        RouteTarget::View {
            view: name.to_string(),
            wrappers: Vec::new(),
            class_based: false,
        }
    }

    fn class_view(name: &str) -> RouteTarget {
        RouteTarget::View {
            view: name.to_string(),
            wrappers: Vec::new(),
            class_based: true,
        }
    }

    fn include(module: &str) -> RouteTarget {
        RouteTarget::Include {
            module: module.to_string(),
        }
    }

    /// (line, pattern, kind, target, name, parent) of every route.
    type Row = (
        usize,
        Option<String>,
        RouteKind,
        RouteTarget,
        Option<String>,
        Option<usize>,
    );

    fn rows(routes: &[Route]) -> Vec<Row> {
        routes
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.pattern.clone(),
                    r.kind,
                    r.target.clone(),
                    r.name.clone(),
                    r.parent,
                )
            })
            .collect()
    }

    fn row(
        line: usize,
        pattern: Option<&str>,
        kind: RouteKind,
        target: RouteTarget,
        name: Option<&str>,
        parent: Option<usize>,
    ) -> Row {
        (
            line,
            pattern.map(str::to_string),
            kind,
            target,
            name.map(str::to_string),
            parent,
        )
    }

    use RouteKind::{Path, RePath, Router, Splice, Url};

    #[test]
    fn function_views_class_views_and_wrappers() {
        let text = r#"from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.cache import cache_page
from django.contrib.auth.decorators import login_required
from . import views
from .views import HealthView
from shop.api import views as api_views

def ping(request):
    return None

urlpatterns = [
    path("", views.index, name="index"),
    path("health/", HealthView.as_view(), name="health"),
    path("hook/", csrf_exempt(views.webhook)),
    path("cached/", cache_page(60)(login_required(api_views.Products.as_view()))),
    re_path(r"^item/(?P<pk>\d+)/$", views.item, name="item"),
    path("ping", ping),
    path("x", lambda request: None),
    path("feed/", views.LatestFeed()),
    path("files/", views.FilesAPI().as_view(serializer_class=None)),
]
"#;
        let found = extract_text("shop/urls.py", text);
        assert_eq!(found.module, "shop.urls");
        assert_eq!(found.unread, vec![]);
        assert_eq!(
            rows(&found.routes),
            vec![
                row(
                    13,
                    Some(""),
                    Path,
                    view("shop.views.index"),
                    Some("index"),
                    None
                ),
                row(
                    14,
                    Some("health/"),
                    Path,
                    class_view("shop.views.HealthView"),
                    Some("health"),
                    None
                ),
                row(
                    15,
                    Some("hook/"),
                    Path,
                    RouteTarget::View {
                        view: "shop.views.webhook".into(),
                        wrappers: vec!["django.views.decorators.csrf.csrf_exempt".into()],
                        class_based: false,
                    },
                    None,
                    None
                ),
                row(
                    16,
                    Some("cached/"),
                    Path,
                    RouteTarget::View {
                        view: "shop.api.views.Products".into(),
                        wrappers: vec![
                            "django.views.decorators.cache.cache_page".into(),
                            "django.contrib.auth.decorators.login_required".into()
                        ],
                        class_based: true,
                    },
                    None,
                    None
                ),
                row(
                    17,
                    Some(r"^item/(?P<pk>\d+)/$"),
                    RePath,
                    view("shop.views.item"),
                    Some("item"),
                    None
                ),
                row(18, Some("ping"), Path, view("shop.urls.ping"), None, None),
                row(
                    19,
                    Some("x"),
                    Path,
                    RouteTarget::Unknown {
                        expr: "lambda request: None".into(),
                        why: "a lambda".into()
                    },
                    None,
                    None
                ),
                row(
                    20,
                    Some("feed/"),
                    Path,
                    class_view("shop.views.LatestFeed"),
                    None,
                    None
                ),
                row(
                    21,
                    Some("files/"),
                    Path,
                    class_view("shop.views.FilesAPI"),
                    None,
                    None
                ),
            ]
        );
        assert_eq!(found.routes[0].file, "shop/urls.py");
    }

    #[test]
    fn includes_by_string_module_tuple_and_local_list() {
        let text = r#"from django.contrib import admin
from django.urls import include, path
from django.conf.urls import url
import debug_toolbar
from . import bugs_urls
from .views import home

extra = [
    path("a/", home, name="a"),
]
extra.append(path("b/", home))

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", include("shop.api.urls", namespace="api")),
    path("bugs/", include(bugs_urls)),
    path("plugins/", include((extra, "plugins"))),
    url(r"^legacy/", include([url(r"^old/$", home)])),
]
urlpatterns += [path("__debug__/", include(debug_toolbar.urls))]
"#;
        let found = extract_text("shop/urls.py", text);
        assert_eq!(found.unread, vec![]);
        assert_eq!(
            rows(&found.routes),
            vec![
                row(
                    14,
                    Some("admin/"),
                    Path,
                    include("django.contrib.admin.site.urls"),
                    None,
                    None
                ),
                row(15, Some("api/"), Path, include("shop.api.urls"), None, None),
                row(
                    16,
                    Some("bugs/"),
                    Path,
                    include("shop.bugs_urls"),
                    None,
                    None
                ),
                row(17, Some("plugins/"), Path, RouteTarget::Nested, None, None),
                row(
                    9,
                    Some("a/"),
                    Path,
                    view("shop.views.home"),
                    Some("a"),
                    Some(3)
                ),
                row(11, Some("b/"), Path, view("shop.views.home"), None, Some(3)),
                row(18, Some("^legacy/"), Url, RouteTarget::Nested, None, None),
                row(
                    18,
                    Some("^old/$"),
                    Url,
                    view("shop.views.home"),
                    None,
                    Some(6)
                ),
                row(
                    20,
                    Some("__debug__/"),
                    Path,
                    include("debug_toolbar.urls"),
                    None,
                    None
                ),
            ]
        );
    }

    #[test]
    fn drf_routers_mounted_by_urls_and_by_include() {
        let text = r#"from django.urls import include, path
from rest_framework import routers
from rest_framework.routers import SimpleRouter
from .api import ProjectViewSet, TaskViewSet

router = routers.DefaultRouter()
router.register(r"projects", ProjectViewSet, basename="project")
router.register("tasks", TaskViewSet, "task")

internal = SimpleRouter()
internal.register(r"internal/tasks", TaskViewSet)

urlpatterns = [
    path("api/", include(router.urls)),
]
urlpatterns += internal.urls
"#;
        let found = extract_text("core/urls.py", text);
        assert_eq!(found.unread, vec![]);
        assert_eq!(
            rows(&found.routes),
            vec![
                row(14, Some("api/"), Path, RouteTarget::Nested, None, None),
                row(
                    7,
                    Some("projects"),
                    Router,
                    class_view("core.api.ProjectViewSet"),
                    Some("project"),
                    Some(0)
                ),
                row(
                    8,
                    Some("tasks"),
                    Router,
                    class_view("core.api.TaskViewSet"),
                    Some("task"),
                    Some(0)
                ),
                row(
                    11,
                    Some("internal/tasks"),
                    Router,
                    class_view("core.api.TaskViewSet"),
                    None,
                    None
                ),
            ]
        );
        let names: Vec<(&str, usize, usize)> = found
            .routers
            .iter()
            .map(|r| (r.name.as_str(), r.line, r.routes.len()))
            .collect();
        assert_eq!(names, [("router", 6, 2), ("internal", 10, 1)]);
    }

    #[test]
    fn i18n_computed_patterns_debug_branches_and_splices() {
        let text = r#"from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.conf.urls.static import static
from django.urls import path, re_path
from shop import views
from shop.common import common_patterns

prefix = f"{settings.BASE}/"
HOME = "home/"

urlpatterns = i18n_patterns(
    path(HOME, views.home),
    path(prefix, views.base),
    re_path(settings.LEGACY, views.legacy),
)
urlpatterns += common_patterns
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL)
    urlpatterns.extend([path("debug/", views.debug)])
"#;
        let found = extract_text("shop/urls.py", text);
        assert_eq!(
            rows(&found.routes),
            vec![
                row(12, Some("home/"), Path, view("shop.views.home"), None, None),
                row(13, None, Path, view("shop.views.base"), None, None),
                row(14, None, RePath, view("shop.views.legacy"), None, None),
                row(
                    16,
                    Some(""),
                    Splice,
                    include("shop.common.common_patterns"),
                    None,
                    None
                ),
                row(
                    19,
                    Some("debug/"),
                    Path,
                    view("shop.views.debug"),
                    None,
                    None
                ),
            ]
        );
        assert_eq!(
            found.unread,
            vec![Unread {
                line: 18,
                why: "patterns computed by a call to `django.conf.urls.static.static`".into()
            }]
        );
    }

    #[test]
    fn names_from_star_imports_and_unknown_names() {
        let one = "from django.urls import path\nfrom .views import *\nurlpatterns = [path('a', index)]\n";
        let found = extract_text("blog/urls.py", one);
        assert_eq!(rows(&found.routes)[0].3, view("blog.views.index"));
        let none = "from django.urls import path\nurlpatterns = [path('a', index), path('b', get_view('b'))]\n";
        let found = extract_text("blog/urls.py", none);
        assert_eq!(
            rows(&found.routes)
                .into_iter()
                .map(|r| r.3)
                .collect::<Vec<_>>(),
            vec![
                RouteTarget::Unknown {
                    expr: "index".into(),
                    why: "`index` is neither imported nor defined in this file".into()
                },
                RouteTarget::Unknown {
                    expr: "get_view('b')".into(),
                    why: "the view is returned by a call to `get_view`".into()
                },
            ]
        );
    }

    #[test]
    fn legacy_string_views_and_computed_include_names() {
        let text = "from django.conf.urls import url, include\nurlpatterns = [url(r'^$', 'blog.views.home'), url(r'^p/', include(f'{APP}.urls'))]\n";
        let targets: Vec<RouteTarget> = extract_text("blog/urls.py", text)
            .routes
            .into_iter()
            .map(|r| r.target)
            .collect();
        assert_eq!(
            targets,
            vec![
                view("blog.views.home"),
                RouteTarget::Unknown {
                    expr: "f'{APP}.urls'".into(),
                    why: "the included module's name is computed".into()
                }
            ]
        );
    }

    #[test]
    fn self_referring_lists_and_cycles_end() {
        let text = "from django.urls import path, include\nfrom . import views\na = [path('x/', include(b))]\nb = [path('y/', include(a)), path('z', views.z)]\nurlpatterns = [path('', views.i)] + urlpatterns + a\n";
        let found = extract_text("p/urls.py", text);
        assert_eq!(
            rows(&found.routes),
            vec![
                row(5, Some(""), Path, view("p.views.i"), None, None),
                row(3, Some("x/"), Path, RouteTarget::Nested, None, None),
                row(4, Some("y/"), Path, RouteTarget::Nested, None, Some(1)),
                row(4, Some("z"), Path, view("p.views.z"), None, Some(1)),
            ]
        );
        let doubled: String = (0..40)
            .map(|i| format!("l{} = l{i} + l{i}\n", i + 1))
            .collect();
        let text = format!(
            "from django.urls import path\nl0 = [path('a', v)]\n{doubled}urlpatterns = l40\n"
        );
        let found = extract_text("p/urls.py", &text);
        assert_eq!(found.routes.len(), MAX_FILE_ROUTES);
        assert_eq!(
            found.unread.last().map(|u| u.why.clone()),
            Some(format!(
                "more than {MAX_FILE_ROUTES} routes; the rest were not read"
            ))
        );
    }

    #[test]
    fn relative_imports_climb_packages() {
        let text = "from django.urls import path\nfrom ..core import views\nfrom .. import other\nurlpatterns = [path('a', views.a), path('b', other.b)]\n";
        let found = extract_text("src/shop/api/urls.py", text);
        let targets: Vec<RouteTarget> = found.routes.into_iter().map(|r| r.target).collect();
        assert_eq!(
            targets,
            vec![view("src.shop.core.views.a"), view("src.shop.other.b")]
        );
        let init = extract_text(
            "shop/api/__init__.py",
            "from django.urls import path\nfrom . import views\nurlpatterns = [path('a', views.a)]\n",
        );
        assert_eq!(init.routes[0].target, view("shop.api.views.a"));
    }

    #[test]
    fn byte_test() {
        assert!(may_declare_routes("urlpatterns = []"));
        assert!(may_declare_routes(
            "r = DefaultRouter()\nr.register('x', V)"
        ));
        assert!(may_declare_routes("event_patterns = [re_path(r'^x$', v)]"));
        assert!(!may_declare_routes("signal.register(handler)"));
        assert!(!may_declare_routes(
            "url = reverse('x', urlconf=event_patterns)"
        ));
        assert!(!may_declare_routes("def view(request): pass"));
    }

    #[test]
    fn broken_files_yield_what_was_read() {
        let text = "from django.urls import path\nfrom . import views\nurlpatterns = [\n    path('a/', views.a),\n    path('b/', views.b\n";
        let found = extract_text("x/urls.py", text);
        assert_eq!(
            rows(&found.routes),
            vec![row(4, Some("a/"), Path, view("x.views.a"), None, None)]
        );
        assert_eq!(
            found.unread,
            vec![Unread {
                line: 3,
                why: "a syntax error at 3:1; routes around it may be missing".into()
            }]
        );
        let deep = format!("urlpatterns = {}1{}\n", "[".repeat(5000), "]".repeat(5000));
        let found = extract_text("x/urls.py", &deep);
        assert_eq!(
            found.unread,
            vec![Unread {
                line: 1,
                why: "nested too deeply to read".into()
            }]
        );
    }

    #[test]
    fn odd_calls_yield_unknowns_not_panics() {
        let text = "from django.urls import path\nfrom .... import views\nurlpatterns = [path(), path(*a, **k), path('a', views.a)]\nurlpatterns.insert()\nurlpatterns.append()\nrouter = DefaultRouter()\nrouter.register()\nurlpatterns += router.urls\n";
        let found = extract_text("a/urls.py", text);
        let got: Vec<(Option<String>, RouteTarget)> = found
            .routes
            .into_iter()
            .map(|r| (r.pattern, r.target))
            .collect();
        let no_view = |expr: &str, why: &str| RouteTarget::Unknown {
            expr: expr.into(),
            why: why.into(),
        };
        assert_eq!(
            got,
            vec![
                (None, no_view("path()", "no view argument")),
                (None, no_view("path(*a, **k)", "no view argument")),
                // More dots than packages: the name keeps what is left.
                (Some("a".into()), view("views.a")),
                (None, no_view("router.register()", "no viewset argument")),
            ]
        );
        assert_eq!(found.unread, vec![]);
    }

    fn file(rel: &str, text: &str) -> FileRoutes {
        extract_text(rel, text)
    }

    #[test]
    fn resolve_follows_includes_across_files_and_stops_at_cycles() {
        let root = file(
            "src/site/urls.py",
            r#"from django.urls import include, path, re_path
from django.contrib import admin
from site import views
from shop.urls import api_patterns
urlpatterns = [
    path("", views.home, name="home"),
    path("p/", include(api_patterns)),
    path("admin/", admin.site.urls),
    path("shop/", include("shop.urls")),
    re_path(r"^api/v(?P<v>\d)/", include("shop.api.router.urls")),
]
"#,
        );
        let shop = file(
            "src/shop/urls.py",
            r#"from django.urls import include, path
from . import views
urlpatterns = [
    path("<int:pk>/", views.product),
    path("more/", include([path("deals/", views.deals)])),
    path("again/", include("site.urls")),
    path("api/", include("shop.api.router.urls")),
]
api_patterns = [path("x/", views.x)] + [path("y/", include([path("z/", views.z)]))]
"#,
        );
        let api = file(
            "src/shop/api.py",
            r#"from rest_framework.routers import DefaultRouter
from .viewsets import CartViewSet
router = DefaultRouter()
router.register(r"carts", CartViewSet)
"#,
        );
        let files = vec![shop, api, root];
        let resolved = resolve(&files, "site.urls");
        let got: Vec<(String, String, usize, RouteTarget)> = resolved
            .routes
            .iter()
            .map(|r| (r.path.clone(), r.file.clone(), r.line, r.target.clone()))
            .collect();
        let s = |x: &str| x.to_string();
        assert_eq!(
            got,
            vec![
                (s(""), s("src/site/urls.py"), 6, view("site.views.home")),
                (
                    s("p/x/"),
                    s("src/shop/urls.py"),
                    9,
                    view("src.shop.views.x")
                ),
                (
                    s("p/y/z/"),
                    s("src/shop/urls.py"),
                    9,
                    view("src.shop.views.z")
                ),
                (
                    s("shop/<int:pk>/"),
                    s("src/shop/urls.py"),
                    4,
                    view("src.shop.views.product")
                ),
                (
                    s("shop/more/deals/"),
                    s("src/shop/urls.py"),
                    5,
                    view("src.shop.views.deals")
                ),
                (
                    s("shop/api/carts"),
                    s("src/shop/api.py"),
                    4,
                    class_view("src.shop.viewsets.CartViewSet")
                ),
                (
                    s(r"^api/v(?P<v>\d)/carts"),
                    s("src/shop/api.py"),
                    4,
                    class_view("src.shop.viewsets.CartViewSet")
                ),
            ]
        );
        let missed: Vec<(usize, &str, &str, &str)> = resolved
            .missed
            .iter()
            .map(|m| (m.line, m.module.as_str(), m.path.as_str(), m.why.as_str()))
            .collect();
        assert_eq!(
            missed,
            [
                (8, "django.contrib.admin.site.urls", "admin/", "not found"),
                (6, "site.urls", "shop/again/", "cycle"),
            ]
        );
        assert!(resolved.root_found && !resolved.truncated);
        assert_eq!(resolve(&files, "nope.urls"), Resolved::default());
    }

    #[test]
    fn long_chains_of_names_and_includes_are_cut() {
        let names: String = (0..100)
            .map(|i| format!("a{i} = [path('x/', include(a{}))]\n", i + 1))
            .collect();
        let text = format!("from django.urls import path, include\n{names}urlpatterns = a0\n");
        let found = extract_text("p/urls.py", &text);
        assert_eq!(found.routes.len(), MAX_NAME_DEPTH);
        let files: Vec<FileRoutes> = (0..70)
            .map(|i| {
                file(
                    &format!("m{i}/urls.py"),
                    &format!("from django.urls import path, include\nfrom . import views\nurlpatterns = [path('v/', views.v), path('n/', include('m{}.urls'))]\n", i + 1),
                )
            })
            .collect();
        let resolved = resolve(&files, "m0.urls");
        assert_eq!(resolved.routes.len(), MAX_INCLUDE_DEPTH);
        assert_eq!(resolved.routes[2].path, "n/n/v/");
        let missed: Vec<(&str, &str)> = resolved
            .missed
            .iter()
            .map(|m| (m.module.as_str(), m.why.as_str()))
            .collect();
        assert_eq!(missed, [("m64.urls", "too deep")]);
    }

    #[test]
    fn includes_prefer_the_includers_source_tree() {
        let include = "from django.urls import path, include\nurlpatterns = [path('', include('shop.urls'))]\n";
        let shop = "from django.urls import path\nfrom . import views\nurlpatterns = [path('x/', views.x)]\n";
        let files = vec![
            file("a/shop/urls.py", shop),
            file("b/site/urls.py", include),
            file("b/shop/urls.py", shop),
        ];
        let resolved = resolve(&files, "site.urls");
        let got: Vec<&str> = resolved.routes.iter().map(|r| r.file.as_str()).collect();
        assert_eq!(got, ["b/shop/urls.py"]);
    }

    #[test]
    fn resolve_marks_computed_prefixes() {
        let root = file(
            "hc/urls.py",
            "from django.urls import include, path\nfrom django.conf import settings\nprefix = settings.P\nurlpatterns = [path(prefix, include('hc.api.urls'))]\n",
        );
        let api = file(
            "hc/api/urls.py",
            "from django.urls import path\nfrom . import views\nurlpatterns = [re_path(r'^ping/$', views.ping)]\nfrom django.urls import re_path\n",
        );
        let resolved = resolve(&[root, api], "hc.urls");
        let got: Vec<(&str, bool)> = resolved
            .routes
            .iter()
            .map(|r| (r.path.as_str(), r.computed))
            .collect();
        assert_eq!(got, [("{?}ping/$", true)]);
    }
}
