//! The `project` matcher (DESIGN §3.2, §4.3): components the project defines but never wires
//! in, and evidence a whole repository should show somewhere. Everything a rule looks for is
//! data in its TOML; this module only knows how to look.

use crate::model::facts::{ClassDef, FileFacts};
use crate::model::project::Project;
use crate::model::settings::glob_match;
use crate::model::settings::Kind;
use crate::parse::deploy::ProcessKind;
use serde::Deserialize;

/// `[match]` of a `project` rule.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    /// `[[match.components]]`: what counts as one of the components the rule is about.
    #[serde(default)]
    pub components: Vec<ComponentSpec>,
    /// `[match.wired]`: what wires a component in; required with `components`.
    pub wired: Option<WiredSpec>,
    /// `[match.evidence]`: any of it found in production code makes the check pass.
    pub evidence: Option<EvidenceSpec>,
    /// `[match.shallow_routes]`: routes whose view touches nothing it should check.
    pub shallow_routes: Option<ShallowRoutes>,
    /// `[match.request_limits]`: production web servers started with nothing that bounds
    /// how long one request may run.
    pub request_limits: Option<RequestLimits>,
    /// `[match.clients]`: clients production code builds that nothing connects.
    pub clients: Option<ClientSpec>,
    /// `[match.tasks]`: background tasks whose decorator sets none of some keywords.
    pub tasks: Option<TaskSpec>,
    /// `[match.undocumented]`: classes on some bases with neither a docstring nor a
    /// documenting decorator.
    pub undocumented: Option<UndocumentedSpec>,
    /// Processes of these kinds production deploy files start are findings, at their line.
    #[serde(default)]
    pub report_processes: Vec<ProcessKind>,
    /// Message of such a process: `{command}`, `{file}`.
    pub process_message: Option<String>,
    /// Severity of such a process when the same file also starts a production web server
    /// (one branch of a start script): which one runs depends on the environment.
    pub fallback_severity: Option<crate::findings::Severity>,
    /// Message of a component that is not wired in: `{name}`, `{module}`, `{how}`.
    pub unwired_message: Option<String>,
    /// Message when no evidence is found: `{looked}` lists what was looked for, `{processes}`
    /// the first processes the deploy files start. Without it,
    /// a rule with evidence reports only components that are not wired in.
    pub absent_message: Option<String>,
    /// `"always"`: components that are not wired in are reported even when the evidence is
    /// found (a cache manager nobody calls, in a project that caches elsewhere). By default
    /// the evidence makes the check pass.
    #[serde(default)]
    pub report_unwired: ReportUnwired,
    /// `[match.partial]`: evidence that covers part of what the rule asks (errors mailed to
    /// the admins, no tracker): the absence finding then has `partial_severity` and
    /// `partial_message` (`{found}`, `{looked}`).
    pub partial: Option<EvidenceSpec>,
    pub partial_severity: Option<crate::findings::Severity>,
    pub partial_message: Option<String>,
    /// Dependencies named in the finding for absent evidence when the project declares them:
    /// installed and never started (`sentry-sdk` without `sentry_sdk.init`).
    #[serde(default)]
    pub named_dependencies: Vec<String>,
    /// With `false`, a wired component is no evidence for the rule (a Redis pool in use says
    /// nothing about database connections); by default it is.
    #[serde(default = "yes")]
    pub wired_is_evidence: bool,
    /// Severity of the finding for absent evidence when no component was found unwired
    /// (the rule's severity when not given): nothing built shows what was meant to be there.
    pub absent_severity: Option<crate::findings::Severity>,
}

/// Routes (by path segment or view name) whose view function calls nothing that `touches`
/// matches are findings at the view's definition.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShallowRoutes {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub views: Vec<String>,
    /// Globs on callees (`connection.*`, `*.execute`, `cache.*`) that show the view checks
    /// something; calls of functions of its own module are followed one level.
    pub touches: Vec<String>,
    /// Words of view names: files holding one have their definitions read.
    #[serde(default)]
    pub words: Vec<String>,
    /// `{view}`, `{path}`, `{route}` (file:line of the route).
    pub message: Option<String>,
    /// Severity by what the route is named for, first match wins; a grade without a
    /// severity is not reported (a liveness ping should not check dependencies).
    #[serde(default)]
    pub grades: Vec<RouteGrade>,
    /// Severity of a route no grade matches (the rule's when not given).
    pub severity: Option<crate::findings::Severity>,
}

