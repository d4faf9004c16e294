//! Command lines: a small shell-like splitter and the classifier that says which program a
//! command starts (gunicorn, celery worker, `manage.py migrate`, …) with its options.

use super::{Process, ProcessKind};

/// How deep `sh -c "sh -c '…'"` bodies are followed: the nesting is the input's, so bounded.
const MAX_SHELL_DEPTH: usize = 4;

/// Flags that take no value, so the word after them is not their value
/// (`gunicorn --preload app.wsgi` keeps `app.wsgi` as an argument).
const BOOLEAN_FLAGS: &[&str] = &[
    // gunicorn
    "--preload",
    "--reload",
    "--daemon",
    "-D",
    "--capture-output",
    "--enable-stdio-inheritance",
    "--no-sendfile",
    "--reuse-port",
    "--check-config",
    "--print-config",
    "--spew",
    // uwsgi
    "--master",
    "--enable-threads",
    "--vacuum",
    "--die-on-term",
    "--lazy-apps",
    "--single-interpreter",
    "--need-app",
    "--strict",
    "--thunder-lock",
    "--no-orphans",
    "--harakiri-verbose",
    "--honour-stdin",
    // uvicorn, daphne, hypercorn
    "--proxy-headers",
    "--no-proxy-headers",
    "--no-access-log",
    "--use-colors",
    "--factory",
    // celery
    "-B",
    "--beat",
    "-E",
    "--task-events",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
    "--purge",
    "--discard",
    "--detach",
    "--quiet",
    // manage.py
    "--noinput",
    "--no-input",
    "--fake",
    "--fake-initial",
    "--check",
    "--plan",
    "--noreload",
    "--nothreading",
    "--insecure",
    "--clear",
    "--run-syncdb",
    "--verbose",
];

/// Words that run the rest of the command line (possibly after their own options or a user):
/// `exec gunicorn`, `gosu app celery`, `poetry run python manage.py …`.
fn wrapper_arity(words: &[String]) -> Option<usize> {
    let first = basename(words.first()?);
    let second = words.get(1).map(String::as_str);
    let n = match first {
        "exec"
        | "nohup"
        | "time"
        | "nice"
        | "dumb-init"
        | "ddtrace-run"
        | "!"
        | "then"
        | "do"
        | "else"
        | "if"
        | "elif"
        | "while"
        | "until"
        | "opentelemetry-instrument"
        | "sentry-run" => 1,
        "tini" => {
            if second == Some("--") {
                2
            } else {
                1
            }
        }
        "gosu" | "su-exec" | "setuidgid" | "s6-setuidgid" => 2,
        // A redirection before the command (`</dev/tcp/db/5432`, `> log`).
        _ if words[0].trim_start_matches('!').starts_with(['<', '>']) => {
            if words[0].len() == 1 {
                2
            } else {
                1
            }
        }
        // A `case` pattern: `web) exec gunicorn …`.
        _ if words[0].ends_with(')') && !words[0].contains('(') => 1,
        "chpst" if second == Some("-u") => 3,
        "sudo" if second == Some("-u") => 3,
        "sudo" => 1,
        "newrelic-admin" if second == Some("run-program") => 2,
        "poetry" | "pipenv" | "uv" | "pdm" | "hatch" | "rye" if second == Some("run") => 2,
        // Heroku buildpacks start these beside the command they wrap (see `side_process`).
        "start-pgbouncer" | "start-pgbouncer-stunnel" | "start-nginx" | "start-nginx-solo" => 1,
        // `watchmedo auto-restart --pattern '*.py' -- celery -A app worker` (development).
        "watchmedo" => words.iter().position(|w| w == "--")? + 1,
        "env" => {
            1 + words[1..]
                .iter()
                .take_while(|w| w.starts_with('-') || is_assignment(w))
                .count()
        }
        _ if is_assignment(&words[0]) => 1,
        _ => return None,
    };
    Some(n)
}

