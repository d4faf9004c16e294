//! Per-file symbol facts: what each imported name stands for and what local names were last bound
//! to, so rules can match qualified names (`import jwt as pyjwt; pyjwt.decode` is `jwt.decode`) and
//! see through `opts = {...}; f(options=opts)`.

use crate::parse::python::PyNode;
use std::collections::HashMap;

/// How deep name resolution may recurse (`a = b; b = c; ...`): deep enough for real code, shallow
/// enough that pathological files cannot blow the stack.
const MAX_DEPTH: usize = 12;

/// Scope key: the start byte of the enclosing function, or `MODULE` for module level.
pub const MODULE: usize = usize::MAX;

struct Binding<'r> {
    scope: usize,
    /// End byte of the binding statement: the name holds this value from there on.
    from: usize,
    value: PyNode<'r>,
}

/// Every named node of a parsed file, grouped by kind, from one cursor walk. Rules, symbols and
/// candidate searches read it instead of walking the tree again; the walk also records what a
/// node-by-node `parent()` chase would cost (tree-sitter finds a parent from the root down).
pub struct NodeIndex<'r> {
    by_kind: HashMap<u16, Vec<PyNode<'r>>>,
    /// Every named node, in document order.
    pub all: Vec<PyNode<'r>>,
    /// Maximal names and attribute chains outside imports and definition names: the places a
    /// qualified name can be referenced.
    pub refs: Vec<PyNode<'r>>,
    /// Byte ranges of every `def`, in document order, to find the scope of an offset.
    functions: Vec<(usize, usize)>,
    /// Byte ranges of every `class`, in document order, for `self.x` attributes.
    classes: Vec<(usize, usize)>,
    /// Every `def`, `class` and decorated definition, for the symbol a node belongs to.
    definitions: Vec<Definition>,
    /// Levels below the root: the pipeline refuses a tree too high for the walkers after this
    /// one, which may recurse along it (this walk keeps its own stack).
    pub height: usize,
}

/// A definition a node can belong to, with the name messages call it by.
#[derive(Clone)]
struct Definition {
    range: (usize, usize),
    name: String,
    /// For a decorated definition: the range of the `def`/`class` it decorates. A node inside
    /// the decorators belongs to that definition; one inside it is named by the inner range.
    decorated: Option<(usize, usize)>,
}

/// Properly nested byte ranges in document order, each with the index of the range around it,
/// so the innermost range around a span costs a binary search and a walk up the nesting, never
/// a scan of every range (or a tree-sitter `parent()` chase, which starts from the root).
#[derive(Clone, Default)]
struct Nesting {
    ranges: Vec<(usize, usize)>,
    outer: Vec<Option<usize>>,
}

impl Nesting {
    fn new(ranges: Vec<(usize, usize)>) -> Self {
        let mut outer = Vec::with_capacity(ranges.len());
        let mut open: Vec<usize> = Vec::new();
        for (i, &(start, end)) in ranges.iter().enumerate() {
            while open
                .last()
                .is_some_and(|&o| !(ranges[o].0 <= start && end <= ranges[o].1))
            {
                open.pop();
            }
            outer.push(open.last().copied());
            open.push(i);
        }
        Nesting { ranges, outer }
    }

    /// The innermost range for which `inside(range)` holds, walking outward from the last range
    /// that starts at or before `at`.
    fn innermost(&self, at: usize, inside: impl Fn((usize, usize)) -> bool) -> Option<usize> {
        let mut i = self.ranges.partition_point(|r| r.0 <= at).checked_sub(1)?;
        loop {
            if inside(self.ranges[i]) {
                return Some(i);
            }
            i = self.outer[i]?;
        }
    }

    /// `i` and the ranges around it, innermost first.
    fn chain(&self, i: Option<usize>) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(i, |&i| self.outer[i])
    }
}

/// What the walk knows about the node it is in.
#[derive(Clone, Copy)]
struct Frame {
    in_import: bool,
    kind: u16,
}

