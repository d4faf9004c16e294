//! The `pattern` matcher: candidate nodes found by qualified name (`calls`, `refs`) or by an
//! ast-grep rule, filtered by ast-grep structure and by argument conditions that see through
//! local bindings.

use crate::model::symbols::{CallArgs, FileSymbols, NodeIndex, Safe};
use crate::parse::python::{PyNode, Python};
use crate::rules::rule::{ArgCondition, Clause, PatternSpec, ValueClass};
use ast_grep_config::{DeserializeEnv, Rule, SerializableRule};
use ast_grep_core::matcher::MatcherExt;
use ast_grep_core::Matcher;
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use std::cell::OnceCell;

/// A match before it becomes a `Finding`: byte range and rendered message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawMatch {
    pub start: usize,
    pub end: usize,
    pub message: Option<String>,
}

/// What the pattern matcher needs of one parsed file; built once and shared by all rules.
pub struct FileContext<'r> {
    pub rel: String,
    pub root: PyNode<'r>,
    pub index: NodeIndex<'r>,
    pub symbols: FileSymbols<'r>,
    calls: OnceCell<Vec<(PyNode<'r>, String)>>,
    refs: OnceCell<Vec<(PyNode<'r>, String)>>,
}

impl<'r> FileContext<'r> {
    pub fn new(rel: &str, root: PyNode<'r>) -> Self {
        let index = NodeIndex::build(&root);
        let symbols = FileSymbols::from_index(&index);
        FileContext {
            rel: rel.to_string(),
            root,
            index,
            symbols,
            calls: OnceCell::new(),
            refs: OnceCell::new(),
        }
    }

    /// Every call with its qualified callee, as a `/`-separated path for glob matching.
    fn calls(&self) -> &[(PyNode<'r>, String)] {
        self.calls.get_or_init(|| {
            self.index
                .named("call")
                .iter()
                .filter_map(|call| {
                    let function = call.field("function")?;
                    let name = self.symbols.qualify(&function);
                    Some((call.clone(), name.replace('.', "/")))
                })
                .collect()
        })
    }

    /// Every maximal name or attribute chain outside imports and definitions.
    fn refs(&self) -> &[(PyNode<'r>, String)] {
        self.refs.get_or_init(|| {
            self.index
                .refs
                .iter()
                .map(|n| (n.clone(), self.symbols.qualify(n).replace('.', "/")))
                .collect()
        })
    }
}

pub struct CompiledPattern {
    clauses: Vec<CompiledClause>,
}

struct CompiledClause {
    call_globs: Vec<String>,
    calls: Option<GlobSet>,
    ref_globs: Vec<String>,
    refs: Option<GlobSet>,
    rule: Option<Rule>,
    args: Vec<CompiledArg>,
    files: Option<GlobSet>,
    exclude: Option<GlobSet>,
    message: Option<String>,
}

struct CompiledArg {
    spec: ArgCondition,
    rule: Option<Rule>,
    not: Option<Rule>,
    safe: Option<GlobSet>,
}

impl CompiledPattern {
    pub fn compile(spec: &PatternSpec) -> Result<Self, String> {
        let mut clauses = Vec::new();
        for (index, clause) in spec.clause.iter().chain(spec.any.iter()).enumerate() {
            let where_ = if spec.clause.is_some() && index == 0 {
                "[match]".to_string()
            } else {
                let n = if spec.clause.is_some() {
                    index
                } else {
                    index + 1
                };
                format!("[[match.any]] #{n}")
            };
            clauses.push(compile_clause(clause).map_err(|e| format!("{where_}: {e}"))?);
        }
        if clauses.is_empty() {
            return Err("[match] has no clause: give `calls`, `refs` or `rule`".to_string());
        }
        Ok(CompiledPattern { clauses })
    }

    /// What a file must contain for some clause to match: alternatives, each a set of
    /// literals that must all be present. Empty when some clause could match anything (the
    /// rule then runs on every file).
    pub fn default_prefilter(&self) -> Vec<Vec<String>> {
        let mut alternatives = Vec::new();
        for clause in &self.clauses {
            let globs: Vec<&String> = clause.call_globs.iter().chain(&clause.ref_globs).collect();
            if globs.is_empty() {
                return Vec::new();
            }
            for glob in globs {
                match glob_literals(glob) {
                    Some(found) => alternatives.extend(found),
                    None => return Vec::new(),
                }
            }
        }
        alternatives.sort();
        alternatives.dedup();
        alternatives
    }

    /// Every match in one file. A node matched by several clauses is reported once.
    pub fn find(&self, ctx: &FileContext<'_>) -> Vec<RawMatch> {
        let mut out: Vec<RawMatch> = Vec::new();
        // Two clauses matching the same node report it once (a set: files can match thousands).
        let mut seen = std::collections::HashSet::new();
        for clause in &self.clauses {
            if !clause.applies_to(&ctx.rel) {
                continue;
            }
            for found in clause.find(ctx) {
                if seen.insert((found.start, found.end)) {
                    out.push(found);
                }
            }
        }
        out.sort_by_key(|m| (m.start, m.end));
        out
    }
}

fn compile_clause(clause: &Clause) -> Result<CompiledClause, String> {
    let rule = clause.rule.clone().map(compile_rule).transpose()?;
    if clause.calls.is_empty() && clause.refs.is_empty() && rule.is_none() {
        return Err("a clause needs `calls`, `refs` or `rule`".to_string());
    }
    if !clause.args.is_empty() && clause.calls.is_empty() {
        return Err("`args` conditions need `calls`".to_string());
    }
    let mut args = Vec::new();
    for (i, arg) in clause.args.iter().enumerate() {
        if arg.keyword.is_none() && arg.position.is_none() {
            return Err(format!("args[{i}] needs `keyword` or `position`"));
        }
        if arg.absent.is_none() && arg.is.is_none() && arg.rule.is_none() && arg.not.is_none() {
            return Err(format!(
                "args[{i}] states no condition: give `absent`, `is`, `rule` or `not`"
            ));
        }
        args.push(CompiledArg {
            spec: arg.clone(),
            rule: arg.rule.clone().map(compile_rule).transpose()?,
            not: arg.not.clone().map(compile_rule).transpose()?,
            safe: name_globs(&arg.safe)?,
        });
    }
    Ok(CompiledClause {
        call_globs: clause.calls.clone(),
        calls: name_globs(&clause.calls)?,
        ref_globs: clause.refs.clone(),
        refs: name_globs(&clause.refs)?,
        rule,
        args,
        files: path_globs(&clause.files)?,
        exclude: path_globs(&clause.exclude_files)?,
        message: clause.message.clone(),
    })
}

/// Compiles an ast-grep rule against our Python grammar.
pub fn compile_rule(rule: SerializableRule) -> Result<Rule, String> {
    DeserializeEnv::new(Python)
        .deserialize_rule(rule)
        .map_err(|e| format!("invalid ast-grep rule: {e}"))
}

/// Qualified-name globs: dots are path separators so `*` stays inside one segment.
fn name_globs(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(&pattern.replace('.', "/"))
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid name pattern `{pattern}`: {e}"))?;
        builder.add(glob);
    }
    builder.build().map(Some).map_err(|e| e.to_string())
}

/// Path globs relative to the scanned root.
pub fn path_globs(patterns: &[String]) -> Result<Option<GlobSet>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid path glob `{pattern}`: {e}"))?;
        builder.add(glob);
    }
    builder.build().map(Some).map_err(|e| e.to_string())
}