/// `NAME=value`, a shell variable assignment before a command.
fn is_assignment(word: &str) -> bool {
    match word.split_once('=') {
        Some((name, _)) => {
            !name.is_empty()
                && name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }
        None => false,
    }
}

fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// Shell keywords, builtins and file utilities: steps of a script, not processes it starts.
const NOT_PROCESSES: &[&str] = &[
    "done", "fi", "esac", "for", "case", "in", "[", "[[", "test", "true", "false", ":", "export",
    "set", "cd", "echo", "printf", "sleep", "source", ".", "unset", "trap", "wait", "read",
    "local", "return", "exit", "shift", "mkdir", "chmod", "chown", "rm", "cp", "mv", "ln", "touch",
    "cat", "{", "}", "(", ")", "eval", "umask", "ulimit", "declare", "readonly",
];

/// One simple command of a command line: its source text and its words.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Segment {
    pub text: String,
    pub words: Vec<String>,
}

/// Splits a shell command line into simple commands at unquoted `&&`, `||`, `;`, `|`, `&`
/// and newlines, and each into words with quotes removed. Linear in the input: `$(…)` and
/// backticks are kept inside the word they appear in, not parsed.
pub(super) fn split(line: &str) -> Vec<Segment> {
    let mut segments = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut start = 0;
    let mut quote: Option<char> = None;
    let mut chars = line.char_indices().peekable();
    let finish =
        |words: &mut Vec<String>, segments: &mut Vec<Segment>, start: usize, end: usize| {
            if !words.is_empty() {
                segments.push(Segment {
                    text: line[start..end].trim().to_string(),
                    words: std::mem::take(words),
                });
            }
        };
    while let Some((i, c)) = chars.next() {
        match quote {
            Some('\'') if c == '\'' => quote = None,
            Some('"') if c == '"' => quote = None,
            Some('"') if c == '\\' => {
                if let Some(&(_, next)) = chars.peek() {
                    if matches!(next, '"' | '\\' | '$' | '`') {
                        chars.next();
                        word.push(next);
                        continue;
                    }
                }
                word.push(c);
            }
            Some(_) => word.push(c),
            None => match c {
                // A comment runs to the end of the line (`sh -c` bodies written over lines).
                '#' if !in_word => {
                    while chars.peek().is_some_and(|&(_, n)| n != '\n') {
                        chars.next();
                    }
                }
                '\'' | '"' => {
                    quote = Some(c);
                    in_word = true;
                }
                '\\' => {
                    if let Some((_, next)) = chars.next() {
                        if next != '\n' {
                            word.push(next);
                            in_word = true;
                        }
                    }
                }
                // `2>&1` and `&>log` are redirections, not separators.
                '&' if line[..i].ends_with('>') || line[i + 1..].starts_with('>') => {
                    word.push(c);
                    in_word = true;
                }
                ';' | '&' | '|' | '\n' => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                    finish(&mut words, &mut segments, start, i);
                    if let Some(&(_, next)) = chars.peek() {
                        if (c == '&' || c == '|') && next == c {
                            chars.next();
                        }
                    }
                    start = chars.peek().map_or(line.len(), |&(j, _)| j);
                }
                c if c.is_whitespace() => {
                    if in_word {
                        words.push(std::mem::take(&mut word));
                        in_word = false;
                    }
                }
                _ => {
                    word.push(c);
                    in_word = true;
                }
            },
        }
    }
    if in_word {
        words.push(word);
    }
    finish(&mut words, &mut segments, start, line.len());
    segments
}

/// Joins continuation lines (`\` + newline) and folds every run of whitespace that holds a
/// newline into one space: the command as one line.
pub(super) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek() == Some(&'\n') {
            chars.next();
            pending_space = true;
            continue;
        }
        if c == '\n' || c == '\r' {
            pending_space = true;
            continue;
        }
        if pending_space && c.is_whitespace() {
            continue;
        }
        if pending_space {
            if !out.is_empty() && !out.ends_with(' ') {
                out.push(' ');
            }
            pending_space = false;
        }
        out.push(c);
    }
    out.trim().to_string()
}

