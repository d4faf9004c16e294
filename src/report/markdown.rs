//! `--format markdown`: the production-readiness audit a reviewer hands over, in the structure
//! of the seed document (executive summary with top 5 and risk by area; issues by severity with
//! locations, snippets, failure scenario, impact and fix; summaries by area; the phased plan;
//! the acceptance checklist; the minimum to launch), computed entirely from the result.
//! Deterministic: no timestamp unless one is passed in.

use super::AuditResult;
use crate::findings::{Category, Finding, Severity};
use crate::plan::{self, ChecklistItem, Group, Plan};
use crate::rules::rule::RuleMeta;
use crate::score::{Check, CheckStatus, Recommendation, Risk};
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MarkdownOptions {
    /// Shown under the title when set (`--timestamp`); left out by default so the report of
    /// the same code is byte-identical.
    pub timestamp: Option<String>,
}

/// Locations of one issue shown with their code; the rest are listed without.
const SNIPPETS_PER_ISSUE: usize = 5;
/// Locations listed per step in the fix plan before "and N more".
const LOCATIONS_PER_STEP: usize = 10;
/// Failing checks named per category in the risk assessment.
const RISK_EXAMPLES: usize = 3;

/// The headings of the sections, in order; tests and the table of contents use them.
pub const SECTIONS: [&str; 12] = [
    "Executive Summary",
    "1. Critical Issues (Launch Blockers)",
    "2. High Priority Issues",
    "3. Medium Priority Issues",
    "4. Low Priority Issues",
    "5. Security Vulnerabilities Summary",
    "6. Performance Bottlenecks",
    "7. Reliability, Data Integrity and Operations Summary",
    "8. Step-by-Step Fix Plan",
    "9. Acceptance Criteria",
    "10. Minimum to Launch",
    "Conclusion",
];
const APPENDIX: &str = "Appendix: Checks and Coverage";

/// Renders the whole report.
pub fn render(result: &AuditResult, opts: &MarkdownOptions) -> String {
    let ctx = Context::new(result);
    let mut doc = Doc::default();
    executive_summary(&mut doc, &ctx);
    for (index, title) in SECTIONS[1..5].iter().enumerate() {
        issues_section(&mut doc, &ctx, title, index);
    }
    area_summary(&mut doc, &ctx, SECTIONS[5], Category::Security);
    area_summary(&mut doc, &ctx, SECTIONS[6], Category::Performance);
    other_categories(&mut doc, &ctx);
    fix_plan(&mut doc, &ctx);
    acceptance(&mut doc, &ctx);
    minimum_to_launch(&mut doc, &ctx);
    conclusion(&mut doc, &ctx);
    appendix(&mut doc, &ctx);

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Production Readiness Audit: `{}`\n",
        result.root.replace('`', "'")
    );
    let _ = write!(
        out,
        "Static audit by audit {} of {} files: {} checks ran ({} passed, {} failed, {} not applicable).",
        env!("CARGO_PKG_VERSION"),
        result.files,
        result.verdict.card.coverage.checks,
        result.verdict.card.coverage.passed,
        result.verdict.card.coverage.failed,
        result.verdict.card.coverage.not_applicable
    );
    if let Some(roles) = super::role_counts(&result.roles) {
        let _ = write!(
            out,
            " Python files by code role: {roles} ({}).",
            super::ROLE_NOTE
        );
    }
    if let Some(timestamp) = &opts.timestamp {
        let _ = write!(out, " Generated {timestamp}.");
    }
    out.push_str("\n\n## Contents\n\n");
    for (title, slug) in &doc.toc {
        let _ = writeln!(out, "- [{title}](#{slug})");
    }
    out.push('\n');
    out.push_str(&doc.out);
    out
}

// ---------------------------------------------------------------------------------------------
// Context and document

/// What every section needs: the plan, the failing checks in rank order and where each
/// failing check is written up (its number and anchor).
struct Context<'a> {
    result: &'a AuditResult,
    plan: &'a Plan,
    checklist: &'a [ChecklistItem],
    ranked: Vec<&'a Check>,
    issues: HashMap<&'a str, Issue>,
    findings: BTreeMap<&'a str, Vec<&'a Finding>>,
}

struct Issue {
    number: String,
    heading: String,
    slug: String,
}

