//! Dependencies declared in Python manifests and lock files.
//!
//! Every parser is best effort: a malformed file yields whatever could be read before (or
//! around) the damage, never a panic, and a note that says where the damage is, so a dropped
//! dependency is never silent. Lock files of the TOML kind are scanned line by line, which is
//! both tolerant of damage and cheap on lock files with thousands of entries.

use crate::discover::ManifestKind;
use crate::locate::LineIndex;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One declared or locked dependency.
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
pub struct Dependency {
    /// PEP 503 normalized: lowercase, runs of `-`, `_`, `.` folded to one `-`.
    pub name: String,
    /// The exact pinned or locked version when the manifest states one (`==5.0.6`, a lock entry).
    pub version: Option<String>,
    /// The manifest's relative path.
    pub path: String,
    /// 1-based line of the declaration.
    pub line: usize,
    /// The part of the manifest that declares it: what a production install gets or not.
    pub group: Group,
}

/// Which install a dependency belongs to, as the manifest says.
#[derive(
    Clone,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(tag = "kind", content = "name", rename_all = "snake_case")]
pub enum Group {
    /// Installed with the project: `[project] dependencies`, `install_requires`, a
    /// requirements file (whose own name or includer tells prod from dev), a lock entry.
    #[default]
    Main,
    /// Development only: Pipfile `dev-packages`, Pipfile.lock `develop`, Poetry
    /// `dev-dependencies`, uv `dev-dependencies`, setup.py `tests_require`.
    Dev,
    /// An extra (`[project.optional-dependencies] redis`, `extras_require`): installed only
    /// when asked for by name.
    Optional(String),
    /// A named group (PEP 735 `[dependency-groups]`, Poetry and PDM groups): not part of the
    /// package's install; `dev`, `test`, `docs` by convention.
    Named(String),
}

/// What one manifest yields: its dependencies, and what could not be read (each a note for the
/// run's `errors`, with the line and column of the damage).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Manifest {
    pub dependencies: Vec<Dependency>,
    /// Other requirement files this one installs (`-r base.txt`, `--requirement=x.txt`, a
    /// setup.py that reads `requirements.txt`), as written (relative to this file), with the line.
    pub includes: Vec<(String, usize)>,
    /// Constraint files (`-c constraints.txt`): they pin versions but install nothing.
    pub constraints: Vec<(String, usize)>,
    pub problems: Vec<String>,
}

/// Reads the dependencies of one manifest.
pub fn parse(kind: ManifestKind, rel: &str, text: &str) -> Manifest {
    let mut problems = Vec::new();
    let mut includes = Vec::new();
    let mut constraints = Vec::new();
    let found = match kind {
        ManifestKind::Requirements => parse_requirements(text, &mut includes, &mut constraints),
        ManifestKind::SetupPy => parse_setup_py(text, &mut includes, &mut problems),
        ManifestKind::Pyproject => parse_pyproject(text, &mut includes, &mut problems),
        ManifestKind::Pipfile => parse_pipfile(text, &mut problems),
        ManifestKind::PipfileLock => parse_pipfile_lock(text, &mut problems),
        ManifestKind::PoetryLock | ManifestKind::UvLock => {
            // The line scan keeps what it can; the parse only says whether anything was lost.
            toml_problem(text, &DeTable::parse_recoverable(text).1, &mut problems);
            parse_toml_lock(text)
        }
        ManifestKind::SetupCfg => parse_setup_cfg(text, &mut problems),
    };
    let dependencies = found
        .into_iter()
        .map(|(name, version, line, group)| Dependency {
            name,
            version,
            path: rel.to_string(),
            line,
            group,
        })
        .collect();
    Manifest {
        dependencies,
        includes,
        constraints,
        problems,
    }
}

/// A note for the first TOML error, if any: later ones are usually echoes of it.
fn toml_problem(text: &str, errors: &[toml::de::Error], problems: &mut Vec<String>) {
    let Some(first) = errors.first() else {
        return;
    };
    let offset = first.span().map_or(0, |s| s.start);
    let (line, column) = LineIndex::new(text).position(text, offset);
    problems.push(format!(
        "not valid TOML at {line}:{column} ({}); dependencies declared after it may be missing",
        first.message().trim()
    ));
}

/// (normalized name, exact version, line, group) before the path is attached.
type Found = (String, Option<String>, usize, Group);

/// PEP 503 name normalization.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator_run {
                out.push('-');
            }
            in_separator_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_separator_run = false;
        }
    }
    out
}

/// The Django (major, minor) from the dependencies, preferring lock files (the installed
/// version) over manifests (a declared pin).
pub fn django_version(deps: &[Dependency]) -> Option<(u32, u32)> {
    let versions = deps.iter().filter(|d| d.name == "django").filter_map(|d| {
        Some((
            d.path.ends_with(".lock"),
            parse_major_minor(d.version.as_deref()?)?,
        ))
    });
    let mut best: Option<(bool, (u32, u32))> = None;
    for (from_lock, version) in versions {
        if best.is_none_or(|(best_lock, _)| from_lock && !best_lock) {
            best = Some((from_lock, version));
        }
    }
    best.map(|(_, v)| v)
}

/// "5.0.6" → (5, 0); "4.2rc1" → (4, 2); "5" → (5, 0).
fn parse_major_minor(version: &str) -> Option<(u32, u32)> {
    let version = version.trim().trim_start_matches(['v', 'V']);
    let mut parts = version.split('.');
    let major = leading_number(parts.next()?)?;
    let minor = parts.next().and_then(leading_number).unwrap_or(0);
    Some((major, minor))
}

