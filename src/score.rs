//! Checks -> score, gates, launch recommendation and risk by category (DESIGN §6.1).

use crate::findings::{Category, Finding, Severity};
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
    /// n/a because its inputs could not be decided (not because it does not apply).
    #[serde(skip)]
    pub undecided: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Recommendation {
    DoNotLaunch,
    LaunchWithConditions,
    ReadyToLaunch,
    /// Too little could be checked to call it ready.
    Inconclusive,
}

/// What the run could not see, for the verdict: without production settings, or with a
/// settings module that could not be read, "ready" would be a guess.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Visibility {
    pub settings_found: bool,
    /// Settings modules that could not be read or evaluated whole, with why.
    pub unreadable_settings: Vec<String>,
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
    /// Why the recommendation is inconclusive, when it is.
    pub inconclusive: Option<String>,
}

/// Score cap when any critical check fails (DESIGN §6.1).
const CRITICAL_CAP: f64 = 4.0;
/// Score cap when any high check fails and no critical does.
const HIGH_CAP: f64 = 7.0;
/// Below this score the recommendation cannot be "ready to launch".
const READY_THRESHOLD: f64 = 8.0;

/// Rounds to one decimal, the precision every report shows.
pub fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// Computes score, gates, recommendation, risk by category and coverage from the checks.
pub fn scorecard(checks: &[Check], seen: &Visibility) -> Scorecard {
    let raw_score = raw_score(checks);
    let failing = |severity: Severity| {
        checks
            .iter()
            .any(|c| c.status == CheckStatus::Fail && c.severity == severity)
    };
    let critical_failed = failing(Severity::Critical);
    let high_failed = failing(Severity::High);
    let score = if critical_failed {
        raw_score.min(CRITICAL_CAP)
    } else if high_failed {
        raw_score.min(HIGH_CAP)
    } else {
        raw_score
    };
    let mut inconclusive = None;
    let recommendation = if critical_failed {
        Recommendation::DoNotLaunch
    } else if high_failed || score < READY_THRESHOLD {
        Recommendation::LaunchWithConditions
    } else {
        inconclusive = why_inconclusive(checks, seen);
        if inconclusive.is_some() {
            Recommendation::Inconclusive
        } else {
            Recommendation::ReadyToLaunch
        }
    };
    Scorecard {
        score,
        raw_score,
        recommendation,
        risk: risk_by_category(checks),
        coverage: coverage(checks),
        inconclusive,
    }
}

/// DESIGN §6.1: no settings module, or less than half of the weight of the checks that apply
/// could be decided; and here also a settings module that could not be read whole.
fn why_inconclusive(checks: &[Check], seen: &Visibility) -> Option<String> {
    if !seen.unreadable_settings.is_empty() {
        return Some(format!(
            "the settings could not be read whole: {}",
            seen.unreadable_settings.join("; ")
        ));
    }
    if !seen.settings_found {
        return Some("no Django settings module was found".to_string());
    }
    let weight = |keep: &dyn Fn(&Check) -> bool| -> f64 {
        checks
            .iter()
            .filter(|c| keep(c))
            .map(|c| c.severity.weight())
            .sum()
    };
    let decided = weight(&|c| c.status != CheckStatus::NotApplicable);
    let undecided = weight(&|c| c.undecided);
    (undecided > decided).then(|| {
        format!(
            "less than half of the checks' weight could be decided ({} of {} checks undecidable)",
            checks.iter().filter(|c| c.undecided).count(),
            checks
                .iter()
                .filter(|c| c.status != CheckStatus::NotApplicable || c.undecided)
                .count()
        )
    })
}

/// `10 × Σ weight(pass) / Σ weight(pass or fail)`, one decimal; 10.0 when nothing weighs.
fn raw_score(checks: &[Check]) -> f64 {
    let (passed, decided) = checks
        .iter()
        .fold((0.0, 0.0), |(passed, decided), check| match check.status {
            CheckStatus::Pass => (
                passed + check.severity.weight(),
                decided + check.severity.weight(),
            ),
            CheckStatus::Fail => (passed, decided + check.severity.weight()),
            CheckStatus::NotApplicable => (passed, decided),
        });
    if decided > 0.0 {
        round1(10.0 * passed / decided)
    } else {
        10.0
    }
}

