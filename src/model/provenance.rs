//! Value provenance (DESIGN §4.5): where a value that reaches a sink came from, inside its
//! function. It follows names through assignments, loops, comprehensions and the function's
//! parameters, and expressions through f-strings, `%`, `.format`, `+`, `join`, containers and
//! string methods. The answer is one `Origin` and the evidence for it, so a rule can say
//! "`q` comes from `request.GET` at views.py:97" and grade its severity by it.
//!
//! Deliberately intra-procedural: cheap, explainable, and enough to tell identifiers and
//! constants from input. Every walk is bounded (depth and steps), so a query costs at most a
//! fixed amount whatever the file holds.

use crate::model::holes::{self, Key, Piece, Positions};
use crate::model::symbols::{FileSymbols, NodeIndex, MODULE};
use crate::parse::python::PyNode;
use serde::{Deserialize, Serialize};
use std::cell::Cell;
use std::collections::{HashMap, HashSet};

/// Where a value came from, from harmless to dangerous: combining parts keeps the worst.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// Fixed before run time: literals, module constants, numbers.
    Constant,
    /// Passed through one of the rule's sanitisers (an identifier quoter, an escaper).
    Sanitised,
    /// A parameter of the function: its callers decide.
    Parameter,
    /// Anything else: a call, an attribute of an object, a name bound elsewhere.
    Unknown,
    /// Request data: `request.GET`/`POST`/`data`/…, a view's URL keyword arguments.
    Request,
}

impl Origin {
    pub const ALL: [Origin; 5] = [
        Origin::Request,
        Origin::Parameter,
        Origin::Unknown,
        Origin::Sanitised,
        Origin::Constant,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Constant => "constant",
            Origin::Sanitised => "sanitised",
            Origin::Parameter => "parameter",
            Origin::Unknown => "unknown",
            Origin::Request => "request",
        }
    }
}

/// The origin of a value and the evidence for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Provenance {
    pub origin: Origin,
    /// The local name that carried the value to the sink, if any (the innermost one).
    pub carrier: Option<String>,
    /// The expression the origin was read from (`request.GET`, `get_rows()`, `pk`).
    pub source: String,
    /// 1-based line of `source`.
    pub line: usize,
    /// For a parameter: the function it belongs to.
    pub function: Option<String>,
    /// Sanitised only because it is what a project helper returns (trusted when the rule says
    /// so): HTML the helper built, not data to iterate or read fields of.
    pub helper: bool,
    /// For a parameter of a module-level function that callers in other files may settle:
    /// which parameter. `None` when several parameters reach the sink.
    pub settle: Option<Settle>,
}

/// A parameter whose callers elsewhere in the project decide what reaches the sink.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Settle {
    pub function: String,
    /// The class of a static or class method, called as `Class.function(...)`.
    pub class: Option<String>,
    pub param: String,
    /// Where a call passes it positionally.
    pub position: usize,
}

impl Provenance {
    /// A value fixed before run time.
    pub fn constant() -> Self {
        Provenance {
            origin: Origin::Constant,
            carrier: None,
            source: String::new(),
            line: 0,
            function: None,
            helper: false,
            settle: None,
        }
    }

    fn at(origin: Origin, node: &PyNode<'_>, source: String) -> Self {
        Provenance {
            origin,
            carrier: None,
            source,
            line: line_of(node),
            function: None,
            helper: false,
            settle: None,
        }
    }

    /// A value read out of `self` (an element, a field, an item): data, never the result
    /// itself, so a helper's trust does not carry over.
    fn read_from(self, node: &PyNode<'_>) -> Self {
        if self.helper {
            Provenance::at(Origin::Unknown, node, node.text().to_string())
        } else {
            self
        }
    }

    /// The worse of two; on a tie the first (the earlier part) keeps its evidence.
    fn worst(self, other: Provenance) -> Provenance {
        if other.origin > self.origin {
            other
        } else if other.origin == self.origin && other.settle != self.settle {
            // Two parameters (or one of them twice through different paths) reach the sink:
            // callers of one cannot settle the other.
            Provenance {
                settle: None,
                ..self
            }
        } else {
            self
        }
    }

    /// One sentence of evidence for a finding message; `file` names the file (`views.py`).
    pub fn describe(&self, file: &str) -> String {
        let shown = |s: &str| crate::findings::shorten(&crate::findings::fold_whitespace(s), 50);
        let subject = match &self.carrier {
            Some(name) => format!("`{name}`"),
            None => format!("`{}`", shown(&self.source)),
        };
        let source = shown(&self.source);
        match self.origin {
            Origin::Request if self.function.is_some() => format!(
                "{subject} is a URL parameter of view `{}` ({file}:{})",
                self.function.as_deref().unwrap_or_default(),
                self.line
            ),
            Origin::Request if self.carrier.is_some() => {
                format!("{subject} comes from `{source}` at {file}:{}", self.line)
            }
            Origin::Request => format!("{subject} is request data ({file}:{})", self.line),
            Origin::Parameter => {
                let function = self.function.as_deref().unwrap_or("<module>");
                format!(
                    "{subject} is a parameter of `{function}` ({file}:{}); its callers decide what it holds",
                    self.line
                )
            }
            Origin::Unknown if self.carrier.is_some() => format!(
                "{subject} comes from `{source}` at {file}:{}, whose origin is not known",
                self.line
            ),
            Origin::Unknown => format!(
                "`{source}` ({file}:{}) is a value whose origin is not known",
                self.line
            ),
            // Reported only where a rule grades sanitised values (a trusted store): say which.
            Origin::Sanitised if self.carrier.is_some() => format!(
                "{subject} comes from `{source}` at {file}:{}, which this rule trusts",
                self.line
            ),
            Origin::Sanitised => format!("built only from constants and {source}"),
            Origin::Constant => "built only from constants".to_string(),
        }
    }
}

fn line_of(node: &PyNode<'_>) -> usize {
    node.get_inner_node().start_position().row + 1
}

/// Attributes of a request object that carry what the client sent.
const REQUEST_ATTRS: &[&str] = &[
    "GET",
    "POST",
    "data",
    "query_params",
    "body",
    "COOKIES",
    "headers",
    "META",
    "FILES",
    "path",
    "path_info",
    "content_params",
    "stream",
    "read",
    "readline",
];

/// String methods whose result is made of the receiver and the arguments.
const STRING_METHODS: &[&str] = &[
    "format",
    "format_map",
    "join",
    "strip",
    "lstrip",
    "rstrip",
    "lower",
    "upper",
    "title",
    "capitalize",
    "casefold",
    "swapcase",
    "replace",
    "encode",
    "decode",
    "split",
    "rsplit",
    "splitlines",
    "partition",
    "rpartition",
    "zfill",
    "ljust",
    "rjust",
    "center",
    "expandtabs",
    "removeprefix",
    "removesuffix",
    // path methods: a path built from fixed parts is fixed
    "joinpath",
    "resolve",
    "absolute",
    "with_name",
    "with_suffix",
];

/// Methods whose result is a number or a date: text that cannot carry markup or SQL.
const NUMERIC_METHODS: &[&str] = &[
    "isoformat",
    "strftime",
    "timestamp",
    "count",
    "index",
    "find",
    "rfind",
    "total_seconds",
    "bit_length",
];

/// Methods that hand back what a container holds.
const CONTAINER_METHODS: &[&str] = &[
    "get",
    "getlist",
    "pop",
    "setdefault",
    "copy",
    "values",
    "items",
    "keys",
    "lists",
    "dict",
    "read",
    "readline",
    "readlines",
];

/// Functions whose result carries their arguments' text (translation, conversion, decoding).
const PASSTHROUGH: &[&str] = &[
    "str",
    "repr",
    "format",
    "list",
    "tuple",
    "set",
    "sorted",
    "reversed",
    "enumerate",
    "zip",
    "dict",
    // `compile(source, filename, "exec")`: the code object is its source
    "compile",
    "json.loads",
    "json.dumps",
    "open",
    "io.open",
    "os.path.join",
    "os.path.dirname",
    "os.path.abspath",
    "os.path.realpath",
    "os.path.expanduser",
    "os.path.basename",
    "os.path.normpath",
    "pathlib.Path",
    "urllib.parse.unquote",
    "urllib.parse.unquote_plus",
    "base64.b64decode",
    "base64.urlsafe_b64decode",
    "_",
    "gettext",
    "gettext_lazy",
    "ugettext",
    "ugettext_lazy",
    "pgettext",
    "pgettext_lazy",
    "ngettext",
    "ngettext_lazy",
    "django.utils.translation.gettext",
    "django.utils.translation.gettext_lazy",
    "django.utils.translation.ugettext",
    "django.utils.translation.ugettext_lazy",
    "django.utils.translation.pgettext",
    "django.utils.translation.pgettext_lazy",
    "django.utils.translation.ngettext",
    "django.utils.translation.ngettext_lazy",
    "itertools.chain",
    "itertools.chain.from_iterable",
    "itertools.repeat",
    "collections.OrderedDict",
    "collections.deque",
    "django.utils.encoding.force_str",
    "django.utils.encoding.force_text",
    "django.utils.encoding.smart_str",
    "django.utils.encoding.smart_text",
];

/// Methods whose result is made of their arguments alone: `request.build_absolute_uri(path)`
/// puts the validated host in front of `path`.
const ARGUMENT_METHODS: &[&str] = &["build_absolute_uri"];

/// Functions that return numbers: a number pasted into text cannot change its syntax.
const NUMERIC: &[&str] = &[
    "int", "float", "len", "bool", "abs", "round", "range", "hash", "id", "ord", "sum", "min",
    "max",
];

/// Methods of a class-based view or viewset whose extra parameters are URL keyword arguments.
const VIEW_METHODS: &[&str] = &[
    "get",
    "post",
    "put",
    "patch",
    "delete",
    "head",
    "options",
    "dispatch",
    "list",
    "retrieve",
    "create",
    "update",
    "partial_update",
    "destroy",
];

/// Deepest expression nesting a query follows.
const MAX_DEPTH: usize = 48;
/// Most nodes one query examines; past it the value is `unknown`.
const MAX_STEPS: usize = 4000;
/// Most call sites (or `return`s) of one helper a query looks at: past it, the helper's
/// parameters stay parameters. Keeps a query's cost independent of how often a file calls it.
const MAX_FANOUT: usize = 64;

/// A name bound by one statement, as far as provenance cares.
#[derive(Clone)]
struct Flow<'r> {
    scope: usize,
    /// The name holds the value from this byte on.
    from: usize,
    kind: FlowKind,
    value: PyNode<'r>,
    /// For a loop or comprehension variable: the range in which it is the current element.
    within: Option<(usize, usize)>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum FlowKind {
    /// `x = value` (also unpacking, walrus, `with … as x`).
    Assign,
    /// `x += value`: adds to what was there.
    Augment,
    /// `for x in value`: an element of it.
    Element,
}

/// A function's parameters and whether it serves a request.
struct Function {
    name: String,
    params: Vec<String>,
    /// How many of `params` come before `*args`, a bare `*` or `**kwargs`.
    positional: usize,
    /// The parameters after `request` are URL keyword arguments.
    view: bool,
    /// The start byte of the class the `def` is a method of.
    class: Option<usize>,
    /// That class's name, when the method is a `@staticmethod` or `@classmethod` of a
    /// module-level class: callers elsewhere call it as `Class.method(...)`.
    callable_as: Option<String>,
    /// A `@classmethod`: the call's arguments start at the second parameter.
    binds_class: bool,
}