impl<'r> NodeIndex<'r> {
    pub fn build(root: &PyNode<'r>) -> Self {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        let id = |kind: &str| language.id_for_node_kind(kind, true);
        let (attribute, identifier) = (id("attribute"), id("identifier"));
        let imports = [
            id("import_statement"),
            id("import_from_statement"),
            id("future_import_statement"),
        ];
        let function = id("function_definition");
        let class = id("class_definition");
        let no_ref_parents = [
            id("parameters"),
            id("lambda_parameters"),
            id("typed_parameter"),
        ];
        let named_parents = [
            id("function_definition"),
            id("class_definition"),
            id("keyword_argument"),
            id("default_parameter"),
            id("typed_default_parameter"),
        ];
        let mut index = NodeIndex {
            by_kind: HashMap::new(),
            all: Vec::new(),
            refs: Vec::new(),
            functions: Vec::new(),
            classes: Vec::new(),
            definitions: Vec::new(),
            height: 0,
        };
        let decorated = id("decorated_definition");
        // An explicit stack rather than `Root::adopt` on a cursor's nodes: `adopt` re-checks
        // each node's ancestry in debug builds, which is quadratic on deeply nested code.
        let mut stack: Vec<(PyNode<'r>, Frame, Option<&str>, usize)> = vec![(
            root.clone(),
            Frame {
                in_import: false,
                kind: u16::MAX,
            },
            None,
            0,
        )];
        while let Some((node, parent, field, depth)) = stack.pop() {
            index.height = index.height.max(depth);
            let ts = node.get_inner_node();
            let kind = ts.kind_id();
            let in_import = parent.in_import || imports.contains(&kind);
            if ts.is_named() {
                let range = (ts.start_byte(), ts.end_byte());
                if kind == function {
                    index.functions.push(range);
                } else if kind == class {
                    index.classes.push(range);
                }
                if kind == function || kind == class {
                    if let Some(name) = node.field("name") {
                        index.definitions.push(Definition {
                            range,
                            name: name.text().to_string(),
                            decorated: None,
                        });
                    }
                } else if kind == decorated {
                    let inner = node.field("definition");
                    if let Some((inner, name)) =
                        inner.and_then(|d| Some((d.range(), d.field("name")?)))
                    {
                        index.definitions.push(Definition {
                            range,
                            name: name.text().to_string(),
                            decorated: Some((inner.start, inner.end)),
                        });
                    }
                }
                if (kind == identifier || kind == attribute) && !in_import {
                    let is_name_of_definition =
                        field == Some("name") && named_parents.contains(&parent.kind);
                    let is_parameter =
                        no_ref_parents.contains(&parent.kind) && field != Some("type");
                    if parent.kind != attribute && !is_name_of_definition && !is_parameter {
                        index.refs.push(node.clone());
                    }
                }
                index.by_kind.entry(kind).or_default().push(node.clone());
                index.all.push(node.clone());
            }
            let frame = Frame { in_import, kind };
            let mut cursor = ts.walk();
            let mut fields = Vec::new();
            if cursor.goto_first_child() {
                loop {
                    fields.push(cursor.field_name());
                    if !cursor.goto_next_sibling() {
                        break;
                    }
                }
            }
            let children: Vec<PyNode<'r>> = node.children().collect();
            for (child, field) in children.into_iter().zip(fields).rev() {
                stack.push((child, frame, field, depth + 1));
            }
        }
        index
    }

    /// Nodes of one kind id, in document order.
    pub fn of_kind(&self, kind: u16) -> &[PyNode<'r>] {
        self.by_kind.get(&kind).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Nodes of one kind name, in document order.
    pub fn named(&self, kind: &str) -> &[PyNode<'r>] {
        let language: tree_sitter::Language = tree_sitter_python::LANGUAGE.into();
        self.of_kind(language.id_for_node_kind(kind, true))
    }
}

/// The start byte of the innermost range (class, def) strictly around `offset`.
fn innermost(ranges: &Nesting, offset: usize) -> Option<usize> {
    let strictly = |(start, end): (usize, usize)| start < offset && offset < end;
    ranges
        .innermost(offset.saturating_sub(1), strictly)
        .map(|i| ranges.ranges[i].0)
}

