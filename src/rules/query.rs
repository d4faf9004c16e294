//! The `query` matcher: a raw tree-sitter query whose `@finding` capture marks the span.

use crate::rules::matcher::FileMatcher;
use crate::rules::pattern::{path_globs, FileContext, RawMatch};
use crate::rules::rule::QuerySpec;
use globset::GlobSet;
use streaming_iterator::StreamingIterator;
use tree_sitter::{Query, QueryCursor};

pub struct CompiledQuery {
    query: Query,
    finding: u32,
    message: String,
    files: Option<GlobSet>,
    exclude: Option<GlobSet>,
}

impl CompiledQuery {
    /// Errors carry the byte offset inside the query text when tree-sitter gives one.
    pub fn compile(spec: &QuerySpec) -> Result<Self, (String, Option<usize>)> {
        let language = tree_sitter_python::LANGUAGE.into();
        let query = Query::new(&language, &spec.query)
            .map_err(|e| (format!("invalid tree-sitter query: {e}"), Some(e.offset)))?;
        let finding = query
            .capture_index_for_name("finding")
            .ok_or_else(|| ("the query has no `@finding` capture".to_string(), None))?;
        Ok(CompiledQuery {
            query,
            finding,
            message: spec.message.clone(),
            files: path_globs(&spec.files).map_err(|e| (e, None))?,
            exclude: path_globs(&spec.exclude_files).map_err(|e| (e, None))?,
        })
    }

    pub fn find(&self, ctx: &FileContext<'_>) -> Vec<RawMatch> {
        if !self.files.as_ref().is_none_or(|g| g.is_match(&ctx.rel))
            || self.exclude.as_ref().is_some_and(|g| g.is_match(&ctx.rel))
        {
            return Vec::new();
        }
        let root = ctx.root.get_inner_node();
        let source = ctx.root.get_doc().src.as_bytes();
        let mut cursor = QueryCursor::new();
        let mut matches = cursor.matches(&self.query, root, source);
        let mut out: Vec<RawMatch> = Vec::new();
        let names = self.query.capture_names();
        while let Some(m) = matches.next() {
            let Some(span) = m.captures().iter().find(|c| c.index == self.finding) else {
                continue;
            };
            let mut message = self.message.clone();
            for capture in m.captures() {
                let name = names[capture.index as usize];
                let text = capture.node.utf8_text(source).unwrap_or_default();
                message = message.replace(&format!("{{{name}}}"), text);
            }
            let (start, end) = (span.node.start_byte(), span.node.end_byte());
            if !out.iter().any(|r| r.start == start && r.end == end) {
                out.push(RawMatch {
                    severity: None,
                    evidence: None,
                    settle: None,
                    start,
                    end,
                    message: Some(message),
                });
            }
        }
        out.sort_by_key(|m| (m.start, m.end));
        out
    }
}

impl FileMatcher for CompiledQuery {
    fn find(&self, ctx: &FileContext<'_>) -> Vec<RawMatch> {
        CompiledQuery::find(self, ctx)
    }
}
