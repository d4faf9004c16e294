//! The default human report: a scored header, findings as miette diagnostics with code frames,
//! project-level failures, skipped files and a condensed fix plan. Pure: result in, text out.

use super::AuditResult;
use crate::findings::{Finding, Severity};
use crate::plan::{self, Plan};
use crate::rules::rule::RuleMeta;
use crate::score::{CheckStatus, Recommendation, Risk};
use miette::{
    Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError,
    MietteSpanContents, SourceCode, SourceSpan, SpanContents,
};
use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

/// How to draw the report; the CLI decides colour (TTY, `NO_COLOR`) and width.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TerminalOptions {
    pub color: bool,
    pub verbose: bool,
    pub width: usize,
}

/// Findings shown per rule without `--verbose`.
const FINDINGS_PER_RULE: usize = 5;
/// Skipped-file notes shown without `--verbose`.
const ERRORS_SHOWN: usize = 10;
/// Narrower widths make miette wrap every word; clamp a degenerate terminal size.
const MIN_WIDTH: usize = 40;
/// Lines of a code frame without `--verbose`; long matches (a whole function) are cut.
const FRAME_LINES: usize = 10;

/// Renders the whole report.
pub fn render(result: &AuditResult, opts: &TerminalOptions) -> String {
    let paint = Paint { color: opts.color };
    let plan = &result.verdict.plan;
    let mut out = String::new();
    header(&mut out, result, paint);
    top_five(&mut out, result, paint);
    findings(&mut out, result, opts, paint);
    locationless_failures(&mut out, result, paint);
    if opts.verbose {
        not_applicable(&mut out, result, paint);
    }
    errors(&mut out, result, opts, paint);
    plan_summary(&mut out, plan, paint);
    next_step(&mut out, result, plan, paint);
    out
}

// ---------------------------------------------------------------------------------------------
// Styling

/// ANSI styling that disappears entirely when colour is off.
#[derive(Clone, Copy)]
pub(crate) struct Paint {
    pub(crate) color: bool,
}

