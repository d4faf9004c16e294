//! One reader per deploy format: the processes, environment and server settings it holds.

use super::command::{fold, processes_of_line, processes_of_words, split};
use super::yaml::{self, Yaml};
use super::{strip_comment, DeployFacts, Probe, Process, ProcessKind, ServerSetting};
use crate::discover::DeployKind;
use std::collections::HashMap;

pub(super) fn read(kind: DeployKind, text: &str, facts: &mut DeployFacts) {
    match kind {
        DeployKind::Procfile => procfile(text, facts),
        DeployKind::Dockerfile => dockerfile(text, facts),
        DeployKind::Compose => compose(text, facts),
        DeployKind::Gunicorn => gunicorn(text, facts),
        DeployKind::Uwsgi => uwsgi(text, facts),
        DeployKind::Kubernetes | DeployKind::Helm => kubernetes(text, facts),
        DeployKind::Systemd => systemd(text, facts),
        DeployKind::Supervisor => supervisor(text, facts),
        DeployKind::Shell => shell(text, facts),
        DeployKind::Cron => cron(text, facts),
        DeployKind::Fly => fly(text, facts),
        DeployKind::Render => render(text, facts),
        DeployKind::AppEngine => app_engine(text, facts),
        DeployKind::Nginx => nginx(text, facts),
    }
}

/// A command in one of the two forms deploy formats write it.
enum Cmd {
    /// `["gunicorn", "-b", ":80"]`: no shell.
    Exec(Vec<String>),
    /// `gunicorn -b :80`: run by a shell.
    Shell(String),
}

impl Cmd {
    fn processes(&self, line: usize) -> Vec<Process> {
        match self {
            Cmd::Exec(words) => processes_of_words(words, line, false),
            Cmd::Shell(text) => processes_of_line(text, line, false),
        }
    }
}

/// The processes an entrypoint and a command start together (Dockerfile, compose). An exec
/// entrypoint that is itself a known program takes the command as its arguments
/// (`ENTRYPOINT ["celery", "-A", "x"]` + `CMD ["worker"]`); any other entrypoint is a wrapper
/// script that runs the command after it (`exec "$@"`), so both are listed. A shell-form
/// entrypoint ignores the command, as Docker does.
fn start(entry: Option<(Cmd, usize)>, cmd: Option<(Cmd, usize)>) -> Vec<Process> {
    match (entry, cmd) {
        (Some((Cmd::Exec(entry), line)), Some((cmd, cmd_line))) => {
            // A shell entrypoint runs the command as its script: `["/bin/bash"]` + `["-c", "…"]`.
            let shell = entry.first().is_some_and(|w| {
                matches!(
                    w.rsplit('/').next(),
                    Some("sh" | "bash" | "ash" | "dash" | "zsh")
                )
            });
            if shell || !processes_of_words(&entry, line, true).is_empty() {
                let mut words = entry;
                match cmd {
                    Cmd::Exec(more) => words.extend(more),
                    Cmd::Shell(text) => {
                        words.extend(split(&text).into_iter().flat_map(|s| s.words))
                    }
                }
                processes_of_words(&words, line, false)
            } else {
                let mut out = processes_of_words(&entry, line, false);
                out.extend(cmd.processes(cmd_line));
                out
            }
        }
        (Some((entry, line)), _) => entry.processes(line),
        (None, Some((cmd, line))) => cmd.processes(line),
        (None, None) => Vec::new(),
    }
}

fn named(mut processes: Vec<Process>, name: &str) -> Vec<Process> {
    for p in &mut processes {
        p.name = Some(name.to_string());
    }
    processes
}

/// Which pooler an image name is (`bitnami/pgbouncer:1.22`, `edoburu/pgbouncer`).
fn pooler_image(image: &str) -> Option<&'static str> {
    let name = image
        .rsplit('/')
        .next()
        .unwrap_or(image)
        .to_ascii_lowercase();
    if name.contains("pgbouncer") {
        Some("pgbouncer")
    } else if name.contains("pgpool") {
        Some("pgpool")
    } else {
        None
    }
}

fn pooler_process(image: &str, name: Option<&str>, line: usize) -> Option<Process> {
    Some(Process {
        line,
        name: name.map(str::to_string),
        command: image.to_string(),
        program: pooler_image(image)?.to_string(),
        kind: ProcessKind::Pooler,
        beat: false,
        options: Vec::new(),
        args: Vec::new(),
    })
}

/// A command of bare options (`command: --max-connections=100`, `args: ["--workers", "3"]`)
/// is arguments to the image's own entrypoint: the image names the program.
fn name_by_image(processes: &mut [Process], image: Option<&str>) {
    let Some(image) = image else { return };
    let base = image.rsplit('/').next().unwrap_or(image);
    let base = base.split([':', '@']).next().unwrap_or(base);
    for p in processes.iter_mut().filter(|p| p.program.is_empty()) {
        p.program = base.to_string();
    }
}

/// `NAME=value` into its parts; `NAME` alone has an empty value.
fn assignment(text: &str) -> Option<(String, String)> {
    let (name, value) = text.split_once('=').unwrap_or((text, ""));
    let name = name.trim();
    (!name.is_empty() && !name.contains(char::is_whitespace))
        .then(|| (name.to_string(), value.to_string()))
}

/// Logical lines: `\` at the end continues onto the next line. Each with its first line.
/// With `skip_comments`, comment lines inside a continued line are dropped (systemd does).
fn logical_lines(text: &str, skip_comments: bool) -> Vec<(usize, String)> {
    join_continued(
        text,
        |line, continuing| skip_comments && continuing && line.trim_start().starts_with(['#', ';']),
        str::trim_end,
    )
}

/// Lines joined where one ends in `\`, each with its first line number. `skip(line,
/// continuing)` drops a line; `trim` is applied to each line before it is joined.
fn join_continued(
    text: &str,
    skip: impl Fn(&str, bool) -> bool,
    trim: fn(&str) -> &str,
) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in text.lines().enumerate() {
        if skip(line, current.is_some()) {
            continue;
        }
        let (number, mut buffer) = current.take().unwrap_or((i + 1, String::new()));
        let trimmed = trim(line);
        match trimmed.strip_suffix('\\') {
            Some(head) => {
                buffer.push_str(head);
                buffer.push(' ');
                current = Some((number, buffer));
            }
            None => {
                buffer.push_str(trimmed);
                out.push((number, buffer));
            }
        }
    }
    if let Some(last) = current {
        out.push(last);
    }
    out
}

fn procfile(text: &str, facts: &mut DeployFacts) {
    for (i, line) in text.lines().enumerate() {
        let line = strip_comment(DeployKind::Procfile, line);
        let Some((name, command)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            continue;
        }
        facts
            .processes
            .extend(named(processes_of_line(command, i + 1, false), name));
    }
}

#[derive(Default)]
struct Stage {
    name: Option<String>,
    base: String,
    env: Vec<(String, String, usize)>,
    cmd: Option<(Cmd, usize)>,
    entry: Option<(Cmd, usize)>,
    healthcheck: Option<(String, usize)>,
}