/// Every binding of a file that provenance follows, built once per file from the node index.
pub struct Flows<'r> {
    /// By (name, scope), sorted by `from`, so a use finds the bindings before it by binary
    /// search.
    by_name: HashMap<(String, usize), Vec<Flow<'r>>>,
    functions: HashMap<usize, Function>,
    /// The values each `def` returns, by the start byte of the `def`.
    returns: HashMap<usize, Vec<PyNode<'r>>>,
    /// The start bytes of the `def`s of each name in the file (functions and methods).
    defs: HashMap<String, Vec<usize>>,
    /// Calls by the name they call (`f(...)`, `self.f(...)`), to see what callers pass.
    calls: HashMap<String, Vec<PyNode<'r>>>,
    /// What `self.x` is set to in its class (`self.x = …` in a method, `x = …` in the body),
    /// by (class start, attribute).
    attrs: HashMap<(usize, String), Vec<PyNode<'r>>>,
    /// Parameters annotated as numbers (`n: int`, `code: UUID`), by (function, name).
    numeric_params: HashSet<(usize, String)>,
    /// `a, b = value`: the names unpacked, by the start byte of the value.
    unpacked: HashMap<usize, Vec<String>>,
    /// The file's top-level package (`pretix` for `src/pretix/base/x.py`): imports from it
    /// are the project's own helpers.
    package: Option<String>,
}

impl<'r> Flows<'r> {
    pub fn build(rel: &str, index: &NodeIndex<'r>, symbols: &FileSymbols<'r>) -> Self {
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let file_is_views = matches!(name, "views.py" | "api.py" | "viewsets.py" | "api_views.py")
            || rel.contains("/views/")
            || rel.starts_with("views/");
        let mut flows = Flows {
            by_name: HashMap::new(),
            functions: HashMap::new(),
            returns: HashMap::new(),
            defs: HashMap::new(),
            calls: HashMap::new(),
            attrs: HashMap::new(),
            numeric_params: HashSet::new(),
            unpacked: HashMap::new(),
            package: top_package(rel),
        };
        // A binding by one statement: it holds from the statement's end on.
        let statement = |node: &PyNode<'r>, kind: FlowKind, value: PyNode<'r>| Flow {
            scope: symbols.scope_of(node.range().start),
            from: node.range().end,
            kind,
            value,
            within: None,
        };
        let add = |flows: &mut Flows<'r>, target: &PyNode<'r>, flow: Flow<'r>| {
            for name in target_names(target) {
                flows
                    .by_name
                    .entry((name, flow.scope))
                    .or_default()
                    .push(flow.clone());
            }
        };
        for node in index.named("assignment") {
            let (Some(left), Some(mut right)) = (node.field("left"), node.field("right")) else {
                continue;
            };
            // `a = b = value`: every target holds the innermost value.
            let mut guard = 0;
            while right.kind() == "assignment" && guard < MAX_DEPTH {
                match right.field("right") {
                    Some(next) => right = next,
                    None => break,
                }
                guard += 1;
            }
            add(&mut flows, &left, statement(node, FlowKind::Assign, right));
        }
        for node in index.named("augmented_assignment") {
            if let (Some(left), Some(right)) = (node.field("left"), node.field("right")) {
                add(&mut flows, &left, statement(node, FlowKind::Augment, right));
            }
        }
        for node in index.named("named_expression") {
            if let (Some(name), Some(value)) = (node.field("name"), node.field("value")) {
                add(&mut flows, &name, statement(node, FlowKind::Assign, value));
            }
        }
        for node in index.named("for_statement") {
            if let (Some(left), Some(right)) = (node.field("left"), node.field("right")) {
                let flow = Flow {
                    scope: symbols.scope_of(node.range().start),
                    from: right.range().end,
                    kind: FlowKind::Element,
                    value: right,
                    within: Some((node.range().start, node.range().end)),
                };
                add(&mut flows, &left, flow);
            }
        }
        for kind in [
            "list_comprehension",
            "set_comprehension",
            "dictionary_comprehension",
            "generator_expression",
        ] {
            for comprehension in index.named(kind) {
                let range = comprehension.range();
                for clause in comprehension
                    .children()
                    .filter(|c| c.kind() == "for_in_clause")
                {
                    if let (Some(left), Some(right)) = (clause.field("left"), clause.field("right"))
                    {
                        let flow = Flow {
                            scope: symbols.scope_of(range.start),
                            from: range.start,
                            kind: FlowKind::Element,
                            value: right,
                            within: Some((range.start, range.end)),
                        };
                        add(&mut flows, &left, flow);
                    }
                }
            }
        }
        for item in index.named("with_item") {
            let Some(pattern) = item.child(0).filter(|n| n.kind() == "as_pattern") else {
                continue;
            };
            if let (Some(value), Some(alias)) = (pattern.child(0), pattern.field("alias")) {
                add(&mut flows, &alias, statement(item, FlowKind::Assign, value));
            }
        }
        for def in index.named("function_definition") {
            let function = describe_function(def, file_is_views);
            flows
                .defs
                .entry(function.name.clone())
                .or_default()
                .push(def.range().start);
            flows.functions.insert(def.range().start, function);
        }
        for call in index.named("call") {
            let Some(function) = call.field("function") else {
                continue;
            };
            // `parts.append(x)`, `parts.extend(xs)`, `parts.insert(0, x)`: `parts` grows by the
            // argument, as with `parts += [x]`.
            if let (Some(object), Some(method)) =
                (function.field("object"), function.field("attribute"))
            {
                let taken = match method.text().as_ref() {
                    "append" | "extend" => Some(0),
                    "insert" => Some(1),
                    _ => None,
                };
                let arg = taken.and_then(|i| {
                    call.field("arguments")
                        .and_then(|a| a.named_children().filter(|c| c.kind() != "comment").nth(i))
                });
                if let (true, Some(arg)) = (object.kind() == "identifier", arg) {
                    add(&mut flows, &object, statement(call, FlowKind::Augment, arg));
                }
            }
            let name = match function.kind().as_ref() {
                "identifier" => Some(function.text().to_string()),
                "attribute" => function
                    .field("object")
                    .filter(|o| matches!(o.text().as_ref(), "self" | "cls"))
                    .and(function.field("attribute"))
                    .map(|a| a.text().to_string()),
                _ => None,
            };
            if let Some(name) = name {
                flows.calls.entry(name).or_default().push(call.clone());
            }
        }
        for ret in index.named("return_statement") {
            let scope = symbols.scope_of(ret.range().start);
            let value = ret.named_children().find(|c| c.kind() != "comment");
            if let (true, Some(value)) = (scope != MODULE, value) {
                flows.returns.entry(scope).or_default().push(value);
            }
        }
        flows.add_state(index, symbols);
        for list in flows.by_name.values_mut() {
            list.sort_by_key(|f| f.from);
        }
        flows
    }

    /// Instance attributes, what containers are filled with (`xs.append(v)`, `d[k] = v`), and
    /// what parameters' annotations and defaults say.
    fn add_state(&mut self, index: &NodeIndex<'r>, symbols: &FileSymbols<'r>) {
        let mut attribute = |node: &PyNode<'r>, target: &PyNode<'r>, value: PyNode<'r>| {
            let Some(class) = symbols.class_of(node.range().start) else {
                return;
            };
            let scope = symbols.scope_of(node.range().start);
            let in_body = scope == MODULE || scope < class;
            let mut targets = vec![target.clone()];
            if matches!(target.kind().as_ref(), "pattern_list" | "tuple_pattern") {
                targets = target.named_children().collect();
            }
            for target in targets {
                let name = match target.kind().as_ref() {
                    "attribute" if !in_body => target
                        .field("object")
                        .filter(|o| o.kind() == "identifier" && o.text() == "self")
                        .and(target.field("attribute"))
                        .map(|a| a.text().to_string()),
                    "identifier" if in_body => Some(target.text().to_string()),
                    _ => None,
                };
                if let Some(name) = name {
                    self.attrs
                        .entry((class, name))
                        .or_default()
                        .push(value.clone());
                }
            }
        };
        for kind in ["assignment", "augmented_assignment"] {
            for node in index.named(kind) {
                if let (Some(left), Some(right)) = (node.field("left"), node.field("right")) {
                    attribute(node, &left, right.clone());
                    if kind == "assignment"
                        && matches!(left.kind().as_ref(), "pattern_list" | "tuple_pattern")
                    {
                        let names: Vec<String> = left
                            .named_children()
                            .map(|t| match t.kind().as_ref() {
                                "identifier" => t.text().to_string(),
                                // `a, *rest = …`, `a, (b, c) = …`: not unpacked by element
                                _ => String::new(),
                            })
                            .collect();
                        self.unpacked.insert(right.range().start, names);
                    }
                }
            }
        }
        // `parts.append(v)`, `parts[k].append(v)`, `d[k] = v`: the container holds `v` from
        // then on, in addition to what it held.
        let filled = |flows: &mut Flows<'r>,
                      statement: &PyNode<'r>,
                      container: &PyNode<'r>,
                      value: PyNode<'r>| {
            let mut root = container.clone();
            for _ in 0..8 {
                if root.kind() != "subscript" {
                    break;
                }
                match root.field("value") {
                    Some(inner) => root = inner,
                    None => return,
                }
            }
            if root.kind() != "identifier" {
                return;
            }
            // Only a container of this function (bound or a parameter here): `cache.add(k, v)`
            // on an imported object says nothing about what `cache.get(k)` returns.
            let scope = symbols.scope_of(statement.range().start);
            let name = root.text().to_string();
            let local = flows.by_name.contains_key(&(name.clone(), scope))
                || flows
                    .functions
                    .get(&scope)
                    .is_some_and(|f| f.params.contains(&name));
            if !local {
                return;
            }
            let flow = Flow {
                scope,
                from: statement.range().end,
                kind: FlowKind::Augment,
                value,
                within: None,
            };
            flows
                .by_name
                .entry((name, flow.scope))
                .or_default()
                .push(flow);
        };
        for call in index.named("call") {
            let Some(function) = call.field("function").filter(|f| f.kind() == "attribute") else {
                continue;
            };
            let method = function.field("attribute").map(|a| a.text().to_string());
            if !matches!(
                method.as_deref(),
                Some("append" | "extend" | "add" | "insert" | "update" | "appendleft")
            ) {
                continue;
            }
            let (Some(container), Some(args)) = (function.field("object"), call.field("arguments"))
            else {
                continue;
            };
            if container.kind() == "identifier" || container.kind() == "subscript" {
                filled(self, call, &container, args);
            }
        }
        for node in index.named("assignment") {
            if let (Some(left), Some(right)) = (node.field("left"), node.field("right")) {
                if left.kind() == "subscript" {
                    if let Some(container) = left.field("value") {
                        filled(self, node, &container, right);
                    }
                }
            }
        }
        for def in index.named("function_definition") {
            let Some(list) = def.field("parameters") else {
                continue;
            };
            let at = def.range().start;
            for param in list.named_children() {
                let Some(name) = param
                    .field("name")
                    .or_else(|| param.named_children().find(|c| c.kind() == "identifier"))
                else {
                    continue;
                };
                let name = name.text().to_string();
                let annotation = param.field("type").map(|t| t.text().to_string());
                if annotation.as_deref().is_some_and(is_numeric_type) {
                    self.numeric_params.insert((at, name));
                }
            }
        }
    }
}

/// `int`, `Optional[int]`, `UUID`, `uuid.UUID`, `int | None`: annotations of values whose text
/// is a number or a UUID.
fn is_numeric_type(annotation: &str) -> bool {
    let bare = annotation
        .trim()
        .trim_start_matches("Optional[")
        .trim_start_matches("typing.Optional[")
        .trim_end_matches(']');
    let bare = bare.strip_suffix("| None").unwrap_or(bare).trim();
    matches!(
        bare,
        "int" | "float" | "bool" | "Decimal" | "decimal.Decimal" | "UUID" | "uuid.UUID"
    )
}