/// Web servers and what bounds a request's time in each. A production web process whose
/// program no entry names has no bound of its own.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestLimits {
    pub servers: Vec<ServerLimit>,
    /// Severity of a web server no entry names (the rule's when not given).
    pub other_severity: Option<crate::findings::Severity>,
    /// `{file}`, `{line}`, `{command}`, `{missing}` (what the server lacks).
    pub message: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerLimit {
    /// Globs on the process's program (`gunicorn`).
    pub programs: Vec<String>,
    /// Options that bound a request (`--timeout`); the value `0` turns the bound off.
    #[serde(default)]
    pub options: Vec<String>,
    /// Server settings of production config files that do, as `server:name`.
    #[serde(default)]
    pub settings: Vec<String>,
    /// What bounds a request when nothing is set (gunicorn kills a sync worker after 30 s),
    /// with the severity of relying on it; without it an unset bound is no bound.
    pub default: Option<String>,
    pub default_severity: Option<crate::findings::Severity>,
    /// Severity of this server with its bound off or unset and no default (the rule's when
    /// not given).
    pub severity: Option<crate::findings::Severity>,
    /// Severity when `default_lost_with` holds (the rule's when not given).
    pub lost_severity: Option<crate::findings::Severity>,
    /// Options or `server:setting`s whose value (globs) makes the default no bound (a worker
    /// class that answers the arbiter while a request runs).
    #[serde(default)]
    pub default_lost_with: std::collections::BTreeMap<String, Vec<String>>,
}

/// Background task functions (module-level, by decorator) whose decorators pass none of
/// `keywords`: one finding at the first, counting the others.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Globs on the decorator as written without arguments (`shared_task`, `*.task`).
    pub decorators: Vec<String>,
    /// Keyword arguments any of which the task needs (`time_limit`).
    pub keywords: Vec<String>,
    /// `{task}`, `{count}` (tasks lacking them), `{total}` (tasks), `{others}`.
    pub message: String,
}

/// Module-level classes of production code with a base in `bases` (last dotted part) that
/// have no docstring and none of `decorators` on the class or a method: one finding at the
/// first, counting the rest.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UndocumentedSpec {
    pub bases: Vec<String>,
    /// Globs of class names left out (`Base*`: written to be subclassed).
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub decorators: Vec<String>,
    /// `{name}`, `{count}`, `{total}`, `{others}`.
    pub message: String,
}

