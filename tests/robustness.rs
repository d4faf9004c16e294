//! Bad input never stops a run (DESIGN §9): each problem file is skipped or noted in `errors` and
//! the rest of the project is still audited.

mod common;
use common::{errors, rules_and_lines, run_json, write};

#[test]
fn empty_repository_is_a_clean_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, report, _) = run_json(dir.path(), &[]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["files"], 0);
    assert_eq!(rules_and_lines(&report), vec![]);
    // Nothing was seen, so nothing can be called ready.
    assert_eq!(report["recommendation"], "inconclusive");
    assert_eq!(
        report["inconclusive"],
        "no Django settings module was found"
    );
}

#[test]
fn syntax_errors_keep_findings_from_the_parseable_parts() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "app/views.py",
        b"import pickle\n\ndef broken(:\n    pass\n\ndef load(data):\n    return pickle.loads(data)\n",
    );
    let (_, report, _) = run_json(dir.path(), &["--select", "SEC022"]);
    assert_eq!(
        rules_and_lines(&report),
        vec![("SEC022".to_string(), "app/views.py".to_string(), 7)]
    );
    let errs = errors(&report);
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].0, "app/views.py");
    assert!(errs[0].1.starts_with("syntax error at 3:"), "{}", errs[0].1);
}

#[test]
fn binary_and_non_utf8_files_are_skipped_with_a_note() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "app/blob.py",
        b"import pickle\x00\x01pickle.loads(x)\n",
    );
    write(
        dir.path(),
        "app/latin1.py",
        b"# caf\xe9\nimport pickle\npickle.loads(x)\n",
    );
    write(dir.path(), "app/ok.py", b"import pickle\npickle.loads(x)\n");
    let (_, report, _) = run_json(dir.path(), &["--select", "SEC022"]);
    assert_eq!(
        rules_and_lines(&report),
        vec![("SEC022".to_string(), "app/ok.py".to_string(), 2)]
    );
    assert_eq!(
        errors(&report),
        vec![
            (
                "app/blob.py".to_string(),
                "skipped: binary content (NUL bytes)".to_string()
            ),
            (
                "app/latin1.py".to_string(),
                "skipped: not valid UTF-8 (at byte 5)".to_string()
            ),
        ]
    );
}

/// A module with `depth` nested lists, then a `depth`-term string concatenation reaching a shell.
fn nested_module(depth: usize) -> String {
    let mut src = String::from("import subprocess\nx = ");
    src.push_str(&"[".repeat(depth));
    src.push_str(&"]".repeat(depth));
    src.push_str("\ny = \"a\"");
    for i in 0..depth {
        src.push_str(&format!(" + v{i}"));
    }
    src.push_str("\nsubprocess.run(y, shell=True)\n");
    src
}

#[test]
fn deeply_nested_code_is_checked_up_to_the_depth_limit_and_skipped_past_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "app/deep.py", nested_module(3000).as_bytes());
    write(dir.path(), "app/nested.py", nested_module(900).as_bytes());
    // The command's parts are of unknown origin: medium findings, failing `--fail-on medium`.
    let (code, report, stderr) =
        run_json(dir.path(), &["--select", "SEC023", "--fail-on", "medium"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        rules_and_lines(&report),
        vec![("SEC023".to_string(), "app/nested.py".to_string(), 4)]
    );
    assert_eq!(
        errors(&report),
        vec![(
            "app/deep.py".to_string(),
            "skipped: syntax nested more than 1000 levels deep".to_string()
        )]
    );
}

#[cfg(unix)]
#[test]
fn symlink_loops_terminate() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "app/ok.py", b"import pickle\npickle.loads(x)\n");
    std::os::unix::fs::symlink(dir.path(), dir.path().join("app/loop")).expect("symlink");
    let (code, report, stderr) = run_json(dir.path(), &["--select", "SEC022", "--fail-on", "low"]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        rules_and_lines(&report),
        vec![("SEC022".to_string(), "app/ok.py".to_string(), 2)]
    );
}

#[test]
fn inline_ignores_hide_findings_and_unknown_ids_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "app/views.py",
        b"import pickle\npickle.loads(a)  # audit: ignore[SEC022] -- trusted cache\n# audit: ignore[SEC022]\npickle.loads(b)\npickle.loads(c)\n",
    );
    let (code, report, _) = run_json(dir.path(), &["--select", "SEC022", "--fail-on", "low"]);
    assert_eq!(code, 1);
    assert_eq!(
        rules_and_lines(&report),
        vec![("SEC022".to_string(), "app/views.py".to_string(), 5)]
    );
    assert_eq!(report["summary"]["suppressed"], 2);

    write(
        dir.path(),
        "app/other.py",
        b"x = 1  # audit: ignore[SEC999]\n",
    );
    let (code, _, stderr) = run_json(dir.path(), &["--select", "SEC022"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("app/other.py:1"), "{stderr}");
    assert!(stderr.contains("SEC999"), "{stderr}");
}