/// `x` of `self.x`.
fn self_attribute(node: &PyNode<'_>) -> Option<String> {
    if node.kind() != "attribute" {
        return None;
    }
    let object = node.field("object")?;
    (object.kind() == "identifier" && object.text() == "self")
        .then(|| node.field("attribute").map(|a| a.text().to_string()))
        .flatten()
}

/// The start byte of the innermost `def` containing `offset`, or `MODULE`.
fn scope_at(functions: &Nesting, offset: usize) -> usize {
    innermost(functions, offset).unwrap_or(MODULE)
}

/// Imports and single-name assignments of one file.
pub struct FileSymbols<'r> {
    imports: HashMap<String, String>,
    bindings: HashMap<String, Vec<Binding<'r>>>,
    functions: Nesting,
    classes: Nesting,
    definitions: Vec<Definition>,
    definition_nesting: Nesting,
    /// `self.x = Client()` in any method: (class start, attribute) → the first such value, so
    /// `self.x.get(...)` elsewhere in the class is `Client().get`.
    instance_attrs: HashMap<(usize, String), PyNode<'r>>,
}

impl<'r> FileSymbols<'r> {
    /// Builds the node index first; prefer `from_index` when one exists.
    pub fn collect(root: &PyNode<'r>) -> Self {
        Self::from_index(&NodeIndex::build(root))
    }

    /// Nothing is resolved until asked.
    pub fn from_index(index: &NodeIndex<'r>) -> Self {
        let mut symbols = FileSymbols {
            imports: HashMap::new(),
            bindings: HashMap::new(),
            functions: Nesting::new(index.functions.clone()),
            classes: Nesting::new(index.classes.clone()),
            definitions: index.definitions.clone(),
            definition_nesting: Nesting::new(index.definitions.iter().map(|d| d.range).collect()),
            instance_attrs: HashMap::new(),
        };
        for node in index.named("import_statement") {
            symbols.add_import(node);
        }
        for node in index.named("import_from_statement") {
            symbols.add_from_import(node);
        }
        for node in index.named("assignment") {
            if let (Some(left), Some(right)) = (node.field("left"), node.field("right")) {
                if left.kind() == "identifier" {
                    symbols.bind(left.text().to_string(), node, right);
                } else if let Some(attr) = self_attribute(&left) {
                    if right.kind() == "call" {
                        if let Some(class) = innermost(&symbols.classes, node.range().start) {
                            symbols.instance_attrs.entry((class, attr)).or_insert(right);
                        }
                    }
                }
            }
        }
        for item in index.named("with_item") {
            // `with requests.Session() as s:`: the alias holds the context expression.
            let Some(node) = item.child(0).filter(|n| n.kind() == "as_pattern") else {
                continue;
            };
            let value = node.child(0);
            let alias = node
                .field("alias")
                .and_then(|a| a.dfs().find(|n| n.kind() == "identifier"));
            if let (Some(value), Some(alias)) = (value, alias) {
                symbols.bind(alias.text().to_string(), &node, value);
            }
        }
        for list in symbols.bindings.values_mut() {
            list.sort_by_key(|b| b.from);
        }
        symbols
    }

    fn bind(&mut self, name: String, statement: &PyNode<'r>, value: PyNode<'r>) {
        let binding = Binding {
            scope: scope_at(&self.functions, statement.range().start),
            from: statement.range().end,
            value,
        };
        self.bindings.entry(name).or_default().push(binding);
    }

    fn add_import(&mut self, node: &PyNode<'r>) {
        for name in node.field_children("name") {
            match name.kind().as_ref() {
                "dotted_name" => {
                    let full = name.text().to_string();
                    let top = full.split('.').next().unwrap_or(&full).to_string();
                    self.imports.insert(top.clone(), top);
                }
                "aliased_import" => {
                    if let (Some(target), Some(alias)) = (name.field("name"), name.field("alias")) {
                        self.imports
                            .insert(alias.text().to_string(), target.text().to_string());
                    }
                }
                _ => {}
            }
        }
    }

