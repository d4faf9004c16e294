//! The run's result and its verdict (DESIGN §6.1): score, recommendation, risk, coverage, plan,
//! checklist, ranking and counts are computed here once, before rendering; the renderers in
//! `report/` only format these values.

use crate::findings::{Finding, Severity};
use crate::plan::{self, ChecklistItem, Plan};
use crate::rules::rule::RuleMeta;
use crate::score::{self, Check, Scorecard, Visibility};
use serde::Serialize;

/// A file that was skipped or only partly understood.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileError {
    pub path: String,
    pub message: String,
}

/// Everything a run produced, in its final order.
#[derive(Clone, Debug)]
pub struct AuditResult {
    /// The scanned root as given on the command line.
    pub root: String,
    /// Files considered (after excludes).
    pub files: usize,
    /// Metadata of every rule that ran (selected, loaded), sorted by id.
    pub rules: Vec<RuleMeta>,
    /// One per rule, sorted by id.
    pub checks: Vec<Check>,
    /// Active findings sorted by path, line, column, rule.
    pub findings: Vec<Finding>,
    /// Findings hidden by inline ignores.
    pub suppressed: Vec<Finding>,
    /// Number of findings hidden by the baseline.
    pub baselined: usize,
    pub errors: Vec<FileError>,
    pub verdict: Verdict,
    /// Python files per code role.
    pub roles: std::collections::BTreeMap<crate::model::roles::Role, usize>,
    /// The production settings module audited and why; `None` when none was found.
    pub settings: Option<crate::model::settings::SettingsChoice>,
    /// How much of the repository was read and parsed, for `--stats`.
    pub stats: RunStats,
}

/// What a run read and parsed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Files whose text was read.
    pub read: usize,
    /// Files handed to the parser.
    pub parsed: usize,
    /// Bytes of the files handed to the parser.
    pub parsed_bytes: u64,
}

/// What the run concludes, from its checks and findings.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    /// Score, recommendation, risk, coverage, gate and the reasons for a cap or for
    /// `inconclusive`.
    pub card: Scorecard,
    pub plan: Plan,
    pub checklist: Vec<ChecklistItem>,
    /// Failing checks' rule ids, most dangerous first (see `plan::ranked_failures`).
    pub ranking: Vec<String>,
    /// Failing checks without an active finding to point at, in rank order.
    pub project_level: Vec<String>,
    pub counts: Counts,
}

/// Per severity, in `Severity::ALL_DESC` order: active findings and failing checks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub findings: [usize; 5],
    pub failing_checks: [usize; 5],
}

impl Counts {
    pub fn findings(&self, severity: Severity) -> usize {
        self.findings[index(severity)]
    }

    pub fn failing_checks(&self, severity: Severity) -> usize {
        self.failing_checks[index(severity)]
    }
}

fn index(severity: Severity) -> usize {
    Severity::ALL_DESC
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(0)
}

impl Verdict {
    /// The whole verdict of a run from its checks (sorted by id), the metadata of the rules
    /// that ran and the active findings.
    pub fn compute(
        checks: &[Check],
        rules: &[RuleMeta],
        findings: &[Finding],
        seen: &Visibility,
    ) -> Verdict {
        let card = score::scorecard(checks, seen);
        let inputs = plan::Inputs {
            checks,
            rules,
            findings,
        };
        let ranked = plan::ranked_failures(&inputs);
        let plan = plan::build(&inputs, &ranked);
        let mut counts = Counts::default();
        for finding in findings {
            counts.findings[index(finding.severity)] += 1;
        }
        for check in &ranked {
            counts.failing_checks[index(check.severity)] += 1;
        }
        let project_level = ranked
            .iter()
            .filter(|c| !findings.iter().any(|f| f.rule == c.rule))
            .map(|c| c.rule.clone())
            .collect();
        Verdict {
            card,
            checklist: plan::checklist(&inputs),
            ranking: ranked.iter().map(|c| c.rule.clone()).collect(),
            project_level,
            plan,
            counts,
        }
    }
}

impl AuditResult {
    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// The check of one rule.
    pub fn check(&self, rule: &str) -> Option<&Check> {
        self.checks.iter().find(|c| c.rule == rule)
    }

