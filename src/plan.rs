//! The phased fix plan, the acceptance checklist and the ranking of failures (DESIGN §6.2),
//! derived from the checks, the rule metadata and the active findings of a finished run. Built
//! once per run, into the verdict (`result.rs`).

use crate::findings::{Category, Finding, Severity};
use crate::rules::rule::RuleMeta;
use crate::score::{Check, CheckStatus};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the plan is derived from.
#[derive(Clone, Copy, Debug)]
pub struct Inputs<'a> {
    /// One per rule, sorted by id.
    pub checks: &'a [Check],
    /// Metadata of the rules that ran.
    pub rules: &'a [RuleMeta],
    /// Active findings in report order.
    pub findings: &'a [Finding],
}

impl<'a> Inputs<'a> {
    fn rule(&self, id: &str) -> Option<&'a RuleMeta> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// The whole plan: phases in order, only those with steps.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Plan {
    pub phases: Vec<Phase>,
    pub total_effort_hours: f64,
    /// The failing checks by what they mean for launch, each in rank order with its effort.
    pub launch: Launch,
}

/// Failing checks grouped by what they mean for launch.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Launch {
    /// Every failing critical check: launch blockers.
    pub blockers: Group,
    /// Every failing high check: fix, or accept the risk in writing.
    pub conditions: Group,
    /// The rest: after launch.
    pub deferred: Group,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Group {
    pub rules: Vec<String>,
    pub effort_hours: f64,
}

/// One phase of the plan. Field order is the JSON contract.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Phase {
    pub phase: u8,
    pub title: String,
    pub effort_hours: f64,
    pub steps: Vec<Step>,
}

/// One failing check to fix. Field order is the JSON contract.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Step {
    pub rule: String,
    /// The rule's slug, for one-line listings; not part of the JSON contract.
    #[serde(skip)]
    pub name: String,
    pub title: String,
    pub severity: Severity,
    pub findings: usize,
    pub effort_hours: f64,
    /// `path:line` of each active finding, in finding order, without repeats.
    pub locations: Vec<String>,
    /// The first paragraph of the rule's fix, as prose; the whole fix (with code) is in the
    /// rule's metadata and the Markdown report.
    pub fix: String,
}

/// One acceptance criterion, ticked when its check passes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChecklistItem {
    pub rule: String,
    pub criterion: String,
    pub checked: bool,
    /// The check's category, for grouping; not part of the JSON contract.
    #[serde(skip)]
    pub category: Category,
}

/// Phase numbers run 1..=5.
pub const PHASES: u8 = 5;

/// The heading of a phase; out-of-range numbers are clamped like rule phases are.
pub fn phase_title(phase: u8) -> &'static str {
    match phase.clamp(1, PHASES) {
        1 => "Critical security",
        2 => "Critical reliability and data integrity",
        3 => "Performance and scale",
        4 => "Operations and compliance",
        _ => "Testing and validation",
    }
}

