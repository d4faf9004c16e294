//! The rule engine: schema, loading and the matcher kinds. The engine knows nothing of any one
//! rule: everything rule-specific lives in `rules/*.toml`.

pub mod hosts;
pub mod load;
pub mod matcher;
pub mod pattern;
pub mod prefilter;
pub mod project;
pub mod query;
pub mod registry;
pub mod rule;
pub mod setting;

use crate::findings::Severity;
use matcher::Matcher;
use rule::{ExampleFiles, Examples, ProvenanceSpec, RuleMeta};

/// A rule ready to run.
pub struct LoadedRule {
    pub meta: RuleMeta,
    pub matcher: Matcher,
    pub examples: Examples,
    /// Extra files of multi-file examples (`[[example.bad.files]]`).
    pub example_files: ExampleFiles,
    /// Where the rule came from (`rules/security/SEC001-….toml` or a user path).
    pub path: String,
    /// A file is parsed for this rule only if it contains every literal of at least one of
    /// these alternatives; empty means every file.
    pub prefilter: Vec<Vec<String>>,
}

/// What lowers a rule's findings below its severity, as written in its `[match]`.
#[derive(Clone, Debug, Default)]
pub struct GradingSummary {
    /// The rule looks at files one at a time, so code roles apply to it.
    pub per_file: bool,
    pub provenance: Option<ProvenanceSpec>,
    /// `[[match.lower]]`: severity, reason, file globs (empty: anywhere).
    pub lower: Vec<(Severity, String, Vec<String>)>,
}

impl LoadedRule {
    /// Clauses whose findings carry a severity of their own, with what each clause tests.
    pub fn clause_severities(&self) -> Vec<(Severity, String)> {
        self.matcher.clause_severities()
    }

    /// How the matcher grades its findings beside the rule's severity, for `audit explain`.
    pub fn grading(&self) -> GradingSummary {
        self.matcher.grading()
    }

    /// True for matchers that look at one file at a time (`pattern`, `query`).
    pub fn is_per_file(&self) -> bool {
        matches!(self.matcher, Matcher::File(_))
    }
}