fn leading_number(text: &str) -> Option<u32> {
    let digits: String = text.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// PEP 508 requirement strings

/// Splits a PEP 508 requirement into its normalized name and its `==` version, if pinned.
/// Returns None for what is not a named requirement (a bare URL, a path, garbage).
pub fn parse_requirement(spec: &str) -> Option<(String, Option<String>)> {
    // Environment markers do not change which package it is.
    let spec = spec.split(';').next().unwrap_or("").trim();
    let name_len = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    let name = &spec[..name_len];
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut rest = spec[name_len..].trim_start();
    if rest.starts_with('[') {
        rest = rest
            .find(']')
            .map_or("", |end| &rest[end + 1..])
            .trim_start();
    }
    if rest.starts_with('@') {
        return Some((normalize_name(name), None));
    }
    let rest = rest.trim_start_matches('(').trim_end_matches(')').trim();
    if !(rest.is_empty() || rest.starts_with(['<', '>', '=', '!', '~'])) {
        return None;
    }
    Some((normalize_name(name), pinned_version(rest)))
}

/// The version of an `==` (or `===`) clause in a specifier list; wildcards are not pins.
fn pinned_version(specifiers: &str) -> Option<String> {
    specifiers.split(',').find_map(|clause| {
        let clause = clause.trim();
        let version = clause
            .strip_prefix("===")
            .or_else(|| clause.strip_prefix("=="))?
            .trim();
        (!version.is_empty() && !version.contains('*')).then(|| version.to_string())
    })
}

// ---------------------------------------------------------------------------------------------
// requirements.txt

fn parse_requirements(
    text: &str,
    includes: &mut Vec<(String, usize)>,
    constraints: &mut Vec<(String, usize)>,
) -> Vec<Found> {
    let mut out = Vec::new();
    for (line, content) in logical_lines(text) {
        let content = strip_comment(&content).trim();
        if content.starts_with('-') {
            // -r / -c name other files; -e, --index-url, --hash …: options, not requirements.
            match file_option(content) {
                Some((false, path)) => includes.push((path, line)),
                Some((true, path)) => constraints.push((path, line)),
                None => {}
            }
            continue;
        }
        let content = strip_inline_options(content).trim();
        if let Some((name, version)) = parse_requirement(content) {
            out.push((name, version, line, Group::Main));
        }
    }
    out
}

/// `-r x.txt`, `-rx.txt`, `--requirement x.txt`, `--requirement=x.txt` and the same for `-c` /
/// `--constraint`: (is a constraint, path as written).
fn file_option(content: &str) -> Option<(bool, String)> {
    let options = [
        ("--requirement", false),
        ("--constraint", true),
        ("-r", false),
        ("-c", true),
    ];
    let (rest, constraint) = options
        .iter()
        .find_map(|(flag, c)| Some((content.strip_prefix(flag)?, *c)))?;
    // `--requirementx` is no flag; `-rx.txt` is pip's short form.
    let long = !content.starts_with("-r") && !content.starts_with("-c");
    let rest = match rest.strip_prefix('=') {
        Some(value) => value,
        None if long && !rest.starts_with(char::is_whitespace) => return None,
        None => rest,
    };
    let path = rest.split_whitespace().next()?;
    let path = path.trim_matches(['"', '\'']);
    (!path.is_empty()).then(|| (constraint, path.to_string()))
}

/// Joins `\`-continued lines; each logical line keeps the number of its first physical line.
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut pending: Option<(usize, String)> = None;
    for (index, raw) in text.lines().enumerate() {
        let (start, mut buf) = pending.take().unwrap_or((index + 1, String::new()));
        match raw.trim_end().strip_suffix('\\') {
            Some(head) => {
                buf.push_str(head);
                buf.push(' ');
                pending = Some((start, buf));
            }
            None => {
                buf.push_str(raw);
                out.push((start, buf));
            }
        }
    }
    out.extend(pending);
    out
}

/// pip's rule: `#` starts a comment at line start or after whitespace (not inside a URL
/// fragment like `#egg=`).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

/// `django==5.0 --hash=sha256:…`: per-requirement options start at whitespace + `--`.
fn strip_inline_options(line: &str) -> &str {
    let bytes = line.as_bytes();
    for i in 1..bytes.len() {
        if bytes[i - 1].is_ascii_whitespace() && line[i..].starts_with("--") {
            return &line[..i];
        }
    }
    line
}

// ---------------------------------------------------------------------------------------------
// TOML manifests (pyproject.toml, Pipfile)

/// Parses a TOML document, keeping whatever the parser recovered around errors (noted).
fn parse_toml<'i>(text: &'i str, problems: &mut Vec<String>) -> DeTable<'i> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    toml_problem(text, &errors, problems);
    doc.into_inner()
}

fn sub_table<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a DeTable<'i>> {
    table.get(key).and_then(|v| v.get_ref().as_table())
}

fn sub_path<'a, 'i>(table: &'a DeTable<'i>, keys: &[&str]) -> Option<&'a DeTable<'i>> {
    keys.iter().try_fold(table, |t, key| sub_table(t, key))
}

/// An array of PEP 508 strings (PEP 621 dependencies, dependency groups).
fn requirement_array(
    value: &Spanned<DeValue<'_>>,
    lines: &LineIndex,
    group: &Group,
    out: &mut Vec<Found>,
) {
    let Some(items) = value.get_ref().as_array() else {
        return;
    };
    for item in items.iter() {
        // Non-strings (`{include-group = "…"}`) name no package.
        let Some(spec) = item.get_ref().as_str() else {
            continue;
        };
        if let Some((name, version)) = parse_requirement(spec) {
            out.push((name, version, lines.line(item.span().start), group.clone()));
        }
    }
}

/// Every value of a table as a requirement array (optional-dependencies, dependency-groups),
/// each in the group its key names.
fn requirement_arrays(
    table: Option<&DeTable<'_>>,
    lines: &LineIndex,
    group: fn(String) -> Group,
    out: &mut Vec<Found>,
) {
    for (key, value) in table.into_iter().flat_map(|t| t.iter()) {
        requirement_array(value, lines, &group(key.get_ref().to_string()), out);
    }
}

/// A `name = spec` table (Poetry, Pipfile); `version_of` reads the pin from the spec string.
fn named_table(
    table: Option<&DeTable<'_>>,
    lines: &LineIndex,
    version_of: fn(&str) -> Option<String>,
    group: &Group,
    out: &mut Vec<Found>,
) {
    for (key, value) in table.into_iter().flat_map(|t| t.iter()) {
        let name = normalize_name(key.get_ref());
        if name == "python" || name.is_empty() {
            continue;
        }
        let spec = match value.get_ref() {
            DeValue::String(s) => Some(s.as_ref()),
            DeValue::Table(t) => t.get("version").and_then(|v| v.get_ref().as_str()),
            _ => None,
        };
        out.push((
            name,
            spec.and_then(version_of),
            lines.line(key.span().start),
            group.clone(),
        ));
    }
}

