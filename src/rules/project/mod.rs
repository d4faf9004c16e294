//! The `project` matcher (DESIGN §3.2, §4.3): components the project defines but never wires
//! in, and evidence a whole repository should show somewhere. Everything a rule looks for is
//! data in its TOML; this module only knows how to look.

use crate::model::facts::{ClassDef, FileFacts};
use crate::model::project::Project;
use crate::model::settings::glob_match;
use crate::model::settings::Kind;
use crate::parse::deploy::ProcessKind;

mod clients;
mod counts;
mod evidence;
mod limits;
mod routes;
mod spec;
mod wiring;

use clients::client_findings;
use counts::{task_findings, undocumented_findings};
use evidence::{looked_for, non_empty, string_value};
use limits::request_limit_findings;
use routes::{route_matches, shallow_findings};
pub use spec::*;
use wiring::{wiring, Wiring};

/// One finding of a project rule: a file, a 1-based line (0: the file as a whole) and a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectMatch {
    pub rel: String,
    pub line: usize,
    pub message: String,
    pub severity: Option<crate::findings::Severity>,
    /// The definition's first line, for the snippet (empty for a file as a whole).
    pub header: String,
}

/// What one project rule found, with the note of a check that passes on evidence.
#[derive(Debug, Default)]
pub struct ProjectOutcome {
    pub matches: Vec<ProjectMatch>,
    pub provided: Option<String>,
    pub undecided: Option<String>,
}

pub struct CompiledProject {
    spec: ProjectSpec,
    /// `evidence.files`, compiled.
    files: Option<globset::GlobSet>,
}

/// One set of path globs (`**` crosses folders, `*` does not; case ignored), or an error
/// that names `what` and the entry.
pub fn glob_set(globs: &[String], what: &str) -> Result<globset::GlobSet, String> {
    let mut set = globset::GlobSetBuilder::new();
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .case_insensitive(true)
            .build()
            .map_err(|e| format!("{what} entry `{g}`: {e}"))?;
        set.add(glob);
    }
    set.build().map_err(|e| format!("{what}: {e}"))
}

impl CompiledProject {
    pub fn compile(spec: &ProjectSpec) -> Result<Self, String> {
        if spec.components.is_empty()
            && spec.evidence.is_none()
            && spec.report_processes.is_empty()
            && spec.shallow_routes.is_none()
            && spec.request_limits.is_none()
            && spec.clients.is_none()
            && spec.tasks.is_none()
            && spec.undocumented.is_none()
        {
            return Err("a project rule needs `[[match.components]]`, `[match.evidence]`, `report_processes`, `[match.shallow_routes]`, `[match.request_limits]`, `[match.clients]`, `[match.tasks]` or `[match.undocumented]`".into());
        }
        if let Some(u) = &spec.undocumented {
            if u.bases.is_empty() || u.bases.iter().any(|b| b.trim_matches('*').is_empty()) {
                return Err("`[match.undocumented]` needs `bases` with a literal part".into());
            }
        }
        if let Some(t) = &spec.tasks {
            if t.decorators.is_empty() || t.keywords.is_empty() {
                return Err("`[match.tasks]` needs `decorators` and `keywords`".into());
            }
        }
        if let Some(p) = &spec.partial {
            if !p.files.is_empty() || p.documents.is_some() {
                return Err("`[match.partial]` takes no `files` or `documents`".into());
            }
            if spec.partial_message.is_none() || spec.evidence.is_none() {
                return Err(
                    "`[match.partial]` needs `partial_message` and `[match.evidence]`".into(),
                );
            }
        }
        if let Some(c) = &spec.clients {
            if c.constructors.is_empty() || c.connects.is_empty() {
                return Err("`[match.clients]` needs `constructors` and `connects`".into());
            }
        }
        if let Some(limits) = &spec.request_limits {
            if limits.servers.iter().any(|s| s.programs.is_empty()) {
                return Err("each `[[match.request_limits.servers]]` needs `programs`".into());
            }
        }
        if !spec.components.is_empty() && spec.wired.is_none() {
            return Err("`[[match.components]]` needs `[match.wired]`: what wires one in".into());
        }
        for c in &spec.components {
            if c.names.is_empty()
                && c.bases.is_empty()
                && c.methods.is_empty()
                && c.init_params.is_empty()
            {
                return Err(
                    "a component needs `names`, `bases`, `methods` or `init_params`".into(),
                );
            }
            if c.names
                .iter()
                .chain(&c.bases)
                .any(|n| n.trim_matches('*').is_empty())
            {
                return Err("a component's `names` and `bases` need a literal part".into());
            }
        }
        if let Some(e) = &spec.evidence {
            if e.code.iter().any(|n| n.trim_matches('*').is_empty()) {
                return Err("evidence `code` entries need a literal part".into());
            }
        }
        let files = match spec.evidence.as_ref().map(|e| &e.files) {
            Some(globs) if !globs.is_empty() => Some(glob_set(globs, "evidence `files`")?),
            _ => None,
        };
        if let Some(d) = spec.evidence.as_ref().and_then(|e| e.documents.as_ref()) {
            if d.files.is_empty() || d.words.is_empty() || d.words.iter().any(|w| w.is_empty()) {
                return Err(
                    "`[match.evidence.documents]` needs `files` and non-empty `words`".into(),
                );
            }
            glob_set(&d.files, "evidence `documents.files`")?;
        }
        Ok(CompiledProject {
            spec: spec.clone(),
            files,
        })
    }