/// The identifiers a binding target binds: `x`, `a, b`, `(a, [b, c])`, `*rest`.
fn target_names(target: &PyNode<'_>) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![target.clone()];
    while let Some(node) = stack.pop() {
        match node.kind().as_ref() {
            "identifier" => out.push(node.text().to_string()),
            "pattern_list"
            | "as_pattern_target"
            | "tuple_pattern"
            | "list_pattern"
            | "list_splat_pattern"
            | "parenthesized_expression"
            | "expression_list"
            | "tuple"
            | "list"
                if out.len() + stack.len() < 64 =>
            {
                stack.extend(node.named_children());
            }
            _ => {}
        }
    }
    out
}

fn describe_function(def: &PyNode<'_>, file_is_views: bool) -> Function {
    let name = def
        .field("name")
        .map(|n| n.text().to_string())
        .unwrap_or_default();
    let mut params = Vec::new();
    // Parameters a call can pass by position: those before `*args`, a bare `*` or `**kwargs`.
    let mut positional = None;
    if let Some(list) = def.field("parameters") {
        for param in list.named_children() {
            if positional.is_none()
                && matches!(
                    param.kind().as_ref(),
                    "list_splat_pattern" | "dictionary_splat_pattern" | "keyword_separator"
                )
            {
                positional = Some(params.len());
            }
            let ident = match param.kind().as_ref() {
                "identifier" => Some(param.clone()),
                "default_parameter" | "typed_default_parameter" => param.field("name"),
                "typed_parameter" | "list_splat_pattern" | "dictionary_splat_pattern" => {
                    param.named_children().find(|c| c.kind() == "identifier")
                }
                _ => None,
            };
            if let Some(ident) = ident {
                params.push(ident.text().to_string());
            }
        }
    }
    let takes_request = match params.first().map(String::as_str) {
        Some("request") => true,
        Some("self" | "cls") => params.get(1).is_some_and(|p| p == "request"),
        _ => false,
    };
    let is_method = params.first().is_some_and(|p| p == "self");
    let view = takes_request
        && if is_method {
            VIEW_METHODS.contains(&name.as_str())
        } else {
            file_is_views || has_view_decorator(def)
        };
    let decorator = |name: &str| {
        def.parent().is_some_and(|p| {
            p.kind() == "decorated_definition"
                && p.children()
                    .any(|d| d.kind() == "decorator" && d.text().trim() == format!("@{name}"))
        })
    };
    let binds_class = decorator("classmethod");
    let callable_as = (binds_class || decorator("staticmethod"))
        .then(|| module_level_class_name(def))
        .flatten();
    Function {
        positional: positional.unwrap_or(params.len()),
        name,
        params,
        view,
        class: enclosing_class(def),
        callable_as,
        binds_class,
    }
}

/// The name of the class a method is defined in, when that class is at module level.
fn module_level_class_name(def: &PyNode<'_>) -> Option<String> {
    let mut node = def.parent()?;
    for _ in 0..4 {
        match node.kind().as_ref() {
            "class_definition" => {
                let top = node.parent().is_some_and(|p| p.kind() == "module")
                    || node.parent().is_some_and(|p| {
                        p.kind() == "decorated_definition"
                            && p.parent().is_some_and(|g| g.kind() == "module")
                    });
                return top
                    .then(|| node.field("name").map(|n| n.text().to_string()))
                    .flatten();
            }
            "block" | "decorated_definition" => node = node.parent()?,
            _ => return None,
        }
    }
    None
}

/// The class a `def` is a method of (not a function nested in a method).
fn enclosing_class(def: &PyNode<'_>) -> Option<usize> {
    let mut node = def.parent()?;
    for _ in 0..4 {
        match node.kind().as_ref() {
            "class_definition" => return Some(node.range().start),
            "block" | "decorated_definition" => node = node.parent()?,
            _ => return None,
        }
    }
    None
}

/// `pretix` for `src/pretix/base/models.py`, `judge` for `judge/views.py`; none for a file at
/// the root.
fn top_package(rel: &str) -> Option<String> {
    let rel = rel.strip_prefix("src/").unwrap_or(rel);
    let (top, rest) = rel.split_once('/')?;
    (!rest.is_empty() && !top.is_empty()).then(|| top.to_string())
}

/// A `def` decorated like a view (`@api_view`, `@login_required`, `@require_POST`, …).
fn has_view_decorator(def: &PyNode<'_>) -> bool {
    let Some(parent) = def.parent().filter(|p| p.kind() == "decorated_definition") else {
        return false;
    };
    let decorated = parent
        .children()
        .filter(|c| c.kind() == "decorator")
        .any(|d| {
            let text = d.text();
            [
                "api_view",
                "login_required",
                "require_",
                "permission_required",
                "csrf_exempt",
            ]
            .iter()
            .any(|k| text.contains(k))
        });
    decorated
}

/// One provenance question over one file: its symbols, its flows and a rule's sanitisers.
pub struct Tracer<'a, 'r> {
    symbols: &'a FileSymbols<'r>,
    flows: &'a Flows<'r>,
    sanitiser: &'a dyn Fn(&str) -> bool,
    steps: Cell<usize>,
    /// Names being resolved, to stop at cycles (`sql = sql + x`).
    resolving: std::cell::RefCell<HashSet<(String, usize)>>,
    /// Template places that only hold names or keywords, for rules that give them.
    positions: Option<&'a Positions>,
    /// What the project's own imported functions return counts as sanitised (see
    /// [`Tracer::trusting_project_helpers`]).
    project_helpers: bool,
}

impl<'a, 'r> Tracer<'a, 'r> {
    /// `sanitiser` answers for a qualified dotted name (a callee or an attribute chain).
    pub fn new(
        symbols: &'a FileSymbols<'r>,
        flows: &'a Flows<'r>,
        sanitiser: &'a dyn Fn(&str) -> bool,
    ) -> Self {
        Tracer {
            symbols,
            flows,
            sanitiser,
            steps: Cell::new(0),
            resolving: Default::default(),
            positions: None,
            project_helpers: false,
        }
    }

    /// Values pasted where only a name or keyword can stand (`positions`) count as such,
    /// unless they are request data.
    pub fn with_positions(mut self, positions: &'a Positions) -> Self {
        self.positions = Some(positions).filter(|p| !p.is_empty());
        self
    }

    /// The result of a function imported from the project's own package (`from
    /// shop.utils.html import render_badge`) is taken as built for the sink on purpose, so
    /// sanitised, unless request data is passed to it; what is read out of it (an element, a
    /// field, a JSON dump) is not. For a rule whose sink gets whole results of helpers, such
    /// as HTML marked safe.
    pub fn trusting_project_helpers(mut self) -> Self {
        self.project_helpers = true;
        self
    }

    /// Where `value` came from.
    pub fn trace(&self, value: &PyNode<'r>) -> Provenance {
        self.steps.set(0);
        self.resolving.borrow_mut().clear();
        self.eval(value, 0)
    }

    fn over_budget(&self, depth: usize) -> bool {
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        depth > MAX_DEPTH || steps > MAX_STEPS
    }

    fn all(&self, nodes: impl Iterator<Item = PyNode<'r>>, depth: usize) -> Provenance {
        nodes
            .filter(|n| n.kind() != "comment")
            .map(|n| self.eval(&n, depth + 1))
            .fold(Provenance::constant(), Provenance::worst)
    }

    fn eval(&self, node: &PyNode<'r>, depth: usize) -> Provenance {
        if self.over_budget(depth) {
            return Provenance::at(Origin::Unknown, node, node.text().to_string());
        }
        if let Some(found) = self.templated(node, depth) {
            return found;
        }
        let kind = node.kind();
        match kind.as_ref() {
            "integer" | "float" | "true" | "false" | "none" | "ellipsis" => Provenance::constant(),
            "string" => self.all(interpolations(node).into_iter(), depth),
            "concatenated_string"
            | "list"
            | "tuple"
            | "set"
            | "dictionary"
            | "parenthesized_expression"
            | "expression_list"
            | "list_splat"
            | "dictionary_splat"
            | "argument_list"
            | "await" => self.all(node.named_children(), depth),
            "keyword_argument" => self.all(node.field("value").into_iter(), depth),
            // A key names its value (an alias in `extra(select={alias: sql})`, a placeholder
            // of `%(name)s`); the value is what is pasted.
            "pair" => self.all(node.field("value").into_iter(), depth),
            "list_comprehension" | "set_comprehension" | "generator_expression" => {
                self.all(node.field("body").into_iter(), depth)
            }
            "dictionary_comprehension" => self.all(node.field("body").into_iter(), depth),
            "conditional_expression" => {
                let parts: Vec<PyNode<'r>> = node.named_children().collect();
                // `a if cond else b`: the condition picks a value, it is not one.
                let values = [parts.first().cloned(), parts.get(2).cloned()];
                self.all(values.into_iter().flatten(), depth)
            }
            "boolean_operator" => self.all(
                node.field("left").into_iter().chain(node.field("right")),
                depth,
            ),
            "not_operator" | "comparison_operator" => Provenance::constant(),
            "unary_operator" => Provenance::at(Origin::Sanitised, node, "a number".to_string()),
            "binary_operator" => self.binary(node, depth),
            "identifier" => self.name(node, depth),
            "attribute" => self.attribute(node, depth),
            "subscript" => {
                if let Some(found) = self.request_data(node) {
                    return found;
                }
                self.all(node.field("value").into_iter(), depth)
                    .read_from(node)
            }
            "call" => self.call(node, depth),
            _ => Provenance::at(Origin::Unknown, node, node.text().to_string()),
        }
    }

    fn binary(&self, node: &PyNode<'r>, depth: usize) -> Provenance {
        let op = node.field("operator").map(|o| o.text().to_string());
        let sides = || node.field("left").into_iter().chain(node.field("right"));
        match op.as_deref() {
            Some("+" | "%") => self.all(sides(), depth),
            // `"%s, " * n`, `['%s'] * n`: the text repeated; the count cannot inject.
            Some("*") => {
                let textual: Vec<PyNode<'r>> = sides()
                    .filter(|s| matches!(s.kind().as_ref(), "string" | "list" | "tuple"))
                    .collect();
                if textual.is_empty() {
                    Provenance::at(Origin::Sanitised, node, "a number".to_string())
                } else {
                    self.all(textual.into_iter(), depth)
                }
            }
            _ => Provenance::at(Origin::Sanitised, node, "a number".to_string()),
        }
    }

    /// `request.GET…`, `self.request.POST…`, `self.kwargs…`: request data, with the part of
    /// the chain that says so.
    fn request_data(&self, node: &PyNode<'r>) -> Option<Provenance> {
        let mut chain: Vec<String> = Vec::new();
        let mut current = node.clone();
        for _ in 0..MAX_DEPTH {
            match current.kind().as_ref() {
                "call" => current = current.field("function")?,
                "subscript" => current = current.field("value")?,
                "attribute" => {
                    chain.push(current.field("attribute")?.text().to_string());
                    current = current.field("object")?;
                }
                "identifier" => break,
                _ => return None,
            }
        }
        if current.kind() != "identifier" {
            return None;
        }
        chain.push(current.text().to_string());
        chain.reverse();
        let names: Vec<&str> = chain.iter().map(String::as_str).collect();
        let (root, rest) = match names.as_slice() {
            ["self", "request", rest @ ..] => ("self.request", rest),
            ["self", "kwargs", ..] => {
                return Some(Provenance::at(
                    Origin::Request,
                    node,
                    "self.kwargs".to_string(),
                ))
            }
            ["request", rest @ ..] => ("request", rest),
            _ => return None,
        };
        let attr = rest.first()?;
        REQUEST_ATTRS
            .contains(attr)
            .then(|| Provenance::at(Origin::Request, node, format!("{root}.{attr}")))
    }

