//! Inputs: small projects built deterministically from `(seed, index)`. Most are fixture files
//! mutated a few times; the rest are "shapes", pathological files of a given size (deep
//! nesting, long chains, many repeated statements) whose size alone is the knob, so a crash
//! on one is minimized by shrinking that size.

use crate::corpus::Corpus;
use crate::rng::Rng;

/// One input project.
#[derive(Clone, Debug)]
pub struct Input {
    /// How it was made: `mutate <project> <mutations>` or `shape <name> <place> <n>`.
    pub recipe: String,
    /// The shape's name, or `mutate`: inputs of a shape that keeps crashing can be muted.
    pub family: String,
    pub files: Vec<(String, Vec<u8>)>,
    /// Run through `pipeline::run` on a temporary directory rather than in memory.
    pub disk: bool,
    /// `--settings` for the run.
    pub named: Option<String>,
    /// A mutated rule TOML run beside the embedded rules (it may fail to load).
    pub rule: Option<String>,
}

pub struct Options {
    /// Percent of inputs run on disk.
    pub disk_percent: usize,
    /// Families (shape names) whose inputs are skipped.
    pub muted: Vec<String>,
}

/// Where a shape's file goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Settings,
    Module,
}

impl Place {
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Settings => "settings",
            Place::Module => "module",
        }
    }

    pub fn parse(text: &str) -> Option<Place> {
        match text {
            "settings" => Some(Place::Settings),
            "module" => Some(Place::Module),
            _ => None,
        }
    }
}

/// Every shape and the largest size tried: quadratic-sized shapes (indentation) get less.
pub const SHAPES: &[(&str, usize)] = &[
    ("nested-if", 1200),
    ("nested-if-tabs", 1200),
    ("nested-def", 1200),
    ("nested-parens", 40_000),
    ("nested-list", 40_000),
    ("nested-dict", 40_000),
    ("nested-call", 40_000),
    ("nested-lambda", 20_000),
    ("nested-fstring", 5_000),
    ("nested-comprehension", 10_000),
    ("nested-ternary", 20_000),
    ("attr-chain", 40_000),
    ("subscript-target", 40_000),
    ("subscript-chain", 40_000),
    ("call-chain", 20_000),
    ("environ-get-chain", 20_000),
    ("elif-chain", 20_000),
    ("binop-chain", 40_000),
    ("not-chain", 40_000),
    ("unary-chain", 40_000),
    ("compare-chain", 40_000),
    ("implicit-concat", 40_000),
    ("chained-assign", 20_000),
    ("continuation", 20_000),
    ("decorators", 20_000),
    ("dict-merge", 20_000),
    ("append", 60_000),
    ("augassign", 60_000),
    ("list-concat", 20_000),
    ("undecidable-if", 30_000),
    ("reassign", 60_000),
    ("many-names", 60_000),
    ("star-chain", 3_000),
    ("long-line-calls", 40_000),
    ("many-calls", 40_000),
    ("long-string", 40_000),
    ("dotted-import", 20_000),
];

const SETTINGS_PRELUDE: &str = "import os\n\nSECRET_KEY = os.environ[\"SECRET_KEY\"]\nDEBUG = False\nALLOWED_HOSTS = [\"example.com\"]\nINSTALLED_APPS = [\"django.contrib.admin\"]\nMIDDLEWARE = [\"django.middleware.security.SecurityMiddleware\"]\n";
const MODULE_PRELUDE: &str = "import os\nimport pickle\nimport requests\nimport subprocess\n\n";
const MANAGE_PY: &str = "import os\nimport sys\n\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"proj.settings\")\n";