/// Only the last stage of a multi-stage build runs, with what it inherits from the earlier
/// stages it is built `FROM`.
fn dockerfile(text: &str, facts: &mut DeployFacts) {
    let mut stages: Vec<Stage> = Vec::new();
    for (line, instruction) in docker_instructions(text) {
        let (keyword, rest) = instruction
            .split_once(char::is_whitespace)
            .unwrap_or((instruction.as_str(), ""));
        let rest = rest.trim();
        let keyword = keyword.to_ascii_uppercase();
        if keyword == "FROM" {
            let words: Vec<&str> = rest
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            let name = match words.as_slice() {
                [_, as_, name, ..] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
                _ => None,
            };
            stages.push(Stage {
                name,
                base: words.first().unwrap_or(&"").to_string(),
                ..Stage::default()
            });
            continue;
        }
        if stages.is_empty() {
            // Instructions before any FROM (ARG) belong to no stage; keep reading anyway.
            stages.push(Stage::default());
        }
        let stage = stages.last_mut().expect("a stage was pushed");
        match keyword.as_str() {
            "ENV" => stage.env.extend(docker_env(rest, line)),
            "CMD" => stage.cmd = Some((docker_cmd(rest), line)),
            "ENTRYPOINT" => stage.entry = Some((docker_cmd(rest), line)),
            "HEALTHCHECK" => stage.healthcheck = Some((rest.to_string(), line)),
            _ => {}
        }
    }
    let Some(last) = stages.len().checked_sub(1) else {
        return;
    };
    // The chain of stages the last one derives from, nearest first; each stage can only
    // name an earlier one, so the walk ends.
    let mut chain = vec![last];
    let mut at = last;
    while let Some(parent) = stages[..at].iter().rposition(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(&stages[at].base))
    }) {
        chain.push(parent);
        at = parent;
    }
    for &i in chain.iter().rev() {
        facts.env.extend(stages[i].env.iter().cloned());
    }
    let mut entry = None;
    let mut cmd = None;
    let mut healthcheck = None;
    for &i in &chain {
        let stage = &mut stages[i];
        if entry.is_none() {
            entry = stage.entry.take();
        }
        if cmd.is_none() {
            cmd = stage.cmd.take();
        }
        if healthcheck.is_none() {
            healthcheck = stage.healthcheck.take();
        }
    }
    if let Some((rest, line)) = healthcheck {
        // `HEALTHCHECK [--interval=…] CMD curl -f http://localhost/` or `NONE`.
        let command = rest
            .split_once("CMD")
            .map(|(_, c)| match docker_cmd(c.trim()) {
                Cmd::Exec(words) => words.join(" "),
                Cmd::Shell(s) => s,
            })
            .unwrap_or_default();
        facts
            .probes
            .extend(Probe::http(line, "HEALTHCHECK", &command));
    }
    facts.processes.extend(start(entry, cmd));
}

/// Instructions with their first line, continuations joined; comment lines inside a
/// continued instruction are dropped, as Docker does.
fn docker_instructions(text: &str) -> Vec<(usize, String)> {
    join_continued(
        text,
        |line, continuing| {
            let trimmed = line.trim();
            trimmed.starts_with('#') || (trimmed.is_empty() && !continuing)
        },
        str::trim,
    )
}

fn docker_cmd(rest: &str) -> Cmd {
    if rest.starts_with('[') {
        if let Ok(words) = serde_json::from_str::<Vec<String>>(rest) {
            return Cmd::Exec(words);
        }
    }
    // Not valid JSON: Docker runs it through the shell, and so do we.
    Cmd::Shell(rest.to_string())
}

/// `ENV A=1 B="x y"` or the legacy `ENV A some value`.
fn docker_env(rest: &str, line: usize) -> Vec<(String, String, usize)> {
    let words: Vec<String> = split(rest).into_iter().flat_map(|s| s.words).collect();
    match words.first() {
        Some(first) if first.contains('=') => words
            .iter()
            .filter_map(|w| assignment(w))
            .map(|(n, v)| (n, v, line))
            .collect(),
        Some(first) => {
            let value = rest[rest.find(char::is_whitespace).unwrap_or(rest.len())..].trim();
            vec![(first.clone(), value.trim_matches('"').to_string(), line)]
        }
        None => Vec::new(),
    }
}

/// A YAML command: a string (shell form) or a list of strings (exec form).
fn yaml_cmd(y: &Yaml, id: usize) -> Option<(Cmd, usize)> {
    if let Some(s) = y.str(id) {
        return (!s.trim().is_empty()).then(|| (Cmd::Shell(s.to_string()), y.line(id)));
    }
    let items = y.items(id);
    let words: Vec<String> = items
        .iter()
        .filter_map(|&i| y.str(i).map(str::to_string))
        .collect();
    // The list's own line is where its key is for a block list; its first item is where
    // the command is written.
    let line = items.first().map_or(y.line(id), |&i| y.line(i));
    (!words.is_empty()).then_some((Cmd::Exec(words), line))
}

fn load_yaml(text: &str, facts: &mut DeployFacts) -> Yaml {
    let (y, error) = yaml::load(text);
    facts.problems.extend(error);
    y
}

/// Environment as a mapping (`A: 1`, `B:` for passed through) or a list (`- A=1`, `- B`).
fn yaml_env(y: &Yaml, id: usize, facts: &mut DeployFacts) {
    for (name, value) in y.entries(id) {
        let text = y.str(value).unwrap_or("").to_string();
        facts.env.push((name.to_string(), text, y.line(value)));
    }
    for &item in y.items(id) {
        if let Some((name, value)) = y.str(item).and_then(assignment) {
            facts.env.push((name, value, y.line(item)));
        }
    }
}

fn compose(text: &str, facts: &mut DeployFacts) {
    let y = load_yaml(text, facts);
    for &doc in &y.docs {
        // Version 1 files have the services at the top level.
        let services = y.get(doc, "services").unwrap_or(doc);
        for (name, service) in y.entries(services) {
            if !y.is_map(service) || name.starts_with("x-") {
                continue;
            }
            // Compose splits a string entrypoint into words; it is not run by a shell.
            let entry = y
                .get(service, "entrypoint")
                .and_then(|i| yaml_cmd(&y, i))
                .map(|(cmd, line)| match cmd {
                    Cmd::Shell(s) => (
                        Cmd::Exec(split(&s).into_iter().flat_map(|s| s.words).collect()),
                        line,
                    ),
                    exec => (exec, line),
                });
            let cmd = y.get(service, "command").and_then(|i| yaml_cmd(&y, i));
            let mut processes = named(start(entry, cmd), name);
            if let Some(image) = y.get(service, "image") {
                let pooler = y
                    .str(image)
                    .and_then(|s| pooler_process(s, Some(name), y.line(image)));
                if let Some(pooler) = pooler {
                    if !processes.iter().any(|p| p.kind == ProcessKind::Pooler) {
                        processes.push(pooler);
                    }
                }
            }
            let image = y.get(service, "image").and_then(|i| y.str(i));
            name_by_image(&mut processes, image);
            // The application's service: it starts a web server, or it is built from the
            // repository and runs the image's own command (a database's or another tool's
            // service probes that tool).
            let serves = processes
                .iter()
                .any(|p| matches!(p.kind, ProcessKind::Web | ProcessKind::DevServer))
                || (processes.is_empty() && y.get(service, "build").is_some());
            if let Some(test) = y
                .get(service, "healthcheck")
                .filter(|_| serves)
                .and_then(|h| y.get(h, "test"))
                .and_then(|t| yaml_cmd(&y, t))
            {
                let (command, line) = match test {
                    // `["CMD", "curl", …]` / `["CMD-SHELL", "curl …"]`
                    (Cmd::Exec(words), line) => (
                        words
                            .iter()
                            .skip_while(|w| w.starts_with("CMD"))
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(" "),
                        line,
                    ),
                    (Cmd::Shell(s), line) => (s, line),
                };
                facts
                    .probes
                    .extend(Probe::http(line, "healthcheck", &command));
            }
            facts.processes.extend(processes);
            if let Some(env) = y.get(service, "environment") {
                yaml_env(&y, env, facts);
            }
            if let Some(files) = y.get(service, "env_file") {
                let mut push = |id: usize| {
                    let path = y
                        .str(id)
                        .or_else(|| y.get(id, "path").and_then(|p| y.str(p)));
                    if let Some(path) = path {
                        facts.env_files.push((path.to_string(), y.line(id)));
                    }
                };
                push(files);
                y.items(files).iter().for_each(|&i| push(i));
            }
        }
    }
}

