//! Every matcher kind a rule's `[match] kind` may name, and every Rust analyzer `kind =
//! "analyzer"` may name, each listed once with the function that builds it (as ruff's
//! `codes.rs` names its rules). The loader compiles through these tables only: adding a kind or
//! an analyzer is one entry here and its own module.

use crate::rules::load::{key_span, located, RuleError};
use crate::rules::matcher::Matcher;
use crate::rules::pattern::CompiledPattern;
use crate::rules::project::CompiledProject;
use crate::rules::query::CompiledQuery;
use crate::rules::rule::{
    AnalyzerSpec, Clause, LowerSpec, PatternSpec, QuerySpec, SettingCondition, SettingSpec,
};
use crate::rules::setting::CompiledSetting;

/// The rule file a matcher is compiled from, for located errors.
pub struct RuleSource<'a> {
    pub path: &'a str,
    pub text: &'a str,
}

impl RuleSource<'_> {
    /// An error located by [`located`]: a quoted key or value in the message, else `[match]`.
    fn located(&self, message: &str) -> RuleError {
        located(self.path, self.text, message, Some("match"))
    }
}

/// A compiled matcher and the prefilter literals its rule wrote (empty: the matcher's default).
pub struct Compiled {
    pub matcher: Matcher,
    pub prefilter: Vec<Vec<String>>,
}

