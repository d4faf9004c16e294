//! Properties of located findings, checked on generated projects (proptest): spans lie on char
//! boundaries and agree with line and column, fingerprints survive lines inserted above, and
//! the same project always gives the same output.

use audit::findings::{fold_whitespace, Finding};
use audit::memory::{run_in_memory, MemoryRun};
use audit::pipeline::{self, RunOptions};
use audit::rules::load;
use audit::rules::LoadedRule;
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::OnceLock;

fn rules() -> &'static [LoadedRule] {
    static RULES: OnceLock<Vec<LoadedRule>> = OnceLock::new();
    RULES.get_or_init(|| load::load(&[], true).expect("embedded rules").rules)
}

fn analyze(files: &[(String, String)]) -> MemoryRun {
    let rules: Vec<&LoadedRule> = rules().iter().collect();
    run_in_memory(files, &rules)
}

const MODULE_HEADER: &str = "import pickle\nimport requests\nimport subprocess\n";

/// Statements that give per-file findings, or none, around non-ASCII text.
const MODULE_LINES: &[&str] = &[
    "requests.get(u)\n",
    "requests.post(url, json=body)\n",
    "x = pickle.loads(data)\n",
    "subprocess.run(cmd, shell=True)\n",
    "s = \"é€😀\"\n",
    "# комментарий ✓\n",
    "def fetch():\n    return requests.get(\"ü\")\n",
    "y = \"ß\" + requests.get(v).text\n",
    "class Client:\n    def call(self):\n        requests.put(u, data=\"日本\")\n",
    "try:\n    requests.get(u)\nexcept Exception:\n    pass\n",
    "value = 1\n",
    "\n",
];

const SETTINGS_HEADER: &str = "import os\n";

/// Settings statements: present, absent and undecidable values next to non-ASCII text.
const SETTINGS_LINES: &[&str] = &[
    "DEBUG = True\n",
    "SECRET_KEY = \"django-insecure-é\"\n",
    "ALLOWED_HOSTS = [\"*\"]\n",
    "# réglages ✓\n",
    "TITLE = \"日本\"\n",
    "INSTALLED_APPS = [\"django.contrib.admin\"]\n",
    "MIDDLEWARE = []\n",
    "SESSION_COOKIE_SECURE = False\n",
    "PASSWORD_HASHERS = [\"django.contrib.auth.hashers.MD5PasswordHasher\"]\n",
    "CORS_ALLOW_ALL_ORIGINS = True\n",
    "if os.environ.get(\"X\"):\n    DEBUG = False\n",
    "\n",
];

/// Text for a string literal: any printable char but quotes and backslashes.
fn literal_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        any::<char>().prop_filter("printable, not a quote", |c| {
            !c.is_control() && !matches!(c, '"' | '\'' | '\\')
        }),
        0..6,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

/// Lines drawn from `pool`, some followed by a string literal of arbitrary text, some ending
/// in CRLF instead of LF.
fn body(pool: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop::collection::vec((prop::sample::select(pool), literal_text(), 0..4u8), 0..14).prop_map(
        |parts| {
            let mut out = String::new();
            for (line, text, variant) in parts {
                match variant {
                    0 => out.push_str(&format!("t = \"{text}\"\n")),
                    1 => out.push_str(&line.replace('\n', "\r\n")),
                    _ => {}
                }
                out.push_str(line);
            }
            out
        },
    )
}

/// A project of one module (maybe with a BOM) and one settings module.
fn project() -> impl Strategy<Value = Vec<(String, String)>> {
    (body(MODULE_LINES), body(SETTINGS_LINES), any::<bool>()).prop_map(|(module, settings, bom)| {
        let bom = if bom { "\u{feff}" } else { "" };
        vec![
            (
                "shop/views.py".to_string(),
                format!("{bom}{MODULE_HEADER}{module}"),
            ),
            (
                "shop/settings.py".to_string(),
                format!("{SETTINGS_HEADER}{settings}"),
            ),
        ]
    })
}

fn source_of<'a>(files: &'a [(String, String)], path: &str) -> &'a str {
    files
        .iter()
        .find(|(p, _)| p == path)
        .map(|(_, t)| t.as_str())
        .unwrap_or_else(|| panic!("finding in {path}, which is not in the project"))
}

