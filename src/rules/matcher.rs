//! What the pipeline asks of a matcher, by stage: a [`FileMatcher`] looks at one parsed file at a
//! time; a [`ProjectMatcher`] runs once per project on the settings profile and the cross-file
//! model, and declares beforehand which facts the per-file stage must gather for it.
//! The kinds themselves (`pattern`, `query`, `setting`, `project`, analyzers) implement these in
//! their own modules and are named once, in `registry.rs`.

use crate::findings::{Finding, Severity};
use crate::locate::LineIndex;
use crate::model::project::Project;
use crate::model::settings::Profile;
use crate::rules::pattern::{FileContext, RawMatch};
use crate::rules::project::DocumentWords;
use crate::rules::setting::{CodeNeedles, Evidence};
use crate::rules::{GradingSummary, LoadedRule};
use std::collections::{BTreeMap, BTreeSet};

/// A compiled matcher, by the stage it runs in.
pub enum Matcher {
    File(Box<dyn FileMatcher>),
    Project(Box<dyn ProjectMatcher>),
}

impl Matcher {
    pub fn clause_severities(&self) -> Vec<(Severity, String)> {
        match self {
            Matcher::File(m) => m.clause_severities(),
            Matcher::Project(m) => m.clause_severities(),
        }
    }

    pub fn grading(&self) -> GradingSummary {
        match self {
            Matcher::File(m) => m.grading(),
            Matcher::Project(m) => m.grading(),
        }
    }
}

/// A matcher that looks at one parsed Python file at a time; code roles apply to its findings.
pub trait FileMatcher: Send + Sync {
    /// The spans this matcher reports in the file.
    fn find(&self, ctx: &FileContext<'_>) -> Vec<RawMatch>;

    /// Literal alternatives a file must hold to be parsed for this rule, when the rule names
    /// none itself; empty means every file.
    fn default_prefilter(&self) -> Vec<Vec<String>> {
        Vec::new()
    }

    /// How the matcher grades its findings beside the rule's severity, for `audit explain`.
    fn grading(&self) -> GradingSummary {
        GradingSummary {
            per_file: true,
            ..GradingSummary::default()
        }
    }

    /// Clauses whose findings carry a severity of their own, with what each clause tests.
    fn clause_severities(&self) -> Vec<(Severity, String)> {
        Vec::new()
    }
}

/// A matcher that runs once per project, after every file was seen.
pub trait ProjectMatcher: Send + Sync {
    /// The facts the per-file stage must gather for this matcher.
    fn needs(&self) -> Needs;

    /// Runs the check of `rule` (whose matcher this is) on the project.
    fn check(&self, rule: &LoadedRule, input: &ProjectInput<'_>) -> ProjectCheck;

    fn grading(&self) -> GradingSummary {
        GradingSummary::default()
    }

    fn clause_severities(&self) -> Vec<(Severity, String)> {
        Vec::new()
    }
}

/// What project matchers ask of the per-file stage. Merged over every loaded rule, it tells the
/// pipeline which files to read and parse and what to keep of them.
#[derive(Clone, Debug, Default)]
pub struct Needs {
    /// Settings modules are parsed and the production profile is chosen.
    pub settings: bool,
    /// The check reads the cross-file project model, not the settings profile alone.
    pub project: bool,
    /// Code evidence that setting conditions ask about (indices into it are shared by every
    /// rule, so it is merged in rule order).
    pub code: CodeNeedles,
    /// Words a file must contain for its definitions to be read.
    pub definition_words: Vec<String>,
    /// Words whose identifiers the per-file stage records as mentions.
    pub mention_words: Vec<String>,
    /// URL routes are read from urlconf modules.
    pub routes: bool,
    /// Modules that define background tasks have their definitions read.
    pub tasks: bool,
    /// Documents and scripts read for words (globs and words, unioned over rules).
    pub documents: DocumentWords,
}

impl Needs {
    /// Adds what `other` needs; code needles keep their first position.
    pub fn merge(&mut self, other: Needs) {
        self.settings |= other.settings;
        self.project |= other.project;
        for class in other.code.classes {
            if !self.code.classes.contains(&class) {
                self.code.classes.push(class);
            }
        }
        for absent in other.code.absent {
            if !self.code.absent.contains(&absent) {
                self.code.absent.push(absent);
            }
        }
        self.definition_words.extend(other.definition_words);
        self.mention_words.extend(other.mention_words);
        self.routes |= other.routes;
        self.tasks |= other.tasks;
        self.documents.files.extend(other.documents.files);
        self.documents.words.extend(other.documents.words);
    }

    /// What every project matcher among `rules` needs, merged in rule order.
    pub fn of(rules: &[&LoadedRule]) -> Needs {
        let mut needs = Needs::default();
        for rule in rules {
            if let Matcher::Project(m) = &rule.matcher {
                needs.merge(m.needs());
            }
        }
        needs
    }
}

/// What the project stage hands every project matcher.
pub struct ProjectInput<'a> {
    /// The production settings profile: `Ok(None)` when no settings module was found, `Err`
    /// with the reason when one could not be chosen.
    pub profile: Result<Option<&'a Profile>, &'a str>,
    /// The cross-file model: symbols, routes, deploy evidence, documents.
    pub project: &'a Project<'a>,
    /// Imports, the code needles asked about and the code evidence found.
    pub evidence: &'a Evidence<'a>,
    /// The settings modules' sources and line indexes, by path: findings point into them.
    pub sources: &'a BTreeMap<&'a str, (&'a str, LineIndex)>,
    /// Dependency names and top-level imports, for `applies_when`.
    pub dependencies: &'a BTreeSet<String>,
    pub imports: &'a BTreeSet<String>,
}

/// What one project matcher found.
#[derive(Debug, Default)]
pub struct ProjectCheck {
    /// Located and fingerprinted.
    pub findings: Vec<Finding>,
    /// Why the check is n/a (not applicable, undecidable), when it is.
    pub note: Option<String>,
    /// The project evidence a passing check passes on.
    pub passed: Option<String>,
}