fn parse_pyproject(
    text: &str,
    includes: &mut Vec<(String, usize)>,
    problems: &mut Vec<String>,
) -> Vec<Found> {
    let doc = parse_toml(text, problems);
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    // `dynamic = ["dependencies"]` filled by setuptools from requirement files.
    if let Some(dynamic) = sub_path(&doc, &["tool", "setuptools", "dynamic"]) {
        let main = dynamic.get("dependencies").into_iter();
        let extras = sub_table(dynamic, "optional-dependencies")
            .into_iter()
            .flat_map(|t| t.iter().map(|(_, v)| v));
        for entry in main.chain(extras) {
            let files = entry.get_ref().as_table().and_then(|t| t.get("file"));
            let items: Vec<&Spanned<DeValue<'_>>> = match files.map(|f| f.get_ref()) {
                Some(DeValue::Array(items)) => items.iter().collect(),
                Some(DeValue::String(_)) => files.into_iter().collect(),
                _ => Vec::new(),
            };
            for item in items {
                if let Some(path) = item.get_ref().as_str() {
                    includes.push((path.to_string(), lines.line(item.span().start)));
                }
            }
        }
    }
    if let Some(project) = sub_table(&doc, "project") {
        if let Some(deps) = project.get("dependencies") {
            requirement_array(deps, &lines, &Group::Main, &mut out);
        }
        let extras = sub_table(project, "optional-dependencies");
        requirement_arrays(extras, &lines, Group::Optional, &mut out);
    }
    let groups = sub_table(&doc, "dependency-groups");
    requirement_arrays(groups, &lines, Group::Named, &mut out);
    // uv before PEP 735, and PDM: development dependencies under `[tool]`.
    if let Some(deps) = sub_path(&doc, &["tool", "uv"]).and_then(|uv| uv.get("dev-dependencies")) {
        requirement_array(deps, &lines, &Group::Dev, &mut out);
    }
    let pdm = sub_path(&doc, &["tool", "pdm", "dev-dependencies"]);
    requirement_arrays(pdm, &lines, Group::Named, &mut out);
    if let Some(poetry) = sub_path(&doc, &["tool", "poetry"]) {
        let main = sub_table(poetry, "dependencies");
        named_table(main, &lines, poetry_version, &Group::Main, &mut out);
        let dev = sub_table(poetry, "dev-dependencies");
        named_table(dev, &lines, poetry_version, &Group::Dev, &mut out);
        for (name, group) in sub_table(poetry, "group")
            .into_iter()
            .flat_map(|t| t.iter())
        {
            let deps = group
                .get_ref()
                .as_table()
                .and_then(|g| sub_table(g, "dependencies"));
            let group = Group::Named(name.get_ref().to_string());
            named_table(deps, &lines, poetry_version, &group, &mut out);
        }
    }
    out.sort_by_key(|found| found.2);
    out
}

/// Poetry reads a bare version (`"5.0.6"`) as an exact pin, like `"==5.0.6"`.
fn poetry_version(spec: &str) -> Option<String> {
    let spec = spec.trim();
    let bare = spec.strip_prefix("==").unwrap_or(spec).trim();
    let is_exact = bare.starts_with(|c: char| c.is_ascii_digit())
        && bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-' | '!'));
    is_exact.then(|| bare.to_string())
}

/// Pipfile specs are PEP 440 specifier lists (`"==5.0.6"`, `">=4"`, `"*"`).
fn pipfile_version(spec: &str) -> Option<String> {
    pinned_version(spec)
}

fn parse_pipfile(text: &str, problems: &mut Vec<String>) -> Vec<Found> {
    let doc = parse_toml(text, problems);
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    for (section, group) in [("packages", Group::Main), ("dev-packages", Group::Dev)] {
        let table = sub_table(&doc, section);
        named_table(table, &lines, pipfile_version, &group, &mut out);
    }
    out.sort_by_key(|found| found.2);
    out
}

// ---------------------------------------------------------------------------------------------
// Pipfile.lock (JSON)

fn parse_pipfile_lock(text: &str, problems: &mut Vec<String>) -> Vec<Found> {
    let doc = match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(doc)) => doc,
        Ok(_) => {
            problems.push("not a JSON object; no dependencies were read".to_string());
            return Vec::new();
        }
        Err(e) => {
            // serde_json's message ends with its own "at line L column C".
            let why = e.to_string();
            let why = why.split(" at line ").next().unwrap_or_default();
            problems.push(format!(
                "not valid JSON at {}:{} ({why}); no dependencies were read",
                e.line(),
                e.column()
            ));
            return Vec::new();
        }
    };
    let lines = LineIndex::new(text);
    let mut out = Vec::new();
    for (section, group) in [("default", Group::Main), ("develop", Group::Dev)] {
        let Some(serde_json::Value::Object(packages)) = doc.get(section) else {
            continue;
        };
        // serde_json keeps no positions: find each key's text after its section's key.
        let section_start = find_json_key(text, section, 0).unwrap_or(0);
        for (name, entry) in packages {
            let version = entry
                .get("version")
                .and_then(|v| v.as_str())
                .and_then(pinned_version);
            let offset = find_json_key(text, name, section_start).unwrap_or(section_start);
            out.push((
                normalize_name(name),
                version,
                lines.line(offset),
                group.clone(),
            ));
        }
    }
    out.sort_by_key(|found| found.2);
    out
}

/// Offset of `"key"` used as an object key (followed by `:`) at or after `from`.
fn find_json_key(text: &str, key: &str, from: usize) -> Option<usize> {
    let needle = format!("\"{key}\"");
    let mut cursor = from;
    while let Some(found) = text.get(cursor..)?.find(&needle) {
        let at = cursor + found;
        let after = text[at + needle.len()..].trim_start();
        if after.starts_with(':') {
            return Some(at);
        }
        cursor = at + needle.len();
    }
    None
}

