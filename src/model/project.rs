//! The cross-file model (DESIGN §4.3, §4.6): the files' facts indexed by what project rules ask,
//! beside the production settings and the dependencies. Built once after the per-file stage;
//! rules only read it.

use crate::model::facts::{ClassDef, FileFacts, FunctionDef, Mention};
use crate::model::roles::Role;
use crate::model::routes::{self, FileRoutes, Resolved};
use crate::model::settings::Kind;
use crate::model::settings::Profile;
use crate::parse::deploy::{DeployFacts, Process, ProcessKind, ServerSetting};
use std::collections::{BTreeSet, HashMap, HashSet};

pub struct Project<'a> {
    /// Every non-test Python file's facts, in path order.
    pub files: &'a [FileFacts],
    /// The production settings, when a settings module was found.
    pub profile: Option<&'a Profile>,
    /// Declared dependencies (PEP 503 names).
    pub dependencies: &'a BTreeSet<String>,
    /// Top-level modules imported by non-test files.
    pub imports: &'a BTreeSet<String>,
    /// Settings modules found that production does not use (a development profile).
    other_settings: BTreeSet<&'a str>,
    mentions: HashMap<&'a str, Vec<(usize, &'a Mention)>>,
    /// Each module name production files import, with every dotted prefix of it (importing
    /// `a.b.c` loads `a` and `a.b`), to the importing files' modules.
    imported: HashMap<&'a str, Vec<&'a str>>,
    /// Files by every dotted tail of their module (`a.b.c`, `b.c`, `c`).
    by_module: HashMap<&'a str, Vec<usize>>,
    /// Deploy files (relative path) and what they say, in path order.
    pub deploy: &'a [(String, DeployFacts)],
    /// Shell scripts no other deploy file names (a developer's helper in `scripts/`): they
    /// say nothing about how production runs.
    unreferenced: HashSet<&'a str>,
    /// Every file path discovered, whatever its kind, in path order.
    pub paths: &'a [String],
    /// Words found in documents and scripts: (path, word, 1-based line), in path order.
    pub documents: &'a [(String, String, usize)],
    /// The URL routes from `ROOT_URLCONF`, resolved on first use.
    routes: std::cell::OnceCell<Option<Resolved>>,
}

/// A definition with the file that holds it.
#[derive(Clone, Copy)]
pub enum Defined<'a> {
    Class(&'a ClassDef),
    Function(&'a FunctionDef),
}

impl Defined<'_> {
    pub fn name(&self) -> &str {
        match self {
            Defined::Class(c) => &c.name,
            Defined::Function(f) => &f.name,
        }
    }
    pub fn line(&self) -> usize {
        match self {
            Defined::Class(c) => c.line,
            Defined::Function(f) => f.line,
        }
    }
}

impl<'a> Project<'a> {
    /// `settings_files`: every settings module candidate read (production's or not).
    pub fn build(
        files: &'a [FileFacts],
        profile: Option<&'a Profile>,
        settings_files: &'a [String],
        dependencies: &'a BTreeSet<String>,
        imports: &'a BTreeSet<String>,
    ) -> Self {
        let production: BTreeSet<&str> = profile
            .map(|p| p.files.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let other_settings = settings_files
            .iter()
            .map(String::as_str)
            .filter(|rel| !production.contains(rel))
            .collect();
        let mut mentions: HashMap<&str, Vec<(usize, &Mention)>> = HashMap::new();
        for (i, file) in files.iter().enumerate() {
            for m in &file.mentions {
                mentions.entry(m.name.as_str()).or_default().push((i, m));
            }
        }
        let mut by_module: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, file) in files.iter().enumerate() {
            let mut rest = file.module.as_str();
            loop {
                by_module.entry(rest).or_default().push(i);
                match rest.split_once('.') {
                    Some((_, tail)) => rest = tail,
                    None => break,
                }
            }
        }
        let mut project = Project {
            files,
            profile,
            dependencies,
            imports,
            other_settings,
            mentions,
            imported: HashMap::new(),
            by_module,
            deploy: &[],
            unreferenced: HashSet::new(),
            paths: &[],
            documents: &[],
            routes: std::cell::OnceCell::new(),
        };
        let mut imported: HashMap<&str, Vec<&str>> = HashMap::new();
        for file in files.iter().filter(|f| project.runs_in_production(f)) {
            for m in &file.imports {
                let mut end = m.len();
                loop {
                    imported
                        .entry(&m[..end])
                        .or_default()
                        .push(file.module.as_str());
                    match m[..end].rfind('.') {
                        Some(dot) => end = dot,
                        None => break,
                    }
                }
            }
        }
        project.imported = imported;
        project
    }

