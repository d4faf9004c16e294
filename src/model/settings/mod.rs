//! Django settings as production sees them (DESIGN §4.1).
//!
//! Three stages, in pipeline order:
//! 1. per file, while its tree is alive: [`is_candidate`] says whether a Python file may be a
//!    settings module, [`extract`] turns its module-level statements into a small owned IR
//!    ([`Stmt`], [`Node`]) and [`module_hints`] reads `DJANGO_SETTINGS_MODULE` defaults from any file;
//! 2. per project: [`production_profile`] picks the production module, follows its
//!    `from .base import *` chain and evaluates every statement partially into [`Value`]s that know
//!    whether they are literal, read from the environment with a default, or required from it;
//! 3. [`Profile::lookup`] answers a setting path (`DATABASES.default.CONN_MAX_AGE`), falling back to
//!    Django's default for the project's Django version.

mod calls;
mod defaults;
mod eval;
mod ir;
mod profile;
#[cfg(test)]
mod tests;
mod value;

pub use defaults::django_default;
pub use eval::find_module;
pub use ir::{shorten, DictItem, Expr, Node, Span, Stmt, Target};
pub use profile::{glob_match, production_profile, Lookup, Profile, SettingsChoice};
pub use value::{py_eq, Dict, Kind, List, Loc, Undecided, Value, MAX_VALUE_DEPTH, MAX_VALUE_ITEMS};

use crate::model::symbols::{FileSymbols, NodeIndex};
use crate::parse::python::PyRoot;

/// Expressions (and subscript targets) nested deeper than this are not evaluated: the value is
/// undecidable, with a note. Bounds the converter's and the evaluator's recursion.
pub const MAX_EXPR_DEPTH: usize = 64;
/// Statements inside more nested blocks (`if`, `try`, `with`) than this are not evaluated; a
/// profile that reaches them is incomplete, with a note. Bounds the recursion over blocks.
pub const MAX_BLOCK_DEPTH: usize = 32;
/// A chain of star imports longer than this is cut (real projects use two or three); the
/// profile is then incomplete, with a note naming the module not followed.
pub const MAX_IMPORT_DEPTH: usize = 16;
/// Evaluation steps (statements, expressions, items copied or compared) one settings module
/// may take; past it the module's evaluation stops and the profile is incomplete, with a note.
/// Linear evaluation of a 2 MiB module stays well below it.
pub const MAX_EVAL_STEPS: u64 = 4_000_000;
/// The Django version assumed when no manifest pins one (latest stable).
pub const LATEST_DJANGO: (u32, u32) = (5, 2);

/// Settings names that make a module a settings module by content.
const CONTENT_MARKERS: &[&str] = &["INSTALLED_APPS", "MIDDLEWARE", "ROOT_URLCONF", "SECRET_KEY"];
/// Module-name tokens of non-production profiles.
const NON_PRODUCTION: &[&str] = &[
    "dev",
    "devel",
    "development",
    "local",
    "test",
    "tests",
    "testing",
    "ci",
    "debug",
    "example",
    "sample",
];
/// Module-name tokens of the production profile, best first.
const PRODUCTION: &[&str] = &["prod", "production", "live", "staging"];

/// What the project stage keeps of one candidate settings module.
#[derive(Clone, Debug, PartialEq)]
pub struct SettingsFile {
    pub rel: String,
    /// Dotted module path from the relative path (`apps.backend.config.settings.base`).
    pub module: String,
    pub is_package: bool,
    /// How many distinct content markers (INSTALLED_APPS, MIDDLEWARE, ROOT_URLCONF,
    /// SECRET_KEY) it assigns at module level.
    pub markers: usize,
    /// Named like a settings module (`settings.py`, `settings/*.py`, `*_settings.py`).
    pub named: bool,
    pub source: String,
    pub body: Vec<Stmt>,
}

