//! The `[match]` schema of a `project` rule, as its TOML writes it.

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

fn yes() -> bool {
    true
}