    /// Every route production serves, followed from the production `ROOT_URLCONF`; `None`
    /// when that urlconf is not among the files read (no settings, a computed value).
    pub fn routes(&self) -> Option<&Resolved> {
        self.routes
            .get_or_init(|| {
                let lookup = self.profile?.lookup("ROOT_URLCONF");
                let Kind::Str(root) = &lookup.value?.kind else {
                    return None;
                };
                let files: Vec<FileRoutes> =
                    self.files.iter().filter_map(|f| f.routes.clone()).collect();
                let resolved = routes::resolve(&files, root);
                resolved.root_found.then_some(resolved)
            })
            .as_ref()
    }

    /// The module-level function or class `qualified` names (`app.views.health`), matched by
    /// dotted suffix as settings and imports spell modules from any source root.
    pub fn definition(&self, qualified: &str) -> Option<(&'a FileFacts, Defined<'a>)> {
        let (module, name) = qualified.rsplit_once('.')?;
        // Files whose module is the name or ends with it (`apps.x.views` for `x.views`), then
        // files whose dotted module the name ends with (`plane.app.views` for `app/views.py`).
        let mut candidates: Vec<usize> = self.by_module.get(module).cloned().unwrap_or_default();
        let mut rest = module;
        while let Some((_, tail)) = rest.split_once('.') {
            if tail.contains('.') {
                candidates.extend(
                    self.by_module
                        .get(tail)
                        .into_iter()
                        .flatten()
                        .filter(|&&i| self.files[i].module == tail),
                );
            }
            rest = tail;
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|i| &self.files[i])
            .find_map(|f| {
                if let Some(c) = f.classes.iter().find(|c| c.name == name) {
                    return Some((f, Defined::Class(c)));
                }
                f.functions
                    .iter()
                    .find(|d| d.name == name)
                    .map(|d| (f, Defined::Function(d)))
            })
    }

    pub fn with_deploy(mut self, deploy: &'a [(String, DeployFacts)]) -> Self {
        self.deploy = deploy;
        self.unreferenced = unreferenced_scripts(deploy);
        self
    }

    pub fn with_paths(mut self, paths: &'a [String]) -> Self {
        self.paths = paths;
        self
    }

    pub fn with_documents(mut self, documents: &'a [(String, String, usize)]) -> Self {
        self.documents = documents;
        self
    }

    /// Deploy files of production: not a development, test or CI variant by their path.
    fn production_deploy(&self) -> impl Iterator<Item = &'a (String, DeployFacts)> + '_ {
        self.deploy.iter().filter(|(rel, _)| {
            !is_development_deploy(rel) && !self.unreferenced.contains(rel.as_str())
        })
    }