    fn attribute(&self, node: &PyNode<'r>, depth: usize) -> Provenance {
        if let Some(found) = self.request_data(node) {
            return found;
        }
        let qualified = self.symbols.qualify(node);
        if (self.sanitiser)(&qualified) {
            return Provenance::at(Origin::Sanitised, node, node.text().to_string());
        }
        let Some(object) = node.field("object") else {
            return Provenance::at(Origin::Unknown, node, node.text().to_string());
        };
        let attr = node
            .field("attribute")
            .map(|a| a.text().to_string())
            .unwrap_or_default();
        // Primary and foreign keys (`obj.pk`, `user.id`, `order.customer_id`) are numbers.
        if attr == "pk" || attr == "id" || attr.ends_with("_id") {
            return Provenance::at(Origin::Sanitised, node, "an id".to_string());
        }
        if object.kind() == "identifier" && matches!(object.text().as_ref(), "self" | "cls") {
            // A class constant (`self.TABLE`) is fixed; other instance state is not known here.
            if is_constant_name(&attr) {
                return Provenance::constant();
            }
            if let Some(found) = self.instance_state(node, &attr, depth) {
                return found;
            }
            return Provenance::at(Origin::Unknown, node, node.text().to_string());
        }
        // An imported module's constant: `constants.TABLE`, `settings.DB_TABLE_PREFIX`; a
        // member of an imported class such as an enum or a choices class (`NotifyLevel.none`).
        let imported_class = self.is_module_reference(&object)
            && object.text().starts_with(|c: char| c.is_ascii_uppercase())
            && object.text().chars().any(|c| c.is_ascii_lowercase())
            && attr != "objects";
        if (is_constant_name(&attr) || imported_class) && self.is_module_reference(&object) {
            return Provenance::constant();
        }
        let inner = self.eval(&object, depth + 1).read_from(node);
        let unnamed_unknown = inner.origin == Origin::Unknown && inner.carrier.is_none();
        // An element of a constant collection (`for name, pref in PREFERENCES.items()`) is an
        // object the code defines, and so are its fields.
        let constant_element = inner.origin == Origin::Constant && self.loop_element(&object);
        if unnamed_unknown
            || (inner.origin == Origin::Constant
                && object.kind() == "identifier"
                && !constant_element)
        {
            // An attribute of something bound to a constant is still not known to be one; of
            // something unknown, the attribute is the better evidence.
            return Provenance::at(Origin::Unknown, node, node.text().to_string());
        }
        inner
    }

    fn is_module_reference(&self, object: &PyNode<'r>) -> bool {
        object.kind() == "identifier" && self.symbols.import_of(&object.text()).is_some()
    }

    fn call(&self, node: &PyNode<'r>, depth: usize) -> Provenance {
        let Some(function) = node.field("function") else {
            return Provenance::at(Origin::Unknown, node, node.text().to_string());
        };
        let qualified = self.symbols.qualify(&function);
        if (self.sanitiser)(&qualified) || self.sanitiser_alias(&function) {
            return Provenance::at(Origin::Sanitised, node, function.text().to_string());
        }
        if let Some(found) = self.request_data(node) {
            return found;
        }
        let args = || {
            node.field("arguments").into_iter().flat_map(|a| {
                // `"".join(x for x in xs)`: the generator is the one argument.
                if a.kind() == "argument_list" {
                    a.named_children().collect::<Vec<_>>()
                } else {
                    vec![a]
                }
            })
        };
        let plain = qualified.trim_end_matches("()");
        if NUMERIC.contains(&plain) {
            return Provenance::at(Origin::Sanitised, node, "a number".to_string());
        }
        if PASSTHROUGH.contains(&plain) {
            let found = self.all(args(), depth);
            // JSON of what a helper returns is its data, not its markup.
            return if plain == "json.dumps" {
                found.read_from(node)
            } else {
                found
            };
        }
        if plain == "collections.defaultdict" {
            // An empty container; the first argument is the factory of its values.
            return self.all(args().skip(1), depth);
        }
        if let Some(found) = self.helper_result(&function, node, depth) {
            return found;
        }
        if function.kind() == "attribute" {
            let method = function
                .field("attribute")
                .map(|a| a.text().to_string())
                .unwrap_or_default();
            let receiver = function.field("object");
            if STRING_METHODS.contains(&method.as_str()) {
                return self.all(receiver.into_iter().chain(args()), depth);
            }
            if NUMERIC_METHODS.contains(&method.as_str()) {
                return Provenance::at(Origin::Sanitised, node, "a number".to_string());
            }
            if ARGUMENT_METHODS.contains(&method.as_str()) && args().next().is_some() {
                return self.all(args(), depth);
            }
            // `text.translate(ESCAPES)`: every character mapped by a table the code defines.
            if method == "translate" && args().count() == 1 {
                let table = self.all(args(), depth);
                if table.origin == Origin::Constant {
                    return Provenance::at(Origin::Sanitised, node, "a character table".into());
                }
            }
            // `CustomFieldChoiceColorChoices.values()`: what an imported class defines.
            let class_data = receiver.as_ref().is_some_and(|r| {
                self.is_module_reference(r)
                    && r.text().starts_with(|c: char| c.is_ascii_uppercase())
                    && r.text().chars().any(|c| c.is_ascii_lowercase())
            });
            if class_data && matches!(method.as_str(), "values" | "keys" | "items") {
                return Provenance::constant();
            }
            // The keys of a dict filled with data are what indexed it, not the data: known
            // only for a dict the code writes out.
            if method == "keys" && args().next().is_none() {
                let keys = self.all(receiver.clone().into_iter(), depth);
                if keys.origin == Origin::Constant {
                    return keys;
                }
                return Provenance::at(Origin::Unknown, node, node.text().to_string());
            }
            if CONTAINER_METHODS.contains(&method.as_str()) {
                // `d.get(key, default)`: what `d` holds, or the default; the key picks one.
                // Keywords (`Order.objects.get(code=...)`) pick a row, they are not defaults.
                let default = args().filter(|a| a.kind() != "keyword_argument").nth(1);
                // A container, or a call that hands its argument on (`open(path).read()`).
                let literal = receiver.as_ref().is_some_and(|r| match r.kind().as_ref() {
                    "dictionary" | "list" | "identifier" | "subscript" => true,
                    "call" => r.field("function").is_some_and(|f| {
                        let callee = self.symbols.qualify(&f);
                        PASSTHROUGH.contains(&callee.as_str())
                    }),
                    _ => false,
                });
                let found = self
                    .all(receiver.into_iter().chain(default), depth)
                    .read_from(node);
                // From an object of unknown origin (`cache.get(k)`, `Model.objects.get(...)`),
                // the call itself is the evidence; only a container's contents pass through.
                let opaque = found.origin == Origin::Constant && !literal;
                if opaque || (found.origin == Origin::Unknown && found.carrier.is_none()) {
                    return Provenance::at(Origin::Unknown, node, node.text().to_string());
                }
                return found;
            }
        }
        if let Some(found) = self.of_model_classes(node) {
            return found;
        }
        if self.project_helper(&function) {
            let passed = self.all(args(), depth);
            if passed.origin != Origin::Request {
                let mut found = Provenance::at(
                    Origin::Sanitised,
                    node,
                    format!("what the project's `{}` returns", function.text()),
                );
                found.helper = true;
                return found;
            }
        }
        Provenance::at(Origin::Unknown, node, node.text().to_string())
    }

    /// A function of the project's own package, imported into this file (`render_badge(...)`,
    /// `html_utils.render_badge(...)`); not a class, whose instances are data.
    fn project_helper(&self, function: &PyNode<'r>) -> bool {
        if !self.project_helpers {
            return false;
        }
        let (root, tail) = match function.kind().as_ref() {
            "identifier" => (function.clone(), None),
            "attribute" => match (function.field("object"), function.field("attribute")) {
                (Some(object), Some(attr)) if object.kind() == "identifier" => {
                    (object, Some(attr.text().to_string()))
                }
                _ => return false,
            },
            _ => return false,
        };
        let Some(target) = self.symbols.import_of(&root.text()) else {
            return false;
        };
        let capital = |s: &str| s.starts_with(|c: char| c.is_ascii_uppercase());
        let imported = target.rsplit('.').next().unwrap_or(target);
        if capital(imported) || tail.as_deref().is_some_and(capital) {
            return false;
        }
        target.starts_with('.')
            || self
                .flows
                .package
                .as_deref()
                .is_some_and(|p| target.split('.').next() == Some(p))
    }

    /// `esc = conditional_escape` (Django's `needs_autoescape` idiom, with a no-op when the
    /// template turned escaping off): a local name bound to one of the rule's sanitisers.
    fn sanitiser_alias(&self, function: &PyNode<'r>) -> bool {
        if function.kind() != "identifier" {
            return false;
        }
        let scope = self.symbols.scope_of(function.range().start);
        self.flows
            .by_name
            .get(&(function.text().to_string(), scope))
            .is_some_and(|flows| {
                flows.iter().take(MAX_FANOUT).any(|f| {
                    f.kind == FlowKind::Assign
                        && matches!(f.value.kind().as_ref(), "identifier" | "attribute")
                        && (self.sanitiser)(&self.symbols.qualify(&f.value))
                })
            })
    }

    /// Whether `name` is bound only as the element of loops or comprehensions.
    fn loop_element(&self, name: &PyNode<'r>) -> bool {
        if name.kind() != "identifier" {
            return false;
        }
        let scope = self.symbols.scope_of(name.range().start);
        self.flows
            .by_name
            .get(&(name.text().to_string(), scope))
            .is_some_and(|flows| flows.iter().all(|f| f.kind == FlowKind::Element))
    }

    /// A call of a function (`build_sql(...)`) or method (`self.build_sql(...)`) defined once in
    /// this file: what its `return`s give, where its own parameters stand for the call's
    /// arguments. One level of the file's own helpers is often all that separates a SQL
    /// string from the constants it is built of.
    fn helper_result(
        &self,
        function: &PyNode<'r>,
        call: &PyNode<'r>,
        depth: usize,
    ) -> Option<Provenance> {
        let name = match function.kind().as_ref() {
            "identifier" => function.text().to_string(),
            "attribute" => {
                let object = function.field("object")?;
                if !(object.kind() == "identifier"
                    && matches!(object.text().as_ref(), "self" | "cls"))
                {
                    return None;
                }
                function.field("attribute")?.text().to_string()
            }
            _ => return None,
        };
        let defs = self.flows.defs.get(&name)?;
        let class_of = |d: &usize| self.flows.functions.get(d).and_then(|f| f.class);
        let def = match defs.as_slice() {
            // `f(...)` calls a function, never a method of the same name.
            _ if function.kind() == "identifier" => {
                let mut plain = defs.iter().filter(|d| class_of(d).is_none());
                match (plain.next(), plain.next()) {
                    (Some(def), None) => def,
                    _ => return None,
                }
            }
            [def] => def,
            // `self.format_output(...)` where several classes of the file define one: the
            // caller's own class.
            _ => {
                let class = enclosing_class_of(call)?;
                let mut own = defs.iter().filter(|d| class_of(d) == Some(class));
                match (own.next(), own.next()) {
                    (Some(def), None) => def,
                    _ => return None,
                }
            }
        };
        let returns = self
            .flows
            .returns
            .get(def)
            .filter(|r| r.len() <= MAX_FANOUT)?;
        let key = (format!("{name}()"), *def);
        if !self.resolving.borrow_mut().insert(key.clone()) {
            // Recursion: the other returns decide.
            return Some(Provenance::constant());
        }
        let mut found = returns
            .iter()
            .map(|r| self.eval(r, depth + 1))
            .fold(Provenance::constant(), Provenance::worst);
        self.resolving.borrow_mut().remove(&key);
        let helper = self.flows.functions.get(def).map(|f| f.name.as_str());
        if found.origin == Origin::Parameter && found.function.as_deref() == helper {
            // Its parameters are what the call passes.
            let args = call
                .field("arguments")
                .into_iter()
                .flat_map(|a| a.named_children().collect::<Vec<_>>());
            found = self.all(args, depth);
        }
        Some(found)
    }