/// The processes a shell command line starts, `sh -c` bodies followed. With `known_only`
/// (shell scripts, crontabs) a command whose program is not recognised is not a process:
/// there every `echo` and `mkdir` would be one.
pub(super) fn processes_of_line(line: &str, number: usize, known_only: bool) -> Vec<Process> {
    // Only continuations are joined: a newline in a YAML block scalar or an `sh -c` body
    // separates commands, as it does for the shell.
    let folded = line.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut out = Vec::new();
    let mut queue: Vec<(Segment, usize)> = split(&folded).into_iter().map(|s| (s, 0)).collect();
    queue.reverse();
    while let Some((segment, depth)) = queue.pop() {
        out.extend(side_processes(&segment.text, &segment.words, number));
        let words = strip_wrappers(&segment.words);
        if let Some(body) = shell_body(words) {
            if depth < MAX_SHELL_DEPTH {
                let mut inner: Vec<(Segment, usize)> =
                    split(body).into_iter().map(|s| (s, depth + 1)).collect();
                inner.reverse();
                queue.extend(inner);
            }
            continue;
        }
        if let Some(process) = classify(&segment.text, words, number, known_only) {
            out.push(process);
        }
    }
    out
}

/// The processes an exec-form command (`["gunicorn", "-b", ":8000"]`) starts.
pub(super) fn processes_of_words(
    words: &[String],
    number: usize,
    known_only: bool,
) -> Vec<Process> {
    let mut out = side_processes(&join_words(words), words, number);
    let stripped = strip_wrappers(words);
    if let Some(body) = shell_body(stripped) {
        out.extend(processes_of_line(body, number, known_only));
        return out;
    }
    let text = join_words(words);
    out.extend(classify(&text, stripped, number, known_only));
    out
}

/// Words joined back into one line, quoting those with spaces.
pub(super) fn join_words(words: &[String]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| {
            if w.is_empty() || w.contains(char::is_whitespace) {
                format!("\"{w}\"")
            } else {
                w.clone()
            }
        })
        .collect();
    quoted.join(" ")
}

/// Processes a wrapper starts beside the command it wraps: `bin/start-pgbouncer gunicorn …`
/// (Heroku's pgbouncer buildpack) runs a pooler, `bin/start-nginx` an nginx.
fn side_processes(text: &str, mut words: &[String], line: usize) -> Vec<Process> {
    let mut out = Vec::new();
    while let Some(n) = wrapper_arity(words) {
        let (program, kind) = match basename(&words[0]) {
            "start-pgbouncer" | "start-pgbouncer-stunnel" => ("pgbouncer", ProcessKind::Pooler),
            "start-nginx" | "start-nginx-solo" => ("nginx", ProcessKind::Other),
            _ => {
                words = &words[n.min(words.len())..];
                continue;
            }
        };
        out.push(Process {
            line,
            name: None,
            command: fold(text),
            program: program.to_string(),
            kind,
            beat: false,
            options: Vec::new(),
            args: Vec::new(),
        });
        words = &words[n.min(words.len())..];
    }
    out
}

fn strip_wrappers(mut words: &[String]) -> &[String] {
    // Each step removes at least one word, so this ends.
    while let Some(n) = wrapper_arity(words) {
        words = &words[n.min(words.len())..];
    }
    words
}

/// The body of `sh -c "…"` / `bash -ec '…'`.
fn shell_body(words: &[String]) -> Option<&str> {
    let first = basename(words.first()?);
    if !matches!(first, "sh" | "bash" | "ash" | "dash" | "zsh") {
        return None;
    }
    let at = words[1..]
        .iter()
        .position(|w| w.starts_with('-') && !w.starts_with("--") && w.contains('c'))?;
    words.get(at + 2).map(String::as_str)
}