    fn add_from_import(&mut self, node: &PyNode<'r>) {
        let Some(module) = node.field("module_name") else {
            return;
        };
        let module = module.text().to_string();
        let join = |name: &str| {
            if module.ends_with('.') {
                format!("{module}{name}")
            } else {
                format!("{module}.{name}")
            }
        };
        for name in node.field_children("name") {
            match name.kind().as_ref() {
                "dotted_name" => {
                    let text = name.text().to_string();
                    self.imports.insert(text.clone(), join(&text));
                }
                "aliased_import" => {
                    if let (Some(target), Some(alias)) = (name.field("name"), name.field("alias")) {
                        self.imports
                            .insert(alias.text().to_string(), join(&target.text()));
                    }
                }
                _ => {}
            }
        }
    }

    /// True if any import binds a module whose top-level package is `module`.
    pub fn imports_module(&self, module: &str) -> bool {
        self.imports
            .values()
            .any(|q| q.split('.').next() == Some(module))
    }

    /// The scope of an offset: the start byte of the innermost `def` around it, or `MODULE`.
    pub fn scope_of(&self, offset: usize) -> usize {
        scope_at(&self.functions, offset)
    }

    /// The start byte of the innermost `class` around an offset, if any.
    pub fn class_of(&self, offset: usize) -> Option<usize> {
        innermost(&self.classes, offset)
    }

    /// What an imported name stands for (`from django.db import connection` binds
    /// `connection` to `django.db.connection`).
    pub fn import_of(&self, name: &str) -> Option<&str> {
        self.imports.get(name).map(String::as_str)
    }

    /// Every imported qualified name (for project-wide evidence).
    pub fn imported_names(&self) -> impl Iterator<Item = &str> {
        self.imports.values().map(String::as_str)
    }