/// A settings module some file names: a `DJANGO_SETTINGS_MODULE` default in Python
/// (`manage.py`, `wsgi.py`, `asgi.py`, …) or a deploy file that sets the variable or passes
/// `--settings`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ModuleHint {
    pub rel: String,
    pub module: String,
    pub source: HintSource,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum HintSource {
    /// `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "…")` in Python.
    Default,
    /// A deploy file at this 1-based line; `how` is `sets DJANGO_SETTINGS_MODULE` or
    /// `passes --settings`.
    Deploy { line: usize, how: &'static str },
}

/// The dotted module of a relative path: `a/b/settings/__init__.py` → (`a.b.settings`, true).
pub fn module_of(rel: &str) -> (String, bool) {
    let stem = rel.strip_suffix(".py").unwrap_or(rel);
    let mut parts: Vec<&str> = stem.split('/').filter(|p| !p.is_empty()).collect();
    let is_package = parts.last() == Some(&"__init__");
    if is_package {
        parts.pop();
    }
    (parts.join("."), is_package)
}

/// The module-name tokens (`settings_prod` → [`settings`, `prod`]) of the last segment.
fn name_tokens(module: &str) -> Vec<String> {
    let last = module.rsplit('.').next().unwrap_or(module);
    last.split(['_', '-'])
        .filter(|t| !t.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// A module named like a development, test or example profile.
pub fn is_non_production_name(module: &str) -> bool {
    name_tokens(module)
        .iter()
        .any(|t| NON_PRODUCTION.contains(&t.as_str()))
}

/// A module named like a non-production profile, or inside a package that is
/// (`development.nautobot_config`, `local.settings`).
pub fn is_non_production_module(module: &str) -> bool {
    module.split('.').any(is_non_production_name)
}

/// Rank of a production-named module (0 best), if it is one.
fn production_rank(module: &str) -> Option<usize> {
    let tokens = name_tokens(module);
    PRODUCTION
        .iter()
        .position(|p| tokens.iter().any(|t| t == p))
}

/// Scaffolding shipped for others to copy (Django's `project_template/`, `app_template/`,
/// cookiecutter folders named `{{cookiecutter.project_slug}}`, `settings.py-tpl`): never the
/// settings a production runs.
pub fn is_scaffold(rel: &str) -> bool {
    crate::model::roles::role_of_path(rel, false) == crate::model::roles::Role::Template
}

/// Settings modules a build creates by copying a file into place (`cp docker/config.py
/// settings/config.py`, then `ENV DJANGO_SETTINGS_MODULE=settings.config`): the copied file is
/// added under the module it becomes, so the deploy file's module is found and its relative
/// imports resolve from where it lands. Findings still point at the file in the repository.
pub fn add_copies(
    files: &mut Vec<SettingsFile>,
    copies: &[(String, crate::parse::deploy::FileCopy)],
) {
    for (deploy_rel, copy) in copies {
        let Some(source) = copy_source(files, deploy_rel, &copy.from) else {
            continue;
        };
        // A development config copied into a development image is not production's.
        if is_development_file(deploy_rel) || is_non_production_module(&files[source].module) {
            continue;
        }
        let Some(module) = copy_module(files, &copy.to) else {
            continue;
        };
        if files.iter().any(|f| f.module == module) {
            continue;
        }
        let mut copied = files[source].clone();
        copied.module = module;
        copied.is_package = false;
        copied.named = true;
        files.push(copied);
    }
}

/// The settings file a copy reads: the path from the root, from the deploy file's folder, or
/// an absolute path inside the image whose tail is a path of the repository.
fn copy_source(files: &[SettingsFile], deploy_rel: &str, from: &str) -> Option<usize> {
    let from = from.trim_start_matches("./");
    let folder = deploy_rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let beside = if folder.is_empty() {
        from.to_string()
    } else {
        format!("{folder}/{from}")
    };
    let segments: Vec<&str> = from.trim_start_matches('/').split('/').collect();
    let tails = (0..segments.len()).map(|i| segments[i..].join("/"));
    std::iter::once(from.to_string())
        .chain(std::iter::once(beside))
        .chain(tails)
        .find_map(|path| files.iter().position(|f| f.rel == path))
}

/// The module a copy's destination becomes: the longest tail of its path whose package holds
/// other settings modules of the repository (`/app/settings/config.py` → `settings.config`).
fn copy_module(files: &[SettingsFile], to: &str) -> Option<String> {
    let stem = to.strip_suffix(".py")?;
    let segments: Vec<&str> = stem.trim_start_matches('/').split('/').collect();
    (0..segments.len()).find_map(|i| {
        let tail = &segments[i..];
        let package = tail[..tail.len() - 1].join(".");
        let known = !package.is_empty()
            && files
                .iter()
                .any(|f| f.module.starts_with(&format!("{package}.")));
        known.then(|| tail.join("."))
    })
}

/// How many folders a relative path is below the scanned root (`manage.py` is 0).
pub(crate) fn folder_depth(rel: &str) -> usize {
    rel.matches('/').count()
}

/// A deploy file for development or tests (`Procfile.dev`, `docker-compose.override.yml`,
/// `Dockerfile.local`): its evidence counts after every other deploy file's.
pub(crate) fn is_development_file(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel).to_ascii_lowercase();
    name.split(['.', '-', '_'])
        .any(|t| t == "override" || NON_PRODUCTION.contains(&t))
}

pub fn named_like_settings(rel: &str) -> bool {
    let mut parts: Vec<&str> = rel.split('/').collect();
    let file = parts.pop().unwrap_or("");
    let stem = file.strip_suffix(".py").unwrap_or(file);
    stem == "settings"
        || stem.ends_with("_settings")
        || stem.starts_with("settings_")
        || parts.last() == Some(&"settings")
}

/// How many distinct content markers some line assigns at module level (no indentation).
fn content_markers(text: &str) -> usize {
    CONTENT_MARKERS
        .iter()
        .filter(|m| {
            text.lines().any(|line| {
                line.strip_prefix(*m).is_some_and(|rest| {
                    let rest = rest.trim_start();
                    rest.starts_with('=') && !rest.starts_with("==") || rest.starts_with("+=")
                })
            })
        })
        .count()
}

/// Whether a (non-test) Python file may be a settings module and must be parsed for the
/// settings model, whatever the rule prefilter says. Django's own defaults module is not a
/// project's settings.
pub fn is_candidate(rel: &str, text: &str) -> bool {
    rel.ends_with(".py")
        && !rel.ends_with("django/conf/global_settings.py")
        && (named_like_settings(rel) || content_markers(text) > 0)
}

/// `DJANGO_SETTINGS_MODULE` defaults written as literals: `os.environ.setdefault("…", "x")` or
/// `os.environ["…"] = "x"`. Read from the text, so no parse is needed.
pub fn module_hints(rel: &str, text: &str) -> Vec<ModuleHint> {
    const KEY: &str = "DJANGO_SETTINGS_MODULE";
    let mut hints = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(KEY) {
        rest = &rest[at + KEY.len()..];
        let after = rest.trim_start_matches(['"', '\'']).trim_start();
        let after = after
            .strip_prefix(',')
            .or_else(|| {
                after
                    .strip_prefix(']')
                    .map(str::trim_start)
                    .and_then(|a| a.strip_prefix('='))
                    .filter(|a| !a.starts_with('='))
            })
            .map(str::trim_start);
        if let Some(value) = after.and_then(quoted_prefix) {
            let dotted = !value.is_empty()
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
            if dotted {
                hints.push(ModuleHint {
                    rel: rel.to_string(),
                    module: value.to_string(),
                    source: HintSource::Default,
                });
            }
        }
    }
    hints
}

/// The content of a string literal at the start of `text` (`"x.y"` → `x.y`).
fn quoted_prefix(text: &str) -> Option<&str> {
    let quote = text.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &text[1..];
    body.find(quote).map(|end| &body[..end])
}

/// Extracts the module-level statements of one parsed settings candidate. The source kept is
/// the whole text: the module node starts after leading blank lines and comments, and every
/// span here is an offset into the file.
pub fn extract(rel: &str, parsed: &PyRoot) -> SettingsFile {
    let top = parsed.root();
    extract_indexed(rel, parsed, &NodeIndex::build(&top))
}

/// [`extract`] with the file's node index already built (the pipeline builds it once).
pub fn extract_indexed<'r>(rel: &str, parsed: &'r PyRoot, index: &NodeIndex<'r>) -> SettingsFile {
    let top = parsed.root();
    let root = &top;
    let symbols = FileSymbols::from_index(index);
    let converter = ir::Converter {
        symbols: &symbols,
        depth: std::cell::Cell::new(0),
    };
    let body = converter.block(root);
    let (module, is_package) = module_of(rel);
    let source = parsed.get_text().to_string();
    SettingsFile {
        rel: rel.to_string(),
        module,
        is_package,
        markers: content_markers(&source),
        named: named_like_settings(rel),
        source,
        body,
    }
}