/// The literals a file must contain for a name glob to match. Every segment of a qualified
/// name is an identifier written in the file (in the call itself or in the import that bound
/// it), so all plain segments are required: `jwt.decode` needs `jwt` and `decode`. Without a
/// plain segment, a braced one gives alternatives (`**.{execute,raw}` needs `execute` or
/// `raw`); a glob of wildcards only gives `None` (no literal can be required).
fn glob_literals(glob: &str) -> Option<Vec<Vec<String>>> {
    let segments: Vec<&str> = glob
        .split('.')
        .map(|s| s.trim_end_matches("()"))
        .filter(|s| !s.is_empty())
        .collect();
    let plain: Vec<String> = segments
        .iter()
        .filter(|s| !s.contains(['*', '{', '}', '?', '[']))
        .map(|s| s.to_string())
        .collect();
    // Of several braced segments, the one whose shortest alternative is longest: short
    // literals (`c` of `{c,cursor}`) are in every file. Ties go to the first, usually the module.
    let shortest = |s: &str| {
        s.trim_matches(['{', '}'])
            .split(',')
            .map(str::len)
            .min()
            .unwrap_or(0)
    };
    let braced = segments
        .iter()
        .filter(|s| !s.contains(['*', '?', '[']) && s.contains('{'))
        .fold(None::<&&str>, |best, s| match best {
            Some(b) if shortest(b) >= shortest(s) => Some(b),
            _ => Some(s),
        });
    let options: Vec<String> = match braced.and_then(|b| Some((b, b.find('{')?, b.rfind('}')?))) {
        Some((b, open, close)) => b[open + 1..close]
            .split(',')
            .map(|o| format!("{}{o}{}", &b[..open], &b[close + 1..]))
            .collect(),
        None => Vec::new(),
    };
    match (plain.is_empty(), options.is_empty()) {
        (true, true) => None,
        (false, true) => Some(vec![plain]),
        // `os.{system,popen}` needs `os` and one of `system`, `popen`: `os` alone is in
        // every file that says `pos` or `close`.
        _ => Some(
            options
                .into_iter()
                .map(|o| plain.iter().cloned().chain(std::iter::once(o)).collect())
                .collect(),
        ),
    }
}

