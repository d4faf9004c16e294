//! What one file contributes to the project model (DESIGN §4.6): plain data, so a result cache
//! can keep it. Definitions come from the syntax tree while it is alive; mentions of the names
//! project rules ask about come from the bytes, so finding who uses a component never needs a
//! parse of the files that use it.

use crate::model::roles::Role;
use crate::parse::python::PyNode;
use aho_corasick::AhoCorasick;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One Python file's facts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileFacts {
    pub rel: String,
    /// Dotted module (`shop/jobs/sync.py` is `shop.jobs.sync`, a package's `__init__.py` the
    /// package), as the settings model names modules.
    pub module: String,
    pub role: Role,
    pub is_test: bool,
    /// The user assigned its role in the config: the import graph leaves it as it is.
    pub assigned: bool,
    /// Modules it imports, relative imports resolved (`imports::resolved_modules`).
    pub imports: BTreeSet<String>,
    /// It defines a background task (`@shared_task`, `@app.task`, `@actor`, …).
    pub defines_tasks: bool,
    /// Classes and functions defined at module level (and in module-level `if`/`try` blocks),
    /// read from the tree when some project rule may be looking for them.
    pub classes: Vec<ClassDef>,
    pub functions: Vec<FunctionDef>,
    /// Identifiers containing a word some project rule asks about, outside comments.
    pub mentions: Vec<Mention>,
    /// The URL routes the module declares, when it may declare some.
    pub routes: Option<crate::model::routes::FileRoutes>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassDef {
    pub name: String,
    pub line: usize,
    /// The base expressions as written (`MiddlewareMixin`, `deprecation.MiddlewareMixin`).
    pub bases: Vec<String>,
    /// Methods defined in the class body.
    pub methods: Vec<String>,
    /// Parameter names of `__init__` after `self`.
    pub init_params: Vec<String>,
    /// The definition's first line as written, for a finding's snippet.
    pub header: String,
    /// What its methods call (see [`FunctionDef::calls`]).
    pub calls: Vec<String>,
    /// Every method but `__init__` does its work only inside `if settings.DEBUG:`: a
    /// development tool, whatever its name says.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub debug_only: bool,
    /// The class body, or one of its methods, starts with a docstring.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub docstring: bool,
    /// Decorators of the class and of its methods, without `@` and arguments
    /// (`extend_schema_view`, `action`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decorators: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionDef {
    pub name: String,
    pub line: usize,
    /// Decorator expressions as written, without `@` and arguments.
    pub decorators: Vec<String>,
    /// Keyword arguments the decorators are called with (`time_limit`, `acks_late`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decorator_keywords: Vec<String>,
    /// The callees of the calls in its body as written (`connection.ensure_connection`,
    /// `cache.get`), each once, at most [`MAX_CALLS`]: what the function touches.
    pub calls: Vec<String>,
    /// The definition's first line as written, for a finding's snippet.
    pub header: String,
}

/// Callees kept per definition: enough to tell what a function touches.
pub const MAX_CALLS: usize = 256;

/// The distinct callees of the calls under `node`, in document order, by an explicit stack.
fn calls_under(node: &PyNode<'_>) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut stack: Vec<PyNode<'_>> = vec![node.clone()];
    while let Some(n) = stack.pop() {
        if found.len() >= MAX_CALLS {
            break;
        }
        if n.kind() == "call" {
            if let Some(callee) = n.field("function") {
                let text = callee.text();
                // A callee that is itself a call or a long chain is cut to its first line.
                let name: String = text
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(120)
                    .collect();
                if !found.contains(&name) {
                    found.push(name);
                }
            }
        }
        let mut children: Vec<PyNode<'_>> = n.children().collect();
        children.reverse();
        stack.extend(children);
    }
    found
}