    /// The value a name held at `at`: the last assignment before it in the same function, or the
    /// module-level binding when the function never assigns it.
    pub fn binding_at(&self, name: &str, at: &PyNode<'r>) -> Option<PyNode<'r>> {
        let list = self.bindings.get(name)?;
        let scope = scope_at(&self.functions, at.range().start);
        let start = at.range().start;
        let in_scope = list
            .iter()
            .rev()
            .find(|b| b.scope == scope && b.from <= start);
        let found = match in_scope {
            Some(b) => Some(b),
            None if scope != MODULE && !list.iter().any(|b| b.scope == scope) => {
                list.iter().rev().find(|b| b.scope == MODULE)
            }
            None => None,
        };
        found.map(|b| b.value.clone())
    }

    /// What `self.x` was bound to in its class (a constructor call), if anything.
    fn instance_attr(&self, node: &PyNode<'r>) -> Option<PyNode<'r>> {
        let attr = self_attribute(node)?;
        let class = innermost(&self.classes, node.range().start)?;
        self.instance_attrs.get(&(class, attr)).cloned()
    }

    /// Follows a plain name to the expression it was last bound to (transitively).
    pub fn resolve_value(&self, node: &PyNode<'r>) -> PyNode<'r> {
        let mut current = node.clone();
        for _ in 0..MAX_DEPTH {
            if current.kind() != "identifier" {
                break;
            }
            match self.binding_at(&current.text(), &current) {
                Some(next) => current = next,
                None => break,
            }
        }
        current
    }

    /// The dotted name an expression stands for, through imports and local bindings.
    pub fn qualify(&self, node: &PyNode<'r>) -> String {
        self.qualify_depth(node, 0)
    }

    fn qualify_depth(&self, node: &PyNode<'r>, depth: usize) -> String {
        if depth > MAX_DEPTH {
            return "<expr>".to_string();
        }
        match node.kind().as_ref() {
            "identifier" => {
                let name = node.text();
                if let Some(value) = self.binding_at(&name, node) {
                    match value.kind().as_ref() {
                        "call" | "identifier" | "attribute" => {
                            return self.qualify_depth(&value, depth + 1)
                        }
                        _ => {}
                    }
                }
                self.imports
                    .get(name.as_ref())
                    .cloned()
                    .unwrap_or_else(|| name.to_string())
            }
            "attribute" => {
                if let Some(value) = self.instance_attr(node) {
                    return self.qualify_depth(&value, depth + 1);
                }
                match (node.field("object"), node.field("attribute")) {
                    (Some(object), Some(attr)) => {
                        format!("{}.{}", self.qualify_depth(&object, depth + 1), attr.text())
                    }
                    _ => "<expr>".to_string(),
                }
            }
            "call" => match node.field("function") {
                Some(function) => format!("{}()", self.qualify_depth(&function, depth + 1)),
                None => "<expr>".to_string(),
            },
            "string" | "concatenated_string" => "<str>".to_string(),
            "parenthesized_expression" => match node.named_children().next() {
                Some(inner) => self.qualify_depth(&inner, depth + 1),
                None => "<expr>".to_string(),
            },
            _ => "<expr>".to_string(),
        }
    }

    /// A literal, or a container of literals, after following names.
    pub fn is_literal(&self, node: &PyNode<'r>) -> bool {
        self.is_constant(node, &|_| false)
    }

    /// Text fixed before run time: literals, containers of them, f-strings and operators over
    /// them, or anything `safe` vouches for (a sanitizer call such as `quote_name(x)`).
    pub fn is_constant(&self, node: &PyNode<'r>, safe: Safe<'_, 'r>) -> bool {
        self.constant_depth(node, safe, 0)
    }

    fn constant_depth(&self, node: &PyNode<'r>, safe: Safe<'_, 'r>, depth: usize) -> bool {
        if depth > MAX_DEPTH {
            return false;
        }
        if safe(node) {
            return true;
        }
        let all = |children: &mut dyn Iterator<Item = PyNode<'r>>| {
            children
                .filter(|c| c.kind() != "comment")
                .all(|c| self.constant_depth(&c, safe, depth + 1))
        };
        match node.kind().as_ref() {
            "string" => interpolations(node).all(|e| self.constant_depth(&e, safe, depth + 1)),
            "concatenated_string"
            | "list"
            | "tuple"
            | "set"
            | "dictionary"
            | "pair"
            | "parenthesized_expression" => all(&mut node.named_children()),
            "integer" | "float" | "true" | "false" | "none" => true,
            "unary_operator" => all(&mut node.field("argument").into_iter()),
            "keyword_argument" => all(&mut node.field("value").into_iter()),
            "binary_operator" => {
                matches!(
                    node.field("operator")
                        .map(|o| o.text().to_string())
                        .as_deref(),
                    Some("+" | "%")
                ) && all(&mut node.field("left").into_iter().chain(node.field("right")))
            }
            "conditional_expression" => {
                // `a if cond else b`: the condition picks between values, it is not one.
                let values: Vec<PyNode<'r>> = node.named_children().collect();
                values.len() == 3 && all(&mut [values[0].clone(), values[2].clone()].into_iter())
            }
            "call" => {
                self.is_format_call(node) && {
                    let object = node.field("function").and_then(|f| f.field("object"));
                    let args = node.field("arguments");
                    all(&mut object.into_iter().chain(
                        args.into_iter()
                            .flat_map(|a| a.named_children().collect::<Vec<_>>()),
                    ))
                }
            }
            "identifier" => {
                let resolved = self.resolve_value(node);
                resolved.range() != node.range() && self.constant_depth(&resolved, safe, depth + 1)
            }
            _ => false,
        }
    }

    fn is_format_call(&self, node: &PyNode<'r>) -> bool {
        node.field("function").is_some_and(|f| {
            f.kind() == "attribute"
                && f.field("attribute").is_some_and(|a| a.text() == "format")
                && f.field("object").is_some_and(|o| self.is_stringish(&o))
        })
    }

    /// A string assembled at run time from parts that are not all literals.
    pub fn is_dynamic_string(&self, node: &PyNode<'r>) -> bool {
        self.is_dynamic_with(node, &|_| false)
    }

    /// As `is_dynamic_string`, with the parts `safe` vouches for counted as constant.
    pub fn is_dynamic_with(&self, node: &PyNode<'r>, safe: Safe<'_, 'r>) -> bool {
        self.dynamic_depth(node, safe, 0)
    }

    fn dynamic_depth(&self, node: &PyNode<'r>, safe: Safe<'_, 'r>, depth: usize) -> bool {
        if depth > MAX_DEPTH || safe(node) {
            return false;
        }
        let constant = |n: &PyNode<'r>| self.constant_depth(n, safe, depth + 1);
        match node.kind().as_ref() {
            "string" => interpolations(node).any(|e| !constant(&e)),
            "binary_operator" => {
                let op = node.field("operator").map(|o| o.text().to_string());
                let (Some(left), Some(right)) = (node.field("left"), node.field("right")) else {
                    return false;
                };
                match op.as_deref() {
                    Some("%") => self.is_stringish(&left) && !constant(&right),
                    Some("+") => {
                        self.dynamic_depth(&left, safe, depth + 1)
                            || self.dynamic_depth(&right, safe, depth + 1)
                            || ((self.is_stringish(&left) || self.is_stringish(&right))
                                && !(constant(&left) && constant(&right)))
                    }
                    _ => false,
                }
            }
            "call" => {
                self.is_format_call(node)
                    && node
                        .field("arguments")
                        .is_some_and(|args| args.named_children().any(|a| !constant(&a)))
            }
            "concatenated_string"
            | "list"
            | "tuple"
            | "set"
            | "dictionary"
            | "pair"
            | "parenthesized_expression" => node
                .named_children()
                .any(|c| self.dynamic_depth(&c, safe, depth + 1)),
            "conditional_expression" => {
                let values: Vec<PyNode<'r>> = node.named_children().collect();
                values.len() == 3
                    && (self.dynamic_depth(&values[0], safe, depth + 1)
                        || self.dynamic_depth(&values[2], safe, depth + 1))
            }
            "identifier" => {
                let resolved = self.resolve_value(node);
                resolved.range() != node.range() && self.dynamic_depth(&resolved, safe, depth + 1)
            }
            _ => false,
        }
    }

    /// A string literal or f-string, directly or through a name, or an operator chain whose
    /// leftmost operand is one (`"a" + x + y`). Walks the chain iteratively: long concatenations
    /// must neither recurse deeply nor re-examine operands.
    fn is_stringish(&self, node: &PyNode<'r>) -> bool {
        let mut current = self.resolve_value(node);
        for _ in 0..MAX_DEPTH * 8 {
            match current.kind().as_ref() {
                "string" | "concatenated_string" => return true,
                "binary_operator" | "parenthesized_expression" => {
                    let next = if current.kind() == "binary_operator" {
                        current.field("left")
                    } else {
                        current.named_children().next()
                    };
                    match next {
                        Some(next) => current = self.resolve_value(&next),
                        None => return false,
                    }
                }
                _ => return false,
            }
        }
        false
    }
}

/// Vouches for an expression being safe constant text (a sanitizer call); `&|_| false` for none.
pub type Safe<'a, 'r> = &'a dyn Fn(&PyNode<'r>) -> bool;

/// The expressions inside an f-string's `{...}` placeholders.
fn interpolations<'r>(node: &PyNode<'r>) -> impl Iterator<Item = PyNode<'r>> + use<'r> {
    let found: Vec<PyNode<'r>> = node
        .children()
        .filter(|c| c.kind() == "interpolation")
        .filter_map(|i| i.named_children().next())
        .collect();
    found.into_iter()
}

