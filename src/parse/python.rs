//! Python through tree-sitter, exposed to ast-grep as a statically linked language.

use ast_grep_core::matcher::PatternBuilder;
use ast_grep_core::tree_sitter::{LanguageExt, StrDoc, TSLanguage};
use ast_grep_core::{Language, Pattern, PatternError};
use std::borrow::Cow;
use std::cell::RefCell;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// Levels of indentation a file may have. tree-sitter-python 0.25 (the newest release) keeps its
/// indent stack in a 1,024-byte state buffer, two bytes a level beside up to 255 string
/// delimiters, and aborts the process past that (about 380 levels); CPython itself refuses more
/// than 100. Files deeper than this are skipped with a note before they reach the grammar.
pub const MAX_INDENT_DEPTH: usize = 200;

/// Height of a syntax tree the walkers may see. Real code stays under a few hundred (a long
/// `a + b + …` chain is one level per operand); a deeper file is skipped with a note, so no
/// walker's recursion, and no relational rule's search, grows with a hostile file.
pub const MAX_TREE_DEPTH: usize = 1_000;

/// tree-sitter-python as an ast-grep language.
#[derive(Clone, Copy, Debug, Default)]
pub struct Python;

/// `$` is not valid in a Python identifier, so metavariables are rewritten to `µ`, which is.
const EXPANDO: char = 'µ';

impl Language for Python {
    fn kind_to_id(&self, kind: &str) -> u16 {
        self.get_ts_language().id_for_node_kind(kind, true)
    }
    fn field_to_id(&self, field: &str) -> Option<u16> {
        self.get_ts_language()
            .field_id_for_name(field)
            .map(|f| f.get())
    }
    fn build_pattern(&self, builder: &PatternBuilder) -> Result<Pattern, PatternError> {
        builder.build(|src| StrDoc::try_new(src, *self))
    }
    fn expando_char(&self) -> char {
        EXPANDO
    }
    fn pre_process_pattern<'q>(&self, query: &'q str) -> Cow<'q, str> {
        if query.contains('$') {
            Cow::Owned(query.replace('$', &EXPANDO.to_string()))
        } else {
            Cow::Borrowed(query)
        }
    }
}

impl LanguageExt for Python {
    fn get_ts_language(&self) -> TSLanguage {
        tree_sitter_python::LANGUAGE.into()
    }
}

pub type PyDoc = StrDoc<Python>;
pub type PyRoot = ast_grep_core::AstGrep<PyDoc>;
pub type PyNode<'r> = ast_grep_core::Node<'r, PyDoc>;

thread_local! {
    // One parser per rayon worker thread, reused across files.
    static PARSER: RefCell<Option<tree_sitter::Parser>> = const { RefCell::new(None) };
}

/// Parses a module once. `None` only if tree-sitter gives up entirely (it normally returns a tree
/// with ERROR nodes for syntax errors, which the rules still walk).
pub fn parse(source: String) -> Option<PyRoot> {
    parse_within(source, u64::MAX)
}

/// Consecutive comment-only lines past which the parser is shown blank lines instead.
/// tree-sitter-python's scanner looks past every following comment line to find the next
/// indentation, once per line of the run: a run of k lines costs k² (9,000 lines took 6 s).
/// Blank lines it skips once. The document keeps the real text, so spans and node text are
/// unchanged; only comment nodes inside such a run are missing from the tree.
pub const MAX_COMMENT_RUN: usize = 64;

/// [`parse`], also giving up (`None`) once the parse has run for `max_seconds`.
pub fn parse_within(source: String, max_seconds: u64) -> Option<PyRoot> {
    let deadline = Instant::now().checked_add(Duration::from_secs(max_seconds));
    let tree = PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let parser = slot.get_or_insert_with(|| {
            let mut parser = tree_sitter::Parser::new();
            // Cannot fail: the grammar is linked in and its ABI is checked at build time by the version pins.
            let _ = parser.set_language(&tree_sitter_python::LANGUAGE.into());
            parser
        });
        parser.reset();
        let masked = mask_comment_runs(&source);
        let bytes = masked.as_deref().unwrap_or(source.as_bytes());
        let mut read = |i: usize, _| bytes.get(i..).unwrap_or_default();
        let mut in_time = |_: &tree_sitter::ParseState| {
            if deadline.is_none_or(|d| Instant::now() < d) {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        };
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut in_time);
        parser.parse_with_options(&mut read, None, Some(options))
    })?;
    Some(PyRoot::doc(StrDoc {
        src: source,
        lang: Python,
        tree,
    }))
}