/// The risk of one category is set by the most severe failing check in it.
fn risk_by_category(checks: &[Check]) -> Vec<(Category, Risk)> {
    Category::ALL
        .iter()
        .map(|&category| {
            let worst = checks
                .iter()
                .filter(|c| c.category == category && c.status == CheckStatus::Fail)
                .map(|c| c.severity)
                .max();
            (category, worst.map_or(Risk::None, risk_of))
        })
        .collect()
}

fn risk_of(severity: Severity) -> Risk {
    match severity {
        Severity::Critical => Risk::Extreme,
        Severity::High => Risk::High,
        Severity::Medium => Risk::Medium,
        Severity::Low | Severity::Info => Risk::Low,
    }
}

fn coverage(checks: &[Check]) -> Coverage {
    let count = |status: CheckStatus| checks.iter().filter(|c| c.status == status).count();
    Coverage {
        checks: checks.len(),
        passed: count(CheckStatus::Pass),
        failed: count(CheckStatus::Fail),
        not_applicable: count(CheckStatus::NotApplicable),
    }
}

/// The CI gate (exit code 1): an active finding at or above `fail_on`, or a score below
/// `min_score`. `fail_on = None` is `--fail-on never`.
pub fn gate_failed(
    findings: &[Finding],
    fail_on: Option<Severity>,
    min_score: Option<f64>,
    score: f64,
) -> bool {
    let severity_gate = fail_on.is_some_and(|min| findings.iter().any(|f| f.severity >= min));
    let score_gate = min_score.is_some_and(|min| score < min);
    severity_gate || score_gate
}

impl Recommendation {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Recommendation::DoNotLaunch => "do-not-launch",
            Recommendation::LaunchWithConditions => "launch-with-conditions",
            Recommendation::ReadyToLaunch => "ready-to-launch",
            Recommendation::Inconclusive => "inconclusive",
        }
    }

    /// How reports spell it for people.
    pub fn headline(self) -> &'static str {
        match self {
            Recommendation::DoNotLaunch => "DO NOT LAUNCH",
            Recommendation::LaunchWithConditions => "LAUNCH WITH CONDITIONS",
            Recommendation::ReadyToLaunch => "READY TO LAUNCH",
            Recommendation::Inconclusive => "INCONCLUSIVE",
        }
    }
}

impl Risk {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Risk::None => "none",
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
            Risk::Extreme => "extreme",
        }
    }
}