/// Builds input `index` of the campaign `seed`; `None` when its family is muted.
pub fn generate(corpus: &Corpus, seed: u64, index: u64, opts: &Options) -> Option<Input> {
    let mut rng = Rng::new(seed, index);
    let mut input = if rng.chance(30) {
        let (name, max) = *rng.pick(SHAPES);
        if opts.muted.iter().any(|m| m == name) {
            return None;
        }
        let place = if rng.chance(50) {
            Place::Settings
        } else {
            Place::Module
        };
        shape_input(name, place, rng.size(max))
    } else {
        mutate_input(corpus, &mut rng)
    };
    input.disk = rng.chance(opts.disk_percent);
    if rng.chance(5) {
        input.rule = Some(mutated_rule(corpus, &mut rng));
    }
    if !input.disk {
        in_memory_text(&mut input);
    }
    Some(input)
}

/// The in-memory entry takes text: make each file what a read of it would give (the real reader
/// skips files with NUL bytes or invalid UTF-8, so the text fed here is text a file can hold).
pub fn in_memory_text(input: &mut Input) {
    for (_, bytes) in &mut input.files {
        let text = String::from_utf8_lossy(bytes).replace('\0', " ");
        *bytes = text.into_bytes();
    }
}

/// The project of one shape: the shape's file, a settings module and a `manage.py` naming it.
pub fn shape_input(name: &str, place: Place, n: usize) -> Input {
    let mut files: Vec<(String, Vec<u8>)> = vec![("manage.py".to_string(), MANAGE_PY.into())];
    let body = if name == "star-chain" {
        // A chain of modules, each star-importing the next; the last sets DEBUG.
        for i in 0..n {
            let next = if i + 1 < n {
                format!("from .m{} import *\n", i + 1)
            } else {
                "DEBUG = True\n".to_string()
            };
            files.push((format!("proj/m{i}.py"), next.into_bytes()));
        }
        "from .m0 import *\n".to_string()
    } else {
        shape_body(name, n)
    };
    match place {
        Place::Settings => {
            files.push((
                "proj/settings.py".to_string(),
                format!("{SETTINGS_PRELUDE}{body}").into_bytes(),
            ));
        }
        Place::Module => {
            files.push(("proj/settings.py".to_string(), SETTINGS_PRELUDE.into()));
            files.push((
                "app/views.py".to_string(),
                format!("{MODULE_PRELUDE}{body}").into_bytes(),
            ));
        }
    }
    Input {
        recipe: format!("shape {name} {} {n}", place.as_str()),
        family: name.to_string(),
        files,
        disk: false,
        named: None,
        rule: None,
    }
}

fn indented(n: usize, unit: &str, head: &str, tail: &str) -> String {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&unit.repeat(i));
        out.push_str(head);
    }
    out.push_str(&unit.repeat(n));
    out.push_str(tail);
    out
}

fn repeated(head: &str, line: &str, n: usize) -> String {
    let mut out = String::from(head);
    for _ in 0..n {
        out.push_str(line);
    }
    out
}

fn wrapped(prefix: &str, open: &str, middle: &str, close: &str, n: usize) -> String {
    format!("{prefix}{}{middle}{}\n", open.repeat(n), close.repeat(n))
}

