//! Walking the scanned roots: ignore files, default and user excludes, size limit, file kinds.
//!
//! The walk uses the `ignore` crate so `.gitignore` and `.ignore` behave as in ripgrep and ruff,
//! also outside a git repository. Hidden entries are skipped and symlinks are never followed,
//! so a symlink loop cannot hang the walk. Everything is returned sorted by relative path so
//! the same tree always gives the same output.

use crate::result::FileError;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::{DirEntry, WalkBuilder};
use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Directory names never worth scanning: VCS data, virtualenvs, caches, build output.
const DEFAULT_EXCLUDED_DIRS: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    "node_modules",
    "__pycache__",
    ".venv",
    "venv",
    "env",
    ".env",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".audit_cache",
    "build",
    "dist",
    "site-packages",
    "target",
    "staticfiles",
];

/// Directory names under which any YAML file is taken for a Kubernetes/Helm manifest.
const K8S_DIRS: &[&str] = &["k8s", "kubernetes", "helm", "deploy", "manifests"];

pub const DEFAULT_MAX_FILE_SIZE: u64 = 2 * 1024 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DiscoverOptions {
    /// User `--exclude` globs, matched against the relative path (and each segment for a glob
    /// without `/`).
    pub excludes: Vec<String>,
    /// Files larger than this are skipped with a `FileError`.
    pub max_file_size: u64,
}

