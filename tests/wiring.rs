//! The `project` rules on a small project whose components are wired in every way the symbol
//! index must see: a dotted string in MIDDLEWARE, a package re-export, `apps.py ready()`, a
//! class base, a decorator; and left unwired: used only by tests, listed only in development.

mod common;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

fn report(rules: &str) -> Value {
    let (code, report, _) = common::run_json(
        Path::new("fixtures/rules/wiring"),
        &["--fail-on", "never", "--select", rules],
    );
    assert_eq!(code, 0);
    report
}

/// `RULE severity path:line` for every finding, in report order.
fn findings(report: &Value) -> Vec<String> {
    let severities = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| f["severity"].as_str().unwrap_or("").to_string());
    common::finding_lines(report)
        .into_iter()
        .zip(severities)
        .map(|(line, severity)| {
            let (rule, place) = line.split_once(' ').unwrap_or((&line, ""));
            format!("{rule} {severity} {place}")
        })
        .collect()
}

#[test]
fn wired_components_are_silent_and_unwired_ones_are_named_at_their_definitions() {
    let report = report("OPS009,OPS010,REL011,SEC025,PERF007,SEC020");
    assert_eq!(
        findings(&report),
        vec![
            "OPS009 info shop/infra/middleware.py:11",
            "OPS009 high shop/infra/middleware.py:16",
            "SEC025 high shop/infra/resilience.py:15",
            "PERF007 high shop/infra/resilience.py:20",
        ]
    );
    let messages: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["message"].as_str())
        .collect();
    assert!(
        messages[0].contains("it is listed only in config/settings/dev.py"),
        "{}",
        messages[0]
    );
    assert!(
        messages[1].contains(
            "add 'shop.infra.middleware.AuditHeadersMiddleware' to MIDDLEWARE in config/settings/production.py"
        ),
        "{}",
        messages[1]
    );
    let check = |id: &str| {
        report["checks"]
            .as_array()
            .expect("checks")
            .iter()
            .find(|c| c["rule"] == id)
            .cloned()
            .expect("check")
    };
    // The circuit breaker (used through the re-export), the pool (created in ready()) and the
    // retry policy (a class base) are wired: their checks pass.
    assert_eq!(check("REL011")["status"], "pass");
    assert_eq!(check("OPS010")["status"], "pass");
    // The decorator the project wrote is rate limiting in use.
    assert_eq!(check("SEC020")["status"], "pass");
    assert_eq!(
        check("SEC020")["note"],
        "passes on project evidence: `rate_limit` is used at shop/views.py:7"
    );
}

#[test]
fn stats_say_how_many_files_were_read_and_parsed() {
    let out = Command::cargo_bin("audit")
        .expect("binary")
        .args([
            "fixtures/rules/wiring",
            "--stats",
            "--format",
            "json",
            "-o",
            "/dev/null",
            "--fail-on",
            "never",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        STATS_LINE.to_string() + "\n"
    );
}

/// What the wiring fixture costs: every Python file is read, and the README for the words a
/// document rule looks for; the parsed ones are those a rule, the settings model, a
/// component's definition or a urlconf needs.
const STATS_LINE: &str = "stats: 18 files found, 18 read, 11 parsed (2018 bytes)";
