//! Rules run on files held in memory, through the same stages as a scan: what rule self-tests
//! and library users call instead of reaching into the pipeline.

use crate::findings::Finding;
use crate::pipeline;
use crate::rules::prefilter::Prefilter;
use crate::rules::LoadedRule;
use std::collections::BTreeMap;

/// What [`run_in_memory`] found.
pub struct MemoryRun {
    /// Before suppressions and baseline, sorted by path, line, column and rule when several
    /// files or project rules ran.
    pub findings: Vec<Finding>,
    /// Per rule id: why its check would be n/a (undecidable, or no settings module).
    pub notes: BTreeMap<String, String>,
}

/// Runs `rules` on `(path, text)` files. One file with per-file rules only takes the per-file
/// path a scanned file takes (the prefilter, then the code role's policy, then one parse);
/// several files, or any project rule, take every stage of a scan, project stage included.
pub fn run_in_memory(files: &[(String, String)], rules: &[&LoadedRule]) -> MemoryRun {
    run_in_memory_with_settings(files, rules, None)
}

/// [`run_in_memory`] with the production settings module named, as `--settings` names it.
pub fn run_in_memory_with_settings(
    files: &[(String, String)],
    rules: &[&LoadedRule],
    settings: Option<&str>,
) -> MemoryRun {
    if let [(path, text)] = files {
        if rules.iter().all(|r| r.is_per_file()) {
            let wanted: Vec<&LoadedRule> = Prefilter::new(rules)
                .rules_for(text.as_bytes())
                .into_iter()
                .map(|i| rules[i])
                .collect();
            let findings = if wanted.is_empty() {
                Vec::new()
            } else {
                pipeline::analyze_source(path, text.clone(), &wanted)
            };
            return MemoryRun {
                findings,
                notes: BTreeMap::new(),
            };
        }
    }
    let analysis = pipeline::analyze_project(files, rules, settings);
    MemoryRun {
        findings: analysis.findings,
        notes: analysis.notes,
    }
}