/// Kubernetes manifests and Helm values: any mapping with `command`/`args` is a container
/// (in a manifest under `containers`, in values wherever the chart puts it), except probe
/// and hook `exec` commands. A template that does not read as YAML is read again with its
/// `{{ }}` actions blanked, then line by line.
fn kubernetes(text: &str, facts: &mut DeployFacts) {
    let (mut y, mut error) = yaml::load(text);
    let untemplated;
    let mut source = text;
    if error.is_some() && text.contains("{{") {
        untemplated = yaml::untemplate(text);
        (y, error) = yaml::load(&untemplated);
        source = &untemplated;
    }
    if let Some(error) = error {
        facts.problems.push(error);
        kubernetes_lines(source, facts);
        return;
    }
    for (map, key) in y.maps() {
        for kind in ["readinessProbe", "livenessProbe", "startupProbe"] {
            let Some(probe) = y.get(map, kind) else {
                continue;
            };
            let path = y
                .get(probe, "httpGet")
                .and_then(|h| y.get(h, "path"))
                .and_then(|p| y.str(p).map(|s| (s.to_string(), y.line(p))));
            let command = y
                .get(probe, "exec")
                .and_then(|e| y.get(e, "command"))
                .and_then(|c| yaml_cmd(&y, c))
                .map(|(cmd, line)| match cmd {
                    Cmd::Exec(words) => (words.join(" "), line),
                    Cmd::Shell(s) => (s, line),
                });
            match (path, command) {
                (Some((path, line)), _) => facts.probes.push(Probe::path(line, kind, &path)),
                (None, Some((command, line))) => {
                    facts.probes.extend(Probe::http(line, kind, &command))
                }
                (None, None) => {}
            }
        }
        let name = y.get(map, "name").and_then(|n| y.str(n));
        // A command that is a whole template action (`command: {{ toYaml … }}`) is unknown.
        let known = |i: &usize| y.str(*i) != Some(yaml::PLACEHOLDER);
        let command = y
            .get(map, "command")
            .filter(known)
            .and_then(|i| yaml_cmd(&y, i));
        let args = y
            .get(map, "args")
            .filter(known)
            .and_then(|i| yaml_cmd(&y, i));
        if key != Some("exec") && (command.is_some() || args.is_some()) {
            let line = command.as_ref().or(args.as_ref()).map_or(1, |c| c.1);
            let mut words = Vec::new();
            let mut shell = None;
            for (cmd, _) in command.into_iter().chain(args) {
                match cmd {
                    Cmd::Exec(w) => words.extend(w),
                    // Helm values often give the command as one string.
                    Cmd::Shell(s) => match shell {
                        None if words.is_empty() => shell = Some(s),
                        _ => words.extend(split(&s).into_iter().flat_map(|s| s.words)),
                    },
                }
            }
            let processes = match shell {
                Some(s) if words.is_empty() => processes_of_line(&s, line, false),
                Some(s) => {
                    let mut all: Vec<String> =
                        split(&s).into_iter().flat_map(|s| s.words).collect();
                    all.extend(words);
                    processes_of_words(&all, line, false)
                }
                None => processes_of_words(&words, line, false),
            };
            let mut processes = match name {
                Some(name) => named(processes, name),
                None => processes,
            };
            name_by_image(&mut processes, y.get(map, "image").and_then(|i| y.str(i)));
            facts.processes.extend(processes);
        } else if let Some(image) = y.get(map, "image") {
            // A pooler container that runs its image's own command.
            let image_name = y
                .str(image)
                .or_else(|| y.get(image, "repository").and_then(|r| y.str(r)));
            if let Some(p) = image_name.and_then(|i| pooler_process(i, name, y.line(image))) {
                facts.processes.push(p);
            }
        }
        for key in ["env", "extraEnv", "extraEnvVars"] {
            let Some(env) = y.get(map, key) else { continue };
            for &item in y.items(env) {
                let name = y.get(item, "name").and_then(|n| y.str(n));
                if let Some(name) = name {
                    let value = y.get(item, "value").and_then(|v| y.str(v)).unwrap_or("");
                    facts
                        .env
                        .push((name.to_string(), value.to_string(), y.line(item)));
                }
            }
            // Helm values: `env: {NAME: value}`.
            for (name, value) in y.entries(env) {
                if let Some(text) = y.str(value) {
                    facts
                        .env
                        .push((name.to_string(), text.to_string(), y.line(value)));
                }
            }
        }
    }
}

/// Line reading for a manifest that is not YAML even untemplated: `command:`/`args:` with an
/// inline list, a string, or `- item` lines below; `- name: X` with `value: v` below.
fn kubernetes_lines(text: &str, facts: &mut DeployFacts) {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |l: &str| l.len() - l.trim_start().len();
    let mut pending: Option<(Vec<String>, usize, usize)> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = strip_comment(DeployKind::Kubernetes, lines[i]);
        let body = line.trim_start().trim_start_matches("- ");
        let at = indent(line) + (line.trim_start().len() - body.len());
        i += 1;
        let key_line = i;
        if let Some(name) = body.strip_prefix("name:") {
            if line.trim_start().starts_with("- ") {
                if let Some(value) = k8s_value_text(&lines[i..]) {
                    facts.env.push((unquote(name.trim()).to_string(), value, i));
                }
            }
        }
        let key = ["command:", "args:"]
            .into_iter()
            .find_map(|k| body.strip_prefix(k).map(|v| (k, v.trim())));
        let Some((key, value)) = key else {
            if pending
                .as_ref()
                .is_some_and(|p| at <= p.2 && !body.is_empty())
            {
                flush(&mut pending, facts);
            }
            continue;
        };
        let mut words: Vec<String> = if let Some(inner) = value.strip_prefix('[') {
            inner
                .trim_end_matches(']')
                .split(',')
                .map(|w| unquote(w.trim()).to_string())
                .filter(|w| !w.is_empty())
                .collect()
        } else if !value.is_empty() {
            split(unquote(value))
                .into_iter()
                .flat_map(|s| s.words)
                .collect()
        } else {
            Vec::new()
        };
        if value.is_empty() {
            while i < lines.len() {
                let item = strip_comment(DeployKind::Kubernetes, lines[i]);
                match item.trim_start().strip_prefix('-') {
                    Some(rest) if indent(item) >= at => {
                        words.push(unquote(rest.trim()).to_string());
                        i += 1;
                    }
                    _ if item.trim().is_empty() => i += 1,
                    _ => break,
                }
            }
        }
        match (&mut pending, key) {
            (Some(p), "args:") if p.2 == at => {
                p.0.extend(words);
                flush(&mut pending, facts);
            }
            _ => {
                flush(&mut pending, facts);
                pending = Some((words, key_line, at));
            }
        }
    }
    flush(&mut pending, facts);
}

fn flush(pending: &mut Option<(Vec<String>, usize, usize)>, facts: &mut DeployFacts) {
    if let Some((words, line, _)) = pending.take() {
        facts
            .processes
            .extend(processes_of_words(&words, line, false));
    }
}

fn k8s_value_text(following: &[&str]) -> Option<String> {
    for line in following.iter().take(4) {
        let t = line.trim_start();
        if let Some(v) = t.strip_prefix("value:") {
            return Some(unquote(v.trim()).to_string());
        }
        if t.starts_with("- ") || t == "-" {
            return None;
        }
    }
    None
}

fn unquote(text: &str) -> &str {
    let t = text.trim();
    for q in ['"', '\''] {
        if let Some(inner) = t.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return inner;
        }
    }
    t
}

/// render.yaml: `services` (and `envVarGroups`) with `startCommand`, `dockerCommand`,
/// `preDeployCommand` and `envVars` of `key`/`value`.
fn render(text: &str, facts: &mut DeployFacts) {
    let y = load_yaml(text, facts);
    for &doc in &y.docs {
        let services = y.get(doc, "services").map(|s| y.items(s)).unwrap_or(&[]);
        let groups = y
            .get(doc, "envVarGroups")
            .map(|s| y.items(s))
            .unwrap_or(&[]);
        for &service in services.iter().chain(groups) {
            let name = y.get(service, "name").and_then(|n| y.str(n));
            for key in ["preDeployCommand", "startCommand", "dockerCommand"] {
                if let Some((cmd, line)) = y.get(service, key).and_then(|i| yaml_cmd(&y, i)) {
                    let processes = cmd.processes(line);
                    facts.processes.extend(match name {
                        Some(name) => named(processes, name),
                        None => processes,
                    });
                }
            }
            let vars = y.get(service, "envVars").map(|v| y.items(v)).unwrap_or(&[]);
            for &var in vars {
                if let Some(key) = y.get(var, "key").and_then(|k| y.str(k)) {
                    let value = y.get(var, "value").and_then(|v| y.str(v)).unwrap_or("");
                    facts
                        .env
                        .push((key.to_string(), value.to_string(), y.line(var)));
                }
            }
        }
    }
}

