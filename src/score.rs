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
    /// Some rule that reads the settings ran (else nothing looked for them).
    pub settings_wanted: bool,
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
    /// The gate set by the worst failing check, when a critical or high one fails.
    pub gate: Option<Gate>,
    /// Why the score is below the raw score ("capped at 4.0: …"), when the gate lowered it.
    pub cap: Option<String>,
    /// Why the recommendation is inconclusive, when it is.
    pub inconclusive: Option<String>,
    /// Below this score the recommendation cannot be "ready to launch".
    pub ready_threshold: f64,
}

/// The cap a failing critical or high check puts on the score.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Gate {
    /// The highest score allowed.
    pub limit: f64,
    /// The severity that set it.
    pub severity: Severity,
    /// The failing checks of that severity, by id.
    pub rules: Vec<String>,
}

impl Gate {
    /// "a critical check fails (SEC001)", "2 high checks fail (SEC005, SEC006)".
    pub fn reason(&self) -> String {
        let which = self.rules.join(", ");
        match self.rules.len() {
            1 => format!("a {} check fails ({which})", self.severity),
            n => format!("{n} {} checks fail ({which})", self.severity),
        }
    }
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

/// The severity a check weighs with. A failing check weighs what its findings say: the highest
/// severity among the findings that make it fail (per-finding severities may be lower than the
/// rule's, e.g. for code in a script or a value that is a constant). Any other check weighs its
/// rule's base severity.
pub fn check_severity(
    base: Severity,
    status: CheckStatus,
    failing: impl IntoIterator<Item = Severity>,
) -> Severity {
    match status {
        CheckStatus::Fail => failing.into_iter().max().unwrap_or(base),
        CheckStatus::Pass | CheckStatus::NotApplicable => base,
    }
}

/// Computes score, gates, recommendation, risk by category and coverage from the checks.
pub fn scorecard(checks: &[Check], seen: &Visibility) -> Scorecard {
    let raw_score = raw_score(checks);
    let failing = |severity: Severity| -> Vec<String> {
        checks
            .iter()
            .filter(|c| c.status == CheckStatus::Fail && c.severity == severity)
            .map(|c| c.rule.clone())
            .collect()
    };
    let gate = [
        (Severity::Critical, CRITICAL_CAP),
        (Severity::High, HIGH_CAP),
    ]
    .into_iter()
    .find_map(|(severity, limit)| {
        let rules = failing(severity);
        (!rules.is_empty()).then_some(Gate {
            limit,
            severity,
            rules,
        })
    });
    let score = gate.as_ref().map_or(raw_score, |g| raw_score.min(g.limit));
    let cap = gate
        .as_ref()
        .filter(|_| raw_score > score)
        .map(|g| format!("capped at {:.1}: {}", g.limit, g.reason()));
    let mut inconclusive = None;
    let recommendation = match gate.as_ref().map(|g| g.severity) {
        Some(Severity::Critical) => Recommendation::DoNotLaunch,
        Some(_) => Recommendation::LaunchWithConditions,
        None if score < READY_THRESHOLD => Recommendation::LaunchWithConditions,
        None => {
            inconclusive = why_inconclusive(checks, seen);
            if inconclusive.is_some() {
                Recommendation::Inconclusive
            } else {
                Recommendation::ReadyToLaunch
            }
        }
    };
    Scorecard {
        score,
        raw_score,
        recommendation,
        risk: risk_by_category(checks),
        coverage: coverage(checks),
        gate,
        cap,
        inconclusive,
        ready_threshold: READY_THRESHOLD,
    }
}

/// DESIGN §6.1: no settings module, or less than half of the weight of the checks that apply
/// could be decided; and here also a settings module that could not be read whole. A check
/// that is n/a because its inputs are undecidable counts as applicable but not decided; one
/// that is n/a because it does not apply counts neither way. When nothing that weighs applies
/// at all, nothing was decided either: that is not "ready".
fn why_inconclusive(checks: &[Check], seen: &Visibility) -> Option<String> {
    if !seen.unreadable_settings.is_empty() {
        return Some(format!(
            "the settings could not be read whole: {}",
            seen.unreadable_settings.join("; ")
        ));
    }
    if !seen.settings_wanted {
        return Some("no rule that reads the Django settings ran".to_string());
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
    if decided + undecided == 0.0 {
        return Some("no check that carries weight applies".to_string());
    }
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
        settings_wanted: true,
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
            settle: None,
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
    fn all_not_applicable_scores_ten_but_is_inconclusive() {
        let checks = vec![
            check("SEC001", Critical, Category::Security, Na),
            check("OPS001", Medium, Category::Operations, Na),
        ];
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.raw_score, 10.0);
        assert_eq!(card.score, 10.0);
        // Nothing was checked: the score stands, but it is no evidence of readiness.
        assert_eq!(card.recommendation, Recommendation::Inconclusive);
        assert_eq!(
            card.inconclusive.as_deref(),
            Some("no check that carries weight applies")
        );
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
        assert_eq!(card.recommendation, Recommendation::Inconclusive);
        assert_eq!(card.risk[4], (Category::Operations, Risk::Low));
        // With one low check beside it, there is weight to judge by.
        let mut checks = checks;
        checks.push(check("OPS002", Low, Category::Operations, Pass));
        assert_eq!(
            scorecard(&checks, &SEEN).recommendation,
            Recommendation::ReadyToLaunch
        );
    }

    #[test]
    fn a_failing_check_weighs_its_worst_finding() {
        // A critical rule whose only finding is medium fails as a medium check.
        assert_eq!(check_severity(Critical, Fail, [Medium]), Medium);
        assert_eq!(check_severity(Critical, Fail, [Low, High, Medium]), High);
        // A finding may also weigh more than its rule's base.
        assert_eq!(check_severity(Medium, Fail, [Critical]), Critical);
        // Passing and n/a checks weigh the rule's base severity; findings do not matter.
        assert_eq!(check_severity(Critical, Pass, []), Critical);
        assert_eq!(check_severity(High, Na, [Low]), High);
        // A failure without findings to read keeps the base.
        assert_eq!(check_severity(High, Fail, []), High);
    }

    #[test]
    fn a_critical_rule_with_only_a_medium_finding_does_not_cap() {
        // SEC017 is a critical rule; its one finding was lowered to medium (a script, say).
        let sec017 = check_severity(Critical, Fail, [Medium]);
        let checks = vec![
            check("SEC001", Critical, Category::Security, Pass),
            check("SEC003", Critical, Category::Security, Pass),
            check("REL003", High, Category::Reliability, Pass),
            check("SEC017", sec017, Category::Security, Fail),
        ];
        // pass 10 + 10 + 7.5 = 27.5 of 32.5 -> 8.46 -> 8.5; with SEC017 at 10 it would be 7.3.
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.raw_score, 8.5);
        assert_eq!(card.score, 8.5);
        assert_eq!(card.gate, None);
        assert_eq!(card.cap, None);
        assert_eq!(card.recommendation, Recommendation::ReadyToLaunch);
        assert_eq!(card.risk[0], (Category::Security, Risk::Medium));

        // Its finding at high instead: capped at 7.0, launch with conditions.
        let mut checks = checks;
        checks[3].severity = check_severity(Critical, Fail, [High, Low]);
        let card = scorecard(&checks, &SEEN);
        // pass 27.5 of 35 -> 7.86 -> 7.9
        assert_eq!(card.raw_score, 7.9);
        assert_eq!(card.score, 7.0);
        assert_eq!(
            card.cap.as_deref(),
            Some("capped at 7.0: a high check fails (SEC017)")
        );
        assert_eq!(card.recommendation, Recommendation::LaunchWithConditions);
        assert_eq!(card.risk[0], (Category::Security, Risk::High));
    }