impl<'a> Context<'a> {
    fn new(result: &'a AuditResult) -> Self {
        let ranked: Vec<&Check> = result.ranked().collect();
        let mut issues = HashMap::new();
        let mut counters = [0usize; 4];
        for check in &ranked {
            let section = section_of(check.severity);
            counters[section] += 1;
            let number = format!("{}.{}", section + 1, counters[section]);
            let heading = format!("{number} {}", title_of(result, check));
            issues.insert(
                check.rule.as_str(),
                Issue {
                    slug: slug(&heading),
                    number,
                    heading,
                },
            );
        }
        let mut findings: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
        for finding in &result.findings {
            findings
                .entry(finding.rule.as_str())
                .or_default()
                .push(finding);
        }
        Context {
            result,
            plan: &result.verdict.plan,
            checklist: &result.verdict.checklist,
            ranked,
            issues,
            findings,
        }
    }

    fn meta(&self, rule: &str) -> Option<&'a RuleMeta> {
        self.result.rule(rule)
    }

    fn findings_of(&self, rule: &str) -> &[&'a Finding] {
        self.findings.get(rule).map_or(&[], Vec::as_slice)
    }

    /// `[title](#anchor)` of a failing check, or its title when it is not written up.
    fn link(&self, check_rule: &str, title: &str) -> String {
        match self.issues.get(check_rule) {
            Some(issue) => format!("[{}](#{})", inline(title), issue.slug),
            None => inline(title),
        }
    }

    fn failing_in(&self, category: Category) -> Vec<&'a Check> {
        self.ranked
            .iter()
            .copied()
            .filter(|c| c.category == category)
            .collect()
    }
}

/// Section index (0-based) of the issue sections: critical, high, medium, low and info.
fn section_of(severity: Severity) -> usize {
    match severity {
        Severity::Critical => 0,
        Severity::High => 1,
        Severity::Medium => 2,
        Severity::Low | Severity::Info => 3,
    }
}

fn title_of(result: &AuditResult, check: &Check) -> String {
    result
        .rule(&check.rule)
        .map_or_else(|| check.rule.clone(), |m| m.title.clone())
}

/// The Markdown body, with the `##` headings collected for the table of contents.
#[derive(Default)]
struct Doc {
    out: String,
    toc: Vec<(String, String)>,
    seen: HashMap<String, usize>,
}

impl Doc {
    /// Writes a heading and returns its anchor, numbered like GitHub does for repeats.
    fn heading(&mut self, level: usize, text: &str) -> String {
        let base = slug(text);
        let count = self.seen.entry(base.clone()).or_insert(0);
        let anchor = if *count == 0 {
            base.clone()
        } else {
            format!("{base}-{count}")
        };
        *count += 1;
        if level == 2 {
            self.toc.push((text.to_string(), anchor.clone()));
        }
        let _ = writeln!(self.out, "{} {}\n", "#".repeat(level), text);
        anchor
    }

    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        self.out.push('\n');
    }

    fn rule(&mut self) {
        self.out.push_str("---\n\n");
    }
}