/// Which program `words` start, with its kind, options and arguments. `None` for an empty
/// command, and for an unknown program when `known_only`.
fn classify(text: &str, words: &[String], line: usize, known_only: bool) -> Option<Process> {
    let first = words.first()?;
    let base = basename(first);
    if NOT_PROCESSES.contains(&first.as_str()) {
        return None;
    }
    // `python -m gunicorn …`, `python manage.py …`, `python3.12 …`.
    let is_python = base.starts_with("python") && !base.ends_with(".py");
    // `${CELERY_BIN} multi start …`: a variable named after a known program stands for it.
    let variable = first
        .strip_prefix('$')
        .map(|v| v.trim_matches(['{', '}']).to_ascii_lowercase());
    let variable_program = variable
        .as_deref()
        .and_then(|v| v.split('_').next())
        .filter(|v| KNOWN_VARIABLE_PROGRAMS.contains(v));
    let (program_word, rest) = if let Some(program) = variable_program {
        (program, &words[1..])
    } else if first.starts_with('-') {
        // Only arguments, for an entrypoint defined elsewhere (the image's): no program.
        ("", words)
    } else if is_python {
        match words.get(1).map(String::as_str) {
            Some("-m") if words.len() > 2 => (words[2].as_str(), &words[3..]),
            Some(script) if script.ends_with(".py") => (basename(script), &words[2..]),
            _ => ("python", &words[1..]),
        }
    } else {
        (base, &words[1..])
    };
    let (options, args) = parse_options(rest);
    let first_arg = args.first().cloned().unwrap_or_default();
    let has = |name: &str| options.iter().any(|(n, _)| n == name);
    let (program, kind) = match program_word {
        "gunicorn" | "uwsgi" | "daphne" | "uvicorn" | "hypercorn" | "granian" => {
            (program_word.to_string(), ProcessKind::Web)
        }
        "waitress-serve" | "waitress" => ("waitress".to_string(), ProcessKind::Web),
        "celery" => {
            // `celery -A app worker`, old `celery worker -A app`, `celery multi start w1`.
            let kind = match first_arg.as_str() {
                "worker" | "multi" => ProcessKind::Worker,
                "beat" => ProcessKind::Beat,
                _ => ProcessKind::Other,
            };
            ("celery".to_string(), kind)
        }
        "manage.py" | "django-admin" | "django-admin.py" => {
            let command = first_arg.as_str();
            let kind = match command {
                "runserver" | "runserver_plus" => ProcessKind::DevServer,
                "migrate" => ProcessKind::Migrate,
                "rqworker" | "qcluster" | "run_huey" | "runworker" | "db_worker"
                | "procrastinate" => ProcessKind::Worker,
                "rqscheduler" | "celerybeat" => ProcessKind::Beat,
                "celery" => match args.get(1).map(String::as_str) {
                    Some("beat") => ProcessKind::Beat,
                    Some("worker") => ProcessKind::Worker,
                    _ => ProcessKind::Other,
                },
                "celeryd" => ProcessKind::Worker,
                _ => ProcessKind::Other,
            };
            let name = program_word.trim_end_matches(".py");
            let name = if name == "manage" { "manage.py" } else { name };
            (format!("{name} {command}").trim_end().to_string(), kind)
        }
        "rq" => {
            let kind = if first_arg == "worker" {
                ProcessKind::Worker
            } else {
                ProcessKind::Other
            };
            ("rq".to_string(), kind)
        }
        "rqworker" => ("rq".to_string(), ProcessKind::Worker),
        "rqscheduler" => ("rqscheduler".to_string(), ProcessKind::Beat),
        "dramatiq" | "arq" => (program_word.to_string(), ProcessKind::Worker),
        "huey_consumer" | "huey_consumer.py" => ("huey".to_string(), ProcessKind::Worker),
        "procrastinate" => {
            let kind = if args.iter().any(|a| a == "worker") {
                ProcessKind::Worker
            } else {
                ProcessKind::Other
            };
            ("procrastinate".to_string(), kind)
        }
        "pgbouncer" | "pgpool" => (program_word.to_string(), ProcessKind::Pooler),
        "nginx" => ("nginx".to_string(), ProcessKind::Other),
        // Backups a script or cron entry takes: evidence for the backup check.
        "pg_dump" | "pg_dumpall" | "pg_basebackup" | "mysqldump" | "mariadb-dump" | "wal-g"
        | "pgbackrest" | "barman" => (program_word.to_string(), ProcessKind::Other),
        // A project's own management CLI (`nautobot-server celery worker`,
        // `python -m app.cli runserver`) with a Django command as its first argument.
        other if management_kind(&args).is_some() => (
            other.to_string(),
            management_kind(&args).unwrap_or(ProcessKind::Other),
        ),
        _ if known_only => return None,
        other => (other.to_string(), ProcessKind::Other),
    };
    if program.is_empty() && known_only {
        return None;
    }
    let beat = program == "celery" && kind == ProcessKind::Worker && (has("-B") || has("--beat"));
    Some(Process {
        line,
        name: None,
        command: fold(text),
        program,
        kind,
        beat,
        options,
        args,
    })
}

