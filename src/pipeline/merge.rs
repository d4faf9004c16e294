//! The files' contributions, merged in path order for the project stage.

use crate::findings::Finding;
use crate::model::reach;
use crate::model::roles::Role;
use crate::model::settings::{ModuleHint, SettingsFile};
use crate::parse::{deploy, manifests};
use crate::result::FileError;
use crate::rules::setting::CodeFacts;
use crate::rules::LoadedRule;
use crate::suppress::Ignores;
use std::collections::{BTreeMap, BTreeSet};

use super::file::FileOutcome;

/// Everything the files contributed, merged in path order.
#[derive(Default)]
pub(super) struct Merged {
    pub(super) findings: Vec<Finding>,
    pub(super) errors: Vec<FileError>,
    pub(super) imports: BTreeSet<String>,
    pub(super) dependencies: Vec<manifests::Dependency>,
    pub(super) ignores: BTreeMap<String, Ignores>,
    pub(super) settings: Vec<SettingsFile>,
    pub(super) hints: Vec<ModuleHint>,
    pub(super) copies: Vec<(String, deploy::FileCopy)>,
    /// Deploy files and their facts, in path order.
    pub(super) deploy: Vec<(String, deploy::DeployFacts)>,
    /// Every file discovered (read or not), in path order.
    pub(super) paths: Vec<String>,
    /// Words project rules look for in documents and scripts: (path, word, line).
    pub(super) documents: Vec<(String, String, usize)>,
    pub(super) stats: crate::result::RunStats,
    pub(super) code: CodeFacts,
    pub(super) unreadable_settings: Vec<String>,
    /// Python files per code role.
    pub(super) roles: BTreeMap<Role, usize>,
    pub(super) modules: Vec<reach::ModuleFacts>,
}

impl Merged {
    pub(super) fn add(&mut self, rel: &str, outcome: FileOutcome) {
        self.stats.read += usize::from(outcome.read);
        self.documents.extend(
            outcome
                .document_words
                .into_iter()
                .map(|(word, line)| (rel.to_string(), word, line)),
        );
        if let Some(bytes) = outcome.parsed_bytes {
            self.stats.parsed += 1;
            self.stats.parsed_bytes += bytes;
        }
        self.findings.extend(outcome.findings);
        self.errors.extend(outcome.errors);
        self.imports.extend(outcome.imports);
        self.dependencies.extend(outcome.dependencies);
        if let Some(found) = outcome.ignores {
            self.ignores.insert(rel.to_string(), found);
        }
        self.settings.extend(outcome.settings);
        self.hints.extend(outcome.hints);
        self.copies.extend(outcome.copies);
        if let Some(facts) = outcome.deploy {
            self.deploy.push((rel.to_string(), facts));
        }
        self.code.extend(outcome.code);
        if let Some(why) = outcome.unreadable_settings {
            self.unreadable_settings.push(format!("{rel}: {why}"));
        }
        if let Some(role) = outcome.role {
            *self.roles.entry(role).or_default() += 1;
        }
        self.modules.extend(outcome.module);
    }

    /// Application modules only background work reaches take the worker role: their findings
    /// are graded by what each rule says of workers, with the importers as evidence.
    pub(super) fn place_background_modules(&mut self, rules: &[&LoadedRule]) {
        let background = reach::background_only(&self.modules);
        if background.is_empty() {
            return;
        }
        let moved = background.len();
        *self.roles.entry(Role::App).or_default() -= moved;
        *self.roles.entry(Role::Worker).or_default() += moved;
        self.roles.retain(|_, n| *n > 0);
        let by_id: BTreeMap<&str, &LoadedRule> =
            rules.iter().map(|r| (r.meta.id.as_str(), *r)).collect();
        self.findings.retain_mut(|finding| {
            let (Some(importers), Some(rule)) = (
                background.get(&finding.path),
                by_id.get(finding.rule.as_str()),
            ) else {
                return true;
            };
            if finding.role != Role::App {
                return true;
            }
            finding.role = Role::Worker;
            let Some(cap) = rule.meta.role_cap(Role::Worker) else {
                return false;
            };
            if cap < finding.severity {
                finding.severity = cap;
                finding.message.push_str(&format!(
                    "; only background work reaches this module: it is imported only by task modules, commands, scripts or modules only they reach ({})",
                    importers.join(", ")
                ));
            }
            true
        });
    }

    /// Top-level modules imported, for `applies_when.import_any`.
    pub(super) fn top_level_imports(&self) -> BTreeSet<String> {
        self.imports
            .iter()
            .map(|m| m.split('.').next().unwrap_or(m).to_string())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::imports;

    #[test]
    fn imported_names_reads_every_import_form() {
        let text = "import jwt as pyjwt\nfrom jose import jwt\nimport os.path, sys\nfrom . import views\n    import requests\nfrom django.core.cache import cache, caches as c\nfrom django.views.decorators.cache import (\n    never_cache,  # headers only\n    cache_page,\n)\n";
        let found: Vec<String> = imports::imported_names(text).into_iter().collect();
        assert_eq!(
            found,
            vec![
                "django.core.cache",
                "django.core.cache.cache",
                "django.core.cache.caches",
                "django.views.decorators.cache",
                "django.views.decorators.cache.cache_page",
                "django.views.decorators.cache.never_cache",
                "jose",
                "jose.jwt",
                "jwt",
                "os.path",
                "requests",
                "sys"
            ]
        );
        let merged = Merged {
            imports: imports::imported_names(text),
            ..Merged::default()
        };
        let top: Vec<String> = merged.top_level_imports().into_iter().collect();
        assert_eq!(top, vec!["django", "jose", "jwt", "os", "requests", "sys"]);
    }
}