/// The text of one shape of size `n`.
pub fn shape_body(name: &str, n: usize) -> String {
    match name {
        "nested-if" => indented(n, " ", "if a:\n", "x = \"s\"\n"),
        "nested-if-tabs" => indented(n, "\t", "if a:\n", "DEBUG = \"s\"\n"),
        "nested-def" => indented(n, " ", "def f():\n", "return requests.get(u)\n"),
        "nested-parens" => wrapped("X = ", "(", "1", ")", n),
        "nested-list" => wrapped("X = ", "[", "", "]", n),
        "nested-dict" => wrapped("DATABASES = ", "{'a': ", "1", "}", n),
        "nested-call" => wrapped("SECRET_KEY = ", "f(", "'x'", ")", n),
        "nested-lambda" => format!("X = {}1\n", "lambda: ".repeat(n)),
        "nested-fstring" => wrapped("X = ", "f'{", "1", "}'", n),
        "nested-comprehension" => wrapped("X = ", "[x for x in ", "y", "]", n),
        "nested-ternary" => format!("DEBUG = {}False\n", "True if a else ".repeat(n)),
        "attr-chain" => format!("SECRET_KEY = a{}\n", ".b".repeat(n)),
        "subscript-target" => format!("DATABASES{} = 1\n", "['a']".repeat(n)),
        "subscript-chain" => format!("SECRET_KEY = D{}\n", "['a']".repeat(n)),
        "call-chain" => format!("X = requests.Session(){}\n", ".get(u)".repeat(n)),
        "environ-get-chain" => wrapped("SECRET_KEY = ", "os.environ.get('A', ", "'x'", ")", n),
        "elif-chain" => {
            let mut out = String::from("if x == 0:\n    DEBUG = True\n");
            for i in 1..n {
                out.push_str(&format!("elif x == {i}:\n    DEBUG = {i}\n"));
            }
            out
        }
        "binop-chain" => format!("SECRET_KEY = 'a'{}\n", " + 'a'".repeat(n)),
        "not-chain" => format!("DEBUG = {}True\n", "not ".repeat(n)),
        "unary-chain" => format!("X = {}1\n", "-".repeat(n)),
        "compare-chain" => format!("DEBUG = a{}\n", " < a".repeat(n)),
        "implicit-concat" => format!("SECRET_KEY = ({})\n", "'a' ".repeat(n)),
        "chained-assign" => format!("{}'x'\n", "SECRET_KEY = ".repeat(n)),
        "continuation" => format!("X = 1{}\n", " \\\n + 1".repeat(n)),
        "decorators" => format!("{}def f():\n    pass\n", "@d\n".repeat(n)),
        "dict-merge" => {
            let merges: String = (0..n)
                .map(|i| format!("D = {{**D, 'k{i}': {i}}}\n"))
                .collect();
            format!("D = {{}}\n{merges}")
        }
        "append" => repeated("", "INSTALLED_APPS.append('x')\n", n),
        "augassign" => repeated("", "MIDDLEWARE += ['m']\n", n),
        "list-concat" => repeated("L = []\n", "L = L + ['x']\n", n),
        "undecidable-if" => repeated("", "if os.environ.get('X'):\n    DEBUG = True\n", n),
        "reassign" => repeated("", "DEBUG = True\nDEBUG = False\n", n),
        "many-names" => (0..n).map(|i| format!("S{i} = {i}\n")).collect(),
        "long-line-calls" => format!("{}\n", "requests.get(u); ".repeat(n)),
        "many-calls" => repeated("", "requests.get(u)\n", n),
        "long-string" => format!("SECRET_KEY = '{}'\n", "aé".repeat(n * 32)),
        "dotted-import" => format!("import {}b\n", "a.".repeat(n)),
        _ => String::new(),
    }
}

fn is_settingsish(rel: &str) -> bool {
    rel.contains("settings") || rel.ends_with("manage.py") || rel.ends_with("wsgi.py")
}

fn is_manifest(rel: &str) -> bool {
    matches!(
        audit::discover::classify(rel),
        audit::discover::FileKind::Manifest(_)
    ) || rel.ends_with(".toml")
}

/// A few files of one fixture project, each mutated a few times.
/// How much one `repeat-line` mutation may add to a file.
const MAX_REPEAT_BYTES: usize = 4 << 20;

