//! The seeds: the fixture projects read once at start-up, plus small manifests and configs of
//! the kinds the fixtures lack (Pipfile, poetry.lock, uv.lock, setup.cfg, audit.toml).

use audit::discover::{classify, FileKind};
use std::path::{Path, PathBuf};

/// One fixture project: its files as `(relative path, bytes)`, sorted by path.
pub struct Project {
    pub name: String,
    pub files: Vec<(String, Vec<u8>)>,
}

pub struct Corpus {
    pub projects: Vec<Project>,
    /// Every file of every project, for splicing lines across files.
    pub all: Vec<(String, Vec<u8>)>,
    /// The embedded rules' TOML files, `(path, text)`, for mutated user rules.
    pub rules: Vec<(String, String)>,
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Manifests and configs written here because no fixture has one of their kind.
pub const EXTRA_FILES: &[(&str, &str)] = &[
    (
        "Pipfile",
        "[[source]]\nurl = \"https://pypi.org/simple\"\nverify_ssl = true\nname = \"pypi\"\n\n[packages]\ndjango = \"==4.2.1\"\nrequests = \"*\"\ncelery = {version = \">=5\", extras = [\"redis\"]}\n\n[dev-packages]\npytest = \"*\"\n",
    ),
    (
        "Pipfile.lock",
        "{\n  \"_meta\": {\"hash\": {\"sha256\": \"x\"}},\n  \"default\": {\n    \"django\": {\"version\": \"==4.2.1\"},\n    \"requests\": {\"version\": \"==2.31.0\"}\n  },\n  \"develop\": {}\n}\n",
    ),
    (
        "poetry.lock",
        "[[package]]\nname = \"django\"\nversion = \"4.2.1\"\ndescription = \"\"\noptional = false\n\n[[package]]\nname = \"sentry-sdk\"\nversion = \"1.40.0\"\n\n[metadata]\nlock-version = \"2.0\"\n",
    ),
    (
        "uv.lock",
        "version = 1\n\n[[package]]\nname = \"django\"\nversion = \"5.0.1\"\nsource = { registry = \"https://pypi.org/simple\" }\n\n[[package]]\nname = \"gunicorn\"\nversion = \"21.2.0\"\n",
    ),
    (
        "setup.cfg",
        "[metadata]\nname = shop\n\n[options]\ninstall_requires =\n    django>=4.2\n    requests[socks]==2.31\n    psycopg2-binary\n",
    ),
    (
        "pyproject.toml",
        "[project]\nname = \"shop\"\ndependencies = [\"django>=4.2\", \"requests\"]\n\n[tool.poetry.dependencies]\npython = \"^3.11\"\nredis = \"^5\"\n\n[tool.audit]\nfail_on = \"high\"\nexclude = [\"legacy/**\"]\nsettings = \"shop.settings\"\n",
    ),
    (
        "audit.toml",
        "fail_on = \"medium\"\nmin_score = 5.0\nignore = [\"REL\"]\nexclude = [\"vendor/**\"]\nstrict = true\n",
    ),
    (
        "requirements/base.txt",
        "-r common.txt\nDjango==4.2.1 ; python_version >= \"3.8\"\nrequests[security]>=2.0  # http\n-e git+https://example.com/x.git#egg=thing\n--index-url https://example.com\n",
    ),
];

impl Corpus {
    pub fn load() -> Corpus {
        let root = repo_root().join("fixtures");
        let mut roots = vec![root.join("seed-app"), root.join("clean-app")];
        if let Ok(entries) = std::fs::read_dir(root.join("rules/settings")) {
            let mut dirs: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
            dirs.sort();
            roots.extend(dirs);
        }
        let mut projects: Vec<Project> = roots
            .iter()
            .map(|dir| Project {
                name: dir.strip_prefix(&root).unwrap_or(dir).display().to_string(),
                files: read_project(dir),
            })
            .filter(|p| !p.files.is_empty())
            .collect();
        projects.push(Project {
            name: "extra-manifests".to_string(),
            files: EXTRA_FILES
                .iter()
                .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
                .collect(),
        });
        let all = projects
            .iter()
            .flat_map(|p| p.files.iter().cloned())
            .collect();
        let rules = read_project(&repo_root().join("rules"))
            .into_iter()
            .filter(|(p, _)| p.ends_with(".toml"))
            .map(|(p, t)| (p, String::from_utf8_lossy(&t).into_owned()))
            .collect();
        Corpus {
            projects,
            all,
            rules,
        }
    }
}

/// The files the pipeline reads: Python sources, manifests and config files.
fn read_project(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let Ok(rel) = path.strip_prefix(dir) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            let wanted = matches!(classify(&rel), FileKind::Python | FileKind::Manifest(_))
                || rel.ends_with(".toml");
            if wanted {
                if let Ok(bytes) = std::fs::read(&path) {
                    files.push((rel, bytes));
                }
            }
        }
    }
    files.sort();
    files
}