    fn name(&self, node: &PyNode<'r>, depth: usize) -> Provenance {
        let name = node.text().to_string();
        let at = node.range().start;
        let mut scope = self.symbols.scope_of(at);
        let mut inner_most = true;
        loop {
            if let Some(found) = self.in_scope(&name, scope, at, inner_most, node, depth) {
                return found;
            }
            if scope == MODULE {
                break;
            }
            // A free name of a nested function: look in the function around it.
            scope = self.symbols.scope_of(scope);
            inner_most = false;
        }
        // `TABLE`, and module dunders such as `__file__` and `__name__`.
        if is_constant_name(&name) || (name.starts_with("__") && name.ends_with("__")) {
            return Provenance::constant();
        }
        Provenance::at(Origin::Unknown, node, name)
    }

    /// The provenance of `name` as bound in `scope`, or `None` when the scope never binds it.
    fn in_scope(
        &self,
        name: &str,
        scope: usize,
        at: usize,
        inner_most: bool,
        node: &PyNode<'r>,
        depth: usize,
    ) -> Option<Provenance> {
        // Keyed by the use's position too: `sql = sql + x` reads the earlier `sql`, which is
        // no cycle; only a loop that carries a name round comes back to the same use.
        let key = (format!("{name}@{at}"), scope);
        if self.resolving.borrow().contains(&key) {
            // A cycle (a loop carrying the name): the other parts decide.
            return Some(Provenance::constant());
        }
        let flows: &[Flow<'r>] = self
            .flows
            .by_name
            .get(&(name.to_string(), scope))
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        let parameter = self.parameter(name, scope, node, depth);
        if flows.is_empty() && parameter.is_none() {
            return None;
        }
        self.resolving.borrow_mut().insert(key.clone());
        let mut result = Provenance::constant();
        let mut reached = false;
        // In the function itself, the bindings before the use, latest first, until one that
        // certainly ran; from a nested function or at module level, every binding counts.
        // Lazily, latest first: the walk usually stops at the first binding, and the budget
        // bounds it otherwise, so a name bound 20,000 times costs no more per use.
        let before = if inner_most && scope != MODULE {
            &flows[..flows.partition_point(|f| f.from <= at)]
        } else {
            flows
        };
        let mut dominated = false;
        for flow in before.iter().rev() {
            if self.steps.get() > MAX_STEPS {
                // Out of budget: what was seen so far, and unknown for the rest.
                result = result.worst(Provenance::at(Origin::Unknown, node, name.to_string()));
                dominated = true;
                break;
            }
            if let Some((start, end)) = flow.within {
                if !(start <= at && at < end) && inner_most {
                    // A loop variable after its loop: the last element, or an earlier value.
                    reached = true;
                    result = result.worst(self.carried(flow, name, depth));
                    continue;
                }
            }
            reached = true;
            result = result.worst(self.carried(flow, name, depth));
            if inner_most && flow.kind != FlowKind::Augment && self.dominates(flow, at) {
                dominated = true;
                break;
            }
        }
        if !dominated {
            if let Some(parameter) = parameter {
                reached = true;
                result = result.worst(parameter);
            } else if before.is_empty() && !flows.is_empty() {
                // Bound only after the use (a loop carries it round): every binding counts.
                for flow in flows.iter().take(MAX_FANOUT) {
                    reached = true;
                    result = result.worst(self.carried(flow, name, depth));
                }
            }
        }
        self.resolving.borrow_mut().remove(&key);
        reached.then_some(result)
    }

    /// The provenance a binding gives its name, with the name as carrier.
    fn carried(&self, flow: &Flow<'r>, name: &str, depth: usize) -> Provenance {
        let mut found = match self.unpacked(flow, name, depth) {
            Some(found) => found,
            None => self.eval(&flow.value, depth + 1),
        };
        if flow.kind == FlowKind::Element {
            found = found.read_from(&flow.value);
        }
        if found.carrier.is_none() && found.origin != Origin::Constant {
            found.carrier = Some(name.to_string());
            if found.origin != Origin::Request {
                found.line = line_of(&flow.value);
            }
        }
        found
    }

    /// Whether a binding certainly ran before `at`: its statement sits in a block that also
    /// holds `at` (not in an `if` branch or a loop body that `at` is outside of).
    fn dominates(&self, flow: &Flow<'r>, at: usize) -> bool {
        if let Some((start, end)) = flow.within {
            return start <= at && at < end;
        }
        let mut statement = flow.value.clone();
        for _ in 0..4 {
            match statement.parent() {
                Some(parent) => {
                    let kind = parent.kind();
                    if kind == "block" || kind == "module" {
                        let range = parent.range();
                        return range.start <= at && at <= range.end;
                    }
                    statement = parent;
                }
                None => return false,
            }
        }
        false
    }

    /// `name` as a parameter of the function `scope` starts.
    fn parameter(
        &self,
        name: &str,
        scope: usize,
        node: &PyNode<'r>,
        depth: usize,
    ) -> Option<Provenance> {
        let function = self.flows.functions.get(&scope)?;
        let position = function.params.iter().position(|p| p == name)?;
        let first_is_self = matches!(
            function.params.first().map(String::as_str),
            Some("self" | "cls")
        );
        if name == "self" || name == "cls" || (name == "request" && function.view) {
            return Some(Provenance::at(Origin::Unknown, node, name.to_string()));
        }
        let request_at = usize::from(first_is_self);
        let origin = if function.view && position > request_at {
            Origin::Request
        } else {
            Origin::Parameter
        };
        let mut found = Provenance::at(origin, node, name.to_string());
        found.carrier = Some(name.to_string());
        found.function = Some(function.name.clone());
        if origin == Origin::Parameter {
            let passed = self.callers_pass(scope, function, position, name, depth);
            // `size: int`: a number, unless request data reaches it. Python does not enforce
            // hints and Django does not either, so a hint never outweighs a request's value
            // (a view's URL argument, or what a caller passes).
            let requested = passed.as_ref().is_some_and(|p| p.origin == Origin::Request);
            let numeric = self
                .flows
                .numeric_params
                .contains(&(scope, name.to_string()));
            if numeric && !requested {
                return Some(Provenance::at(
                    Origin::Sanitised,
                    node,
                    "a number".to_string(),
                ));
            }
            if let Some(passed) = passed {
                return Some(passed);
            }
            // Methods are not settled: a subclass or `cls.` call elsewhere names no class.
            let top_level = function.class.is_none() && self.symbols.scope_of(scope) == MODULE;
            let call_position = position.checked_sub(usize::from(function.binds_class));
            if let (true, Some(call_position)) =
                (top_level && position < function.positional, call_position)
            {
                found.settle = Some(Settle {
                    function: function.name.clone(),
                    class: function.callable_as.clone(),
                    param: name.to_string(),
                    position: call_position,
                });
            }
        }
        Some(found)
    }

    /// What the callers in this file pass for one parameter, when that says more than
    /// "a parameter": some caller passes request data or an unknown value (then that is the
    /// evidence), or the function is private (`_name`, or nested) and every caller passes a
    /// constant. `None` leaves it a parameter.
    fn callers_pass(
        &self,
        scope: usize,
        function: &Function,
        position: usize,
        name: &str,
        depth: usize,
    ) -> Option<Provenance> {
        let calls = self.flows.calls.get(&function.name)?;
        if calls.len() > MAX_FANOUT || self.flows.defs.get(&function.name).map(Vec::len) != Some(1)
        {
            return None;
        }
        let key = (format!("({name})"), scope);
        if !self.resolving.borrow_mut().insert(key.clone()) {
            return None;
        }
        let is_method = matches!(
            function.params.first().map(String::as_str),
            Some("self" | "cls")
        );
        let mut worst: Option<Provenance> = None;
        let mut decided = true;
        for call in calls {
            let args = super::symbols::CallArgs::of(call);
            if args.keyword_splat || call.text().contains('*') {
                decided = false;
                break;
            }
            let index = position.checked_sub(usize::from(is_method));
            let given = args
                .keyword(name)
                .cloned()
                .or_else(|| index.and_then(|i| args.positional.get(i).cloned()));
            // Left out: the default, which is a literal in nearly every signature.
            let found = match given {
                // Deeper, never back to 1: a chain of helpers calling helpers stays bounded.
                Some(value) => self.eval(&value, depth + 1),
                None => Provenance::constant(),
            };
            worst = Some(match worst {
                Some(w) => w.worst(found),
                None => found,
            });
        }
        self.resolving.borrow_mut().remove(&key);
        let worst = worst.filter(|_| decided)?;
        let private = function.name.starts_with('_') || self.symbols.scope_of(scope) != MODULE;
        match worst.origin {
            Origin::Request | Origin::Unknown => Some(worst),
            Origin::Constant | Origin::Sanitised if private => Some(worst),
            _ => None,
        }
    }
}

impl<'a, 'r> Tracer<'a, 'r> {
    /// A template (`"… %s" % x`, `"… {}".format(x)`, an f-string, `"…" + x`) whose holes are
    /// graded by the place they fill, for a rule that gives `positions`: a parameter or a
    /// value of unknown origin where only a name or keyword can stand is taken for one.
    /// `None` when there are no positions or `node` is no template this follows.
    fn templated(&self, node: &PyNode<'r>, depth: usize) -> Option<Provenance> {
        /// Bytes of text before a hole that are looked at (`Positions` reads fewer).
        const TAIL: usize = 1024;
        let positions = self.positions?;
        let parts = self.template_parts(node)?;
        let mut result = Provenance::constant();
        for (i, part) in parts.iter().enumerate() {
            let Part::Hole(Some(value)) = part else {
                continue;
            };
            // Only the end of the text before matters, and the first characters after.
            let mut before = String::new();
            for part in parts[..i].iter().rev() {
                let text = match part {
                    Part::Text(t) => t.as_str(),
                    Part::Hole(_) => "x",
                };
                let cut = text.len().saturating_sub(TAIL);
                let cut = (cut..=text.len())
                    .find(|&c| text.is_char_boundary(c))
                    .unwrap_or(text.len());
                before.insert_str(0, &text[cut..]);
                if before.len() >= TAIL {
                    break;
                }
            }
            let after: String = parts[i + 1..]
                .iter()
                .map_while(|p| match p {
                    Part::Text(t) => Some(t.as_str()),
                    Part::Hole(_) => None,
                })
                .flat_map(|t| t.chars())
                .take(8)
                .collect();
            let mut found = self.eval(value, depth + 1);
            if matches!(found.origin, Origin::Parameter | Origin::Unknown)
                && positions.names_only(&before, &after)
            {
                found = Provenance::at(Origin::Sanitised, value, "a name or keyword".to_string());
            }
            result = result.worst(found);
        }
        Some(result)
    }