impl CompiledClause {
    fn applies_to(&self, rel: &str) -> bool {
        self.files.as_ref().is_none_or(|g| g.is_match(rel))
            && !self.exclude.as_ref().is_some_and(|g| g.is_match(rel))
    }

    fn find<'r>(&self, ctx: &FileContext<'r>) -> Vec<RawMatch> {
        let mut out = Vec::new();
        if let Some(calls) = &self.calls {
            for (node, name) in ctx.calls() {
                if calls.is_match(name) {
                    self.try_candidate(ctx, node, name, true, &mut out);
                }
            }
        }
        if let Some(refs) = &self.refs {
            for (node, name) in ctx.refs() {
                if refs.is_match(name) {
                    self.try_candidate(ctx, node, name, false, &mut out);
                }
            }
        }
        if self.calls.is_none() && self.refs.is_none() {
            if let Some(rule) = &self.rule {
                let candidates: Vec<&PyNode<'r>> = match rule.potential_kinds() {
                    Some(kinds) => kinds
                        .iter()
                        .flat_map(|k| ctx.index.of_kind(k as u16))
                        .collect(),
                    None => ctx.index.all.iter().collect(),
                };
                for node in candidates {
                    if let Some(found) = rule.match_node(node.clone()) {
                        let message = self.render(ctx, node, "", None, Some(&found));
                        out.push(RawMatch {
                            start: node.range().start,
                            end: node.range().end,
                            message,
                        });
                    }
                }
            }
        }
        out
    }

    fn try_candidate<'r>(
        &self,
        ctx: &FileContext<'r>,
        node: &PyNode<'r>,
        name: &str,
        is_call: bool,
        out: &mut Vec<RawMatch>,
    ) {
        let structural = match &self.rule {
            Some(rule) => match rule.match_node(node.clone()) {
                Some(found) => Some(found),
                None => return,
            },
            None => None,
        };
        let mut examined = None;
        if is_call {
            let args = CallArgs::of(node);
            for condition in &self.args {
                match condition.holds(&args, &ctx.symbols) {
                    Some(seen) => examined = seen.or(examined),
                    None => return,
                }
            }
        }
        let qualified = name.replace('/', ".");
        let message = self.render(
            ctx,
            node,
            &qualified,
            examined.as_ref(),
            structural.as_ref(),
        );
        out.push(RawMatch {
            start: node.range().start,
            end: node.range().end,
            message,
        });
    }

    fn render(
        &self,
        ctx: &FileContext<'_>,
        node: &PyNode<'_>,
        qualified: &str,
        arg: Option<&PyNode<'_>>,
        found: Option<&ast_grep_core::NodeMatch<'_, crate::parse::python::PyDoc>>,
    ) -> Option<String> {
        let template = self.message.as_ref()?;
        let call = if node.kind() == "call" {
            node.field("function")
                .map(|f| f.text().to_string())
                .unwrap_or_default()
        } else {
            node.text().to_string()
        };
        let mut text = template
            .replace("{call}", &fold(&call))
            .replace("{qualified}", qualified)
            .replace("{symbol}", &ctx.symbols.enclosing_symbol(node))
            .replace(
                "{arg}",
                &arg.map(|a| shorten(&fold(&a.text()))).unwrap_or_default(),
            );
        if let Some(found) = found {
            text = substitute_metavars(&text, |var| {
                found
                    .get_env()
                    .get_match(var)
                    .map(|n| shorten(&fold(&n.text())))
            });
        }
        Some(text)
    }
}