    #[test]
    fn the_cap_is_named_only_when_it_lowers_the_score() {
        let checks = vec![
            check("SEC001", Critical, Category::Security, Fail),
            check("SEC002", Critical, Category::Security, Fail),
            check("SEC003", High, Category::Security, Pass),
        ];
        // pass 7.5 of 27.5 -> 2.7: below the cap, so nothing was capped.
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.score, 2.7);
        assert_eq!(card.cap, None);
        let gate = card.gate.expect("a critical check fails");
        assert_eq!((gate.limit, gate.severity), (4.0, Critical));
        assert_eq!(gate.reason(), "2 critical checks fail (SEC001, SEC002)");
        assert_eq!(card.recommendation, Recommendation::DoNotLaunch);
    }

    #[test]
    fn settings_that_were_never_looked_for_are_not_called_missing() {
        let checks = vec![check("SEC001", Critical, Category::Security, Pass)];
        let card = scorecard(
            &checks,
            &Visibility {
                settings_wanted: false,
                settings_found: false,
                unreadable_settings: Vec::new(),
            },
        );
        assert_eq!(card.recommendation, Recommendation::Inconclusive);
        assert_eq!(
            card.inconclusive.as_deref(),
            Some("no rule that reads the Django settings ran")
        );
    }

    #[test]
    fn exactly_half_decided_is_enough() {
        let mut undecided = check("SEC004", High, Category::Security, Na);
        undecided.undecided = true;
        // Not applicable (no dependency) counts neither way.
        let checks = vec![
            check("SEC001", High, Category::Security, Pass),
            undecided,
            check("SEC002", Critical, Category::Security, Na),
        ];
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.recommendation, Recommendation::ReadyToLaunch);
        let mut checks = checks;
        checks[0].severity = Medium;
        let card = scorecard(&checks, &SEEN);
        assert_eq!(card.recommendation, Recommendation::Inconclusive);
        assert_eq!(
            card.inconclusive.as_deref(),
            Some(
                "less than half of the checks' weight could be decided (1 of 2 checks undecidable)"
            )
        );
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
        let blind = scorecard(
            &clean,
            &Visibility {
                settings_found: false,
                ..SEEN
            },
        );
        assert_eq!(blind.recommendation, Recommendation::Inconclusive);
        assert_eq!(
            blind.inconclusive.as_deref(),
            Some("no Django settings module was found")
        );
        let unread = Visibility {
            settings_found: true,
            settings_wanted: true,
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