impl Paint {
    pub(crate) fn sgr(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\u{1b}[{code}m{text}\u{1b}[0m")
        } else {
            text.to_string()
        }
    }

    pub(crate) fn bold(self, text: &str) -> String {
        self.sgr("1", text)
    }

    pub(crate) fn dim(self, text: &str) -> String {
        self.sgr("2", text)
    }

    fn severity(self, severity: Severity, text: &str) -> String {
        let code = match severity {
            Severity::Critical => "1;31",
            Severity::High => "31",
            Severity::Medium => "33",
            Severity::Low => "36",
            Severity::Info => "2",
        };
        self.sgr(code, text)
    }

    fn risk(self, risk: Risk, text: &str) -> String {
        let code = match risk {
            Risk::Extreme => "1;31",
            Risk::High => "31",
            Risk::Medium => "33",
            Risk::Low => "36",
            Risk::None => "32",
        };
        self.sgr(code, text)
    }
}

// ---------------------------------------------------------------------------------------------
// Header

fn header(out: &mut String, result: &AuditResult, paint: Paint) {
    let card = &result.verdict.card;
    let _ = writeln!(
        out,
        "{} {}",
        paint.bold(&format!("audit {}", env!("CARGO_PKG_VERSION"))),
        paint.dim("· production readiness"),
    );
    let _ = writeln!(out);

    let score = format!("{:.1}/10", card.score);
    let mut score_line = paint.bold(&score);
    if let Some(cap) = &card.cap {
        let _ = write!(score_line, " (raw {:.1}, {cap})", card.raw_score);
    }
    let recommendation = card.recommendation.headline();
    let recommendation = match card.recommendation {
        Recommendation::DoNotLaunch => paint.sgr("1;31", recommendation),
        Recommendation::LaunchWithConditions => paint.sgr("1;33", recommendation),
        Recommendation::ReadyToLaunch => paint.sgr("1;32", recommendation),
        Recommendation::Inconclusive => format!(
            "{} ({})",
            paint.sgr("1;35", recommendation),
            card.inconclusive
                .as_deref()
                .unwrap_or("too little could be checked")
        ),
    };
    let coverage = &card.coverage;
    let rows = [
        ("Root", result.root.clone()),
        ("Files", format!("{} scanned", result.files)),
        (
            "Code roles",
            super::role_counts(&result.roles).unwrap_or_else(|| "no Python files".to_string()),
        ),
        ("Score", score_line),
        ("Recommendation", recommendation),
        ("Settings", super::settings_summary(result)),
        ("Findings", severity_counts(result, paint)),
        (
            "Coverage",
            format!(
                "{} checks: {} passed, {} failed, {} n/a",
                coverage.checks, coverage.passed, coverage.failed, coverage.not_applicable
            ),
        ),
    ];
    for (label, value) in rows {
        let _ = writeln!(out, "  {label:<16}{value}");
        if label == "Settings" {
            if let Some(others) = super::other_settings(result) {
                let _ = writeln!(out, "  {:<16}{}", "", paint.dim(&others));
            }
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", paint.bold("Risk by area"));
    for (category, risk) in &card.risk {
        let word = risk.as_str().to_uppercase();
        let _ = writeln!(
            out,
            "  {:<16}{}",
            category.as_str(),
            paint.risk(*risk, &word)
        );
    }
}

fn severity_counts(result: &AuditResult, paint: Paint) -> String {
    let parts: Vec<String> = Severity::ALL_DESC
        .iter()
        .map(|&severity| {
            let n = result.verdict.counts.findings(severity);
            let text = format!("{n} {severity}");
            if n > 0 {
                paint.severity(severity, &text)
            } else {
                text
            }
        })
        .collect();
    let mut line = parts.join(", ");
    let mut hidden = Vec::new();
    if !result.suppressed.is_empty() {
        hidden.push(format!("{} suppressed", result.suppressed.len()));
    }
    if result.baselined > 0 {
        hidden.push(format!("{} baselined", result.baselined));
    }
    if !hidden.is_empty() {
        let _ = write!(line, " {}", paint.dim(&format!("({})", hidden.join(", "))));
    }
    line
}

/// The five most dangerous failing checks, each with its first location.
fn top_five(out: &mut String, result: &AuditResult, paint: Paint) {
    if result.verdict.ranking.is_empty() {
        return;
    }
    section(out, "Top 5 most dangerous issues", paint);
    for (i, check) in result.ranked().take(5).enumerate() {
        let meta = result.rule(&check.rule);
        let title = meta.map_or(check.rule.as_str(), |m| m.title.as_str());
        let mut found = result.findings.iter().filter(|f| f.rule == check.rule);
        let place = match (found.next(), check.findings) {
            (Some(first), n) if n > 1 => {
                format!("{}:{} (+{} more)", first.path, first.line, n - 1)
            }
            (Some(first), _) => format!("{}:{}", first.path, first.line),
            (None, _) => "project-level".to_string(),
        };
        let severity = format!("{:<8}", check.severity.as_str());
        let _ = writeln!(
            out,
            "  {}. {} {:<8} {title}",
            i + 1,
            paint.severity(check.severity, &severity),
            check.rule,
        );
        let _ = writeln!(out, "     {}", paint.dim(&place));
    }
}

/// A section heading: a bold title and a rule line.
fn section(out: &mut String, title: &str, paint: Paint) {
    let _ = writeln!(out);
    let _ = writeln!(out, "{}", paint.bold(title));
    let _ = writeln!(out, "{}", paint.dim(&"─".repeat(title.chars().count())));
}

// ---------------------------------------------------------------------------------------------
// Findings

fn findings(out: &mut String, result: &AuditResult, opts: &TerminalOptions, paint: Paint) {
    if result.findings.is_empty() {
        section(out, "Findings", paint);
        let _ = writeln!(out, "No findings.");
        return;
    }
    let handler = handler(opts);
    for severity in Severity::ALL_DESC {
        let by_rule = group_by_rule(&result.findings, severity);
        if by_rule.is_empty() {
            continue;
        }
        let total: usize = by_rule.values().map(Vec::len).sum();
        let title = format!("{} ({total})", severity.as_str().to_uppercase());
        let _ = writeln!(out);
        let _ = writeln!(out, "{}", paint.severity(severity, &title));
        let _ = writeln!(out, "{}", paint.dim(&"─".repeat(title.chars().count())));
        for (rule, list) in by_rule {
            let shown = if opts.verbose {
                list.len()
            } else {
                list.len().min(FINDINGS_PER_RULE)
            };
            for finding in &list[..shown] {
                let _ = writeln!(out);
                render_finding(out, &handler, finding, result.rule(rule), opts.verbose);
            }
            if shown < list.len() {
                let _ = writeln!(
                    out,
                    "  {}",
                    paint.dim(&format!(
                        "… and {} more {rule} findings (use --verbose)",
                        list.len() - shown
                    ))
                );
            }
        }
    }
}

/// The findings of one severity keyed by rule id; each list keeps the path/line order.
fn group_by_rule(findings: &[Finding], severity: Severity) -> BTreeMap<&str, Vec<&Finding>> {
    let mut map: BTreeMap<&str, Vec<&Finding>> = BTreeMap::new();
    for finding in findings.iter().filter(|f| f.severity == severity) {
        map.entry(finding.rule.as_str()).or_default().push(finding);
    }
    map
}

fn handler(opts: &TerminalOptions) -> GraphicalReportHandler {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width.max(MIN_WIDTH))
        .with_context_lines(1)
        .with_links(false);
    if opts.color {
        handler
    } else {
        handler.without_syntax_highlighting()
    }
}

fn render_finding(
    out: &mut String,
    handler: &GraphicalReportHandler,
    finding: &Finding,
    meta: Option<&RuleMeta>,
    verbose: bool,
) {
    let diagnostic = FindingDiagnostic::new(finding, meta, verbose);
    let mut text = String::new();
    if handler.render_report(&mut text, &diagnostic).is_err() {
        // miette only fails on a span it cannot read; fall back to a plain location line.
        text = format!(
            "{} {}\n  {}:{}:{}: {}\n",
            finding.rule, finding.name, finding.path, finding.line, finding.column, finding.message
        );
    }
    out.push_str(&text);
}

/// One finding as a miette diagnostic.
#[derive(Debug)]
struct FindingDiagnostic<'a> {
    code: String,
    message: &'a str,
    severity: miette::Severity,
    help: String,
    source: Option<SnippetSource<'a>>,
    label: Option<LabeledSpan>,
}

impl<'a> FindingDiagnostic<'a> {
    fn new(finding: &'a Finding, meta: Option<&RuleMeta>, verbose: bool) -> Self {
        let snippet = if verbose {
            finding.snippet.as_str()
        } else {
            first_lines(&finding.snippet, FRAME_LINES)
        };
        let (source, label) = match snippet_span(finding, snippet) {
            Some(span) => (
                Some(SnippetSource {
                    name: finding.path.clone(),
                    snippet,
                    first_line: finding.line.saturating_sub(1),
                }),
                Some(LabeledSpan::new_primary_with_span(
                    meta.map(|m| m.title.clone()),
                    span,
                )),
            ),
            None => (None, None),
        };
        FindingDiagnostic {
            code: format!("{} {}", finding.rule, finding.name),
            message: &finding.message,
            severity: miette_severity(finding.severity),
            help: help_text(&finding.rule, meta),
            source,
            label,
        }
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message)
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.help))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.label
            .as_ref()
            .map(|l| Box::new(std::iter::once(l.clone())) as Box<dyn Iterator<Item = LabeledSpan>>)
    }
}

