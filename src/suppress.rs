//! Inline suppressions (`# audit: ignore[ID]`) and the baseline of accepted findings (DESIGN §5).
//!
//! Ignore comments are found by a small tokenizer that knows Python's string literals, without
//! a syntax tree: it is linear, needs no parse, and a marker inside a string literal
//! (`x = "# audit: ignore[SEC001]"`) is text, not a comment.

use crate::findings::Finding;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// How far down a file an `ignore-file` marker is honoured.
const FILE_MARKER_MAX_LINE: usize = 10;

/// One `# audit: ignore[...]` or `# audit: ignore-file[...]` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IgnoreComment {
    /// 1-based line of the comment.
    pub line: usize,
    pub ids: Vec<String>,
    /// Text after ` -- `, if any.
    pub reason: Option<String>,
    /// The comment is alone on its line, so it also covers the next line.
    pub own_line: bool,
}

/// The suppressions found in one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ignores {
    /// Line-level ignores, in line order.
    pub lines: Vec<IgnoreComment>,
    /// `ignore-file` markers from the first 10 lines.
    pub file: Vec<IgnoreComment>,
    /// Markers that could not be accepted: (line, why).
    pub malformed: Vec<(usize, String)>,
    /// Other tools' markers (`# noqa: S308`, `# nosec B102`), honoured for rules that name
    /// those codes as their peers.
    pub peers: Vec<PeerMarker>,
}

/// A ruff/flake8 `# noqa: CODE, …` or bandit `# nosec [CODE …]` comment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerMarker {
    /// 1-based line of the comment.
    pub line: usize,
    /// The codes it names (`S308`, `B102`); empty for a bare `# nosec`.
    pub codes: Vec<String>,
}

impl Ignores {
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
            && self.file.is_empty()
            && self.malformed.is_empty()
            && self.peers.is_empty()
    }
}

/// A suppression that is wrong (unknown id, malformed marker) or useless (nothing to hide).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuppressionProblem {
    pub path: String,
    pub line: usize,
    pub message: String,
    /// Errors end the run with exit 2 (DESIGN §9); the rest are warnings.
    pub is_error: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Suppressed {
    pub active: Vec<Finding>,
    pub suppressed: Vec<Finding>,
    /// Sorted by path, line, message.
    pub problems: Vec<SuppressionProblem>,
}

/// Finds every ignore marker in the comments of a Python file's text.
pub fn parse_ignores(source: &str) -> Ignores {
    let mut ignores = Ignores::default();
    for comment in comments(source) {
        let line = comment.line;
        // `# noqa # audit: ignore[X]`: every `#` of the comment may start a marker.
        for hash in comment.text.match_indices('#').map(|(i, _)| i) {
            if let Some(codes) = parse_peer_marker(&comment.text[hash + 1..]) {
                ignores.peers.push(PeerMarker { line, codes });
                continue;
            }
            match parse_marker(&comment.text[hash + 1..]) {
                Marker::None => {}
                Marker::Malformed(why) => ignores.malformed.push((line, why)),
                Marker::Ignore { file, ids, reason } => {
                    let comment = IgnoreComment {
                        line,
                        ids,
                        reason,
                        own_line: comment.own_line,
                    };
                    if !file {
                        ignores.lines.push(comment);
                    } else if line <= FILE_MARKER_MAX_LINE {
                        ignores.file.push(comment);
                    } else {
                        ignores.malformed.push((
                            line,
                            format!(
                                "`ignore-file` must be in the first {FILE_MARKER_MAX_LINE} lines \
                                 of the file; this one has no effect"
                            ),
                        ));
                    }
                }
            }
        }
    }
    ignores
}

/// One `#` comment of a Python source: its 1-based line, its text from the `#` to the end of
/// the line, and whether only whitespace precedes it on that line.
#[derive(Debug, PartialEq, Eq)]
struct Comment<'s> {
    line: usize,
    text: &'s str,
    own_line: bool,
}