impl CompiledArg {
    /// `None` when the condition fails; otherwise the value it examined, if any.
    fn holds<'r>(
        &self,
        args: &CallArgs<'r>,
        symbols: &FileSymbols<'r>,
    ) -> Option<Option<PyNode<'r>>> {
        let spec = &self.spec;
        let by_keyword = spec.keyword.as_deref().and_then(|k| args.keyword(k));
        let by_position = spec.position.and_then(|p| args.positional.get(p));
        let selected = by_keyword.or(by_position).cloned();
        if let Some(absent) = spec.absent {
            let maybe_given = spec.keyword.is_some() && args.keyword_splat;
            let is_absent = selected.is_none() && !maybe_given;
            if absent != is_absent {
                return None;
            }
        }
        let resolved = selected.as_ref().map(|v| symbols.resolve_value(v));
        if let Some(class) = spec.is {
            let value = resolved.as_ref()?;
            let safe = |node: &PyNode<'r>| self.is_safe(node, symbols);
            if !is_class(value, class, symbols, &safe) {
                return None;
            }
        }
        if let Some(rule) = &self.rule {
            let value = resolved.as_ref()?;
            rule.match_node(value.clone())?;
        }
        if let Some(not) = &self.not {
            if let Some(value) = resolved.as_ref() {
                if not.match_node(value.clone()).is_some() {
                    return None;
                }
            }
        }
        Some(resolved)
    }
}

impl CompiledArg {
    /// A call to one of the clause's `safe` callees (a sanitizer).
    fn is_safe<'r>(&self, node: &PyNode<'r>, symbols: &FileSymbols<'r>) -> bool {
        let Some(safe) = &self.safe else {
            return false;
        };
        node.kind() == "call"
            && node
                .field("function")
                .is_some_and(|f| safe.is_match(symbols.qualify(&f).replace('.', "/")))
    }
}

fn is_class<'r>(
    value: &PyNode<'r>,
    class: ValueClass,
    symbols: &FileSymbols<'r>,
    safe: Safe<'_, 'r>,
) -> bool {
    match class {
        ValueClass::DynamicString => symbols.is_dynamic_with(value, safe),
        ValueClass::NonLiteral => !symbols.is_constant(value, safe),
        ValueClass::Literal => symbols.is_constant(value, safe),
        ValueClass::False => value.kind() == "false",
        ValueClass::True => value.kind() == "true",
        ValueClass::None => value.kind() == "none",
    }
}

fn fold(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Keeps messages one line and readable when an argument is a long literal.
fn shorten(text: &str) -> String {
    const MAX: usize = 60;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let head: String = text.chars().take(MAX - 1).collect();
    format!("{head}…")
}

/// Replaces `$NAME` with the metavariable's text where the rule bound one.
fn substitute_metavars(text: &str, lookup: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find('$') {
        out.push_str(&rest[..pos]);
        let after = &rest[pos + 1..];
        let len = after
            .char_indices()
            .find(|(_, c)| !(c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_'))
            .map(|(i, _)| i)
            .unwrap_or(after.len());
        let var = &after[..len];
        match (len > 0).then(|| lookup(var)).flatten() {
            Some(value) => out.push_str(&value),
            None => {
                out.push('$');
                out.push_str(var);
            }
        }
        rest = &after[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefilter_requires_every_plain_segment() {
        let one = |g: &str| glob_literals(g);
        let all = |v: &[&str]| Some(vec![v.iter().map(|s| s.to_string()).collect::<Vec<_>>()]);
        assert_eq!(one("jwt.decode"), all(&["jwt", "decode"]));
        assert_eq!(one("**.execute"), all(&["execute"]));
        assert_eq!(one("subprocess.*"), all(&["subprocess"]));
        assert_eq!(
            one("requests.{get,post}"),
            Some(vec![
                vec!["requests".to_string(), "get".to_string()],
                vec!["requests".to_string(), "post".to_string()],
            ])
        );
        assert_eq!(
            one("requests.Session().get"),
            all(&["requests", "Session", "get"])
        );
        assert_eq!(
            one("**.{execute,raw}"),
            Some(vec![vec!["execute".to_string()], vec!["raw".to_string()]])
        );
        assert_eq!(
            one("**.{c,cursor}.{execute,raw}"),
            Some(vec![vec!["execute".to_string()], vec!["raw".to_string()]])
        );
        assert_eq!(
            one("{pickle,dill}.{load,loads}"),
            Some(vec![vec!["pickle".to_string()], vec!["dill".to_string()]])
        );
        assert_eq!(one("**"), None);
        assert_eq!(one("*.*"), None);
    }

    #[test]
    fn metavariables_are_substituted_and_unknown_ones_kept() {
        let out = substitute_metavars("call $A with $B and $", |v| {
            (v == "A").then(|| "x".to_string())
        });
        assert_eq!(out, "call x with $B and $");
    }
}
