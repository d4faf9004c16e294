//! Python through tree-sitter, exposed to ast-grep as a statically linked language.

use ast_grep_core::matcher::PatternBuilder;
use ast_grep_core::tree_sitter::{LanguageExt, StrDoc, TSLanguage};
use ast_grep_core::{Language, Pattern, PatternError};
use std::borrow::Cow;
use std::cell::RefCell;

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
    let tree = PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let parser = slot.get_or_insert_with(|| {
            let mut parser = tree_sitter::Parser::new();
            // Cannot fail: the grammar is linked in and its ABI is checked at build time by the version pins.
            let _ = parser.set_language(&tree_sitter_python::LANGUAGE.into());
            parser
        });
        parser.reset();
        parser.parse(source.as_bytes(), None)
    })?;
    Some(PyRoot::doc(StrDoc {
        src: source,
        lang: Python,
        tree,
    }))
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