// ---------------------------------------------------------------------------------------------
// poetry.lock / uv.lock

/// `[[package]]` entries: `name` and `version` at the top of each entry. Sub-tables
/// (`[package.dependencies]`, `[[package.wheels]]`) and indented inline-array lines are not
/// entry fields. uv's own project entry (`source = { editable/virtual = "." }`) is skipped.
fn parse_toml_lock(text: &str) -> Vec<Found> {
    let mut out = Vec::new();
    let mut current: Option<LockEntry> = None;
    let mut in_package = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            out.extend(current.take().and_then(LockEntry::finish));
            let header: String = trimmed.chars().filter(|c| !c.is_whitespace()).collect();
            in_package = header == "[[package]]";
            if in_package {
                current = Some(LockEntry::default());
            }
            continue;
        }
        let Some(entry) = current.as_mut().filter(|_| in_package) else {
            continue;
        };
        if line.starts_with(char::is_whitespace) {
            continue;
        }
        if let Some(name) = toml_string_field(trimmed, "name") {
            entry.name = Some((name, index + 1));
        } else if let Some(version) = toml_string_field(trimmed, "version") {
            entry.version = Some(version);
        } else if trimmed.starts_with("source") && is_local_project_source(trimmed) {
            entry.local = true;
        } else if toml_string_field(trimmed, "category").as_deref() == Some("dev") {
            // Poetry before 1.2 marked development-only entries.
            entry.dev = true;
        }
    }
    out.extend(current.and_then(LockEntry::finish));
    out
}

#[derive(Default)]
struct LockEntry {
    name: Option<(String, usize)>,
    version: Option<String>,
    local: bool,
    dev: bool,
}

impl LockEntry {
    fn finish(self) -> Option<Found> {
        let (name, line) = self.name?;
        let group = if self.dev { Group::Dev } else { Group::Main };
        (!self.local).then(|| (normalize_name(&name), self.version, line, group))
    }
}

fn is_local_project_source(line: &str) -> bool {
    let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    compact.contains("editable=\".\"") || compact.contains("virtual=\".\"")
}

/// `key = "value"` (or single-quoted) on one line.
fn toml_string_field(line: &str, key: &str) -> Option<String> {
    let rest = line
        .strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &rest[1..];
    let end = body.find(quote)?;
    Some(body[..end].to_string())
}

// ---------------------------------------------------------------------------------------------
// setup.cfg