impl Default for DiscoverOptions {
    fn default() -> Self {
        DiscoverOptions {
            excludes: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Python,
    PrismaSchema,
    Manifest(ManifestKind),
    Deploy(DeployKind),
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ManifestKind {
    Requirements,
    Pyproject,
    Pipfile,
    PipfileLock,
    PoetryLock,
    UvLock,
    SetupCfg,
    /// `setup.py`, read statically: its `install_requires` and extras.
    SetupPy,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeployKind {
    Procfile,
    Dockerfile,
    Compose,
    Gunicorn,
    Uwsgi,
    Kubernetes,
    Systemd,
    Supervisor,
    Shell,
    Cron,
    /// `fly.toml`.
    Fly,
    /// `render.yaml`.
    Render,
    /// Google App Engine `app.yaml`.
    AppEngine,
    /// `nginx.conf`, `*.conf` under an `nginx` directory, `sites-available/…`.
    Nginx,
    /// A Helm chart's `values*.yaml` under a `helm/`, `charts/` or `chart/` directory (by
    /// path only: a chart elsewhere is read as a Kubernetes manifest, by the same reader).
    Helm,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub abs: PathBuf,
    /// `/`-separated; see `discover` for what it is relative to.
    pub rel: String,
    pub kind: FileKind,
    pub is_test: bool,
    pub size: u64,
}

impl SourceFile {
    /// True when the file must go through the Python parser. A gunicorn config written in
    /// Python (`gunicorn.conf.py`) is a deploy file *and* Python source, as `setup.py` is a
    /// manifest and Python source (a script run at install time).
    pub fn is_python(&self) -> bool {
        match self.kind {
            FileKind::Python => true,
            FileKind::Deploy(_) | FileKind::Manifest(ManifestKind::SetupPy) => {
                self.rel.ends_with(".py")
            }
            _ => false,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Discovery {
    /// Sorted by `rel`, without duplicates.
    pub files: Vec<SourceFile>,
    /// Skipped files and walk problems, sorted by path.
    pub errors: Vec<FileError>,
}

/// Problems that stop the run before it starts (the CLI exits 2).
#[derive(Debug, PartialEq, Eq)]
pub enum DiscoverError {
    MissingRoot(PathBuf),
    InvalidExclude { glob: String, message: String },
}

impl fmt::Display for DiscoverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DiscoverError::MissingRoot(path) => {
                write!(f, "path does not exist: {}", path.display())
            }
            DiscoverError::InvalidExclude { glob, message } => {
                write!(f, "invalid --exclude glob `{glob}`: {message}")
            }
        }
    }
}

impl std::error::Error for DiscoverError {}

/// Walks every root and classifies the files found.
///
/// With one root, `rel` is relative to it (a file root keeps the path as given, so its
/// directory segments still tell tests and settings apart). With several roots, `rel` is the
/// root as given joined with the path below it.
pub fn discover(roots: &[PathBuf], opts: &DiscoverOptions) -> Result<Discovery, DiscoverError> {
    for root in roots {
        // symlink_metadata would reject a symlinked root; a root named explicitly is followed.
        if std::fs::metadata(root).is_err() {
            return Err(DiscoverError::MissingRoot(root.clone()));
        }
    }
    let excludes = Arc::new(Excludes::new(&opts.excludes)?);
    let mut files: BTreeMap<String, SourceFile> = BTreeMap::new();
    let mut errors = Vec::new();
    for root in roots {
        let prefix = rel_prefix(root, roots.len() > 1);
        walk_root(root, &prefix, &excludes, opts, &mut files, &mut errors);
    }
    errors.sort_by(|a, b| (&a.path, &a.message).cmp(&(&b.path, &b.message)));
    errors.dedup();
    Ok(Discovery {
        files: files.into_values().collect(),
        errors,
    })
}

/// What to put in front of paths below `root`: nothing for a single directory root, the root
/// as given (normalized to `/`, without `./`) otherwise.
fn rel_prefix(root: &Path, multiple: bool) -> String {
    if multiple || root.is_file() {
        normalize(root)
    } else {
        String::new()
    }
}

fn normalize(path: &Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    let mut text = text.as_str();
    while let Some(rest) = text.strip_prefix("./") {
        text = rest;
    }
    let text = text.trim_end_matches('/');
    if text == "." {
        String::new()
    } else if text.is_empty() && path.has_root() {
        "/".to_string()
    } else {
        text.to_string()
    }
}

fn join_rel(prefix: &str, below: &str) -> String {
    match (prefix.is_empty(), below.is_empty()) {
        (true, _) => below.to_string(),
        (false, true) => prefix.to_string(),
        (false, false) if prefix.ends_with('/') => format!("{prefix}{below}"),
        (false, false) => format!("{prefix}/{below}"),
    }
}

/// The path of `path` below `root`, `/`-separated ("" for the root itself).
fn below_root(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rest) => rest
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
        Err(_) => normalize(path),
    }
}

fn walk_root(
    root: &Path,
    prefix: &str,
    excludes: &Arc<Excludes>,
    opts: &DiscoverOptions,
    files: &mut BTreeMap<String, SourceFile>,
    errors: &mut Vec<FileError>,
) {
    let filter_root = root.to_path_buf();
    let filter_prefix = prefix.to_string();
    let filter_excludes = Arc::clone(excludes);
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(true)
        .ignore(true)
        .git_ignore(true)
        .git_exclude(true)
        // The user's global gitignore would make results differ between machines.
        .git_global(false)
        .require_git(false)
        .parents(true)
        .follow_links(false)
        .filter_entry(move |entry| {
            // Roots named explicitly are always scanned, like ruff does.
            if entry.depth() == 0 {
                return true;
            }
            let below = below_root(&filter_root, entry.path());
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            let default_excluded = is_dir && is_default_excluded(entry.file_name());
            !default_excluded && !filter_excludes.matches(&below, &join_rel(&filter_prefix, &below))
        });
    for result in builder.build() {
        match result {
            Ok(entry) => {
                // A partly broken ignore file: the walk goes on with the valid lines.
                if let Some(err) = entry.error() {
                    errors.push(walk_error(root, prefix, err, "ignore file partly applied"));
                }
                visit_entry(root, prefix, &entry, opts, files, errors);
            }
            Err(err) => errors.push(walk_error(root, prefix, &err, "skipped")),
        }
    }
}

fn visit_entry(
    root: &Path,
    prefix: &str,
    entry: &DirEntry,
    opts: &DiscoverOptions,
    files: &mut BTreeMap<String, SourceFile>,
    errors: &mut Vec<FileError>,
) {
    // Symlinks are not followed (a link can leave the repository or loop), and FIFOs, sockets
    // and devices are never opened (reading a FIFO blocks): a file of a kind we read says so.
    let file_type = entry.file_type();
    let is_file = if entry.depth() == 0 {
        entry.path().is_file()
    } else {
        file_type.is_some_and(|t| t.is_file())
    };
    if !is_file {
        let is_dir = file_type.is_some_and(|t| t.is_dir());
        let rel = join_rel(prefix, &below_root(root, entry.path()));
        if !is_dir && entry.depth() > 0 && classify(&rel) != FileKind::Other {
            let what = if file_type.is_some_and(|t| t.is_symlink()) {
                "skipped: a symbolic link (links are not followed)"
            } else {
                "skipped: not a regular file"
            };
            errors.push(FileError {
                path: rel,
                message: what.to_string(),
            });
        }
        return;
    }
    let rel = join_rel(prefix, &below_root(root, entry.path()));
    let size = match entry.metadata() {
        Ok(meta) => meta.len(),
        Err(err) => {
            errors.push(FileError {
                path: rel,
                message: format!("skipped: {err}"),
            });
            return;
        }
    };
    let kind = classify(&rel);
    if size > opts.max_file_size {
        // Unknown files over the limit (images, archives) are never read: dropping them
        // quietly keeps `errors` about what the audit actually missed.
        if kind != FileKind::Other {
            errors.push(FileError {
                path: rel,
                message: too_large(size, opts.max_file_size),
            });
        }
        return;
    }
    let is_test = is_test_path(&rel);
    files.entry(rel.clone()).or_insert_with(|| SourceFile {
        abs: entry.path().to_path_buf(),
        rel,
        kind,
        is_test,
        size,
    });
}

fn is_default_excluded(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    DEFAULT_EXCLUDED_DIRS.contains(&name.as_ref()) || name.ends_with(".egg-info")
}

/// Turns a walk error into a `FileError` located at the path it concerns.
fn walk_error(root: &Path, prefix: &str, err: &ignore::Error, what: &str) -> FileError {
    let path = error_path(err)
        .map(|p| join_rel(prefix, &below_root(root, p)))
        .unwrap_or_else(|| join_rel(prefix, ""));
    FileError {
        path,
        message: format!("{what}: {}", error_message(err)),
    }
}

fn error_path(err: &ignore::Error) -> Option<&Path> {
    match err {
        ignore::Error::WithPath { path, .. } => Some(path),
        ignore::Error::Loop { child, .. } => Some(child),
        ignore::Error::WithLineNumber { err, .. } | ignore::Error::WithDepth { err, .. } => {
            error_path(err)
        }
        ignore::Error::Partial(errs) => errs.iter().find_map(error_path),
        _ => None,
    }
}

/// The error text without the path (the path is the FileError's own field).
fn error_message(err: &ignore::Error) -> String {
    match err {
        ignore::Error::WithPath { err, .. } | ignore::Error::WithDepth { err, .. } => {
            error_message(err)
        }
        ignore::Error::Partial(errs) => errs
            .iter()
            .map(error_message)
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// "3.1 MiB", "2 MiB", "512 KiB", "100 B": one decimal at most, none when whole.
/// The note for a file skipped because it is over the size limit.
pub fn too_large(size: u64, limit: u64) -> String {
    format!(
        "skipped: {} exceeds the {} limit",
        human_size(size),
        human_size(limit)
    )
}

fn human_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, scale) in UNITS {
        if bytes >= scale {
            let tenths = (bytes * 10 + scale / 2) / scale;
            return if tenths.is_multiple_of(10) {
                format!("{} {unit}", tenths / 10)
            } else {
                format!("{}.{} {unit}", tenths / 10, tenths % 10)
            };
        }
    }
    format!("{bytes} B")
}

/// User excludes. A glob with no `/` is also tried against each path segment, so
/// `--exclude migrations` skips every `migrations` directory like ruff's `exclude`.
#[derive(Debug)]
struct Excludes {
    full: GlobSet,
    segment: GlobSet,
}

impl Excludes {
    fn new(globs: &[String]) -> Result<Self, DiscoverError> {
        let mut full = GlobSetBuilder::new();
        let mut segment = GlobSetBuilder::new();
        for raw in globs {
            let text = raw.trim().trim_start_matches("./").trim_end_matches('/');
            if text.is_empty() {
                continue;
            }
            let glob = GlobBuilder::new(text)
                .literal_separator(true)
                .build()
                .map_err(|e| DiscoverError::InvalidExclude {
                    glob: raw.clone(),
                    message: e.kind().to_string(),
                })?;
            if !text.contains('/') {
                segment.add(glob.clone());
            }
            full.add(glob);
        }
        let build = |b: GlobSetBuilder| {
            b.build().map_err(|e| DiscoverError::InvalidExclude {
                glob: globs.join(", "),
                message: e.to_string(),
            })
        };
        Ok(Excludes {
            full: build(full)?,
            segment: build(segment)?,
        })
    }

    /// `below` is the path under its root, `rel` the path as reported; either may match.
    fn matches(&self, below: &str, rel: &str) -> bool {
        if self.full.is_empty() {
            return false;
        }
        self.full.is_match(below)
            || self.full.is_match(rel)
            || below.split('/').any(|seg| self.segment.is_match(seg))
    }
}

/// Decides a file's kind from its relative path alone (never its content).
pub fn classify(rel: &str) -> FileKind {
    let mut segments: Vec<&str> = rel.split('/').filter(|s| !s.is_empty()).collect();
    let name = segments.pop().unwrap_or("");
    let lower = name.to_ascii_lowercase();
    let parent = segments.last().map(|s| s.to_ascii_lowercase());
    if let Some(kind) = manifest_kind(name, &lower, parent.as_deref()) {
        return FileKind::Manifest(kind);
    }
    if lower.ends_with(".py") || lower.ends_with(".pyi") {
        // Python source is only a deploy file when it is a gunicorn config.
        return if lower.starts_with("gunicorn") && lower.ends_with(".py") {
            FileKind::Deploy(DeployKind::Gunicorn)
        } else {
            FileKind::Python
        };
    }
    if let Some(kind) = deploy_kind(&lower, parent.as_deref(), &segments) {
        return FileKind::Deploy(kind);
    }
    if lower.ends_with(".prisma") {
        return FileKind::PrismaSchema;
    }
    FileKind::Other
}

fn manifest_kind(name: &str, lower: &str, parent: Option<&str>) -> Option<ManifestKind> {
    let kind = match name {
        "pyproject.toml" => ManifestKind::Pyproject,
        "Pipfile" => ManifestKind::Pipfile,
        "Pipfile.lock" => ManifestKind::PipfileLock,
        "poetry.lock" => ManifestKind::PoetryLock,
        "uv.lock" => ManifestKind::UvLock,
        "setup.cfg" => ManifestKind::SetupCfg,
        "setup.py" => ManifestKind::SetupPy,
        _ if lower.ends_with(".txt")
            && (lower.starts_with("requirements") || parent == Some("requirements")) =>
        {
            ManifestKind::Requirements
        }
        _ => return None,
    };
    Some(kind)
}

/// Directories a Helm chart lives under; its values files are read as Helm values.
const HELM_DIRS: &[&str] = &["helm", "charts", "chart"];

/// Some directory of the path is named one of `names` (case-insensitive).
fn in_dir(dirs: &[&str], names: &[&str]) -> bool {
    dirs.iter()
        .any(|d| names.iter().any(|n| d.eq_ignore_ascii_case(n)))
}

fn deploy_kind(lower: &str, parent: Option<&str>, dirs: &[&str]) -> Option<DeployKind> {
    let is_yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    let kind = if lower.starts_with("procfile") {
        DeployKind::Procfile
    } else if lower.starts_with("dockerfile") || lower.ends_with(".dockerfile") {
        DeployKind::Dockerfile
    } else if is_yaml && (lower.starts_with("docker-compose") || lower.starts_with("compose")) {
        DeployKind::Compose
    } else if lower.starts_with("gunicorn") && lower.ends_with(".conf") {
        DeployKind::Gunicorn
    } else if lower.starts_with("uwsgi") && (lower.ends_with(".ini") || is_yaml) {
        DeployKind::Uwsgi
    } else if lower == "fly.toml" {
        DeployKind::Fly
    } else if lower == "render.yaml" || lower == "render.yml" {
        DeployKind::Render
    } else if lower == "app.yaml" || lower == "app.yml" {
        DeployKind::AppEngine
    } else if (lower.starts_with("nginx") && lower.ends_with(".conf"))
        || (lower.ends_with(".conf") && in_dir(dirs, &["nginx"]))
        || (in_dir(dirs, &["sites-available", "sites-enabled"]) && !lower.contains('.'))
    {
        DeployKind::Nginx
    } else if is_yaml && lower.starts_with("values") && in_dir(dirs, HELM_DIRS) {
        DeployKind::Helm
    } else if is_yaml
        && (lower.contains("deployment")
            || dirs
                .iter()
                .any(|d| K8S_DIRS.contains(&d.to_ascii_lowercase().as_str())))
    {
        DeployKind::Kubernetes
    } else if lower.ends_with(".service") {
        DeployKind::Systemd
    } else if lower.ends_with(".conf")
        && (lower.starts_with("supervisord") || parent == Some("supervisor"))
    {
        DeployKind::Supervisor
    } else if lower.ends_with(".sh")
        || (lower == "run" && in_dir(dirs, &["s6-rc.d", "services.d", "service"]))
    {
        // s6 and runit service scripts are named `run`, one directory per service.
        DeployKind::Shell
    } else if lower == "crontab"
        || lower.ends_with(".cron")
        || lower.ends_with(".crontab")
        || parent == Some("cron.d")
    {
        DeployKind::Cron
    } else {
        return None;
    };
    Some(kind)
}

/// Test code: under a `tests`/`test` directory, or named like a pytest/unittest module.
pub fn is_test_path(rel: &str) -> bool {
    let mut segments: Vec<&str> = rel.split('/').collect();
    let name = segments.pop().unwrap_or("");
    // `testutils/`, `test_utils/`: helpers only the test suite imports (settings, fixtures,
    // middleware that fakes a flag), named for it.
    if segments
        .iter()
        .any(|s| matches!(*s, "tests" | "test" | "testutils" | "test_utils"))
    {
        return true;
    }
    (name.starts_with("test_") && name.ends_with(".py"))
        || name.ends_with("_test.py")
        || name == "tests.py"
        || name == "conftest.py"
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(root: &Path, rel: &str, text: &str) {
        let path = root.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).expect("mkdir");
        }
        fs::write(path, text).expect("write");
    }

