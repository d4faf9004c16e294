//! The production profile: which module production runs, evaluated, and lookups in it.

use super::defaults::{django_default, nested_default};
use super::eval::{find_module, Defined, Evaluator, Namespace};
use super::value::*;
use super::{
    folder_depth, is_development_file, is_non_production_module, is_non_production_name,
    is_scaffold, production_rank, HintSource, ModuleHint, SettingsFile, Stmt, LATEST_DJANGO,
};
use std::cmp::Reverse;
use std::collections::BTreeSet;

/// The production settings: the chosen module with everything it imports, evaluated.
#[derive(Clone, Debug)]
pub struct Profile {
    /// Dotted module of the entry file.
    pub module: String,
    /// The entry file (relative path).
    pub rel: String,
    /// Every file merged into the profile, entry first.
    pub files: Vec<String>,
    /// How the module was chosen, for reports.
    pub reason: String,
    /// Settings modules of other Django projects in the repository, not audited.
    pub others: Vec<String>,
    /// The Django (major, minor) whose defaults apply.
    pub django: (u32, u32),
    /// `django` was read from a manifest (else it is the latest stable, assumed).
    pub django_pinned: bool,
    values: Namespace,
    defined: Defined,
    /// Star imports that name no settings module of the repository.
    pub unresolved: Vec<String>,
    /// Why the evaluation is incomplete: each a bound that was hit (import depth, evaluator
    /// steps, block nesting). A setting check without a finding is undecidable for these.
    pub incomplete: Vec<String>,
    /// Files read at run time that may override what was assigned before them, where and how
    /// (`the file run with exec() at dmoj/settings.py:611`).
    pub overrides: Vec<(Loc, String)>,
    /// Settings another branch of an `if` on an environment read assigns (the deployment's
    /// switch, such as a Redis cache when `REDIS_HOST` is set).
    pub switches: Vec<super::eval::Switch>,
}

/// The answer to a setting path.
#[derive(Clone, Debug, PartialEq)]
pub struct Lookup {
    /// The value production gets: set in the profile, or Django's default. `None` when neither.
    pub value: Option<Value>,
    /// Set in the production profile (as opposed to a default).
    pub set: bool,
    /// Where to point: the value, else the deepest enclosing container that is set.
    pub at: Option<Loc>,
    /// Not set, but a star import audit could not follow may set it.
    pub maybe_elsewhere: bool,
}

impl Profile {
    /// How a file read at run time may replace the value at `at`, if one can: an override
    /// later in the same module, or any override when the value comes from another module
    /// (a base it imported first) or is Django's default (`at` empty).
    pub fn overridden_by(&self, at: &Loc) -> Option<&str> {
        self.overrides
            .iter()
            .find(|(o, _)| at.end == 0 || o.file != at.file || at.start < o.start)
            .map(|(_, how)| how.as_str())
    }

    /// The switch that lets the deployment replace the top-level setting of `path`, if any.
    pub fn switch_of(&self, path: &str) -> Option<&super::eval::Switch> {
        let top = path.split('.').next().unwrap_or(path);
        self.switches.iter().find(|s| s.name == top)
    }

    /// Looks up a dotted path (`DATABASES.default.CONN_MAX_AGE`, `PASSWORD_HASHERS.0`).
    pub fn lookup(&self, path: &str) -> Lookup {
        self.lookup_skipping(path, &|_| false)
    }

    /// The answer to `path` where every maybe-set value along it is unset (the other side
    /// of an `if` audit cannot decide): Django's default where the path starts unset.
    pub fn lookup_unset(&self, path: &str) -> Lookup {
        self.lookup_skipping(path, &|v| matches!(v.kind, Kind::Maybe { .. }))
    }