/// The source with every comment-only line of a run longer than `MAX_COMMENT_RUN` turned into
/// spaces (same length, same line breaks), or `None` when there is no such run.
fn mask_comment_runs(source: &str) -> Option<Vec<u8>> {
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let (mut run_start, mut run_lines) = (0, 0);
    let mut offset = 0;
    for line in source.split_inclusive('\n') {
        if line.trim_start().starts_with('#') {
            if run_lines == 0 {
                run_start = offset;
            }
            run_lines += 1;
        } else {
            if run_lines > MAX_COMMENT_RUN {
                runs.push((run_start, offset));
            }
            run_lines = 0;
        }
        offset += line.len();
    }
    if run_lines > MAX_COMMENT_RUN {
        runs.push((run_start, offset));
    }
    if runs.is_empty() {
        return None;
    }
    let mut bytes = source.as_bytes().to_vec();
    for (start, end) in runs {
        for b in &mut bytes[start..end] {
            if !matches!(*b, b'\n' | b'\r') {
                *b = b' ';
            }
        }
    }
    Some(bytes)
}

/// The indentation depth of a file as the grammar's scanner would stack it, from the text alone
/// (an upper bound: lines inside brackets and strings count too). Tabs advance to the next
/// multiple of 8, as in CPython.
pub fn indentation_depth(text: &str) -> usize {
    let mut stack: Vec<usize> = vec![0];
    let mut deepest = 0;
    for line in text.lines() {
        let mut width = 0;
        let mut rest = "";
        for (i, c) in line.char_indices() {
            match c {
                ' ' => width += 1,
                '\t' => width = (width / 8 + 1) * 8,
                '\x0c' => width = 0,
                _ => {
                    rest = &line[i..];
                    break;
                }
            }
        }
        if rest.is_empty() || rest.starts_with('#') {
            continue;
        }
        while stack.last().is_some_and(|&top| top > width) {
            stack.pop();
        }
        if stack.last().is_none_or(|&top| top < width) {
            stack.push(width);
        }
        deepest = deepest.max(stack.len() - 1);
    }
    deepest
}

/// The first syntax error of a tree as (1-based line, 1-based column), if any.
pub fn first_syntax_error(root: &PyRoot) -> Option<(usize, usize)> {
    let top = root.root();
    if !top.get_inner_node().has_error() {
        return None;
    }
    let found = top.dfs().find(|n| n.is_error() || n.is_missing()).map(|n| {
        let p = n.get_inner_node().start_position();
        (p.row + 1, p.column + 1)
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indentation_depth_counts_the_stack_not_the_width() {
        assert_eq!(indentation_depth("a = 1\n"), 0);
        let nested = "if a:\n    if b:\n        x = 1\n    y = 2\nz = 3\n";
        assert_eq!(indentation_depth(nested), 2);
        // Comments and blank lines do not count; a tab is a step to the next multiple of 8.
        assert_eq!(indentation_depth("if a:\n\t# c\n\n\tx = 1\n"), 1);
        let deep: String = (0..300)
            .map(|i| format!("{}if a:\n", " ".repeat(i)))
            .collect();
        assert_eq!(indentation_depth(&deep), 299);
    }

    #[test]
    fn long_comment_runs_are_blank_to_the_parser_only() {
        let run = "# note\n".repeat(MAX_COMMENT_RUN + 1);
        let source = format!("if a:\n{run}    x = 1  # kept\n");
        let root = parse(source.clone()).expect("parses");
        // The document is the real text; the run's comments are not in the tree.
        assert_eq!(root.get_text(), source);
        let comments: Vec<String> = root
            .root()
            .dfs()
            .filter(|n| n.kind() == "comment")
            .map(|n| n.text().to_string())
            .collect();
        assert_eq!(comments, ["# kept"]);
        assert!(first_syntax_error(&root).is_none());
        let short = "# note\n".repeat(MAX_COMMENT_RUN);
        assert_eq!(mask_comment_runs(&short), None);
    }
}