/// The arguments of one call, split by form.
pub struct CallArgs<'r> {
    pub positional: Vec<PyNode<'r>>,
    pub keywords: Vec<(String, PyNode<'r>)>,
    /// `**kwargs` present: any keyword may be given.
    pub keyword_splat: bool,
}

impl<'r> CallArgs<'r> {
    pub fn of(call: &PyNode<'r>) -> Self {
        let mut args = CallArgs {
            positional: Vec::new(),
            keywords: Vec::new(),
            keyword_splat: false,
        };
        let Some(list) = call.field("arguments") else {
            return args;
        };
        if list.kind() != "argument_list" {
            // A generator argument: `f(x for x in y)`.
            args.positional.push(list);
            return args;
        }
        for child in list.named_children() {
            match child.kind().as_ref() {
                "keyword_argument" => {
                    if let (Some(name), Some(value)) = (child.field("name"), child.field("value")) {
                        args.keywords.push((name.text().to_string(), value));
                    }
                }
                "dictionary_splat" => args.keyword_splat = true,
                "list_splat" | "comment" => {}
                _ => args.positional.push(child),
            }
        }
        args
    }

    pub fn keyword(&self, name: &str) -> Option<&PyNode<'r>> {
        self.keywords
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

impl FileSymbols<'_> {
    /// The function or class a node belongs to, for messages: `Class.method`, `outer.inner`;
    /// for a node inside a decorator, the decorated definition. `<module>` at top level.
    pub fn enclosing_symbol(&self, node: &PyNode<'_>) -> String {
        let (start, end) = (node.range().start, node.range().end);
        let around = |(s, e): (usize, usize)| s <= start && end <= e && (s, e) != (start, end);
        let nesting = &self.definition_nesting;
        let mut names: Vec<&str> = Vec::new();
        for i in nesting.chain(nesting.innermost(start, around)) {
            let definition = &self.definitions[i];
            if !around(definition.range) {
                continue;
            }
            match definition.decorated {
                // Inside the decorated `def` itself: that range names it.
                Some(inner) if around(inner) || inner == (start, end) => {}
                _ => names.push(&definition.name),
            }
        }
        if names.is_empty() {
            return "<module>".to_string();
        }
        names.reverse();
        names.join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::python::parse;

    fn calls_qualified(src: &str) -> Vec<String> {
        let root = parse(src.to_string()).expect("parse");
        let top = root.root();
        let symbols = FileSymbols::collect(&top);
        let names: Vec<String> = top
            .dfs()
            .filter(|n| n.kind() == "call")
            .filter_map(|c| c.field("function").map(|f| symbols.qualify(&f)))
            .collect();
        names
    }

    #[test]
    fn aliases_and_from_imports_resolve_to_the_same_callee() {
        let src = "import jwt as pyjwt\nfrom jwt import decode\nimport jwt\npyjwt.decode(t)\ndecode(t)\njwt.decode(t)\n";
        assert_eq!(
            calls_qualified(src),
            vec!["jwt.decode", "jwt.decode", "jwt.decode"]
        );
    }

    #[test]
    fn instances_and_context_managers_carry_their_constructor() {
        let src = "import requests\nimport asyncio\ns = requests.Session()\ns.get(u)\nwith requests.Session() as t:\n    t.post(u)\nloop = asyncio.get_event_loop()\nloop.run_until_complete(x)\n";
        let names = calls_qualified(src);
        assert!(names.contains(&"requests.Session().get".to_string()));
        assert!(names.contains(&"requests.Session().post".to_string()));
        assert!(names.contains(&"asyncio.get_event_loop().run_until_complete".to_string()));
    }

    #[test]
    fn instance_attributes_carry_their_constructor_within_the_class() {
        let src = "import requests\nclass Client:\n    def __init__(self):\n        self.http = requests.Session()\n    def fetch(self, u):\n        return self.http.get(u)\nclass Other:\n    def fetch(self, u):\n        return self.http.get(u)\n";
        let names = calls_qualified(src);
        assert!(
            names.contains(&"requests.Session().get".to_string()),
            "{names:?}"
        );
        assert!(names.contains(&"self.http.get".to_string()), "{names:?}");
    }

    #[test]
    fn dynamic_strings_are_told_from_literals_and_parameters() {
        let src = "def f(term, sql_param):\n    a = f\"x {term}\"\n    b = \"x %s\" % term\n    c = \"x {}\".format(term)\n    d = \"x \" + term\n    e = \"x \" + \"y\"\n    g = \"x %s\" % \"lit\"\n    use(a, b, c, d, e, g, sql_param)\n";
        let root = parse(src.to_string()).expect("parse");
        let top = root.root();
        let symbols = FileSymbols::collect(&top);
        let call = top
            .dfs()
            .filter(|n| n.kind() == "call")
            .last()
            .expect("use() call");
        let args = CallArgs::of(&call);
        let dynamic: Vec<bool> = args
            .positional
            .iter()
            .map(|a| symbols.is_dynamic_string(a))
            .collect();
        assert_eq!(dynamic, vec![true, true, true, true, false, false, false]);
    }

    #[test]
    fn sanitized_parts_and_choices_between_literals_are_constant() {
        let src = "def f(x, name):\n    a = \"DROP %s\" % quote_name(name)\n    b = \"a\" if x else \"b\"\n    c = f\"id={int(x)}\"\n    use(a, b, c)\n";
        let root = parse(src.to_string()).expect("parse");
        let top = root.root();
        let symbols = FileSymbols::collect(&top);
        let call = top
            .dfs()
            .filter(|n| n.kind() == "call" && n.text().starts_with("use"))
            .last()
            .expect("use() call");
        let args = CallArgs::of(&call);
        let sanitizer = |n: &PyNode<'_>| {
            n.kind() == "call"
                && n.field("function")
                    .is_some_and(|f| f.text() == "quote_name" || f.text() == "int")
        };
        let with: Vec<bool> = args
            .positional
            .iter()
            .map(|a| symbols.is_dynamic_with(a, &sanitizer))
            .collect();
        let without: Vec<bool> = args
            .positional
            .iter()
            .map(|a| symbols.is_dynamic_string(a))
            .collect();
        assert_eq!(with, vec![false, false, false]);
        assert_eq!(without, vec![true, false, true]);
        assert!(symbols.is_literal(&args.positional[1]));
    }

