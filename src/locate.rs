//! From a rule's byte range to a located finding: line and column in characters, a snippet
//! bounded in lines and bytes, a bounded fingerprint text. Every cost here is per finding and
//! independent of how long the file's lines are.

use crate::findings::{fold_whitespace, shorten, Finding, SettleQuestion};
use crate::model::roles::Role;
use crate::rules::pattern::RawMatch;
use crate::rules::LoadedRule;

/// A snippet shows at most this many lines of a long match (a whole `except` block, say).
const MAX_SNIPPET_LINES: usize = 8;
/// ... and this many bytes a line: on a minified or generated line it is a window around the
/// match, so memory grows with the number of findings, not with findings × line length.
const MAX_SNIPPET_BYTES: usize = 240;
/// How much of a snippet window comes before the match on a long line.
const SNIPPET_LEAD_BYTES: usize = 80;
/// A message longer than this (a template that interpolated a huge argument) is cut.
const MAX_MESSAGE_CHARS: usize = 600;

pub fn to_finding(
    rule: &LoadedRule,
    rel: &str,
    source: &str,
    lines: &LineIndex,
    raw: RawMatch,
) -> Finding {
    let start = floor_boundary(source, raw.start.min(source.len()));
    let end = floor_boundary(source, raw.end.clamp(start, source.len()));
    let (line, column) = lines.position(source, start);
    let (end_line, end_column) = lines.position(source, end);
    let (snippet_start, snippet_end) = snippet_window(source, lines, line, start, end_line);
    let snippet = source[snippet_start..snippet_end].trim_end_matches(['\n', '\r']);
    let shown_end = end.min(snippet_start + snippet.len());
    let message = raw.message.unwrap_or_else(|| rule.meta.title.clone());
    Finding {
        rule: rule.meta.id.clone(),
        name: rule.meta.name.clone(),
        // A clause or the evidence may lower a finding's severity, never raise it.
        severity: raw
            .severity
            .map_or(rule.meta.severity, |s| s.min(rule.meta.severity)),
        category: rule.meta.category,
        path: rel.to_string(),
        line,
        column,
        end_line,
        end_column,
        message: shorten(&message, MAX_MESSAGE_CHARS),
        snippet: snippet.to_string(),
        fingerprint: String::new(),
        role: Role::App,
        evidence: raw.evidence,
        settle: raw.settle.map(|s| {
            Box::new(SettleQuestion {
                settle: s.settle,
                ceiling: s
                    .ceiling
                    .map_or(rule.meta.severity, |c| c.min(rule.meta.severity)),
                grades: s.grades,
            })
        }),
        byte_range: (start, shown_end.max(start)),
        snippet_offset: snippet_start,
        matched_text: fingerprint_text(&source[start..end]),
    }
}

/// The bytes a snippet shows: whole lines from the match's first line, at most
/// `MAX_SNIPPET_LINES` of them, and only lines that keep it within `MAX_SNIPPET_LINES ×
/// MAX_SNIPPET_BYTES`. A first line longer than `MAX_SNIPPET_BYTES` (minified or generated code)
/// is cut to a window that starts a little before the match.
fn snippet_window(
    source: &str,
    lines: &LineIndex,
    line: usize,
    start: usize,
    end_line: usize,
) -> (usize, usize) {
    let line_start = lines.starts[line - 1];
    let line_end = |l: usize| lines.starts.get(l).copied().unwrap_or(source.len());
    if line_end(line) - line_start > MAX_SNIPPET_BYTES {
        let from = floor_boundary(
            source,
            start.saturating_sub(SNIPPET_LEAD_BYTES).max(line_start),
        );
        let to = floor_boundary(source, line_end(line).min(from + MAX_SNIPPET_BYTES));
        return (from, to);
    }
    let budget = line_start + MAX_SNIPPET_LINES * MAX_SNIPPET_BYTES;
    let mut to = line_end(line);
    for next in line + 1..=end_line.min(line + MAX_SNIPPET_LINES - 1) {
        if line_end(next) > budget {
            break;
        }
        to = line_end(next);
    }
    (line_start, to)
}

/// The largest char boundary at or before `at`.
fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The fingerprint's view of a match: its whitespace-folded text, or for a long match (a whole
/// module, say) the start of it and a hash of all of it, so a finding holds a bounded string.
fn fingerprint_text(matched: &str) -> String {
    const KEEP: usize = 1024;
    let folded = fold_whitespace(matched);
    if folded.len() <= KEEP {
        return folded;
    }
    let cut = floor_boundary(&folded, KEEP);
    let hash = crate::findings::stable_hash(&[&folded]);
    format!("{}…{hash:016x}", &folded[..cut])
}

/// Byte offsets of line starts, and character counts at fixed steps, for offset → (line,
/// column) conversions that cost the same on a 2 MiB line as on a short one.
pub struct LineIndex {
    starts: Vec<usize>,
    /// `chars[i]`: characters before byte `i * CHAR_STEP`.
    chars: Vec<usize>,
}

const CHAR_STEP: usize = 4096;

/// A byte that starts a character (not a UTF-8 continuation byte).
fn starts_char(byte: &u8) -> bool {
    (*byte as i8) >= -0x40
}

impl LineIndex {
    pub fn new(source: &str) -> Self {
        let bytes = source.as_bytes();
        let mut starts = vec![0];
        starts.extend(memchr_newlines(bytes));
        let mut chars = Vec::with_capacity(bytes.len() / CHAR_STEP + 1);
        let mut before = 0;
        chars.push(0);
        for block in bytes.chunks(CHAR_STEP) {
            before += block.iter().filter(|b| starts_char(b)).count();
            chars.push(before);
        }
        LineIndex { starts, chars }
    }

    fn chars_before(&self, source: &str, offset: usize) -> usize {
        let offset = offset.min(source.len());
        let step = offset / CHAR_STEP;
        let rest = &source.as_bytes()[step * CHAR_STEP..offset];
        self.chars[step] + rest.iter().filter(|b| starts_char(b)).count()
    }

    /// 1-based line of a byte offset.
    pub fn line(&self, offset: usize) -> usize {
        self.starts.partition_point(|&s| s <= offset).max(1)
    }

    /// 1-based line and 1-based column in characters.
    pub fn position(&self, source: &str, offset: usize) -> (usize, usize) {
        let line = self.line(offset);
        let start = self.starts[line - 1];
        let column = self.chars_before(source, offset) - self.chars_before(source, start);
        (line, column + 1)
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_index_counts_characters_not_bytes() {
        let source = "a = 1\nb = \"é\" + x\n";
        let lines = LineIndex::new(source);
        assert_eq!(lines.position(source, 0), (1, 1));
        let x = source.find('x').expect("x");
        assert_eq!(lines.position(source, x), (2, 11));
        // Across the index's steps, on a line that starts in one step and ends in another.
        let long = format!(
            "{}\n{}é{}x",
            "a".repeat(5000),
            "€".repeat(3000),
            "b".repeat(9000)
        );
        let lines = LineIndex::new(&long);
        let x = long.find('x').expect("x");
        assert_eq!(lines.position(&long, x), (2, 12_002));
        assert_eq!(lines.position(&long, 5001), (2, 1));
    }
}