/// Where the tokenizer is: in code, or inside a string opened by `quote` (tripled or not).
#[derive(Clone, Copy)]
enum Lexer {
    Code,
    Str { quote: u8, triple: bool },
}

/// The comments of a Python source, in one pass over its bytes. Strings are skipped with their
/// quotes, triple quotes and backslash escapes (in raw strings too, where `\"` does not end
/// the string either), so a prefix need not be known. A one-line string left open ends at its
/// line's end, as tokenize's error recovery does, so one stray quote cannot hide the rest of
/// the file. Lines are counted at `\n`, as findings' lines are.
fn comments(source: &str) -> Vec<Comment<'_>> {
    let bytes = source.as_bytes();
    let mut out = Vec::new();
    let mut state = Lexer::Code;
    let mut line = 1;
    let mut code_on_line = false;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            line += 1;
            code_on_line = false;
            if let Lexer::Str { triple: false, .. } = state {
                state = Lexer::Code;
            }
            i += 1;
            continue;
        }
        match state {
            Lexer::Code => match b {
                b'#' => {
                    let end = bytes[i..]
                        .iter()
                        .position(|&c| c == b'\n' || c == b'\r')
                        .map_or(bytes.len(), |n| i + n);
                    out.push(Comment {
                        line,
                        // `#`, `\n` and `\r` are ASCII, so both ends are char boundaries.
                        text: &source[i..end],
                        own_line: !code_on_line,
                    });
                    i = end;
                    continue;
                }
                b'"' | b'\'' => {
                    let triple = bytes.get(i + 1) == Some(&b) && bytes.get(i + 2) == Some(&b);
                    state = Lexer::Str { quote: b, triple };
                    code_on_line = true;
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                _ => {
                    if !b.is_ascii_whitespace() {
                        code_on_line = true;
                    }
                }
            },
            Lexer::Str { quote, triple } => {
                // The end of a multi-line string is code on its line.
                code_on_line |= !b.is_ascii_whitespace();
                if b == b'\\' {
                    // The escaped byte may be a newline: count it.
                    if bytes.get(i + 1) == Some(&b'\n') {
                        line += 1;
                    }
                    i += 2;
                    continue;
                }
                if b == quote {
                    let closes = !triple
                        || (bytes.get(i + 1) == Some(&quote) && bytes.get(i + 2) == Some(&quote));
                    if closes {
                        state = Lexer::Code;
                        i += if triple { 3 } else { 1 };
                        continue;
                    }
                }
            }
        }
        i += 1;
    }
    out
}

enum Marker {
    None,
    Malformed(String),
    Ignore {
        file: bool,
        ids: Vec<String>,
        reason: Option<String>,
    },
}

/// Reads what follows a `#`. Only `audit: ignore…` is a marker; `audit: ignored by …` (a word
/// that merely starts with "ignore") is prose.
fn parse_marker(after_hash: &str) -> Marker {
    let Some(rest) = after_hash.trim_start().strip_prefix("audit:") else {
        return Marker::None;
    };
    let rest = rest.trim_start();
    let (file, rest) = if let Some(r) = rest.strip_prefix("ignore-file") {
        (true, r)
    } else if let Some(r) = rest.strip_prefix("ignore") {
        (false, r)
    } else {
        return Marker::None;
    };
    if rest.starts_with(|c: char| c.is_alphanumeric() || c == '_') {
        return Marker::None;
    }
    let directive = if file { "ignore-file" } else { "ignore" };
    let Some(list) = rest.strip_prefix('[') else {
        return Marker::Malformed(format!(
            "`# audit: {directive}` needs rule ids, e.g. `# audit: {directive}[SEC001]`"
        ));
    };
    let Some((ids_text, tail)) = list.split_once(']') else {
        return Marker::Malformed(format!(
            "`# audit: {directive}[` is missing its closing `]`"
        ));
    };
    let ids: Vec<String> = ids_text
        .split(',')
        .map(|id| id.trim().to_string())
        .collect();
    if ids.iter().any(String::is_empty) {
        return Marker::Malformed(format!(
            "`# audit: {directive}[{ids_text}]` has an empty rule id"
        ));
    }
    let reason = tail
        .trim_start()
        .strip_prefix("--")
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty());
    Marker::Ignore { file, ids, reason }
}