fn mutate_input(corpus: &Corpus, rng: &mut Rng) -> Input {
    let project = rng.pick(&corpus.projects);
    let mut files: Vec<(String, Vec<u8>)> = if rng.chance(5) {
        project.files.clone()
    } else {
        let mut chosen = Vec::new();
        for file in &project.files {
            let keep = if is_settingsish(&file.0) {
                rng.chance(70)
            } else if is_manifest(&file.0) {
                rng.chance(40)
            } else {
                rng.chance(8)
            };
            if keep && chosen.len() < 12 {
                chosen.push(file.clone());
            }
        }
        if chosen.is_empty() {
            chosen.push(rng.pick(&project.files).clone());
        }
        chosen
    };
    if rng.chance(15) {
        let extra = rng.pick(&corpus.projects.last().expect("extra manifests").files);
        files.push(extra.clone());
    }
    let mut applied = Vec::new();
    for _ in 0..rng.range(1, 4) {
        let target = if rng.chance(60) {
            files
                .iter()
                .position(|f| is_settingsish(&f.0))
                .unwrap_or_else(|| rng.below(files.len()))
        } else {
            rng.below(files.len())
        };
        let name = mutate_file(corpus, rng, &mut files, target);
        applied.push(name);
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    files.dedup_by(|a, b| a.0 == b.0);
    let named = if rng.chance(15) {
        files
            .iter()
            .find(|f| f.0.contains("settings"))
            .map(|f| audit::model::settings::module_of(&f.0).0)
    } else if rng.chance(3) {
        Some("proj.setings".to_string())
    } else {
        None
    };
    Input {
        recipe: format!("mutate {} {}", project.name, applied.join(",")),
        family: "mutate".to_string(),
        files,
        disk: false,
        named,
        rule: None,
    }
}

/// Byte offsets of line starts in `bytes`.
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    starts
}

fn random_line<'a>(rng: &mut Rng, bytes: &'a [u8]) -> &'a [u8] {
    let starts = line_starts(bytes);
    let i = rng.below(starts.len());
    let end = starts.get(i + 1).copied().unwrap_or(bytes.len());
    &bytes[starts[i]..end]
}

/// A position at a line start (so inserted statements stay statements).
fn line_position(rng: &mut Rng, bytes: &[u8]) -> usize {
    let starts = line_starts(bytes);
    *rng.pick(&starts)
}

const NON_ASCII: &[&str] = &[
    "é",
    "€",
    "😀",
    "\u{2028}",
    "\u{85}",
    "\u{200b}",
    "\u{202e}",
    "\u{feff}",
    "ß",
    "İ",
    "\u{301}",
    "日本",
    "\u{fffd}",
    "\u{10ffff}",
    "Ω",
];

const TOKENS: &[&str] = &[
    "DEBUG = True\n",
    "SECRET_KEY = \"django-insecure-x\"\n",
    "ALLOWED_HOSTS = [\"*\"]\n",
    "from .base import *\n",
    "from . import *\n",
    "import requests\n",
    "requests.get(u)\n",
    "pickle.loads(data)\n",
    "subprocess.run(cmd, shell=True)\n",
    "if os.environ.get(\"X\"):\n    DEBUG = True\nelse:\n    DEBUG = False\n",
    "INSTALLED_APPS += [\"debug_toolbar\"]\n",
    "MIDDLEWARE.remove(\"x\")\n",
    "DATABASES[\"default\"][\"CONN_MAX_AGE\"] = 0\n",
    "try:\n    from .local import *\nexcept ImportError:\n    pass\n",
    "globals().update(vars())\n",
    "del DEBUG\n",
    "# audit: ignore[SEC005]\n",
    "x = \"# audit: ignore[\"\n",
    "async def f():\n    time.sleep(1)\n",
    "match x:\n    case 1:\n        pass\n",
    "lambda: (yield)\n",
    "\\\n",
    "\t",
    "\x0c",
    "\r",
    "\r\n",
    "\"\"\"",
    "'''",
    "f\"{",
    "**",
    ":=",
    "@",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ":",
    ",",
    "\"",
    "'",
    "#",
    "\x00",
];

const RENAMES: &[&str] = &[
    "proj/settings.py",
    "proj/settings/production.py",
    "tests/test_x.py",
    "conftest.py",
    "requirements.txt",
    "pyproject.toml",
    "Pipfile",
    "poetry.lock",
    "uv.lock",
    "setup.cfg",
    "Pipfile.lock",
    "app/é/日本.py",
    "a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/settings.py",
    "django/conf/global_settings.py",
    "app/gunicorn.conf.py",
    "App/Settings.PY",
];

