//! Renderers. Each takes the finished `AuditResult` (`result.rs`) and writes one format: they
//! format the verdict computed there and compute none of their own.

pub use crate::result::{AuditResult, FileError};

/// A finding's path as CI systems want it: relative to the directory the tool ran in (the
/// repository root in CI), which is the scanned root joined with the finding's path. `base` is
/// that root as a `/`-terminated relative prefix, or empty.
pub fn ci_path(base: &str, path: &str) -> String {
    format!("{base}{path}")
}

pub mod explain;
pub mod github;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod progress;
pub mod sarif;
pub mod terminal;