/// Google App Engine `app.yaml`: `entrypoint` and `env_variables`.
fn app_engine(text: &str, facts: &mut DeployFacts) {
    let y = load_yaml(text, facts);
    for &doc in &y.docs {
        if let Some((cmd, line)) = y.get(doc, "entrypoint").and_then(|i| yaml_cmd(&y, i)) {
            facts.processes.extend(cmd.processes(line));
        }
        if let Some(env) = y.get(doc, "env_variables") {
            yaml_env(&y, env, facts);
        }
    }
}

/// Module-level `name = value` lines of a gunicorn config, read as text: the file is Python
/// and is never run. A value spanning lines keeps its first line.
fn gunicorn(text: &str, facts: &mut DeployFacts) {
    for (i, line) in text.lines().enumerate() {
        if line.starts_with(char::is_whitespace) {
            continue;
        }
        let line = strip_comment(DeployKind::Gunicorn, line);
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let name = name.trim();
        let is_name = name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !is_name || value.starts_with('=') {
            continue;
        }
        facts.settings.push(ServerSetting {
            server: "gunicorn".to_string(),
            name: name.to_string(),
            value: value.trim().to_string(),
            line: i + 1,
        });
    }
}

/// uwsgi ini (`[uwsgi]` section) or yaml (`uwsgi:` mapping). `env = NAME=value` is
/// environment as well as a setting.
fn uwsgi(text: &str, facts: &mut DeployFacts) {
    let is_yaml = text.lines().any(|l| l.trim_end() == "uwsgi:");
    let push = |name: &str, value: &str, line: usize, facts: &mut DeployFacts| {
        if name == "env" {
            if let Some((n, v)) = assignment(value) {
                facts.env.push((n, v, line));
            }
        }
        // uwsgi starts and supervises these itself: `attach-daemon = ./manage.py qcluster`,
        // `hook-pre-app = exec:./manage.py migrate`.
        let command = match name {
            "attach-daemon"
            | "attach-daemon2"
            | "smart-attach-daemon"
            | "attach-smart-daemon"
            | "legion-attach-daemon" => Some(value),
            _ if name.starts_with("hook-") => value.strip_prefix("exec:"),
            _ if name.starts_with("exec-") => Some(value),
            _ => None,
        };
        if let Some(command) = command {
            let mut found = processes_of_line(command, line, false);
            for p in &mut found {
                p.name = Some(name.to_string());
            }
            facts.processes.extend(found);
        }
        facts.settings.push(ServerSetting {
            server: "uwsgi".to_string(),
            name: name.to_string(),
            value: value.to_string(),
            line,
        });
    };
    if is_yaml {
        let y = load_yaml(text, facts);
        for &doc in &y.docs {
            let Some(section) = y.get(doc, "uwsgi") else {
                continue;
            };
            for (name, value) in y.entries(section) {
                let values: Vec<usize> = match y.str(value) {
                    Some(_) => vec![value],
                    None => y.items(value).to_vec(),
                };
                for v in values {
                    if let Some(text) = y.str(v) {
                        push(name, text, y.line(v), facts);
                    }
                }
            }
        }
        return;
    }
    let mut in_uwsgi = false;
    for (i, line) in text.lines().enumerate() {
        let line = strip_comment(DeployKind::Uwsgi, line).trim();
        if let Some(section) = line.strip_prefix('[') {
            in_uwsgi = section.trim_end_matches(']').trim() == "uwsgi";
            continue;
        }
        if let (true, Some((name, value))) = (in_uwsgi, line.split_once('=')) {
            push(name.trim(), value.trim(), i + 1, facts);
        }
    }
}

fn systemd(text: &str, facts: &mut DeployFacts) {
    for (number, line) in logical_lines(text, true) {
        let line = strip_comment(DeployKind::Systemd, &line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "ExecStart" | "ExecStartPre" | "ExecStartPost" => {
                // `-`, `@`, `:`, `+`, `!` prefixes change how systemd runs it, not what.
                let command = value.trim_start_matches(['-', '@', ':', '+', '!']);
                facts
                    .processes
                    .extend(processes_of_line(command, number, false));
            }
            "Environment" => {
                for word in split(value).into_iter().flat_map(|s| s.words) {
                    if let Some((n, v)) = assignment(&word) {
                        facts.env.push((n, v, number));
                    }
                }
            }
            "EnvironmentFile" => facts
                .env_files
                .push((value.trim_start_matches('-').to_string(), number)),
            _ => {}
        }
    }
}

/// supervisord ini: `[program:x]` sections with `command=` (continued on indented lines) and
/// `environment=A="1",B="2"`.
fn supervisor(text: &str, facts: &mut DeployFacts) {
    let mut program: Option<String> = None;
    // Key lines with their indented continuations.
    let mut entries: Vec<(usize, Option<String>, String, String)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(DeployKind::Supervisor, raw);
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            if let Some(last) = entries.last_mut() {
                last.3.push(' ');
                last.3.push_str(line.trim());
            }
            continue;
        }
        let line = line.trim();
        if let Some(section) = line.strip_prefix('[') {
            let section = section.trim_end_matches(']').trim();
            program = section
                .split_once(':')
                .filter(|(kind, _)| matches!(*kind, "program" | "fcgi-program"))
                .map(|(_, name)| name.trim().to_string());
            continue;
        }
        if let Some((key, value)) = line.split_once('=') {
            entries.push((
                i + 1,
                program.clone(),
                key.trim().to_string(),
                value.trim().to_string(),
            ));
        }
    }
    for (line, program, key, value) in entries {
        match key.as_str() {
            "command" => {
                let processes = processes_of_line(&value, line, false);
                facts.processes.extend(match &program {
                    Some(name) => named(processes, name),
                    None => processes,
                });
            }
            "environment" => {
                for (name, value) in supervisor_env(&value) {
                    facts.env.push((name, value, line));
                }
            }
            _ => {}
        }
    }
}

/// `A="x,y",B=2`: commas inside quotes do not separate.
fn supervisor_env(value: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut part = String::new();
    let mut quote = None;
    for c in value.chars().chain(std::iter::once(',')) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => part.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, ',') => {
                if let Some(pair) = assignment(part.trim()) {
                    out.push(pair);
                }
                part.clear();
            }
            (None, c) => part.push(c),
        }
    }
    out
}

fn shell(text: &str, facts: &mut DeployFacts) {
    for (number, line) in logical_lines(text, false) {
        let line = strip_comment(DeployKind::Shell, &line);
        facts
            .processes
            .extend(processes_of_line(line, number, true));
    }
}