    /// The lookup, with values for which `skip` holds taken as not set.
    fn lookup_skipping(&self, path: &str, skip: &dyn Fn(&Value) -> bool) -> Lookup {
        let mut parts = path.split('.');
        let top = parts.next().unwrap_or("");
        let rest: Vec<&str> = parts.collect();
        let Some(value) = self.values.get(top).filter(|v| !skip(v)) else {
            let value = django_default(top, self.django).map(|k| Value::new(k, None));
            return Lookup {
                value: value.and_then(|v| descend_default(v, &rest)),
                set: false,
                at: None,
                maybe_elsewhere: !self.unresolved.is_empty(),
            };
        };
        let mut current = value.clone();
        let mut at = value.at.clone();
        for key in &rest {
            match step(&current, key) {
                Step::Found(next) if !skip(&next) => {
                    at = next.at.clone().or(at);
                    current = next;
                }
                Step::Opaque => return found(current, at),
                _ => {
                    let default = nested_default(top, &rest).map(|k| Value::new(k, None));
                    return Lookup {
                        value: default,
                        set: false,
                        at,
                        maybe_elsewhere: false,
                    };
                }
            }
        }
        found(current, at)
    }

    /// Concrete paths for a pattern whose segments may be globs (`*_URL`, `DATABASES.*.HOST`).
    pub fn expand(&self, pattern: &str) -> Vec<String> {
        let segments: Vec<&str> = pattern.split('.').collect();
        let mut paths: Vec<String> = Vec::new();
        let Some((first, rest)) = segments.split_first() else {
            return paths;
        };
        if is_glob(first) {
            paths.extend(
                self.values
                    .keys()
                    .filter(|k| is_setting_name(k) && glob_match(first, k))
                    .cloned(),
            );
        } else {
            paths.push((*first).to_string());
        }
        for segment in rest {
            let mut next = Vec::new();
            for path in paths {
                if !is_glob(segment) {
                    next.push(format!("{path}.{segment}"));
                    continue;
                }
                let value = self.lookup(&path).value.map(Value::certain);
                match value.map(|v| v.effective().cloned().unwrap_or(v)) {
                    Some(Value {
                        kind: Kind::Dict(entries),
                        ..
                    }) => next.extend(
                        entries
                            .iter()
                            .filter(|(k, _)| glob_match(segment, k))
                            .map(|(k, _)| format!("{path}.{k}")),
                    ),
                    // A bound stopped this value, or it is computed or required from the
                    // environment: its entries are unknown, so the glob stays in the path and
                    // the check on it is undecidable rather than skipped.
                    Some(Value {
                        kind: Kind::Cut(_) | Kind::Unknown(_) | Kind::Env { .. },
                        ..
                    }) => next.push(format!("{path}.{segment}")),
                    _ => {}
                }
            }
            paths = next;
        }
        paths
    }

    /// The setting production reads for `path`: Django before 2.0 reads `MIDDLEWARE_CLASSES`
    /// when `MIDDLEWARE` is not set, so a project that sets only the old name is judged on it
    /// (and findings name it). Django 2.0 and later ignore the old name.
    pub fn source_path(&self, path: &str) -> String {
        let (top, rest) = path.split_once('.').map_or((path, ""), |(t, r)| (t, r));
        let ignores_old = self.django_pinned && self.django >= (2, 0);
        if top == "MIDDLEWARE"
            && !ignores_old
            && !self.values.contains_key("MIDDLEWARE")
            && self.values.contains_key("MIDDLEWARE_CLASSES")
        {
            return if rest.is_empty() {
                "MIDDLEWARE_CLASSES".to_string()
            } else {
                format!("MIDDLEWARE_CLASSES.{rest}")
            };
        }
        path.to_string()
    }

    /// Where a top-level setting was last assigned (its statement).
    pub fn defined_at(&self, name: &str) -> Option<&Loc> {
        self.defined.get(name)
    }

    /// Line 1 of the entry module, where findings about absent settings point.
    pub fn entry_loc(&self) -> Loc {
        Loc {
            file: self.rel.clone(),
            start: 0,
            end: 0,
        }
    }
}