    #[test]
    fn later_and_other_scope_assignments_are_not_seen() {
        let src = "x = 1\ndef f():\n    use(x)\n    x = g()\ndef h():\n    use(x)\n";
        let root = parse(src.to_string()).expect("parse");
        let top = root.root();
        let symbols = FileSymbols::collect(&top);
        let uses: Vec<_> = top
            .dfs()
            .filter(|n| n.kind() == "call" && n.text().starts_with("use"))
            .collect();
        let first = CallArgs::of(&uses[0]).positional[0].clone();
        let second = CallArgs::of(&uses[1]).positional[0].clone();
        // In f, x is assigned only after the use: it is local there, so nothing is known.
        assert!(symbols.binding_at("x", &first).is_none());
        assert_eq!(
            symbols
                .binding_at("x", &second)
                .map(|v| v.text().to_string()),
            Some("1".to_string())
        );
    }

    #[test]
    fn the_index_measures_the_height_without_recursion() {
        let flat = parse("x = 1\n".to_string()).expect("parse");
        // module > expression_statement > assignment > integer
        assert_eq!(NodeIndex::build(&flat.root()).height, 3);
        let deep = parse(format!("x = {}1\n", "-".repeat(20_000))).expect("parse");
        assert_eq!(NodeIndex::build(&deep.root()).height, 20_003);
    }