/// A name used in a file: an identifier (or a dotted string's part) that holds a watched word.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Mention {
    pub name: String,
    pub line: usize,
    /// The line is an import statement (`from .pool import Pool`): in a package's
    /// `__init__.py` that is a re-export, not a use.
    pub import: bool,
    /// Inside a one-line string literal that is not a dotted path (`prefix="ratelimit"`):
    /// text, not code. A dotted string (`"axes.middleware.AxesMiddleware"`) is code by name.
    pub text: bool,
    /// The name being defined (`class RateLimiter`, `def rate_limit`): not a use of it.
    pub definition: bool,
    /// An attribute of something in code (`db.connect`), not a name of its own.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub member: bool,
    /// Called right there (`Prisma()`), in code.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub call: bool,
    /// The line as written (its first 160 bytes) where the mention is a call, for the
    /// snippet of a finding there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The line of the `if DEBUG:` (or `if settings.DEBUG:`) block the mention sits in: code
    /// that runs only in development.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub debug_only: Option<usize>,
}

/// Module-level classes and functions of a parsed module. The walk descends only into
/// module-level blocks (`if`, `try`, `with`), never into function bodies, with an explicit
/// stack, so its depth never follows the input.
pub fn definitions(root: &PyNode<'_>) -> (Vec<ClassDef>, Vec<FunctionDef>) {
    let mut classes = Vec::new();
    let mut functions = Vec::new();
    let mut stack: Vec<PyNode<'_>> = root.children().collect();
    stack.reverse();
    while let Some(node) = stack.pop() {
        match node.kind().as_ref() {
            "class_definition" => classes.extend(class_def(&node)),
            "function_definition" => functions.extend(function_def(&node, Vec::new())),
            "decorated_definition" => {
                let decorators = decorator_names(&node);
                if let Some(inner) = node.field("definition") {
                    match inner.kind().as_ref() {
                        "class_definition" => classes.extend(class_def(&inner).map(|mut c| {
                            c.decorators.splice(0..0, decorators);
                            c
                        })),
                        _ => functions.extend(function_def(&inner, decorators).map(|mut f| {
                            f.decorator_keywords = decorator_keywords(&node);
                            f
                        })),
                    }
                }
            }
            "if_statement" | "try_statement" | "with_statement" | "block" | "else_clause"
            | "elif_clause" | "except_clause" | "finally_clause" => {
                let mut children: Vec<PyNode<'_>> = node.children().collect();
                children.reverse();
                stack.extend(children);
            }
            _ => {}
        }
    }
    classes.sort_by_key(|c| c.line);
    functions.sort_by_key(|f| f.line);
    (classes, functions)
}

fn line_of(node: &PyNode<'_>) -> usize {
    node.start_pos().line() + 1
}

