//! Helpers shared by the end-to-end tests (each test crate uses some of them).
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

/// `RULE path:line` for every finding of a JSON report, in report order.
pub fn finding_lines(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}",
                f["rule"].as_str().unwrap_or_default(),
                f["path"].as_str().unwrap_or_default(),
                f["line"]
            )
        })
        .collect()
}

/// Runs `audit ROOT --format json EXTRA…`: (exit code, report or null, stderr).
pub fn run_json(root: &Path, extra: &[&str]) -> (i32, Value, String) {
    let out = Command::cargo_bin("audit")
        .expect("binary")
        .arg(root)
        .args(["--format", "json"])
        .args(extra)
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    let report = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (
        out.status.code().unwrap_or(-1),
        report,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `RULE status note` for every check of a JSON report (the note only when there is one).
pub fn check_notes(report: &Value) -> Vec<String> {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .map(|c| {
            let note = c["note"]
                .as_str()
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            format!(
                "{} {}{note}",
                c["rule"].as_str().unwrap_or_default(),
                c["status"].as_str().unwrap_or_default()
            )
        })
        .collect()
}

/// Writes `bytes` to `root/rel`, creating its folders.
pub fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, bytes).expect("write");
}

/// (rule, path, line) of every finding, in report order.
pub fn rules_and_lines(report: &Value) -> Vec<(String, String, u64)> {
    report["findings"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (
                        f["rule"].as_str().unwrap_or_default().to_string(),
                        f["path"].as_str().unwrap_or_default().to_string(),
                        f["line"].as_u64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// (path, message) of every `errors` entry.
pub fn errors(report: &Value) -> Vec<(String, String)> {
    report["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    (
                        e["path"].as_str().unwrap_or_default().to_string(),
                        e["message"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}