fn miette_severity(severity: Severity) -> miette::Severity {
    match severity {
        Severity::Critical | Severity::High => miette::Severity::Error,
        Severity::Medium => miette::Severity::Warning,
        Severity::Low | Severity::Info => miette::Severity::Advice,
    }
}

/// The first sentence of the rule's fix (its prose is hard-wrapped, so the first paragraph is
/// joined first), else a pointer to where the whole rule is listed.
fn help_text(rule: &str, meta: Option<&RuleMeta>) -> String {
    let paragraph = meta.map(|m| plan::fix_summary(&m.fix)).unwrap_or_default();
    if paragraph.is_empty() {
        return format!("`audit explain {rule}` shows the fix");
    }
    plan::first_sentence(&paragraph).to_string()
}

/// The first `n` lines of `text` (without the newline that ends the last one).
fn first_lines(text: &str, n: usize) -> &str {
    match text.match_indices('\n').nth(n.saturating_sub(1)) {
        Some((end, _)) if n > 0 => &text[..end],
        _ => text,
    }
}

/// The finding's span relative to the (possibly cut) snippet, clamped and snapped to char
/// boundaries so an inconsistent finding never panics; `None` when there is nothing to frame.
fn snippet_span(finding: &Finding, snippet: &str) -> Option<SourceSpan> {
    if snippet.is_empty() {
        return None;
    }
    let (start, end) = finding.byte_range;
    let mut start = start
        .saturating_sub(finding.snippet_offset)
        .min(snippet.len());
    let mut end = end
        .saturating_sub(finding.snippet_offset)
        .clamp(start, snippet.len());
    while !snippet.is_char_boundary(start) {
        start -= 1;
    }
    while !snippet.is_char_boundary(end) {
        end += 1;
    }
    Some(SourceSpan::new(start.into(), end - start))
}