pub(super) fn found(value: Value, at: Option<Loc>) -> Lookup {
    Lookup {
        value: Some(value),
        set: true,
        at,
        maybe_elsewhere: false,
    }
}

pub(super) enum Step {
    Found(Value),
    /// The container is not a literal (environment or unknown): the path ends here.
    Opaque,
    Missing,
}

pub(super) fn step(current: &Value, key: &str) -> Step {
    match &current.kind {
        Kind::Dict(_) => current.get(key).cloned().map_or(Step::Missing, Step::Found),
        Kind::List(items) => match key.parse::<usize>() {
            Ok(i) => items.get(i).cloned().map_or(Step::Missing, Step::Found),
            Err(_) => Step::Missing,
        },
        Kind::Env {
            vars,
            fallback: Some(f),
        } => match step(f, key) {
            Step::Found(inner) => {
                let at = current.at.clone().unwrap_or_else(|| Loc {
                    file: String::new(),
                    start: 0,
                    end: 0,
                });
                Step::Found(env_value(vars.clone(), Some(inner), &at))
            }
            other => other,
        },
        // Inside a maybe-set container, every entry is maybe-set for the same reason.
        Kind::Maybe { value, why } => match step(value, key) {
            Step::Found(inner) => {
                let at = inner.at.clone();
                let kind = match inner.kind {
                    kind @ Kind::Maybe { .. } => kind,
                    _ => Kind::Maybe {
                        value: Box::new(inner),
                        why: why.clone(),
                    },
                };
                Step::Found(Value::new(kind, at))
            }
            other => other,
        },
        Kind::Env { .. } | Kind::Unknown(_) | Kind::Cut(_) => Step::Opaque,
        _ => Step::Missing,
    }
}

pub(super) fn descend_default(value: Value, rest: &[&str]) -> Option<Value> {
    let mut current = value;
    for key in rest {
        match step(&current, key) {
            Step::Found(next) => current = next,
            _ => return None,
        }
    }
    Some(current)
}

pub(super) fn is_setting_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| c.is_ascii_uppercase())
        && name
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

pub(super) fn is_glob(segment: &str) -> bool {
    segment.contains(['*', '{', '?'])
}

/// Glob match of one path segment: `*` any run, `?` one character, `{a,b}` alternatives.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    if let Some(open) = pattern.find('{') {
        if let Some(close) = pattern[open..].find('}').map(|c| c + open) {
            let (head, tail) = (&pattern[..open], &pattern[close + 1..]);
            return pattern[open + 1..close]
                .split(',')
                .any(|alt| glob_match(&format!("{head}{alt}{tail}"), text));
        }
    }
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    // Iterative wildcard matching with backtracking to the last star.
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Which settings module a run audited and why, for every report (DESIGN §4.1, §7.1).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SettingsChoice {
    /// Dotted module of the audited settings.
    pub module: String,
    /// Its file, relative to the scanned root.
    pub path: String,
    /// `Dockerfile:12 sets DJANGO_SETTINGS_MODULE`, `DJANGO_SETTINGS_MODULE default in
    /// manage.py`, `named with --settings`, `named for production`, `the base settings module`.
    pub reason: String,
    /// The production settings of other Django projects in the repository (their own
    /// `manage.py`), not audited in this run: each can be with `--settings MODULE`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<String>,
}

impl Profile {
    /// The choice, for reports.
    pub fn choice(&self) -> SettingsChoice {
        SettingsChoice {
            module: self.module.clone(),
            path: self.rel.clone(),
            reason: self.reason.clone(),
            others: self.others.clone(),
        }
    }
}

