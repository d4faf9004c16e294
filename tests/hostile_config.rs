//! Hostile or mistaken configuration: every value that could switch the gate off, stall the
//! run or be silently dropped is refused with exit 2 and a message located in the config file.

use assert_cmd::Command;
use std::path::Path;

/// A project with one REL003 finding (high), so `--fail-on never` is needed for exit 0.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("views.py"),
        "import requests\n\n\ndef f(u):\n    return requests.get(u)\n",
    )
    .expect("write");
    dir
}

/// Runs the binary in `dir` (paths in messages are then relative) and returns (code, stderr).
fn run_in(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("audit")
        .expect("binary")
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_has(haystack: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            haystack.contains(needle),
            "missing {needle:?} in:\n{haystack}"
        );
    }
}

#[test]
fn min_score_nan_or_out_of_range_is_a_usage_error() {
    let dir = project();
    for bad in ["nan", "11", "-1"] {
        let flag = format!("--min-score={bad}");
        let (code, stderr) = run_in(dir.path(), &[".", "--fail-on", "never", &flag, "-q"]);
        assert_eq!(code, 2, "{bad}: {stderr}");
        assert_has(
            &stderr,
            &[&format!(
                "invalid value '{bad}' for '--min-score <N>': the score must be a number from 0 to 10, not `{bad}`"
            )],
        );
    }
    // The gate still works with a valid value: the project scores below 10.
    let (code, _) = run_in(
        dir.path(),
        &[".", "--fail-on", "never", "--min-score", "10", "-q"],
    );
    assert_eq!(code, 1);
}

#[test]
fn broken_pyproject_is_refused_with_its_location() {
    let cases = [
        // A broken header hides the table itself.
        ("[tool.audit\nfail_on = \"never\"\n", "pyproject.toml:1:12"),
        // Damage elsewhere in the file.
        (
            "[tool.audit]\nfail_on = \"never\"\n[project\nname = \"x\"\n",
            "pyproject.toml:3:9",
        ),
        (
            "[project]\nname = 1 2\n[tool.audit]\nfail_on = \"never\"\n",
            "pyproject.toml:2:8",
        ),
    ];
    for (text, location) in cases {
        let dir = project();
        std::fs::write(dir.path().join("pyproject.toml"), text).expect("write");
        let (code, stderr) = run_in(dir.path(), &[".", "-q"]);
        assert_eq!(code, 2, "{text}: {stderr}");
        assert_has(&stderr, &["audit::config", location]);
    }
}

#[test]
fn config_exclude_rules_baseline_and_jobs_errors_point_into_the_config() {
    let cases = [
        (
            "fail_on = \"never\"\nexclude = [\"ok\", \"a[\"]\n",
            &[
                "audit.toml: invalid glob `a[` in `exclude`: unclosed character class; missing ']'",
                "/audit.toml:2:18]",
                "invalid glob",
            ][..],
        ),
        (
            "rules = [\"no-such-dir\"]\n",
            &[
                "audit.toml: rules directory `no-such-dir` does not exist (looked for ./no-such-dir)",
                "/audit.toml:1:10]",
            ][..],
        ),
        (
            "baseline = \"missing.json\"\n",
            &[
                "audit.toml: cannot use baseline ./missing.json: No such file or directory",
                "/audit.toml:1:12]",
            ][..],
        ),
        (
            "jobs = 0\n",
            &["audit.toml: jobs must be at least 1", "/audit.toml:1:8]"][..],
        ),
        (
            "min_score = nan\n",
            &[
                "audit.toml: min_score must be between 0 and 10, not NaN",
                "/audit.toml:1:13]",
            ][..],
        ),
    ];
    for (text, expected) in cases {
        let dir = project();
        std::fs::write(dir.path().join("audit.toml"), text).expect("write");
        let (code, stderr) = run_in(dir.path(), &[".", "-q"]);
        assert_eq!(code, 2, "{text}: {stderr}");
        assert_has(&stderr, expected);
    }
}

#[test]
fn jobs_beyond_the_cap_are_capped_with_a_warning() {
    let dir = project();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (code, stderr) = run_in(dir.path(), &[".", "--fail-on", "never", "--jobs", "100000"]);
    assert_eq!(code, 0, "{stderr}");
    assert_has(
        &stderr,
        &[&format!(
            "warning: 100000 jobs is more than 4 per core; using {}",
            cores * 4
        )],
    );
    std::fs::write(dir.path().join("audit.toml"), "jobs = 100000\n").expect("write");
    let (code, stderr) = run_in(dir.path(), &[".", "--fail-on", "never"]);
    assert_eq!(code, 0, "{stderr}");
    assert_has(&stderr, &["warning: 100000 jobs is more than 4 per core"]);
    let (code, stderr) = run_in(dir.path(), &[".", "--jobs", "0"]);
    assert_eq!(code, 2);
    assert_has(
        &stderr,
        &["the number of jobs must be a whole number of at least 1, not `0`"],
    );
}

#[test]
fn broken_manifests_are_noted_in_errors() {
    let dir = project();
    let files = [
        ("Pipfile", "[packages]\ndjango = \"==4.2\"\nbad = = 1\n"),
        ("poetry.lock", "[[package]\nname = \"x\"\n"),
        ("setup.cfg", "[options\ninstall_requires =\n  django\n"),
        ("Pipfile.lock", "{\"default\": "),
        (
            "sub/pyproject.toml",
            "[project\ndependencies = [\"django\"]\n",
        ),
    ];
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    let out = Command::cargo_bin("audit")
        .expect("binary")
        .current_dir(dir.path())
        .args([".", "--fail-on", "never", "--format", "json"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let errors: Vec<String> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            format!(
                "{}: {}",
                e["path"].as_str().unwrap_or(""),
                e["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        errors,
        vec![
            "Pipfile: not valid TOML at 3:7 (extra `=`, expected nothing); dependencies declared after it may be missing",
            "Pipfile.lock: not valid JSON at 1:12 (EOF while parsing a value); no dependencies were read",
            "poetry.lock: not valid TOML at 1:11 (unclosed array table, expected `]`); dependencies declared after it may be missing",
            "setup.cfg: not a valid setup.cfg at 1:1 (a section header without its closing `]`); dependencies after it may be missing",
            "sub/pyproject.toml: not valid TOML at 1:9 (unclosed table, expected `]`); dependencies declared after it may be missing",
        ]
    );
}