fn class_def(node: &PyNode<'_>) -> Option<ClassDef> {
    let name = node.field("name")?.text().to_string();
    let bases = node
        .field("superclasses")
        .map(|args| {
            args.children()
                .filter_map(|a| match a.kind().as_ref() {
                    "identifier" | "attribute" => Some(a.text().to_string()),
                    // A generic base (`ModelViewSet[Tag]`) is its class.
                    "subscript" => a.field("value").map(|v| v.text().to_string()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let mut methods = Vec::new();
    let mut init_params = Vec::new();
    let mut calls: Vec<String> = Vec::new();
    // (methods other than `__init__`, of which guarded by DEBUG)
    let mut guarded = (0, 0);
    let mut docstring = false;
    let mut decorators = Vec::new();
    if let Some(body) = node.field("body") {
        docstring = starts_with_docstring(&body);
        for item in body.children() {
            if item.kind() == "decorated_definition" {
                for name in decorator_names(&item) {
                    if decorators.len() < MAX_CALLS && !decorators.contains(&name) {
                        decorators.push(name);
                    }
                }
            }
            let function = match item.kind().as_ref() {
                "function_definition" => Some(item.clone()),
                "decorated_definition" => item.field("definition"),
                _ => None,
            };
            let Some(function) = function.filter(|f| f.kind() == "function_definition") else {
                continue;
            };
            let Some(method) = function.field("name").map(|n| n.text().to_string()) else {
                continue;
            };
            // Schema generators also describe an operation by its method's docstring.
            docstring = docstring
                || function
                    .field("body")
                    .is_some_and(|b| starts_with_docstring(&b));
            if method == "__init__" {
                init_params = parameter_names(&function).into_iter().skip(1).collect();
            } else {
                guarded.0 += 1;
                if function
                    .field("body")
                    .is_some_and(|b| works_only_in_debug(&b))
                {
                    guarded.1 += 1;
                }
            }
            for call in calls_under(&function) {
                if calls.len() < MAX_CALLS && !calls.contains(&call) {
                    calls.push(call);
                }
            }
            methods.push(method);
        }
    }
    let text = node.text();
    let header = text
        .lines()
        .next()
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    Some(ClassDef {
        name,
        line: line_of(node),
        bases,
        methods,
        init_params,
        header,
        calls,
        docstring,
        decorators,
        debug_only: guarded.0 > 0 && guarded.0 == guarded.1,
    })
}

fn parameter_names(function: &PyNode<'_>) -> Vec<String> {
    let Some(parameters) = function.field("parameters") else {
        return Vec::new();
    };
    parameters
        .children()
        .filter_map(|p| match p.kind().as_ref() {
            "identifier" => Some(p.text().to_string()),
            "default_parameter" | "typed_parameter" | "typed_default_parameter" => p
                .field("name")
                .or_else(|| p.children().find(|c| c.kind() == "identifier"))
                .map(|n| n.text().to_string()),
            _ => None,
        })
        .collect()
}

fn function_def(node: &PyNode<'_>, decorators: Vec<String>) -> Option<FunctionDef> {
    let text = node.text();
    Some(FunctionDef {
        name: node.field("name")?.text().to_string(),
        line: line_of(node),
        decorators,
        decorator_keywords: Vec::new(),
        calls: node
            .field("body")
            .map(|b| calls_under(&b))
            .unwrap_or_default(),
        header: text
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(200)
            .collect(),
    })
}

/// Whether a block's first statement, comments aside, is a string.
fn starts_with_docstring(body: &PyNode<'_>) -> bool {
    body.children()
        .find(|c| c.kind() != "comment")
        .is_some_and(|first| {
            first.kind() == "expression_statement"
                && first
                    .children()
                    .next()
                    .is_some_and(|s| s.kind() == "string")
        })
}

/// Whether a method body does nothing outside `if DEBUG:` blocks: besides them only a
/// docstring, `pass` and `return` of a name or nothing (`return response`).
fn works_only_in_debug(body: &PyNode<'_>) -> bool {
    let mut guards = 0;
    for statement in body.children() {
        match statement.kind().as_ref() {
            "comment" | "pass_statement" => {}
            "expression_statement"
                if statement
                    .children()
                    .all(|c| c.kind() == "string" || c.kind() == "comment") => {}
            "return_statement"
                if statement
                    .children()
                    .all(|c| matches!(c.kind().as_ref(), "return" | "identifier" | "none")) => {}
            "if_statement" => {
                let header = statement.text();
                let first = header.lines().next().unwrap_or("");
                let has_else = statement
                    .children()
                    .any(|c| matches!(c.kind().as_ref(), "else_clause" | "elif_clause"));
                if has_else || !is_debug_guard(first.trim().as_bytes()) {
                    return false;
                }
                guards += 1;
            }
            _ => return false,
        }
    }
    guards > 0
}

/// `@shared_task(bind=True, time_limit=60)` gives `bind`, `time_limit`.
fn decorator_keywords(decorated: &PyNode<'_>) -> Vec<String> {
    let mut found = Vec::new();
    for decorator in decorated.children().filter(|c| c.kind() == "decorator") {
        for call in decorator.children().filter(|c| c.kind() == "call") {
            let Some(arguments) = call.field("arguments") else {
                continue;
            };
            for keyword in arguments
                .children()
                .filter(|a| a.kind() == "keyword_argument")
            {
                if let Some(name) = keyword.field("name") {
                    found.push(name.text().to_string());
                }
            }
        }
    }
    found
}

/// `@a.b(...)` gives `a.b`.
fn decorator_names(decorated: &PyNode<'_>) -> Vec<String> {
    decorated
        .children()
        .filter(|c| c.kind() == "decorator")
        .filter_map(|d| {
            let text = d.text();
            let text = text.trim_start_matches('@').trim();
            let name = text.split(['(', ' ', '\n']).next().unwrap_or("");
            (!name.is_empty()).then(|| name.to_string())
        })
        .collect()
}

/// Whether one of `words` occurs in `bytes` where a word of a name starts: after a byte that
/// is not a letter or digit (`health_check`, `_health`), or as the capital after a lower-case
/// letter (`SystemHealth`). `already` does not hold `ready`. Stops at the first such hit.
pub fn starts_a_word(words: &AhoCorasick, bytes: &[u8]) -> bool {
    words.find_overlapping_iter(bytes).any(|hit| {
        let Some(&before) = hit.start().checked_sub(1).and_then(|i| bytes.get(i)) else {
            return true;
        };
        let first = bytes[hit.start()];
        !before.is_ascii_alphanumeric()
            || (before.is_ascii_lowercase() && first.is_ascii_uppercase())
    })
}

/// The identifiers of `text` that contain one of the words `words` searches for, outside
/// comments, each once per line. The automaton must be leftmost-longest ([`word_automaton`]):
/// each hit is widened to the identifier around it. Where each byte stands (code, string,
/// comment, an import statement) comes from one lexing pass, so the whole is linear in the
/// text however long its lines.
pub fn mentions(text: &str, words: &AhoCorasick) -> Vec<Mention> {
    let bytes = text.as_bytes();
    let is_ident = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let mut hits = words.find_iter(bytes).peekable();
    if hits.peek().is_none() {
        return Vec::new();
    }
    let lexed = Lexed::of(bytes);
    let mut found: Vec<Mention> = Vec::new();
    let mut taken_until = 0;
    for hit in hits {
        if hit.start() < taken_until {
            continue;
        }
        let mut start = hit.start();
        while start > 0 && is_ident(bytes[start - 1]) {
            start -= 1;
        }
        let mut end = hit.end();
        while end < bytes.len() && is_ident(bytes[end]) {
            end += 1;
        }
        taken_until = end;
        let place = lexed.place[start];
        if place == Place::Comment {
            continue;
        }
        let line = lexed.line_of(start);
        // A dotted string names code by its last part (`"axes.middleware.AxesMiddleware"`);
        // the other parts are module names (`"django.core.cache.backends…"` is no cache use).
        let dotted_before = start > 0 && bytes[start - 1] == b'.';
        let dotted_after = bytes.get(end) == Some(&b'.');
        let in_text = place == Place::String && (dotted_after || !dotted_before);
        // Only the few bytes from the line's first code byte: a definition's name follows
        // `class`, `def` or `async def` there, and a long line is never rescanned.
        let first = lexed.first[line - 1].min(start);
        let definition = start - first <= 16 && {
            let head = &text[first..start];
            let keywords: Vec<&str> = head.split_whitespace().collect();
            head.ends_with(|c: char| c.is_ascii_whitespace())
                && matches!(keywords.as_slice(), ["class"] | ["def"] | ["async", "def"])
        };
        let call = place == Place::Code && bytes.get(end) == Some(&b'(');
        let code = call.then(|| {
            let from = lexed.first[line - 1].min(start);
            let to = lexed.starts.get(line).map_or(bytes.len(), |s| s - 1);
            let mut to = to.min(from + 160);
            while !text.is_char_boundary(to) {
                to -= 1;
            }
            text[from..to].trim_end().to_string()
        });
        found.push(Mention {
            name: text[start..end].to_string(),
            line,
            import: lexed.import_line[line - 1],
            text: in_text,
            definition,
            member: dotted_before && place == Place::Code,
            call,
            code,
            debug_only: lexed.debug_guard[line - 1],
        });
    }
    found.sort();
    found.dedup();
    found
}

/// The automaton [`mentions`] and [`starts_a_word`] expect: leftmost-longest, so a longer
/// word that starts first (`X-Correlation-ID`) wins over one inside it (`Correlation`).
pub fn word_automaton(words: &[String]) -> Option<AhoCorasick> {
    AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        .build(words)
        .ok()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    Code,
    String,
    Comment,
}

/// Where each byte of a Python source stands, and which lines belong to an import statement
/// (continuation lines of `from x import (\n a,\n b)` included), from one pass over the bytes.
struct Lexed {
    place: Vec<Place>,
    /// Byte offset of each line's start.
    starts: Vec<usize>,
    /// Byte offset of each line's first byte that is not whitespace (its end when none).
    first: Vec<usize>,
    import_line: Vec<bool>,
    /// Per line, the `if DEBUG:` block it sits in (see [`debug_guards`]).
    debug_guard: Vec<Option<usize>>,
}

impl Lexed {
    fn of(bytes: &[u8]) -> Self {
        let mut place = Vec::with_capacity(bytes.len());
        let mut starts = vec![0];
        let mut first = Vec::new();
        let mut line_first: Option<usize> = None;
        let mut import_line = Vec::new();
        // Inside a string: its quote and whether tripled.
        let mut string: Option<(u8, bool)> = None;
        let mut comment = false;
        let mut depth: usize = 0;
        let mut continued = false;
        let mut in_import = false;
        let mut line_is_import = false;
        let mut at_line_start = true;
        // Per line: it starts a statement (not a continuation inside brackets or a string).
        let mut statement = Vec::new();
        let mut line_starts_statement = true;
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b == b'\n' {
                statement.push(line_starts_statement);
                place.push(if comment { Place::Comment } else { Place::Code });
                comment = false;
                if let Some((_, false)) = string {
                    string = None;
                }
                import_line.push(line_is_import);
                first.push(line_first.take().unwrap_or(i));
                // An import goes on while its parentheses are open or the line is continued.
                in_import = in_import && (depth > 0 || continued) && string.is_none();
                line_is_import = in_import;
                line_starts_statement = string.is_none() && depth == 0 && !continued;
                continued = false;
                at_line_start = string.is_none();
                starts.push(i + 1);
                i += 1;
                continue;
            }
            if comment {
                place.push(Place::Comment);
                i += 1;
                continue;
            }
            if let Some((quote, triple)) = string {
                place.push(Place::String);
                if b == b'\\' {
                    if i + 1 < bytes.len() && bytes[i + 1] != b'\n' {
                        place.push(Place::String);
                        i += 2;
                        continue;
                    }
                } else if b == quote {
                    if !triple {
                        string = None;
                    } else if bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote) {
                        place.push(Place::String);
                        place.push(Place::String);
                        string = None;
                        i += 3;
                        continue;
                    }
                }
                i += 1;
                continue;
            }
            if line_first.is_none() && !b.is_ascii_whitespace() {
                line_first = Some(i);
            }
            if at_line_start && !b.is_ascii_whitespace() {
                at_line_start = false;
                if depth == 0 && !in_import {
                    let rest = &bytes[i..];
                    in_import = rest.starts_with(b"from ") || rest.starts_with(b"import ");
                    line_is_import = in_import;
                }
            }
            match b {
                b'#' => {
                    comment = true;
                    place.push(Place::Comment);
                }
                b'"' | b'\'' => {
                    let triple = bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b);
                    string = Some((b, triple));
                    let n = if triple { 3 } else { 1 };
                    place.extend(std::iter::repeat_n(Place::String, n));
                    i += n;
                    continue;
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    place.push(Place::Code);
                }
                b')' | b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    place.push(Place::Code);
                }
                b'\\' => {
                    continued = bytes.get(i + 1) == Some(&b'\n');
                    place.push(Place::Code);
                }
                _ => place.push(Place::Code),
            }
            i += 1;
        }
        import_line.push(line_is_import);
        first.push(line_first.unwrap_or(bytes.len()));
        statement.push(line_starts_statement);
        place.truncate(bytes.len());
        let debug_guard = debug_guards(bytes, &starts, &first, &statement);
        Lexed {
            place,
            starts,
            first,
            import_line,
            debug_guard,
        }
    }

    /// The 1-based line of a byte offset.
    fn line_of(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset)
    }
}