    /// The globs of the documents the rule reads, and the words it looks for in them.
    pub fn documents(&self) -> Option<&DocumentWords> {
        self.spec.evidence.as_ref()?.documents.as_ref()
    }

    /// The rule reads the background tasks files define: those files have their
    /// definitions read.
    pub fn reads_tasks(&self) -> bool {
        self.spec.tasks.is_some()
    }

    /// The rule reads URL routes.
    pub fn reads_routes(&self) -> bool {
        self.spec.shallow_routes.is_some()
            || self
                .spec
                .evidence
                .as_ref()
                .is_some_and(|e| !e.route_paths.is_empty() || !e.route_views.is_empty())
    }

    /// Words a file must contain for its definitions to be worth reading.
    pub fn definition_words(&self) -> Vec<String> {
        let mut words = Vec::new();
        if let Some(s) = &self.spec.shallow_routes {
            words.extend(s.words.iter().cloned());
        }
        if let Some(u) = &self.spec.undocumented {
            words.extend(u.bases.iter().flat_map(|b| literal_parts(last_part(b))));
        }
        for c in &self.spec.components {
            words.extend(c.names.iter().flat_map(|n| literal_parts(n)));
            words.extend(c.bases.iter().map(|b| last_part(b).to_string()));
            words.extend(c.methods.iter().cloned());
            words.extend(c.init_params.iter().cloned());
        }
        words
    }

    /// Words whose identifiers the per-file stage records as mentions.
    pub fn mention_words(&self) -> Vec<String> {
        let mut words: Vec<String> = self
            .spec
            .components
            .iter()
            .flat_map(|c| c.names.iter().flat_map(|n| literal_parts(n)))
            .collect();
        if let Some(e) = &self.spec.evidence {
            words.extend(e.code.iter().flat_map(|n| literal_parts(n)));
            words.extend(e.text.iter().cloned());
        }
        if let Some(c) = &self.spec.clients {
            words.extend(c.constructors.iter().chain(&c.connects).cloned());
        }
        words
    }