/// crontab lines: five time fields or an `@daily`-style word, then the command (in
/// `/etc/cron.d` files after a user name); `NAME=value` lines set the environment.
fn cron(text: &str, facts: &mut DeployFacts) {
    for (i, line) in text.lines().enumerate() {
        let line = strip_comment(DeployKind::Cron, line).trim();
        if line.is_empty() {
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or("");
        if !first.starts_with('@') && first.contains('=') {
            facts
                .env
                .extend(assignment(line).map(|(n, v)| (n, v, i + 1)));
            continue;
        }
        let skip = if first.starts_with('@') { 1 } else { 5 };
        let mut rest = line;
        for _ in 0..skip {
            rest = rest.trim_start();
            rest = &rest[rest.find(char::is_whitespace).unwrap_or(rest.len())..];
        }
        let mut found = processes_of_line(rest, i + 1, true);
        if found.is_empty() {
            let rest = rest.trim_start();
            let after_user = &rest[rest.find(char::is_whitespace).unwrap_or(rest.len())..];
            found = processes_of_line(after_user, i + 1, true);
        }
        facts.processes.extend(found);
    }
}

/// fly.toml: `[processes]`, `[env]`, `[deploy] release_command`, `[experimental] cmd` and
/// `entrypoint`. The TOML crate gives values; each key's line comes from one pass over the
/// text (header and `key =` lines), since the table keeps no positions.
fn fly(text: &str, facts: &mut DeployFacts) {
    let table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            facts.problems.push(format!(
                "TOML: {}",
                e.message().lines().next().unwrap_or("")
            ));
            return;
        }
    };
    let lines = toml_key_lines(text);
    let line_of = |section: &str, key: &str| {
        lines
            .get(&(section.to_string(), key.to_string()))
            .or_else(|| lines.get(&(section.to_string(), String::new())))
            .copied()
            .unwrap_or(1)
    };
    let as_cmd = |value: &toml::Value| -> Option<Cmd> {
        match value {
            toml::Value::String(s) => Some(Cmd::Shell(s.clone())),
            toml::Value::Array(items) => Some(Cmd::Exec(
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
            )),
            _ => None,
        }
    };
    if let Some(deploy) = table.get("deploy").and_then(|d| d.as_table()) {
        if let Some(cmd) = deploy.get("release_command").and_then(as_cmd) {
            let processes = cmd.processes(line_of("deploy", "release_command"));
            facts.processes.extend(named(processes, "release"));
        }
    }
    if let Some(processes) = table.get("processes").and_then(|p| p.as_table()) {
        for (name, value) in processes {
            if let Some(cmd) = as_cmd(value) {
                let found = cmd.processes(line_of("processes", name));
                facts.processes.extend(named(found, name));
            }
        }
    }
    if let Some(exp) = table.get("experimental").and_then(|e| e.as_table()) {
        let entry = exp
            .get("entrypoint")
            .and_then(as_cmd)
            .map(|c| (c, line_of("experimental", "entrypoint")));
        let cmd = exp
            .get("cmd")
            .and_then(as_cmd)
            .map(|c| (c, line_of("experimental", "cmd")));
        facts.processes.extend(start(entry, cmd));
    }
    if let Some(env) = table.get("env").and_then(|e| e.as_table()) {
        for (name, value) in env {
            let value = match value {
                toml::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            facts.env.push((name.clone(), value, line_of("env", name)));
        }
    }
}

/// `(section, key) → line` for `[section]` headers (key `""`) and `key = …` lines.
fn toml_key_lines(text: &str) -> HashMap<(String, String), usize> {
    let mut lines = HashMap::new();
    let mut section = String::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if let Some(header) = t.strip_prefix('[') {
            section = header.trim_matches(['[', ']']).trim().to_string();
            lines
                .entry((section.clone(), String::new()))
                .or_insert(i + 1);
        } else if let Some((key, _)) = t.split_once('=') {
            let key = key.trim().trim_matches(['"', '\'']).to_string();
            lines.entry((section.clone(), key)).or_insert(i + 1);
        }
    }
    lines
}

/// nginx directives that bound time or size, or set security headers.
const NGINX_DIRECTIVES: &[&str] = &[
    "proxy_read_timeout",
    "proxy_connect_timeout",
    "proxy_send_timeout",
    "uwsgi_read_timeout",
    "uwsgi_send_timeout",
    "uwsgi_connect_timeout",
    "fastcgi_read_timeout",
    "client_body_timeout",
    "client_header_timeout",
    "client_max_body_size",
    "keepalive_timeout",
    "send_timeout",
    "add_header",
    "ssl_protocols",
    "server_tokens",
    "limit_req",
    "limit_req_zone",
];

/// nginx statements end at `;`, `{` or `}` outside quotes; `#` starts a comment.
fn nginx(text: &str, facts: &mut DeployFacts) {
    let mut statement = String::new();
    let mut start_line = 0;
    let mut line = 1;
    let mut quote: Option<char> = None;
    let mut comment = false;
    for c in text.chars() {
        if c == '\n' {
            line += 1;
            comment = false;
            if quote.is_none() && !statement.is_empty() && !statement.ends_with(' ') {
                statement.push(' ');
            }
            continue;
        }
        if comment {
            continue;
        }
        match quote {
            Some(q) if c == q => {
                quote = None;
                statement.push(c);
                continue;
            }
            Some(_) => {
                statement.push(c);
                continue;
            }
            None => {}
        }
        match c {
            '#' => comment = true,
            '"' | '\'' => {
                if statement.is_empty() {
                    start_line = line;
                }
                quote = Some(c);
                statement.push(c);
            }
            ';' | '{' | '}' => {
                if c == ';' {
                    nginx_statement(&statement, start_line, facts);
                }
                statement.clear();
            }
            c if c.is_whitespace() => {
                if !statement.is_empty() && !statement.ends_with(' ') {
                    statement.push(' ');
                }
            }
            c => {
                if statement.is_empty() {
                    start_line = line;
                }
                statement.push(c);
            }
        }
    }
}

