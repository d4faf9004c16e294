//! Input a hostile or merely odd repository can hold never crashes the run, never grows memory
//! with line length, and never turns an unread settings module into a passing verdict.

mod common;
use common::{errors, rules_and_lines, run_json, write};
use serde_json::Value;

/// What a finding says of itself, for comparing runs: (rule, line, column, end, fingerprint).
fn located(report: &Value) -> Vec<(String, u64, u64, u64, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["column"].as_u64().unwrap_or_default(),
                f["end_column"].as_u64().unwrap_or_default(),
                f["fingerprint"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

const SETTINGS: &[u8] =
    b"SECRET_KEY = \"x\"\nDEBUG = True\n#\xe2\x82\xac\xe2\x82\xac\nINSTALLED_APPS = []\n";

#[test]
fn a_byte_order_mark_shifts_nothing() {
    let plain = tempfile::tempdir().expect("tempdir");
    write(plain.path(), "t/settings.py", SETTINGS);
    write(plain.path(), "t/a.py", b"import os\n");
    let marked = tempfile::tempdir().expect("tempdir");
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(SETTINGS);
    write(marked.path(), "t/settings.py", &bom);
    write(marked.path(), "t/a.py", b"import os\n");

    let (code, with_bom, stderr) = run_json(marked.path(), &["--select", "SEC003,SEC005"]);
    assert_eq!(code, 1, "{stderr}");
    let (_, without, _) = run_json(plain.path(), &["--select", "SEC003,SEC005"]);
    let found = located(&with_bom);
    assert_eq!(found, located(&without));
    let spans: Vec<_> = found
        .iter()
        .map(|f| (f.0.as_str(), f.1, f.2, f.3))
        .collect();
    assert_eq!(spans, [("SEC003", 1, 1, 17), ("SEC005", 2, 1, 13)]);
}

#[test]
fn snippets_on_a_long_line_are_windows_around_the_match() {
    let dir = tempfile::tempdir().expect("tempdir");
    let calls = vec!["requests.get(u)"; 16_000].join("; ");
    write(
        dir.path(),
        "app/one_line.py",
        format!("import requests\n{calls}\n").as_bytes(),
    );
    let (code, report, stderr) = run_json(dir.path(), &["--select", "REL003"]);
    assert_eq!(code, 1, "{stderr}");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 16_000);
    for f in findings {
        let snippet = f["snippet"].as_str().expect("snippet");
        assert!(snippet.len() <= 240, "{} bytes", snippet.len());
        assert!(snippet.contains("requests.get(u)"), "{snippet}");
    }
    // The last call, at column 16_000 × 17 − 16: its window starts 80 bytes before it.
    let last = findings.last().expect("last");
    assert_eq!(last["line"], 2);
    assert_eq!(last["column"], 271_984);
    assert_eq!(
        last["snippet"],
        format!(
            "{}requests.get(u)",
            &calls[calls.len() - 95..calls.len() - 15]
        )
    );
}

#[test]
fn indentation_the_grammar_cannot_hold_skips_that_file_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut deep = String::from("import requests\n");
    for i in 0..511 {
        deep.push_str(&format!("{}if a:\n", " ".repeat(i)));
    }
    deep.push_str(&format!("{}x = \"s\"\n", " ".repeat(511)));
    write(dir.path(), "app/deep.py", deep.as_bytes());
    write(
        dir.path(),
        "app/ok.py",
        b"import requests\nrequests.get(u)\n",
    );
    let (code, report, stderr) = run_json(dir.path(), &["--select", "REL003"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        rules_and_lines(&report),
        [("REL003".to_string(), "app/ok.py".to_string(), 2)]
    );
    assert_eq!(
        errors(&report),
        [(
            "app/deep.py".to_string(),
            "skipped: 511 levels of indentation exceed the limit of 200".to_string()
        )]
    );
}

#[test]
fn lone_carriage_returns_end_lines() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "app/mac.py",
        b"import requests\r\rdef f(u):\r    return requests.get(u)\r",
    );
    let (_, report, _) = run_json(dir.path(), &["--select", "REL003"]);
    assert_eq!(
        rules_and_lines(&report),
        [("REL003".to_string(), "app/mac.py".to_string(), 4)]
    );
    assert_eq!(report["findings"][0]["column"], 12);
}

#[test]
fn a_latin1_settings_module_with_its_cookie_is_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "proj/settings.py",
        b"# -*- coding: latin-1 -*-\n# R\xe9glages\nSECRET_KEY = \"x\"\nDEBUG = True\nINSTALLED_APPS = []\n",
    );
    let (_, report, _) = run_json(dir.path(), &["--select", "SEC005", "--fail-on", "never"]);
    assert_eq!(
        rules_and_lines(&report),
        [("SEC005".to_string(), "proj/settings.py".to_string(), 4)]
    );
    assert_eq!(errors(&report), []);
}

#[test]
fn an_unreadable_settings_module_is_inconclusive_never_ready() {
    // Not UTF-8 and no cookie: Python would refuse it too, and the audit cannot see it.
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "proj/settings.py",
        b"# R\xe9glages\nDEBUG = True\nINSTALLED_APPS = []\n",
    );
    write(
        dir.path(),
        "proj/views.py",
        b"def index(request):\n    pass\n",
    );
    let (code, report, _) = run_json(dir.path(), &["--select", "SEC005"]);
    assert_eq!(code, 0);
    assert_eq!(report["recommendation"], "inconclusive");
    assert_eq!(
        report["inconclusive"],
        "the settings could not be read whole: proj/settings.py: skipped: not valid UTF-8 (at byte 3)"
    );

    // Over the size limit: skipped before it is read, and just as unseen.
    let big = tempfile::tempdir().expect("tempdir");
    let mut text = b"DEBUG = True\nINSTALLED_APPS = []\n".to_vec();
    text.resize(3 * 1024 * 1024, b'\n');
    write(big.path(), "proj/settings.py", &text);
    let (_, report, _) = run_json(big.path(), &["--select", "SEC005"]);
    assert_eq!(report["recommendation"], "inconclusive");
    assert_eq!(
        report["inconclusive"],
        "the settings could not be read whole: proj/settings.py: skipped: 3 MiB exceeds the 2 MiB limit"
    );
}

