//! Code evidence for setting rules: what a project's own classes do (a middleware that sends
//! the Content-Security-Policy itself, a form that enforces a password length) and code
//! fragments that are absent (no view renders a template). Read from the text of each app,
//! management command and script file in the per-file stage, for the needles the loaded setting
//! rules ask about; nothing is run.

use crate::model::settings::module_of;
use crate::rules::rule::{CodeAbsence, CodeEvidence};

/// Every piece of code evidence the loaded setting rules ask about, deduplicated.
#[derive(Clone, Debug, Default)]
pub struct CodeNeedles {
    pub classes: Vec<CodeEvidence>,
    pub absent: Vec<CodeAbsence>,
}

impl CodeNeedles {
    pub fn is_empty(&self) -> bool {
        self.classes.is_empty() && self.absent.is_empty()
    }

    pub(super) fn add_class(&mut self, evidence: &CodeEvidence) {
        if !self.classes.contains(evidence) {
            self.classes.push(evidence.clone());
        }
    }

    pub(super) fn add_absent(&mut self, absence: &CodeAbsence) {
        if !self.absent.contains(absence) {
            self.absent.push(absence.clone());
        }
    }
}

/// A class whose source has one piece of class evidence.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClassHit {
    /// Index into [`CodeNeedles::classes`].
    pub evidence: usize,
    pub rel: String,
    /// Dotted module of the file (`pretix.base.middleware`).
    pub module: String,
    pub class: String,
    /// 1-based line of the `class` statement.
    pub line: usize,
}

/// Where a fragment that should be absent was found.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SiteHit {
    /// Index into [`CodeNeedles::absent`].
    pub absence: usize,
    pub rel: String,
    pub module: String,
    pub line: usize,
    /// The module-level function it is in, if any.
    pub function: Option<String>,
    pub fragment: String,
}

/// What the app files showed of the needles.
#[derive(Clone, Debug, Default)]
pub struct CodeFacts {
    pub classes: Vec<ClassHit>,
    pub sites: Vec<SiteHit>,
}

impl CodeFacts {
    pub fn extend(&mut self, other: CodeFacts) {
        self.classes.extend(other.classes);
        self.sites.extend(other.sites);
    }

    /// Files merge in path order, so the facts are already deterministic; sorting makes them
    /// independent of it.
    pub fn sort(&mut self) {
        self.classes.sort();
        self.sites.sort();
    }

    /// The class `dotted` (`pretix.base.middleware.SecurityMiddleware`) names, when it has
    /// the evidence: the module may be written from a source root below the scanned folder
    /// (`netbox.middleware` for `netbox/netbox/middleware.py`).
    pub fn class_named(&self, evidence: usize, dotted: &str) -> Option<&ClassHit> {
        let (module, class) = dotted.rsplit_once('.')?;
        let suffix = format!(".{module}");
        self.classes
            .iter()
            .filter(|h| h.evidence == evidence && h.class == class)
            .filter(|h| h.module == module || h.module.ends_with(&suffix))
            .min_by_key(|h| h.module.len())
    }
}

/// The evidence one app file holds.
pub fn scan(rel: &str, text: &str, needles: &CodeNeedles) -> CodeFacts {
    let mut facts = CodeFacts::default();
    let (module, _) = module_of(rel);
    let wanted: Vec<usize> = (0..needles.classes.len())
        .filter(|&i| {
            let e = &needles.classes[i];
            e.contains.iter().all(|c| text.contains(c.as_str()))
                && e.line.iter().all(|c| text.contains(c.as_str()))
        })
        .collect();
    if !wanted.is_empty() {
        let lines: Vec<&str> = text.lines().collect();
        let found = classes(&lines);
        if !found.is_empty() {
            let index = LineIndex::new(text, &lines);
            let tests: Vec<(usize, EvidenceTest)> = wanted
                .iter()
                .map(|&i| (i, EvidenceTest::new(&needles.classes[i], text, &lines)))
                .collect();
            for (name, first, end) in found {
                for (i, test) in &tests {
                    if test.holds(&index, first, end) {
                        facts.classes.push(ClassHit {
                            evidence: *i,
                            rel: rel.to_string(),
                            module: module.clone(),
                            class: name.to_string(),
                            line: first + 1,
                        });
                    }
                }
            }
        }
    }
    let mut functions: Option<Vec<Option<&str>>> = None;
    for (i, absence) in needles.absent.iter().enumerate() {
        for (line, fragment) in fragments(text, &absence.any) {
            let functions = functions.get_or_insert_with(|| module_functions(text));
            facts.sites.push(SiteHit {
                absence: i,
                rel: rel.to_string(),
                module: module.clone(),
                line,
                function: functions
                    .get(line - 1)
                    .copied()
                    .flatten()
                    .map(str::to_string),
                fragment,
            });
        }
    }
    facts
}