/// Programs a `${NAME_BIN}`-style variable is taken for.
const KNOWN_VARIABLE_PROGRAMS: &[&str] = &["gunicorn", "uwsgi", "celery", "daphne", "uvicorn"];

/// The kind of a Django-style command line `runserver …`, `migrate`, `celery worker`, `rqworker`
/// given to some other program.
fn management_kind(args: &[String]) -> Option<ProcessKind> {
    let kind = match args.first()?.as_str() {
        "runserver" | "runserver_plus" => ProcessKind::DevServer,
        "migrate" => ProcessKind::Migrate,
        "rqworker" | "qcluster" | "run_huey" => ProcessKind::Worker,
        "celery" => match args.get(1).map(String::as_str) {
            Some("worker") => ProcessKind::Worker,
            Some("beat") => ProcessKind::Beat,
            _ => return None,
        },
        _ => return None,
    };
    Some(kind)
}

/// Options as written (`--timeout 30`, `--timeout=30`, `-t 30` → `("--timeout", "30")`,
/// `("-t", "30")`; a flag alone has an empty value) and the positional arguments.
/// Without each program's option table, a flag not known to be boolean takes the next word
/// as its value unless that word is itself an option (`-` alone is a value: stdout).
fn parse_options(words: &[String]) -> (Vec<(String, String)>, Vec<String>) {
    let mut options = Vec::new();
    let mut args = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        i += 1;
        if word == "--" || !word.starts_with('-') || word == "-" {
            if word != "--" {
                args.push(word.clone());
            }
            continue;
        }
        if let Some((name, value)) = word.split_once('=') {
            options.push((name.to_string(), value.to_string()));
            continue;
        }
        let takes_value = !BOOLEAN_FLAGS.contains(&word.as_str())
            && words
                .get(i)
                .is_some_and(|next| !next.starts_with('-') || next == "-");
        if takes_value {
            options.push((word.clone(), words[i].clone()));
            i += 1;
        } else {
            options.push((word.clone(), String::new()));
        }
    }
    (options, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<Vec<String>> {
        split(line).into_iter().map(|s| s.words).collect()
    }

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn splitter_handles_quotes_separators_and_redirections() {
        assert_eq!(
            words("python manage.py migrate && exec gunicorn -b \"0.0.0.0:8000\" 'a b' 2>&1; echo \"x \\\" y\" | tee log"),
            vec![
                s(&["python", "manage.py", "migrate"]),
                s(&["exec", "gunicorn", "-b", "0.0.0.0:8000", "a b", "2>&1"]),
                s(&["echo", "x \" y"]),
                s(&["tee", "log"]),
            ]
        );
        let segments = split("a 1 || b 2 & c");
        let texts: Vec<&str> = segments.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(texts, ["a 1", "b 2", "c"]);
        assert_eq!(split("  ;; && "), vec![]);
        assert_eq!(
            words("echo 'unterminated"),
            vec![s(&["echo", "unterminated"])]
        );
    }

    #[test]
    fn fold_joins_continuations() {
        assert_eq!(
            fold("gunicorn \\\n    --workers 3 \\\n  app.wsgi\n"),
            "gunicorn --workers 3 app.wsgi"
        );
    }

    #[test]
    fn options_in_every_spelling() {
        let p = &processes_of_line(
            "gunicorn --timeout 30 --workers=4 -t 60 --preload config.wsgi:application --access-logfile - -b :8000",
            3,
            false,
        )[0];
        assert_eq!(p.program, "gunicorn");
        assert_eq!(p.kind, ProcessKind::Web);
        assert_eq!(p.line, 3);
        assert_eq!(
            p.options,
            vec![
                ("--timeout".to_string(), "30".to_string()),
                ("--workers".to_string(), "4".to_string()),
                ("-t".to_string(), "60".to_string()),
                ("--preload".to_string(), String::new()),
                ("--access-logfile".to_string(), "-".to_string()),
                ("-b".to_string(), ":8000".to_string()),
            ]
        );
        assert_eq!(p.args, s(&["config.wsgi:application"]));
    }

    fn kinds(line: &str) -> Vec<(String, ProcessKind, bool)> {
        processes_of_line(line, 1, false)
            .into_iter()
            .map(|p| (p.program, p.kind, p.beat))
            .collect()
    }

    #[test]
    fn programs_and_kinds() {
        use ProcessKind::*;
        type Want = Vec<(&'static str, ProcessKind, bool)>;
        let cases: Vec<(&str, Want)> = vec![
            (
                "celery -A proj worker -l info -B",
                vec![("celery", Worker, true)],
            ),
            ("celery --app=proj beat", vec![("celery", Beat, false)]),
            ("celery worker --app proj", vec![("celery", Worker, false)]),
            ("celery -A proj flower", vec![("celery", Other, false)]),
            (
                "python3 -m celery -A p worker --beat",
                vec![("celery", Worker, true)],
            ),
            (
                "/venv/bin/python ./manage.py runserver 0.0.0.0:8000",
                vec![("manage.py runserver", DevServer, false)],
            ),
            (
                "./manage.py migrate --noinput",
                vec![("manage.py migrate", Migrate, false)],
            ),
            (
                "django-admin rqworker default",
                vec![("django-admin rqworker", Worker, false)],
            ),
            (
                "python manage.py qcluster",
                vec![("manage.py qcluster", Worker, false)],
            ),
            (
                "python manage.py run_huey",
                vec![("manage.py run_huey", Worker, false)],
            ),
            ("rq worker high default", vec![("rq", Worker, false)]),
            ("dramatiq app.tasks", vec![("dramatiq", Worker, false)]),
            ("huey_consumer.py app.huey", vec![("huey", Worker, false)]),
            (
                "procrastinate --app=x.app worker",
                vec![("procrastinate", Worker, false)],
            ),
            (
                "uvicorn app.asgi:application",
                vec![("uvicorn", Web, false)],
            ),
            (
                "waitress-serve --port=8080 app.wsgi:application",
                vec![("waitress", Web, false)],
            ),
            (
                "/usr/bin/pgbouncer /etc/pgbouncer.ini",
                vec![("pgbouncer", Pooler, false)],
            ),
            ("nginx -g 'daemon off;'", vec![("nginx", Other, false)]),
            ("node server.js", vec![("node", Other, false)]),
            (
                "gosu app env DJANGO_DEBUG=0 poetry run gunicorn x.wsgi",
                vec![("gunicorn", Web, false)],
            ),
            (
                "newrelic-admin run-program uwsgi --ini uwsgi.ini",
                vec![("uwsgi", Web, false)],
            ),
            (
                "tini -- daphne -b 0.0.0.0 app.asgi:application",
                vec![("daphne", Web, false)],
            ),
            (
                "sh -c \"python manage.py migrate && python manage.py runserver_plus\"",
                vec![
                    ("manage.py migrate", Migrate, false),
                    ("manage.py runserver_plus", DevServer, false),
                ],
            ),
            (
                "bash -ec 'sleep 2; exec sh -c \"celery -A a beat\"'",
                vec![("celery", Beat, false)],
            ),
            (
                "sh -c 'while ! </dev/tcp/db/5432; do sleep 1; done; cd /app && ./run.sh # go\n'",
                vec![("run.sh", Other, false)],
            ),
            (
                "watchmedo auto-restart --pattern '*.py' -- nautobot-server celery worker -l INFO",
                vec![("nautobot-server", Worker, false)],
            ),
            ("app-server migrate --fake", vec![("app-server", Migrate, false)]),
            (
                "bin/start-nginx bin/start-pgbouncer gunicorn a.wsgi",
                vec![("nginx", Other, false), ("pgbouncer", Pooler, false), ("gunicorn", Web, false)],
            ),
            ("${CELERY_BIN} -A app multi start w1", vec![("celery", Worker, false)]),
            ("$RUNNER beat", vec![("$RUNNER", Other, false)]),
            (
                "sh -c 'until !</dev/tcp/db/5432; do :; done\nfind /m -type f | xargs chmod 644\nexec uwsgi'",
                vec![("find", Other, false), ("xargs", Other, false), ("uwsgi", Web, false)],
            ),
        ];
        for (line, want) in cases {
            let want: Vec<(String, ProcessKind, bool)> = want
                .into_iter()
                .map(|(p, k, b)| (p.to_string(), k, b))
                .collect();
            assert_eq!(kinds(line), want, "{line}");
        }
    }

    #[test]
    fn a_dev_server_also_serves_the_web() {
        let p = &processes_of_line("python manage.py runserver_plus", 1, false)[0];
        assert!(p.runs(ProcessKind::DevServer));
        assert!(p.runs(ProcessKind::Web));
        assert!(!p.runs(ProcessKind::Worker));
    }

    #[test]
    fn known_only_drops_unknown_programs_and_exec_form_follows_sh_c() {
        let found = processes_of_line("echo start; mkdir -p /x && exec gunicorn a.wsgi", 9, true);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].program, "gunicorn");
        assert_eq!(found[0].command, "exec gunicorn a.wsgi");
        let found = processes_of_words(&s(&["/bin/sh", "-c", "celery -A a worker"]), 2, false);
        assert_eq!(found[0].kind, ProcessKind::Worker);
        assert_eq!(found[0].command, "celery -A a worker");
        let found = processes_of_words(&s(&["gunicorn", "--bind", "0.0.0.0:80", "a b"]), 2, false);
        assert_eq!(found[0].command, "gunicorn --bind 0.0.0.0:80 \"a b\"");
    }

    #[test]
    fn deep_sh_c_nesting_stops() {
        let mut line = "gunicorn a".to_string();
        for _ in 0..10 {
            let escaped = line.replace('\\', "\\\\").replace('"', "\\\"");
            line = format!("sh -c \"{escaped}\"");
        }
        // Four levels are followed.
        assert_eq!(
            processes_of_line("sh -c \"sh -c 'gunicorn a'\"", 1, false).len(),
            1
        );
        // Past the depth bound the body is not followed: no process, no hang.
        assert_eq!(processes_of_line(&line, 1, false), vec![]);
    }
}