/// Builds the plan: every failing check becomes a step of its rule's phase. `ranked` is
/// [`ranked_failures`] of the same inputs.
pub fn build(inputs: &Inputs<'_>, ranked: &[&Check]) -> Plan {
    let by_rule = findings_by_rule(inputs.findings);
    let mut phases: BTreeMap<u8, Vec<Step>> = BTreeMap::new();
    for check in inputs
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Fail)
    {
        let meta = inputs.rule(&check.rule);
        let found = by_rule
            .get(check.rule.as_str())
            .map_or(&[][..], Vec::as_slice);
        phases
            .entry(phase_of(check, meta))
            .or_default()
            .push(step(check, meta, found));
    }
    let phases: Vec<Phase> = phases
        .into_iter()
        .map(|(phase, mut steps)| {
            steps.sort_by(|a, b| {
                b.severity
                    .cmp(&a.severity)
                    .then(b.findings.cmp(&a.findings))
                    .then_with(|| a.rule.cmp(&b.rule))
            });
            Phase {
                phase,
                title: phase_title(phase).to_string(),
                effort_hours: round_hours(steps.iter().map(|s| s.effort_hours).sum()),
                steps,
            }
        })
        .collect();
    let effort = |rule: &str| {
        let steps = phases.iter().flat_map(|p| &p.steps);
        steps
            .filter(|s| s.rule == rule)
            .map(|s| s.effort_hours)
            .sum::<f64>()
    };
    let group = |keep: &dyn Fn(Severity) -> bool| {
        let rules: Vec<String> = ranked
            .iter()
            .filter(|c| keep(c.severity))
            .map(|c| c.rule.clone())
            .collect();
        Group {
            effort_hours: round_hours(rules.iter().map(|r| effort(r)).sum()),
            rules,
        }
    };
    let launch = Launch {
        blockers: group(&|s| s == Severity::Critical),
        conditions: group(&|s| s == Severity::High),
        deferred: group(&|s| s < Severity::High),
    };
    Plan {
        total_effort_hours: round_hours(phases.iter().map(|p| p.effort_hours).sum()),
        phases,
        launch,
    }
}

impl Plan {
    /// Rule ids of the failing critical checks, in rank order: what must be fixed to launch.
    pub fn minimum_to_launch(&self) -> &[String] {
        &self.launch.blockers.rules
    }

    /// The step that fixes one failing check.
    pub fn step(&self, rule: &str) -> Option<&Step> {
        self.phases
            .iter()
            .flat_map(|p| &p.steps)
            .find(|s| s.rule == rule)
    }
}

/// Every applicable rule's criterion, grouped by category (`Category::ALL` order) then rule id.
pub fn checklist(inputs: &Inputs<'_>) -> Vec<ChecklistItem> {
    let mut applicable: Vec<&Check> = inputs
        .checks
        .iter()
        .filter(|c| c.status != CheckStatus::NotApplicable)
        .collect();
    applicable.sort_by(|a, b| {
        category_rank(a.category)
            .cmp(&category_rank(b.category))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    applicable
        .into_iter()
        .map(|check| ChecklistItem {
            rule: check.rule.clone(),
            criterion: inputs.rule(&check.rule).map_or_else(
                || format!("{} passes", check.rule),
                |meta| meta.criterion.clone(),
            ),
            checked: check.status == CheckStatus::Pass,
            category: check.category,
        })
        .collect()
}

fn category_rank(category: Category) -> usize {
    Category::ALL
        .iter()
        .position(|c| *c == category)
        .unwrap_or(Category::ALL.len())
}

/// Groups active findings by rule once, keeping their (path, line) order.
fn findings_by_rule(findings: &[Finding]) -> BTreeMap<&str, Vec<&Finding>> {
    let mut map: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        map.entry(finding.rule.as_str()).or_default().push(finding);
    }
    map
}

/// The rule's phase; without metadata, the phase its category usually belongs to.
fn phase_of(check: &Check, meta: Option<&RuleMeta>) -> u8 {
    match meta {
        Some(meta) => meta.phase.clamp(1, PHASES),
        None => match check.category {
            Category::Security => 1,
            Category::Reliability | Category::DataIntegrity => 2,
            Category::Performance => 3,
            Category::Operations => 4,
        },
    }
}

fn step(check: &Check, meta: Option<&RuleMeta>, findings: &[&Finding]) -> Step {
    let mut locations: Vec<String> = Vec::new();
    for finding in findings {
        let location = format!("{}:{}", finding.path, finding.line);
        if locations.last() != Some(&location) {
            locations.push(location);
        }
    }
    Step {
        rule: check.rule.clone(),
        name: meta.map_or_else(String::new, |m| m.name.clone()),
        title: meta.map_or_else(|| check.rule.clone(), |m| m.title.clone()),
        severity: check.severity,
        findings: check.findings,
        effort_hours: meta.map_or(0.0, |m| sanitize_hours(m.effort_hours)),
        locations,
        fix: meta.map_or_else(String::new, |m| fix_summary(&m.fix)),
    }
}

/// The first prose paragraph of a Markdown fix text, its hard-wrapped lines joined; empty when
/// the fix starts with code.
pub fn fix_summary(fix: &str) -> String {
    fix.lines()
        .map(str::trim)
        .skip_while(|line| line.is_empty())
        .take_while(|line| !line.is_empty() && !line.starts_with("```"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first sentence of `text` (up to and including the first `. `), or all of it.
pub fn first_sentence(text: &str) -> &str {
    match text.find(". ") {
        Some(end) => &text[..=end],
        None => text,
    }
}

/// Failing checks, most dangerous first: severity, then plan phase (security before
/// reliability before performance), then number of findings, then id. The order of the
/// "top 5" and of the issue sections of every human report.
pub fn ranked_failures<'a>(inputs: &Inputs<'a>) -> Vec<&'a Check> {
    let mut failing: Vec<&Check> = inputs
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::Fail)
        .collect();
    failing.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| phase_of(a, inputs.rule(&a.rule)).cmp(&phase_of(b, inputs.rule(&b.rule))))
            .then(b.findings.cmp(&a.findings))
            .then_with(|| a.rule.cmp(&b.rule))
    });
    failing
}