/// Reads another tool's marker after a `#`: `noqa: S308, E501` gives its codes (a bare
/// `noqa` silences every flake8 check, far wider than a review of one finding, so it is not
/// one); `nosec`, `nosec B102`, `nosec: B102` or `nosec:B102:exec_used` gives the bandit codes,
/// none for a bare `nosec`.
fn parse_peer_marker(after_hash: &str) -> Option<Vec<String>> {
    let text = after_hash.trim_start();
    let word = |w: &str| {
        text.get(..w.len())
            .filter(|head| head.eq_ignore_ascii_case(w))
            .map(|_| &text[w.len()..])
            .filter(|rest| !rest.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
    };
    let is_code = |t: &&str| {
        let letters = t.chars().take_while(|c| c.is_ascii_uppercase()).count();
        letters > 0 && letters < t.len() && t[letters..].chars().all(|c| c.is_ascii_digit())
    };
    if let Some(rest) = word("noqa") {
        let list = rest.trim_start().strip_prefix(':')?;
        let codes: Vec<String> = list
            .split(|c: char| c == ',' || c.is_whitespace())
            .take_while(|t| t.is_empty() || is_code(t))
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        return (!codes.is_empty()).then_some(codes);
    }
    let rest = word("nosec")?;
    // Codes come first; what follows them (a test name, prose) is not read.
    let codes = rest
        .split(|c: char| c == ',' || c == ':' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .take_while(|t| is_code(t) || t.contains('_'))
        .filter(|t| is_code(t))
        .map(str::to_string)
        .collect();
    Some(codes)
}

/// Which comment hid something: (path, is file-level, index in its list, rule id).
type UseKey = (String, bool, usize, String);

/// Splits findings into active and suppressed, and reports unknown ids, malformed markers and
/// ignores that hid nothing although their rule ran.
pub fn apply(
    findings: Vec<Finding>,
    ignores: &BTreeMap<String, Ignores>,
    ran: &BTreeSet<String>,
    known: &BTreeSet<String>,
    peers: &BTreeMap<String, Vec<String>>,
) -> Suppressed {
    let mut used: HashSet<UseKey> = HashSet::new();
    let mut out = Suppressed::default();
    for finding in findings {
        let Some(ig) = ignores.get(&finding.path) else {
            out.active.push(finding);
            continue;
        };
        match matching_comment(ig, &finding) {
            Some((file, index)) => {
                used.insert((finding.path.clone(), file, index, finding.rule.clone()));
                out.suppressed.push(finding);
            }
            None if peer_reviewed(ig, &finding, peers) => out.suppressed.push(finding),
            None => out.active.push(finding),
        }
    }
    for (path, ig) in ignores {
        collect_problems(path, ig, &used, ran, known, &mut out.problems);
    }
    out.problems
        .sort_by(|a, b| (&a.path, a.line, &a.message).cmp(&(&b.path, b.line, &b.message)));
    out
}

/// The comment that hides `finding`: a file-level one, one on its line, or a comment-only
/// line right above it.
fn matching_comment(ig: &Ignores, finding: &Finding) -> Option<(bool, usize)> {
    let names = |c: &IgnoreComment| c.ids.contains(&finding.rule);
    if let Some(index) = ig.file.iter().position(names) {
        return Some((true, index));
    }
    ig.lines
        .iter()
        .position(|c| {
            (c.line == finding.line || (c.own_line && c.line + 1 == finding.line)) && names(c)
        })
        .map(|index| (false, index))
}

/// Whether another tool's marker on the finding's lines names one of its rule's peer codes
/// (a bare `# nosec`: any bandit code).
fn peer_reviewed(ig: &Ignores, finding: &Finding, peers: &BTreeMap<String, Vec<String>>) -> bool {
    let Some(codes) = peers.get(&finding.rule).filter(|c| !c.is_empty()) else {
        return false;
    };
    ig.peers
        .iter()
        .filter(|m| (finding.line..=finding.end_line.max(finding.line)).contains(&m.line))
        .any(|m| {
            if m.codes.is_empty() {
                codes.iter().any(|c| c.starts_with('B'))
            } else {
                m.codes.iter().any(|c| codes.contains(c))
            }
        })
}

fn collect_problems(
    path: &str,
    ig: &Ignores,
    used: &HashSet<UseKey>,
    ran: &BTreeSet<String>,
    known: &BTreeSet<String>,
    problems: &mut Vec<SuppressionProblem>,
) {
    let problem = |line: usize, message: String, is_error: bool| SuppressionProblem {
        path: path.to_string(),
        line,
        message,
        is_error,
    };
    for (line, why) in &ig.malformed {
        problems.push(problem(
            *line,
            format!("malformed suppression: {why}"),
            true,
        ));
    }
    let lists = [(true, &ig.file), (false, &ig.lines)];
    for (file, comments) in lists {
        for (index, comment) in comments.iter().enumerate() {
            for id in &comment.ids {
                if !known.contains(id) {
                    let message = format!("unknown rule id `{id}` in suppression");
                    problems.push(problem(comment.line, message, true));
                } else if ran.contains(id)
                    && !used.contains(&(path.to_string(), file, index, id.clone()))
                {
                    let scope = if file { "in this file" } else { "here" };
                    let message = format!("unused suppression: {id} reported nothing {scope}");
                    problems.push(problem(comment.line, message, false));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Baseline

const BASELINE_VERSION: u32 = 1;

/// Findings accepted at some point, by fingerprint, with how many there were.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub version: u32,
    pub fingerprints: BTreeMap<String, BaselineEntry>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaselineEntry {
    pub rule: String,
    pub path: String,
    pub count: usize,
}

/// The baseline file for these findings: pretty JSON, keys sorted, newline-terminated, so it
/// diffs well under version control.
pub fn write_baseline(findings: &[Finding]) -> String {
    let mut fingerprints: BTreeMap<String, BaselineEntry> = BTreeMap::new();
    for finding in findings {
        fingerprints
            .entry(finding.fingerprint.clone())
            .and_modify(|entry| entry.count += 1)
            .or_insert_with(|| BaselineEntry {
                rule: finding.rule.clone(),
                path: finding.path.clone(),
                count: 1,
            });
    }
    let baseline = Baseline {
        version: BASELINE_VERSION,
        fingerprints,
    };
    // Serializing plain strings and integers cannot fail.
    let mut text = serde_json::to_string_pretty(&baseline).unwrap_or_default();
    text.push('\n');
    text
}

pub fn load_baseline(text: &str) -> Result<Baseline, String> {
    let baseline: Baseline =
        serde_json::from_str(text).map_err(|e| format!("invalid baseline: {e}"))?;
    if baseline.version != BASELINE_VERSION {
        return Err(format!(
            "unsupported baseline version {} (this audit reads version {BASELINE_VERSION})",
            baseline.version
        ));
    }
    Ok(baseline)
}

/// Drops findings recorded in the baseline, at most as many per fingerprint as were recorded;
/// returns the rest and how many were dropped.
pub fn apply_baseline(findings: Vec<Finding>, b: &Baseline) -> (Vec<Finding>, usize) {
    let mut remaining: HashMap<&str, usize> = b
        .fingerprints
        .iter()
        .map(|(fp, entry)| (fp.as_str(), entry.count))
        .collect();
    let mut baselined = 0;
    let kept = findings
        .into_iter()
        .filter(
            |finding| match remaining.get_mut(finding.fingerprint.as_str()) {
                Some(left) if *left > 0 => {
                    *left -= 1;
                    baselined += 1;
                    false
                }
                _ => true,
            },
        )
        .collect();
    (kept, baselined)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Category, Severity};

    fn finding(rule: &str, path: &str, line: usize, fingerprint: &str) -> Finding {
        Finding {
            rule: rule.to_string(),
            name: "x".to_string(),
            severity: Severity::High,
            category: Category::Security,
            path: path.to_string(),
            line,
            column: 1,
            end_line: line,
            end_column: 2,
            message: "m".to_string(),
            snippet: String::new(),
            fingerprint: fingerprint.to_string(),
            role: Default::default(),
            evidence: None,
            byte_range: (0, 0),
            snippet_offset: 0,
            matched_text: String::new(),
            settle: None,
        }
    }

    fn set(ids: &[&str]) -> BTreeSet<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    fn comment(line: usize, ids: &[&str], reason: Option<&str>, own_line: bool) -> IgnoreComment {
        IgnoreComment {
            line,
            ids: ids.iter().map(|s| s.to_string()).collect(),
            reason: reason.map(str::to_string),
            own_line,
        }
    }

    #[test]
    fn parses_line_and_file_markers() {
        let source = "\
# audit: ignore-file[OPS001] -- generated module
import jwt
x = jwt.decode(t, options=o)  # audit: ignore[SEC001,REL003] -- verified upstream
    # audit:ignore[ SEC002 ]
y = 1  # audit: ignored by the team (prose, not a marker)
z = 2  # audit: ignore
w = 3  # noqa # audit: ignore[] 
v = 4  # audit: ignore[SEC001
";
        let ig = parse_ignores(source);
        assert_eq!(
            ig.file,
            vec![comment(1, &["OPS001"], Some("generated module"), true)]
        );
        assert_eq!(
            ig.lines,
            vec![
                comment(3, &["SEC001", "REL003"], Some("verified upstream"), false),
                comment(4, &["SEC002"], None, true),
            ]
        );
        assert_eq!(
            ig.malformed,
            vec![
                (
                    6,
                    "`# audit: ignore` needs rule ids, e.g. `# audit: ignore[SEC001]`".to_string()
                ),
                (7, "`# audit: ignore[]` has an empty rule id".to_string()),
                (
                    8,
                    "`# audit: ignore[` is missing its closing `]`".to_string()
                ),
            ]
        );
    }

    #[test]
    fn markers_inside_string_literals_are_text() {
        let source = r##"x = "# audit: ignore["
y = get("# audit: ignore[REL003]")
z = '# audit: ignore[SEC001]'  # audit: ignore[SEC002]
doc = """
# audit: ignore[SEC003]
"""  # audit: ignore[SEC004]
raw = rB'\' # audit: ignore[SEC005]'
f = Rf"{d['k']}" "# audit: ignore[SEC006]"
esc = "a\"# audit: ignore[SEC007]"
cont = "a\
# audit: ignore[SEC008]"
t = '''it's # audit: ignore[SEC009]'''
# audit: ignore[SEC010]
"##;
        let ig = parse_ignores(source);
        assert_eq!(ig.malformed, vec![]);
        assert_eq!(
            ig.lines,
            vec![
                comment(3, &["SEC002"], None, false),
                comment(6, &["SEC004"], None, false),
                comment(13, &["SEC010"], None, true),
            ]
        );
    }

    #[test]
    fn an_unclosed_one_line_string_ends_at_its_line() {
        let source =
            "x = 'oops\ny = 1  # audit: ignore[SEC001]\n\"\"\"never closed\n# audit: ignore[SEC002]\n";
        let ig = parse_ignores(source);
        assert_eq!(ig.lines, vec![comment(2, &["SEC001"], None, false)]);
    }

    #[test]
    fn comments_end_at_a_carriage_return_and_keep_line_numbers() {
        let found = comments("a = 1 # one\r\n# two\r\nb = '#' # three");
        let got: Vec<_> = found.iter().map(|c| (c.line, c.text, c.own_line)).collect();
        assert_eq!(
            got,
            vec![
                (1, "# one", false),
                (2, "# two", true),
                (3, "# three", false)
            ]
        );
    }

    #[test]
    fn ignore_file_after_line_ten_is_rejected() {
        let source = format!("{}# audit: ignore-file[SEC001]\n", "x = 1\n".repeat(10));
        let ig = parse_ignores(&source);
        assert!(ig.file.is_empty());
        assert_eq!(ig.malformed.len(), 1);
        assert_eq!(ig.malformed[0].0, 11);
    }

    #[test]
    fn apply_suppresses_same_line_line_above_and_file() {
        let a = "\
import jwt
# audit: ignore[SEC001] -- token verified by the gateway
jwt.decode(t, options=o)
jwt.decode(t, options=o)  # audit: ignore[SEC002]
x = 1  # audit: ignore[SEC001]
jwt.decode(t, options=o)
";
        let b = "# audit: ignore-file[REL003]\nrequests.get(u)\n";
        let ignores: BTreeMap<String, Ignores> = [
            ("a.py".to_string(), parse_ignores(a)),
            ("b.py".to_string(), parse_ignores(b)),
        ]
        .into();
        let findings = vec![
            finding("SEC001", "a.py", 3, "f1"),
            finding("SEC002", "a.py", 4, "f2"),
            finding("SEC001", "a.py", 4, "f3"),
            // Line 5's comment is trailing, so it does not cover line 6.
            finding("SEC001", "a.py", 6, "f4"),
            finding("REL003", "b.py", 2, "f5"),
        ];
        let ran = set(&["SEC001", "SEC002", "REL003"]);
        let out = apply(findings, &ignores, &ran, &ran, &BTreeMap::new());
        let fps = |v: &[Finding]| v.iter().map(|f| f.fingerprint.clone()).collect::<Vec<_>>();
        assert_eq!(fps(&out.active), vec!["f3", "f4"]);
        assert_eq!(fps(&out.suppressed), vec!["f1", "f2", "f5"]);
        assert_eq!(
            out.problems,
            vec![SuppressionProblem {
                path: "a.py".into(),
                line: 5,
                message: "unused suppression: SEC001 reported nothing here".into(),
                is_error: false,
            }]
        );
    }

    #[test]
    fn unknown_ids_are_errors_and_unran_rules_are_not_unused() {
        let source = "\
x = 1  # audit: ignore[SEC999,SEC002]
y = 2  # audit: ignore[PERF001]
z = 3  # audit: ignore
";
        let ignores: BTreeMap<String, Ignores> =
            [("s.py".to_string(), parse_ignores(source))].into();
        let known = set(&["SEC002", "PERF001"]);
        let ran = set(&["SEC002"]); // PERF001 was deselected: its ignore is not "unused".
        let out = apply(Vec::new(), &ignores, &ran, &known, &BTreeMap::new());
        assert_eq!(
            out.problems,
            vec![
                SuppressionProblem {
                    path: "s.py".into(),
                    line: 1,
                    message: "unknown rule id `SEC999` in suppression".into(),
                    is_error: true,
                },
                SuppressionProblem {
                    path: "s.py".into(),
                    line: 1,
                    message: "unused suppression: SEC002 reported nothing here".into(),
                    is_error: false,
                },
                SuppressionProblem {
                    path: "s.py".into(),
                    line: 3,
                    message: "malformed suppression: `# audit: ignore` needs rule ids, \
                              e.g. `# audit: ignore[SEC001]`"
                        .into(),
                    is_error: true,
                },
            ]
        );
    }

    #[test]
    fn peer_markers_hide_findings_of_rules_that_name_their_codes() {
        let source = "a = mark_safe(x)  # noqa: S308  -- static markup\n\
                      exec(  # nosec:B102:exec_used pylint: disable=exec-used\n    code\n)\n\
                      b = mark_safe(y)  # noqa\n\
                      pickle.loads(z)  # nosec - trusted cache\n\
                      c = mark_safe(w)  # noqa: E501\n\
                      SECRET_KEY = \"x\"  # nosec B105\n";
        let ignores = parse_ignores(source);
        assert_eq!(
            ignores.peers,
            vec![
                PeerMarker {
                    line: 1,
                    codes: vec!["S308".into()]
                },
                PeerMarker {
                    line: 2,
                    codes: vec!["B102".into()]
                },
                PeerMarker {
                    line: 6,
                    codes: vec![]
                },
                PeerMarker {
                    line: 7,
                    codes: vec!["E501".into()]
                },
                PeerMarker {
                    line: 8,
                    codes: vec!["B105".into()]
                },
            ]
        );
        let mut exec = finding("SEC022", "a.py", 2, "f2");
        exec.end_line = 4;
        let findings = vec![
            finding("SEC018", "a.py", 1, "f1"),
            exec,
            finding("SEC018", "a.py", 5, "f5"),
            finding("SEC022", "a.py", 6, "f6"),
            finding("SEC018", "a.py", 7, "f7"),
            finding("SEC003", "a.py", 8, "f8"),
        ];
        let peers: BTreeMap<String, Vec<String>> = [
            ("SEC018", vec!["S308", "B308"]),
            ("SEC022", vec!["S301", "B301", "B102"]),
        ]
        .into_iter()
        .map(|(id, codes)| {
            (
                id.to_string(),
                codes.into_iter().map(String::from).collect(),
            )
        })
        .collect();
        let map = BTreeMap::from([("a.py".to_string(), ignores)]);
        let ran = set(&["SEC003", "SEC018", "SEC022"]);
        let out = apply(findings, &map, &ran, &ran, &peers);
        let lines = |f: &[Finding]| f.iter().map(|f| f.line).collect::<Vec<_>>();
        // A bare `# noqa`, another tool's code and a rule without peers stay reported.
        assert_eq!(lines(&out.active), vec![5, 7, 8]);
        assert_eq!(lines(&out.suppressed), vec![1, 2, 6]);
        assert!(out.problems.is_empty());
    }

    #[test]
    fn baseline_round_trip_and_format() {
        let findings = vec![
            finding("SEC001", "b.py", 1, "bbbb"),
            finding("SEC001", "a.py", 1, "aaaa"),
            finding("SEC001", "a.py", 9, "aaaa"),
        ];
        let text = write_baseline(&findings);
        assert_eq!(
            text,
            r#"{
  "version": 1,
  "fingerprints": {
    "aaaa": {
      "rule": "SEC001",
      "path": "a.py",
      "count": 2
    },
    "bbbb": {
      "rule": "SEC001",
      "path": "b.py",
      "count": 1
    }
  }
}
"#
        );
        let baseline = load_baseline(&text).expect("loads");
        assert_eq!(baseline.fingerprints["aaaa"].count, 2);
    }

    #[test]
    fn baseline_never_hides_more_than_recorded() {
        let baseline = load_baseline(
            r#"{"version":1,"fingerprints":{"aaaa":{"rule":"SEC001","path":"a.py","count":1}}}"#,
        )
        .expect("loads");
        let findings = vec![
            finding("SEC001", "a.py", 1, "aaaa"),
            finding("SEC001", "a.py", 5, "aaaa"),
            finding("REL003", "a.py", 7, "cccc"),
        ];
        let (kept, baselined) = apply_baseline(findings, &baseline);
        assert_eq!(baselined, 1);
        assert_eq!(
            kept.iter()
                .map(|f| (f.line, f.fingerprint.as_str()))
                .collect::<Vec<_>>(),
            vec![(5, "aaaa"), (7, "cccc")]
        );
    }

    #[test]
    fn bad_baselines_are_errors() {
        assert_eq!(
            load_baseline(r#"{"version":2,"fingerprints":{}}"#),
            Err("unsupported baseline version 2 (this audit reads version 1)".to_string())
        );
        let err = load_baseline("{").expect_err("truncated");
        assert!(
            err.starts_with("invalid baseline: EOF while parsing"),
            "{err}"
        );
    }
}