/// GitHub's heading anchor: lowercase, spaces to `-`, punctuation other than `-` and `_` dropped.
pub fn slug(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// Escapes text written as Markdown prose: angle brackets outside code spans would be read as
/// HTML; line breaks are folded. Backtick spans are kept as they are.
fn inline(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_code = false;
    for c in text.chars() {
        match c {
            '`' => {
                in_code = !in_code;
                out.push(c);
            }
            '<' if !in_code => out.push_str("&lt;"),
            '>' if !in_code => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A table cell: inline text with `|` escaped.
fn cell(text: &str) -> String {
    inline(text).replace('|', "\\|")
}

fn upper(text: &str) -> String {
    text.replace('-', " ").to_uppercase()
}

/// `input-validation` -> `Input Validation`; short joining words stay lowercase.
fn title_case(text: &str) -> String {
    text.split(['-', '_', ' '])
        .filter(|w| !w.is_empty())
        .enumerate()
        .map(|(i, w)| {
            if i > 0 && matches!(w, "and" | "or" | "of" | "the" | "in" | "to" | "for") {
                return w.to_string();
            }
            let mut chars = w.chars();
            chars.next().map_or_else(String::new, |first| {
                first.to_uppercase().collect::<String>() + chars.as_str()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn category_name(category: Category) -> &'static str {
    match category {
        Category::Security => "Security",
        Category::Reliability => "Reliability",
        Category::Performance => "Performance",
        Category::DataIntegrity => "Data Integrity",
        Category::Operations => "Operations",
    }
}

fn priority(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "P0 - MUST FIX BEFORE ANY DEPLOYMENT",
        Severity::High => "P1 - FIX BEFORE LAUNCH OR ACCEPT THE RISK IN WRITING",
        Severity::Medium => "P2 - FIX SOON AFTER LAUNCH",
        Severity::Low | Severity::Info => "P3 - HOUSEKEEPING",
    }
}

fn hours(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}h")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn finding_count(n: usize) -> String {
    match n {
        0 => "project-level".to_string(),
        n => plural(n, "finding", "findings"),
    }
}

// ---------------------------------------------------------------------------------------------
// Executive summary

fn executive_summary(doc: &mut Doc, ctx: &Context) {
    let card = &ctx.result.verdict.card;
    doc.heading(2, SECTIONS[0]);
    let mut score = format!("**Production Readiness Score: {:.1}/10**", card.score);
    if let Some(cap) = &card.cap {
        let _ = write!(score, " (raw {:.1}, {})", card.raw_score, inline(cap));
    }
    doc.line(&score);
    doc.blank();
    doc.line(&format!(
        "**Launch Recommendation: {}**",
        card.recommendation.headline()
    ));
    doc.blank();
    let mut settings = match &ctx.result.settings {
        Some(s) => format!(
            "**Settings audited:** `{}` (`{}`): {}",
            s.module, s.path, s.reason
        ),
        None => "**Settings audited:** none found".to_string(),
    };
    if let Some(others) = super::other_settings(ctx.result) {
        let _ = write!(settings, "; {others}");
    }
    doc.line(&settings);
    doc.blank();
    doc.line(&verdict(ctx));
    doc.blank();
    severity_table(doc, ctx);

    doc.heading(3, "Top 5 Most Dangerous Issues");
    if ctx.ranked.is_empty() {
        doc.line("No check fails.");
        doc.blank();
    } else {
        for (i, check) in ctx.ranked.iter().take(5).enumerate() {
            doc.line(&format!("{}. {}", i + 1, top_item(ctx, check)));
        }
        doc.blank();
    }

    doc.heading(3, "Risk Assessment");
    for (category, risk) in &card.risk {
        doc.line(&format!(
            "- **{} Risk**: {} - {}",
            category_name(*category),
            risk.as_str().to_uppercase(),
            risk_reason(ctx, *category, *risk)
        ));
    }
    doc.blank();
    doc.rule();
}

fn failing(ctx: &Context, severity: Severity) -> usize {
    ctx.result.verdict.counts.failing_checks(severity)
}

/// The paragraph under the recommendation, from the counts and the gates.
fn verdict(ctx: &Context) -> String {
    let verdict = &ctx.result.verdict;
    let coverage = &verdict.card.coverage;
    let critical = failing(ctx, Severity::Critical);
    let high = failing(ctx, Severity::High);
    let limit = verdict
        .card
        .gate
        .as_ref()
        .map_or(verdict.card.score, |g| g.limit);
    match verdict.card.recommendation {
        Recommendation::DoNotLaunch => format!(
            "{} of {} applicable checks fail, {critical} of them critical. Each failing critical \
check is a launch blocker: the score is capped at {limit:.1} and the application must not be deployed \
until they are fixed (see [Minimum to Launch](#{})).",
            coverage.failed,
            coverage.checks - coverage.not_applicable,
            slug(SECTIONS[10])
        ),
        Recommendation::LaunchWithConditions if high > 0 => format!(
            "No critical check fails, but {} {} high-severity. Launch only once {} fixed or the \
risk is accepted in writing; the score is capped at {limit:.1} meanwhile.",
            plural(coverage.failed, "check fails", "checks fail"),
            if high == 1 {
                "and it is".to_string()
            } else {
                format!("and {high} of them are")
            },
            if high == 1 { "it is" } else { "they are" }
        ),
        Recommendation::LaunchWithConditions => format!(
            "No critical or high-severity check fails, but {} and the score is below {:.1}: fix \
the issues below or accept them as launch conditions.",
            plural(coverage.failed, "check fails", "checks fail"),
            verdict.card.ready_threshold
        ),
        Recommendation::Inconclusive => format!(
            "{}, but too little could be checked to call this ready: {}. Fix what stopped the \
audit (see the appendix) and run it again.",
            nothing_grave_fails(coverage.failed),
            verdict.card.inconclusive.as_deref().unwrap_or("coverage is too thin")
        ),
        Recommendation::ReadyToLaunch if coverage.failed == 0 => format!(
            "Every applicable check passes ({} of {}). What a static audit cannot see (load, \
failover, backups) still needs its own tests.",
            coverage.passed, coverage.checks
        ),
        Recommendation::ReadyToLaunch => format!(
            "Only minor issues remain ({}); none blocks launch.",
            plural(coverage.failed, "failing check", "failing checks")
        ),
    }
}

/// The opening of an inconclusive verdict: it never has a failing critical or high check.
fn nothing_grave_fails(failed: usize) -> String {
    match failed {
        0 => "No check that ran fails".to_string(),
        n => format!(
            "No critical or high-severity check fails ({})",
            plural(n, "failing check", "failing checks")
        ),
    }
}

fn severity_table(doc: &mut Doc, ctx: &Context) {
    doc.line("| Severity | Failing checks | Findings |");
    doc.line("| --- | ---: | ---: |");
    for severity in Severity::ALL_DESC {
        let checks = failing(ctx, severity);
        let findings = ctx.result.verdict.counts.findings(severity);
        doc.line(&format!(
            "| {} | {checks} | {findings} |",
            title_case(severity.as_str())
        ));
    }
    let mut hidden = Vec::new();
    if !ctx.result.suppressed.is_empty() {
        hidden.push(format!(
            "{} suppressed inline",
            plural(ctx.result.suppressed.len(), "finding", "findings")
        ));
    }
    if ctx.result.baselined > 0 {
        hidden.push(format!(
            "{} in the baseline",
            plural(ctx.result.baselined, "finding", "findings")
        ));
    }
    doc.blank();
    if !hidden.is_empty() {
        doc.line(&format!("Not counted above: {}.", hidden.join(", ")));
        doc.blank();
    }
}

fn top_item(ctx: &Context, check: &Check) -> String {
    let meta = ctx.meta(&check.rule);
    let title = title_of(ctx.result, check);
    let summary = meta
        .and_then(|m| m.impact.first().cloned())
        .or_else(|| meta.map(|m| plan::first_sentence(&m.description).trim().to_string()))
        .unwrap_or_default();
    let mut item = format!(
        "**{} ({} {})**",
        ctx.link(&check.rule, &title),
        upper(check.severity.as_str()),
        upper(check.category.as_str())
    );
    if !summary.is_empty() {
        let _ = write!(item, " - {}", inline(&summary));
    }
    let found = ctx.findings_of(&check.rule);
    if let Some(first) = found.first() {
        let _ = write!(item, " (`{}:{}`", first.path, first.line);
        if found.len() > 1 {
            let _ = write!(item, " and {} more", found.len() - 1);
        }
        item.push(')');
    }
    item
}

fn risk_reason(ctx: &Context, category: Category, risk: Risk) -> String {
    let failing = ctx.failing_in(category);
    if risk == Risk::None || failing.is_empty() {
        let applicable = ctx
            .result
            .checks
            .iter()
            .filter(|c| c.category == category && c.status != CheckStatus::NotApplicable)
            .count();
        return match applicable {
            0 => "no applicable check".to_string(),
            n => format!(
                "{} pass",
                plural(n, "applicable check", "applicable checks")
            ),
        };
    }
    let named: Vec<String> = failing
        .iter()
        .take(RISK_EXAMPLES)
        .map(|c| format!("{} ({})", inline(&title_of(ctx.result, c)), c.severity))
        .collect();
    let mut text = format!(
        "{}: {}",
        plural(failing.len(), "failing check", "failing checks"),
        named.join("; ")
    );
    if failing.len() > RISK_EXAMPLES {
        let _ = write!(text, "; and {} more", failing.len() - RISK_EXAMPLES);
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Issues

fn issues_section(doc: &mut Doc, ctx: &Context, title: &str, section: usize) {
    doc.heading(2, title);
    let checks: Vec<&Check> = ctx
        .ranked
        .iter()
        .copied()
        .filter(|c| section_of(c.severity) == section)
        .collect();
    if checks.is_empty() {
        doc.line(match section {
            0 => "No critical check fails.",
            1 => "No high-severity check fails.",
            2 => "No medium-severity check fails.",
            _ => "No low-severity check fails.",
        });
        doc.blank();
        doc.rule();
        return;
    }
    for check in checks {
        issue(doc, ctx, check);
    }
}

fn issue(doc: &mut Doc, ctx: &Context, check: &Check) {
    let Some(written) = ctx.issues.get(check.rule.as_str()) else {
        return;
    };
    doc.heading(3, &written.heading);
    let meta = ctx.meta(&check.rule);
    let mut facts = format!(
        "**Severity**: {} {} · **Rule**: `{}`",
        upper(check.severity.as_str()),
        upper(check.category.as_str()),
        check.rule
    );
    if let Some(meta) = meta {
        let _ = write!(facts, " ({})", meta.name);
        if !meta.area.is_empty() {
            let _ = write!(facts, " · **Area**: {}", meta.area);
        }
        if !meta.cwe.is_empty() {
            let _ = write!(facts, " · **CWE**: {}", meta.cwe.join(", "));
        }
        if let Some(step) = ctx.plan.step(&check.rule) {
            let _ = write!(facts, " · **Effort**: {}", hours(step.effort_hours));
        }
    }
    doc.line(&facts);
    doc.blank();
    if let Some(meta) = meta {
        labelled(doc, "Description", &meta.description);
    }
    locations(doc, ctx, check);
    if let Some(meta) = meta {
        labelled(doc, "Failure Scenario", &meta.failure_scenario);
        if !meta.impact.is_empty() {
            doc.line("**Impact**:");
            for line in &meta.impact {
                doc.line(&format!("- {}", inline(line)));
            }
            doc.blank();
        }
        doc.line("**Fix Recommendation**:");
        doc.blank();
        doc.line(meta.fix.trim());
        doc.blank();
        doc.line(&format!(
            "**Acceptance Criterion**: {}",
            inline(&meta.criterion)
        ));
        doc.blank();
        if !meta.references.is_empty() {
            let refs: Vec<String> = meta.references.iter().map(|r| format!("<{r}>")).collect();
            doc.line(&format!("**References**: {}", refs.join(", ")));
            doc.blank();
        }
    }
    doc.line(&format!("**Priority**: {}", priority(check.severity)));
    doc.blank();
    doc.line(&format!(
        "`audit explain {}` prints the whole rule. Issue {}.",
        check.rule, written.number
    ));
    doc.blank();
    doc.rule();
}

/// `**Label**: text`, the text's paragraphs kept (its hard-wrapped lines are joined by Markdown).
fn labelled(doc: &mut Doc, label: &str, text: &str) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    doc.line(&format!("**{label}**: {text}"));
    doc.blank();
}

fn locations(doc: &mut Doc, ctx: &Context, check: &Check) {
    let found = ctx.findings_of(&check.rule);
    if found.is_empty() {
        let mut line = "**Where**: a project-level check with no single location".to_string();
        if let Some(note) = &check.note {
            let _ = write!(line, " ({})", inline(note));
        }
        line.push('.');
        doc.line(&line);
        doc.blank();
        return;
    }
    doc.line(&format!("**Locations** ({}):", finding_count(found.len())));
    doc.blank();
    for (i, finding) in found.iter().enumerate() {
        doc.line(&format!(
            "{}. `{}:{}:{}` - {}",
            i + 1,
            finding.path,
            finding.line,
            finding.column,
            inline(&finding.message)
        ));
        if i < SNIPPETS_PER_ISSUE && !finding.snippet.trim().is_empty() {
            doc.blank();
            code_block(doc, &finding.path, &finding.snippet, "   ");
            if i + 1 < found.len() {
                doc.blank();
            }
        }
    }
    doc.blank();
}

/// A fenced block, dedented, with a fence longer than any backtick run in the code.
fn code_block(doc: &mut Doc, path: &str, code: &str, indent: &str) {
    let longest = code.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat((longest + 1).max(3));
    doc.line(&format!("{indent}{fence}{}", language(path)));
    for line in dedent(code) {
        if line.is_empty() {
            doc.line("");
        } else {
            doc.line(&format!("{indent}{line}"));
        }
    }
    doc.line(&format!("{indent}{fence}"));
}

fn dedent(code: &str) -> Vec<&str> {
    let lines: Vec<&str> = code.lines().map(str::trim_end).collect();
    let margin = lines
        .iter()
        .filter(|l| !l.is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    lines
        .into_iter()
        .map(|l| l.get(margin..).unwrap_or_else(|| l.trim_start()))
        .collect()
}

fn language(path: &str) -> &'static str {
    let name = path.rsplit('/').next().unwrap_or(path);
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    match ext {
        "py" | "pyi" => "python",
        "prisma" => "prisma",
        "toml" => "toml",
        "yml" | "yaml" => "yaml",
        "json" => "json",
        "ini" | "cfg" => "ini",
        "html" => "html",
        "js" | "mjs" => "javascript",
        "ts" => "typescript",
        "sh" => "sh",
        _ if name == "Dockerfile" || name.starts_with("Dockerfile.") => "dockerfile",
        _ => "text",
    }
}

// ---------------------------------------------------------------------------------------------
// Summaries by area

fn area_summary(doc: &mut Doc, ctx: &Context, title: &str, category: Category) {
    doc.heading(2, title);
    let failing = ctx.failing_in(category);
    let applicable = ctx
        .result
        .checks
        .iter()
        .filter(|c| c.category == category && c.status != CheckStatus::NotApplicable)
        .count();
    doc.line(&format!(
        "{} of {} applicable {} checks pass.",
        applicable - failing.len(),
        applicable,
        category.as_str()
    ));
    doc.blank();
    // Areas in order of their worst failure, then name; checks keep their rank order.
    let mut areas: Vec<(String, Vec<&Check>)> = Vec::new();
    for check in failing {
        let area = ctx
            .meta(&check.rule)
            .map_or_else(|| "other".to_string(), |m| m.area.clone());
        match areas.iter_mut().find(|(a, _)| *a == area) {
            Some((_, list)) => list.push(check),
            None => areas.push((area, vec![check])),
        }
    }
    for (area, checks) in areas {
        doc.heading(3, &title_case(&area));
        for (i, check) in checks.iter().enumerate() {
            doc.line(&format!("{}. {}", i + 1, summary_item(ctx, check)));
        }
        doc.blank();
    }
    doc.rule();
}

fn summary_item(ctx: &Context, check: &Check) -> String {
    format!(
        "{} ({}) - {}",
        ctx.link(&check.rule, &title_of(ctx.result, check)),
        upper(check.severity.as_str()),
        finding_count(check.findings)
    )
}

fn other_categories(doc: &mut Doc, ctx: &Context) {
    doc.heading(2, SECTIONS[7]);
    for category in [
        Category::Reliability,
        Category::DataIntegrity,
        Category::Operations,
    ] {
        doc.heading(3, category_name(category));
        let failing = ctx.failing_in(category);
        if failing.is_empty() {
            doc.line("No failing check.");
        }
        for (i, check) in failing.iter().enumerate() {
            let area = ctx.meta(&check.rule).map_or("", |m| m.area.as_str());
            let mut line = format!("{}. {}", i + 1, summary_item(ctx, check));
            if !area.is_empty() {
                let _ = write!(line, " · {area}");
            }
            doc.line(&line);
        }
        doc.blank();
    }
    doc.rule();
}

// ---------------------------------------------------------------------------------------------
// Plan, checklist, minimum to launch, conclusion

fn fix_plan(doc: &mut Doc, ctx: &Context) {
    doc.heading(2, SECTIONS[8]);
    let plan = &ctx.plan;
    if plan.phases.is_empty() {
        doc.line("Nothing to fix: no applicable check fails.");
        doc.blank();
        doc.rule();
        return;
    }
    let steps: usize = plan.phases.iter().map(|p| p.steps.len()).sum();
    doc.line(&format!(
        "Total estimated effort: **{}** across {} in {}. Each step fixes one failing check; steps \
are ordered by severity, then number of findings.",
        hours(plan.total_effort_hours),
        plural(steps, "step", "steps"),
        plural(plan.phases.len(), "phase", "phases")
    ));
    doc.blank();
    for phase in &plan.phases {
        doc.heading(
            3,
            &format!(
                "Phase {}: {} ({})",
                phase.phase,
                title_case(&phase.title),
                hours(phase.effort_hours)
            ),
        );
        let worst = phase.steps.iter().map(|s| s.severity).max();
        if let Some(worst) = worst {
            doc.line(&format!("**Priority**: {}", priority(worst)));
            doc.blank();
        }
        for (i, step) in phase.steps.iter().enumerate() {
            doc.line(&format!(
                "{}. **{}** - `{}`, {}, {}, {}",
                i + 1,
                ctx.link(&step.rule, &step.title),
                step.rule,
                step.severity,
                finding_count(step.findings),
                hours(step.effort_hours)
            ));
            match ctx.issues.get(step.rule.as_str()) {
                _ if !step.fix.is_empty() => {
                    doc.line(&format!("   - Fix: {}", inline(&step.fix)));
                }
                Some(issue) => doc.line(&format!(
                    "   - Fix: see [issue {}](#{})",
                    issue.number, issue.slug
                )),
                None => {}
            }
            if !step.locations.is_empty() {
                let shown: Vec<String> = step
                    .locations
                    .iter()
                    .take(LOCATIONS_PER_STEP)
                    .map(|l| format!("`{l}`"))
                    .collect();
                let mut line = format!("   - Where: {}", shown.join(", "));
                if step.locations.len() > LOCATIONS_PER_STEP {
                    let _ = write!(
                        line,
                        " and {} more",
                        step.locations.len() - LOCATIONS_PER_STEP
                    );
                }
                doc.line(&line);
            }
            if let Some(meta) = ctx.meta(&step.rule) {
                doc.line(&format!("   - Done when: {}", inline(&meta.criterion)));
            }
        }
        doc.blank();
    }
    doc.rule();
}

fn acceptance(doc: &mut Doc, ctx: &Context) {
    doc.heading(2, SECTIONS[9]);
    let na = ctx.result.verdict.card.coverage.not_applicable;
    let mut intro = "A criterion is ticked when its check passes on this code base.".to_string();
    if na > 0 {
        let _ = write!(
            intro,
            " {} not applicable and not listed.",
            plural(na, "check is", "checks are")
        );
    }
    doc.line(&intro);
    doc.blank();
    if ctx.checklist.is_empty() {
        doc.line("No applicable check ran.");
        doc.blank();
    }
    for category in Category::ALL {
        let items: Vec<&ChecklistItem> = ctx
            .checklist
            .iter()
            .filter(|item| item.category == category)
            .collect();
        if items.is_empty() {
            continue;
        }
        doc.heading(3, category_name(category));
        for item in items {
            doc.line(&format!(
                "- [{}] {} (`{}`)",
                if item.checked { "x" } else { " " },
                inline(&item.criterion),
                item.rule
            ));
        }
        doc.blank();
    }
    doc.rule();
}

fn minimum_to_launch(doc: &mut Doc, ctx: &Context) {
    doc.heading(2, SECTIONS[10]);
    let launch = &ctx.plan.launch;
    if launch.blockers.rules.is_empty() {
        doc.line("No launch blocker: no critical check fails.");
        doc.blank();
    }
    let groups = [
        (
            "**Launch blockers** (every failing critical check, {} in all):",
            &launch.blockers,
        ),
        (
            "**Launch conditions** (fix, or accept the risk in writing; {}):",
            &launch.conditions,
        ),
        ("**Defer to post-launch** ({}):", &launch.deferred),
    ];
    for (heading, group) in groups {
        if group.rules.is_empty() {
            continue;
        }
        doc.line(&heading.replace("{}", &hours(group.effort_hours)));
        doc.blank();
        list_checks(doc, ctx, group);
    }
    doc.rule();
}

fn list_checks(doc: &mut Doc, ctx: &Context, group: &Group) {
    for (i, rule) in group.rules.iter().enumerate() {
        let effort = match (ctx.meta(rule), ctx.plan.step(rule)) {
            (Some(_), Some(step)) => format!(", {}", hours(step.effort_hours)),
            _ => String::new(),
        };
        let title = ctx.meta(rule).map_or(rule.as_str(), |m| m.title.as_str());
        doc.line(&format!(
            "{}. {} (`{}`{effort})",
            i + 1,
            ctx.link(rule, title),
            rule
        ));
    }
    doc.blank();
}

fn conclusion(doc: &mut Doc, ctx: &Context) {
    doc.heading(2, SECTIONS[11]);
    let card = &ctx.result.verdict.card;
    let blocker_phases: Vec<String> = ctx
        .plan
        .phases
        .iter()
        .filter(|p| p.steps.iter().any(|s| s.severity == Severity::Critical))
        .map(|p| format!("Phase {}", p.phase))
        .collect();
    let text = match card.recommendation {
        Recommendation::DoNotLaunch => format!(
            "This code base is not production-ready: {} and the score is {:.1}/10.",
            plural(
                failing(ctx, Severity::Critical),
                "critical check fails",
                "critical checks fail"
            ),
            card.score
        ),
        Recommendation::LaunchWithConditions => format!(
            "This code base can launch only with conditions: {} (score {:.1}/10).",
            plural(card.coverage.failed, "check fails", "checks fail"),
            card.score
        ),
        Recommendation::ReadyToLaunch => format!(
            "No static check stands in the way of launch (score {:.1}/10).",
            card.score
        ),
        Recommendation::Inconclusive => format!(
            "{} (score {:.1}/10), but this audit could not see enough to say the code base is \
production-ready.",
            nothing_grave_fails(card.coverage.failed),
            card.score
        ),
    };
    doc.line(&text);
    doc.blank();
    if ctx.plan.total_effort_hours > 0.0 {
        doc.line(&format!(
            "**Estimated effort to fix every failing check**: {}",
            hours(ctx.plan.total_effort_hours)
        ));
        doc.blank();
    }
    let recommendation = match card.recommendation {
        Recommendation::DoNotLaunch => format!(
            "**Recommendation**: {} until {} {} complete.",
            card.recommendation.headline(),
            join_and(&blocker_phases),
            if blocker_phases.len() == 1 {
                "is"
            } else {
                "are"
            }
        ),
        _ => format!("**Recommendation**: {}", card.recommendation.headline()),
    };
    doc.line(&recommendation);
    doc.blank();
    doc.rule();
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => "the launch blockers".to_string(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

// ---------------------------------------------------------------------------------------------
// Appendix

fn appendix(doc: &mut Doc, ctx: &Context) {
    doc.heading(2, APPENDIX);
    let result = ctx.result;
    doc.line("| Check | Title | Severity | Category | Status | Findings |");
    doc.line("| --- | --- | --- | --- | --- | ---: |");
    for check in &result.checks {
        let mut status = check.status.as_str().to_string();
        if let Some(note) = &check.note {
            let _ = write!(status, " ({note})");
        }
        doc.line(&format!(
            "| `{}` | {} | {} | {} | {} | {} |",
            check.rule,
            cell(&title_of(result, check)),
            check.severity,
            check.category,
            cell(&status),
            check.findings
        ));
    }
    doc.blank();
    if !result.suppressed.is_empty() {
        doc.heading(3, "Suppressed Findings");
        doc.line("Hidden by `# audit: ignore[...]` comments; they do not fail their check unless `--strict`.");
        doc.blank();
        for finding in &result.suppressed {
            doc.line(&format!(
                "- `{}` `{}:{}` - {}",
                finding.rule,
                finding.path,
                finding.line,
                inline(&finding.message)
            ));
        }
        doc.blank();
    }
    if result.baselined > 0 {
        doc.line(&format!(
            "{} hidden by the baseline.",
            plural(result.baselined, "finding is", "findings are")
        ));
        doc.blank();
    }
    if !result.errors.is_empty() {
        doc.heading(3, "Skipped or Partly Read Files");
        for error in &result.errors {
            doc.line(&format!("- `{}`: {}", error.path, inline(&error.message)));
        }
        doc.blank();
    }
}

/// `2024-05-01T12:34:56Z` for a Unix time, without a date library (civil-from-days).
pub fn utc_timestamp(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let secs = unix_seconds % 86_400;
    // Howard Hinnant's algorithm, shifted so the era starts on 0000-03-01.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        secs / 3_600,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::tests::sample_report;

    fn rendered() -> String {
        render(&sample_report(), &MarkdownOptions::default())
    }

    #[test]
    fn renders_the_sample_report() {
        insta::assert_snapshot!(rendered());
    }

    #[test]
    fn sections_come_in_the_seed_order() {
        let text = rendered();
        let mut last = 0;
        for title in SECTIONS.iter().chain(std::iter::once(&APPENDIX)) {
            let at = text
                .find(&format!("\n## {title}\n"))
                .unwrap_or_else(|| panic!("missing section {title}"));
            assert!(at > last, "{title} out of order");
            last = at;
        }
        for sub in ["### Top 5 Most Dangerous Issues", "### Risk Assessment"] {
            assert!(text.contains(&format!("\n{sub}\n")));
        }
    }

    #[test]
    fn issues_are_numbered_ranked_and_linked() {
        let text = rendered();
        assert!(text.contains("\n### 1.1 SQL built from untrusted strings\n"));
        assert!(text.contains("\n### 1.2 JWT decoded without signature verification\n"));
        assert!(text.contains("\n### 2.1 Query per loop iteration\n"));
        assert!(text.contains("\n### 4.1 print used for diagnostics\n"));
        assert!(text.contains(
            "1. **[SQL built from untrusted strings](#11-sql-built-from-untrusted-strings) (CRITICAL SECURITY)**"
        ));
        // Every one of the seven SQL findings is listed; the first five with code.
        for n in 0..7 {
            assert!(text.contains(&format!("`apps/search/queries.py:{}:5`", 10 + n * 6)));
        }
        assert_eq!(
            text.matches("   cursor.execute(f\"SELECT").count(),
            SNIPPETS_PER_ISSUE
        );
        assert!(text.contains("**Where**: a project-level check with no single location."));
        assert!(text.contains("- [ ] Every request has a server-side timeout (`REL002`)"));
        assert!(text.contains("- [x] Criterion of OPS001 (`OPS001`)"));
    }

    #[test]
    fn output_is_deterministic_and_timestamp_is_opt_in() {
        assert_eq!(rendered(), rendered());
        assert!(!rendered().contains("Generated"));
        let stamped = render(
            &sample_report(),
            &MarkdownOptions {
                timestamp: Some(utc_timestamp(0)),
            },
        );
        assert!(stamped.contains(" Generated 1970-01-01T00:00:00Z.\n"));
    }

    #[test]
    fn helpers() {
        assert_eq!(
            slug("1.1 JWT decoded (CRITICAL)"),
            "11-jwt-decoded-critical"
        );
        assert_eq!(
            slug("Phase 2: Critical Reliability (10h)"),
            "phase-2-critical-reliability-10h"
        );
        assert_eq!(inline("a <b> `<c>`"), "a &lt;b&gt; `<c>`");
        assert_eq!(title_case("input-validation"), "Input Validation");
        assert_eq!(
            title_case("critical reliability and data integrity"),
            "Critical Reliability and Data Integrity"
        );
        assert_eq!(dedent("    a\n      b\n"), vec!["a", "  b"]);
        assert_eq!(language("x/Dockerfile"), "dockerfile");
        assert_eq!(language("a/b.py"), "python");
        assert_eq!(utc_timestamp(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(utc_timestamp(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(
            join_and(&["A".into(), "B".into(), "C".into()]),
            "A, B and C"
        );
    }
}