    pub fn evaluate(&self, project: &Project<'_>) -> ProjectOutcome {
        let mut outcome = ProjectOutcome::default();
        // The first production web server each deploy file starts, for a fallback's message.
        let mut web: std::collections::HashMap<&str, &crate::parse::deploy::Process> =
            std::collections::HashMap::new();
        for (rel, p) in project
            .processes()
            .filter(|(_, p)| p.kind == ProcessKind::Web)
        {
            web.entry(rel).or_insert(p);
        }
        for (rel, process) in project.processes() {
            if self.spec.report_processes.contains(&process.kind) {
                let mut message = self
                    .spec
                    .process_message
                    .as_deref()
                    .unwrap_or("{file} starts `{command}`")
                    .replace("{file}", rel)
                    .replace("{command}", &process.command);
                let beside = web.get(rel).filter(|p| p.line != process.line);
                let severity = match (beside, self.spec.fallback_severity) {
                    (Some(web), Some(severity)) => {
                        message.push_str(&format!(
                            "; line {} of the same file starts `{}` instead: which one runs depends on the environment",
                            web.line, web.command
                        ));
                        Some(severity)
                    }
                    _ => None,
                };
                outcome.matches.push(ProjectMatch {
                    rel: rel.to_string(),
                    line: process.line,
                    message,
                    severity,
                    header: process.command.chars().take(200).collect(),
                });
            }
        }
        // The rest reads what production runs from its settings: without them it is undecided
        // (processes a deploy file starts need no settings and are reported above).
        if project.profile.is_none() {
            outcome.undecided = Some("no production settings module was found".to_string());
            return outcome;
        }
        if let Some(shallow) = &self.spec.shallow_routes {
            match project.routes() {
                None => {
                    outcome.undecided =
                        Some("the production ROOT_URLCONF is not among the files read".into());
                    return outcome;
                }
                Some(resolved) => shallow_findings(shallow, resolved, project, &mut outcome),
            }
        }
        let mut found_evidence = None;
        if let Some(evidence) = &self.spec.evidence {
            found_evidence = self.evidence_found(evidence, project);
            let wants_routes = !evidence.route_paths.is_empty() || !evidence.route_views.is_empty();
            if found_evidence.is_none() && wants_routes && project.routes().is_none() {
                outcome.undecided =
                    Some("the production ROOT_URLCONF is not among the files read".into());
                return outcome;
            }
            if found_evidence.is_none() && evidence.needs_deploy && !project.has_processes() {
                outcome.undecided = Some(
                    "no file in the repository arranges which processes production starts".into(),
                );
                return outcome;
            }
            if found_evidence.is_some()
                && self.spec.report_unwired == ReportUnwired::WithoutEvidence
            {
                outcome.provided = found_evidence;
                return outcome;
            }
        }
        if let Some(limits) = &self.spec.request_limits {
            if found_evidence.is_none() {
                request_limit_findings(limits, project, &mut outcome);
            }
        }
        if let Some(clients) = &self.spec.clients {
            client_findings(clients, project, &mut outcome);
        }
        if let Some(tasks) = &self.spec.tasks {
            if found_evidence.is_none() {
                task_findings(tasks, project, &mut outcome);
            }
        }
        if let Some(spec) = &self.spec.undocumented {
            undocumented_findings(spec, project, &mut outcome);
        }
        let mut unwired = Vec::new();
        let mut undecided = Vec::new();
        let mut wired_in: Option<String> = None;
        if let Some(wired) = &self.spec.wired {
            for file in project
                .files
                .iter()
                .filter(|f| project.runs_in_production(f))
            {
                for class in file.classes.iter().filter(|c| self.is_component(c)) {
                    match wiring(class, file, wired, project) {
                        Wiring::Wired => {
                            wired_in.get_or_insert_with(|| {
                                format!("`{}` ({}) is wired in", class.name, file.rel)
                            });
                        }
                        Wiring::Unwired(how, elsewhere) => {
                            unwired.push((file, class, how, elsewhere))
                        }
                        Wiring::Undecided(why) => undecided.push(why),
                    }
                }
            }
        }
        // For a rule about evidence, a component of the project that is wired in is evidence.
        if let (Some(_), Some(found), true) =
            (&self.spec.evidence, wired_in, self.spec.wired_is_evidence)
        {
            if self.spec.report_unwired == ReportUnwired::WithoutEvidence {
                outcome.provided = Some(found);
                return outcome;
            }
            found_evidence.get_or_insert(found);
        }
        // A component used by another unwired component of its own module is reported
        // through that one (a limiter class and the middleware that holds it).
        let mut per_file: std::collections::HashMap<String, usize> =
            std::collections::HashMap::new();
        for (f, _, _, _) in &unwired {
            *per_file.entry(f.rel.clone()).or_default() += 1;
        }
        unwired.retain(|(file, class, _, _)| {
            let others = per_file.get(&file.rel).is_some_and(|n| *n > 1);
            !(others && Project::used_in_own_module(&class.name, file, class.line))
        });
        if !undecided.is_empty() {
            outcome.undecided = Some(undecided.join("; "));
        }
        for (file, class, how, elsewhere) in &unwired {
            let mut message = self
                .spec
                .unwired_message
                .as_deref()
                .unwrap_or("`{name}` is defined in {module} but never wired in: {how}")
                .replace("{name}", &class.name)
                .replace("{module}", &file.module)
                .replace("{how}", how);
            // Named by another profile's settings: the team runs it on purpose, elsewhere.
            let severity = elsewhere.as_ref().map(|rel| {
                message.push_str(&format!(
                    " (it is listed only in {rel}, a settings module production does not use: confirm production gets the same another way)"
                ));
                crate::findings::Severity::Info
            });
            outcome.matches.push(ProjectMatch {
                rel: file.rel.clone(),
                line: class.line,
                message,
                severity,
                header: class.header.clone(),
            });
        }
        if found_evidence.is_some() {
            if outcome.matches.is_empty() {
                outcome.provided = found_evidence;
            }
            return outcome;
        }
        if let (Some(evidence), Some(wording), true) = (
            &self.spec.evidence,
            &self.spec.absent_message,
            unwired.is_empty(),
        ) {
            if outcome.undecided.is_none() {
                let at = project.profile.map(|p| p.rel.clone()).unwrap_or_default();
                let started: Vec<String> = project
                    .processes()
                    .take(4)
                    .map(|(rel, p)| format!("{rel}:{} `{}`", p.line, p.command))
                    .collect();
                let partial = self
                    .spec
                    .partial
                    .as_ref()
                    .and_then(|p| self.evidence_found(p, project));
                let mut severity = self.spec.absent_severity;
                let wording = match (&partial, &self.spec.partial_message) {
                    (Some(_), Some(text)) => {
                        severity = self.spec.partial_severity.or(severity);
                        text
                    }
                    _ => wording,
                };
                let mut message = wording
                    .replace("{looked}", &looked_for(evidence))
                    .replace("{found}", partial.as_deref().unwrap_or(""))
                    .replace("{processes}", &started.join(", "));
                // Evidence that runs only in development is named: the team set it up and
                // production does not get it.
                let debug_only = project.debug_only_uses(
                    |name| evidence.code.iter().any(|g| glob_match(g, name)),
                    |_| true,
                );
                if let Some((name, file, line, guard)) = debug_only.first() {
                    let note = format!(
                        "; `{name}` at {}:{line} runs only inside the `if DEBUG:` block of line {guard}, which production must run with DEBUG off",
                        file.rel
                    );
                    // Before the list of what was looked for, which the message limit cuts.
                    let at = message.find(" (looked for:").unwrap_or(message.len());
                    message.insert_str(at, &note);
                }
                let declared: Vec<String> = self
                    .spec
                    .named_dependencies
                    .iter()
                    .filter(|d| project.dependencies.contains(*d))
                    .map(|d| format!("`{d}`"))
                    .collect();
                if !declared.is_empty() {
                    let note = format!(
                        "; {} {} declared as a dependency but never started",
                        declared.join(", "),
                        if declared.len() == 1 { "is" } else { "are" }
                    );
                    let at = message.find(" (looked for:").unwrap_or(message.len());
                    message.insert_str(at, &note);
                }
                outcome.matches.push(ProjectMatch {
                    rel: at,
                    line: 0,
                    message,
                    severity,
                    header: String::new(),
                });
            }
        }
        outcome
    }