/// For each line, the 1-based line of the innermost enclosing `if DEBUG:` / `elif
/// settings.DEBUG:` block, if any: one pass with a stack of open guards, popped by the
/// indentation of each line that starts a statement (continuation lines keep their guard).
/// A condition with `not` or `False` is no development guard (`if not DEBUG:` runs in
/// production), and an `else:` of a guard closes it.
fn debug_guards(
    bytes: &[u8],
    starts: &[usize],
    first: &[usize],
    statement: &[bool],
) -> Vec<Option<usize>> {
    let mut guards = Vec::with_capacity(first.len());
    // (indentation, header line) of the open guards, innermost last.
    let mut open: Vec<(usize, usize)> = Vec::new();
    for (index, (&start, &code)) in starts.iter().zip(first).enumerate() {
        let end = starts.get(index + 1).copied().unwrap_or(bytes.len());
        let text = &bytes[code.min(end)..end];
        let blank = text.is_empty() || text[0] == b'#' || text[0] == b'\n';
        if statement.get(index).copied().unwrap_or(true) && !blank {
            let indent = code - start;
            while open.last().is_some_and(|(at, _)| *at >= indent) {
                open.pop();
            }
            guards.push(open.last().map(|(_, line)| *line));
            if is_debug_guard(text) {
                open.push((indent, index + 1));
            }
        } else {
            guards.push(open.last().map(|(_, line)| *line));
        }
    }
    guards
}