/// Picks the production settings module and evaluates it. `named` is `--settings`; an error
/// says it names no settings module of the repository. `hints` are the modules files name:
/// `DJANGO_SETTINGS_MODULE` defaults in Python and deploy-file mentions.
pub fn production_profile(
    files: &[SettingsFile],
    hints: &[ModuleHint],
    named: Option<&str>,
    django: Option<(u32, u32)>,
) -> Result<Option<Profile>, String> {
    let chosen = match named {
        Some(name) => match find_module(files, name) {
            Some(i) => Some((i, format!("named with --settings {name}"))),
            None => {
                return Err(format!(
                    "--settings {name}: no settings module of that name was found"
                ))
            }
        },
        None => choose(files, hints, &|_| true),
    };
    let Some((index, reason)) = chosen else {
        return Ok(None);
    };
    let mut evaluator = Evaluator::new(files);
    let done = evaluator.module(index);
    let (values, defined) = (done.ns.clone(), done.defined.clone());
    let file = &files[index];
    let others = other_projects(files, hints, index, &evaluator.merged);
    Ok(Some(Profile {
        module: file.module.clone(),
        rel: file.rel.clone(),
        files: evaluator.merged,
        reason,
        others,
        django: django.unwrap_or(LATEST_DJANGO),
        django_pinned: django.is_some(),
        values,
        defined,
        unresolved: evaluator.unresolved.into_iter().collect(),
        incomplete: evaluator.incomplete,
        overrides: evaluator.overrides,
        switches: evaluator.switches,
    }))
}

/// The folder of a relative path, `/`-terminated (`""` for the root).
fn folder(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..=i])
}

/// Other Django projects of the repository: each folder with its own `manage.py` (that names
/// a settings module) owns the files below it that no deeper project owns. For each project
/// other than the audited one, the module the same choice would audit there.
fn other_projects(
    files: &[SettingsFile],
    hints: &[ModuleHint],
    chosen: usize,
    merged: &[String],
) -> Vec<String> {
    let roots: BTreeSet<&str> = hints
        .iter()
        .filter(|h| {
            h.source == HintSource::Default
                && (h.rel == "manage.py" || h.rel.ends_with("/manage.py"))
                && !is_scaffold(&h.rel)
        })
        .map(|h| folder(&h.rel))
        .collect();
    if roots.len() < 2 {
        return Vec::new();
    }
    let owner = |rel: &str| -> Option<&str> {
        roots
            .iter()
            .copied()
            .filter(|root| rel.starts_with(root))
            .max_by_key(|root| root.len())
    };
    let audited = owner(&files[chosen].rel);
    let mut others = Vec::new();
    for root in &roots {
        if Some(*root) == audited {
            continue;
        }
        let theirs: Vec<ModuleHint> = hints
            .iter()
            .filter(|h| owner(&h.rel) == Some(root))
            .cloned()
            .collect();
        let keep = |f: &SettingsFile| owner(&f.rel) == Some(root);
        if let Some((i, _)) = choose(files, &theirs, &keep) {
            let module = &files[i].module;
            if !merged.contains(&files[i].rel) && !others.contains(module) {
                others.push(module.clone());
            }
        }
    }
    others
}

/// A module worth evaluating: it assigns an upper-case name or star-imports settings.
pub(super) fn has_content(file: &SettingsFile) -> bool {
    file.markers > 0
        || file.body.iter().any(|s| match s {
            Stmt::StarImport { .. } => true,
            Stmt::Assign { targets, .. } => targets.iter().any(|t| is_setting_name(&t.name)),
            _ => false,
        })
}

/// Clearly a project's settings module: named like one and setting a marker or importing
/// a base module, or setting two markers whatever its name (a package `__init__.py` that
/// exposes an `INSTALLED_APPS` list for its users is not one).
pub(super) fn is_settings_module(file: &SettingsFile) -> bool {
    let imports_base = file
        .body
        .iter()
        .any(|s| matches!(s, Stmt::StarImport { .. }));
    (file.named && (file.markers > 0 || imports_base)) || file.markers >= 2
}

/// Where a `DJANGO_SETTINGS_MODULE` default sits: (project depth, kind). `wsgi.py`/`asgi.py`
/// sit one folder below their project's `manage.py`, so both count at the project's depth,
/// servers first; any other file (a Celery app, a script) comes after them.
fn entry_rank(rel: &str) -> (usize, u8) {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let depth = folder_depth(rel);
    match name {
        "wsgi.py" | "asgi.py" => (depth.saturating_sub(1), 0),
        "manage.py" => (depth, 1),
        _ => (depth.saturating_sub(1), 2),
    }
}