    fn is_component(&self, class: &ClassDef) -> bool {
        // A class that works only under DEBUG is a development tool, never infrastructure
        // production lacks.
        !class.debug_only
            && self.spec.components.iter().any(|c| {
                (c.names.is_empty() || c.names.iter().any(|n| glob_match(n, &class.name)))
                    && (c.bases.is_empty()
                        || class
                            .bases
                            .iter()
                            .any(|b| c.bases.iter().any(|w| last_part(w) == last_part(b))))
                    && (c.methods.is_empty() || class.methods.iter().any(|m| c.methods.contains(m)))
                    && (c.init_params.is_empty()
                        || class.init_params.iter().any(|p| c.init_params.contains(p)))
                    && !c.exclude.iter().any(|x| glob_match(x, &class.name))
                    && !class
                        .bases
                        .iter()
                        .any(|b| c.exclude_bases.iter().any(|x| glob_match(x, last_part(b))))
            })
    }

    /// The first evidence production shows, described for the check's note.
    fn evidence_found(&self, e: &EvidenceSpec, project: &Project<'_>) -> Option<String> {
        if let Some(set) = &self.files {
            if let Some(found) = project.paths.iter().find(|p| set.is_match(p.as_str())) {
                return Some(format!("the repository has `{found}`"));
            }
        }
        if let Some(d) = e.documents.as_ref() {
            let found = project
                .documents
                .iter()
                .find(|(_, word, _)| d.words.contains(word));
            if let Some((rel, word, line)) = found {
                return Some(format!("{rel}:{line} mentions `{word}`"));
            }
        }
        if !e.route_paths.is_empty() || !e.route_views.is_empty() {
            if let Some(found) = project.routes().and_then(|r| {
                r.routes
                    .iter()
                    .find(|route| route_matches(route, &e.route_paths, &e.route_views))
            }) {
                return Some(format!(
                    "the route `{}` ({}:{})",
                    found.path, found.file, found.line
                ));
            }
        }
        for kind in &e.processes {
            if let Some((rel, p)) = project.process_of(*kind) {
                return Some(format!("{rel}:{} starts `{}`", p.line, p.command));
            }
        }
        for glob in &e.programs {
            let found = project.processes().find(|(_, p)| {
                glob_match(glob, &p.program)
                    || p.command
                        .split_whitespace()
                        .any(|w| glob_match(glob, w.rsplit('/').next().unwrap_or(w)))
            });
            if let Some((rel, p)) = found {
                return Some(format!("{rel}:{} runs `{}`", p.line, p.command));
            }
        }
        if e.probes {
            if let Some((rel, p)) = project.probes().next() {
                return Some(format!(
                    "{rel}:{} has a {} on `{}`",
                    p.line, p.kind, p.target
                ));
            }
        }
        for wanted in &e.options {
            let (kind, option) = wanted.split_once(':').unwrap_or(("", wanted));
            let found = project.processes().find(|(_, p)| {
                let kind_ok = kind.is_empty()
                    || serde_json::to_value(p.kind)
                        .ok()
                        .is_some_and(|v| v.as_str() == Some(kind));
                kind_ok && p.option(&[option]).is_some()
            });
            if let Some((rel, p)) = found {
                return Some(format!("{rel}:{} runs `{}`", p.line, p.command));
            }
        }
        for wanted in &e.server_settings {
            let (server, name) = wanted.split_once(':').unwrap_or(("", wanted));
            let found = project.server_settings().find(|(_, s)| {
                (server.is_empty() || s.server == server) && glob_match(name, &s.name)
            });
            if let Some((rel, s)) = found {
                return Some(format!("{rel}:{} sets `{} {}`", s.line, s.name, s.value));
            }
        }
        if let Some(d) = e
            .dependencies
            .iter()
            .find(|d| project.dependencies.contains(*d))
        {
            return Some(format!("the dependency `{d}` is declared"));
        }
        for m in &e.imports {
            if let Some(file) = project.importer_of(m) {
                return Some(format!("`{m}` is imported by {}", file.rel));
            }
        }
        if let Some(profile) = project.profile {
            for path in &e.settings {
                let found = profile.lookup(path);
                if found.set && found.value.as_ref().is_some_and(non_empty) {
                    return Some(format!("`{path}` is set in {}", profile.module));
                }
            }
            for (pattern, globs) in &e.values {
                for path in profile.expand(pattern) {
                    let found = profile.lookup(&path);
                    if let Some(text) = found.value.as_ref().and_then(string_value) {
                        if globs.iter().any(|g| glob_match(g, text)) {
                            return Some(format!("`{path}` is '{text}' in {}", profile.module));
                        }
                    }
                }
            }
            for (setting, globs) in &e.entries {
                let found = profile.lookup(setting);
                let Some(Kind::List(items)) = found.value.as_ref().map(|v| &v.kind) else {
                    continue;
                };
                for item in items.iter() {
                    let mut item = item;
                    while let Kind::Maybe { value, .. } = &item.kind {
                        item = value.as_ref();
                    }
                    if let Kind::Str(entry) = &item.kind {
                        if globs.iter().any(|g| glob_match(g, entry)) {
                            return Some(format!(
                                "`{setting}` in {} lists '{entry}'",
                                profile.module
                            ));
                        }
                    }
                }
            }
        }
        // A component's own module is judged by its wiring, never evidence for itself.
        let component_files: std::collections::HashSet<&str> = project
            .files
            .iter()
            .filter(|f| f.classes.iter().any(|c| self.is_component(c)))
            .map(|f| f.rel.as_str())
            .collect();
        let not_a_component = |f: &FileFacts| !component_files.contains(f.rel.as_str());
        let named = project.mentioned(
            |name| e.code.iter().any(|g| glob_match(g, name)),
            not_a_component,
        );
        if let Some((name, file, line)) = named.first() {
            return Some(format!("`{name}` is used at {}:{line}", file.rel));
        }
        let written = project.written(|name| e.text.iter().any(|t| t == name), not_a_component);
        written
            .first()
            .map(|(name, file, line)| format!("'{name}' is handled at {}:{line}", file.rel))
    }
}