/// 1-based line and 1-based column in chars of byte `offset`.
fn position(source: &str, offset: usize) -> (usize, usize) {
    let before = &source[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

fn check_spans(files: &[(String, String)], findings: &[Finding]) -> Result<(), TestCaseError> {
    for f in findings {
        // Offsets refer to the text as the pipeline decoded it (no byte-order mark).
        let decoded = audit::parse::source::decode_python(source_of(files, &f.path).as_bytes())
            .map_err(|e| TestCaseError::fail(e.0))?;
        let source = decoded.as_str();
        let (start, end) = f.byte_range;
        prop_assert!(start <= end && end <= source.len(), "{f:?}");
        prop_assert!(
            source.is_char_boundary(start) && source.is_char_boundary(end),
            "{} {}:{} range {start}..{end} splits a char",
            f.rule,
            f.path,
            f.line
        );
        prop_assert_eq!(
            (f.line, f.column),
            position(source, start),
            "{} {} at byte {}",
            &f.rule,
            &f.path,
            start
        );
        prop_assert_eq!(f.end_line >= f.line, true);
        // The snippet is the file's text from its line's start, or on a long line from a
        // little before the match.
        let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
        prop_assert!(line_start <= f.snippet_offset && f.snippet_offset <= start);
        prop_assert!(
            source[f.snippet_offset..].starts_with(&f.snippet),
            "{} snippet is not the text at line {}",
            f.rule,
            f.line
        );
    }
    Ok(())
}

/// A finding with nothing in the file to point at (a setting that is absent) sits on line 1
/// and fingerprints what is missing.
fn is_absent(f: &Finding) -> bool {
    f.matched_text == fold_whitespace(&f.message) && f.line == 1
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn spans_lie_on_char_boundaries_and_agree_with_line_and_column(files in project()) {
        let analysis = analyze(&files);
        check_spans(&files, &analysis.findings)?;
    }

    #[test]
    fn fingerprints_survive_lines_inserted_above(
        files in project(),
        k in 1usize..6,
        which in 0usize..2,
        comment in any::<bool>(),
    ) {
        let before = analyze(&files);
        let mut shifted = files.clone();
        // Settings modules start with code: padding goes below their first line.
        let padding: String = (0..k)
            .map(|i| if comment && which == 0 { format!("# pad {i} ✓\n") } else { format!("_PAD_{i} = {i}\n") })
            .collect();
        let text = &mut shifted[which].1;
        let at = if which == 0 {
            text.char_indices().nth(usize::from(text.starts_with('\u{feff}'))).map_or(0, |(i, _)| i)
        } else {
            text.find('\n').map_or(text.len(), |i| i + 1)
        };
        text.insert_str(at, &padding);
        let after = analyze(&shifted);
        prop_assert_eq!(before.findings.len(), after.findings.len());
        let by_print: BTreeMap<&str, &Finding> =
            after.findings.iter().map(|f| (f.fingerprint.as_str(), f)).collect();
        for f in &before.findings {
            let Some(moved) = by_print.get(f.fingerprint.as_str()) else {
                return Err(TestCaseError::fail(format!(
                    "{} {}:{} lost its fingerprint after {k} lines were inserted",
                    f.rule, f.path, f.line
                )));
            };
            let shift = if f.path == shifted[which].0 && !is_absent(f) { k } else { 0 };
            prop_assert_eq!(moved.line, f.line + shift, "{} {}", &f.rule, &f.path);
            prop_assert_eq!(&moved.rule, &f.rule);
        }
    }

    #[test]
    fn the_same_project_gives_the_same_output_in_any_file_order(files in project()) {
        let first = analyze(&files);
        let again = analyze(&files);
        let mut reversed = files.clone();
        reversed.reverse();
        let other_order = analyze(&reversed);
        prop_assert_eq!(&first.findings, &again.findings);
        prop_assert_eq!(&first.notes, &again.notes);
        prop_assert_eq!(&first.findings, &other_order.findings);
        prop_assert_eq!(&first.notes, &other_order.notes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

    /// The whole run on disk: one worker thread or four give byte-identical JSON.
    #[test]
    fn a_scan_gives_the_same_report_with_one_or_many_threads(files in project()) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (rel, text) in &files {
            let path = dir.path().join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        }
        let rules: Vec<&LoadedRule> = rules().iter().collect();
        let report = |jobs| {
            let options = RunOptions {
                paths: vec![dir.path().to_path_buf()],
                excludes: Vec::new(),
                strict: false,
                baseline: None,
                jobs: Some(jobs),
                known_ids: rules.iter().map(|r| r.meta.id.clone()).collect(),
                settings: None,
                roles: Default::default(),
            };
            let result = pipeline::run(&rules, &options).expect("run");
            audit::report::json::render(&result)
        };
        let one = report(1);
        prop_assert_eq!(&one, &report(4));
        prop_assert_eq!(&one, &report(1));
    }
}

/// Issue 7, item 1 and its cousin: a settings module that starts with a BOM or with blank
/// lines gets its settings findings located in the file, not in the module node's text.
#[test]
fn settings_findings_agree_with_their_spans_after_a_bom_or_blank_lines() {
    for prefix in ["\u{feff}", "\n", "\n\n  \n"] {
        let files = vec![(
            "shop/settings.py".to_string(),
            format!("{prefix}SECRET_KEY = \"x\"\nDEBUG = True\n#€€\nINSTALLED_APPS = []\n"),
        )];
        let analysis = analyze(&files);
        assert!(!analysis.findings.is_empty(), "no findings with {prefix:?}");
        if let Err(e) = check_spans(&files, &analysis.findings) {
            panic!("prefix {prefix:?}: {e}");
        }
    }
}