/// The production module among the files `keep` admits, and why (DESIGN §4.1): deploy files
/// that name one, then the root-most `DJANGO_SETTINGS_MODULE` default, then a module named for
/// production, then the base module. Development names and scaffolding never qualify.
pub(super) fn choose(
    files: &[SettingsFile],
    hints: &[ModuleHint],
    keep: &dyn Fn(&SettingsFile) -> bool,
) -> Option<(usize, String)> {
    let resolve = |hint: &ModuleHint| -> Option<usize> {
        if is_non_production_name(&hint.module) || is_scaffold(&hint.rel) {
            return None;
        }
        let i = find_module(files, &hint.module)?;
        let f = &files[i];
        // `nautobot_config` may resolve to `development.nautobot_config`: the file found
        // must not be a development module either.
        let production = !is_non_production_module(&f.module);
        (keep(f) && has_content(f) && !is_scaffold(&f.rel) && production).then_some(i)
    };
    // 1. Deploy files, development ones last, root-most first.
    let mut deploy: Vec<(&ModuleHint, usize, &str)> = hints
        .iter()
        .filter_map(|h| match h.source {
            HintSource::Deploy { line, how } => Some((h, line, how)),
            HintSource::Default => None,
        })
        .collect();
    deploy.sort_by_key(|(h, line, _)| {
        (
            is_development_file(&h.rel),
            folder_depth(&h.rel),
            h.rel.clone(),
            *line,
        )
    });
    for (hint, line, how) in deploy {
        if let Some(i) = resolve(hint) {
            return Some((i, format!("{}:{line} {how}", hint.rel)));
        }
    }
    // 2. DJANGO_SETTINGS_MODULE defaults, root-most project first: a nested side project's
    // wsgi.py does not beat the root manage.py.
    let mut defaults: Vec<&ModuleHint> = hints
        .iter()
        .filter(|h| h.source == HintSource::Default)
        .collect();
    defaults.sort_by_key(|h| (entry_rank(&h.rel), h.rel.clone(), h.module.clone()));
    for hint in defaults {
        if let Some(i) = resolve(hint) {
            return Some((i, format!("DJANGO_SETTINGS_MODULE default in {}", hint.rel)));
        }
    }
    let eligible =
        |f: &SettingsFile| keep(f) && !is_non_production_module(&f.module) && !is_scaffold(&f.rel);
    let mut usable: Vec<usize> = (0..files.len())
        .filter(|&i| eligible(&files[i]) && is_settings_module(&files[i]))
        .collect();
    if usable.is_empty() {
        // Last resort: a module named like settings that sets something (a one-file example).
        usable = (0..files.len())
            .filter(|&i| {
                let f = &files[i];
                eligible(f) && f.named && has_content(f)
            })
            .collect();
    }
    // 3. A module named for production, root-most first.
    let production = usable
        .iter()
        .filter_map(|&i| {
            let f = &files[i];
            production_rank(&f.module).map(|r| (r, folder_depth(&f.rel), f.rel.len(), i))
        })
        .min();
    if let Some((_, _, _, i)) = production {
        return Some((i, "named for production".to_string()));
    }
    // 4. The single or base module: `settings`, then `base`/`common`, then any other.
    let rank = |f: &SettingsFile| {
        let last = f.module.rsplit('.').next().unwrap_or("");
        match last {
            "settings" => 0,
            "base" | "common" | "defaults" | "core" => 1,
            _ => 2,
        }
    };
    usable
        .iter()
        .min_by_key(|&&i| {
            let f = &files[i];
            (Reverse(f.markers), rank(f), f.rel.len(), f.rel.clone())
        })
        .map(|&i| (i, "the base settings module".to_string()))
}