/// Serves a finding's snippet to miette with the file's name and line numbers: spans are
/// relative to the snippet, lines are shifted to where the snippet starts in the file.
#[derive(Debug)]
struct SnippetSource<'a> {
    name: String,
    snippet: &'a str,
    /// 0-based file line of the snippet's first line.
    first_line: usize,
}

impl SourceCode for SnippetSource<'_> {
    fn read_span<'b>(
        &'b self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'b> + 'b>, MietteError> {
        let inner = self
            .snippet
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            inner.column(),
            inner.line_count(),
        )))
    }
}

// ---------------------------------------------------------------------------------------------
// Other sections

/// Failing checks with no active finding to show (project-level rules such as a missing timeout).
fn locationless_failures(out: &mut String, result: &AuditResult, paint: Paint) {
    let count = result.verdict.project_level.len();
    if count == 0 {
        return;
    }
    section(out, &format!("Failed project checks ({count})"), paint);
    for check in result.project_level_failures() {
        let meta = result.rule(&check.rule);
        let name = meta.map_or("", |m| m.name.as_str());
        let title = meta.map_or("", |m| m.title.as_str());
        let severity = paint.severity(check.severity, check.severity.as_str());
        let _ = writeln!(out, "  ✗ {} {name} ({severity}): {title}", check.rule);
        if let Some(note) = &check.note {
            let _ = writeln!(out, "    {}", paint.dim(note));
        }
    }
}

fn not_applicable(out: &mut String, result: &AuditResult, paint: Paint) {
    let skipped: Vec<_> = result
        .checks
        .iter()
        .filter(|c| c.status == CheckStatus::NotApplicable)
        .collect();
    if skipped.is_empty() {
        return;
    }
    section(out, &format!("Not applicable ({})", skipped.len()), paint);
    for check in skipped {
        let name = result.rule(&check.rule).map_or("", |m| m.name.as_str());
        let note = check.note.as_deref().unwrap_or("preconditions not met");
        let _ = writeln!(out, "  - {} {name}: {}", check.rule, paint.dim(note));
    }
}

fn errors(out: &mut String, result: &AuditResult, opts: &TerminalOptions, paint: Paint) {
    if result.errors.is_empty() {
        return;
    }
    section(
        out,
        &format!("Skipped or partly read files ({})", result.errors.len()),
        paint,
    );
    let shown = if opts.verbose {
        result.errors.len()
    } else {
        result.errors.len().min(ERRORS_SHOWN)
    };
    for error in &result.errors[..shown] {
        let _ = writeln!(out, "  {}: {}", error.path, paint.dim(&error.message));
    }
    if shown < result.errors.len() {
        let _ = writeln!(
            out,
            "  {}",
            paint.dim(&format!(
                "… and {} more (use --verbose)",
                result.errors.len() - shown
            ))
        );
    }
}

