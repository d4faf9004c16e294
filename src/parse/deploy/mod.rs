//! Deploy files (Procfile, Dockerfile, compose, Kubernetes and Helm, systemd, supervisor,
//! fly.toml, render.yaml, app.yaml, gunicorn/uwsgi/nginx configs, shell, cron): how production
//! runs. Which settings module they name (line scanning, any format), which processes they
//! start with which options, the environment they set, and the server settings of config
//! files. Nothing is ever executed; a file that does not read yields what could be read and
//! a problem note.

mod command;
mod formats;
mod yaml;

use crate::discover::DeployKind;
use serde::{Deserialize, Serialize};

/// The environment variable that names Django's settings module.
const KEY: &str = "DJANGO_SETTINGS_MODULE";

/// What one deploy file says about production.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeployFacts {
    /// Settings modules the file names, with their 1-based line and how
    /// (`sets DJANGO_SETTINGS_MODULE` or `passes --settings`).
    pub settings_modules: Vec<SettingsMention>,
    /// Python files the build copies into place (`COPY a.py b.py`, `cp a.py b.py`): a
    /// settings module named by the deploy file may only exist after such a copy.
    pub copies: Vec<FileCopy>,
    /// Every process the file starts, in file order.
    pub processes: Vec<Process>,
    /// Environment the file sets: (name, value as written, 1-based line). A name without a
    /// value (compose `- NAME`, passed through from the host) has an empty value.
    pub env: Vec<(String, String, usize)>,
    /// Env files the file loads (compose `env_file`, systemd `EnvironmentFile=`): (path, line).
    pub env_files: Vec<(String, usize)>,
    /// Server settings of config files (gunicorn, uwsgi, nginx).
    pub settings: Vec<ServerSetting>,
    /// HTTP health probes the file points at the application: Kubernetes liveness,
    /// readiness and startup probes, a Dockerfile `HEALTHCHECK`, a compose `healthcheck`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub probes: Vec<Probe>,
    /// What could not be read (a YAML syntax error, a TOML error), for the run's notes.
    pub problems: Vec<String>,
}

/// One process a deploy file starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Process {
    /// 1-based line of the command (its first line when continued).
    pub line: usize,
    /// The name the file gives it: Procfile process type, compose service, container,
    /// supervisor program, fly process; `None` where the format has none (Dockerfile CMD).
    pub name: Option<String>,
    /// The command as written, folded to one line.
    pub command: String,
    /// `gunicorn`, `uwsgi`, `celery`, `manage.py migrate`, `django-admin rqworker`,
    /// `pgbouncer`, `nginx`, … or the base name of any other program; empty when the
    /// command is only options for an entrypoint the file does not name (compose names
    /// the service's image instead).
    pub program: String,
    pub kind: ProcessKind,
    /// A Celery worker that also runs beat (`worker -B`, `--beat`).
    pub beat: bool,
    /// Options as written, `(name, value)`; a flag alone has an empty value.
    pub options: Vec<(String, String)>,
    /// Positional arguments after the program (and its subcommand, first here).
    pub args: Vec<String>,
}

impl Process {
    /// True when the process does the work of `kind`: a worker with `-B` is also beat, and
    /// a development server is also a web server (a bad one).
    pub fn runs(&self, kind: ProcessKind) -> bool {
        self.kind == kind
            || (kind == ProcessKind::Beat && self.beat)
            || (kind == ProcessKind::Web && self.kind == ProcessKind::DevServer)
    }

    /// The value of the first option spelled one of `names` (`["--timeout", "-t"]`).
    pub fn option(&self, names: &[&str]) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _)| names.contains(&n.as_str()))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProcessKind {
    /// gunicorn, uwsgi, daphne, uvicorn, hypercorn, waitress.
    Web,
    /// `manage.py runserver` / `runserver_plus`: serves requests, but not fit for production.
    DevServer,
    /// celery worker, rq worker, rqworker, dramatiq, huey, qcluster, procrastinate worker.
    Worker,
    /// celery beat, rqscheduler.
    Beat,
    /// `manage.py migrate`.
    Migrate,
    /// pgbouncer, pgpool (a command or an image).
    Pooler,
    Other,
}

/// One HTTP probe of the application, as a deploy file writes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Probe {
    pub line: usize,
    /// `readinessProbe`, `livenessProbe`, `startupProbe`, `HEALTHCHECK`, `healthcheck`.
    pub kind: String,
    /// The path probed (`/healthz`) or the probe's command (`curl -f http://localhost/`).
    pub target: String,
}