#[cfg(unix)]
#[test]
fn links_and_special_files_are_noted_not_followed_or_opened() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "app/ok.py", b"import pickle\npickle.loads(x)\n");
    let app = dir.path().join("app");
    std::os::unix::fs::symlink("ok.py", app.join("link.py")).expect("symlink");
    std::os::unix::fs::symlink("/nonexistent", app.join("gone.py")).expect("symlink");
    let fifo = std::process::Command::new("mkfifo")
        .arg(app.join("pipe.py"))
        .status()
        .expect("mkfifo");
    assert!(fifo.success());
    // `x` is of unknown origin: a low finding, which the gate counts at `--fail-on low`.
    let (code, report, stderr) = run_json(dir.path(), &["--select", "SEC022", "--fail-on", "low"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        rules_and_lines(&report),
        [("SEC022".to_string(), "app/ok.py".to_string(), 2)]
    );
    assert_eq!(
        errors(&report),
        [
            (
                "app/gone.py".to_string(),
                "skipped: a symbolic link (links are not followed)".to_string()
            ),
            (
                "app/link.py".to_string(),
                "skipped: a symbolic link (links are not followed)".to_string()
            ),
            (
                "app/pipe.py".to_string(),
                "skipped: not a regular file".to_string()
            ),
        ]
    );
}

#[test]
fn a_star_import_chain_past_the_bound_is_inconclusive_with_the_cut_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "proj/settings/__init__.py", b"");
    write(
        dir.path(),
        "proj/settings/production.py",
        b"SECRET_KEY = os.environ['K']\nINSTALLED_APPS = []\nfrom .m0 import *\n",
    );
    for i in 0..20 {
        let body = if i < 19 {
            format!("from .m{} import *\n", i + 1)
        } else {
            "DEBUG = True\n".to_string()
        };
        write(
            dir.path(),
            &format!("proj/settings/m{i}.py"),
            body.as_bytes(),
        );
    }
    let (code, report, stderr) = run_json(dir.path(), &["--select", "SEC005"]);
    assert_eq!(code, 0, "{stderr}");
    let cut = "`from .m16 import *` in proj/settings/m15.py:1 was not followed: star and from \
imports are followed 16 modules deep (the bound on import chains), so proj.settings.m16 and what it \
imports were not evaluated";
    assert_eq!(report["checks"][0]["status"], "n/a");
    assert_eq!(
        report["checks"][0]["note"],
        format!("undecidable in proj.settings.production: {cut}")
    );
    assert_eq!(report["recommendation"], "inconclusive");
    assert_eq!(
        report["inconclusive"],
        format!("the settings could not be read whole: proj.settings.production: {cut}")
    );
}

#[test]
fn a_long_run_of_comment_lines_is_parsed_once_and_findings_keep_their_lines() {
    // tree-sitter-python rescans a run of comment lines once per line (9,000 took 6 s); the
    // parser sees such runs as blank lines, the report the real text.
    let dir = tempfile::tempdir().expect("tempdir");
    let run = "# retired code, kept for reference\n".repeat(9_000);
    write(
        dir.path(),
        "app/legacy.py",
        format!("import requests\nif ready:\n{run}    requests.get(u)  # audit: ignore[REL003]\nrequests.post(u)\n").as_bytes(),
    );
    let (code, report, stderr) = run_json(dir.path(), &["--select", "REL003"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        rules_and_lines(&report),
        [("REL003".to_string(), "app/legacy.py".to_string(), 9_004)]
    );
    assert_eq!(report["findings"][0]["snippet"], "requests.post(u)");
    assert_eq!(report["summary"]["suppressed"], 1);
    assert_eq!(errors(&report), []);
}

#[test]
fn a_name_rebound_thousands_of_times_is_traced_within_the_budget() {
    // 5,000 rebindings of one name and 1,000 sinks after them: each sink's trace walks back
    // lazily and stops at the first binding that certainly ran, so the cost per sink does not
    // grow with the rebindings. The short chain keeps its request origin; the long one is
    // past the depth bound and is reported as of unknown origin.
    let mut src = String::from("def search(request, cursor):\n    q = request.GET['q']\n");
    for i in 0..3 {
        src.push_str(&format!("    q = q + ' AND a{i}'\n"));
    }
    src.push_str("    cursor.execute(f'SELECT 1 WHERE {q}')\n    y = 'x'\n");
    for i in 0..5000 {
        src.push_str(&format!("    y = y + str(v{i})\n"));
    }
    for _ in 0..1000 {
        src.push_str("    cursor.execute(f'SELECT {y}')\n");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "shop/views.py", src.as_bytes());
    let (code, report, stderr) = run_json(dir.path(), &["--select", "SEC017"]);
    assert_eq!(code, 1, "{stderr}");
    let findings = report["findings"].as_array().expect("findings");
    let count = |severity: &str, evidence: &str| {
        findings
            .iter()
            .filter(|f| f["severity"] == severity && f["evidence"] == evidence)
            .count()
    };
    assert_eq!(findings.len(), 1001);
    assert_eq!(count("critical", "request"), 1);
    assert_eq!(findings[0]["line"], 6);
    assert_eq!(count("medium", "unknown"), 1000);
    assert_eq!(report["errors"], serde_json::json!([]));
}