/// One matcher kind: its `kind` name and how `[match]` (without `kind`) becomes a matcher.
pub struct MatcherKind {
    pub name: &'static str,
    pub compile: fn(toml::Table, &RuleSource<'_>) -> Result<Compiled, RuleError>,
}

pub const KINDS: &[MatcherKind] = &[
    MatcherKind {
        name: "pattern",
        compile: pattern,
    },
    MatcherKind {
        name: "query",
        compile: query,
    },
    MatcherKind {
        name: "setting",
        compile: setting,
    },
    MatcherKind {
        name: "project",
        compile: project,
    },
    MatcherKind {
        name: "analyzer",
        compile: analyzer,
    },
];

/// One Rust analyzer (`rules/analyzers/<name>.rs`): its name in `[match] name` and its
/// constructor from the rule's `[match.params]`.
pub struct Analyzer {
    pub name: &'static str,
    pub build: fn(&toml::Table) -> Result<Matcher, String>,
}

/// The Rust analyzers, by name. None is built in yet.
pub const ANALYZERS: &[Analyzer] = &[];

/// Compiles `[match]` of kind `kind` through [`KINDS`]; an unknown kind is an error that lists
/// the known ones, at the `kind` key.
pub fn compile(
    kind: &str,
    table: toml::Table,
    source: &RuleSource<'_>,
) -> Result<Compiled, RuleError> {
    match KINDS.iter().find(|k| k.name == kind) {
        Some(k) => (k.compile)(table, source),
        None => {
            let message = format!(
                "unknown matcher kind `{kind}`: expected {}",
                or_list(KINDS.iter().map(|k| k.name))
            );
            let span = match_key_span(source.text, "kind");
            Err(RuleError::new(source.path, source.text, message, span))
        }
    }
}

/// `a, b or c`.
pub fn or_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => last.to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

/// The span of `key` inside `[match]`, else of its first definition anywhere.
fn match_key_span(text: &str, key: &str) -> Option<(usize, usize)> {
    let after = key_span(text, "match").map_or(0, |(_, end)| end);
    key_span(&text[after..], key)
        .map(|(start, end)| (start + after, end + after))
        .or_else(|| key_span(text, key))
}

fn strict(e: toml::de::Error) -> String {
    e.message().to_string()
}

/// Removes `key` from `table` and reads it as `T`, or `T::default()` when absent.
fn take<T: serde::de::DeserializeOwned + Default>(
    table: &mut toml::Table,
    key: &str,
) -> Result<T, toml::de::Error> {
    match table.remove(key) {
        Some(v) => v.try_into(),
        None => Ok(T::default()),
    }
}

/// The clause written inline in `[match]`: whatever keys remain once the listed parts are
/// taken out; none when nothing remains.
fn inline_clause<T: serde::de::DeserializeOwned>(
    table: &mut toml::Table,
) -> Result<Option<T>, String> {
    if table.is_empty() {
        return Ok(None);
    }
    toml::Value::Table(std::mem::take(table))
        .try_into()
        .map(Some)
        .map_err(strict)
}

/// The literal list a rule writes means "any of these".
fn any_of(literals: &[String]) -> Vec<Vec<String>> {
    literals.iter().map(|l| vec![l.clone()]).collect()
}

fn pattern(mut table: toml::Table, source: &RuleSource<'_>) -> Result<Compiled, RuleError> {
    let read = |table: &mut toml::Table| -> Result<PatternSpec, String> {
        let any: Vec<Clause> = take(table, "any").map_err(strict)?;
        let prefilter: Vec<String> = take(table, "prefilter").map_err(strict)?;
        let provenance = match table.remove("provenance") {
            Some(v) => Some(
                v.try_into()
                    .map_err(|e: toml::de::Error| format!("[match.provenance]: {}", e.message()))?,
            ),
            None => None,
        };
        let lower: Vec<LowerSpec> = take(table, "lower")
            .map_err(|e: toml::de::Error| format!("[[match.lower]]: {}", e.message()))?;
        let clause = inline_clause(table)?;
        Ok(PatternSpec {
            clause,
            any,
            prefilter,
            provenance,
            lower,
        })
    };
    let spec = read(&mut table).map_err(|m| source.located(&m))?;
    let compiled = CompiledPattern::compile(&spec).map_err(|m| source.located(&m))?;
    Ok(Compiled {
        matcher: Matcher::File(Box::new(compiled)),
        prefilter: any_of(&spec.prefilter),
    })
}

fn query(table: toml::Table, source: &RuleSource<'_>) -> Result<Compiled, RuleError> {
    let spec: QuerySpec = toml::Value::Table(table)
        .try_into()
        .map_err(|e| source.located(&strict(e)))?;
    let compiled = CompiledQuery::compile(&spec).map_err(|(m, offset)| {
        let text = source.text;
        let span = offset
            .and_then(|o| text.find(spec.query.as_str()).map(|q| (q + o, q + o + 1)))
            .or_else(|| key_span(text, "query"));
        RuleError::new(source.path, text, m, span)
    })?;
    Ok(Compiled {
        matcher: Matcher::File(Box::new(compiled)),
        prefilter: any_of(&spec.prefilter),
    })
}

fn setting(mut table: toml::Table, source: &RuleSource<'_>) -> Result<Compiled, RuleError> {
    let read = |table: &mut toml::Table| -> Result<SettingSpec, String> {
        let any: Vec<SettingCondition> = take(table, "any").map_err(strict)?;
        let project: Option<crate::rules::project::ProjectSpec> =
            take(table, "project").map_err(strict)?;
        let clause = inline_clause(table)?;
        Ok(SettingSpec {
            clause,
            any,
            project,
        })
    };
    let spec = read(&mut table).map_err(|m| source.located(&m))?;
    let compiled = CompiledSetting::compile(&spec).map_err(|m| source.located(&m))?;
    Ok(Compiled {
        matcher: Matcher::Project(Box::new(compiled)),
        prefilter: Vec::new(),
    })
}

fn project(table: toml::Table, source: &RuleSource<'_>) -> Result<Compiled, RuleError> {
    let spec = toml::Value::Table(table)
        .try_into()
        .map_err(|e| source.located(&strict(e)))?;
    let compiled = CompiledProject::compile(&spec).map_err(|m| source.located(&m))?;
    Ok(Compiled {
        matcher: Matcher::Project(Box::new(compiled)),
        prefilter: Vec::new(),
    })
}

/// `kind = "analyzer"`: the analyzer `name` picks from [`ANALYZERS`], built from `params`.
fn analyzer(table: toml::Table, source: &RuleSource<'_>) -> Result<Compiled, RuleError> {
    let spec: AnalyzerSpec = toml::Value::Table(table)
        .try_into()
        .map_err(|e| source.located(&strict(e)))?;
    let Some(entry) = ANALYZERS.iter().find(|a| a.name == spec.name) else {
        let known = if ANALYZERS.is_empty() {
            "this version of audit has none yet".to_string()
        } else {
            format!("expected {}", or_list(ANALYZERS.iter().map(|a| a.name)))
        };
        let message = format!("unknown analyzer `{}`: {known}", spec.name);
        let span = match_key_span(source.text, "name");
        return Err(RuleError::new(source.path, source.text, message, span));
    };
    let matcher = (entry.build)(&spec.params)
        .map_err(|m| source.located(&format!("analyzer `{}`: {m}", spec.name)))?;
    Ok(Compiled {
        matcher,
        prefilter: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_matcher_kind_is_listed_once() {
        let names: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
        assert_eq!(
            names,
            ["pattern", "query", "setting", "project", "analyzer"]
        );
    }

    #[test]
    fn an_unknown_analyzer_is_refused_at_its_name() {
        let text =
            "id = \"USR001\"\nname = \"x\"\n[match]\nkind = \"analyzer\"\nname = \"n-plus-one\"\n";
        let table: toml::Table = toml::from_str(text).expect("toml");
        let mut matcher = table["match"].as_table().expect("table").clone();
        matcher.remove("kind");
        let source = RuleSource {
            path: "USR001-x.toml",
            text,
        };
        let Err(e) = compile("analyzer", matcher, &source) else {
            panic!("an unknown analyzer compiled");
        };
        assert_eq!(
            e.message(),
            "unknown analyzer `n-plus-one`: this version of audit has none yet"
        );
        let at = text.find("name = \"n-plus").expect("name");
        assert_eq!(e.span(), Some((at, at + "name = \"n-plus-one\"".len())));
    }

    #[test]
    fn an_unknown_kind_lists_the_known_ones() {
        let text = "[match]\nkind = \"patern\"\n";
        let source = RuleSource {
            path: "USR001-x.toml",
            text,
        };
        let Err(e) = compile("patern", toml::Table::new(), &source) else {
            panic!("an unknown kind compiled");
        };
        assert_eq!(
            e.message(),
            "unknown matcher kind `patern`: expected pattern, query, setting, project or analyzer"
        );
        assert_eq!(e.span(), Some((8, 8 + "kind = \"patern\"".len())));
    }
}