    #[test]
    fn decorator_symbol_is_the_decorated_view() {
        let src = "@csrf_exempt\ndef webhook(request):\n    pass\nclass V:\n    def get(self):\n        call()\n";
        let root = parse(src.to_string()).expect("parse");
        let top = root.root();
        let dec = top
            .dfs()
            .find(|n| n.kind() == "identifier" && n.text() == "csrf_exempt")
            .expect("decorator");
        let symbols = FileSymbols::collect(&top);
        assert_eq!(symbols.enclosing_symbol(&dec), "webhook");
        let call = top.dfs().find(|n| n.kind() == "call").expect("call");
        assert_eq!(symbols.enclosing_symbol(&call), "V.get");
        let def = top
            .dfs()
            .find(|n| n.kind() == "function_definition")
            .expect("def");
        assert_eq!(symbols.enclosing_symbol(&def), "<module>");
        let nested = "class A:\n    def f(self):\n        def g():\n            x()\n        y()\n    z = w()\n";
        let root = parse(nested.to_string()).expect("parse");
        let symbols = FileSymbols::collect(&root.root());
        let calls: Vec<String> = root
            .root()
            .dfs()
            .filter(|n| n.kind() == "call")
            .map(|c| format!("{} in {}", c.text(), symbols.enclosing_symbol(&c)))
            .collect();
        assert_eq!(calls, ["x() in A.f.g", "y() in A.f", "w() in A"]);
    }
}