fn plan_summary(out: &mut String, plan: &Plan, paint: Paint) {
    if plan.phases.is_empty() {
        return;
    }
    section(
        out,
        &format!("Fix plan ({} total)", hours(plan.total_effort_hours)),
        paint,
    );
    for phase in &plan.phases {
        let _ = writeln!(
            out,
            "  {} ({})",
            paint.bold(&format!("Phase {} · {}", phase.phase, phase.title)),
            hours(phase.effort_hours)
        );
        for step in &phase.steps {
            let count = match step.findings {
                0 => "project-level".to_string(),
                1 => "1 finding".to_string(),
                n => format!("{n} findings"),
            };
            let id = paint.severity(step.severity, &step.rule);
            let _ = writeln!(
                out,
                "    {id} {} ({count}, {})",
                step.name,
                hours(step.effort_hours)
            );
        }
    }
    if !plan.minimum_to_launch().is_empty() {
        let _ = writeln!(
            out,
            "  {} {}",
            paint.bold("Minimum to launch:"),
            plan.minimum_to_launch().join(", ")
        );
    }
}

/// `4h`, `1.5h`, `0.25h`: whole hours without a decimal point.
fn hours(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}h")
}

/// The closing line: what to do next.
fn next_step(out: &mut String, result: &AuditResult, plan: &Plan, paint: Paint) {
    let _ = writeln!(out);
    let first = plan.phases.first().and_then(|p| p.steps.first());
    let line = match first {
        None if result.verdict.card.coverage.checks == 0 => "No checks ran.".to_string(),
        None if result.verdict.card.recommendation == Recommendation::Inconclusive => {
            "No check that ran fails, but too little could be checked to call this ready."
                .to_string()
        }
        None => "All applicable checks pass.".to_string(),
        Some(_) if !plan.minimum_to_launch().is_empty() => {
            let blockers = plan.minimum_to_launch();
            format!(
                "Fix the {} launch blocker{} first, starting with {}; `audit explain {}` shows how.",
                blockers.len(),
                if blockers.len() == 1 { "" } else { "s" },
                blockers[0],
                blockers[0]
            )
        }
        Some(step) => format!(
            "Next: fix {} first (`audit explain {}`); `--format markdown -o audit.md` writes the full audit.",
            step.rule, step.rule
        ),
    };
    let _ = writeln!(out, "{}", paint.bold(&line));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Category;
    use crate::plan::tests::sample_report;

    fn plain(verbose: bool) -> TerminalOptions {
        TerminalOptions {
            color: false,
            verbose,
            width: 100,
        }
    }

    #[test]
    fn renders_the_sample_report() {
        insta::assert_snapshot!(render(&sample_report(), &plain(false)));
    }

    #[test]
    fn verbose_shows_every_finding_and_na_checks() {
        let text = render(&sample_report(), &plain(true));
        assert_eq!(text.matches("SEC017 sql-injection-raw-query\n").count(), 7);
        assert!(!text.contains("more SEC017 findings"));
        assert!(text.contains(
            "  - SEC028 content-security-policy-missing: django-csp is not a dependency\n"
        ));
        let short = render(&sample_report(), &plain(false));
        assert_eq!(short.matches("SEC017 sql-injection-raw-query\n").count(), 5);
        assert!(short.contains("… and 2 more SEC017 findings (use --verbose)\n"));
    }

    #[test]
    fn no_escape_bytes_without_color_and_some_with_it() {
        let result = sample_report();
        assert!(!render(&result, &plain(false)).contains('\u{1b}'));
        let colored = TerminalOptions {
            color: true,
            ..plain(false)
        };
        assert!(render(&result, &colored).contains('\u{1b}'));
    }

    #[test]
    fn output_is_deterministic() {
        let result = sample_report();
        assert_eq!(
            render(&result, &plain(false)),
            render(&result, &plain(false))
        );
    }

    #[test]
    fn clean_run_says_so_plainly() {
        let mut result = sample_report();
        result.findings.clear();
        result.errors.clear();
        result.suppressed.clear();
        result.baselined = 0;
        for check in &mut result.checks {
            if check.status == CheckStatus::Fail {
                check.status = CheckStatus::Pass;
                check.findings = 0;
            }
        }
        result.recompute(&crate::score::Visibility {
            settings_found: true,
            settings_wanted: true,
            unreadable_settings: Vec::new(),
        });
        let text = render(&result, &plain(false));
        assert!(text.contains("\nNo findings.\n"));
        assert!(text.contains("READY TO LAUNCH"));
        assert!(text.contains("  Score           10.0/10\n"));
        assert!(text.ends_with("All applicable checks pass.\n"));
        assert!(!text.contains("Fix plan"));
    }

    #[test]
    fn code_frame_uses_file_line_numbers() {
        let text = render(&sample_report(), &plain(false));
        assert!(text.contains("[apps/users/middleware.py:90:19]"));
        assert!(text.contains(" 90 │         decoded = jwt.decode("));
        assert!(text.contains(" 42 │ ├─▶     Chapter.objects.create(story=story, number=1)"));
    }

    #[test]
    fn inconsistent_spans_do_not_panic() {
        let mut result = sample_report();
        for (i, finding) in result.findings.iter_mut().enumerate() {
            finding.byte_range = match i % 4 {
                0 => (0, usize::MAX),
                1 => (usize::MAX, 3),
                2 => (
                    finding.snippet_offset + 1_000,
                    finding.snippet_offset + 2_000,
                ),
                _ => (0, 0),
            };
            if i == 5 {
                finding.snippet = "é🙂x".into();
                finding.snippet_offset = 0;
                finding.byte_range = (1, 6);
            }
            if i == 6 {
                finding.snippet.clear();
            }
        }
        let text = render(&result, &plain(true));
        assert!(text.contains("READY TO LAUNCH") || text.contains("DO NOT LAUNCH"));
        assert!(!text.contains("Failed to read contents"));
    }

    #[test]
    fn tiny_width_still_renders() {
        let opts = TerminalOptions {
            width: 0,
            ..plain(true)
        };
        let text = render(&sample_report(), &opts);
        assert!(text.contains("[apps/users/middleware.py:90:19]"));
    }

    #[test]
    fn help_is_the_first_sentence_of_the_fix() {
        let mut meta = crate::plan::tests::meta(
            "SEC001",
            "jwt",
            Severity::Critical,
            Category::Security,
            1,
            1.0,
        );
        meta.fix = "\nAlways verify with the key and\npinned algorithms. Reject on error.\n\n```python\nx\n```".into();
        assert_eq!(
            help_text("SEC001", Some(&meta)),
            "Always verify with the key and pinned algorithms."
        );
        meta.fix = "Use `logging`\n```python\nx\n```".into();
        assert_eq!(help_text("SEC001", Some(&meta)), "Use `logging`");
        meta.fix = "```python\nx\n```".into();
        assert_eq!(
            help_text("SEC001", Some(&meta)),
            "`audit explain SEC001` shows the fix"
        );
        assert_eq!(help_text("X1", None), "`audit explain X1` shows the fix");
    }

    #[test]
    fn helpers_format_hours_and_cut_lines() {
        assert_eq!(hours(4.0), "4h");
        assert_eq!(hours(1.5), "1.5h");
        assert_eq!(hours(0.25), "0.25h");
        assert_eq!(hours(10.0), "10h");
        assert_eq!(first_lines("a\nb\nc", 2), "a\nb");
        assert_eq!(first_lines("a\nb", 5), "a\nb");
        assert_eq!(first_lines("a", 0), "a");
    }
}