    /// Processes production deploy files start, with their file.
    pub fn processes(&self) -> impl Iterator<Item = (&'a str, &'a Process)> + '_ {
        self.production_deploy()
            .flat_map(|(rel, f)| f.processes.iter().map(move |p| (rel.as_str(), p)))
    }

    /// Whether a production file that arranges processes (a Procfile, compose, Kubernetes,
    /// Helm, systemd, supervisor, fly.toml, render.yaml, app.yaml) starts one. A Dockerfile's
    /// `CMD` or a start script alone shows one container, not which containers run: an image
    /// shipped for others to deploy says nothing about the workers beside it.
    pub fn has_processes(&self) -> bool {
        use crate::discover::{classify, DeployKind, FileKind};
        self.production_deploy().any(|(rel, f)| {
            !f.processes.is_empty()
                && !matches!(
                    classify(rel),
                    FileKind::Deploy(DeployKind::Dockerfile | DeployKind::Shell | DeployKind::Cron)
                        | FileKind::Python
                )
        })
    }

    /// A process of `kind` production starts, if any.
    pub fn process_of(&self, kind: ProcessKind) -> Option<(&'a str, &'a Process)> {
        self.processes().find(|(_, p)| p.runs(kind))
    }

    /// HTTP probes production deploy files point at the application.
    pub fn probes(&self) -> impl Iterator<Item = (&'a str, &'a crate::parse::deploy::Probe)> + '_ {
        self.production_deploy()
            .flat_map(|(rel, f)| f.probes.iter().map(move |p| (rel.as_str(), p)))
    }

    /// Server settings (gunicorn, uwsgi, nginx) of production deploy files.
    pub fn server_settings(&self) -> impl Iterator<Item = (&'a str, &'a ServerSetting)> + '_ {
        self.production_deploy()
            .flat_map(|(rel, f)| f.settings.iter().map(move |s| (rel.as_str(), s)))
    }

    /// Files whose code runs in production: application and worker modules and the
    /// production settings, never tests, migrations, scripts or a development profile.
    pub fn runs_in_production(&self, file: &FileFacts) -> bool {
        !file.is_test
            && matches!(file.role, Role::App | Role::Worker)
            && !self.other_settings.contains(file.rel.as_str())
    }

    /// Where production code names `name`, except in `own` (the defining file) and except
    /// re-exports (an import of it in a package's `__init__.py`).
    pub fn is_used(&self, name: &str, own: &str) -> bool {
        self.mentions.get(name).is_some_and(|found| {
            found.iter().any(|(i, m)| {
                let f = &self.files[*i];
                f.rel != own
                    && !m.definition
                    && self.runs_in_production(f)
                    && !(m.import && f.rel.ends_with("__init__.py"))
            })
        })
    }

    /// A settings module production does not use that names `name` (a development profile).
    pub fn other_settings_naming(&self, name: &str) -> Option<String> {
        let found = self.mentions.get(name)?;
        found
            .iter()
            .map(|(i, _)| &self.files[*i].rel)
            .find(|rel| self.other_settings.contains(rel.as_str()))
            .cloned()
    }

    /// Whether `own` names `name` other than at its definition line (its mentions are sorted
    /// by name: a binary search finds them).
    pub fn used_in_own_module(name: &str, own: &FileFacts, defined_at: usize) -> bool {
        let from = own.mentions.partition_point(|m| m.name.as_str() < name);
        own.mentions[from..]
            .iter()
            .take_while(|m| m.name == name)
            .any(|m| m.line != defined_at)
    }

    /// Identifiers production code uses (an import alone is no use, nor a word inside a
    /// string or the name a definition gives) for which `test` holds, with one place each.
    pub fn mentioned(
        &self,
        test: impl Fn(&str) -> bool,
        in_file: impl Fn(&FileFacts) -> bool,
    ) -> Vec<(&'a str, &'a FileFacts, usize)> {
        self.first_places(test, in_file, |m| {
            !m.import && !m.text && !m.definition && m.debug_only.is_none()
        })
    }

    /// Every production call of a name `test` accepts (`Prisma()`), outside `if DEBUG:`
    /// blocks, by file and line.
    pub fn calls(&self, test: impl Fn(&str) -> bool) -> Vec<(&'a str, &'a FileFacts, &'a Mention)> {
        self.places(test, |m| m.call && !m.definition && m.debug_only.is_none())
    }

    /// Methods called in production code outside `if DEBUG:` blocks (`db.connect()`) whose
    /// name `test` accepts, by file and line.
    pub fn member_calls(
        &self,
        test: impl Fn(&str) -> bool,
    ) -> Vec<(&'a str, &'a FileFacts, &'a Mention)> {
        self.places(test, |m| m.member && m.call && m.debug_only.is_none())
    }

    /// The mentions of names `test` accepts that `accept` keeps, in production files, each
    /// place once, by file and line.
    fn places(
        &self,
        test: impl Fn(&str) -> bool,
        accept: impl Fn(&Mention) -> bool,
    ) -> Vec<(&'a str, &'a FileFacts, &'a Mention)> {
        let mut found: Vec<(&str, &FileFacts, &Mention)> = self
            .mentions
            .iter()
            .filter(|(name, _)| test(name))
            .flat_map(|(name, places)| {
                places
                    .iter()
                    .filter(|(_, m)| accept(m))
                    .map(|(i, m)| (*name, &self.files[*i], *m))
                    .filter(|(_, f, _)| self.runs_in_production(f))
            })
            .collect();
        found.sort_by(|a, b| (&a.1.rel, a.2.line, a.0).cmp(&(&b.1.rel, b.2.line, b.0)));
        found.dedup_by(|a, b| a.1.rel == b.1.rel && a.2.line == b.2.line && a.0 == b.0);
        found
    }

    /// Uses [`Project::mentioned`] leaves out because they sit in an `if DEBUG:` block, with
    /// the block's line: (name, file, line, guard line).
    pub fn debug_only_uses(
        &self,
        test: impl Fn(&str) -> bool,
        in_file: impl Fn(&FileFacts) -> bool,
    ) -> Vec<(&'a str, &'a FileFacts, usize, usize)> {
        let mut found: Vec<(&str, &FileFacts, usize, usize)> = self
            .mentions
            .iter()
            .filter(|(name, _)| test(name))
            .flat_map(|(name, places)| {
                places.iter().filter_map(|(i, m)| {
                    let guard = m.debug_only?;
                    let f = &self.files[*i];
                    (!m.import
                        && !m.text
                        && !m.definition
                        && self.runs_in_production(f)
                        && in_file(f))
                    .then_some((*name, f, m.line, guard))
                })
            })
            .collect();
        found.sort_by(|a, b| (&a.1.rel, a.2, a.0).cmp(&(&b.1.rel, b.2, b.0)));
        found
    }

    /// Words production code holds anywhere outside comments (strings included) for which
    /// `test` holds, with one place each.
    pub fn written(
        &self,
        test: impl Fn(&str) -> bool,
        in_file: impl Fn(&FileFacts) -> bool,
    ) -> Vec<(&'a str, &'a FileFacts, usize)> {
        self.first_places(test, in_file, |_| true)
    }

    /// For each mentioned name `test` accepts, its first place (path, line) in a production
    /// file `in_file` accepts, among the mentions `accept` keeps; sorted by name.
    fn first_places(
        &self,
        test: impl Fn(&str) -> bool,
        in_file: impl Fn(&FileFacts) -> bool,
        accept: impl Fn(&Mention) -> bool,
    ) -> Vec<(&'a str, &'a FileFacts, usize)> {
        let mut found: Vec<(&str, &FileFacts, usize)> = self
            .mentions
            .iter()
            .filter(|(name, _)| test(name))
            .filter_map(|(name, places)| {
                places
                    .iter()
                    .filter(|(_, m)| accept(m))
                    .map(|(i, m)| (&self.files[*i], m.line))
                    .filter(|(f, _)| self.runs_in_production(f) && in_file(f))
                    .min_by(|a, b| (&a.0.rel, a.1).cmp(&(&b.0.rel, b.1)))
                    .map(|(f, line)| (*name, f, line))
            })
            .collect();
        found.sort_by(|a, b| (a.0, &a.1.rel, a.2).cmp(&(b.0, &b.1.rel, b.2)));
        found
    }

    /// A production file that imports the top-level module `top` (or a module inside it).
    pub fn importer_of(&self, top: &str) -> Option<&'a FileFacts> {
        let inside = format!("{top}.");
        self.files.iter().find(|f| {
            self.runs_in_production(f)
                && f.imports.iter().any(|m| m == top || m.starts_with(&inside))
        })
    }

    /// Whether some other production module imports `module` (or a module inside it), as
    /// named from any source root: the module or a dotted tail of it of two parts or more
    /// (a one-part tail such as `utils` would answer every `import utils`).
    pub fn imported(&self, module: &str) -> bool {
        let by_other = |name: &str| {
            self.imported
                .get(name)
                .is_some_and(|importers| importers.iter().any(|m| *m != module))
        };
        let mut rest = module;
        loop {
            if (rest == module || rest.contains('.')) && by_other(rest) {
                return true;
            }
            match rest.split_once('.') {
                Some((_, tail)) => rest = tail,
                None => return false,
            }
        }
    }
}

