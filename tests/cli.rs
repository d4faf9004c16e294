//! End-to-end: the binary on the fixtures, asserting exact findings, exit codes and bytes.

use assert_cmd::Command;
use serde_json::Value;

mod common;
use common::finding_lines;

fn audit() -> Command {
    let mut cmd = Command::cargo_bin("audit").expect("binary");
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Runs `audit ARGS --format json` and returns (exit code, parsed report).
fn json_report(args: &[&str]) -> (i32, Value) {
    let out = audit()
        .args(args)
        .args(["--format", "json"])
        .output()
        .expect("run");
    let code = out.status.code().unwrap_or(-1);
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (code, report)
}

const SEED_FINDINGS: &[&str] = &[
    // The web server's command line, in the Dockerfile.
    "REL002 Dockerfile:20",
    "REL012 apps/backend/apps/core/prisma_client.py:4",
    "REL007 apps/backend/apps/core/views.py:5",
    "SEC022 apps/backend/apps/stories/importers.py:13",
    "REL010 apps/backend/apps/stories/tasks.py:13",
    "SEC023 apps/backend/apps/stories/tasks.py:20",
    "REL006 apps/backend/apps/stories/tasks.py:32",
    "REL003 apps/backend/apps/stories/tasks.py:45",
    "SEC024 apps/backend/apps/stories/tasks.py:45",
    "SEC018 apps/backend/apps/stories/templatetags/story_tags.py:10",
    "OPS005 apps/backend/apps/stories/views.py:19",
    "SEC022 apps/backend/apps/stories/views.py:32",
    "SEC017 apps/backend/apps/stories/views.py:99",
    "REL003 apps/backend/apps/users/clerk.py:13",
    "REL004 apps/backend/apps/users/middleware.py:29",
    "REL004 apps/backend/apps/users/middleware.py:31",
    "REL004 apps/backend/apps/users/middleware.py:35",
    "REL004 apps/backend/apps/users/middleware.py:36",
    "REL006 apps/backend/apps/users/middleware.py:60",
    "SEC001 apps/backend/apps/users/middleware.py:90",
    "SEC002 apps/backend/apps/users/webhooks.py:9",
    "SEC017 apps/backend/apps/whispers/views.py:44",
    "PERF008 apps/backend/apps/whispers/views.py:54",
    "PERF008 apps/backend/apps/whispers/views.py:55",
    // Settings rules (tests/settings.rs checks them one by one). Absent settings point at line 1.
    "DATA003 apps/backend/config/settings.py:1",
    "OPS006 apps/backend/config/settings.py:1",
    "OPS007 apps/backend/config/settings.py:1",
    "REL009 apps/backend/config/settings.py:1",
    "REL013 apps/backend/config/settings.py:1",
    "REL014 apps/backend/config/settings.py:1",
    "SEC011 apps/backend/config/settings.py:1",
    "SEC012 apps/backend/config/settings.py:1",
    "SEC013 apps/backend/config/settings.py:1",
    "SEC014 apps/backend/config/settings.py:1",
    "SEC004 apps/backend/config/settings.py:23",
    "SEC005 apps/backend/config/settings.py:25",
    "SEC006 apps/backend/config/settings.py:27",
    "SEC008 apps/backend/config/settings.py:48",
    "SEC010 apps/backend/config/settings.py:48",
    "SEC028 apps/backend/config/settings.py:48",
    "REL001 apps/backend/config/settings.py:84",
    "SEC007 apps/backend/config/settings.py:88",
    "OPS004 apps/backend/config/settings.py:89",
    "SEC015 apps/backend/config/settings.py:148",
    "SEC007 apps/backend/config/settings.py:163",
    "OPS004 apps/backend/config/settings.py:169",
    "OPS004 apps/backend/config/settings.py:181",
    "OPS004 apps/backend/config/settings.py:182",
    "OPS004 apps/backend/config/settings.py:183",
    // Project rules: components defined but never wired in, at their definitions.
    "OPS003 infrastructure/audit_log.py:10",
    "PERF007 infrastructure/cache_manager.py:11",
    "REL011 infrastructure/circuit_breaker.py:20",
    "REL001 infrastructure/connection_pool.py:12",
    "OPS002 infrastructure/metrics.py:6",
    "OPS001 infrastructure/middleware.py:9",
    "OPS009 infrastructure/middleware.py:9",
    "OPS009 infrastructure/middleware.py:23",
    "OPS009 infrastructure/rate_limiter.py:37",
    "SEC020 infrastructure/rate_limiter.py:37",
    "SEC025 infrastructure/secrets_manager.py:14",
];

#[test]
fn seed_app_reports_exactly_the_expected_findings() {
    let (code, report) = json_report(&["fixtures/seed-app"]);
    assert_eq!(code, 1, "a seed app with critical findings fails the gate");
    assert_eq!(finding_lines(&report), SEED_FINDINGS);
    assert_eq!(report["recommendation"], "do-not-launch");
    let score = report["score"].as_f64().expect("score");
    assert!(
        score <= 4.0,
        "critical findings cap the score at 4.0, got {score}"
    );
}

#[test]
fn seed_app_sec001_finding_is_located_exactly() {
    let (_, report) = json_report(&["fixtures/seed-app", "--select", "SEC001"]);
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(f["path"], "apps/backend/apps/users/middleware.py");
    assert_eq!(
        (f["line"].as_u64(), f["column"].as_u64()),
        (Some(90), Some(19))
    );
    assert_eq!(
        (f["end_line"].as_u64(), f["end_column"].as_u64()),
        (Some(90), Some(73))
    );
    assert_eq!(
        f["snippet"],
        "        decoded = jwt.decode(token, options={\"verify_signature\": False})"
    );
    assert_eq!(f["fingerprint"].as_str().map(str::len), Some(16));
}

#[test]
fn clean_app_passes_with_no_critical_or_high_finding() {
    let (code, report) = json_report(&["fixtures/clean-app"]);
    assert_eq!(code, 0, "findings: {:?}", finding_lines(&report));
    assert_eq!(finding_lines(&report), Vec::<String>::new());
    assert_eq!(report["summary"]["critical"], 0);
    assert_eq!(report["summary"]["high"], 0);
    assert_eq!(report["recommendation"], "ready-to-launch");
    assert_eq!(report["score"].as_f64(), Some(10.0));
}

#[test]
fn seed_app_json_matches_snapshot() {
    let out = audit()
        .args(["fixtures/seed-app", "--format", "json"])
        .output()
        .expect("run");
    insta::assert_snapshot!("seed_app_json", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn clean_app_json_matches_snapshot() {
    let out = audit()
        .args(["fixtures/clean-app", "--format", "json"])
        .output()
        .expect("run");
    insta::assert_snapshot!("clean_app_json", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn seed_app_terminal_matches_snapshot() {
    let out = audit()
        .args(["fixtures/seed-app", "--color", "never"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!text.contains('\u{1b}'), "no colour when not asked for");
    insta::assert_snapshot!("seed_app_terminal", text);
}

#[test]
fn output_is_byte_identical_across_runs_and_thread_counts() {
    let run = |jobs: &str, format: &str| {
        audit()
            .args(["fixtures/seed-app", "--format", format, "--jobs", jobs])
            .output()
            .expect("run")
            .stdout
    };
    for format in ["json", "terminal"] {
        let first = run("1", format);
        assert!(!first.is_empty());
        assert_eq!(first, run("2", format), "{format} differs between runs");
        assert_eq!(first, run("4", format), "{format} differs between runs");
    }
}

#[test]
fn select_and_ignore_filter_rules_by_id_and_prefix() {
    let (_, report) = json_report(&["fixtures/seed-app", "--select", "REL"]);
    let rules: Vec<&str> = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["rule"].as_str())
        .collect();
    assert!(rules.iter().all(|r| r.starts_with("REL")), "{rules:?}");
    let (_, report) = json_report(&["fixtures/seed-app", "--ignore", "SEC,PERF,REL003"]);
    // The full list less the ignored rules, in the same order; nothing else appears.
    let expected: Vec<&str> = SEED_FINDINGS
        .iter()
        .copied()
        .filter(|f| !(f.starts_with("SEC") || f.starts_with("PERF") || f.starts_with("REL003 ")))
        .collect();
    assert_eq!(expected.len(), 31);
    assert_eq!(finding_lines(&report), expected);
}

#[test]
fn fail_on_sets_the_exit_code() {
    // Only low findings (REL006, `except Exception: pass`) are selected: they fail `--fail-on low`
    // but neither `medium` nor the default.
    let code = |extra: &[&str]| {
        audit()
            .args([
                "fixtures/seed-app",
                "--select",
                "REL006",
                "--format",
                "json",
            ])
            .args(extra)
            .output()
            .expect("run")
            .status
            .code()
    };
    assert_eq!(code(&[]), Some(0));
    assert_eq!(code(&["--fail-on", "medium"]), Some(0));
    assert_eq!(code(&["--fail-on", "low"]), Some(1));
    assert_eq!(code(&["--fail-on", "never"]), Some(0));
    assert_eq!(code(&["--min-score", "9.5"]), Some(1));
}

#[test]
fn usage_errors_exit_2() {
    let code = |args: &[&str]| audit().args(args).output().expect("run").status.code();
    assert_eq!(code(&["fixtures/does-not-exist"]), Some(2));
    assert_eq!(code(&["fixtures/seed-app", "--select", "XYZ999"]), Some(2));
    assert_eq!(code(&["fixtures/seed-app", "--format", "pdf"]), Some(2));
    assert_eq!(
        code(&["fixtures/seed-app", "--fail-on", "sometimes"]),
        Some(2)
    );
}

#[test]
fn output_file_receives_the_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("report.json");
    let out = audit()
        .args(["fixtures/seed-app", "--format", "json", "-o"])
        .arg(&path)
        .output()
        .expect("run");
    assert!(out.stdout.is_empty());
    let written = std::fs::read(&path).expect("report written");
    let direct = audit()
        .args(["fixtures/seed-app", "--format", "json"])
        .output()
        .expect("run")
        .stdout;
    assert_eq!(written, direct);
}

#[test]
fn suppression_markers_inside_strings_do_not_count() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Malformed only if it were a comment: the run goes on.
    std::fs::write(dir.path().join("a.py"), "x = \"# audit: ignore[\"\n").expect("write");
    // A marker in a string does not hide the finding on its line; a real comment does.
    std::fs::write(
        dir.path().join("v.py"),
        "import requests\n\n\ndef f(u):\n    return requests.get(u, headers=get(\"# audit: ignore[REL003]\"))\n\n\ndef g(u):\n    return requests.get(u)  # audit: ignore[REL003] -- \"quoted\" reason\n",
    )
    .expect("write");
    let root = dir.path().to_str().expect("utf-8 path");
    let (code, report) = json_report(&[root, "--fail-on", "never"]);
    assert_eq!(code, 0);
    assert_eq!(finding_lines(&report), vec!["REL003 v.py:5"]);
    assert_eq!(report["summary"]["suppressed"], 1);
    assert_eq!(report["errors"], serde_json::json!([]));
    let (code, _) = json_report(&[root]);
    assert_eq!(code, 1);
}

/// A TypeScript + Prisma service: no Python and no Django settings. Nothing was checked, so the
/// verdict is inconclusive, however clean the (vacuous) score; the exit code follows the gate.
#[test]
fn a_repository_without_python_is_inconclusive() {
    let (code, report) = json_report(&["fixtures/rules/no-python"]);
    assert_eq!(code, 0);
    assert_eq!(report["recommendation"], "inconclusive");
    assert_eq!(
        report["inconclusive"],
        "no Django settings module was found"
    );
    assert_eq!(report["score"].as_f64(), Some(10.0));
    assert_eq!(report["raw_score"].as_f64(), Some(10.0));
    assert_eq!(report.get("cap"), None);
    assert_eq!(
        report["coverage"],
        serde_json::json!({"checks": 53, "passed": 0, "failed": 0, "not_applicable": 53})
    );
    assert_eq!(report["summary"]["files"], 3);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(report["plan"], serde_json::json!([]));
    assert_eq!(report["checklist"], serde_json::json!([]));
    // Per-file rules had no Python to read; settings rules had no settings module.
    let notes = |note: &str| {
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .filter(|c| c["status"] == "n/a" && c["note"] == note)
            .count()
    };
    assert_eq!(
        notes("not applicable: no Python source files in the project"),
        13
    );
    assert_eq!(
        notes("not applicable: no Django settings module was found"),
        19
    );
    // The gate is about findings and --min-score, not the recommendation.
    let (code, _) = json_report(&["fixtures/rules/no-python", "--fail-on", "low"]);
    assert_eq!(code, 0);

    let out = audit()
        .args(["fixtures/rules/no-python", "--color", "never"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let expected = format!(
        "audit {} · production readiness

  Root            fixtures/rules/no-python
  Files           3 scanned
  Code roles      no Python files
  Score           10.0/10
  Recommendation  INCONCLUSIVE (no Django settings module was found)
  Settings        none found
  Findings        0 critical, 0 high, 0 medium, 0 low, 0 info
  Coverage        53 checks: 0 passed, 0 failed, 53 n/a

Risk by area
  security        NONE
  reliability     NONE
  performance     NONE
  data-integrity  NONE
  operations      NONE

Findings
────────
No findings.

No check that ran fails, but too little could be checked to call this ready.
",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}