/// A client production code builds (`db = Prisma()`) is connected when a method of
/// `connects` is called on the name it is bound to (`db.connect()`), in its own module or in
/// a module that imports it.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    /// Names whose call builds a client (`Prisma`).
    pub constructors: Vec<String>,
    /// Methods that connect one (`connect`).
    pub connects: Vec<String>,
    /// `{name}` (the constructor), `{file}`, `{line}`.
    pub message: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteGrade {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub views: Vec<String>,
    pub severity: Option<crate::findings::Severity>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReportUnwired {
    #[default]
    WithoutEvidence,
    Always,
}

/// One shape of component: every list given must hold (each by any of its entries).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    /// Globs on the class name (`*RateLimit*`).
    #[serde(default)]
    pub names: Vec<String>,
    /// Base classes, compared on their last dotted part (`MiddlewareMixin`).
    #[serde(default)]
    pub bases: Vec<String>,
    /// Methods the class defines.
    #[serde(default)]
    pub methods: Vec<String>,
    /// Parameters of its `__init__` (`get_response`).
    #[serde(default)]
    pub init_params: Vec<String>,
    /// Globs of names that are not components although the rest holds (`Base*`, `*Mixin`:
    /// classes written to be subclassed).
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Globs of bases that make a class no component (`*Error`: an exception named for what
    /// it reports).
    #[serde(default)]
    pub exclude_bases: Vec<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WiredSpec {
    /// Production settings whose entries are dotted paths (`MIDDLEWARE`): a component named
    /// there is wired in.
    #[serde(default)]
    pub settings: Vec<String>,
    /// A component named by production code outside its own module is wired in.
    #[serde(default)]
    pub used: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceSpec {
    /// Declared dependencies (PEP 503 names).
    #[serde(default)]
    pub dependencies: Vec<String>,
    /// Top-level modules imported by production code.
    #[serde(default)]
    pub imports: Vec<String>,
    /// Production settings paths that are set to a non-empty value.
    #[serde(default)]
    pub settings: Vec<String>,
    /// Identifiers (globs) production code names: `throttle_classes`, `ratelimit`.
    #[serde(default)]
    pub code: Vec<String>,
    /// Words production code holds outside comments, in strings too (`X-Request-ID`, a
    /// header name).
    #[serde(default)]
    pub text: Vec<String>,
    /// Globs on the repository's file paths (`**/locustfile.py`, `**/*backup*.sh`): any file,
    /// whatever its kind or role.
    #[serde(default)]
    pub files: Vec<String>,
    /// Words in the text of documents and scripts (`[match.evidence.documents]`): a runbook
    /// or a script that runs `pg_dump`, wherever it lives (tests and docs included).
    pub documents: Option<DocumentWords>,
    /// Per production list setting, globs one of its string entries must match
    /// (`INSTALLED_APPS = ["auditlog"]`, `MIDDLEWARE = ["*RequestID*"]`).
    #[serde(default)]
    pub entries: std::collections::BTreeMap<String, Vec<String>>,
    /// Per production setting path (`DATABASES.*.OPTIONS.options`, segments may be globs),
    /// globs its string value must match (`*statement_timeout*`).
    #[serde(default)]
    pub values: std::collections::BTreeMap<String, Vec<String>>,
    /// Kinds of process a production deploy file starts (`worker`, `beat`, `pooler`).
    #[serde(default)]
    pub processes: Vec<ProcessKind>,
    /// Programs (globs) a production deploy file runs (`ddtrace-run`, `pgbouncer`).
    #[serde(default)]
    pub programs: Vec<String>,
    /// A production deploy file probes the application over HTTP (a Kubernetes probe, a
    /// Dockerfile `HEALTHCHECK`, a compose `healthcheck`).
    #[serde(default)]
    pub probes: bool,
    /// Options of production processes, as `kind:option` (`worker:--time-limit`).
    #[serde(default)]
    pub options: Vec<String>,
    /// Server settings of production deploy files, as `server:name` (`nginx:limit_req`).
    #[serde(default)]
    pub server_settings: Vec<String>,
    /// Routes production serves whose path has a segment matching one of these globs
    /// (`health*`, `ping`), or whose view or route name does ([`EvidenceSpec::route_views`]).
    #[serde(default)]
    pub route_paths: Vec<String>,
    /// Globs on a route's view name (its last dotted part) or `name=`.
    #[serde(default)]
    pub route_views: Vec<String>,
    /// Without a deploy file that starts a process, how production runs is not in the
    /// repository: the check is undecided instead of failing.
    #[serde(default)]
    pub needs_deploy: bool,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentWords {
    /// Globs on the paths of the files to read (`**/*.md`, `**/*.sh`).
    pub files: Vec<String>,
    /// Words to find in them, as written (case matters).
    pub words: Vec<String>,
}

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

fn yes() -> bool {
    true
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

/// One finding at the first production class on `bases` with no docstring and no
/// documenting decorator, counting the rest.
fn undocumented_findings(
    spec: &UndocumentedSpec,
    project: &Project<'_>,
    outcome: &mut ProjectOutcome,
) {
    let mut total = 0;
    let mut lacking = Vec::new();
    for file in project
        .files
        .iter()
        .filter(|f| project.runs_in_production(f))
    {
        for class in &file.classes {
            if !class
                .bases
                .iter()
                .any(|b| spec.bases.iter().any(|g| glob_match(g, last_part(b))))
                || spec.exclude.iter().any(|g| glob_match(g, &class.name))
            {
                continue;
            }
            total += 1;
            let documented = class.docstring
                || class
                    .decorators
                    .iter()
                    .any(|d| spec.decorators.iter().any(|g| glob_match(g, last_part(d))));
            if !documented {
                lacking.push((file, class));
            }
        }
    }
    let lacking: Vec<Counted<'_>> = lacking
        .into_iter()
        .map(|(f, c)| (f, c.name.as_str(), c.line, c.header.as_str()))
        .collect();
    one_counting_the_rest(
        &lacking,
        total,
        &spec.message.replace("{name}", "{first}"),
        (
            "no class of production code has one of the bases",
            "classes are documented",
        ),
        outcome,
    );
}

/// A definition counted by [`one_counting_the_rest`]: its file, name, line and header.
type Counted<'a> = (&'a FileFacts, &'a str, usize, &'a str);

/// One finding at the first of `lacking` among `total` definitions (`message`: `{first}`,
/// `{count}`, `{total}`, `{others}`, the next four and how many more), a pass note when none
/// lacks, undecided when there are none (`notes`: why undecided, what all of them do).
fn one_counting_the_rest(
    lacking: &[Counted<'_>],
    total: usize,
    message: &str,
    notes: (&str, &str),
    outcome: &mut ProjectOutcome,
) {
    if total == 0 {
        outcome.undecided = Some(notes.0.to_string());
    } else if lacking.is_empty() {
        outcome.provided = Some(format!("all {total} {}", notes.1));
    }
    let Some((file, name, line, header)) = lacking.first() else {
        return;
    };
    let others: Vec<String> = lacking[1..]
        .iter()
        .take(4)
        .map(|(f, n, l, _)| format!("`{n}` ({}:{l})", f.rel))
        .collect();
    let others = match lacking.len() {
        1 => String::new(),
        n if n > 5 => format!("; also {} and {} more", others.join(", "), n - 5),
        _ => format!("; also {}", others.join(", ")),
    };
    outcome.matches.push(ProjectMatch {
        rel: file.rel.clone(),
        line: *line,
        message: message
            .replace("{first}", name)
            .replace("{count}", &lacking.len().to_string())
            .replace("{total}", &total.to_string())
            .replace("{others}", &others),
        severity: None,
        header: header.to_string(),
    });
}

/// One finding at the first production task that sets none of the keywords, counting the
/// rest; a pass note when every task sets one.
fn task_findings(spec: &TaskSpec, project: &Project<'_>, outcome: &mut ProjectOutcome) {
    let mut total = 0;
    let mut lacking = Vec::new();
    for file in project
        .files
        .iter()
        .filter(|f| project.runs_in_production(f))
    {
        for function in &file.functions {
            let is_task = function
                .decorators
                .iter()
                .any(|d| spec.decorators.iter().any(|g| glob_match(g, d)));
            if !is_task {
                continue;
            }
            total += 1;
            if !function
                .decorator_keywords
                .iter()
                .any(|k| spec.keywords.contains(k))
            {
                lacking.push((file, function));
            }
        }
    }
    let lacking: Vec<Counted<'_>> = lacking
        .into_iter()
        .map(|(f, t)| (f, t.name.as_str(), t.line, t.header.as_str()))
        .collect();
    one_counting_the_rest(
        &lacking,
        total,
        &spec.message.replace("{task}", "{first}"),
        (
            "no background task of production code was found",
            "tasks set their own limit",
        ),
        outcome,
    );
}

/// One finding per client production code builds that neither its module nor a module
/// importing it connects; a pass note naming the connection otherwise.
fn client_findings(spec: &ClientSpec, project: &Project<'_>, outcome: &mut ProjectOutcome) {
    let connects = project.member_calls(|name| spec.connects.iter().any(|c| c == name));
    for (name, file, call) in project.calls(|n| spec.constructors.iter().any(|c| c == n)) {
        let line = call.line;
        // `db = Prisma()`: a connect must be called on `db`; with no name bound, on anything.
        let receiver = call.code.as_deref().and_then(bound_name);
        let connected = connects.iter().find(|(method, f, m)| {
            let on_it = receiver.as_ref().is_none_or(|r| {
                m.code
                    .as_deref()
                    .is_some_and(|code| code.contains(&format!("{r}.{method}(")))
            });
            on_it && (f.rel == file.rel || f.imports.iter().any(|i| module_names(&file.module, i)))
        });
        match connected {
            Some((method, f, at)) => {
                outcome.provided.get_or_insert_with(|| {
                    format!(
                        "the `{name}` client of {} is connected (`.{method}()` at {}:{})",
                        file.rel, f.rel, at.line
                    )
                });
            }
            None => outcome.matches.push(ProjectMatch {
                rel: file.rel.clone(),
                line,
                message: spec
                    .message
                    .replace("{name}", name)
                    .replace("{file}", &file.rel)
                    .replace("{line}", &line.to_string()),
                severity: None,
                header: call.code.clone().unwrap_or_else(|| format!("{name}()")),
            }),
        }
    }
}

/// The name a line binds its value to (`db = Prisma()`, `self.db: Prisma = Prisma()` give
/// `db`), if it is an assignment.
fn bound_name(line: &str) -> Option<String> {
    let (left, right) = line.split_once('=')?;
    if right.starts_with('=') || left.ends_with(['!', '<', '>']) {
        return None;
    }
    let target = left.split(':').next()?.trim();
    let name = target.rsplit('.').next()?.trim();
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| name.to_string())
}

/// Whether the import `imported` names the module `module` (itself or a dotted tail of two
/// parts or more, as modules are named from another source root).
fn module_names(module: &str, imported: &str) -> bool {
    module == imported
        || (imported.contains('.')
            && module.ends_with(imported)
            && module[..module.len() - imported.len()].ends_with('.'))
}

/// One finding for the production web servers that run with no bound on a request's time,
/// at the first of them (the most severe), naming the others; undecided without one.
fn request_limit_findings(
    limits: &RequestLimits,
    project: &Project<'_>,
    outcome: &mut ProjectOutcome,
) {
    let servers: Vec<(&str, &crate::parse::deploy::Process)> = project
        .processes()
        .filter(|(_, p)| p.kind == ProcessKind::Web)
        .collect();
    if servers.is_empty() {
        outcome.undecided = Some("no production deploy file starts a web server".into());
        return;
    }
    let mut unbounded: Vec<(
        &str,
        &crate::parse::deploy::Process,
        Option<crate::findings::Severity>,
        String,
    )> = servers
        .iter()
        .filter_map(|(rel, p)| {
            unbounded_because(limits, p, project).map(|(severity, why)| (*rel, *p, severity, why))
        })
        .collect();
    if unbounded.is_empty() {
        let (rel, p) = servers[0];
        outcome.provided = Some(format!("{rel}:{} bounds requests: `{}`", p.line, p.command));
        return;
    }
    // The worst case leads (no severity of its own is the rule's).
    unbounded.sort_by_key(|(_, _, severity, _)| {
        std::cmp::Reverse(severity.unwrap_or(crate::findings::Severity::Critical))
    });
    let (rel, process, severity, why) = &unbounded[0];
    let mut message = limits
        .message
        .replace("{file}", rel)
        .replace("{line}", &process.line.to_string())
        .replace("{command}", &process.command)
        .replace("{missing}", why);
    let others: Vec<String> = unbounded[1..]
        .iter()
        .map(|(rel, p, _, _)| format!("{rel}:{}", p.line))
        .collect();
    if !others.is_empty() {
        message.push_str(&format!("; also started so at {}", others.join(", ")));
    }
    outcome.matches.push(ProjectMatch {
        rel: rel.to_string(),
        line: process.line,
        message,
        severity: *severity,
        header: process.command.chars().take(200).collect(),
    });
}

/// Why `process` has no bound on a request's time, with the severity when it is less than
/// the rule's (a server default that still bounds); `None` when it is bounded.
fn unbounded_because(
    limits: &RequestLimits,
    process: &crate::parse::deploy::Process,
    project: &Project<'_>,
) -> Option<(Option<crate::findings::Severity>, String)> {
    let program = process.program.as_str();
    let Some(server) = limits
        .servers
        .iter()
        .find(|s| s.programs.iter().any(|g| glob_match(g, program)))
    else {
        return Some((
            limits.other_severity,
            format!("`{program}` has no option that bounds a request's time"),
        ));
    };
    let is_off = |value: &str| unquoted(value) == "0";
    let setting_of = |wanted: &str| {
        let (kind, name) = wanted.split_once(':').unwrap_or(("", wanted));
        project
            .server_settings()
            .find(|(_, s)| (kind.is_empty() || s.server == kind) && glob_match(name, &s.name))
    };
    // A worker that keeps answering the arbiter while a request runs: no timeout of the
    // server bounds a request.
    for (key, globs) in &server.default_lost_with {
        let value = if key.contains(':') {
            setting_of(key).map(|(_, s)| s.value.as_str())
        } else {
            process.option(&[key.as_str()])
        };
        if let Some(value) = value.filter(|v| globs.iter().any(|g| glob_match(g, unquoted(v)))) {
            return Some((
                server.lost_severity,
                format!("with `{key} {value}` the server's timeout bounds no request"),
            ));
        }
    }
    let names: Vec<&str> = server.options.iter().map(String::as_str).collect();
    if let Some(value) = process.option(&names) {
        return is_off(value).then(|| {
            (
                server.severity,
                format!("`{} 0` turns the bound off", names[0]),
            )
        });
    }
    if let Some((rel, s)) = server.settings.iter().find_map(|w| setting_of(w)) {
        return is_off(&s.value).then(|| {
            (
                server.severity,
                format!("`{} = 0` in {rel}:{} turns the bound off", s.name, s.line),
            )
        });
    }
    let wanted: Vec<String> = server.options.iter().map(|o| format!("`{o}`")).collect();
    let without = format!("it is started without {}", wanted.join(" or "));
    match &server.default {
        Some(default) => Some((
            server.default_severity,
            format!("{without}, so only {default} bounds a request"),
        )),
        None => Some((
            server.severity,
            format!("{without}, so nothing bounds a request's time"),
        )),
    }
}

/// A value as a deploy file writes it, without its quotes and outer spaces.
fn unquoted(value: &str) -> &str {
    value.trim().trim_matches(|c| c == '"' || c == '\'').trim()
}

/// Whether a resolved route's path has a segment matching `paths`, or its view's last part
/// or its name matches `views`.
fn route_matches(
    route: &crate::model::routes::ResolvedRoute,
    paths: &[String],
    views: &[String],
) -> bool {
    use crate::model::routes::RouteTarget;
    let path = route.path.to_ascii_lowercase();
    // A pattern with a `/` is matched against the whole path, its regex anchors and outer
    // slashes dropped (`*api/status`); any other against each segment.
    let whole = path.trim_matches(|c: char| matches!(c, '^' | '$' | '/'));
    let segment_hit = path
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|s| !s.is_empty())
        .any(|s| paths.iter().any(|g| !g.contains('/') && glob_match(g, s)))
        || paths
            .iter()
            .any(|g| g.contains('/') && glob_match(g, whole));
    let view = match &route.target {
        RouteTarget::View { view, .. } => last_part(view).to_ascii_lowercase(),
        _ => String::new(),
    };
    let name = route.name.as_deref().unwrap_or("").to_ascii_lowercase();
    segment_hit
        || views.iter().any(|g| {
            (!view.is_empty() && glob_match(g, &view)) || (!name.is_empty() && glob_match(g, &name))
        })
}

/// One finding per matching route whose view (a project function, or a class's methods)
/// calls nothing `touches` matches, following calls of its own module's functions once.
fn shallow_findings(
    spec: &ShallowRoutes,
    resolved: &crate::model::routes::Resolved,
    project: &Project<'_>,
    outcome: &mut ProjectOutcome,
) {
    use crate::model::project::Defined;
    use crate::model::routes::RouteTarget;
    let mut seen: std::collections::BTreeSet<(&str, usize)> = std::collections::BTreeSet::new();
    let mut functions_of: std::collections::HashMap<
        &str,
        std::collections::HashMap<&str, &crate::model::facts::FunctionDef>,
    > = std::collections::HashMap::new();
    for route in resolved
        .routes
        .iter()
        .filter(|r| route_matches(r, &spec.paths, &spec.views))
    {
        let RouteTarget::View { view, .. } = &route.target else {
            continue;
        };
        let Some((file, defined)) = project.definition(view) else {
            continue;
        };
        if !project.runs_in_production(file) || seen.contains(&(file.rel.as_str(), defined.line()))
        {
            continue;
        }
        let (calls, header) = match defined {
            Defined::Class(c) => (&c.calls, &c.header),
            Defined::Function(f) => (&f.calls, &f.header),
        };
        // A class from elsewhere (a package's view the project subclasses) may check in its
        // bases: only a function, or a class with no base but a Django view, is judged.
        if let Defined::Class(c) = defined {
            if !c
                .bases
                .iter()
                .all(|b| last_part(b) == "View" || last_part(b) == "APIView")
            {
                continue;
            }
        }
        let touches = |callee: &str| spec.touches.iter().any(|g| glob_match(g, callee));
        let mut checked = calls.iter().any(|c| touches(c));
        if !checked {
            // Helpers of the same module (`check_database()`), one level down, through a
            // name index built once per file.
            let helpers = functions_of.entry(file.rel.as_str()).or_insert_with(|| {
                let mut by_name = std::collections::HashMap::new();
                for f in &file.functions {
                    by_name.entry(f.name.as_str()).or_insert(f);
                }
                by_name
            });
            checked = calls.iter().any(|c| {
                helpers
                    .get(c.as_str())
                    .is_some_and(|f| f.calls.iter().any(|inner| touches(inner)))
            });
        }
        if checked {
            continue;
        }
        let severity = match spec
            .grades
            .iter()
            .find(|g| route_matches(route, &g.paths, &g.views))
        {
            Some(grade) => match grade.severity {
                Some(s) => Some(s),
                None => continue,
            },
            None => spec.severity,
        };
        seen.insert((file.rel.as_str(), defined.line()));
        let message = spec
            .message
            .as_deref()
            .unwrap_or("`{view}` answers `{path}` without checking anything")
            .replace("{view}", defined.name())
            // The site's root is written `""` in a urlconf.
            .replace(
                "{path}",
                if route.path.is_empty() {
                    "/"
                } else {
                    &route.path
                },
            )
            .replace("{route}", &format!("{}:{}", route.file, route.line));
        outcome.matches.push(ProjectMatch {
            rel: file.rel.clone(),
            line: defined.line(),
            message,
            severity,
            header: header.clone(),
        });
    }
}

enum Wiring {
    Wired,
    /// What would wire it in, and the settings module of another profile that names it.
    Unwired(String, Option<String>),
    Undecided(String),
}

fn wiring(class: &ClassDef, file: &FileFacts, wired: &WiredSpec, project: &Project<'_>) -> Wiring {
    let mut how = Vec::new();
    // Another class of the same module named by the settings: the module is loaded.
    let mut module_named = false;
    if !wired.settings.is_empty() {
        let Some(profile) = project.profile else {
            return Wiring::Undecided("no production settings module was found".into());
        };
        for setting in &wired.settings {
            let found = profile.lookup(setting);
            let Some(value) = found.value.filter(|_| found.set) else {
                continue;
            };
            let Kind::List(items) = &value.kind else {
                return Wiring::Undecided(format!(
                    "`{setting}` in {} is not a list audit can read",
                    profile.module
                ));
            };
            for item in items.iter() {
                // An entry added on one side of an `if` audit cannot decide (nested ones too)
                // may run. Values are bounded in depth by the evaluator.
                let mut item = item;
                while let Kind::Maybe { value, .. } = &item.kind {
                    item = value.as_ref();
                }
                match &item.kind {
                    Kind::Str(path) if names_class(path, &class.name, &file.module) => {
                        return Wiring::Wired
                    }
                    Kind::Str(path) => {
                        module_named |= path
                            .rsplit_once('.')
                            .is_some_and(|(m, _)| names_module(m, &file.module));
                    }
                    _ => {
                        return Wiring::Undecided(format!(
                            "an entry of `{setting}` in {} is computed: {}",
                            profile.module,
                            item.render()
                        ))
                    }
                }
            }
        }
        let setting = wired.settings.first().map(String::as_str).unwrap_or("");
        how.push(format!(
            "add '{}.{}' to {setting} in {}",
            short_module(&file.module, profile),
            class.name,
            profile.rel
        ));
    }
    if wired.used {
        if project.is_used(&class.name, &file.rel) {
            return Wiring::Wired;
        }
        // Used inside its own module by code that is itself loaded from elsewhere.
        if Project::used_in_own_module(&class.name, file, class.line)
            && (module_named || project.imported(&file.module))
        {
            return Wiring::Wired;
        }
        if how.is_empty() {
            how.push(format!(
                "no production code outside {} names it",
                file.module
            ));
        }
    }
    Wiring::Unwired(how.join("; "), project.other_settings_naming(&class.name))
}

/// The module as the settings spell module paths: a setting that names another class of the
/// same tree shows which source root they start from.
fn short_module(module: &str, profile: &crate::model::settings::Profile) -> String {
    // The settings module's own dotted name is relative to the source root; strip the part of
    // the component's module the settings module's path adds in front of it.
    let settings_prefix = profile
        .rel
        .trim_end_matches(".py")
        .replace('/', ".")
        .strip_suffix(&profile.module)
        .map(str::to_string)
        .unwrap_or_default();
    module
        .strip_prefix(&settings_prefix)
        .unwrap_or(module)
        .to_string()
}

/// Whether a dotted setting entry names `class` of `module`: the entry's module part is the
/// module or a dotted suffix of it (settings spell paths from the source root), or a
/// package above it that re-exports the class.
fn names_class(path: &str, class: &str, module: &str) -> bool {
    let Some((entry_module, entry_class)) = path.rsplit_once('.') else {
        return false;
    };
    entry_class == class && names_module(entry_module, module)
}

/// Whether `entry_module` (as a setting spells it) is `module` or a package above it, seen
/// from any source root.
fn names_module(entry_module: &str, module: &str) -> bool {
    let mut candidate = module;
    loop {
        if candidate == entry_module || candidate.ends_with(&format!(".{entry_module}")) {
            return true;
        }
        match candidate.rsplit_once('.') {
            Some((parent, _)) => candidate = parent,
            None => return false,
        }
    }
}

/// The string a setting holds: as written, where it is set on some paths only, or the
/// environment read's default.
fn string_value(value: &crate::model::settings::Value) -> Option<&str> {
    let mut value = value;
    loop {
        match &value.kind {
            Kind::Str(s) => return Some(s),
            Kind::Maybe { value: inner, .. } => value = inner,
            Kind::Env {
                fallback: Some(fallback),
                ..
            } => value = fallback,
            _ => return None,
        }
    }
}

fn non_empty(value: &crate::model::settings::Value) -> bool {
    match &value.kind {
        Kind::List(items) => !items.is_empty(),
        Kind::Dict(_) => true,
        Kind::Str(s) => !s.is_empty(),
        Kind::None | Kind::Bool(false) => false,
        _ => true,
    }
}

fn looked_for(e: &EvidenceSpec) -> String {
    let mut parts = Vec::new();
    let list = |xs: &[String]| {
        xs.iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !e.dependencies.is_empty() {
        parts.push(format!("no dependency {}", list(&e.dependencies)));
    }
    if !e.imports.is_empty() {
        parts.push(format!("no import of {}", list(&e.imports)));
    }
    if !e.settings.is_empty() {
        parts.push(format!("no setting {}", list(&e.settings)));
    }
    for (setting, globs) in &e.entries {
        parts.push(format!("no {} entry in `{setting}`", list(globs)));
    }
    for (setting, globs) in &e.values {
        parts.push(format!("no `{setting}` matching {}", list(globs)));
    }
    if !e.code.is_empty() {
        parts.push(format!("no use of {} in application code", list(&e.code)));
    }
    if !e.processes.is_empty() {
        let kinds: Vec<String> = e
            .processes
            .iter()
            .map(|k| {
                serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            })
            .collect();
        parts.push(format!(
            "no deploy file starts a {} process",
            kinds.join(" or ")
        ));
    }
    if e.probes {
        parts.push("no deploy file probes the application over HTTP".to_string());
    }
    if !e.options.is_empty() {
        parts.push(format!("no deploy file passes {}", list(&e.options)));
    }
    if !e.programs.is_empty() {
        parts.push(format!("no deploy file runs {}", list(&e.programs)));
    }
    if !e.server_settings.is_empty() {
        parts.push(format!("no server setting {}", list(&e.server_settings)));
    }
    if !e.files.is_empty() {
        parts.push(format!("no file like {}", list(&e.files)));
    }
    if let Some(d) = &e.documents {
        parts.push(format!(
            "no document or script that mentions {}",
            list(&d.words)
        ));
    }
    if !e.route_paths.is_empty() {
        parts.push(format!(
            "no route with a path like {}",
            list(&e.route_paths)
        ));
    }
    if !e.route_views.is_empty() {
        parts.push(format!("no route to a view like {}", list(&e.route_views)));
    }
    if !e.text.is_empty() {
        parts.push(format!("no string {} in application code", list(&e.text)));
    }
    parts.join("; ")
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
    fn the_name_a_client_is_bound_to() {
        assert_eq!(bound_name("db = Prisma()"), Some("db".to_string()));
        assert_eq!(
            bound_name("self.client: Prisma = Prisma(auto_register=True)"),
            Some("client".to_string())
        );
        assert_eq!(bound_name("return Prisma()"), None);
        assert_eq!(bound_name("if x == Prisma():"), None);
    }

    #[test]
    fn setting_entries_name_a_class_from_any_source_root() {
        let module = "apps.backend.infrastructure.rate_limiter";
        assert!(names_class(
            "infrastructure.rate_limiter.RateLimitMiddleware",
            "RateLimitMiddleware",
            module
        ));
        assert!(names_class(
            "infrastructure.RateLimitMiddleware",
            "RateLimitMiddleware",
            module
        ));
        assert!(!names_class(
            "other.rate_limiter.RateLimitMiddleware",
            "RateLimitMiddleware",
            module
        ));
        assert!(!names_class(
            "infrastructure.rate_limiter.Other",
            "RateLimitMiddleware",
            module
        ));
    }

    #[test]
    fn globs_give_their_literal_parts() {
        assert_eq!(literal_parts("*Rate*Limit"), vec!["Rate", "Limit"]);
    }
}