    /// The literal text and the holes of a template, each hole with the value that fills it
    /// (`None` for one formatted as a number).
    fn template_parts(&self, node: &PyNode<'r>) -> Option<Vec<Part<'r>>> {
        const MOST: usize = 128;
        match node.kind().as_ref() {
            "string" if node.children().any(|c| c.kind() == "interpolation") => {
                let mut parts = Vec::new();
                for child in node.children() {
                    match child.kind().as_ref() {
                        "string_start" | "string_end" => {}
                        "interpolation" => {
                            let numeric = is_numeric_interpolation(&child);
                            let value = child.named_children().next().filter(|_| !numeric);
                            parts.push(Part::Hole(value));
                        }
                        _ => parts.push(Part::Text(child.text().to_string())),
                    }
                }
                (parts.len() <= MOST).then_some(parts)
            }
            "binary_operator" => {
                let op = node.field("operator").map(|o| o.text().to_string());
                match op.as_deref() {
                    Some("%") => {
                        let template = self.literal_text(&node.field("left")?, 1)?;
                        let pieces = holes::percent_pieces(&template)?;
                        let right = node.field("right")?;
                        let fill = |key: &Key| -> Option<PyNode<'r>> {
                            match (right.kind().as_ref(), key) {
                                ("tuple", Key::Position(i)) => right
                                    .named_children()
                                    .filter(|c| c.kind() != "comment")
                                    .nth(*i),
                                ("dictionary", Key::Name(name)) => right
                                    .named_children()
                                    .filter(|c| c.kind() == "pair")
                                    .find(|p| {
                                        p.field("key").is_some_and(|k| {
                                            self.literal_text(&k, 0).as_deref() == Some(name)
                                        })
                                    })
                                    .and_then(|p| p.field("value")),
                                (_, Key::Position(0)) => Some(right.clone()),
                                _ => None,
                            }
                        };
                        let holes = pieces
                            .iter()
                            .filter(|p| matches!(p, Piece::Hole { .. }))
                            .count();
                        let single = !matches!(right.kind().as_ref(), "tuple" | "dictionary");
                        if single && holes != 1 {
                            return None;
                        }
                        fill_pieces(pieces, fill, MOST)
                    }
                    Some("+") => {
                        let mut operands = Vec::new();
                        let mut current = node.clone();
                        while current.kind() == "binary_operator"
                            && current.field("operator").is_some_and(|o| o.text() == "+")
                        {
                            operands.push(current.field("right")?);
                            current = current.field("left")?;
                            if operands.len() > MOST {
                                return None;
                            }
                        }
                        operands.push(current);
                        operands.reverse();
                        let parts: Vec<Part<'r>> = operands
                            .into_iter()
                            .map(|o| match self.literal_text(&o, 1) {
                                Some(text) => Part::Text(text),
                                None => Part::Hole(Some(o)),
                            })
                            .collect();
                        parts
                            .iter()
                            .any(|p| matches!(p, Part::Text(_)))
                            .then_some(parts)
                    }
                    _ => None,
                }
            }
            "call" => {
                let function = node.field("function")?;
                if function.kind() != "attribute"
                    || function
                        .field("attribute")
                        .is_none_or(|a| a.text() != "format")
                {
                    return None;
                }
                let template = self.literal_text(&function.field("object")?, 1)?;
                let pieces = holes::brace_pieces(&template)?;
                let args = super::symbols::CallArgs::of(node);
                let splat = node
                    .field("arguments")
                    .is_some_and(|a| a.named_children().any(|c| c.kind() == "list_splat"));
                if args.keyword_splat || splat {
                    return None;
                }
                let fill = |key: &Key| match key {
                    Key::Position(i) => args.positional.get(*i).cloned(),
                    Key::Name(name) => args.keyword(name).cloned(),
                };
                fill_pieces(pieces, fill, MOST)
            }
            _ => None,
        }
    }

    /// The text of a string literal without placeholders (directly, implicitly concatenated,
    /// or through a name bound to one), without its quotes.
    fn literal_text(&self, node: &PyNode<'r>, follow: usize) -> Option<String> {
        match node.kind().as_ref() {
            "string" => {
                if node.children().any(|c| c.kind() == "interpolation") {
                    return None;
                }
                Some(
                    node.children()
                        .filter(|c| !matches!(c.kind().as_ref(), "string_start" | "string_end"))
                        .map(|c| c.text().to_string())
                        .collect(),
                )
            }
            "concatenated_string" => node
                .named_children()
                .map(|c| self.literal_text(&c, 0))
                .collect(),
            "parenthesized_expression" => {
                let inner = node.named_children().next()?;
                self.literal_text(&inner, follow)
            }
            "identifier" if follow > 0 => {
                let value = self.symbols.resolve_value(node);
                (value.range() != node.range())
                    .then(|| self.literal_text(&value, follow - 1))
                    .flatten()
            }
            _ => None,
        }
    }

    /// `self.x`, as set in its class: what every `self.x = …` of the class's methods (or `x =
    /// …` in its body) gives, when that is constant, sanitised or request data. `None` when
    /// the class never sets it or its values come from outside.
    fn instance_state(&self, node: &PyNode<'r>, attr: &str, depth: usize) -> Option<Provenance> {
        let class = self.symbols.class_of(node.range().start)?;
        let values = self
            .flows
            .attrs
            .get(&(class, attr.to_string()))
            .filter(|v| v.len() <= MAX_FANOUT)?;
        let key = (format!("self.{attr}"), class);
        if !self.resolving.borrow_mut().insert(key.clone()) {
            // `self.x = self.x + …`: the other assignments decide.
            return Some(Provenance::constant());
        }
        let mut found = values
            .iter()
            .map(|v| self.eval(v, depth + 1))
            .fold(Provenance::constant(), Provenance::worst);
        self.resolving.borrow_mut().remove(&key);
        match found.origin {
            // Whoever builds the object decides (a constructor's parameter, a field's value):
            // the attribute stays the evidence, as for state set outside the class.
            Origin::Parameter | Origin::Unknown => None,
            _ => {
                if found.carrier.is_none() && found.origin != Origin::Constant {
                    found.carrier = Some(format!("self.{attr}"));
                }
                Some(found)
            }
        }
    }

    /// `get_typename(queryset.model)`, `label_for(type(obj))`: a call given only model classes
    /// (and literal options) computes a name from code, not from data.
    fn of_model_classes(&self, call: &PyNode<'r>) -> Option<Provenance> {
        let args = super::symbols::CallArgs::of(call);
        let literal = |v: &PyNode<'r>| {
            matches!(
                v.kind().as_ref(),
                "true" | "false" | "none" | "integer" | "float"
            ) || self.literal_text(v, 0).is_some()
        };
        let classes = !args.positional.is_empty()
            && !args.keyword_splat
            && args.keywords.iter().all(|(_, v)| literal(v))
            && args.positional.iter().all(|a| self.is_model_class(a));
        classes.then(|| Provenance::at(Origin::Sanitised, call, "a model class".to_string()))
    }

    fn is_model_class(&self, node: &PyNode<'r>) -> bool {
        let node = self.symbols.resolve_value(node);
        match node.kind().as_ref() {
            "attribute" => {
                let attr = node.field("attribute").map(|a| a.text().to_string());
                let Some(object) = node.field("object") else {
                    return false;
                };
                let object = self.symbols.resolve_value(&object).text().to_lowercase();
                match attr.as_deref() {
                    Some("concrete_model" | "proxy_for_model" | "__class__") => true,
                    // The model of a queryset, manager or `_meta`; not `self.model`, which on a
                    // model instance may be a field holding data (a device's `model`).
                    Some("model") => ["queryset", "qs", "objects", "_meta", "manager"]
                        .iter()
                        .any(|end| object.ends_with(end)),
                    _ => false,
                }
            }
            "call" => {
                node.field("function").is_some_and(|f| f.text() == "type")
                    && super::symbols::CallArgs::of(&node).positional.len() == 1
            }
            _ => false,
        }
    }

    /// `a, b = f(…)` / `a, b = x, y`: the element of the value that `name` takes, where the
    /// value is a tuple or a helper of this file that returns tuples.
    fn unpacked(&self, flow: &Flow<'r>, name: &str, depth: usize) -> Option<Provenance> {
        if flow.kind != FlowKind::Assign
            || !matches!(
                flow.value.kind().as_ref(),
                "expression_list" | "tuple" | "call"
            )
        {
            return None;
        }
        let targets = self.flows.unpacked.get(&flow.value.range().start)?;
        if targets.iter().any(String::is_empty) {
            return None;
        }
        let index = targets.iter().position(|t| t == name)?;
        let element = |value: &PyNode<'r>| -> Option<PyNode<'r>> {
            let items: Vec<PyNode<'r>> = value
                .named_children()
                .filter(|c| c.kind() != "comment")
                .collect();
            (items.len() == targets.len()).then(|| items[index].clone())
        };
        if flow.value.kind() != "call" {
            return Some(self.eval(&element(&flow.value)?, depth + 1));
        }
        // A helper defined once in the file whose every `return` is a tuple of that size.
        let function = flow.value.field("function")?;
        let helper = match function.kind().as_ref() {
            "identifier" => function.text().to_string(),
            "attribute" if function.field("object").is_some_and(|o| o.text() == "self") => {
                function.field("attribute")?.text().to_string()
            }
            _ => return None,
        };
        let [def] = self.flows.defs.get(&helper)?.as_slice() else {
            return None;
        };
        let returns = self
            .flows
            .returns
            .get(def)
            .filter(|r| r.len() <= MAX_FANOUT)?;
        let elements: Vec<PyNode<'r>> = returns
            .iter()
            .map(|r| {
                matches!(r.kind().as_ref(), "expression_list" | "tuple")
                    .then(|| element(r))
                    .flatten()
            })
            .collect::<Option<_>>()?;
        let key = (format!("{helper}()#{index}"), *def);
        if !self.resolving.borrow_mut().insert(key.clone()) {
            return Some(Provenance::constant());
        }
        let mut found = elements
            .iter()
            .map(|e| self.eval(e, depth + 1))
            .fold(Provenance::constant(), Provenance::worst);
        self.resolving.borrow_mut().remove(&key);
        let own = self.flows.functions.get(def).map(|f| f.name.as_str());
        if found.origin == Origin::Parameter && found.function.as_deref() == own {
            // Its parameters are what the call passes.
            let args = flow
                .value
                .field("arguments")
                .into_iter()
                .flat_map(|a| a.named_children().collect::<Vec<_>>());
            found = self.all(args, depth);
        }
        Some(found)
    }
}

/// A template's literal text, or a hole with the value that fills it (`None`: a number).
enum Part<'r> {
    Text(String),
    Hole(Option<PyNode<'r>>),
}

/// Template pieces with each hole's value found by `fill`; `None` when one has no value.
fn fill_pieces<'r>(
    pieces: Vec<Piece>,
    fill: impl Fn(&Key) -> Option<PyNode<'r>>,
    most: usize,
) -> Option<Vec<Part<'r>>> {
    if pieces.len() > most {
        return None;
    }
    pieces
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(text) => Some(Part::Text(text)),
            Piece::Hole { numeric: true, .. } => Some(Part::Hole(None)),
            Piece::Hole { key, .. } => fill(&key).map(|v| Part::Hole(Some(v))),
        })
        .collect()
}

/// The start byte of the class whose method holds `node`.
fn enclosing_class_of(node: &PyNode<'_>) -> Option<usize> {
    let mut current = node.parent();
    for _ in 0..MAX_DEPTH * 4 {
        let here = current?;
        if here.kind() == "function_definition" {
            return enclosing_class(&here);
        }
        current = here.parent();
    }
    None
}

/// `TABLE`, `DEFAULT_ORDER_BY`: a name written as a constant.
fn is_constant_name(name: &str) -> bool {
    name.chars().any(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// The expressions inside an f-string's `{...}` placeholders, but those formatted as numbers
/// (`{count:d}`, `{price:.2f}`), which cannot carry text.
fn interpolations<'r>(node: &PyNode<'r>) -> Vec<PyNode<'r>> {
    node.children()
        .filter(|c| c.kind() == "interpolation")
        .filter(|i| !is_numeric_interpolation(i))
        .filter_map(|i| i.named_children().next())
        .collect()
}