/// The `.sh` scripts among `deploy` that production never starts: no production deploy file
/// that is not a script names them, directly or through scripts it names, in a command it starts or a
/// file it copies. A name is a file name (`boot.sh`) or, for a path, its stem
/// (`./bin/mathesar`, installed from `mathesar.sh`). One pass builds who names whom; a
/// worklist then visits each script once.
fn unreferenced_scripts(deploy: &[(String, DeployFacts)]) -> HashSet<&str> {
    let file_name = |word: &str| word.rsplit('/').next().unwrap_or(word).to_string();
    let stem_of = |name: &str| name.strip_suffix(".sh").unwrap_or(name).to_string();
    // Script stem → the scripts of that stem.
    let mut scripts: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, (rel, _)) in deploy.iter().enumerate() {
        if rel.ends_with(".sh") {
            scripts.entry(stem_of(&file_name(rel))).or_default().push(i);
        }
    }
    // For each file, the scripts it names.
    let names: Vec<Vec<usize>> = deploy
        .iter()
        .enumerate()
        .map(|(i, (_, facts))| {
            let words = facts
                .processes
                .iter()
                .flat_map(|p| {
                    p.command
                        .split(|c: char| c.is_whitespace() || "\"'[],;&|=()`".contains(c))
                        .collect::<Vec<_>>()
                })
                .chain(
                    facts
                        .copies
                        .iter()
                        .flat_map(|c| [c.from.as_str(), c.to.as_str()]),
                );
            let mut named = Vec::new();
            // A bare word names a script only with its extension (`run` is an argument).
            for word in words.filter(|w| w.contains('/') || w.ends_with(".sh")) {
                for &j in scripts
                    .get(&stem_of(&file_name(word)))
                    .into_iter()
                    .flatten()
                {
                    if j != i && !named.contains(&j) {
                        named.push(j);
                    }
                }
            }
            named
        })
        .collect();
    let mut started = vec![false; deploy.len()];
    // Production starts from its deploy files that are no scripts (a development compose
    // file's entrypoint is no production start script).
    let mut work: Vec<usize> = (0..deploy.len())
        .filter(|&i| !deploy[i].0.ends_with(".sh") && !is_development_deploy(&deploy[i].0))
        .collect();
    while let Some(i) = work.pop() {
        for &j in &names[i] {
            if !started[j] {
                started[j] = true;
                work.push(j);
            }
        }
    }
    deploy
        .iter()
        .enumerate()
        .filter(|(i, (rel, _))| rel.ends_with(".sh") && !started[*i])
        .map(|(_, (rel, _))| rel.as_str())
        .collect()
}