impl Probe {
    /// A Kubernetes `httpGet` probe of `path`.
    pub fn path(line: usize, kind: &str, path: &str) -> Probe {
        Probe {
            line,
            kind: kind.to_string(),
            target: path.trim().chars().take(160).collect(),
        }
    }

    /// A probe of the application over HTTP: a command that fetches a URL (a database's
    /// `pg_isready` or a TCP check says nothing about the application).
    pub fn http(line: usize, kind: &str, target: &str) -> Option<Probe> {
        let target = target.trim();
        let fetches = [
            "curl",
            "wget",
            "http://",
            "https://",
            "urllib",
            "httpx",
            "requests.get",
        ]
        .iter()
        .any(|w| target.contains(w));
        (fetches && !target.is_empty()).then(|| Probe {
            line,
            kind: kind.to_string(),
            target: target.chars().take(160).collect(),
        })
    }
}

/// One setting of a server's config file, value as written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerSetting {
    /// `gunicorn`, `uwsgi` or `nginx`.
    pub server: String,
    pub name: String,
    pub value: String,
    pub line: usize,
}

/// One file copied by a build step, as written (relative or absolute paths).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileCopy {
    pub from: String,
    pub to: String,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SettingsMention {
    pub module: String,
    pub line: usize,
    /// `sets DJANGO_SETTINGS_MODULE` or `passes --settings`, for the report's reason.
    pub how: &'static str,
}

const SETS: &str = "sets DJANGO_SETTINGS_MODULE";
const PASSES: &str = "passes --settings";

/// A mention as stored: `how` is read back as text and mapped to its fixed phrase, so the
/// facts deserialize as owned data.
#[derive(Deserialize)]
struct StoredMention {
    module: String,
    line: usize,
    how: String,
}

impl<'de> Deserialize<'de> for SettingsMention {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let m = StoredMention::deserialize(d)?;
        let how = [SETS, PASSES]
            .into_iter()
            .find(|h| *h == m.how)
            .ok_or_else(|| {
                serde::de::Error::custom(format!("unknown settings mention `{}`", m.how))
            })?;
        Ok(SettingsMention {
            module: m.module,
            line: m.line,
            how,
        })
    }
}

/// Everything one deploy file's text tells: the settings modules it names and copies it makes
/// (line scanning), and the processes, environment and server settings of its format.
pub fn parse(kind: DeployKind, text: &str) -> DeployFacts {
    let mut facts = scan_settings(kind, text);
    formats::read(kind, text, &mut facts);
    place(text, &mut facts.processes);
    facts
}

/// How many lines below its command's first line a process is looked for.
const PLACE_WINDOW: usize = 200;

/// A command over several lines (a YAML block scalar, an `sh -c` body, a continued `CMD`)
/// gives every process it starts the command's first line; the YAML reader gives no
/// position inside a scalar at all. Each process is looked for in the text from there on
/// by its first words, in order, and moved to the line where they are written. The search
/// is bounded per process and in total, so a pathological file costs linear time and
/// keeps the first lines.
fn place(text: &str, processes: &mut [Process]) {
    if processes.is_empty() {
        return;
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut budget = 4 * text.len() + (1 << 20);
    let mut cursor = (0, 0);
    for p in processes.iter_mut() {
        let needle: Vec<&str> = p.command.split_whitespace().take(3).collect();
        if needle.is_empty() || p.line == 0 {
            continue;
        }
        // Processes of one command come in order: start where the previous one was found.
        let from = if cursor.0 == p.line { cursor.1 } else { p.line };
        let end = (from + PLACE_WINDOW).min(lines.len());
        for number in from..=end {
            let Some(line) = lines.get(number.wrapping_sub(1)) else {
                continue;
            };
            if budget < line.len() {
                return;
            }
            budget -= line.len();
            let words: Vec<&str> = line.split_whitespace().collect();
            let found = words.windows(needle.len()).any(|w| {
                w.iter().zip(&needle).all(|(a, b)| {
                    a.trim_matches(['"', '\'', '[', ',']) == b.trim_matches(['"', '\'', '[', ','])
                })
            });
            if found {
                cursor = (p.line, number);
                p.line = number;
                break;
            }
        }
    }
}

/// Reads the settings-module mentions of one deploy file's text. Comment lines and trailing
/// comments are skipped; values that are variable references (`${X}`) are not modules.
fn scan_settings(kind: DeployKind, text: &str) -> DeployFacts {
    let mut facts = DeployFacts::default();
    let lines: Vec<&str> = text.lines().map(|l| strip_comment(kind, l)).collect();
    for (i, line) in lines.iter().enumerate() {
        let mut push = |module: Option<String>, how: &'static str| {
            if let Some(module) = module {
                facts.settings_modules.push(SettingsMention {
                    module,
                    line: i + 1,
                    how,
                });
            }
        };
        let mut rest = *line;
        while let Some(at) = rest.find(KEY) {
            let before = &rest[..at];
            let after = &rest[at + KEY.len()..];
            rest = after;
            // Part of a longer name (`MY_DJANGO_SETTINGS_MODULE_X`) is not the variable.
            if before.ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
                || after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            {
                continue;
            }
            let after = after.trim_start_matches(['"', '\'']);
            let value = if let Some(v) = after.strip_prefix('=') {
                // `X=v` (ENV, compose list, systemd, supervisor, shell, command lines).
                Some(v)
            } else if let Some(v) = after.strip_prefix(':') {
                // compose map form `X: v`.
                Some(v)
            } else if kind == DeployKind::Dockerfile
                && before.trim_start().to_ascii_uppercase().starts_with("ENV")
                && after.starts_with([' ', '\t'])
            {
                // Dockerfile `ENV X v`.
                Some(after)
            } else if before.trim_end().ends_with("name:") || before.trim_end().ends_with("name=") {
                // Kubernetes `- name: X` with `value: v` on a following line of the same item.
                push(k8s_value(&lines[i + 1..]), SETS);
                None
            } else {
                None
            };
            push(value.and_then(module_at), SETS);
        }
        if let Some(copy) = file_copy(kind, line, i + 1) {
            facts.copies.push(copy);
        }
        let mut rest = *line;
        while let Some(at) = rest.find("--settings") {
            let after = &rest[at + "--settings".len()..];
            rest = after;
            // `--settings=x`, `--settings x`, and the exec form `"--settings", "x"`.
            let after = after.trim_start_matches(['"', '\'']);
            let value = after.strip_prefix('=').or_else(|| {
                after
                    .starts_with([' ', '\t', ','])
                    .then(|| after.trim_start_matches([' ', '\t', ',']))
            });
            push(value.and_then(module_at), PASSES);
        }
    }
    facts
}