/// `{count:d}`, `{price:.2f}`: a placeholder formatted as a number.
fn is_numeric_interpolation(interpolation: &PyNode<'_>) -> bool {
    interpolation.children().any(|c| {
        c.kind() == "format_specifier"
            && c.text()
                .trim_end()
                .ends_with(['d', 'f', 'e', 'g', 'x', 'X', 'o', 'b', '%', 'n'])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::python::parse;

    /// The provenance of the first argument of the last call to `sink(...)`.
    fn origin_of(rel: &str, src: &str) -> (Origin, String) {
        traced(rel, src, false)
    }

    /// [`origin_of`], with the project's helpers trusted or not.
    fn traced(rel: &str, src: &str, helpers: bool) -> (Origin, String) {
        let root = parse(src.to_string()).expect("parse");
        let top = root.root();
        let index = NodeIndex::build(&top);
        let symbols = FileSymbols::from_index(&index);
        let flows = Flows::build(rel, &index, &symbols);
        let sanitiser = |name: &str| {
            name.ends_with(".quote_name")
                || name.contains("._meta.")
                || name == "escape"
                || name == "django.utils.html.conditional_escape"
        };
        let mut tracer = Tracer::new(&symbols, &flows, &sanitiser);
        if helpers {
            tracer = tracer.trusting_project_helpers();
        }
        let call = index
            .named("call")
            .iter()
            .rev()
            .find(|c| c.field("function").is_some_and(|f| f.text() == "sink"))
            .cloned()
            .expect("a sink call");
        let arg = call
            .field("arguments")
            .and_then(|a| a.named_children().next())
            .expect("an argument");
        let found = tracer.trace(&arg);
        (found.origin, found.describe("views.py"))
    }

    #[test]
    fn request_data_is_followed_through_names_and_formatting() {
        let (origin, evidence) = origin_of(
            "shop/views.py",
            "def search(request):\n    q = request.GET.get('q', '')\n    sql = f\"SELECT * FROM t WHERE name = '{q.strip()}'\"\n    sink(sql)\n",
        );
        assert_eq!(origin, Origin::Request);
        assert_eq!(evidence, "`q` comes from `request.GET` at views.py:2");
        let (origin, _) = origin_of(
            "shop/api.py",
            "class V:\n    def get(self, request):\n        data = json.loads(self.request.body)\n        sink('x' + data['k'])\n",
        );
        assert_eq!(origin, Origin::Request);
    }

    #[test]
    fn url_kwargs_of_views_are_request_data_and_other_parameters_are_parameters() {
        let view = "def detail(request, slug):\n    sink(f\"SELECT 1 WHERE s = '{slug}'\")\n";
        assert_eq!(origin_of("shop/views.py", view).0, Origin::Request);
        // the same function outside a views module, undecorated, is a helper
        assert_eq!(origin_of("shop/helpers.py", view).0, Origin::Parameter);
        let (origin, evidence) = origin_of(
            "shop/helpers.py",
            "def delete(pk):\n    sink('DELETE FROM t WHERE id = %s' % pk)\n",
        );
        assert_eq!(origin, Origin::Parameter);
        assert_eq!(
            evidence,
            "`pk` is a parameter of `delete` (views.py:2); its callers decide what it holds"
        );
    }

    #[test]
    fn identifiers_numbers_and_constants_are_not_input() {
        let cases = [
            "def f(model):\n    sink('DROP TABLE %s' % model._meta.db_table)\n",
            "def f(conn, name):\n    sink('SELECT %s' % conn.ops.quote_name(name))\n",
            "def f(ids):\n    marks = ','.join(['%s'] * len(ids))\n    sink(f'SELECT 1 WHERE id IN ({marks})')\n",
            "TABLE = 'shop_order'\n\ndef f():\n    sink(f'SELECT * FROM {TABLE}')\n",
            "from .consts import TABLE\n\ndef f():\n    sink(f'SELECT * FROM {TABLE}')\n",
            "def f(n):\n    for i in range(n):\n        sink(f'SELECT {i}')\n",
            "def f(x):\n    sink(f'LIMIT {int(x)}')\n",
        ];
        for case in cases {
            let (origin, _) = origin_of("shop/views.py", case);
            assert!(origin <= Origin::Sanitised, "{origin:?} for {case}");
        }
    }

    #[test]
    fn a_reassignment_that_always_runs_hides_the_parameter_and_a_branch_does_not() {
        let replaced = "def f(sql):\n    sql = 'SELECT 1'\n    sink(sql)\n";
        assert_eq!(origin_of("a.py", replaced).0, Origin::Constant);
        let branch = "def f(sql, c):\n    if c:\n        sql = 'SELECT 1'\n    sink(sql)\n";
        assert_eq!(origin_of("a.py", branch).0, Origin::Parameter);
        let grown = "def f(request):\n    sql = 'SELECT 1'\n    if 1:\n        sql += request.POST['x']\n    sink(sql)\n";
        assert_eq!(origin_of("a.py", grown).0, Origin::Request);
        let looped = "def f(rows):\n    for row in rows:\n        sink(row.name)\n";
        assert_eq!(origin_of("a.py", looped).0, Origin::Parameter);
    }

    #[test]
    fn calls_of_unknown_functions_are_unknown_and_cycles_end() {
        let (origin, evidence) =
            origin_of("a.py", "def f():\n    name = get_name()\n    sink(name)\n");
        assert_eq!(origin, Origin::Unknown);
        assert_eq!(
            evidence,
            "`name` comes from `get_name()` at views.py:2, whose origin is not known"
        );
        let cycle = "def f(a):\n    x = 'a'\n    while a:\n        x = x + x\n    sink(x)\n";
        assert_eq!(origin_of("a.py", cycle).0, Origin::Constant);
    }

    #[test]
    fn helpers_of_the_file_are_followed_one_call_deep() {
        let constant = "def table_sql(kind):\n    return 'SELECT * FROM ' + TABLES[kind]\n\ndef f(kind):\n    sink(table_sql(kind))\n";
        assert_eq!(origin_of("a.py", constant).0, Origin::Constant);
        let passed = "def quoted(x):\n    return \"'\" + x + \"'\"\n\ndef search(request):\n    sink('SELECT 1 WHERE a = ' + quoted(request.GET['q']))\n";
        let (origin, evidence) = origin_of("shop/views.py", passed);
        assert_eq!(origin, Origin::Request);
        assert_eq!(evidence, "`request.GET` is request data (views.py:5)");
        let method = "class V:\n    def sql(self):\n        return 'SELECT 1'\n\n    def get(self, request):\n        sink(self.sql())\n";
        assert_eq!(origin_of("a.py", method).0, Origin::Constant);
        let recursive = "def r(n):\n    return r(n - 1) + get()\n\ndef f():\n    sink(r(3))\n";
        assert_eq!(origin_of("a.py", recursive).0, Origin::Unknown);
    }

    #[test]
    fn callers_in_the_file_decide_for_private_helpers_and_enums_are_constants() {
        let private = "def _lock(tables):\n    sink('LOCK TABLES ' + tables)\n\ndef f():\n    _lock('a, b')\n    _lock(tables='c')\n";
        assert_eq!(origin_of("a.py", private).0, Origin::Constant);
        // a public helper may have callers elsewhere: still a parameter
        let public =
            "def lock(tables):\n    sink('LOCK TABLES ' + tables)\n\ndef f():\n    lock('a')\n";
        assert_eq!(origin_of("a.py", public).0, Origin::Parameter);
        // a caller passing request data is the evidence, public or not
        let reached = "def lock(tables):\n    sink('LOCK ' + tables)\n\ndef view(request):\n    lock(request.GET['t'])\n";
        assert_eq!(origin_of("shop/views.py", reached).0, Origin::Request);
        let member = "from .choices import Level\n\ndef f():\n    sink('SELECT %s' % Level.none)\n";
        assert_eq!(origin_of("a.py", member).0, Origin::Constant);
        let manager =
            "from .models import Story\n\ndef f():\n    sink(Story.objects.get(pk=1).title)\n";
        assert_eq!(origin_of("a.py", manager).0, Origin::Unknown);
    }

    /// As `origin_of`, with SQL's name-only places given.
    fn sql_origin_of(rel: &str, src: &str) -> (Origin, String) {
        let root = parse(src.to_string()).expect("parse");
        let top = root.root();
        let index = NodeIndex::build(&top);
        let symbols = FileSymbols::from_index(&index);
        let flows = Flows::build(rel, &index, &symbols);
        let sanitiser = |name: &str| name.ends_with(".quote_name") || name.contains("._meta.");
        let words = ["FROM", "TABLES", "NOTIFY", "ORDER BY", "MATCH(", "AS"].map(String::from);
        let positions = Positions::new(&words, &["\"".to_string()]);
        let tracer = Tracer::new(&symbols, &flows, &sanitiser).with_positions(&positions);
        let call = index
            .named("call")
            .iter()
            .rev()
            .find(|c| c.field("function").is_some_and(|f| f.text() == "sink"))
            .cloned()
            .expect("a sink call");
        let arg = call
            .field("arguments")
            .and_then(|a| a.named_children().next())
            .expect("an argument");
        let found = tracer.trace(&arg);
        (found.origin, found.describe("views.py"))
    }

    #[test]
    fn names_in_places_that_hold_only_names_are_not_values_unless_requested() {
        let cases = [
            "def f(table):\n    sink('LOCK TABLES ' + table)\n",
            "def f(channel, m):\n    sink('NOTIFY {c}, %s'.format(c=channel))\n",
            "def f(cols, q):\n    sink('MATCH(%s) AGAINST (%%s)' % (cols,))\n",
            "def f(col):\n    sink(f'SELECT a FROM t ORDER BY a DESC, {col}')\n",
            "def f(col):\n    sql = 'UPDATE t SET \"{c}\" = %s'\n    sink(sql.format(c=col))\n",
            "def f(schema, table):\n    sink(f'SELECT 1 FROM {schema}.{table}')\n",
        ];
        for case in cases {
            let (origin, evidence) = sql_origin_of("shop/db.py", case);
            assert_eq!(origin, Origin::Sanitised, "{evidence} for {case}");
        }
        // a value place keeps its origin; so does request data in a name place
        let value = "def f(name):\n    sink('SELECT 1 FROM t WHERE name = \\'%s\\'' % name)\n";
        assert_eq!(sql_origin_of("shop/db.py", value).0, Origin::Parameter);
        let order = "def v(request):\n    col = request.GET['sort']\n    sink(f'SELECT a FROM t ORDER BY {col}')\n";
        let (origin, evidence) = sql_origin_of("shop/views.py", order);
        assert_eq!(origin, Origin::Request);
        assert_eq!(evidence, "`col` comes from `request.GET` at views.py:2");
        // without positions (another rule) the same name is still a parameter
        let plain = "def f(table):\n    sink('LOCK TABLES ' + table)\n";
        assert_eq!(origin_of("shop/db.py", plain).0, Origin::Parameter);
    }

    #[test]
    fn long_templates_are_read_from_the_end_of_the_text_before_each_hole() {
        let padding = "a, ".repeat(50_000);
        // 50 holes: within the parts a template is split into (more are graded as a whole)
        let unions = " UNION SELECT 1 FROM {t}".repeat(50);
        let src = format!("def f(t):\n    sink(f'SELECT {padding} 1 FROM {{t}}{unions}')\n");
        let (origin, _) = sql_origin_of("shop/db.py", &src);
        assert_eq!(origin, Origin::Sanitised);
        let src = format!(
            "def f(t):\n    sink(f'SELECT {padding} 1 FROM {{t}}{unions} WHERE a = {{t}}')\n"
        );
        let (origin, evidence) = sql_origin_of("shop/db.py", &src);
        assert_eq!(origin, Origin::Parameter);
        assert_eq!(
            evidence,
            "`t` is a parameter of `f` (views.py:2); its callers decide what it holds"
        );
    }

    #[test]
    fn instance_attributes_set_in_the_class_are_followed() {
        let locked = "from itertools import chain\n\nclass Lock:\n    def __init__(self, write):\n        self.tables = ', '.join(chain('%s WRITE' % m._meta.db_table for m in write))\n\n    def enter(self):\n        sink('LOCK ' + self.tables)\n";
        assert_eq!(origin_of("a.py", locked).0, Origin::Sanitised);
        let body = "class Q:\n    table = 'shop_order'\n\n    def run(self):\n        sink('SELECT * FROM ' + self.table)\n";
        assert_eq!(origin_of("a.py", body).0, Origin::Constant);
        let requested = "class V:\n    def setup(self, request):\n        self.q = request.GET['q']\n\n    def get(self, request):\n        sink('SELECT ' + self.q)\n";
        assert_eq!(origin_of("a.py", requested).0, Origin::Request);
        // a constructor's argument is the caller's: unknown, the attribute as evidence
        let given = "class Q:\n    def __init__(self, where):\n        self.where = where\n\n    def run(self):\n        sink('SELECT 1 WHERE ' + self.where)\n";
        let (origin, evidence) = origin_of("a.py", given);
        assert_eq!(origin, Origin::Unknown);
        assert_eq!(
            evidence,
            "`self.where` (views.py:6) is a value whose origin is not known"
        );
    }

    #[test]
    fn numbers_by_annotation_not_options_by_default_and_names_of_model_classes() {
        let typed = "def f(n: int, code: UUID, ok: Optional[bool]):\n    sink(f'SELECT {n}, {code}, {ok}')\n";
        assert_eq!(origin_of("a.py", typed).0, Origin::Sanitised);
        let untyped = "def f(n: str):\n    sink(f'SELECT {n}')\n";
        assert_eq!(origin_of("a.py", untyped).0, Origin::Parameter);
        // Django does not enforce hints: a view's URL argument is request data, `: int` or not
        let view = "def detail(request, pk: int):\n    sink('SELECT 1 WHERE id = %s' % pk)\n";
        let (origin, evidence) = origin_of("shop/views.py", view);
        assert_eq!(origin, Origin::Request, "{evidence}");
        let method =
            "class V:\n    def get(self, request, pk: int):\n        sink(f'SELECT {pk}')\n";
        assert_eq!(origin_of("shop/views.py", method).0, Origin::Request);
        // nor what a caller passes from the request
        let passed = "def _load(pk: int):\n    sink('SELECT 1 WHERE id = %s' % pk)\n\ndef v(request):\n    _load(request.GET['pk'])\n";
        assert_eq!(origin_of("shop/views.py", passed).0, Origin::Request);
        let constant = "def _load(pk: int):\n    sink('SELECT 1 WHERE id = %s' % pk)\n\ndef f(x):\n    _load(x)\n";
        assert_eq!(origin_of("shop/views.py", constant).0, Origin::Sanitised);
        // a constant default says nothing about what other callers pass
        let option = "class S:\n    DEFAULT = ''\n    BOOLEAN = ' IN BOOLEAN MODE'\n\n    def search(self, q, mode=DEFAULT):\n        sink('AGAINST (%%s%s)' % mode)\n";
        let (origin, evidence) = origin_of("a.py", option);
        assert_eq!(origin, Origin::Parameter);
        assert_eq!(
            evidence,
            "`mode` is a parameter of `search` (views.py:6); its callers decide what it holds"
        );
        let module =
            "DEFAULT = 'a'\n\ndef f(col=DEFAULT):\n    sink(\"SELECT 1 WHERE a = '%s'\" % col)\n";
        assert_eq!(origin_of("a.py", module).0, Origin::Parameter);
        // a literal default says nothing about what callers pass
        let literal = "def search(q, mode=''):\n    sink('AGAINST (%%s%s)' % mode)\n";
        assert_eq!(origin_of("a.py", literal).0, Origin::Parameter);
        let typename = "from .services import typename_of\n\ndef attach(queryset):\n    model = queryset.model\n    sink(\"'{}'\".format(typename_of(model)))\n";
        assert_eq!(origin_of("a.py", typename).0, Origin::Sanitised);
        // a model instance's field is data
        let field = "from .services import describe\n\ndef attach(car):\n    sink(\"'{}'\".format(describe(car.model)))\n";
        assert_eq!(origin_of("a.py", field).0, Origin::Unknown);
        let own = "from .services import describe\n\nclass Car:\n    def label(self):\n        sink(\"'{}'\".format(describe(self.model)))\n";
        assert_eq!(origin_of("a.py", own).0, Origin::Unknown);
    }

    #[test]
    fn containers_hold_what_is_added_and_tuples_unpack_by_element() {
        let appended = "def f(request):\n    parts = []\n    parts.append(request.GET['q'])\n    sink(' AND '.join(parts))\n";
        assert_eq!(origin_of("a.py", appended).0, Origin::Request);
        // an imported object is no container of the function's
        let shared = "from django.core.cache import cache\n\ndef f(k):\n    cache.add(k, 'x')\n    sink(cache.get(k))\n";
        assert_eq!(origin_of("a.py", shared).0, Origin::Unknown);
        let keyed = "from collections import defaultdict\n\ndef f(rows):\n    marks = defaultdict(list)\n    for row in rows:\n        marks[row].append('%s')\n    sink(', '.join(marks[1]))\n";
        assert_eq!(origin_of("a.py", keyed).0, Origin::Constant);
        let unpacked = "def _sql(obj):\n    return obj.value, '%s'\n\ndef f(obj):\n    value, mark = _sql(obj)\n    sink('SET a = ' + mark)\n";
        assert_eq!(origin_of("a.py", unpacked).0, Origin::Constant);
        let other = "def _sql(obj):\n    return obj.value, '%s'\n\ndef f(obj):\n    value, mark = _sql(obj)\n    sink('SET a = ' + value)\n";
        assert_eq!(origin_of("a.py", other).0, Origin::Parameter);
        let pair = "def f(request):\n    a, b = 'x', request.GET['b']\n    sink('SELECT ' + a)\n";
        assert_eq!(origin_of("a.py", pair).0, Origin::Constant);
    }

    #[test]
    fn a_name_rebuilt_from_itself_keeps_its_origin() {
        let rebuilt = "def search(request):\n    sql = 'SELECT 1 WHERE a = '\n    sql = sql + request.GET['q']\n    sql = sql + ' LIMIT 1'\n    sink(sql)\n";
        assert_eq!(origin_of("a.py", rebuilt).0, Origin::Request);
    }

    #[test]
    fn a_method_call_finds_the_def_of_its_own_class_and_a_call_never_a_method() {
        let two = "class A:\n    def part(self):\n        return 'a'\n\n    def f(self):\n        sink(self.part())\n\nclass B:\n    def part(self):\n        return get()\n";
        assert_eq!(origin_of("a.py", two).0, Origin::Constant);
        let other = "class B:\n    def part(self):\n        return get()\n\n    def f(self):\n        sink(self.part())\n\nclass A:\n    def part(self):\n        return 'a'\n";
        assert_eq!(origin_of("a.py", other).0, Origin::Unknown);
        // `rows(...)` is the imported function, not the method of the same name
        let shadow = "from .stats import rows\n\nclass V:\n    def rows(self):\n        return 'x'\n\n    def f(self, qs):\n        sink(rows(qs))\n";
        let (origin, evidence) = origin_of("a.py", shadow);
        assert_eq!(origin, Origin::Unknown);
        assert_eq!(
            evidence,
            "`rows(qs)` (views.py:8) is a value whose origin is not known"
        );
    }

    #[test]
    fn sanitisers_under_a_local_name_and_character_tables_sanitise() {
        let alias = "from django.utils.html import conditional_escape\n\ndef f(value, autoescape):\n    if autoescape:\n        esc = conditional_escape\n    else:\n        esc = lambda x: x\n    sink('<b>%s</b>' % esc(value))\n";
        assert_eq!(origin_of("a.py", alias).0, Origin::Sanitised);
        let table = "ESC = {60: '&lt;'}\n\ndef f(value):\n    sink(str(value).translate(ESC))\n";
        assert_eq!(origin_of("a.py", table).0, Origin::Sanitised);
        // a table passed in is not known to escape anything
        let passed = "def f(value, table):\n    sink(value.translate(table))\n";
        assert_eq!(origin_of("a.py", passed).0, Origin::Unknown);
    }

    #[test]
    fn keywords_of_get_pick_a_row_and_loop_elements_of_constants_are_constant() {
        let row = "def f(request):\n    order = Order.objects.get(event=1, code=request.GET['c'])\n    sink(order.note)\n";
        assert_eq!(origin_of("a.py", row).0, Origin::Unknown);
        let default = "def f(request):\n    sink(d.get('k', request.GET['c']))\n";
        assert_eq!(origin_of("a.py", default).0, Origin::Request);
        let element = "from .prefs import PREFERENCES\n\ndef f():\n    for name, pref in PREFERENCES.items():\n        sink(f'{name}: {pref.warning}')\n";
        assert_eq!(origin_of("a.py", element).0, Origin::Constant);
        let compiled = "PATH = '/etc/app/override.py'\n\ndef f():\n    with open(PATH) as handle:\n        sink(compile(handle.read(), PATH, 'exec'))\n";
        assert_eq!(origin_of("a.py", compiled).0, Origin::Constant);
    }

    #[test]
    fn project_helpers_are_trusted_only_when_asked_and_only_for_their_whole_result() {
        let helper =
            "from shop.text import to_html\n\ndef f(product):\n    sink(to_html(product.body))\n";
        assert_eq!(traced("shop/tags.py", helper, true).0, Origin::Sanitised);
        assert_eq!(
            traced("src/shop/tags.py", helper, true).0,
            Origin::Sanitised
        );
        assert_eq!(traced("shop/tags.py", helper, false).0, Origin::Unknown);
        // another package's function (a library), a class, a field of the result, an element
        assert_eq!(traced("blog/tags.py", helper, true).0, Origin::Unknown);
        let class = "from shop.text import Renderer\n\ndef f(p):\n    sink(Renderer(p))\n";
        assert_eq!(traced("shop/tags.py", class, true).0, Origin::Unknown);
        let field = "from .users import load\n\ndef f(pk):\n    sink(load(pk).bio)\n";
        assert_eq!(traced("shop/tags.py", field, true).0, Origin::Unknown);
        let element = "from .chars import chars\n\ndef f(p):\n    for name, value in chars(p):\n        sink(value)\n";
        let (origin, evidence) = traced("shop/tags.py", element, true);
        assert_eq!(origin, Origin::Unknown);
        assert_eq!(
            evidence,
            "`value` comes from `chars(p)` at views.py:4, whose origin is not known"
        );
        let dumped =
            "import json\nfrom . import stats\n\ndef f(p):\n    sink(json.dumps(stats.rows(p)))\n";
        assert_eq!(traced("shop/tags.py", dumped, true).0, Origin::Unknown);
        // request data handed to it: the helper's escaping is to be confirmed
        let request =
            "from . import text\n\ndef f(request):\n    sink(text.to_html(request.GET['q']))\n";
        assert_eq!(traced("shop/tags.py", request, true).0, Origin::Unknown);
    }

    #[test]
    fn a_list_grows_by_what_is_appended_extended_or_inserted() {
        let appended = "def f(request):\n    parts = []\n    parts.append(request.GET['x'])\n    sink(''.join(parts))\n";
        let (origin, evidence) = origin_of("a.py", appended);
        assert_eq!(origin, Origin::Request);
        assert_eq!(evidence, "`parts` comes from `request.GET` at views.py:3");
        let inserted = "def f(name):\n    parts = ['<b>']\n    parts.insert(0, name)\n    sink(''.join(parts))\n";
        assert_eq!(origin_of("a.py", inserted).0, Origin::Parameter);
        let constant =
            "def f():\n    parts = []\n    parts.extend(['a', 'b'])\n    sink(''.join(parts))\n";
        assert_eq!(origin_of("a.py", constant).0, Origin::Constant);
    }
}