/// Where each line of a text starts and ends (bytes, line break excluded).
struct LineIndex {
    spans: Vec<(usize, usize)>,
}

impl LineIndex {
    fn new(text: &str, lines: &[&str]) -> LineIndex {
        let base = text.as_ptr() as usize;
        let spans = lines
            .iter()
            .map(|l| {
                let start = l.as_ptr() as usize - base;
                (start, start + l.len())
            })
            .collect();
        LineIndex { spans }
    }

    /// The bytes of lines `first..end` (`end` > `first`).
    fn bytes(&self, first: usize, end: usize) -> (usize, usize) {
        (self.spans[first].0, self.spans[end - 1].1)
    }
}

/// One piece of class evidence, indexed over a whole file once so that each class (its lines
/// as a range) is tested in logarithmic time, however deeply classes nest: where each
/// `contains` fragment occurs, and how many lines up to each hold every `line` fragment.
struct EvidenceTest {
    /// Each `contains` fragment's length and the sorted starts of its occurrences,
    /// overlapping ones included.
    contains: Vec<(usize, Vec<usize>)>,
    /// `lines_before[j]`: how many of the lines before line `j` hold every `line` fragment;
    /// empty when the evidence has no `line` fragments.
    lines_before: Vec<usize>,
}

impl EvidenceTest {
    fn new(evidence: &CodeEvidence, text: &str, lines: &[&str]) -> EvidenceTest {
        let contains = evidence
            .contains
            .iter()
            .map(|c| {
                let mut starts = Vec::new();
                let mut from = 0;
                while let Some(at) = text[from..].find(c.as_str()) {
                    starts.push(from + at);
                    // The next occurrence may overlap this one: go on after its first char.
                    from += at + text[from + at..].chars().next().map_or(1, char::len_utf8);
                }
                (c.len(), starts)
            })
            .collect();
        let mut lines_before = Vec::new();
        if !evidence.line.is_empty() {
            lines_before.reserve(lines.len() + 1);
            let mut count = 0;
            lines_before.push(count);
            for line in lines {
                if evidence.line.iter().all(|c| line.contains(c.as_str())) {
                    count += 1;
                }
                lines_before.push(count);
            }
        }
        EvidenceTest {
            contains,
            lines_before,
        }
    }

    /// Whether lines `first..end` show the evidence: every `contains` fragment within them,
    /// and one line holding every `line` fragment.
    fn holds(&self, index: &LineIndex, first: usize, end: usize) -> bool {
        let (start, stop) = index.bytes(first, end);
        self.contains.iter().all(|(len, starts)| {
            // The first occurrence at or after `start` ends first.
            let n = starts.partition_point(|&at| at < start);
            starts.get(n).is_some_and(|&at| at + len <= stop)
        }) && (self.lines_before.is_empty() || self.lines_before[end] > self.lines_before[first])
    }
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Every `class` statement: its name, 0-based line and the line after its source (header and
/// body). The body ends at the first code line indented no deeper than the `class` line;
/// lines inside a triple-quoted string and comment lines never end it. One pass: the classes
/// still open form a stack of strictly increasing indentation, and a code line ends every
/// open class indented as deep or deeper.
fn classes<'t>(lines: &[&'t str]) -> Vec<(&'t str, usize, usize)> {
    let in_string = string_lines(lines);
    let mut found: Vec<(&str, usize, usize)> = Vec::new();
    let mut open: Vec<(usize, usize)> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let code = line.trim_start();
        let indent = line.len() - code.len();
        // Blank and comment lines, string contents and the `):` closing a header continued
        // over several lines never end a body.
        let inside =
            in_string[i] || code.is_empty() || code.starts_with('#') || code.starts_with(')');
        if !inside {
            while let Some(&(k, depth)) = open.last() {
                if depth < indent {
                    break;
                }
                found[k].2 = i;
                open.pop();
            }
        }
        if in_string[i] {
            continue;
        }
        let Some(rest) = code.strip_prefix("class ") else {
            continue;
        };
        let name_len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        if name_len == 0 {
            continue;
        }
        open.push((found.len(), indent));
        found.push((&rest[..name_len], i, lines.len()));
    }
    found
}

