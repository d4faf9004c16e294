//! Which application modules only background work reaches, from the project's import graph:
//! a module every importer of which is a task module, a management command or a script (or a
//! module only those reach) runs in workers and shells, never in a request.

use crate::model::roles::Role;
use std::collections::{BTreeMap, BTreeSet, HashMap};

pub use crate::model::facts::FileFacts as ModuleFacts;

/// Modules Django wires in by name (URLconfs, views, middleware, models, signals…): they run in
/// requests whoever imports them, so the graph never moves them.
const WIRED_NAMES: &[&str] = &[
    "views",
    "urls",
    "api",
    "viewsets",
    "middleware",
    "models",
    "admin",
    "apps",
    "signals",
    "receivers",
    "handlers",
    "serializers",
    "forms",
    "consumers",
    "routing",
    "wsgi",
    "asgi",
    "context_processors",
    "templatetags",
    "settings",
    "schema",
    "resolvers",
    "mutations",
    // named by dotted strings in settings (AUTHENTICATION_BACKENDS, DRF classes, STORAGES,
    // AUTH_PASSWORD_VALIDATORS, DATABASE_ROUTERS, social-auth pipelines, allauth adapters…)
    "backends",
    "backend",
    "auth",
    "authentication",
    "permissions",
    "throttling",
    "storage",
    "storages",
    "validators",
    "routers",
    "pipeline",
    "adapters",
    "renderers",
    "parsers",
    "pagination",
    "filters",
    "widgets",
    "fields",
    "managers",
    "checks",
    "loaders",
    "finders",
];
/// Packages whose every module is wired in by name.
const WIRED_PACKAGES: &[&str] = &["views", "urls", "viewsets", "middleware", "templatetags"];

/// The dotted module of a path (`shop/jobs/sync.py` is `shop.jobs.sync`, a package's
/// `__init__.py` the package), named as the settings model names modules.
pub fn module_of(rel: &str) -> String {
    crate::model::settings::module_of(rel).0
}

/// The package a file's relative imports start from.
pub fn package_of(rel: &str) -> String {
    let (module, is_package) = crate::model::settings::module_of(rel);
    if is_package {
        return module;
    }
    match module.rsplit_once('.') {
        Some((package, _)) => package.to_string(),
        None => String::new(),
    }
}

/// Decorator names (the last dotted part) that make a function a background task.
const TASK_DECORATORS: &[&str] = &[
    "task",
    "shared_task",
    "periodic_task",
    "db_task",
    "db_periodic_task",
    "actor",
    "job",
];

/// Module and package names of code written for workers (`tasks.py`, `bgtasks/`, `jobs.py`).
const TASK_MODULES: &[&str] = &[
    "tasks", "bgtasks", "jobs", "workers", "worker", "celery", "cron",
];

/// A module that defines tasks is an entry into background work only when it is named for
/// it: a `signals/handlers.py` with one `@shared_task` among its receivers still runs in
/// requests.
fn is_task_module(module: &str) -> bool {
    module.split('.').any(|part| {
        TASK_MODULES.contains(&part) || part.ends_with("_tasks") || part.ends_with("_jobs")
    })
}

/// Whether a file's text defines a background task: some line is a task decorator.
pub fn defines_tasks(text: &str) -> bool {
    text.lines().any(|line| {
        let Some(decorator) = line.trim_start().strip_prefix('@') else {
            return false;
        };
        let name = decorator.split(['(', ' ', '#']).next().unwrap_or("");
        let last = name.rsplit('.').next().unwrap_or("");
        TASK_DECORATORS.contains(&last)
    })
}