/// Applies one random mutation to `files[target]` (or to the file list) and names it.
fn mutate_file(
    corpus: &Corpus,
    rng: &mut Rng,
    files: &mut Vec<(String, Vec<u8>)>,
    target: usize,
) -> &'static str {
    let op = rng.below(20);
    match op {
        14 => {
            // Same text under a name that changes its kind: a test, a settings module, a manifest.
            files[target].0 = rng.pick(RENAMES).to_string();
            return "rename";
        }
        16 => {
            let other = rng.pick(&corpus.all).clone();
            files.push(other);
            return "add-file";
        }
        17 => {
            if files.len() > 1 {
                files.remove(target);
            }
            return "drop-file";
        }
        _ => {}
    }
    let bytes = &mut files[target].1;
    let len = bytes.len();
    match op {
        0 => {
            for _ in 0..rng.range(1, 8) {
                if !bytes.is_empty() {
                    let at = rng.below(bytes.len());
                    bytes[at] = if rng.chance(50) {
                        bytes[at] ^ (1 << rng.below(8))
                    } else {
                        rng.below(256) as u8
                    };
                }
            }
            "flip"
        }
        1 => {
            bytes.truncate(rng.below(len + 1));
            "truncate"
        }
        2 => {
            let other = &rng.pick(&corpus.all).1;
            let mut lines = Vec::new();
            for _ in 0..rng.range(1, 6) {
                lines.extend_from_slice(random_line(rng, other));
            }
            let at = line_position(rng, bytes);
            bytes.splice(at..at, lines);
            "splice"
        }
        3 => {
            let brackets: Vec<usize> = bytes
                .iter()
                .enumerate()
                .filter(|(_, b)| b"()[]{}\"'".contains(b))
                .map(|(i, _)| i)
                .collect();
            for _ in 0..rng.range(1, 3) {
                if !brackets.is_empty() {
                    let at = *rng.pick(&brackets);
                    if at < bytes.len() {
                        bytes.remove(at);
                    }
                }
            }
            "unbracket"
        }
        4 => {
            bytes.splice(0..0, [0xef, 0xbb, 0xbf]);
            "bom"
        }
        5 => {
            for _ in 0..rng.range(1, 4) {
                let text = rng.pick(NON_ASCII).as_bytes();
                let at = rng.below(bytes.len() + 1);
                bytes.splice(at..at, text.iter().copied());
            }
            "non-ascii"
        }
        6 => {
            let replaced: Vec<u8> = if rng.chance(50) {
                bytes
                    .iter()
                    .map(|&b| if b == b'\n' { b'\r' } else { b })
                    .collect()
            } else {
                bytes
                    .iter()
                    .flat_map(|&b| {
                        if b == b'\n' {
                            vec![b'\r', b'\n']
                        } else {
                            vec![b]
                        }
                    })
                    .collect()
            };
            *bytes = replaced;
            "line-endings"
        }
        7 => {
            let line = random_line(rng, bytes).to_vec();
            // Past the pipeline's 2 MiB file limit, but never a file the generator itself
            // cannot hold (a long line repeated 20,000 times once asked for 3 GB).
            let n = rng.size(20_000).min(MAX_REPEAT_BYTES / line.len().max(1));
            let at = line_position(rng, bytes);
            bytes.splice(at..at, line.repeat(n));
            "repeat-line"
        }
        8 => {
            let at = line_position(rng, bytes);
            let piece = rng.pick(&[" + x", "requests.get(u); ", "a", "é", "'s', "]);
            let mut long = piece.repeat(rng.size(50_000)).into_bytes();
            long.push(b'\n');
            bytes.splice(at..at, long);
            "long-line"
        }
        9 => {
            let (name, max) = *rng.pick(SHAPES);
            let body = if name == "star-chain" {
                String::new()
            } else {
                shape_body(name, rng.size(max.min(2_000)))
            };
            let at = line_position(rng, bytes);
            bytes.splice(at..at, body.into_bytes());
            "shape"
        }
        10 => {
            let starts = line_starts(bytes);
            let indent = if rng.chance(50) { "    " } else { "\t" }.as_bytes();
            let lines: Vec<usize> = (0..rng.range(1, 5)).map(|_| *rng.pick(&starts)).collect();
            let mut sorted = lines;
            sorted.sort_unstable();
            sorted.dedup();
            for at in sorted.into_iter().rev() {
                if rng.chance(50) {
                    bytes.splice(at..at, indent.iter().copied());
                } else {
                    let spaces = bytes[at..].iter().take_while(|b| **b == b' ').count();
                    bytes.drain(at..at + spaces);
                }
            }
            "indent"
        }
        11 => {
            let starts = line_starts(bytes);
            let from = rng.below(starts.len());
            let to = (from + rng.range(1, 20)).min(starts.len());
            let end = starts.get(to).copied().unwrap_or(bytes.len());
            bytes.drain(starts[from]..end);
            "delete-lines"
        }
        12 => {
            for _ in 0..rng.range(1, 4) {
                let token = rng.pick(TOKENS).as_bytes();
                let at = if rng.chance(50) {
                    line_position(rng, bytes)
                } else {
                    rng.below(bytes.len() + 1)
                };
                bytes.splice(at..at, token.iter().copied());
            }
            "token"
        }
        13 => {
            let starts = line_starts(bytes);
            if starts.len() > 2 {
                let a = rng.below(starts.len() - 1);
                let end = starts[a + 1];
                let line = bytes[starts[a]..end].to_vec();
                bytes.drain(starts[a]..end);
                let at = line_position(rng, bytes);
                bytes.splice(at..at, line);
            }
            "move-line"
        }
        15 => {
            let at = rng.below(len + 1);
            let junk: Vec<u8> = (0..rng.range(1, 16))
                .map(|_| rng.below(256) as u8)
                .collect();
            bytes.splice(at..at, junk);
            "junk"
        }
        18 => {
            bytes.extend_from_slice(rng.pick(TOKENS).as_bytes());
            if rng.chance(50) {
                while bytes.last() == Some(&b'\n') {
                    bytes.pop();
                }
            }
            "tail"
        }
        _ => {
            let a = rng.below(len + 1);
            let b = rng.below(len + 1);
            let (lo, hi) = (a.min(b), a.max(b));
            let piece = bytes[lo..hi].to_vec();
            let at = rng.below(len + 1);
            bytes.splice(at..at, piece);
            "copy-range"
        }
    }
}

