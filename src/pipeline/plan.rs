//! The plan of a run: which rules look at single files, the prefilter over their literals, and
//! what the project matchers need the per-file stage to gather.

use crate::model::facts;
use crate::model::roles::RoleOverrides;
use crate::model::settings;
use crate::rules::matcher::Needs;
use crate::rules::prefilter::Prefilter;
use crate::rules::project::DocumentWords;
use crate::rules::setting::CodeNeedles;
use crate::rules::LoadedRule;
use aho_corasick::AhoCorasick;

/// The per-file rules and what the project stage needs, shared by scans and rule examples.
pub(super) struct Plan<'a> {
    pub(super) file_rules: Vec<&'a LoadedRule>,
    pub(super) prefilter: Prefilter,
    /// Some rule looks at the settings: settings modules are parsed whatever the prefilter says.
    pub(super) wants_settings: bool,
    /// `--settings`: that module is a settings candidate whatever its name and content.
    pub(super) named: Option<String>,
    /// `[tool.audit.roles]`: roles the user assigned by glob.
    pub(super) roles: RoleOverrides,
    pub(super) code_needles: CodeNeedles,
    /// Words of the components project rules look for: a file holding one has its
    /// definitions read.
    pub(super) definition_words: Option<AhoCorasick>,
    /// Words of the names project rules look for uses of.
    pub(super) mention_words: Option<AhoCorasick>,
    /// Some project rule reads URL routes: urlconf modules are parsed for them.
    pub(super) wants_routes: bool,
    /// Some project rule reads background tasks: modules defining one have their
    /// definitions read.
    pub(super) wants_tasks: bool,
    /// Documents and scripts some project rule reads for words, and the words.
    pub(super) documents: Option<(globset::GlobSet, AhoCorasick)>,
}

/// One reader of every project rule's documents: the union of their globs and their words.
fn document_reader(wanted: DocumentWords) -> Option<(globset::GlobSet, AhoCorasick)> {
    // Validated when the rule loaded.
    let set = crate::rules::project::glob_set(&wanted.files, "documents").ok()?;
    Some((set, automaton(wanted.words)?))
}

/// One automaton of `words`, or none when there are none.
fn automaton(mut words: Vec<String>) -> Option<AhoCorasick> {
    words.sort();
    words.dedup();
    words.retain(|w| !w.is_empty());
    if words.is_empty() {
        return None;
    }
    AhoCorasick::new(&words).ok()
}

/// The mention words, leftmost-longest (see `facts::word_automaton`).
fn mention_automaton(mut words: Vec<String>) -> Option<AhoCorasick> {
    words.sort();
    words.dedup();
    words.retain(|w| !w.is_empty());
    if words.is_empty() {
        return None;
    }
    facts::word_automaton(&words)
}

impl<'a> Plan<'a> {
    pub(super) fn new(rules: &[&'a LoadedRule], named: Option<&str>, roles: RoleOverrides) -> Self {
        let file_rules: Vec<&LoadedRule> =
            rules.iter().copied().filter(|r| r.is_per_file()).collect();
        let prefilter = Prefilter::new(&file_rules);
        let needs = Needs::of(rules);
        Plan {
            file_rules,
            prefilter,
            wants_settings: needs.settings,
            named: named.map(str::to_string),
            roles,
            code_needles: needs.code,
            definition_words: automaton(needs.definition_words),
            mention_words: mention_automaton(needs.mention_words),
            wants_routes: needs.routes,
            wants_tasks: needs.tasks,
            documents: document_reader(needs.documents),
        }
    }

    /// A file the settings model must see.
    pub(super) fn is_settings_candidate(&self, rel: &str, is_test: bool, text: &str) -> bool {
        self.wants_settings && !is_test && (settings::is_candidate(rel, text) || self.is_named(rel))
    }

    pub(super) fn is_named(&self, rel: &str) -> bool {
        let Some(named) = &self.named else {
            return false;
        };
        let (module, _) = settings::module_of(rel);
        rel.ends_with(".py") && (module == *named || module.ends_with(&format!(".{named}")))
    }

    /// A file that would have been a settings candidate by its path alone.
    pub(super) fn may_be_settings(&self, rel: &str, is_test: bool) -> bool {
        self.wants_settings
            && !is_test
            && rel.ends_with(".py")
            && (settings::named_like_settings(rel) || self.is_named(rel))
    }
}