    /// Active findings of one rule, in report order.
    pub fn findings_of<'a>(&'a self, rule: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.rule == rule)
    }

    /// The failing checks, most dangerous first.
    pub fn ranked(&self) -> impl Iterator<Item = &Check> + '_ {
        self.verdict.ranking.iter().filter_map(|id| self.check(id))
    }

    /// Failing checks without an active finding, in rank order.
    pub fn project_level_failures(&self) -> impl Iterator<Item = &Check> + '_ {
        self.verdict
            .project_level
            .iter()
            .filter_map(|id| self.check(id))
    }

    /// Recomputes the verdict after the checks or findings changed (test fixtures do this).
    pub fn recompute(&mut self, seen: &Visibility) {
        self.verdict = Verdict::compute(&self.checks, &self.rules, &self.findings, seen);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Category;
    use crate::plan::tests::{finding, meta, result, sample_report};
    use crate::report::{json, markdown, terminal};
    use crate::score::CheckStatus::{Fail, Pass};
    use crate::score::{Recommendation, Risk};

    /// SEC017 is a critical rule; its only finding was lowered to medium (code in a script).
    fn lowered() -> AuditResult {
        let sqli = meta(
            "SEC017",
            "sqli",
            Severity::Critical,
            Category::Security,
            1,
            6.0,
        );
        let jwt = meta(
            "SEC001",
            "jwt",
            Severity::Critical,
            Category::Security,
            1,
            4.0,
        );
        let key = meta(
            "SEC003",
            "key",
            Severity::Critical,
            Category::Security,
            1,
            1.0,
        );
        let timeout = meta("REL003", "t", Severity::High, Category::Reliability, 2, 2.0);
        let mut found = finding(&sqli, "scripts/backfill.py", 12);
        found.severity = Severity::Medium;
        result(
            vec![(sqli, Fail), (jwt, Pass), (key, Pass), (timeout, Pass)],
            vec![found],
        )
    }

    #[test]
    fn a_lowered_finding_makes_a_medium_check_in_every_report() {
        let r = lowered();
        let v = &r.verdict;
        assert_eq!(
            r.check("SEC017").map(|c| c.severity),
            Some(Severity::Medium)
        );
        // pass 10 + 10 + 7.5 = 27.5 of 32.5 -> 8.5, and no cap.
        assert_eq!((v.card.raw_score, v.card.score), (8.5, 8.5));
        assert_eq!((v.card.gate.as_ref(), v.card.cap.as_ref()), (None, None));
        assert_eq!(v.card.recommendation, Recommendation::ReadyToLaunch);
        assert_eq!(v.card.risk[0], (Category::Security, Risk::Medium));
        assert_eq!(v.counts.failing_checks, [0, 0, 1, 0, 0]);
        assert!(v.plan.minimum_to_launch().is_empty());
        assert_eq!(v.plan.launch.deferred.rules, vec!["SEC017"]);
        assert_eq!(v.plan.phases[0].steps[0].severity, Severity::Medium);

        let text = json::render(&r);
        assert!(text.contains("\"score\": 8.5,\n"));
        assert!(text.contains("\"recommendation\": \"ready-to-launch\",\n"));
        assert!(!text.contains("\"cap\""));
        let md = markdown::render(&r, &markdown::MarkdownOptions::default());
        assert!(md.contains("\n**Production Readiness Score: 8.5/10**\n"));
        assert!(md.contains("\n### 3.1 Title of SEC017\n"));
        assert!(md.contains("No launch blocker: no critical check fails."));
        let opts = terminal::TerminalOptions {
            color: false,
            verbose: false,
            width: 100,
        };
        let term = terminal::render(&r, &opts);
        assert!(term.contains("\n  Score           8.5/10\n"));
        assert!(term.contains("\n  1. medium   SEC017   Title of SEC017\n"));
    }

    #[test]
    fn the_sample_verdict_in_one_place() {
        let result = sample_report();
        let v = &result.verdict;
        assert_eq!(v.card.recommendation, Recommendation::DoNotLaunch);
        assert_eq!(
            v.ranking,
            vec!["SEC017", "SEC001", "DATA001", "REL002", "PERF001", "OPS006"]
        );
        assert_eq!(v.project_level, vec!["REL002"]);
        // 7 SEC017 + SEC001 + DATA001; PERF001; OPS006.
        assert_eq!(v.counts.findings, [9, 1, 0, 1, 0]);
        assert_eq!(v.counts.failing_checks, [4, 1, 0, 1, 0]);
        assert_eq!(
            v.plan.launch.blockers.rules,
            vec!["SEC017", "SEC001", "DATA001", "REL002"]
        );
        assert_eq!(v.plan.launch.blockers.effort_hours, 21.0);
        assert_eq!(v.plan.launch.conditions.rules, vec!["PERF001"]);
        assert_eq!(v.plan.launch.deferred.rules, vec!["OPS006"]);
        assert_eq!(v.plan.launch.deferred.effort_hours, 1.5);
        let gate = v.card.gate.as_ref().expect("a critical check fails");
        assert_eq!(gate.limit, 4.0);
        assert_eq!(
            gate.reason(),
            "4 critical checks fail (DATA001, REL002, SEC001, SEC017)"
        );
        assert_eq!(
            v.checklist.iter().filter(|i| i.checked).count(),
            v.card.coverage.passed
        );
    }
}