/// App files only background work reaches, each with (up to three of) its importers as
/// evidence. Linear in the number of import edges: each file is settled once.
pub fn background_only(files: &[ModuleFacts]) -> BTreeMap<String, Vec<String>> {
    // Every dotted suffix of a module names it: `src/shop/sync.py` answers `shop.sync` too.
    let modules: Vec<String> = files.iter().map(|f| module_of(&f.rel)).collect();
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, module) in modules.iter().enumerate() {
        // A one-part tail (`utils`, `requests`) would tie every `import utils` (or the
        // library of that name) to every such file: only the whole name answers it.
        by_name.entry(module.clone()).or_default().push(i);
        let mut rest = module.as_str();
        while let Some((_, tail)) = rest.split_once('.') {
            if tail.contains('.') {
                by_name.entry(tail.to_string()).or_default().push(i);
            }
            rest = tail;
        }
    }
    // importers[j]: the files importing file j (each once).
    let mut importers: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); files.len()];
    for (i, file) in files.iter().enumerate() {
        for name in &file.imports {
            for &j in by_name.get(name).into_iter().flatten() {
                if j != i {
                    importers[j].insert(i);
                }
            }
        }
    }
    // Files that may move to the worker role.
    let candidate: Vec<bool> = files
        .iter()
        .zip(&modules)
        .map(|(file, module)| {
            let last = module.rsplit('.').next().unwrap_or("");
            file.role == Role::App
                && !file.assigned
                && !file.defines_tasks
                && !WIRED_NAMES.contains(&last)
                && !module.split('.').any(|part| WIRED_PACKAGES.contains(&part))
        })
        .collect();
    // An importer is an entry into background work or code that may serve requests; only
    // candidates can change from the second to the first.
    #[derive(Clone, Copy, PartialEq)]
    enum Kind {
        Entry,
        Request,
    }
    let mut kind: Vec<Kind> = files
        .iter()
        .zip(&modules)
        .map(|(f, module)| match f.role {
            Role::Command | Role::Script | Role::Worker => Kind::Entry,
            _ if f.defines_tasks && is_task_module(module) => Kind::Entry,
            _ => Kind::Request,
        })
        .collect();
    // pending[j]: importers of j that may still serve requests.
    let mut pending: Vec<usize> = importers
        .iter()
        .map(|set| set.iter().filter(|&&i| kind[i] == Kind::Request).count())
        .collect();
    let has_entry = |j: usize, kind: &[Kind]| importers[j].iter().any(|&i| kind[i] == Kind::Entry);
    let mut settled: Vec<usize> = Vec::new();
    let mut queue: Vec<usize> = (0..files.len())
        .filter(|&j| candidate[j] && pending[j] == 0 && has_entry(j, &kind))
        .collect();
    // importees[i]: the files i imports, to update when i turns out to be background.
    let mut importees: Vec<Vec<usize>> = vec![Vec::new(); files.len()];
    for (j, set) in importers.iter().enumerate() {
        for &i in set {
            importees[i].push(j);
        }
    }
    while let Some(j) = queue.pop() {
        if kind[j] == Kind::Entry {
            continue;
        }
        let was_request = kind[j] == Kind::Request;
        kind[j] = Kind::Entry;
        settled.push(j);
        for &k in &importees[j] {
            if was_request {
                pending[k] = pending[k].saturating_sub(1);
            }
            if kind[k] == Kind::Request && candidate[k] && pending[k] == 0 {
                queue.push(k);
            }
        }
    }
    settled
        .into_iter()
        .map(|j| {
            let evidence = importers[j]
                .iter()
                .take(3)
                .map(|&i| files[i].rel.clone())
                .collect();
            (files[j].rel.clone(), evidence)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(rel: &str, role: Role, imports: &[&str], tasks: bool) -> ModuleFacts {
        ModuleFacts {
            rel: rel.to_string(),
            role,
            imports: imports.iter().map(|s| s.to_string()).collect(),
            defines_tasks: tasks,
            ..ModuleFacts::default()
        }
    }

    #[test]
    fn modules_reached_only_from_tasks_and_commands_are_background() {
        let files = [
            facts("shop/tasks.py", Role::App, &["shop.sync"], true),
            facts(
                "shop/management/commands/pull.py",
                Role::Command,
                &["shop.fetch"],
                false,
            ),
            // imported by the task module and by a helper only the command reaches
            facts("shop/sync.py", Role::App, &["shop.client"], false),
            facts("shop/fetch.py", Role::App, &["shop.client"], false),
            facts("shop/client.py", Role::App, &[], false),
            // a view imports it: it serves requests
            facts(
                "shop/views.py",
                Role::App,
                &["shop.pricing", "shop.tasks"],
                false,
            ),
            facts("shop/pricing.py", Role::App, &[], false),
            facts("scripts/seed.py", Role::Script, &["shop.pricing"], false),
            // imported by nobody: unknown, left alone
            facts("shop/orphan.py", Role::App, &[], false),
            // Django wires views by name: never moved
            facts("shop/admin.py", Role::App, &[], false),
        ];
        let found = background_only(&files);
        let rels: Vec<&str> = found.keys().map(String::as_str).collect();
        assert_eq!(rels, ["shop/client.py", "shop/fetch.py", "shop/sync.py"]);
        assert_eq!(found["shop/client.py"], ["shop/sync.py", "shop/fetch.py"]);
    }

    #[test]
    fn a_cycle_with_a_request_importer_stays_in_requests() {
        let files = [
            facts("a/tasks.py", Role::App, &["a.one"], true),
            facts("a/one.py", Role::App, &["a.two"], false),
            facts("a/two.py", Role::App, &["a.one"], false),
            facts("a/views.py", Role::App, &["a.two"], false),
        ];
        assert!(background_only(&files).is_empty());
    }

    #[test]
    fn a_task_among_signal_receivers_does_not_make_their_module_an_entry() {
        let files = [
            facts(
                "docs/signals/handlers.py",
                Role::App,
                &["docs.actions"],
                true,
            ),
            facts("docs/actions.py", Role::App, &[], false),
            facts("docs/bgtasks/consume.py", Role::App, &["docs.parse"], true),
            facts("docs/parse.py", Role::App, &[], false),
        ];
        let rels: Vec<String> = background_only(&files).into_keys().collect();
        assert_eq!(rels, ["docs/parse.py"]);
    }

    #[test]
    fn modules_settings_name_by_string_and_assigned_roles_never_move() {
        let mut assigned = facts("shop/feeds.py", Role::App, &[], false);
        assigned.assigned = true;
        let files = [
            facts(
                "shop/management/commands/pull.py",
                Role::Command,
                &["shop.sso.backends", "shop.feeds"],
                false,
            ),
            facts("shop/sso/backends.py", Role::App, &[], false),
            assigned,
        ];
        assert!(background_only(&files).is_empty());
    }

    #[test]
    fn a_one_part_import_names_only_a_top_level_module() {
        let files = [
            facts("shop/tasks.py", Role::App, &["utils", "requests"], true),
            facts("shop/utils.py", Role::App, &[], false),
            facts("shop/requests.py", Role::App, &[], false),
            facts("utils.py", Role::App, &[], false),
        ];
        let rels: Vec<String> = background_only(&files).into_keys().collect();
        assert_eq!(rels, ["utils.py"]);
    }

    #[test]
    fn task_decorators_are_recognised() {
        assert!(defines_tasks("@shared_task(bind=True)\ndef f(self): ...\n"));
        assert!(defines_tasks("  @app.task\n  def f(): ...\n"));
        assert!(defines_tasks("@dramatiq.actor(max_retries=3)\n"));
        assert!(!defines_tasks("@property\ndef task(self): ...\n"));
        assert!(!defines_tasks("@taskmaster\n"));
    }

    #[test]
    fn modules_and_packages_are_named_from_their_paths() {
        assert_eq!(module_of("src/shop/sync.py"), "src.shop.sync");
        assert_eq!(module_of("shop/__init__.py"), "shop");
        assert_eq!(package_of("shop/jobs/sync.py"), "shop.jobs");
        assert_eq!(package_of("shop/jobs/__init__.py"), "shop.jobs");
        assert_eq!(package_of("manage.py"), "");
    }
}
