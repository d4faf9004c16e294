//! The project stage: the production settings, the cross-file model, and every project
//! matcher run on them.

use crate::findings::Finding;
use crate::locate::LineIndex;
use crate::model::project::Project;
use crate::model::settings::{self, SettingsChoice};
use crate::parse::manifests;
use crate::result::FileError;
use crate::rules::matcher::{Matcher, Needs, ProjectInput, ProjectMatcher};
use crate::rules::setting::Evidence;
use crate::rules::LoadedRule;
use std::collections::{BTreeMap, BTreeSet};

use super::merge::Merged;

/// What the project stage (settings rules) found: findings, per-rule notes for checks that
/// could not be decided, and problems to report.
#[derive(Default)]
pub(super) struct ProjectOutcome {
    pub(super) findings: Vec<Finding>,
    pub(super) notes: BTreeMap<String, String>,
    /// Per rule id: the project code that makes a passing check pass.
    pub(super) passed: BTreeMap<String, String>,
    pub(super) errors: Vec<FileError>,
    /// A production settings module was found and evaluated.
    pub(super) settings_found: bool,
    /// Bounds that stopped its evaluation: the settings were not seen whole.
    pub(super) incomplete: Vec<String>,
    /// Which module was audited and why.
    pub(super) choice: Option<SettingsChoice>,
}

/// The project stage: picks and evaluates the production settings, builds the cross-file
/// model, then runs every project matcher on them. Each matcher decides what a missing settings
/// module means for its check (a setting rule is n/a, with a note).
pub(super) fn project_stage(
    rules: &[&LoadedRule],
    merged: &Merged,
    named: Option<&str>,
) -> ProjectOutcome {
    let mut outcome = ProjectOutcome::default();
    let mut matchers: Vec<(&LoadedRule, &dyn ProjectMatcher, Needs)> = rules
        .iter()
        .filter_map(|r| match &r.matcher {
            Matcher::Project(m) => Some((*r, m.as_ref(), m.needs())),
            Matcher::File(_) => None,
        })
        .collect();
    if matchers.is_empty() {
        return outcome;
    }
    // Matchers of the settings profile alone run first, then those of the project model: the
    // order findings were gathered in before both were matchers alike (stable, so rule order
    // holds within each).
    matchers.sort_by_key(|(_, _, needs)| needs.project);
    let mut files = merged.settings.clone();
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    settings::add_copies(&mut files, &merged.copies);
    let mut hints = merged.hints.clone();
    hints.sort();
    let django = manifests::django_version(&merged.dependencies);
    let chosen = settings::production_profile(&files, &hints, named, django);
    match &chosen {
        Ok(Some(profile)) => {
            outcome.settings_found = true;
            outcome.choice = Some(profile.choice());
            outcome.incomplete = profile
                .incomplete
                .iter()
                .map(|why| format!("{}: {why}", profile.module))
                .collect();
        }
        Ok(None) => {}
        Err(message) => outcome.errors.push(FileError {
            path: String::new(),
            message: message.clone(),
        }),
    }
    let profile = chosen.as_ref().ok().and_then(Option::as_ref);
    let settings_rels: Vec<String> = files.iter().map(|f| f.rel.clone()).collect();
    let dependencies: BTreeSet<String> =
        merged.dependencies.iter().map(|d| d.name.clone()).collect();
    let imports = merged.top_level_imports();
    let project = Project::build(
        &merged.modules,
        profile,
        &settings_rels,
        &dependencies,
        &imports,
    )
    .with_deploy(&merged.deploy)
    .with_paths(&merged.paths)
    .with_documents(&merged.documents);
    let needles = Needs::of(rules).code;
    let mut code = merged.code.clone();
    code.sort();
    let evidence = Evidence {
        imports: &merged.imports,
        needles: &needles,
        code: &code,
    };
    let sources: BTreeMap<&str, (&str, LineIndex)> = files
        .iter()
        .map(|f| {
            (
                f.rel.as_str(),
                (f.source.as_str(), LineIndex::new(&f.source)),
            )
        })
        .collect();
    let input = ProjectInput {
        profile: chosen.as_ref().map(Option::as_ref).map_err(String::as_str),
        project: &project,
        evidence: &evidence,
        sources: &sources,
        dependencies: &dependencies,
        imports: &imports,
    };
    for (rule, matcher, _) in matchers {
        let check = matcher.check(rule, &input);
        outcome.findings.extend(check.findings);
        if let Some(note) = check.note {
            outcome.notes.insert(rule.meta.id.clone(), note);
        }
        if let Some(note) = check.passed {
            outcome.passed.insert(rule.meta.id.clone(), note);
        }
    }
    outcome
}
