//! What a rule reports: one located finding, its severity and category, and its fingerprint.

use crate::model::provenance::Origin;
use crate::model::roles::Role;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Ordered from least to most severe so `>=` compares against `--fail-on`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL_DESC: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    /// Weight of a check of this severity in the score (DESIGN §6.1).
    pub fn weight(self) -> f64 {
        match self {
            Severity::Critical => 10.0,
            Severity::High => 7.5,
            Severity::Medium => 5.0,
            Severity::Low => 2.5,
            Severity::Info => 0.0,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Security,
    Reliability,
    Performance,
    DataIntegrity,
    Operations,
}

impl Category {
    pub const ALL: [Category; 5] = [
        Category::Security,
        Category::Reliability,
        Category::Performance,
        Category::DataIntegrity,
        Category::Operations,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Security => "security",
            Category::Reliability => "reliability",
            Category::Performance => "performance",
            Category::DataIntegrity => "data-integrity",
            Category::Operations => "operations",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One located result of one rule. Field order is the JSON contract (DESIGN §7.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub name: String,
    pub severity: Severity,
    pub category: Category,
    /// Relative to the scanned root, `/`-separated.
    pub path: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    pub message: String,
    /// The source lines of the match (whole lines, trimmed of trailing newline).
    pub snippet: String,
    pub fingerprint: String,
    /// Where the flagged code runs (DESIGN §4.4).
    pub role: Role,
    /// Where the value reaching the sink came from, for rules graded by provenance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Origin>,
    /// Byte range in the file, for code frames; not part of the JSON contract.
    #[serde(skip)]
    pub byte_range: (usize, usize),
    /// Byte offset in the file where `snippet` starts (start of `line`).
    #[serde(skip)]
    pub snippet_offset: usize,
    /// Whitespace-folded text of the matched node, the input of the fingerprint.
    #[serde(skip)]
    pub matched_text: String,
    /// A parameter that the project's callers of its function may settle (`pipeline::callers`).
    #[serde(skip)]
    pub settle: Option<Box<SettleQuestion>>,
}

/// What re-grading a finding by what the callers of its function pass needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettleQuestion {
    pub settle: crate::model::provenance::Settle,
    /// The most the finding may be whatever its callers pass: its clause, a lowering, its role.
    pub ceiling: Severity,
    /// The severity of each origin under the rule's grading; an origin left out gives none.
    pub grades: Vec<(Origin, Severity)>,
}

impl Finding {
    /// Sort key of the contract: path, line, column, rule.
    pub fn sort_key(&self) -> (&str, usize, usize, &str) {
        (&self.path, self.line, self.column, &self.rule)
    }
}

/// Folds runs of whitespace to one space so reformatting does not change a fingerprint.
pub fn fold_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max` characters, with `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// Stable 64-bit FNV-1a: fingerprints must not change between builds or platforms,
/// which rules out std's randomly seeded hasher.
pub fn stable_hash(parts: &[&str]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for byte in part.as_bytes().iter().chain(std::iter::once(&0u8)) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    hash
}

/// Assigns fingerprints to the findings of one file: hash of rule id, path, folded matched
/// text and the occurrence index among identical (rule, text) pairs, in line order.
pub fn assign_fingerprints(findings: &mut [Finding]) {
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let mut seen: std::collections::HashMap<(String, String, String), usize> =
        std::collections::HashMap::new();
    for finding in findings.iter_mut() {
        let key = (
            finding.rule.clone(),
            finding.path.clone(),
            finding.matched_text.clone(),
        );
        let index = seen.entry(key).or_insert(0);
        let hash = stable_hash(&[
            &finding.rule,
            &finding.path,
            &finding.matched_text,
            &index.to_string(),
        ]);
        *index += 1;
        finding.fingerprint = format!("{hash:016x}");
    }
}