/// `if DEBUG:`, `elif settings.DEBUG and x:`: a block header whose condition names `DEBUG`
/// and neither negates nor compares it to `False`.
fn is_debug_guard(line: &[u8]) -> bool {
    // Most lines are no `if`: decided on their first bytes, with no copy.
    if !(line.starts_with(b"if ") || line.starts_with(b"elif ")) {
        return false;
    }
    let text = String::from_utf8_lossy(line);
    let Some(rest) = text
        .strip_prefix("if ")
        .or_else(|| text.strip_prefix("elif "))
    else {
        return false;
    };
    let Some(condition) = rest
        .split('#')
        .next()
        .and_then(|c| c.trim_end().strip_suffix(':'))
    else {
        return false;
    };
    let words: Vec<&str> = condition
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    words.contains(&"DEBUG")
        && !condition.contains("!=")
        && !words.iter().any(|w| matches!(*w, "not" | "False"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::python;

    #[test]
    fn module_level_definitions_with_bases_methods_and_decorators() {
        let src = "\
from django.utils.deprecation import MiddlewareMixin

class Timing(MiddlewareMixin):
    def process_request(self, request):
        pass

try:
    class Pool(base.Pool, metaclass=Meta):
        def __init__(self, size, timeout=3):
            pass
except ImportError:
    pass

@register.filter(is_safe=True, name=\"badge\")
def badge(x):
    class Inner:
        pass
    return x
";
        let root = python::parse(src.to_string()).unwrap();
        let (classes, functions) = definitions(&root.root());
        assert_eq!(
            classes,
            vec![
                ClassDef {
                    name: "Timing".into(),
                    line: 3,
                    bases: vec!["MiddlewareMixin".into()],
                    methods: vec!["process_request".into()],
                    init_params: vec![],
                    header: "class Timing(MiddlewareMixin):".into(),
                    debug_only: false,
                    docstring: false,
                    decorators: vec![],
                    calls: vec![],
                },
                ClassDef {
                    name: "Pool".into(),
                    line: 8,
                    bases: vec!["base.Pool".into()],
                    methods: vec!["__init__".into()],
                    init_params: vec!["size".into(), "timeout".into()],
                    header: "class Pool(base.Pool, metaclass=Meta):".into(),
                    debug_only: false,
                    docstring: false,
                    decorators: vec![],
                    calls: vec![],
                },
            ]
        );
        assert_eq!(
            functions,
            vec![FunctionDef {
                name: "badge".into(),
                line: 15,
                decorators: vec!["register.filter".into()],
                decorator_keywords: vec!["is_safe".into(), "name".into()],
                calls: vec![],
                header: "def badge(x):".into(),
            }]
        );
    }

    #[test]
    fn a_class_that_works_only_under_debug_is_told() {
        let src = "\
class ExtraHeaders(MiddlewareMixin):
    \"\"\"Development only.\"\"\"
    def __init__(self, get_response):
        self.get_response = get_response

    def process_response(self, request, response):
        if settings.DEBUG:
            response.headers['X-Dev'] = '1'
        return response

class Tags(ModelViewSet[Tag], mixins.Listing[int]):
    pass

class Always(MiddlewareMixin):
    def process_response(self, request, response):
        if settings.DEBUG:
            response.headers['X-Dev'] = '1'
        else:
            response.headers['X-Prod'] = '1'
        return response
";
        let root = python::parse(src.to_string()).unwrap();
        let (classes, _) = definitions(&root.root());
        let told: Vec<(&str, bool)> = classes
            .iter()
            .map(|c| (c.name.as_str(), c.debug_only))
            .collect();
        assert_eq!(
            told,
            vec![("ExtraHeaders", true), ("Tags", false), ("Always", false)]
        );
        assert_eq!(classes[1].bases, vec!["ModelViewSet", "mixins.Listing"]);
        let documented: Vec<bool> = classes.iter().map(|c| c.docstring).collect();
        assert_eq!(documented, vec![true, false, false]);
    }

    #[test]
    fn definition_words_count_only_where_a_name_part_starts() {
        let words = AhoCorasick::new(["ready", "Health"]).unwrap();
        assert!(!starts_a_word(&words, b"# already done"));
        assert!(starts_a_word(&words, b"def readyz(request):"));
        assert!(starts_a_word(&words, b"class SystemHealth(View):"));
        assert!(starts_a_word(&words, b"x = is_ready"));
        assert!(!starts_a_word(&words, b"unHEALTHy = 1"));
    }

    #[test]
    fn mentions_know_multi_line_imports_docstrings_and_dotted_strings() {
        let words = word_automaton(&[
            "cache".to_string(),
            "Correlation".to_string(),
            "X-Correlation-ID".to_string(),
        ])
        .unwrap();
        let src = "\
from django.views.decorators.cache import (
    cache_page,
)
def f():
    \"\"\"Reads the database: no cache here.
    cache is off\"\"\"
    CACHES = {\"BACKEND\": \"django.core.cache.backends.LocMemCache\"}
    response[\"X-Correlation-ID\"] = 1
class  CorrelationMiddleware: pass
";
        let got: Vec<(String, usize, bool, bool, bool)> = mentions(src, &words)
            .into_iter()
            .map(|m| (m.name, m.line, m.import, m.text, m.definition))
            .collect();
        assert_eq!(
            got,
            vec![
                ("CorrelationMiddleware".into(), 9, false, false, true),
                ("X-Correlation-ID".into(), 8, false, true, false),
                ("cache".into(), 1, true, false, false),
                ("cache".into(), 5, false, true, false),
                ("cache".into(), 6, false, true, false),
                ("cache".into(), 7, false, true, false),
                ("cache_page".into(), 2, true, false, false),
            ]
        );
    }

    #[test]
    fn mentions_know_the_debug_blocks_they_sit_in() {
        let words = word_automaton(&["sentry_sdk".to_string()]).unwrap();
        let src = "\
import sentry_sdk
if DEBUG:
    sentry_sdk.init(
dsn='x',
    )
    x = 1
sentry_sdk.a()
if settings.DEBUG and TRACE:  # dev
    '''
text'''
    sentry_sdk.b()
else:
    sentry_sdk.c()
if not DEBUG:
    sentry_sdk.d()
def f():
    if DEBUG:
        pass
    sentry_sdk.e()
";
        let got: Vec<(usize, Option<usize>)> = mentions(src, &words)
            .into_iter()
            .map(|m| (m.line, m.debug_only))
            .collect();
        assert_eq!(
            got,
            vec![
                (1, None),
                (3, Some(2)),
                (7, None),
                (11, Some(8)),
                (13, None),
                (15, None),
                (19, None),
            ]
        );
    }

    #[test]
    fn a_long_line_of_hits_is_read_once() {
        let words = word_automaton(&["cache".to_string()]).unwrap();
        let src = format!("X = [{}]\n", "cache,".repeat(200_000));
        let found = mentions(&src, &words);
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].name.as_str(), found[0].line), ("cache", 1));
    }

    #[test]
    fn mentions_take_whole_identifiers_outside_comments() {
        let words = word_automaton(&["RateLimit".to_string(), "Limiter".to_string()]).unwrap();
        let src = "\
from infra.limits import RateLimiter  # RateLimitMiddleware later
x = RateLimiter(); y = 'a.RateLimitMiddleware'
# RateLimiter is not used here
s = \"#\" + RateLimiter.name
log('RateLimiter is off')
class RateLimiter: pass
";
        let found = mentions(src, &words);
        let got: Vec<(&str, usize, bool, bool, bool)> = found
            .iter()
            .map(|m| (m.name.as_str(), m.line, m.import, m.text, m.definition))
            .collect();
        assert_eq!(
            got,
            vec![
                ("RateLimitMiddleware", 2, false, false, false),
                ("RateLimiter", 1, true, false, false),
                ("RateLimiter", 2, false, false, false),
                ("RateLimiter", 4, false, false, false),
                ("RateLimiter", 5, false, true, false),
                ("RateLimiter", 6, false, false, true),
            ]
        );
    }
}