/// For each line, whether it starts inside a triple-quoted string. Outside a string, a `#`
/// ends the line's code. Each line is walked once.
fn string_lines(lines: &[&str]) -> Vec<bool> {
    let mut inside: Option<&str> = None;
    lines
        .iter()
        .map(|line| {
            let starts_inside = inside.is_some();
            let bytes = line.as_bytes();
            let mut at = 0;
            while at < bytes.len() {
                match inside {
                    // `at` is always just after an ASCII quote here, a char boundary.
                    Some(quote) => match line[at..].find(quote) {
                        Some(n) => {
                            at += n + 3;
                            inside = None;
                        }
                        None => break,
                    },
                    None => {
                        let rest = &bytes[at..];
                        if rest[0] == b'#' {
                            break;
                        }
                        if rest.starts_with(b"\"\"\"") {
                            inside = Some("\"\"\"");
                            at += 3;
                        } else if rest.starts_with(b"'''") {
                            inside = Some("'''");
                            at += 3;
                        } else {
                            at += 1;
                        }
                    }
                }
            }
            starts_inside
        })
        .collect()
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Where each fragment occurs, compared without whitespace and as whole words: (1-based line,
/// the fragment as written in the rule).
fn fragments(text: &str, wanted: &[String]) -> Vec<(usize, String)> {
    // Most files have none of the fragments: their leading word (`render` of `render(request`)
    // is looked up before the text is squeezed.
    let lead = |f: &str| -> String {
        let body = f.trim_start_matches('^');
        let word: String = body.chars().take_while(|c| is_word(*c)).collect();
        if word.is_empty() {
            body.chars().take(1).collect()
        } else {
            word
        }
    };
    if !wanted.iter().any(|f| {
        let l = lead(f);
        !l.is_empty() && text.contains(l.as_str())
    }) {
        return Vec::new();
    }
    // The text without whitespace, each character keeping its byte offset in `text`.
    let mut squeezed = String::with_capacity(text.len());
    let mut offsets = Vec::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        if !c.is_whitespace() {
            squeezed.push(c);
            offsets.push(at);
        }
    }
    // `offsets` is indexed by character; map byte positions of `squeezed` to characters.
    let char_at: Vec<usize> = {
        let mut map = vec![0; squeezed.len() + 1];
        for (n, (b, _)) in squeezed.char_indices().enumerate() {
            map[b] = n;
        }
        map
    };
    let mut found = Vec::new();
    for fragment in wanted {
        let (line_start, body) = match fragment.strip_prefix('^') {
            Some(b) => (true, b),
            None => (false, fragment.as_str()),
        };
        let needle: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        if needle.is_empty() || !text.contains(lead(fragment).as_str()) {
            continue;
        }
        let needle_chars = needle.chars().count();
        let starts_word = needle.starts_with(is_word);
        let ends_word = needle.ends_with(is_word);
        // Hits come in text order: newlines are counted forward from the previous hit, so
        // the whole text is walked once per fragment however many hits it has.
        let mut counted = 0;
        let mut line = 1;
        let mut line_begin = 0;
        for (b, _) in squeezed.match_indices(needle.as_str()) {
            let first_char = char_at[b];
            let first = offsets[first_char];
            let last = offsets[first_char + needle_chars - 1];
            let before = text[..first].chars().next_back();
            let after = text[last..].chars().nth(1);
            if starts_word && before.is_some_and(is_word) {
                continue;
            }
            if ends_word && after.is_some_and(is_word) {
                continue;
            }
            for (n, _) in text[counted..first].match_indices('\n') {
                line += 1;
                line_begin = counted + n + 1;
            }
            counted = first;
            // Only whitespace before it on its line: the previous non-whitespace character
            // (the one before it in `squeezed`) is on an earlier line.
            let starts_line = first_char == 0 || offsets[first_char - 1] < line_begin;
            if line_start && !starts_line {
                continue;
            }
            found.push((line, fragment.clone()));
        }
    }
    found.sort();
    found.dedup();
    found
}

/// For each line (0-based), the module-level function (`def name(` at column 0) whose body
/// holds it: the nearest code line at column 0 above it, when that is a `def`. A line at
/// column 0 is in none. One forward pass.
fn module_functions(text: &str) -> Vec<Option<&str>> {
    let mut current: Option<&str> = None;
    text.lines()
        .map(|line| {
            let code = line.trim_end();
            if code.is_empty() || code.starts_with('#') {
                return if indentation(line) > 0 { current } else { None };
            }
            if indentation(code) > 0 {
                return current;
            }
            current = code
                .strip_prefix("async def ")
                .or_else(|| code.strip_prefix("def "))
                .and_then(|def| def.split(|c: char| !is_word(c)).next())
                .filter(|name| !name.is_empty());
            None
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn needles() -> CodeNeedles {
        CodeNeedles {
            classes: vec![CodeEvidence {
                contains: vec!["Content-Security-Policy".to_string()],
                line: vec![],
            }],
            absent: vec![CodeAbsence {
                any: vec![
                    "render(request".to_string(),
                    "TemplateView".to_string(),
                    "^template_name='".to_string(),
                ],
                except_named_by: vec![],
            }],
        }
    }

    #[test]
    fn a_class_body_with_the_evidence_is_found_with_its_line() {
        let text = "import x\n\nclass Other:\n    pass\n\n\nclass SecurityMiddleware(MiddlewareMixin):\n    \"\"\"Sends\nno header here\n\"\"\"\n    def __call__(self, request):\n        resp = self.get_response(request)\n# a comment at column 0\n        resp['Content-Security-Policy'] = 'x'\n        return resp\n\n\ndef after():\n    return 'Content-Security-Policy'\n";
        let facts = scan("app/middleware.py", text, &needles());
        assert_eq!(
            facts.classes,
            vec![ClassHit {
                evidence: 0,
                rel: "app/middleware.py".to_string(),
                module: "app.middleware".to_string(),
                class: "SecurityMiddleware".to_string(),
                line: 7,
            }]
        );
        assert!(facts
            .class_named(0, "app.middleware.SecurityMiddleware")
            .is_some());
        assert!(facts
            .class_named(0, "middleware.SecurityMiddleware")
            .is_some());
        assert!(facts.class_named(0, "app.middleware.Other").is_none());
        assert!(facts
            .class_named(0, "pp.middleware.SecurityMiddleware")
            .is_none());
    }

    #[test]
    fn a_header_over_several_lines_and_a_docstring_at_column_0_stay_in_the_class() {
        let text = "class Csp(\n    Base,\n):\n    \"\"\"\nSends the policy.\n\"\"\"\n    header = \"Content-Security-Policy\"\n";
        let lines: Vec<usize> = scan("a.py", text, &needles())
            .classes
            .iter()
            .map(|h| h.line)
            .collect();
        assert_eq!(lines, vec![1]);
    }

    #[test]
    fn evidence_after_the_class_ends_is_not_the_class_s() {
        let text = "class A:\n    x = 1\n\nHEADER = 'Content-Security-Policy'\n";
        assert!(scan("a.py", text, &needles()).classes.is_empty());
    }

    #[test]
    fn fragments_match_across_whitespace_as_whole_words() {
        let text = "def csrf_failure(request, reason=''):\n    return render(\n        request,\n        'x.html')\n\nclass ProjectTemplateViewSet(ViewSet):\n    template_name = 'a.html'\n\nx = Response(data, template_name='users.html')\n";
        let facts = scan("plane/views.py", text, &needles());
        let sites: Vec<(usize, &str, Option<&str>)> = facts
            .sites
            .iter()
            .map(|s| (s.line, s.fragment.as_str(), s.function.as_deref()))
            .collect();
        assert_eq!(
            sites,
            vec![
                (2, "render(request", Some("csrf_failure")),
                (7, "^template_name='", None),
            ]
        );
    }

    #[test]
    fn many_hits_are_found_in_one_pass_with_their_lines_and_functions() {
        // 20k hits in a method, one in a module-level function, and 20k on one line: each
        // hit's line and function used to be found by rescanning from the start of the text.
        let needles = CodeNeedles {
            classes: vec![],
            absent: vec![CodeAbsence {
                any: vec!["cache.delete".to_string(), "^cache.delete".to_string()],
                except_named_by: vec![],
            }],
        };
        let n = 20_000;
        let mut text =
            "from django.core.cache import cache\n\nclass Store:\n    def clear(self, k):\n"
                .to_string();
        text.push_str(&"        cache.delete(k)\n".repeat(n));
        text.push_str("\n\ndef purge(k):\n    cache.delete(k)\n");
        text.push_str(&format!("x = [{}]\n", "cache.delete(k), ".repeat(n)));
        let facts = scan("app/store.py", &text, &needles);
        let sites: Vec<(usize, &str, Option<&str>)> = facts
            .sites
            .iter()
            .map(|s| (s.line, s.fragment.as_str(), s.function.as_deref()))
            .collect();
        let mut expected = Vec::new();
        for line in 5..5 + n {
            expected.push((line, "^cache.delete", None));
            expected.push((line, "cache.delete", None));
        }
        let purge = n + 8;
        expected.push((purge, "^cache.delete", Some("purge")));
        expected.push((purge, "cache.delete", Some("purge")));
        expected.push((purge + 1, "cache.delete", None));
        assert_eq!(sites, expected);
    }

    #[test]
    fn the_function_of_a_line_is_the_nearest_def_at_column_0() {
        let text = "def a():\n    x = 1\n# note\n\n    y = 2\n\nclass B:\n    z = 3\nasync def c(r):\n    w\n  \nq = 1\n";
        assert_eq!(
            module_functions(text),
            vec![
                None,
                Some("a"),
                None,
                None,
                Some("a"),
                None,
                None,
                None,
                None,
                Some("c"),
                Some("c"),
                None,
            ]
        );
    }
    #[test]
    fn deeply_nested_classes_are_each_tested_on_their_own_lines() {
        // Line i is i spaces and `class A:`: every class holds all the ones below it, which
        // used to be copied into one string per class (cubic in the number of lines).
        let n = 2_000;
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&" ".repeat(i));
            text.push_str("class A:\n");
        }
        text.push_str(&" ".repeat(n));
        text.push_str("h = 'Content-Security-Policy'\n");
        let lines: Vec<usize> = scan("a.py", &text, &needles())
            .classes
            .iter()
            .map(|h| h.line)
            .collect();
        assert_eq!(lines, (1..=n).collect::<Vec<_>>());
    }

    #[test]
    fn nested_and_sibling_classes_end_where_their_indentation_does() {
        let needles = CodeNeedles {
            classes: vec![
                CodeEvidence {
                    contains: vec!["Content-Security-Policy".to_string()],
                    line: vec![],
                },
                CodeEvidence {
                    contains: vec!["process_response".to_string()],
                    line: vec!["resp[".to_string(), "Content-Security-Policy".to_string()],
                },
            ],
            absent: vec![],
        };
        let text = "class Outer:\n    class Inner:\n        def process_response(self, r, resp):\n            resp['Content-Security-Policy'] = 'x'\n    x = 1\nclass B:\n    def process_response(self, r, resp):\n        h = 'Content-Security-Policy'\n        resp[h] = h\nclass C:\n    pass\n";
        let facts = scan("a.py", text, &needles);
        let hits: Vec<(usize, &str, usize)> = facts
            .classes
            .iter()
            .map(|h| (h.evidence, h.class.as_str(), h.line))
            .collect();
        assert_eq!(
            hits,
            vec![
                (0, "Outer", 1),
                (1, "Outer", 1),
                (0, "Inner", 2),
                (1, "Inner", 2),
                (0, "B", 6),
            ]
        );
    }

    #[test]
    fn triple_quotes_are_followed_in_one_walk_of_each_line() {
        let long = "\"\"\"x\"\"\" ".repeat(100_000);
        let lines = [
            long.as_str(),
            "x = 1  # \"\"\"",
            "\"\"\"",
            "class A:",
            "\"\"\" '''",
            "class B:",
            "'''",
            "y = 'é' '''",
            "'''",
        ];
        assert_eq!(
            string_lines(&lines),
            vec![false, false, false, true, true, true, true, false, true]
        );
    }
}
