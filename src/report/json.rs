//! `--format json` (DESIGN §7.1, `schema_version` 1). Typed structs, not `serde_json::Value`,
//! because `Value` maps sort their keys and the key order is part of the contract.

use super::{AuditResult, FileError};
use crate::findings::{Finding, Severity};
use crate::model::settings::SettingsChoice;
use crate::plan::{ChecklistItem, Phase};
use crate::score::{round1, Check, Coverage, Recommendation, Risk};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    root: &'a str,
    score: f64,
    raw_score: f64,
    recommendation: Recommendation,
    /// Why the recommendation is `inconclusive`, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    inconclusive: Option<&'a str>,
    /// Why the score is below the raw score, when a gate lowered it.
    #[serde(skip_serializing_if = "Option::is_none")]
    cap: Option<&'a str>,
    /// The settings module audited and why; `null` when none was found.
    settings: Option<&'a SettingsChoice>,
    risk: RiskMap<'a>,
    coverage: &'a Coverage,
    summary: Summary<'a>,
    checks: &'a [Check],
    findings: &'a [Finding],
    plan: &'a [Phase],
    checklist: &'a [ChecklistItem],
    errors: &'a [FileError],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary<'a> {
    files: usize,
    /// Python files per code role.
    roles: &'a std::collections::BTreeMap<crate::model::roles::Role, usize>,
    critical: usize,
    high: usize,
    medium: usize,
    low: usize,
    info: usize,
    suppressed: usize,
    baselined: usize,
}

/// Risk by category as an object keyed by category name, in `Category::ALL` order.
struct RiskMap<'a>(&'a [(crate::findings::Category, Risk)]);

impl Serialize for RiskMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (category, risk) in self.0 {
            map.serialize_entry(category.as_str(), risk)?;
        }
        map.end()
    }
}

/// Renders the whole result as pretty-printed JSON with a trailing newline.
pub fn render(result: &AuditResult) -> String {
    let verdict = &result.verdict;
    let document = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "audit",
            version: env!("CARGO_PKG_VERSION"),
        },
        root: &result.root,
        score: round1(verdict.card.score),
        raw_score: round1(verdict.card.raw_score),
        recommendation: verdict.card.recommendation,
        inconclusive: verdict.card.inconclusive.as_deref(),
        cap: verdict.card.cap.as_deref(),
        settings: result.settings.as_ref(),
        risk: RiskMap(&verdict.card.risk),
        coverage: &verdict.card.coverage,
        summary: summary(result),
        checks: &result.checks,
        findings: &result.findings,
        plan: &verdict.plan.phases,
        checklist: &verdict.checklist,
        errors: &result.errors,
    };
    // Serializing plain structs of strings and numbers cannot fail; a NaN score would become
    // `null` rather than an error, so the fallback is never reached in practice.
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_else(|e| {
        format!("{{\"schema_version\": {SCHEMA_VERSION}, \"error\": \"{e}\"}}")
    });
    text.push('\n');
    text
}

fn summary(result: &AuditResult) -> Summary<'_> {
    let count = |severity: Severity| result.verdict.counts.findings(severity);
    Summary {
        files: result.files,
        roles: &result.roles,
        critical: count(Severity::Critical),
        high: count(Severity::High),
        medium: count(Severity::Medium),
        low: count(Severity::Low),
        info: count(Severity::Info),
        suppressed: result.suppressed.len(),
        baselined: result.baselined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Category;
    use crate::plan::tests::sample_report as sample_result;

    #[test]
    fn renders_the_contract_shape() {
        insta::assert_snapshot!(render(&sample_result()));
    }

    #[test]
    fn output_is_stable_and_keys_keep_their_order() {
        let result = sample_result();
        let text = render(&result);
        assert_eq!(text, render(&result));
        assert!(text.ends_with("}\n"));
        let keys = [
            "\"schema_version\"",
            "\"tool\"",
            "\"root\"",
            "\"score\"",
            "\"raw_score\"",
            "\"recommendation\"",
            "\"settings\"",
            "\"risk\"",
            "\"coverage\"",
            "\"summary\"",
            "\"checks\"",
            "\"findings\"",
            "\"plan\"",
            "\"checklist\"",
            "\"errors\"",
        ];
        // Top-level keys are the ones indented by exactly two spaces.
        let positions: Vec<usize> = keys
            .iter()
            .filter_map(|k| text.find(&format!("\n  {k}: ")))
            .collect();
        assert_eq!(positions.len(), keys.len());
        assert!(positions.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn whole_scores_keep_one_decimal_and_values_parse_back() {
        let mut result = sample_result();
        result.verdict.card.score = 3.0;
        let text = render(&result);
        assert!(text.contains("\"score\": 3.0,"));
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["schema_version"], 1);
        assert_eq!(value["recommendation"], "do-not-launch");
        assert_eq!(value["risk"]["data-integrity"], "extreme");
        assert_eq!(value["summary"]["critical"], 9);
        assert_eq!(value["checks"][0]["status"], "fail");
        assert_eq!(value["plan"][0]["steps"][0]["rule"], "SEC017");
        assert_eq!(
            value["risk"]
                .as_object()
                .map(|m| m.len())
                .unwrap_or_default(),
            Category::ALL.len()
        );
    }
}