/// A deploy file for development, tests or CI, by its path: any part of it named as a
/// non-production settings profile would be (`docker-compose.dev.yml`, `docker/local/`,
/// `ci/`), or a compose override or dev container.
pub fn is_development_deploy(rel: &str) -> bool {
    // `docs`: a manifest in the documentation shows operators one way to run it; the
    // repository's own deploy files say how it runs.
    const DEPLOY_ONLY: &[&str] = &[
        "develop",
        "override",
        "devcontainer",
        "examples",
        "docs",
        "doc",
    ];
    rel.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .any(|part| {
            DEPLOY_ONLY.contains(&part) || crate::model::settings::is_non_production_name(part)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_scripts_count_only_when_another_deploy_file_names_them() {
        let script = |command: &str| DeployFacts {
            processes: vec![Process {
                line: 1,
                name: None,
                command: command.to_string(),
                program: String::new(),
                kind: ProcessKind::Other,
                beat: false,
                options: Vec::new(),
                args: Vec::new(),
            }],
            ..DeployFacts::default()
        };
        let deploy = vec![
            (
                "Dockerfile".to_string(),
                script(r#"["/sbin/tini", "--", "/app/boot.sh"]"#),
            ),
            ("boot.sh".to_string(), script("exec ./docker/start-web.sh")),
            (
                "docker/start-web.sh".to_string(),
                script("gunicorn app.wsgi"),
            ),
            (
                "scripts/run-postgres.sh".to_string(),
                script("python manage.py runserver"),
            ),
            (
                "scripts/self.sh".to_string(),
                script("./scripts/self.sh again"),
            ),
            (
                "Dockerfile.prod".to_string(),
                script(r#"["bash", "./bin/mathesar", "run"]"#),
            ),
            (
                "build-scripts/bin/mathesar.sh".to_string(),
                script("exec gunicorn config.wsgi"),
            ),
            // Named only by a helper nothing starts, and by a bare word.
            (
                "scripts/helper.sh".to_string(),
                script("./scripts/inner.sh"),
            ),
            (
                "scripts/inner.sh".to_string(),
                script("python manage.py runserver"),
            ),
            ("Procfile".to_string(), script("web: gunicorn app.wsgi run")),
            (
                "scripts/run.sh".to_string(),
                script("python manage.py runserver"),
            ),
        ];
        let mut found: Vec<&str> = unreferenced_scripts(&deploy).into_iter().collect();
        found.sort();
        assert_eq!(
            found,
            vec![
                "scripts/helper.sh",
                "scripts/inner.sh",
                "scripts/run-postgres.sh",
                "scripts/run.sh",
                "scripts/self.sh"
            ]
        );
    }

    #[test]
    fn development_deploy_files_are_told_by_their_path() {
        for rel in [
            "docker-compose.dev.yml",
            "docker/local/Dockerfile",
            ".devcontainer/docker-compose.yml",
            "compose.override.yaml",
            "deploy/ci/Procfile",
            "docs/install/k8s/50-deployment.yaml",
        ] {
            assert!(is_development_deploy(rel), "{rel}");
        }
        for rel in [
            "docker-compose.yml",
            "Dockerfile",
            "deploy/production/Procfile",
            "devops/k8s.yaml",
        ] {
            assert!(!is_development_deploy(rel), "{rel}");
        }
    }
}
