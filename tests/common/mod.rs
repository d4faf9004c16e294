//! Helpers shared by the end-to-end tests.

use serde_json::Value;

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