/// The line without its comment: `#` at the start (any kind), `;` at the start (ini files),
/// and a `#` after whitespace outside quotes.
pub(super) fn strip_comment(kind: DeployKind, line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#')
        || (matches!(kind, DeployKind::Supervisor | DeployKind::Uwsgi) && trimmed.starts_with(';'))
    {
        return "";
    }
    let mut quote: Option<char> = None;
    let mut previous = ' ';
    for (i, c) in line.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == '#' && previous.is_whitespace() => return &line[..i],
            None => {}
        }
        previous = c;
    }
    line
}

/// `value: x` on one of the next lines of a Kubernetes env item (before the next `- ` item).
fn k8s_value(following: &[&str]) -> Option<String> {
    for line in following.iter().take(4) {
        let t = line.trim_start();
        if let Some(v) = t.strip_prefix("value:") {
            return module_at(v);
        }
        if t.starts_with("- ") || t == "-" {
            return None;
        }
    }
    None
}

/// The dotted module at the start of `text`, quotes and spaces skipped: `"config.settings.prod"`.
fn module_at(text: &str) -> Option<String> {
    let text = text.trim_start().trim_start_matches(['"', '\'']);
    // `${DJANGO_SETTINGS_MODULE:-x}` (compose, shell): the default is what runs when unset.
    let text = match text.strip_prefix("${") {
        Some(inner) => {
            let inner = &inner[..inner.find('}')?];
            let (_, default) = inner.split_once(":-").or_else(|| inner.split_once('-'))?;
            default
        }
        None => text,
    };
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    let module = text[..end].trim_end_matches('.');
    let valid = !module.is_empty()
        && !module.starts_with('.')
        && module
            .split('.')
            .all(|p| p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_'));
    valid.then(|| module.to_string())
}

/// `COPY a.py b.py` / `ADD a.py b.py` (Dockerfile) or `cp [-f] a.py b.py` (any build script or
/// `RUN` line): the copied Python file and where it lands.
fn file_copy(kind: DeployKind, line: &str, number: usize) -> Option<FileCopy> {
    let words: Vec<&str> = line
        .split(|c: char| c.is_whitespace() || c == ';' || c == '&')
        .filter(|w| !w.is_empty())
        .collect();
    let start = words.iter().position(|w| {
        *w == "cp" || (kind == DeployKind::Dockerfile && matches!(*w, "COPY" | "ADD"))
    })?;
    let paths: Vec<&str> = words[start + 1..]
        .iter()
        .copied()
        .skip_while(|w| w.starts_with('-'))
        .take(2)
        .collect();
    match paths.as_slice() {
        [from, to] if from.ends_with(".py") && to.ends_with(".py") => Some(FileCopy {
            from: from.trim_matches(['"', '\'']).to_string(),
            to: to.trim_matches(['"', '\'']).to_string(),
            line: number,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mentions(kind: DeployKind, text: &str) -> Vec<(String, usize, &'static str)> {
        parse(kind, text)
            .settings_modules
            .into_iter()
            .map(|m| (m.module, m.line, m.how))
            .collect()
    }

    #[test]
    fn dockerfile_env_in_both_forms() {
        let text = "FROM python:3.12\n# ENV DJANGO_SETTINGS_MODULE=config.settings.dev\nENV DJANGO_SETTINGS_MODULE=config.settings.production\nENV DJANGO_SETTINGS_MODULE config.settings.prod2\nENV OTHER=1 DJANGO_SETTINGS_MODULE=\"a.b\"\nENV DJANGO_SETTINGS_MODULE=${SETTINGS}\nENV DJANGO_SETTINGS_MODULE=${SETTINGS:-a.prod}\n";
        assert_eq!(
            mentions(DeployKind::Dockerfile, text),
            vec![
                ("config.settings.production".to_string(), 3, SETS),
                ("config.settings.prod2".to_string(), 4, SETS),
                ("a.b".to_string(), 5, SETS),
                ("a.prod".to_string(), 7, SETS),
            ]
        );
    }

    #[test]
    fn compose_list_and_map_forms() {
        let text = "services:\n  web:\n    environment:\n      - DJANGO_SETTINGS_MODULE=site.settings.prod  # the live one\n  worker:\n    environment:\n      DJANGO_SETTINGS_MODULE: \"site.settings.worker\"\n      # DJANGO_SETTINGS_MODULE: site.settings.dev\n";
        assert_eq!(
            mentions(DeployKind::Compose, text),
            vec![
                ("site.settings.prod".to_string(), 4, SETS),
                ("site.settings.worker".to_string(), 7, SETS),
            ]
        );
    }

    #[test]
    fn kubernetes_env_items() {
        let text = "env:\n  - name: DJANGO_SETTINGS_MODULE\n    value: \"shop.settings.production\"\n  - name: DJANGO_SETTINGS_MODULE_X\n    value: nope\n  - name: DJANGO_SETTINGS_MODULE\n  - name: OTHER\n    value: also.nope\n";
        assert_eq!(
            mentions(DeployKind::Kubernetes, text),
            vec![("shop.settings.production".to_string(), 2, SETS)]
        );
    }

    #[test]
    fn command_lines_systemd_and_supervisor() {
        assert_eq!(
            mentions(
                DeployKind::Procfile,
                "web: gunicorn app.wsgi\nrelease: python manage.py migrate --settings=app.settings.prod\nworker: python manage.py rqworker --settings app.settings.worker\nbeat: [\"python\", \"manage.py\", \"--settings\", \"app.settings.beat\"]\nx: --settings-file=nope\n"
            ),
            vec![
                ("app.settings.prod".to_string(), 2, "passes --settings"),
                ("app.settings.worker".to_string(), 3, "passes --settings"),
                ("app.settings.beat".to_string(), 4, "passes --settings"),
            ]
        );
        assert_eq!(
            mentions(
                DeployKind::Systemd,
                "[Service]\nEnvironment=\"DJANGO_SETTINGS_MODULE=app.settings.live\"\n"
            ),
            vec![("app.settings.live".to_string(), 2, SETS)]
        );
        assert_eq!(
            mentions(
                DeployKind::Supervisor,
                "; environment=DJANGO_SETTINGS_MODULE=x.dev\n[program:web]\nenvironment=PATH=\"/srv\",DJANGO_SETTINGS_MODULE=\"x.settings\"\n"
            ),
            vec![("x.settings".to_string(), 3, SETS)]
        );
    }

    #[test]
    fn copies_of_python_files_are_read_from_copy_and_cp() {
        let text = "COPY . /app\nRUN set -x; \\\n    cp docker/config.py settings/config.py; \\\n    true\nCOPY --chown=app deploy/prod.py /app/conf/prod.py\n";
        let copies: Vec<(String, String, usize)> = parse(DeployKind::Dockerfile, text)
            .copies
            .into_iter()
            .map(|c| (c.from, c.to, c.line))
            .collect();
        assert_eq!(
            copies,
            [
                (
                    "docker/config.py".to_string(),
                    "settings/config.py".to_string(),
                    3
                ),
                (
                    "deploy/prod.py".to_string(),
                    "/app/conf/prod.py".to_string(),
                    5
                ),
            ]
        );
    }
}