    fn rels(d: &Discovery) -> Vec<&str> {
        d.files.iter().map(|f| f.rel.as_str()).collect()
    }

    fn run(root: &Path, opts: &DiscoverOptions) -> Discovery {
        discover(&[root.to_path_buf()], opts).expect("discover")
    }

    #[test]
    fn gitignore_is_respected_outside_a_git_repo() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), ".gitignore", "secret/\n*.log\n");
        write(dir.path(), ".ignore", "generated.py\n");
        write(dir.path(), "app/views.py", "");
        write(dir.path(), "secret/keys.py", "");
        write(dir.path(), "debug.log", "");
        write(dir.path(), "generated.py", "");
        write(dir.path(), ".hidden/x.py", "");
        let d = run(dir.path(), &DiscoverOptions::default());
        assert_eq!(rels(&d), vec!["app/views.py"]);
        assert!(d.errors.is_empty());
    }

    #[test]
    fn default_excludes_prune_directories() {
        let dir = tempfile::tempdir().expect("tempdir");
        for rel in [
            "node_modules/x.py",
            "venv/lib/x.py",
            "env/x.py",
            "build/x.py",
            "dist/x.py",
            "target/x.py",
            "pkg.egg-info/x.py",
            "lib/site-packages/x.py",
            "app/__pycache__/x.py",
            "static/staticfiles/x.py",
            "app/models.py",
        ] {
            write(dir.path(), rel, "");
        }
        // A *file* named like an excluded directory is kept.
        write(dir.path(), "app/env", "");
        let d = run(dir.path(), &DiscoverOptions::default());
        assert_eq!(rels(&d), vec!["app/env", "app/models.py"]);
    }

    #[test]
    fn user_excludes_match_paths_and_segments() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "app/migrations/0001_initial.py", "");
        write(dir.path(), "other/migrations/0002.py", "");
        write(dir.path(), "legacy/old/a.py", "");
        write(dir.path(), "legacy/keep.py", "");
        write(dir.path(), "app/gen_pb2.py", "");
        write(dir.path(), "app/views.py", "");
        let opts = DiscoverOptions {
            excludes: vec!["migrations".into(), "legacy/old".into(), "*_pb2.py".into()],
            ..DiscoverOptions::default()
        };
        let d = run(dir.path(), &opts);
        assert_eq!(rels(&d), vec!["app/views.py", "legacy/keep.py"]);
    }

    #[test]
    fn invalid_exclude_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let opts = DiscoverOptions {
            excludes: vec!["a[".into()],
            ..DiscoverOptions::default()
        };
        let err = discover(&[dir.path().to_path_buf()], &opts).expect_err("bad glob");
        assert!(matches!(err, DiscoverError::InvalidExclude { ref glob, .. } if glob == "a["));
    }

    #[test]
    fn missing_root_is_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("nope");
        let err = discover(std::slice::from_ref(&missing), &DiscoverOptions::default())
            .expect_err("missing");
        assert_eq!(err, DiscoverError::MissingRoot(missing));
    }

    #[test]
    fn kinds_are_classified() {
        let cases = [
            ("app/views.py", FileKind::Python),
            ("stubs/x.pyi", FileKind::Python),
            ("prisma/schema.prisma", FileKind::PrismaSchema),
            ("db/models.prisma", FileKind::PrismaSchema),
            (
                "requirements.txt",
                FileKind::Manifest(ManifestKind::Requirements),
            ),
            (
                "requirements-dev.txt",
                FileKind::Manifest(ManifestKind::Requirements),
            ),
            (
                "requirements/prod.txt",
                FileKind::Manifest(ManifestKind::Requirements),
            ),
            (
                "pyproject.toml",
                FileKind::Manifest(ManifestKind::Pyproject),
            ),
            ("Pipfile", FileKind::Manifest(ManifestKind::Pipfile)),
            (
                "Pipfile.lock",
                FileKind::Manifest(ManifestKind::PipfileLock),
            ),
            ("poetry.lock", FileKind::Manifest(ManifestKind::PoetryLock)),
            ("uv.lock", FileKind::Manifest(ManifestKind::UvLock)),
            ("setup.cfg", FileKind::Manifest(ManifestKind::SetupCfg)),
            ("setup.py", FileKind::Manifest(ManifestKind::SetupPy)),
            (
                "packages/client/setup.py",
                FileKind::Manifest(ManifestKind::SetupPy),
            ),
            ("Procfile", FileKind::Deploy(DeployKind::Procfile)),
            ("Procfile.dev", FileKind::Deploy(DeployKind::Procfile)),
            ("Dockerfile", FileKind::Deploy(DeployKind::Dockerfile)),
            (
                "docker/Dockerfile.prod",
                FileKind::Deploy(DeployKind::Dockerfile),
            ),
            ("web.dockerfile", FileKind::Deploy(DeployKind::Dockerfile)),
            ("docker-compose.yml", FileKind::Deploy(DeployKind::Compose)),
            (
                "docker-compose.prod.yaml",
                FileKind::Deploy(DeployKind::Compose),
            ),
            ("compose.yaml", FileKind::Deploy(DeployKind::Compose)),
            ("gunicorn.conf.py", FileKind::Deploy(DeployKind::Gunicorn)),
            (
                "config/gunicorn.conf",
                FileKind::Deploy(DeployKind::Gunicorn),
            ),
            ("uwsgi.ini", FileKind::Deploy(DeployKind::Uwsgi)),
            ("k8s/web.yaml", FileKind::Deploy(DeployKind::Kubernetes)),
            ("deploy/helm/values.yml", FileKind::Deploy(DeployKind::Helm)),
            (
                "charts/app/values.prod.yaml",
                FileKind::Deploy(DeployKind::Helm),
            ),
            (
                "deploy/helm/templates/deployment.yaml",
                FileKind::Deploy(DeployKind::Kubernetes),
            ),
            ("values.yaml", FileKind::Other),
            ("fly.toml", FileKind::Deploy(DeployKind::Fly)),
            ("render.yaml", FileKind::Deploy(DeployKind::Render)),
            ("app.yaml", FileKind::Deploy(DeployKind::AppEngine)),
            ("docker/nginx.conf", FileKind::Deploy(DeployKind::Nginx)),
            ("nginx/site.conf", FileKind::Deploy(DeployKind::Nginx)),
            (
                "etc/nginx/sites-available/app",
                FileKind::Deploy(DeployKind::Nginx),
            ),
            ("uwsgi.yaml", FileKind::Deploy(DeployKind::Uwsgi)),
            ("conf/app.conf", FileKind::Other),
            (
                "ops/api-deployment.yaml",
                FileKind::Deploy(DeployKind::Kubernetes),
            ),
            ("ops/app.service", FileKind::Deploy(DeployKind::Systemd)),
            ("supervisord.conf", FileKind::Deploy(DeployKind::Supervisor)),
            (
                "etc/supervisor/celery.conf",
                FileKind::Deploy(DeployKind::Supervisor),
            ),
            ("scripts/start.sh", FileKind::Deploy(DeployKind::Shell)),
            (
                "docker/rootfs/etc/s6-overlay/s6-rc.d/svc-webserver/run",
                FileKind::Deploy(DeployKind::Shell),
            ),
            ("scripts/run", FileKind::Other),
            ("crontab", FileKind::Deploy(DeployKind::Cron)),
            ("ops/backup.cron", FileKind::Deploy(DeployKind::Cron)),
            (".github/workflows/ci.yml", FileKind::Other),
            ("README.md", FileKind::Other),
            ("app/procfile_tools.py", FileKind::Python),
            ("deploy/deploy_utils.py", FileKind::Python),
            ("gunicorn_config.py", FileKind::Deploy(DeployKind::Gunicorn)),
            ("notes.txt", FileKind::Other),
            ("nginx.conf", FileKind::Deploy(DeployKind::Nginx)),
        ];
        for (rel, kind) in cases {
            assert_eq!(classify(rel), kind, "{rel}");
        }
    }

    #[test]
    fn gunicorn_python_config_is_also_python() {
        let file = |rel: &str| SourceFile {
            abs: PathBuf::from(rel),
            rel: rel.to_string(),
            kind: classify(rel),
            is_test: false,
            size: 0,
        };
        assert!(file("gunicorn.conf.py").is_python());
        assert!(!file("gunicorn.conf").is_python());
        assert!(file("app/views.py").is_python());
        assert!(!file("Dockerfile").is_python());
    }

    #[test]
    fn test_files_are_recognised() {
        let cases = [
            ("app/tests/test_views.py", true),
            ("tests/helpers.py", true),
            ("test/data.json", true),
            ("app/test_views.py", true),
            ("app/views_test.py", true),
            ("app/tests.py", true),
            ("conftest.py", true),
            ("app/views.py", false),
            ("app/testing.py", false),
            ("app/contest.py", false),
            ("latest/views.py", false),
        ];
        for (rel, expected) in cases {
            assert_eq!(is_test_path(rel), expected, "{rel}");
        }
    }

    #[test]
    fn oversized_files_are_reported_and_skipped() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "big.py", &"x = 1\n".repeat(600)); // 3600 bytes
        write(dir.path(), "big.png", &"x".repeat(5000));
        write(dir.path(), "small.py", "x = 1\n");
        let opts = DiscoverOptions {
            max_file_size: 2048,
            ..DiscoverOptions::default()
        };
        let d = run(dir.path(), &opts);
        assert_eq!(rels(&d), vec!["small.py"]);
        assert_eq!(
            d.errors,
            vec![FileError {
                path: "big.py".into(),
                message: "skipped: 3.5 KiB exceeds the 2 KiB limit".into(),
            }]
        );
        assert_eq!(d.files[0].size, 6);
    }

    #[test]
    fn broken_ignore_file_is_reported_and_its_valid_lines_apply() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), ".gitignore", "ok.log\na{b\n");
        write(dir.path(), "ok.log", "");
        write(dir.path(), "a.py", "");
        let d = run(dir.path(), &DiscoverOptions::default());
        assert_eq!(rels(&d), vec!["a.py"]);
        assert_eq!(
            d.errors,
            vec![FileError {
                path: ".gitignore".into(),
                message: "ignore file partly applied: line 2: error parsing glob 'a{b': \
                          unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)"
                    .into(),
            }]
        );
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(100), "100 B");
        assert_eq!(human_size(2 * 1024 * 1024), "2 MiB");
        assert_eq!(human_size(3_250_586), "3.1 MiB");
    }

    #[test]
    fn symlink_loop_terminates() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "app/views.py", "");
        std::os::unix::fs::symlink(dir.path().join("app"), dir.path().join("app/loop"))
            .expect("symlink");
        std::os::unix::fs::symlink(dir.path(), dir.path().join("up")).expect("symlink");
        std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join("dangling.py"))
            .expect("symlink");
        let d = run(dir.path(), &DiscoverOptions::default());
        assert_eq!(rels(&d), vec!["app/views.py"]);
    }

    #[test]
    fn output_is_sorted_and_multi_root_paths_keep_the_root() {
        let dir = tempfile::tempdir().expect("tempdir");
        for rel in ["b/z.py", "b/a.py", "a/m.py", "a/tests/t.py", "a/B.py"] {
            write(dir.path(), rel, "");
        }
        let d = run(dir.path(), &DiscoverOptions::default());
        assert_eq!(
            rels(&d),
            vec!["a/B.py", "a/m.py", "a/tests/t.py", "b/a.py", "b/z.py"]
        );
        assert_eq!(
            d.files.iter().map(|f| f.is_test).collect::<Vec<_>>(),
            vec![false, false, true, false, false]
        );

        let roots = [dir.path().join("b"), dir.path().join("a")];
        let d = discover(&roots, &DiscoverOptions::default()).expect("discover");
        let base = normalize(dir.path());
        let expected: Vec<String> = ["a/B.py", "a/m.py", "a/tests/t.py", "b/a.py", "b/z.py"]
            .iter()
            .map(|r| format!("{base}/{r}"))
            .collect();
        assert_eq!(rels(&d), expected);
    }

    #[test]
    fn file_root_keeps_its_path() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "app/tests/test_x.py", "");
        let root = dir.path().join("app/tests/test_x.py");
        let d = run(&root, &DiscoverOptions::default());
        assert_eq!(d.files.len(), 1);
        assert_eq!(d.files[0].rel, normalize(&root));
        assert!(d.files[0].is_test);
        assert_eq!(d.files[0].kind, FileKind::Python);
    }

    #[test]
    fn rel_prefix_normalization() {
        assert_eq!(normalize(Path::new("./app/")), "app");
        assert_eq!(normalize(Path::new(".")), "");
        assert_eq!(join_rel("", "a.py"), "a.py");
        assert_eq!(join_rel("src", "a.py"), "src/a.py");
        assert_eq!(join_rel("/", "a.py"), "/a.py");
    }
}