/// Negative or non-finite estimates would poison the totals; treat them as unknown (0).
fn sanitize_hours(hours: f64) -> f64 {
    if hours.is_finite() && hours > 0.0 {
        hours
    } else {
        0.0
    }
}

/// Sums of fractional estimates pick up float noise (0.1 + 0.2); two decimals are plenty.
fn round_hours(hours: f64) -> f64 {
    (hours * 100.0).round() / 100.0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::result::{AuditResult, FileError, Verdict};
    use crate::rules::rule::{AppliesWhen, Confidence};

    pub(crate) fn meta(
        id: &str,
        name: &str,
        severity: Severity,
        category: Category,
        phase: u8,
        effort: f64,
    ) -> RuleMeta {
        RuleMeta {
            id: id.into(),
            name: name.into(),
            title: format!("Title of {id}"),
            severity,
            category,
            area: "area".into(),
            phase,
            effort_hours: effort,
            confidence: Confidence::High,
            cwe: vec![],
            references: vec![],
            criterion: format!("Criterion of {id}"),
            applies_when: AppliesWhen::default(),
            applies_to_tests: false,
            roles: Default::default(),
            peers: Vec::new(),
            description: "d".into(),
            failure_scenario: "f".into(),
            impact: vec![],
            fix: "Do the right thing.\n\n```python\nok()\n```".into(),
        }
    }

    pub(crate) fn finding(rule: &RuleMeta, path: &str, line: usize) -> Finding {
        Finding {
            rule: rule.id.clone(),
            name: rule.name.clone(),
            severity: rule.severity,
            category: rule.category,
            path: path.into(),
            line,
            column: 1,
            end_line: line,
            end_column: 2,
            message: format!("{} at {path}:{line}", rule.id),
            snippet: "x".into(),
            fingerprint: format!("{:016x}", line),
            role: Default::default(),
            evidence: None,
            byte_range: (0, 1),
            snippet_offset: 0,
            matched_text: "x".into(),
            settle: None,
        }
    }

    pub(crate) fn inputs(result: &AuditResult) -> Inputs<'_> {
        Inputs {
            checks: &result.checks,
            rules: &result.rules,
            findings: &result.findings,
        }
    }

    /// The plan of a result, built afresh from its inputs.
    fn plan_of(result: &AuditResult) -> Plan {
        let inputs = inputs(result);
        build(&inputs, &ranked_failures(&inputs))
    }

    /// Builds a result from (rule, status) pairs and findings; checks count the findings.
    pub(crate) fn result(
        rules: Vec<(RuleMeta, CheckStatus)>,
        findings: Vec<Finding>,
    ) -> AuditResult {
        let mut checks: Vec<Check> = rules
            .iter()
            .map(|(m, status)| Check {
                rule: m.id.clone(),
                status: *status,
                findings: findings.iter().filter(|f| f.rule == m.id).count(),
                note: None,
                severity: crate::score::check_severity(
                    m.severity,
                    *status,
                    findings
                        .iter()
                        .filter(|f| f.rule == m.id)
                        .map(|f| f.severity),
                ),
                category: m.category,
                undecided: false,
            })
            .collect();
        checks.sort_by(|a, b| a.rule.cmp(&b.rule));
        let mut metas: Vec<RuleMeta> = rules.into_iter().map(|(m, _)| m).collect();
        metas.sort_by(|a, b| a.id.cmp(&b.id));
        AuditResult {
            root: ".".into(),
            files: 3,
            verdict: Verdict::compute(
                &checks,
                &metas,
                &findings,
                &crate::score::Visibility {
                    settings_found: true,
                    settings_wanted: true,
                    unreadable_settings: Vec::new(),
                },
            ),
            rules: metas,
            checks,
            findings,
            suppressed: vec![],
            baselined: 0,
            roles: Default::default(),
            errors: Vec::<FileError>::new(),
            settings: None,
            stats: Default::default(),
        }
    }

    /// A finding whose span is `needle` inside `snippet`, the snippet starting at `line` and at
    /// byte `offset` of its file; line, column and end are computed as a rule engine would.
    pub(crate) fn located(
        rule: &RuleMeta,
        path: &str,
        line: usize,
        offset: usize,
        snippet: &str,
        needle: &str,
    ) -> Finding {
        let start = snippet.find(needle).unwrap_or(0);
        let end = start + needle.len();
        let position = |at: usize| {
            let before = &snippet[..at];
            let row = line + before.matches('\n').count();
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            (row, before[line_start..].chars().count() + 1)
        };
        let (line, column) = position(start);
        let (end_line, end_column) = position(end);
        Finding {
            line,
            column,
            end_line,
            end_column,
            snippet: snippet.into(),
            snippet_offset: offset,
            byte_range: (offset + start, offset + end),
            matched_text: crate::findings::fold_whitespace(needle),
            settle: None,
            ..finding(rule, path, line)
        }
    }

    /// A run over a small Django app as the renderers' snapshot tests see it: failing critical
    /// checks with and without findings, a rule with more findings than the terminal shows,
    /// a passing and an n/a check, suppressed and baselined findings, and a skipped file.
    pub(crate) fn sample_report() -> AuditResult {
        let jwt = RuleMeta {
            title: "JWT decoded without signature verification".into(),
            criterion: "JWT signature verification enabled and tested".into(),
            fix: "Verify the signature: pass the issuer's key and pin `algorithms`.\n\n```python\njwt.decode(token, key, algorithms=[\"RS256\"])\n```".into(),
            ..meta("SEC001", "jwt-signature-not-verified", Severity::Critical, Category::Security, 1, 4.0)
        };
        let sqli = RuleMeta {
            title: "SQL built from untrusted strings".into(),
            criterion: "All raw SQL is parameterized".into(),
            fix: "```python\ncursor.execute(sql, [value])\n```".into(),
            ..meta(
                "SEC017",
                "sql-injection-raw-query",
                Severity::Critical,
                Category::Security,
                1,
                6.0,
            )
        };
        let timeout = RuleMeta {
            title: "No bound on request time".into(),
            criterion: "Every request has a server-side timeout".into(),
            ..meta(
                "REL002",
                "request-timeout-missing",
                Severity::Critical,
                Category::Reliability,
                2,
                3.0,
            )
        };
        let atomic = RuleMeta {
            title: "Several writes without a transaction".into(),
            criterion: "Multi-step writes run inside transaction.atomic".into(),
            fix: "Wrap the writes in `transaction.atomic()`.".into(),
            ..meta(
                "DATA001",
                "multi-write-without-transaction",
                Severity::Critical,
                Category::DataIntegrity,
                2,
                8.0,
            )
        };
        let n_plus_one = RuleMeta {
            title: "Query per loop iteration".into(),
            ..meta(
                "PERF001",
                "n-plus-one-in-loop",
                Severity::High,
                Category::Performance,
                3,
                6.0,
            )
        };
        let request_id = meta(
            "OPS001",
            "request-id-missing",
            Severity::Medium,
            Category::Operations,
            4,
            2.0,
        );
        let csp = meta(
            "SEC028",
            "content-security-policy-missing",
            Severity::Low,
            Category::Security,
            1,
            2.0,
        );
        let logging = RuleMeta {
            title: "print used for diagnostics".into(),
            fix: "Use the `logging` module.".into(),
            ..meta(
                "OPS006",
                "logging-not-configured",
                Severity::Low,
                Category::Operations,
                4,
                1.5,
            )
        };

        let mut findings = vec![
            located(
                &jwt,
                "apps/users/middleware.py",
                90,
                2481,
                "        decoded = jwt.decode(token, options={\"verify_signature\": False})",
                "jwt.decode(token, options={\"verify_signature\": False})",
            ),
            located(
                &atomic,
                "apps/stories/views.py",
                41,
                1200,
                "    story = Story.objects.create(author=user, title=title)\n    Chapter.objects.create(story=story, number=1)",
                "story = Story.objects.create(author=user, title=title)\n    Chapter.objects.create(story=story, number=1)",
            ),
            located(
                &n_plus_one,
                "apps/feed/views.py",
                17,
                530,
                "        names.append(story.author.name)",
                "story.author.name",
            ),
            located(
                &logging,
                "apps/feed/tasks.py",
                8,
                190,
                "    print(\"refreshing feed\", user_id)",
                "print(\"refreshing feed\", user_id)",
            ),
        ];
        for n in 0..7 {
            let line = 10 + n * 6;
            findings.push(located(
                &sqli,
                "apps/search/queries.py",
                line,
                300 + n * 180,
                "    cursor.execute(f\"SELECT * FROM story WHERE title LIKE '%{term}%'\")",
                "cursor.execute(f\"SELECT * FROM story WHERE title LIKE '%{term}%'\")",
            ));
        }
        for finding in &mut findings {
            finding.message = sample_message(&finding.rule).into();
        }
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        crate::findings::assign_fingerprints(&mut findings);

        let suppressed = vec![finding(&logging, "scripts/seed.py", 3)];
        let mut result = result(
            vec![
                (jwt, Fail),
                (sqli, Fail),
                (timeout, Fail),
                (atomic, Fail),
                (n_plus_one, Fail),
                (request_id, Pass),
                (
                    meta(
                        "SEC003",
                        "secret-key-hardcoded",
                        Severity::Critical,
                        Category::Security,
                        1,
                        1.0,
                    ),
                    Pass,
                ),
                (
                    meta(
                        "REL015",
                        "dev-server-in-production",
                        Severity::Critical,
                        Category::Reliability,
                        2,
                        1.0,
                    ),
                    Pass,
                ),
                (
                    meta(
                        "SEC006",
                        "allowed-hosts-permissive",
                        Severity::High,
                        Category::Security,
                        1,
                        0.5,
                    ),
                    Pass,
                ),
                (
                    meta(
                        "SEC009",
                        "csrf-middleware-missing",
                        Severity::High,
                        Category::Security,
                        1,
                        0.5,
                    ),
                    Pass,
                ),
                (
                    meta(
                        "REL003",
                        "http-call-without-timeout",
                        Severity::High,
                        Category::Reliability,
                        2,
                        2.0,
                    ),
                    Pass,
                ),
                (csp, Na),
                (logging, Fail),
            ],
            findings,
        );
        if let Some(check) = result.checks.iter_mut().find(|c| c.rule == "SEC028") {
            check.note = Some("django-csp is not a dependency".into());
        }
        result.root = "fixtures/seed-app".into();
        result.files = 42;
        result.suppressed = suppressed;
        result.baselined = 2;
        result.errors = vec![FileError {
            path: "assets/logo.py".into(),
            message: "binary file skipped".into(),
        }];
        result.settings = Some(crate::model::settings::SettingsChoice {
            module: "apps.backend.config.settings".into(),
            path: "apps/backend/config/settings.py".into(),
            reason: "Dockerfile:12 sets DJANGO_SETTINGS_MODULE".into(),
            others: vec!["tools.demo.settings".into()],
        });
        result
    }

    fn sample_message(rule: &str) -> &'static str {
        match rule {
            "SEC001" => "`jwt.decode` is called with `verify_signature: False`: any forged token is accepted",
            "SEC017" => "`cursor.execute` runs an f-string that interpolates `term`",
            "DATA001" => "`create_story` writes `Story.objects.create` and `Chapter.objects.create` outside a transaction",
            "PERF001" => "`story.author` is fetched once per story: the queryset has no `select_related(\"author\")`",
            _ => "`print` used for diagnostics in app code",
        }
    }

    use CheckStatus::{Fail, NotApplicable as Na, Pass};

    fn sample() -> AuditResult {
        let sec1 = meta(
            "SEC001",
            "jwt",
            Severity::Critical,
            Category::Security,
            1,
            4.0,
        );
        let sec17 = meta(
            "SEC017",
            "sqli",
            Severity::Critical,
            Category::Security,
            1,
            6.0,
        );
        let sec5 = meta(
            "SEC005",
            "debug",
            Severity::High,
            Category::Security,
            1,
            0.5,
        );
        let rel2 = meta(
            "REL002",
            "timeout",
            Severity::Critical,
            Category::Reliability,
            2,
            2.0,
        );
        let data1 = meta(
            "DATA001",
            "atomic",
            Severity::Critical,
            Category::DataIntegrity,
            2,
            8.0,
        );
        let perf1 = meta(
            "PERF001",
            "n1",
            Severity::High,
            Category::Performance,
            3,
            6.0,
        );
        let ops7 = meta(
            "OPS007",
            "load",
            Severity::High,
            Category::Operations,
            5,
            16.0,
        );
        let ops1 = meta(
            "OPS001",
            "reqid",
            Severity::Medium,
            Category::Operations,
            4,
            2.0,
        );
        let findings = vec![
            finding(&sec17, "a.py", 3),
            finding(&sec17, "a.py", 3),
            finding(&sec17, "b.py", 9),
            finding(&sec1, "m.py", 90),
            finding(&data1, "v.py", 12),
            finding(&sec5, "settings.py", 4),
        ];
        result(
            vec![
                (sec1, Fail),
                (sec17, Fail),
                (sec5, Fail),
                (rel2, Fail),
                (data1, Fail),
                (perf1, Pass),
                (ops7, Fail),
                (ops1, Na),
            ],
            findings,
        )
    }

    #[test]
    fn steps_land_in_their_phase_in_severity_then_count_order() {
        let plan = plan_of(&sample());
        let layout: Vec<(u8, &str, Vec<&str>)> = plan
            .phases
            .iter()
            .map(|p| {
                (
                    p.phase,
                    p.title.as_str(),
                    p.steps.iter().map(|s| s.rule.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            layout,
            vec![
                (1, "Critical security", vec!["SEC017", "SEC001", "SEC005"]),
                (
                    2,
                    "Critical reliability and data integrity",
                    vec!["DATA001", "REL002"]
                ),
                (5, "Testing and validation", vec!["OPS007"]),
            ]
        );
        assert_eq!(plan.phases[0].effort_hours, 10.5);
        assert_eq!(plan.phases[1].effort_hours, 10.0);
        assert_eq!(plan.total_effort_hours, 36.5);
        assert_eq!(
            plan.minimum_to_launch(),
            ["SEC017", "SEC001", "DATA001", "REL002"]
        );
    }

    #[test]
    fn step_carries_counts_locations_and_metadata() {
        let plan = plan_of(&sample());
        let sqli = &plan.phases[0].steps[0];
        assert_eq!(
            sqli,
            &Step {
                rule: "SEC017".into(),
                name: "sqli".into(),
                title: "Title of SEC017".into(),
                severity: Severity::Critical,
                findings: 3,
                effort_hours: 6.0,
                locations: vec!["a.py:3".into(), "b.py:9".into()],
                fix: "Do the right thing.".into(),
            }
        );
        // A project-level failure with no findings is still a step, without locations.
        let timeout = &plan.phases[1].steps[1];
        assert_eq!(
            (
                timeout.rule.as_str(),
                timeout.findings,
                timeout.locations.len()
            ),
            ("REL002", 0, 0)
        );
    }

    #[test]
    fn clean_result_has_an_empty_plan() {
        let m = meta(
            "SEC001",
            "jwt",
            Severity::Critical,
            Category::Security,
            1,
            4.0,
        );
        let plan = plan_of(&result(vec![(m, Pass)], vec![]));
        assert_eq!(
            plan,
            Plan {
                phases: vec![],
                total_effort_hours: 0.0,
                launch: Launch::default(),
            }
        );
    }

    #[test]
    fn missing_metadata_and_odd_phases_fall_back() {
        let mut r = result(
            vec![(
                meta(
                    "OPS002",
                    "metrics",
                    Severity::Low,
                    Category::Operations,
                    9,
                    -3.0,
                ),
                Fail,
            )],
            vec![],
        );
        let plan = plan_of(&r);
        assert_eq!(plan.phases[0].phase, 5);
        assert_eq!(plan.phases[0].steps[0].effort_hours, 0.0);
        r.rules.clear();
        let plan = plan_of(&r);
        assert_eq!(plan.phases[0].phase, 4);
        assert_eq!(plan.phases[0].steps[0].title, "OPS002");
        assert_eq!(phase_title(0), "Critical security");
    }

    #[test]
    fn fix_summary_is_the_first_prose_paragraph() {
        assert_eq!(
            fix_summary("\nVerify the key\nand pin algorithms. Then test.\n\n```python\nx\n```"),
            "Verify the key and pin algorithms. Then test."
        );
        assert_eq!(fix_summary("```python\nx\n```"), "");
        assert_eq!(first_sentence("One. Two."), "One.");
        assert_eq!(first_sentence("No stop"), "No stop");
    }

    #[test]
    fn ranked_failures_put_severity_then_phase_first() {
        let result = sample();
        let ranked: Vec<&str> = ranked_failures(&inputs(&result))
            .iter()
            .map(|c| c.rule.as_str())
            .collect();
        // Criticals: security (phase 1, by findings) before phase 2; then highs by phase.
        assert_eq!(
            ranked,
            vec!["SEC017", "SEC001", "DATA001", "REL002", "SEC005", "OPS007"]
        );
    }

    #[test]
    fn fractional_efforts_sum_without_noise() {
        let a = meta("OPS001", "a", Severity::Low, Category::Operations, 4, 0.1);
        let b = meta("OPS002", "b", Severity::Low, Category::Operations, 4, 0.2);
        let plan = plan_of(&result(vec![(a, Fail), (b, Fail)], vec![]));
        assert_eq!(plan.phases[0].effort_hours, 0.3);
        assert_eq!(plan.total_effort_hours, 0.3);
    }

    #[test]
    fn checklist_lists_applicable_rules_by_category() {
        let sample = sample();
        let items = checklist(&inputs(&sample));
        let got: Vec<(&str, bool)> = items.iter().map(|i| (i.rule.as_str(), i.checked)).collect();
        assert_eq!(
            got,
            vec![
                ("SEC001", false),
                ("SEC005", false),
                ("SEC017", false),
                ("REL002", false),
                ("PERF001", true),
                ("DATA001", false),
                ("OPS007", false),
            ]
        );
        assert_eq!(items[4].criterion, "Criterion of PERF001");
    }
}
