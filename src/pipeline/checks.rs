//! One check per rule: pass, fail or n/a, with the note that says why.

use crate::findings::Finding;
use crate::rules::LoadedRule;
use crate::score::{self, Check, CheckStatus};
use std::collections::BTreeSet;

/// What decides whether a clean check passes or is n/a.
pub(super) struct Applicability<'a> {
    /// Top-level modules imported by non-test files.
    pub(super) imports: &'a BTreeSet<String>,
    pub(super) dependencies: &'a BTreeSet<String>,
    /// Why the project stage could not decide this rule, if it could not.
    pub(super) undecided: Option<&'a String>,
    /// The project code that provides what the rule looks for, if a clause was silenced by it.
    pub(super) passed: Option<&'a String>,
    /// Some Python file was found: without one, per-file (Python) rules looked at nothing.
    pub(super) has_python: bool,
}

pub(super) fn check_for(
    rule: &LoadedRule,
    active: &[Finding],
    suppressed: &[Finding],
    strict: bool,
    facts: &Applicability<'_>,
) -> Check {
    let meta = &rule.meta;
    let own = |f: &&Finding| f.rule == meta.id;
    let count = active.iter().filter(own).count();
    let hidden = suppressed.iter().filter(own).count();
    let when = &meta.applies_when;
    let applicable = when.holds(facts.dependencies, facts.imports);
    let (status, note) = if count > 0 || (strict && hidden > 0) {
        (CheckStatus::Fail, None)
    } else if rule.is_per_file() && !facts.has_python {
        // A clean pass over no files would claim a check that never ran.
        let note = "not applicable: no Python source files in the project".to_string();
        (CheckStatus::NotApplicable, Some(note))
    } else if !applicable {
        let mut evidence: Vec<String> = when.dependency_any.clone();
        evidence.extend(when.import_any.iter().map(|m| format!("import {m}")));
        let note = format!("not applicable: no {} in the project", evidence.join(" / "));
        (CheckStatus::NotApplicable, Some(note))
    } else if let Some(why) = facts.undecided {
        (CheckStatus::NotApplicable, Some(why.clone()))
    } else {
        (CheckStatus::Pass, facts.passed.cloned())
    };
    let undecided = status == CheckStatus::NotApplicable && applicable && facts.undecided.is_some();
    // The findings that make it fail: the active ones, and with --strict the suppressed ones.
    let failing = active
        .iter()
        .chain(suppressed.iter().filter(|_| strict))
        .filter(own)
        .map(|f| f.severity);
    Check {
        rule: meta.id.clone(),
        status,
        findings: count,
        note,
        severity: score::check_severity(meta.severity, status, failing),
        category: meta.category,
        undecided,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;

    #[test]
    fn a_check_weighs_the_findings_that_make_it_fail() {
        let set = crate::rules::load::load(&[], true).expect("embedded rules");
        let rule = set
            .rules
            .iter()
            .find(|r| r.meta.id == "SEC017")
            .expect("SEC017");
        assert_eq!(rule.meta.severity, Severity::Critical);
        let at = |severity: Severity, line: usize| Finding {
            severity,
            ..crate::plan::tests::finding(&rule.meta, "scripts/load.py", line)
        };
        let none = BTreeSet::new();
        let facts = Applicability {
            imports: &none,
            dependencies: &none,
            undecided: None,
            passed: None,
            has_python: true,
        };
        let check = |active: &[Finding], suppressed: &[Finding], strict: bool| {
            let c = check_for(rule, active, suppressed, strict, &facts);
            (c.status, c.severity)
        };
        let medium = [at(Severity::Medium, 3), at(Severity::Low, 9)];
        assert_eq!(
            check(&medium, &[], false),
            (CheckStatus::Fail, Severity::Medium)
        );
        // A suppressed finding weighs only when --strict makes it count.
        let high = [at(Severity::High, 5)];
        assert_eq!(
            check(&medium, &high, false),
            (CheckStatus::Fail, Severity::Medium)
        );
        assert_eq!(
            check(&medium, &high, true),
            (CheckStatus::Fail, Severity::High)
        );
        assert_eq!(check(&[], &high, true), (CheckStatus::Fail, Severity::High));
        // Clean, it weighs the rule's own severity; with no Python at all it is n/a.
        assert_eq!(
            check(&[], &[], false),
            (CheckStatus::Pass, Severity::Critical)
        );
        let c = check_for(
            rule,
            &[],
            &[],
            false,
            &Applicability {
                has_python: false,
                ..facts
            },
        );
        assert_eq!(
            (c.status, c.note.as_deref(), c.undecided),
            (
                CheckStatus::NotApplicable,
                Some("not applicable: no Python source files in the project"),
                false
            )
        );
    }
}