fn nginx_statement(statement: &str, line: usize, facts: &mut DeployFacts) {
    let statement = statement.trim();
    let (name, value) = statement
        .split_once(char::is_whitespace)
        .unwrap_or((statement, ""));
    if NGINX_DIRECTIVES.contains(&name) {
        facts.settings.push(ServerSetting {
            server: "nginx".to_string(),
            name: name.to_string(),
            value: fold(value),
            line,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;
    use ProcessKind::*;

    /// (line, name, program, kind, options as `n=v`) of one process.
    type Row = (usize, Option<String>, String, ProcessKind, Vec<String>);

    fn procs(kind: DeployKind, text: &str) -> Vec<Row> {
        parse(kind, text)
            .processes
            .into_iter()
            .map(|p| {
                let options = p.options.iter().map(|(n, v)| format!("{n}={v}")).collect();
                (p.line, p.name, p.program, p.kind, options)
            })
            .collect()
    }

    fn p(
        line: usize,
        name: Option<&str>,
        program: &str,
        kind: ProcessKind,
        options: &[&str],
    ) -> Row {
        (
            line,
            name.map(str::to_string),
            program.to_string(),
            kind,
            options.iter().map(|o| o.to_string()).collect(),
        )
    }

    fn env(kind: DeployKind, text: &str) -> Vec<(String, String, usize)> {
        parse(kind, text).env
    }

    fn e(name: &str, value: &str, line: usize) -> (String, String, usize) {
        (name.to_string(), value.to_string(), line)
    }

    #[test]
    fn procfile() {
        let text = "# heroku\nweb: gunicorn shop.wsgi --timeout 25 --workers=${WEB_CONCURRENCY:-3}\nworker: celery -A shop worker -B -l info\nrelease: python manage.py migrate --noinput\nnot a process\n";
        assert_eq!(
            procs(DeployKind::Procfile, text),
            vec![
                p(
                    2,
                    Some("web"),
                    "gunicorn",
                    Web,
                    &["--timeout=25", "--workers=${WEB_CONCURRENCY:-3}"]
                ),
                p(
                    3,
                    Some("worker"),
                    "celery",
                    Worker,
                    &["-A=shop", "-B=", "-l=info"]
                ),
                p(
                    4,
                    Some("release"),
                    "manage.py migrate",
                    Migrate,
                    &["--noinput="]
                ),
            ]
        );
        let facts = parse(DeployKind::Procfile, text);
        assert!(facts.processes[1].beat);
        assert!(facts.processes[1].runs(Beat));
        assert!(facts.processes[1].runs(Worker));
        assert!(!facts.processes[0].runs(Beat));
        assert_eq!(facts.processes[0].option(&["--timeout", "-t"]), Some("25"));
        assert_eq!(facts.processes[0].args, ["shop.wsgi"]);
        assert_eq!(
            facts.processes[0].command,
            "gunicorn shop.wsgi --timeout 25 --workers=${WEB_CONCURRENCY:-3}"
        );
    }

    #[test]
    fn dockerfile_last_stage_env_and_commands() {
        let text = r#"FROM node:20 AS assets
ENV NODE_ENV=production
CMD ["npm", "run", "build"]

FROM python:3.12-slim AS base
ENV PYTHONUNBUFFERED=1 \
    APP_HOME="/srv app"
ENV LEGACY some value

FROM base
ARG X
ENTRYPOINT ["/docker-entrypoint.sh"]
CMD gunicorn config.wsgi \
    # comment inside a continuation
    --bind 0.0.0.0:8000 --timeout 60
"#;
        assert_eq!(
            procs(DeployKind::Dockerfile, text),
            vec![
                p(12, None, "docker-entrypoint.sh", Other, &[]),
                p(
                    13,
                    None,
                    "gunicorn",
                    Web,
                    &["--bind=0.0.0.0:8000", "--timeout=60"]
                ),
            ]
        );
        assert_eq!(
            env(DeployKind::Dockerfile, text),
            vec![
                e("PYTHONUNBUFFERED", "1", 6),
                e("APP_HOME", "/srv app", 6),
                e("LEGACY", "some value", 8),
            ]
        );
    }

    #[test]
    fn dockerfile_entrypoint_program_takes_cmd_as_arguments() {
        let text = "FROM python\nENTRYPOINT [\"celery\", \"-A\", \"proj\"]\nCMD [\"worker\", \"--concurrency\", \"4\"]\n";
        assert_eq!(
            procs(DeployKind::Dockerfile, text),
            vec![p(
                2,
                None,
                "celery",
                Worker,
                &["-A=proj", "--concurrency=4"]
            )]
        );
        // A shell-form entrypoint ignores CMD, as Docker does; a CMD that is not JSON is shell.
        let text = "FROM python\nCMD [\"gunicorn\"]\nENTRYPOINT exec uwsgi --ini /app/uwsgi.ini\n";
        assert_eq!(
            procs(DeployKind::Dockerfile, text),
            vec![p(3, None, "uwsgi", Web, &["--ini=/app/uwsgi.ini"])]
        );
        assert_eq!(
            procs(DeployKind::Dockerfile, "FROM x\nCMD [\"daphne\", broken\n"),
            vec![p(2, None, "[daphne,", Other, &[])]
        );
    }

    #[test]
    fn compose_services() {
        let text = r#"x-app: &app
  image: shop:latest
  env_file: .env.prod
  environment:
    DJANGO_DEBUG: "0"
    SENTRY_DSN:
services:
  web:
    <<: *app
    command: >
      sh -c "python manage.py migrate --noinput &&
             gunicorn shop.wsgi -w 4 --timeout 30"
  worker:
    <<: *app
    command: ["celery", "-A", "shop", "worker", "-l", "info"]
    environment:
      - C_FORCE_ROOT=1
      - PASSED
  beat:
    <<: *app
    entrypoint: /entrypoint.sh
    command: celery -A shop beat
  pgbouncer:
    image: edoburu/pgbouncer:1.21
    env_file:
      - path: ./pg.env
  db:
    image: docker.io/library/postgres:16
    command: -c max_connections=200
  init:
    image: app
    entrypoint: /bin/bash
    command: ["-c", "exec python manage.py migrate"]
"#;
        assert_eq!(
            procs(DeployKind::Compose, text),
            vec![
                p(
                    11,
                    Some("web"),
                    "manage.py migrate",
                    Migrate,
                    &["--noinput="]
                ),
                p(12, Some("web"), "gunicorn", Web, &["-w=4", "--timeout=30"]),
                p(
                    15,
                    Some("worker"),
                    "celery",
                    Worker,
                    &["-A=shop", "-l=info"]
                ),
                p(21, Some("beat"), "entrypoint.sh", Other, &[]),
                p(22, Some("beat"), "celery", Beat, &["-A=shop"]),
                p(24, Some("pgbouncer"), "pgbouncer", Pooler, &[]),
                p(
                    29,
                    Some("db"),
                    "postgres",
                    Other,
                    &["-c=max_connections=200"]
                ),
                p(33, Some("init"), "manage.py migrate", Migrate, &[]),
            ]
        );
        let facts = parse(DeployKind::Compose, text);
        assert_eq!(
            facts.env,
            vec![
                e("DJANGO_DEBUG", "0", 5),
                e("SENTRY_DSN", "", 6),
                e("C_FORCE_ROOT", "1", 17),
                e("PASSED", "", 18),
                e("DJANGO_DEBUG", "0", 5),
                e("SENTRY_DSN", "", 6),
            ]
        );
        assert_eq!(
            facts.env_files,
            vec![
                (".env.prod".to_string(), 3),
                (".env.prod".to_string(), 3),
                (".env.prod".to_string(), 3),
                ("./pg.env".to_string(), 26),
            ]
        );
        assert_eq!(facts.problems, Vec::<String>::new());
    }

    #[test]
    fn kubernetes_containers_across_documents() {
        let text = r#"apiVersion: apps/v1
kind: Deployment
spec:
  template:
    spec:
      initContainers:
        - name: migrate
          image: shop:1
          command: ["python", "manage.py", "migrate"]
      containers:
        - name: web
          image: shop:1
          command:
            - gunicorn
          args:
            - --workers=3
            - --timeout
            - "20"
            - shop.wsgi
          env:
            - name: DJANGO_SETTINGS_MODULE
              value: shop.settings.prod
            - name: SECRET_KEY
              valueFrom:
                secretKeyRef: {name: s, key: k}
          livenessProbe:
            exec:
              command: ["cat", "/tmp/ok"]
---
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: pooler
          image: bitnami/pgbouncer:1.22
        - name: cache
          image: "memcached:1.6"
          args: ["-m", "256"]
"#;
        assert_eq!(
            procs(DeployKind::Kubernetes, text),
            vec![
                p(9, Some("migrate"), "manage.py migrate", Migrate, &[]),
                p(
                    14,
                    Some("web"),
                    "gunicorn",
                    Web,
                    &["--workers=3", "--timeout=20"]
                ),
                p(36, Some("pooler"), "pgbouncer", Pooler, &[]),
                p(39, Some("cache"), "memcached", Other, &["-m=256"]),
            ]
        );
        assert_eq!(
            env(DeployKind::Kubernetes, text),
            vec![
                e("DJANGO_SETTINGS_MODULE", "shop.settings.prod", 21),
                e("SECRET_KEY", "", 23),
            ]
        );
    }

    #[test]
    fn helm_templates_and_values() {
        let template = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "app.fullname" . }}
spec:
  template:
    spec:
      containers:
        - name: {{ .Chart.Name }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          {{- with .Values.command }}
          command: {{ toYaml . | nindent 12 }}
          {{- end }}
          args: ["celery", "-A", "app", "worker", "--concurrency", "{{ .Values.concurrency }}"]
          env:
            {{- range .Values.env }}
            - name: {{ .name }}
            {{- end }}
"#;
        let facts = parse(DeployKind::Kubernetes, template);
        type Found = (usize, String, ProcessKind, Vec<(String, String)>);
        let found: Vec<Found> = facts
            .processes
            .iter()
            .map(|p| (p.line, p.program.clone(), p.kind, p.options.clone()))
            .collect();
        assert_eq!(
            found,
            vec![(
                14,
                "celery".to_string(),
                Worker,
                vec![
                    ("-A".to_string(), "app".to_string()),
                    ("--concurrency".to_string(), "TEMPLATE".to_string())
                ]
            )]
        );
        assert_eq!(facts.problems, Vec::<String>::new());
        let values = "web:\n  command: \"gunicorn app.wsgi -t 90\"\n  env:\n    DJANGO_DEBUG: \"false\"\nworker:\n  command: [\"celery\", \"-A\", \"app\", \"worker\"]\n  args: [\"--beat\"]\npgbouncer:\n  enabled: true\n  image:\n    repository: bitnami/pgbouncer\n";
        assert_eq!(
            procs(DeployKind::Helm, values),
            vec![
                p(2, None, "gunicorn", Web, &["-t=90"]),
                p(6, None, "celery", Worker, &["-A=app", "--beat="]),
                p(11, None, "pgbouncer", Pooler, &[]),
            ]
        );
        assert_eq!(
            env(DeployKind::Helm, values),
            vec![e("DJANGO_DEBUG", "false", 4)]
        );
    }

    #[test]
    fn commands_of_a_block_scalar_get_their_own_lines() {
        let text = "containers:\n  - name: init\n    command: [\"/bin/sh\", \"-c\"]\n    args:\n      - |\n        set -e\n        python manage.py migrate\n        python manage.py collectstatic --noinput\n        exec gunicorn app.wsgi\n";
        assert_eq!(
            procs(DeployKind::Kubernetes, text),
            vec![
                p(7, Some("init"), "manage.py migrate", Migrate, &[]),
                p(
                    8,
                    Some("init"),
                    "manage.py collectstatic",
                    Other,
                    &["--noinput="]
                ),
                p(9, Some("init"), "gunicorn", Web, &[]),
            ]
        );
    }

    #[test]
    fn unreadable_manifest_falls_back_to_lines() {
        let text = "containers:\n  - name: web\n    command:\n      - gunicorn\n      - --timeout\n      - \"30\"\n    args: [\"app.wsgi\"]\n    env:\n      - name: MODE\n        value: \"prod\"\n  bad: [unclosed\n  - name: worker\n    command: celery -A app worker\n";
        let facts = parse(DeployKind::Kubernetes, text);
        assert_eq!(facts.problems.len(), 1);
        assert!(
            facts.problems[0].starts_with("YAML: "),
            "{:?}",
            facts.problems
        );
        assert_eq!(
            procs(DeployKind::Kubernetes, text),
            vec![
                p(3, None, "gunicorn", Web, &["--timeout=30"]),
                p(13, None, "celery", Worker, &["-A=app"]),
            ]
        );
        assert_eq!(facts.processes[0].args, ["app.wsgi"]);
        assert_eq!(facts.env, vec![e("MODE", "prod", 9)]);
    }

    #[test]
    fn supervisor_and_systemd() {
        let text = "[program:web]\ncommand=/srv/venv/bin/gunicorn app.wsgi\n    --workers 2\nenvironment=DJANGO_DEBUG=\"0\",LANG=\"en_US.UTF-8,x\"\n; command=ignored\n[program:worker]\ncommand=/srv/venv/bin/celery -A app worker --beat\n";
        assert_eq!(
            procs(DeployKind::Supervisor, text),
            vec![
                p(2, Some("web"), "gunicorn", Web, &["--workers=2"]),
                p(7, Some("worker"), "celery", Worker, &["-A=app", "--beat="]),
            ]
        );
        assert_eq!(
            env(DeployKind::Supervisor, text),
            vec![e("DJANGO_DEBUG", "0", 4), e("LANG", "en_US.UTF-8,x", 4)]
        );
        // Comment lines inside a continued ExecStart are dropped, as systemd does.
        let wrapped = "[Service]\nExecStart=/bin/sh -c '\\\n  # wait for the db \\\n  while ! </dev/tcp/db/5432; do sleep 1; done; \\\n  exec granian --interface asgi app.asgi:application'\n";
        assert_eq!(
            procs(DeployKind::Systemd, wrapped),
            vec![p(5, None, "granian", Web, &["--interface=asgi"])]
        );
        let unit = "[Service]\nEnvironment=\"A=1\" B=2\nEnvironmentFile=-/etc/app.env\nExecStartPre=/srv/venv/bin/python manage.py migrate\nExecStart=-/srv/venv/bin/uwsgi \\\n  --ini /etc/uwsgi.ini --harakiri 30\n";
        let facts = parse(DeployKind::Systemd, unit);
        assert_eq!(
            procs(DeployKind::Systemd, unit),
            vec![
                p(4, None, "manage.py migrate", Migrate, &[]),
                p(
                    5,
                    None,
                    "uwsgi",
                    Web,
                    &["--ini=/etc/uwsgi.ini", "--harakiri=30"]
                ),
            ]
        );
        assert_eq!(facts.env, vec![e("A", "1", 2), e("B", "2", 2)]);
        assert_eq!(facts.env_files, vec![("/etc/app.env".to_string(), 3)]);
    }

    #[test]
    fn shell_scripts_and_crontabs_keep_known_programs() {
        let text = "#!/bin/sh\nset -e\necho \"migrating\"\nif [ \"$1\" = web ]; then\n  python manage.py migrate --noinput\n  exec gunicorn app.wsgi \\\n    --timeout 120\nfi\n# exec uwsgi --ini x\ncase \"$1\" in\n  worker) exec s6-setuidgid app celery -A app worker ;;\nesac\n";
        assert_eq!(
            procs(DeployKind::Shell, text),
            vec![
                p(5, None, "manage.py migrate", Migrate, &["--noinput="]),
                p(6, None, "gunicorn", Web, &["--timeout=120"]),
                p(11, None, "celery", Worker, &["-A=app"]),
            ]
        );
        let cron = "MAILTO=ops@example.com\n*/5 * * * * cd /srv && python manage.py send_queued_mail\n@daily root /srv/venv/bin/python /srv/manage.py clearsessions\n0 3 * * * /usr/bin/backup.sh\n30 3 * * * pg_dump -Fc shop > /backups/shop.dump\n";
        assert_eq!(
            procs(DeployKind::Cron, cron),
            vec![
                p(2, None, "manage.py send_queued_mail", Other, &[]),
                p(3, None, "manage.py clearsessions", Other, &[]),
                p(5, None, "pg_dump", Other, &["-Fc=shop"]),
            ]
        );
        assert_eq!(
            env(DeployKind::Cron, cron),
            vec![e("MAILTO", "ops@example.com", 1)]
        );
    }

    #[test]
    fn fly_render_and_app_engine() {
        let fly = "app = \"shop\"\n\n[deploy]\n  release_command = \"python manage.py migrate\"\n\n[env]\n  PORT = \"8000\"\n  WORKERS = 3\n\n[processes]\n  app = \"gunicorn shop.wsgi --timeout 20\"\n  worker = \"celery -A shop worker\"\n";
        assert_eq!(
            procs(DeployKind::Fly, fly),
            vec![
                p(4, Some("release"), "manage.py migrate", Migrate, &[]),
                p(11, Some("app"), "gunicorn", Web, &["--timeout=20"]),
                p(12, Some("worker"), "celery", Worker, &["-A=shop"]),
            ]
        );
        assert_eq!(
            env(DeployKind::Fly, fly),
            vec![e("PORT", "8000", 7), e("WORKERS", "3", 8)]
        );
        assert_eq!(parse(DeployKind::Fly, "[env\nx = 1\n").problems.len(), 1);
        let render = "services:\n  - type: web\n    name: shop\n    preDeployCommand: python manage.py migrate\n    startCommand: gunicorn shop.wsgi:application -k uvicorn.workers.UvicornWorker\n    envVars:\n      - key: WEB_CONCURRENCY\n        value: 4\n      - key: DATABASE_URL\n        fromDatabase: {name: db, property: connectionString}\n  - type: worker\n    name: jobs\n    dockerCommand: celery -A shop worker\n";
        assert_eq!(
            procs(DeployKind::Render, render),
            vec![
                p(4, Some("shop"), "manage.py migrate", Migrate, &[]),
                p(
                    5,
                    Some("shop"),
                    "gunicorn",
                    Web,
                    &["-k=uvicorn.workers.UvicornWorker"]
                ),
                p(13, Some("jobs"), "celery", Worker, &["-A=shop"]),
            ]
        );
        assert_eq!(
            env(DeployKind::Render, render),
            vec![e("WEB_CONCURRENCY", "4", 7), e("DATABASE_URL", "", 9)]
        );
        let app = "runtime: python312\nentrypoint: gunicorn -b :$PORT main.wsgi\nenv_variables:\n  DJANGO_SETTINGS_MODULE: main.settings.gae\n";
        assert_eq!(
            procs(DeployKind::AppEngine, app),
            vec![p(2, None, "gunicorn", Web, &["-b=:$PORT"])]
        );
        assert_eq!(
            env(DeployKind::AppEngine, app),
            vec![e("DJANGO_SETTINGS_MODULE", "main.settings.gae", 4)]
        );
    }

    fn settings(kind: DeployKind, text: &str) -> Vec<(String, String, String, usize)> {
        parse(kind, text)
            .settings
            .into_iter()
            .map(|s| (s.server, s.name, s.value, s.line))
            .collect()
    }

    fn s(server: &str, name: &str, value: &str, line: usize) -> (String, String, String, usize) {
        (
            server.to_string(),
            name.to_string(),
            value.to_string(),
            line,
        )
    }

    #[test]
    fn gunicorn_config_module() {
        let text = "import os\n\nbind = \"0.0.0.0:8000\"\nworkers = int(os.environ.get(\"WORKERS\", 3))  # per core\ntimeout = 30\nif os.environ.get(\"X\"):\n    timeout = 90\nraw_env = [\n    \"A=1\",\n]\nX == 1\ndef on_starting(server):\n    pass\n";
        assert_eq!(
            settings(DeployKind::Gunicorn, text),
            vec![
                s("gunicorn", "bind", "\"0.0.0.0:8000\"", 3),
                s(
                    "gunicorn",
                    "workers",
                    "int(os.environ.get(\"WORKERS\", 3))",
                    4
                ),
                s("gunicorn", "timeout", "30", 5),
                s("gunicorn", "raw_env", "[", 8),
            ]
        );
    }

    #[test]
    fn uwsgi_ini_and_yaml() {
        let ini = "[uwsgi]\nmodule = app.wsgi\nprocesses = 4\n; harakiri = 10\nharakiri = 60\nenv = DJANGO_SETTINGS_MODULE=app.settings.prod\nhook-pre-app = exec:./manage.py migrate\nattach-daemon = ./manage.py qcluster\n[other]\nx = 1\n";
        assert_eq!(
            procs(DeployKind::Uwsgi, ini),
            vec![
                p(7, Some("hook-pre-app"), "manage.py migrate", Migrate, &[]),
                p(8, Some("attach-daemon"), "manage.py qcluster", Worker, &[]),
            ]
        );
        assert_eq!(
            settings(DeployKind::Uwsgi, ini),
            vec![
                s("uwsgi", "module", "app.wsgi", 2),
                s("uwsgi", "processes", "4", 3),
                s("uwsgi", "harakiri", "60", 5),
                s(
                    "uwsgi",
                    "env",
                    "DJANGO_SETTINGS_MODULE=app.settings.prod",
                    6
                ),
                s("uwsgi", "hook-pre-app", "exec:./manage.py migrate", 7),
                s("uwsgi", "attach-daemon", "./manage.py qcluster", 8),
            ]
        );
        assert_eq!(
            env(DeployKind::Uwsgi, ini),
            vec![e("DJANGO_SETTINGS_MODULE", "app.settings.prod", 6)]
        );
        let yaml = "uwsgi:\n  http-timeout: 30\n  socket-timeout: 10\n  env:\n    - A=1\n";
        assert_eq!(
            settings(DeployKind::Uwsgi, yaml),
            vec![
                s("uwsgi", "http-timeout", "30", 2),
                s("uwsgi", "socket-timeout", "10", 3),
                s("uwsgi", "env", "A=1", 5),
            ]
        );
    }

    #[test]
    fn nginx_conf() {
        let text = "server {\n  listen 443 ssl;\n  client_max_body_size 10m; proxy_read_timeout 30s;\n  # proxy_read_timeout 300s;\n  add_header Strict-Transport-Security\n      \"max-age=31536000; includeSubDomains\" always;\n  location / { uwsgi_read_timeout 60; uwsgi_pass app; }\n}\n";
        assert_eq!(
            settings(DeployKind::Nginx, text),
            vec![
                s("nginx", "client_max_body_size", "10m", 3),
                s("nginx", "proxy_read_timeout", "30s", 3),
                s(
                    "nginx",
                    "add_header",
                    "Strict-Transport-Security \"max-age=31536000; includeSubDomains\" always",
                    5
                ),
                s("nginx", "uwsgi_read_timeout", "60", 7),
            ]
        );
    }

    #[test]
    fn empty_malformed_and_huge_inputs() {
        let kinds = [
            DeployKind::Procfile,
            DeployKind::Dockerfile,
            DeployKind::Compose,
            DeployKind::Gunicorn,
            DeployKind::Uwsgi,
            DeployKind::Kubernetes,
            DeployKind::Systemd,
            DeployKind::Supervisor,
            DeployKind::Shell,
            DeployKind::Cron,
            DeployKind::Fly,
            DeployKind::Render,
            DeployKind::AppEngine,
            DeployKind::Nginx,
            DeployKind::Helm,
        ];
        // One 400 kB line of separators, quotes and braces, and a deep flow nesting: every
        // reader returns (a quadratic one would not within the test's time).
        let huge = format!("web: gunicorn {}\n", "a && \"b\" {{ x }} ; ".repeat(20_000));
        let deep = format!("services: {}\n", "[".repeat(100_000));
        for kind in kinds {
            assert_eq!(parse(kind, ""), DeployFacts::default(), "{kind:?}");
            let _ = parse(kind, &huge);
            let _ = parse(kind, &deep);
            let _ = parse(kind, "\u{0}\u{feff}: [\n\t- {{\n\"\\");
        }
        assert_eq!(parse(DeployKind::Procfile, &huge).processes.len(), 40_000);
        let broken = parse(
            DeployKind::Compose,
            "services:\n  web:\n    command: [a, b\n",
        );
        assert_eq!(broken.problems.len(), 1);
    }

    #[test]
    fn http_probes_of_the_application() {
        let probes = |kind: DeployKind, text: &str| -> Vec<(usize, String, String)> {
            parse(kind, text)
                .probes
                .into_iter()
                .map(|p| (p.line, p.kind, p.target))
                .collect()
        };
        let dockerfile = "FROM python:3.12\nHEALTHCHECK --interval=30s CMD curl -f http://localhost:8000/health/ || exit 1\nCMD [\"gunicorn\", \"app.wsgi\"]\n";
        assert_eq!(
            probes(DeployKind::Dockerfile, dockerfile),
            vec![(
                2,
                "HEALTHCHECK".to_string(),
                "curl -f http://localhost:8000/health/ || exit 1".to_string()
            )]
        );
        let compose = "services:\n  web:\n    build: .\n    healthcheck:\n      test: [\"CMD\", \"wget\", \"-qO-\", \"http://localhost/\"]\n  db:\n    image: postgres\n    healthcheck:\n      test: [\"CMD-SHELL\", \"pg_isready -U app\"]\n";
        assert_eq!(
            probes(DeployKind::Compose, compose),
            vec![(
                5,
                "healthcheck".to_string(),
                "wget -qO- http://localhost/".to_string()
            )],
            "the app's own service"
        );
        let other = "services:\n  airflow:\n    build: .\n    command: webserver\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"http://localhost:8080/health\"]\n";
        assert_eq!(
            probes(DeployKind::Compose, other),
            vec![],
            "another tool's service"
        );
        let manifest = "spec:\n  containers:\n    - name: web\n      image: app\n      readinessProbe:\n        httpGet:\n          path: /accounts/login/\n          port: 8000\n      livenessProbe:\n        tcpSocket:\n          port: 8000\n    - name: db\n      image: postgres\n      livenessProbe:\n        exec:\n          command: [\"pg_isready\"]\n";
        assert_eq!(
            probes(DeployKind::Kubernetes, manifest),
            vec![(
                7,
                "readinessProbe".to_string(),
                "/accounts/login/".to_string()
            )]
        );
    }

    #[test]
    fn facts_round_trip_through_json() {
        let facts = parse(
            DeployKind::Procfile,
            "web: gunicorn a.wsgi --settings=a.settings.prod -t 5\n",
        );
        let json = serde_json::to_string(&facts).unwrap();
        let back: DeployFacts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, facts);
        assert!(json.contains("\"kind\":\"web\""), "{json}");
    }
}
