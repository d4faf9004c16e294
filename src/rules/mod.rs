//! The rule engine: schema, loading and the matcher kinds. The engine knows nothing of any one
//! rule: everything rule-specific lives in `rules/*.toml`.

pub mod examples;
pub mod load;
pub mod pattern;
pub mod prefilter;
pub mod query;
pub mod rule;

use rule::{Examples, RuleMeta};

/// A rule ready to run.
pub struct LoadedRule {
    pub meta: RuleMeta,
    pub matcher: CompiledMatcher,
    pub examples: Examples,
    /// Where the rule came from (`rules/security/SEC001-….toml` or a user path).
    pub path: String,
    /// A file is parsed for this rule only if it contains every literal of at least one of
    /// these alternatives; empty means every file.
    pub prefilter: Vec<Vec<String>>,
}

pub enum CompiledMatcher {
    Pattern(pattern::CompiledPattern),
    Query(Box<query::CompiledQuery>),
}
