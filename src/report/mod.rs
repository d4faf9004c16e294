//! Renderers. Each takes the finished `AuditResult` and writes one format; none computes anything
//! the JSON does not also carry.

use crate::findings::Finding;
use crate::rules::rule::RuleMeta;
use crate::score::{Check, Scorecard};
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
    pub scorecard: Scorecard,
}

impl AuditResult {
    pub fn rule(&self, id: &str) -> Option<&RuleMeta> {
        self.rules.iter().find(|r| r.id == id)
    }
}

pub mod json;
pub mod terminal;