impl CheckStatus {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckStatus::Pass => "pass",
            CheckStatus::Fail => "fail",
            CheckStatus::NotApplicable => "n/a",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rule: &str, severity: Severity, category: Category, status: CheckStatus) -> Check {
        Check {
            rule: rule.to_string(),
            status,
            findings: usize::from(status == CheckStatus::Fail),
            note: None,
            severity,
            category,
            undecided: false,
        }
    }

    /// A run that found and read its settings.
    const SEEN: Visibility = Visibility {
        settings_found: true,
        unreadable_settings: Vec::new(),
    };

    fn finding(severity: Severity) -> Finding {
        Finding {
            rule: "SEC001".into(),
            name: "x".into(),
            severity,
            category: Category::Security,
            path: "a.py".into(),
            line: 1,
            column: 1,
            end_line: 1,
            end_column: 2,
            message: "m".into(),
            snippet: "x".into(),
            fingerprint: "0".into(),
            role: Default::default(),
            evidence: None,
            byte_range: (0, 1),
            snippet_offset: 0,
            matched_text: "x".into(),
        }
    }

    use CheckStatus::{Fail, NotApplicable as Na, Pass};
    use Severity::{Critical, High, Info, Low, Medium};

    #[test]
    fn failing_critical_caps_at_four() {
        let checks = vec![
            check("SEC001", Critical, Category::Security, Fail),
            check("SEC002", Critical, Category::Security, Pass),
            check("SEC003", Critical, Category::Security, Pass),
            check("REL001", High, Category::Reliability, Pass),
            check("REL002", High, Category::Reliability, Fail),
            check("PERF001", Medium, Category::Performance, Pass),
            check("PERF002", Low, Category::Performance, Pass),
            check("OPS001", Info, Category::Operations, Fail),
            check("OPS002", Medium, Category::Operations, Na),
        ];
        // pass weight 10+10+7.5+5+2.5 = 35, decided 35+10+7.5 = 52.5 -> 6.666 -> 6.7
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.raw_score, 6.7);
        assert_eq!(card.score, 4.0);
        assert_eq!(card.recommendation, Recommendation::DoNotLaunch);
        assert_eq!(
            card.risk,
            vec![
                (Category::Security, Risk::Extreme),
                (Category::Reliability, Risk::High),
                (Category::Performance, Risk::None),
                (Category::DataIntegrity, Risk::None),
                (Category::Operations, Risk::Low),
            ]
        );
        assert_eq!(
            card.coverage,
            Coverage {
                checks: 9,
                passed: 5,
                failed: 3,
                not_applicable: 1
            }
        );
    }

    #[test]
    fn raw_of_six_point_four_is_capped_to_four() {
        // pass 7.5 + 7.5 + 2.5 = 17.5 of 27.5 -> 6.36 -> 6.4
        let checks = vec![
            check("SEC001", Critical, Category::Security, Fail),
            check("SEC002", High, Category::Security, Pass),
            check("SEC003", High, Category::Security, Pass),
            check("SEC004", Low, Category::Security, Pass),
        ];
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.raw_score, 6.4);
        assert_eq!(card.score, 4.0);
        assert_eq!(card.recommendation, Recommendation::DoNotLaunch);
    }

    #[test]
    fn low_raw_is_not_raised_by_the_cap() {
        let checks = vec![
            check("SEC001", Critical, Category::Security, Fail),
            check("SEC002", Low, Category::Security, Pass),
        ];
        // 2.5 / 12.5 = 2.0
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.raw_score, 2.0);
        assert_eq!(card.score, 2.0);
    }

    #[test]
    fn two_thirds_rounds_to_six_point_seven_and_high_caps_at_seven() {
        let checks = vec![
            check("REL001", Medium, Category::Reliability, Pass),
            check("REL002", Medium, Category::Reliability, Pass),
            check("REL003", Medium, Category::Reliability, Fail),
        ];
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.raw_score, 6.7);
        assert_eq!(card.score, 6.7);
        assert_eq!(card.recommendation, Recommendation::LaunchWithConditions);

        // A failing high with raw 8.0 (30 of 37.5) is capped at 7.0.
        let checks = vec![
            check("SEC001", Critical, Category::Security, Pass),
            check("SEC002", Critical, Category::Security, Pass),
            check("SEC003", Critical, Category::Security, Pass),
            check("SEC004", High, Category::Security, Fail),
        ];
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.raw_score, 8.0);
        assert_eq!(card.score, 7.0);
        assert_eq!(card.recommendation, Recommendation::LaunchWithConditions);
        assert_eq!(card.risk[0], (Category::Security, Risk::High));
    }

    #[test]
    fn all_not_applicable_scores_ten() {
        let checks = vec![
            check("SEC001", Critical, Category::Security, Na),
            check("OPS001", Medium, Category::Operations, Na),
        ];
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.raw_score, 10.0);
        assert_eq!(card.score, 10.0);
        assert_eq!(card.recommendation, Recommendation::ReadyToLaunch);
        assert!(card.risk.iter().all(|(_, r)| *r == Risk::None));
        assert_eq!(
            card.coverage,
            Coverage {
                checks: 2,
                passed: 0,
                failed: 0,
                not_applicable: 2
            }
        );
        assert_eq!(scorecard(&[], &SEEN).score, 10.0);
    }

    #[test]
    fn only_info_checks_score_ten_even_when_failing() {
        let checks = vec![check("OPS001", Info, Category::Operations, Fail)];
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.score, 10.0);
        assert_eq!(card.recommendation, Recommendation::ReadyToLaunch);
        assert_eq!(card.risk[4], (Category::Operations, Risk::Low));
    }

    #[test]
    fn medium_failures_below_eight_launch_with_conditions() {
        // pass 7.5, fail 5 + 2.5 -> 7.5 / 15 = 5.0
        let checks = vec![
            check("SEC001", High, Category::Security, Pass),
            check("DATA001", Medium, Category::DataIntegrity, Fail),
            check("DATA002", Low, Category::DataIntegrity, Fail),
        ];
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.score, 5.0);
        assert_eq!(card.recommendation, Recommendation::LaunchWithConditions);
        assert_eq!(card.risk[3], (Category::DataIntegrity, Risk::Medium));

        // pass 10 + 10 + 7.5 + 7.5, fail 2.5 -> 35 / 37.5 = 9.33 -> 9.3
        let checks = vec![
            check("SEC001", Critical, Category::Security, Pass),
            check("SEC002", Critical, Category::Security, Pass),
            check("SEC003", High, Category::Security, Pass),
            check("SEC004", High, Category::Security, Pass),
            check("OPS001", Low, Category::Operations, Fail),
        ];
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.score, 9.3);
        assert_eq!(card.recommendation, Recommendation::ReadyToLaunch);
    }

    #[test]
    fn gate_compares_findings_and_score() {
        let findings = vec![finding(Medium), finding(Low)];
        assert!(!gate_failed(&findings, Some(High), None, 3.0));
        assert!(gate_failed(&findings, Some(Medium), None, 3.0));
        assert!(gate_failed(&findings, Some(Info), None, 3.0));
        assert!(!gate_failed(&findings, None, None, 0.0));
        assert!(gate_failed(&findings, None, Some(8.0), 7.9));
        assert!(!gate_failed(&findings, None, Some(8.0), 8.0));
        assert!(!gate_failed(&[], Some(Info), Some(5.0), 10.0));
        assert!(gate_failed(
            &[finding(Critical)],
            Some(Critical),
            None,
            10.0
        ));
    }

    #[test]
    fn spellings_match_the_json_contract() {
        assert_eq!(
            Recommendation::LaunchWithConditions.as_str(),
            "launch-with-conditions"
        );
        assert_eq!(Recommendation::DoNotLaunch.headline(), "DO NOT LAUNCH");
        assert_eq!(Risk::Extreme.as_str(), "extreme");
        assert_eq!(CheckStatus::NotApplicable.as_str(), "n/a");
    }

    #[test]
    fn ready_needs_settings_read_whole_and_half_the_weight_decided() {
        let clean = vec![
            check(
                "SEC001",
                Severity::Critical,
                Category::Security,
                CheckStatus::Pass,
            ),
            check(
                "REL003",
                Severity::High,
                Category::Reliability,
                CheckStatus::Pass,
            ),
        ];
        assert_eq!(
            scorecard(&clean, &SEEN).recommendation,
            Recommendation::ReadyToLaunch
        );
        let blind = scorecard(&clean, &Visibility::default());
        assert_eq!(blind.recommendation, Recommendation::Inconclusive);
        assert_eq!(
            blind.inconclusive.as_deref(),
            Some("no Django settings module was found")
        );
        let unread = Visibility {
            settings_found: true,
            unreadable_settings: vec!["config/settings.py: skipped: not valid UTF-8".into()],
        };
        assert_eq!(
            scorecard(&clean, &unread).inconclusive.as_deref(),
            Some("the settings could not be read whole: config/settings.py: skipped: not valid UTF-8")
        );
        let mut mostly_unknown = clean.clone();
        for id in ["SEC004", "SEC005"] {
            let mut c = check(
                id,
                Severity::Critical,
                Category::Security,
                CheckStatus::NotApplicable,
            );
            c.undecided = true;
            mostly_unknown.push(c);
        }
        let card = scorecard(&mostly_unknown, &SEEN);
        assert_eq!(card.recommendation, Recommendation::Inconclusive);
        assert_eq!(
            card.inconclusive.as_deref(),
            Some(
                "less than half of the checks' weight could be decided (2 of 4 checks undecidable)"
            )
        );
        // A failing critical still says so: being blind elsewhere does not soften it.
        let mut failing = clean;
        failing[0].status = CheckStatus::Fail;
        assert_eq!(
            scorecard(&failing, &Visibility::default()).recommendation,
            Recommendation::DoNotLaunch
        );
    }
}