fn last_part(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The literal runs of a glob (`*RateLimit*` gives `RateLimit`).
fn literal_parts(glob: &str) -> Vec<String> {
    glob.split(['*', '?'])
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

// Paths written out in full below keep this file's imports as they were (the module is edited
// elsewhere at the same time).
impl crate::rules::matcher::ProjectMatcher for CompiledProject {
    fn needs(&self) -> crate::rules::matcher::Needs {
        crate::rules::matcher::Needs {
            settings: true,
            project: true,
            definition_words: self.definition_words(),
            mention_words: self.mention_words(),
            routes: self.reads_routes(),
            tasks: self.reads_tasks(),
            documents: self.documents().cloned().unwrap_or_default(),
            ..Default::default()
        }
    }

    fn check(
        &self,
        rule: &crate::rules::LoadedRule,
        input: &crate::rules::matcher::ProjectInput<'_>,
    ) -> crate::rules::matcher::ProjectCheck {
        let mut check = crate::rules::matcher::ProjectCheck::default();
        // An n/a check reports nothing (its note says why).
        if !rule
            .meta
            .applies_when
            .holds(input.dependencies, input.imports)
        {
            return check;
        }
        let found = self.evaluate(input.project);
        check.passed = found
            .provided
            .map(|note| format!("passes on project evidence: {note}"));
        check.note = found
            .undecided
            .filter(|_| found.matches.is_empty())
            .map(|why| format!("undecidable: {why}"));
        check.findings = located(rule, found.matches, input);
        check
    }
}

/// Findings of a rule's project matches, located and fingerprinted.
pub fn located(
    rule: &crate::rules::LoadedRule,
    matches: Vec<ProjectMatch>,
    input: &crate::rules::matcher::ProjectInput<'_>,
) -> Vec<crate::findings::Finding> {
    use crate::locate::{to_finding, LineIndex};
    let mut findings = Vec::new();
    for m in matches {
        // A finding on a definition shows its first line; one on a file as a whole
        // (absent evidence) shows the settings module's first line.
        let whole = m.line == 0;
        let source = if whole {
            match input.sources.get(m.rel.as_str()) {
                Some((s, _)) => s.lines().next().unwrap_or(""),
                None => continue,
            }
        } else {
            m.header.as_str()
        };
        let raw = crate::rules::pattern::RawMatch {
            severity: None,
            evidence: None,
            settle: None,
            start: 0,
            end: source.len(),
            message: Some(m.message),
        };
        let mut finding = to_finding(rule, &m.rel, source, &LineIndex::new(source), raw);
        if let Some(severity) = m.severity {
            finding.severity = severity.min(rule.meta.severity);
        }
        let line = m.line.max(1);
        finding.end_line += line - finding.line;
        finding.line = line;
        if whole {
            finding.matched_text = crate::findings::fold_whitespace(&finding.message);
        }
        findings.push(finding);
    }
    crate::findings::assign_fingerprints(&mut findings);
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_give_their_literal_parts() {
        assert_eq!(literal_parts("*Rate*Limit"), vec!["Rate", "Limit"]);
    }
}