/// `[options] install_requires` and every key of `[options.extras_require]`; values continue
/// on indented lines. The first line configparser would refuse is noted.
fn parse_setup_cfg(text: &str, problems: &mut Vec<String>) -> Vec<Found> {
    let mut out = Vec::new();
    let mut section: Option<String> = None;
    let mut collecting = false;
    let mut group: Option<Group> = None;
    let mut problem = |line: usize, why: String| {
        if problems.is_empty() {
            problems.push(format!(
                "not a valid setup.cfg at {line}:1 ({why}); dependencies after it may be missing"
            ));
        }
    };
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let indented = raw.starts_with(char::is_whitespace);
        let value = if indented {
            if !collecting {
                continue;
            }
            line
        } else if line.starts_with('[') {
            if !line.ends_with(']') {
                problem(
                    index + 1,
                    "a section header without its closing `]`".to_string(),
                );
            }
            let name = line.trim_matches(['[', ']']).trim().to_ascii_lowercase();
            section = Some(name);
            collecting = false;
            continue;
        } else {
            let Some((key, value)) = line.split_once(['=', ':']) else {
                problem(
                    index + 1,
                    "a line that is neither `[section]` nor `key = value`".to_string(),
                );
                collecting = false;
                continue;
            };
            let Some(section) = section.as_deref() else {
                problem(index + 1, "a key before any `[section]`".to_string());
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            group = match (section, key.as_str()) {
                ("options", "install_requires") => Some(Group::Main),
                ("options", "tests_require") => Some(Group::Dev),
                ("options.extras_require", extra) => Some(Group::Optional(extra.to_string())),
                _ => None,
            };
            collecting = group.is_some();
            if !collecting {
                continue;
            }
            value.trim()
        };
        let value = strip_comment(value).trim();
        if value.is_empty() || value.starts_with("file:") {
            continue;
        }
        if let Some((name, version)) = parse_requirement(value) {
            out.push((name, version, index + 1, group.clone().unwrap_or_default()));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// setup.py

/// `setup(install_requires=[...], extras_require={...}, tests_require=[...])` read from the
/// tree, never run. Lists may be built from names and `+`; a list computed at run time (read
/// from a requirements file, a comprehension) yields the files it names as includes, or a note.
fn parse_setup_py(
    text: &str,
    includes: &mut Vec<(String, usize)>,
    problems: &mut Vec<String>,
) -> Vec<Found> {
    use crate::model::symbols::{CallArgs, FileSymbols, NodeIndex};
    use crate::parse::python;
    if python::indentation_depth(text) > python::MAX_INDENT_DEPTH {
        problems.push("indented too deeply to parse; no dependencies were read".to_string());
        return Vec::new();
    }
    let Some(parsed) = python::parse(text.to_string()) else {
        problems.push("could not be parsed; no dependencies were read".to_string());
        return Vec::new();
    };
    let top = parsed.root();
    let index = NodeIndex::build(&top);
    if index.height > python::MAX_TREE_DEPTH {
        problems.push("nested too deeply to read; no dependencies were read".to_string());
        return Vec::new();
    }
    if let Some((line, column)) = python::first_syntax_error(&parsed) {
        problems.push(format!(
            "not valid Python at {line}:{column}; dependencies around it may be missing"
        ));
    }
    let symbols = FileSymbols::from_index(&index);
    let reader = SetupPy {
        symbols: &symbols,
        functions: index.named("function_definition"),
        assignments: index.named("assignment"),
        computed_left: std::cell::Cell::new(MAX_COMPUTED),
    };
    let mut out = Vec::new();
    for call in index.named("call") {
        let Some(function) = call.field("function") else {
            continue;
        };
        let callee = symbols.qualify(&function);
        if callee.rsplit('.').next() != Some("setup") {
            continue;
        }
        let args = CallArgs::of(call);
        if args.keyword_splat {
            problems.push(format!(
                "setup() at line {} takes `**` arguments; dependencies passed that way are not read",
                py_line(call)
            ));
        }
        for (key, value) in &args.keywords {
            match key.as_str() {
                "install_requires" => {
                    reader.list(value, &Group::Main, &mut out, includes, problems)
                }
                "tests_require" => reader.list(value, &Group::Dev, &mut out, includes, problems),
                "extras_require" => reader.extras(value, &mut out, includes, problems),
                _ => {}
            }
        }
    }
    out.sort_by_key(|found| found.2);
    out
}

fn py_line(node: &crate::parse::python::PyNode<'_>) -> usize {
    node.get_inner_node().start_position().row + 1
}

/// The text of a plain string literal (no placeholders).
fn py_string(node: &crate::parse::python::PyNode<'_>) -> Option<String> {
    if node.kind() != "string" {
        return None;
    }
    let mut out = String::new();
    for child in node.children() {
        match child.kind().as_ref() {
            "string_content" | "escape_sequence" => out.push_str(&child.text()),
            "interpolation" => return None,
            _ => {}
        }
    }
    Some(out)
}

struct SetupPy<'a, 'r> {
    symbols: &'a crate::model::symbols::FileSymbols<'r>,
    functions: &'a [crate::parse::python::PyNode<'r>],
    /// For `BASE, LINKS = read("requirements/base.txt")`: a name bound by unpacking.
    assignments: &'a [crate::parse::python::PyNode<'r>],
    /// Computed values still to examine: each may search the file's assignments, so a list of
    /// thousands of unknown names must not cost thousands of searches.
    computed_left: std::cell::Cell<usize>,
}

/// Computed values of one setup.py that are searched for requirement files.
const MAX_COMPUTED: usize = 32;

impl<'r> SetupPy<'_, 'r> {
    /// A list of requirement strings, through names and `+` (walked with a stack).
    fn list(
        &self,
        value: &crate::parse::python::PyNode<'r>,
        group: &Group,
        out: &mut Vec<Found>,
        includes: &mut Vec<(String, usize)>,
        problems: &mut Vec<String>,
    ) {
        let mut stack = vec![value.clone()];
        while let Some(node) = stack.pop() {
            let node = self.symbols.resolve_value(&node);
            match node.kind().as_ref() {
                "list" | "tuple" => {
                    // Strings now, in order; the rest later (the final sort is by line).
                    let mut rest = Vec::new();
                    for item in node.named_children() {
                        match py_string(&item) {
                            Some(spec) => {
                                if let Some((name, version)) = parse_requirement(&spec) {
                                    out.push((name, version, py_line(&item), group.clone()));
                                }
                            }
                            None if item.kind() == "comment" => {}
                            None => rest.push(item),
                        }
                    }
                    stack.extend(rest.into_iter().rev());
                }
                "binary_operator" => {
                    stack.extend(node.field("right"));
                    stack.extend(node.field("left"));
                }
                "list_splat" | "parenthesized_expression" => stack.extend(node.named_children()),
                _ => self.computed(&node, includes, problems),
            }
        }
    }

    /// `{"redis": [...], ...}`: each key an extra.
    fn extras(
        &self,
        value: &crate::parse::python::PyNode<'r>,
        out: &mut Vec<Found>,
        includes: &mut Vec<(String, usize)>,
        problems: &mut Vec<String>,
    ) {
        let node = self.symbols.resolve_value(value);
        if node.kind() != "dictionary" {
            self.computed(&node, includes, problems);
            return;
        }
        for pair in node.named_children().filter(|c| c.kind() == "pair") {
            let (Some(key), Some(list)) = (pair.field("key"), pair.field("value")) else {
                continue;
            };
            match py_string(&key) {
                Some(extra) => self.list(&list, &Group::Optional(extra), out, includes, problems),
                None => self.computed(&pair, includes, problems),
            }
        }
    }

    /// A value only run time knows: the requirement files it (or the local function it
    /// calls) names are includes; with none, a note.
    fn computed(
        &self,
        node: &crate::parse::python::PyNode<'r>,
        includes: &mut Vec<(String, usize)>,
        problems: &mut Vec<String>,
    ) {
        let left = self.computed_left.get();
        self.computed_left.set(left.saturating_sub(1));
        if left == 0 {
            return;
        }
        if left == 1 {
            problems.push(format!(
                "more than {} computed values in setup.py; the rest are not read",
                MAX_COMPUTED - 1
            ));
            return;
        }
        let mut places = vec![node.clone()];
        if node.kind() == "identifier" {
            let name = node.text();
            places.extend(
                self.assignments
                    .iter()
                    .filter(|a| {
                        a.field("left").is_some_and(|l| {
                            matches!(l.kind().as_ref(), "pattern_list" | "tuple_pattern")
                                && l.named_children().any(|n| n.text() == name)
                        })
                    })
                    .filter_map(|a| a.field("right")),
            );
        }
        let called = places
            .iter()
            .flat_map(|p| p.dfs())
            .filter(|n| n.kind() == "call")
            .filter_map(|c| c.field("function"))
            .filter(|f| f.kind() == "identifier")
            .map(|f| f.text().to_string())
            .collect::<Vec<_>>();
        places.extend(
            self.functions
                .iter()
                .filter(|d| {
                    d.field("name")
                        .is_some_and(|n| called.iter().any(|c| *c == n.text()))
                })
                .cloned(),
        );
        let before = includes.len();
        for place in places {
            for string in place.dfs().filter(|n| n.kind() == "string") {
                let Some(path) = py_string(&string) else {
                    continue;
                };
                if path.ends_with(".txt") || path.ends_with(".in") {
                    includes.push((path, py_line(&string)));
                }
            }
        }
        if includes.len() == before {
            let text: String = node.text().chars().take(60).collect();
            problems.push(format!(
                "`{text}` at line {} is computed when setup.py runs; its dependencies are not read",
                py_line(node)
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dependencies of a manifest that must read without problems.
    fn clean(kind: ManifestKind, rel: &str, text: &str) -> Vec<Dependency> {
        let manifest = parse(kind, rel, text);
        assert_eq!(manifest.problems, Vec::<String>::new(), "{text}");
        manifest.dependencies
    }

    fn dep(name: &str, version: Option<&str>, path: &str, line: usize) -> Dependency {
        in_group(name, version, path, line, Group::Main)
    }

    fn in_group(
        name: &str,
        version: Option<&str>,
        path: &str,
        line: usize,
        group: Group,
    ) -> Dependency {
        Dependency {
            name: name.to_string(),
            version: version.map(str::to_string),
            path: path.to_string(),
            line,
            group,
        }
    }

    #[test]
    fn names_are_normalized() {
        assert_eq!(
            normalize_name("Django_REST.framework"),
            "django-rest-framework"
        );
        assert_eq!(normalize_name("zope..interface"), "zope-interface");
        assert_eq!(normalize_name("a-_-b"), "a-b");
    }

    #[test]
    fn requirement_strings() {
        let cases = [
            ("Django==5.0.6", Some(("django", Some("5.0.6")))),
            ("celery[redis]>=5", Some(("celery", None))),
            (
                "psycopg[binary,pool] == 3.1.18 ; python_version >= '3.8'",
                Some(("psycopg", Some("3.1.18"))),
            ),
            ("requests>=2,==2.31.0", Some(("requests", Some("2.31.0")))),
            ("gunicorn==21.*", Some(("gunicorn", None))),
            ("pyjwt", Some(("pyjwt", None))),
            (
                "mypkg @ https://example.com/mypkg.zip",
                Some(("mypkg", None)),
            ),
            ("Django (==4.2)", Some(("django", Some("4.2")))),
            ("https://example.com/x.whl", None),
            ("./local/pkg", None),
            ("not a requirement", None),
            ("", None),
        ];
        for (spec, expected) in cases {
            let got = parse_requirement(spec);
            let expected = expected.map(|(n, v)| (n.to_string(), v.map(str::to_string)));
            assert_eq!(got, expected, "{spec}");
        }
    }

    #[test]
    fn requirements_txt() {
        let text = "\
# production deps
-r base.txt
-e git+https://github.com/x/y.git#egg=y
--index-url https://pypi.org/simple
Django==5.0.6 \\
    --hash=sha256:aaa \\
    --hash=sha256:bbb
celery[redis]>=5.3  # workers
pyjwt==2.8.0; python_version >= \"3.8\"

https://example.com/pkg.whl
whitenoise==6.6.0 --hash=sha256:ccc
";
        assert_eq!(
            clean(ManifestKind::Requirements, "requirements.txt", text),
            vec![
                dep("django", Some("5.0.6"), "requirements.txt", 5),
                dep("celery", None, "requirements.txt", 8),
                dep("pyjwt", Some("2.8.0"), "requirements.txt", 9),
                dep("whitenoise", Some("6.6.0"), "requirements.txt", 12),
            ]
        );
    }

    #[test]
    fn requirement_file_includes_and_constraints() {
        let text = "\
-r base.txt
--requirement=shared/common.txt  # shared
-rlocal.txt
--requirement  spaced.txt
-c constraints.txt
--constraint=pins.txt
--requirementx.txt
-e .
gunicorn==22.0.0
";
        let manifest = parse(ManifestKind::Requirements, "requirements/prod.txt", text);
        let s = |p: &str, l: usize| (p.to_string(), l);
        assert_eq!(
            manifest,
            Manifest {
                dependencies: vec![dep("gunicorn", Some("22.0.0"), "requirements/prod.txt", 9)],
                includes: vec![
                    s("base.txt", 1),
                    s("shared/common.txt", 2),
                    s("local.txt", 3),
                    s("spaced.txt", 4)
                ],
                constraints: vec![s("constraints.txt", 5), s("pins.txt", 6)],
                problems: vec![],
            }
        );
    }

    #[test]
    fn setup_py_lists_names_extras_and_files() {
        let text = r#"import os
from setuptools import setup, find_packages

BASE = ["Django>=4.2", "celery==5.3.6"]

def read(name):
    with open(os.path.join(os.path.dirname(__file__), name)) as f:
        return f.read().splitlines()

setup(
    name="shop",
    packages=find_packages(),
    install_requires=BASE + [
        "gunicorn",  # the web server
    ],
    extras_require={
        "redis": ["django-redis==5.4.0"],
        "docs": read("requirements/docs.txt"),
    },
    tests_require=["pytest"],
)
"#;
        let manifest = parse(ManifestKind::SetupPy, "setup.py", text);
        assert_eq!(
            manifest,
            Manifest {
                dependencies: vec![
                    dep("django", None, "setup.py", 4),
                    dep("celery", Some("5.3.6"), "setup.py", 4),
                    dep("gunicorn", None, "setup.py", 14),
                    in_group(
                        "django-redis",
                        Some("5.4.0"),
                        "setup.py",
                        17,
                        Group::Optional("redis".into())
                    ),
                    in_group("pytest", None, "setup.py", 20, Group::Dev),
                ],
                includes: vec![("requirements/docs.txt".into(), 18)],
                ..Manifest::default()
            }
        );
    }

    #[test]
    fn setup_py_computed_and_broken() {
        let unpacked = "from setuptools import setup\nBASE, LINKS = read('requirements/base.txt')\nsetup(install_requires=BASE)\n";
        assert_eq!(
            parse(ManifestKind::SetupPy, "setup.py", unpacked),
            Manifest {
                includes: vec![("requirements/base.txt".into(), 2)],
                ..Manifest::default()
            }
        );
        let text = "import setuptools\nsetuptools.setup(install_requires=get_deps(), **extra)\n";
        assert_eq!(
            parse(ManifestKind::SetupPy, "pkg/setup.py", text).problems,
            vec![
                "setup() at line 2 takes `**` arguments; dependencies passed that way are not read"
                    .to_string(),
                "`get_deps()` at line 2 is computed when setup.py runs; its dependencies are not read"
                    .to_string(),
            ]
        );
        let broken = "from setuptools import setup\nsetup(install_requires=['django==5.0',\n";
        let manifest = parse(ManifestKind::SetupPy, "setup.py", broken);
        assert_eq!(
            manifest.problems,
            vec!["not valid Python at 2:1; dependencies around it may be missing".to_string()]
        );
        assert_eq!(manifest.dependencies, vec![]);
        let many: String = (0..100).map(|i| format!("n{i}, ")).collect();
        let many = format!("from setuptools import setup\nsetup(install_requires=[{many}])\n");
        let problems = parse(ManifestKind::SetupPy, "setup.py", &many).problems;
        assert_eq!(problems.len(), MAX_COMPUTED);
        assert_eq!(
            problems.last().map(String::as_str),
            Some("more than 31 computed values in setup.py; the rest are not read")
        );
        let deep = format!(
            "setup(install_requires={}'x'{})\n",
            "[".repeat(3000),
            "]".repeat(3000)
        );
        assert_eq!(
            parse(ManifestKind::SetupPy, "setup.py", &deep).problems,
            vec!["nested too deeply to read; no dependencies were read".to_string()]
        );
    }

    #[test]
    fn pyproject_dynamic_dependencies_name_their_files() {
        let text = "[project]\ndynamic = [\"dependencies\"]\n[tool.setuptools.dynamic]\ndependencies = {file = [\"requirements/base.txt\"]}\noptional-dependencies.dev = {file = \"requirements/dev.txt\"}\n";
        assert_eq!(
            parse(ManifestKind::Pyproject, "pyproject.toml", text),
            Manifest {
                includes: vec![
                    ("requirements/base.txt".into(), 4),
                    ("requirements/dev.txt".into(), 5)
                ],
                ..Manifest::default()
            }
        );
    }

    #[test]
    fn pyproject_uv_and_pdm_dev_dependencies() {
        let text = "[tool.uv]\ndev-dependencies = [\"ruff==0.4.1\"]\n[tool.pdm.dev-dependencies]\nlint = [\"black\"]\n";
        assert_eq!(
            clean(ManifestKind::Pyproject, "pyproject.toml", text),
            vec![
                in_group("ruff", Some("0.4.1"), "pyproject.toml", 2, Group::Dev),
                in_group(
                    "black",
                    None,
                    "pyproject.toml",
                    4,
                    Group::Named("lint".into())
                ),
            ]
        );
    }

    #[test]
    fn pyproject_pep621_poetry_and_groups() {
        let text = r#"[project]
name = "shop"
dependencies = [
  "Django==5.0.6",
  "djangorestframework>=3.14",
]

[project.optional-dependencies]
redis = ["django-redis==5.4.0"]

[dependency-groups]
dev = ["pytest>=8", {include-group = "lint"}]

[tool.poetry.dependencies]
python = "^3.11"
celery = "5.3.6"
sentry-sdk = { version = "^1.40", extras = ["django"] }

[tool.poetry.group.test.dependencies]
factory_boy = "==3.3.0"
"#;
        assert_eq!(
            clean(ManifestKind::Pyproject, "pyproject.toml", text),
            vec![
                dep("django", Some("5.0.6"), "pyproject.toml", 4),
                dep("djangorestframework", None, "pyproject.toml", 5),
                in_group(
                    "django-redis",
                    Some("5.4.0"),
                    "pyproject.toml",
                    9,
                    Group::Optional("redis".into())
                ),
                in_group(
                    "pytest",
                    None,
                    "pyproject.toml",
                    12,
                    Group::Named("dev".into())
                ),
                dep("celery", Some("5.3.6"), "pyproject.toml", 16),
                dep("sentry-sdk", None, "pyproject.toml", 17),
                in_group(
                    "factory-boy",
                    Some("3.3.0"),
                    "pyproject.toml",
                    20,
                    Group::Named("test".into())
                ),
            ]
        );
    }

    #[test]
    fn malformed_pyproject_keeps_what_parsed() {
        let text = "[project]\ndependencies = [\"django==4.2.1\"]\n\n[tool.x\nbroken = = =\n";
        assert_eq!(
            parse(ManifestKind::Pyproject, "pyproject.toml", text),
            Manifest {
                dependencies: vec![dep("django", Some("4.2.1"), "pyproject.toml", 2)],
                problems: vec!["not valid TOML at 4:8 (unclosed table, expected `]`); \
                                dependencies declared after it may be missing"
                    .to_string()],
                ..Manifest::default()
            }
        );
        assert_eq!(
            parse(ManifestKind::Pyproject, "p", "\u{0}[[[\"\"").dependencies,
            vec![]
        );
    }

    #[test]
    fn every_broken_manifest_kind_says_where() {
        let cases = [
            (
                ManifestKind::Pipfile,
                "[packages]\ndjango = \"==4.2\"\nbad = = 1\n",
                vec![dep("django", Some("4.2"), "m", 2), dep("bad", None, "m", 3)],
                "not valid TOML at 3:7 (extra `=`, expected nothing); \
                 dependencies declared after it may be missing",
            ),
            (
                ManifestKind::PoetryLock,
                "[[package]]\nname = \"django\"\nversion = \"5.0\"\n[[package]\nname = \"x\"\n",
                vec![dep("django", Some("5.0"), "m", 2)],
                "not valid TOML at 4:11 (unclosed array table, expected `]`); \
                 dependencies declared after it may be missing",
            ),
            (
                ManifestKind::UvLock,
                "version = 1\n[[package]]\nname = \"django\n",
                vec![],
                "not valid TOML at 3:15 (invalid basic string, expected `\"`); \
                 dependencies declared after it may be missing",
            ),
            (
                ManifestKind::SetupCfg,
                "[options\ninstall_requires =\n  django\n",
                vec![dep("django", None, "m", 3)],
                "not a valid setup.cfg at 1:1 (a section header without its closing `]`); \
                 dependencies after it may be missing",
            ),
            (
                ManifestKind::SetupCfg,
                "install_requires = django\n[options]\n",
                vec![],
                "not a valid setup.cfg at 1:1 (a key before any `[section]`); \
                 dependencies after it may be missing",
            ),
            (
                ManifestKind::SetupCfg,
                "[options]\ninstall_requires =\n  django\noops\n",
                vec![dep("django", None, "m", 3)],
                "not a valid setup.cfg at 4:1 (a line that is neither `[section]` nor `key = value`); \
                 dependencies after it may be missing",
            ),
            (
                ManifestKind::PipfileLock,
                "{\"default\": ",
                vec![],
                "not valid JSON at 1:12 (EOF while parsing a value); no dependencies were read",
            ),
            (
                ManifestKind::PipfileLock,
                "[1]",
                vec![],
                "not a JSON object; no dependencies were read",
            ),
        ];
        for (kind, text, dependencies, problem) in cases {
            assert_eq!(
                parse(kind, "m", text),
                Manifest {
                    dependencies,
                    problems: vec![problem.to_string()],
                    ..Manifest::default()
                },
                "{text}"
            );
        }
    }

    #[test]
    fn pipfile() {
        let text = r#"[[source]]
url = "https://pypi.org/simple"

[packages]
django = "==4.2.11"
gunicorn = "*"
psycopg2-binary = {version = "==2.9.9"}

[dev-packages]
pytest = ">=8"

[requires]
python_version = "3.11"
"#;
        assert_eq!(
            clean(ManifestKind::Pipfile, "Pipfile", text),
            vec![
                dep("django", Some("4.2.11"), "Pipfile", 5),
                dep("gunicorn", None, "Pipfile", 6),
                dep("psycopg2-binary", Some("2.9.9"), "Pipfile", 7),
                in_group("pytest", None, "Pipfile", 10, Group::Dev),
            ]
        );
    }

    #[test]
    fn pipfile_lock() {
        let text = r#"{
    "_meta": {"hash": {"sha256": "x"}},
    "default": {
        "Django": {
            "hashes": ["sha256:a"],
            "version": "==5.0.6"
        },
        "pyjwt": {
            "version": "==2.8.0"
        }
    },
    "develop": {
        "pytest": {"version": "==8.1.1"}
    }
}"#;
        assert_eq!(
            clean(ManifestKind::PipfileLock, "Pipfile.lock", text),
            vec![
                dep("django", Some("5.0.6"), "Pipfile.lock", 4),
                dep("pyjwt", Some("2.8.0"), "Pipfile.lock", 8),
                in_group("pytest", Some("8.1.1"), "Pipfile.lock", 13, Group::Dev),
            ]
        );
    }

    #[test]
    fn poetry_lock() {
        let text = r#"# This file is automatically @generated by Poetry
[[package]]
name = "asgiref"
version = "3.8.1"
description = "ASGI specs"
files = [
    {file = "asgiref-3.8.1.tar.gz", hash = "sha256:x"},
]

[package.dependencies]
typing-extensions = {version = ">=4", markers = "python_version < \"3.11\""}

[[package]]
name = "Django"
version = "5.0.6"

[[package]]
name = "pytest"
version = "8.1.1"
category = "dev"

[metadata]
lock-version = "2.0"
"#;
        assert_eq!(
            clean(ManifestKind::PoetryLock, "poetry.lock", text),
            vec![
                dep("asgiref", Some("3.8.1"), "poetry.lock", 3),
                dep("django", Some("5.0.6"), "poetry.lock", 14),
                in_group("pytest", Some("8.1.1"), "poetry.lock", 18, Group::Dev),
            ]
        );
    }

    #[test]
    fn uv_lock() {
        let text = r#"version = 1
requires-python = ">=3.11"

[[package]]
name = "django"
version = "5.1.2"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "asgiref" },
    { name = "sqlparse" },
]
wheels = [
    { url = "https://x/django.whl", hash = "sha256:x" },
]

[[package]]
name = "shop"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "sqlparse"
version = "0.5.1"
"#;
        assert_eq!(
            clean(ManifestKind::UvLock, "uv.lock", text),
            vec![
                dep("django", Some("5.1.2"), "uv.lock", 5),
                dep("sqlparse", Some("0.5.1"), "uv.lock", 22),
            ]
        );
    }

    #[test]
    fn setup_cfg() {
        let text = "\
[metadata]
name = shop

[options]
packages = find:
install_requires =
    Django==4.2.11
    # a comment
    celery[redis]>=5 ; python_version > \"3.8\"
python_requires = >=3.10

[options.extras_require]
dev =
    pytest==8.1.1
";
        assert_eq!(
            clean(ManifestKind::SetupCfg, "setup.cfg", text),
            vec![
                dep("django", Some("4.2.11"), "setup.cfg", 7),
                dep("celery", None, "setup.cfg", 9),
                in_group(
                    "pytest",
                    Some("8.1.1"),
                    "setup.cfg",
                    14,
                    Group::Optional("dev".into())
                ),
            ]
        );
    }

    #[test]
    fn django_version_prefers_lock_files() {
        let deps = vec![
            dep("django", Some("4.2"), "requirements.txt", 1),
            dep("django", Some("5.0.6"), "poetry.lock", 3),
            dep("djangorestframework", Some("3.15.1"), "poetry.lock", 9),
        ];
        assert_eq!(django_version(&deps), Some((5, 0)));
        assert_eq!(django_version(&deps[..1]), Some((4, 2)));
        assert_eq!(django_version(&[dep("django", None, "r.txt", 1)]), None);
        assert_eq!(
            django_version(&[dep("django", Some("5.1rc1"), "r.txt", 1)]),
            Some((5, 1))
        );
        assert_eq!(
            django_version(&[dep("django", Some("5"), "r.txt", 1)]),
            Some((5, 0))
        );
    }

    #[test]
    fn garbage_never_panics() {
        let inputs = [
            "",
            "\\",
            "[[package]]\nname = \"",
            "=\n==\n[",
            "\u{feff}é==1",
            "a[b",
            "{",
        ];
        let kinds = [
            ManifestKind::Requirements,
            ManifestKind::Pyproject,
            ManifestKind::Pipfile,
            ManifestKind::PipfileLock,
            ManifestKind::PoetryLock,
            ManifestKind::UvLock,
            ManifestKind::SetupCfg,
            ManifestKind::SetupPy,
        ];
        for kind in kinds {
            for input in inputs {
                let _ = parse(kind, "x", input);
            }
        }
        assert_eq!(
            clean(ManifestKind::Requirements, "x", "a[b"),
            vec![dep("a", None, "x", 1)]
        );
    }
}
