//! Checks -> score, gates, launch recommendation and risk by category (DESIGN §6.1).

use crate::findings::{Category, Severity};
use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CheckStatus {
    Pass,
    Fail,
    #[serde(rename = "n/a")]
    NotApplicable,
}

/// One rule's verdict on the project.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub rule: String,
    pub status: CheckStatus,
    /// Active findings (after suppressions and baseline).
    pub findings: usize,
    /// Why the check is n/a, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(skip)]
    pub severity: Severity,
    #[serde(skip)]
    pub category: Category,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recommendation {
    DoNotLaunch,
    LaunchWithConditions,
    ReadyToLaunch,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    None,
    Low,
    Medium,
    High,
    Extreme,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Coverage {
    pub checks: usize,
    pub passed: usize,
    pub failed: usize,
    pub not_applicable: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Scorecard {
    /// After gates, one decimal.
    pub score: f64,
    /// Before gates, one decimal.
    pub raw_score: f64,
    pub recommendation: Recommendation,
    /// In `Category::ALL` order.
    pub risk: Vec<(Category, Risk)>,
    pub coverage: Coverage,
}