#[test]
fn baseline_hides_recorded_findings_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "app/views.py",
        b"import pickle\npickle.loads(a)\n",
    );
    let baseline = dir.path().join("baseline.json");
    let (code, _, _) = run_json(
        dir.path(),
        &[
            "--select",
            "SEC022",
            "--fail-on",
            "low",
            "--write-baseline",
            baseline.to_str().expect("utf8"),
        ],
    );
    assert_eq!(code, 1);
    // An unrelated edit shifts the old finding down; a new one appears.
    write(
        dir.path(),
        "app/views.py",
        b"import pickle\n\n\npickle.loads(a)\npickle.loads(b)\n",
    );
    let (_, report, _) = run_json(
        dir.path(),
        &[
            "--select",
            "SEC022",
            "--baseline",
            baseline.to_str().expect("utf8"),
        ],
    );
    assert_eq!(
        rules_and_lines(&report),
        vec![("SEC022".to_string(), "app/views.py".to_string(), 5)]
    );
    assert_eq!(report["summary"]["baselined"], 1);
}

#[test]
fn test_code_is_exempt_unless_a_rule_says_otherwise() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "app/tests/test_views.py",
        b"import pickle\npickle.loads(a)\n",
    );
    write(
        dir.path(),
        "app/conftest.py",
        b"import pickle\npickle.loads(a)\n",
    );
    let (code, report, _) = run_json(dir.path(), &["--select", "SEC022"]);
    assert_eq!(code, 0);
    assert_eq!(rules_and_lines(&report), vec![]);
}

#[test]
fn gitignored_and_excluded_files_are_not_scanned() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), ".gitignore", b"generated/\n");
    write(
        dir.path(),
        "generated/a.py",
        b"import pickle\npickle.loads(a)\n",
    );
    write(
        dir.path(),
        "vendor/b.py",
        b"import pickle\npickle.loads(a)\n",
    );
    write(
        dir.path(),
        ".venv/lib/c.py",
        b"import pickle\npickle.loads(a)\n",
    );
    write(dir.path(), "app/d.py", b"import pickle\npickle.loads(a)\n");
    let (_, report, _) = run_json(dir.path(), &["--select", "SEC022", "--exclude", "vendor"]);
    assert_eq!(
        rules_and_lines(&report),
        vec![("SEC022".to_string(), "app/d.py".to_string(), 2)]
    );
}

/// Thousands of helpers in one file, each a candidate for REL003's "called only from tasks"
/// lowering: every function's callers are looked up in one index, so this stays linear.
#[test]
fn many_helpers_in_one_file_are_each_judged_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("import requests\nfrom celery import shared_task\n\n");
    for i in 0..3000 {
        text.push_str(&format!("def f{i}(u):\n    return requests.get(u)\n\n"));
    }
    text.push_str("@shared_task\ndef nightly(u):\n    return f7(u)\n");
    write(dir.path(), "shop/client.py", text.as_bytes());
    let (code, report, stderr) = run_json(dir.path(), &["--select", "REL003"]);
    assert_eq!(code, 1, "{stderr}");
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 3000);
    // only f7 is called, and only from the task
    let medium: Vec<u64> = findings
        .iter()
        .filter(|f| f["severity"] == "medium")
        .map(|f| f["line"].as_u64().unwrap_or_default())
        .collect();
    assert_eq!(medium, vec![4 + 7 * 3 + 1]);
}

#[test]
fn a_helper_called_from_hundreds_of_files_is_left_as_it_was() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "shop/db.py",
        b"def run(cursor, kind):\n    cursor.execute(f\"SELECT * FROM t WHERE k = '{kind}'\")\n",
    );
    // Every caller passes a literal, but more files name it than are read for one question.
    for i in 0..300 {
        write(
            dir.path(),
            &format!("shop/use{i}.py"),
            format!("from shop.db import run\n\n\ndef f{i}(c):\n    return run(c, \"k{i}\")\n")
                .as_bytes(),
        );
    }
    let (_, report, stderr) = run_json(dir.path(), &["--select", "SEC017"]);
    assert_eq!(
        rules_and_lines(&report),
        vec![("SEC017".to_string(), "shop/db.py".to_string(), 2)],
        "{stderr}"
    );
    assert_eq!(report["findings"][0]["severity"], "medium");
}