/// An embedded rule's TOML, renamed so it does not clash, then mutated a little.
fn mutated_rule(corpus: &Corpus, rng: &mut Rng) -> String {
    if corpus.rules.is_empty() {
        return String::new();
    }
    let text = rng.pick(&corpus.rules).1.clone();
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("id = ") {
                "id = \"FUZZ001\"".to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    for _ in 0..rng.range(1, 3) {
        if lines.is_empty() {
            break;
        }
        let at = rng.below(lines.len());
        match rng.below(5) {
            0 => {
                lines.remove(at);
            }
            1 => {
                let copy = lines[rng.below(lines.len())].clone();
                lines.insert(at, copy);
            }
            2 => {
                let junk: &[&str] = &["\"", "]", "{", "*", "(", "$A", "é"];
                let piece = *rng.pick(junk);
                lines[at].push_str(piece);
            }
            3 => lines.insert(
                at,
                rng.pick(&[
                    "stopBy = \"end\"",
                    "has = { pattern = \"$X.$Y\", stopBy = \"end\" }",
                    "pattern = \"def (:\"",
                    "regex = \"(a+)+$\"",
                    "calls = [\"{a,b}{c,d}{e,f}{g,h}.x\"]",
                    "kind = \"query\"",
                    "inside = { kind = \"call\", stopBy = \"end\" }",
                ])
                .to_string(),
            ),
            _ => {
                let cut = lines[at].len() / 2;
                let mut cut_at = cut;
                while !lines[at].is_char_boundary(cut_at) {
                    cut_at -= 1;
                }
                lines[at].truncate(cut_at);
            }
        }
    }
    lines.join("\n") + "\n"
}
