//! Parameters settled by their callers. Provenance stays inside one function (DESIGN §4.5), so
//! a value that is a parameter of a module-level function is "whatever its callers pass". After
//! the merge, the project's import lists say which files can call that function; those few files
//! are read again, each call's argument is traced in its own file, and the finding is graded by
//! the worst of them: dropped when every caller passes constants, raised when one passes request
//! data, left as it was when no call is seen (templates, the framework, other packages).

use crate::findings::{Finding, SettleQuestion};
use crate::model::provenance::{Flows, Origin, Provenance, Settle, Tracer};
use crate::model::reach::{self, ModuleFacts};
use crate::model::symbols::{CallArgs, FileSymbols, NodeIndex};
use crate::parse::python;
use std::collections::HashMap;

/// Importing files read for one question at most, and files among them that name the
/// function parsed: a helper used more widely is left unsettled.
const MAX_READ_FILES: usize = 400;
const MAX_CALLER_FILES: usize = 16;
/// Calls traced for one question at most.
const MAX_CALLS: usize = 64;
/// Seconds the parser may spend on one caller file.
const MAX_PARSE_SECONDS: u64 = 2;
/// Callers of callers followed, when a caller passes its own parameter on.
const MAX_LEVELS: usize = 3;

/// Parses and reads of caller files in one run at most: past them, questions are left as they
/// were. Texts read are kept for later questions, up to a total size.
const MAX_PARSES_PER_RUN: usize = 2_000;
const MAX_READS_PER_RUN: usize = 20_000;
const MAX_KEPT_BYTES: usize = 64 << 20;

/// Re-grades the findings that carry a question by what the callers pass; `read` gives a
/// file's text by its relative path.
pub(super) fn settle(
    findings: &mut Vec<Finding>,
    modules: &[ModuleFacts],
    read: &dyn Fn(&str) -> Option<String>,
) {
    if !findings.iter().any(|f| f.settle.is_some()) {
        return;
    }
    let mut settler = Settler::new(modules, read);
    findings.retain_mut(|finding| {
        let Some(mut question) = finding.settle.take() else {
            return true;
        };
        let mut path = finding.path.clone();
        for _ in 0..MAX_LEVELS {
            let Some((found, rel)) = settler.callers_pass(&path, &question) else {
                return true;
            };
            match found.settle.clone() {
                // The caller hands on its own parameter: its callers decide.
                Some(next) if found.origin == Origin::Parameter => {
                    question.settle = next;
                    path = rel;
                }
                _ => return regrade(finding, &question, &found, &rel),
            }
        }
        true
    });
}

/// What one run knows while it settles questions: which files import what, the answers given
/// so far (several findings of one function ask the same), and the parses left.
struct Settler<'a> {
    modules: &'a [ModuleFacts],
    read: &'a dyn Fn(&str) -> Option<String>,
    /// Module files by the last part of each name they import (`connection`, `run`).
    importers: HashMap<&'a str, Vec<usize>>,
    answers: HashMap<(String, Settle), Option<(Provenance, String)>>,
    parses_left: usize,
    reads_left: usize,
    texts: HashMap<String, Option<std::rc::Rc<String>>>,
    kept_bytes: usize,
}

impl<'a> Settler<'a> {
    fn new(modules: &'a [ModuleFacts], read: &'a dyn Fn(&str) -> Option<String>) -> Self {
        let mut importers: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, module) in modules.iter().enumerate() {
            for name in &module.imports {
                let last = name.rsplit('.').next().unwrap_or(name);
                importers.entry(last).or_default().push(i);
            }
        }
        for list in importers.values_mut() {
            list.dedup();
        }
        Settler {
            modules,
            read,
            importers,
            answers: HashMap::new(),
            parses_left: MAX_PARSES_PER_RUN,
            reads_left: MAX_READS_PER_RUN,
            texts: HashMap::new(),
            kept_bytes: 0,
        }
    }

    /// A file's text, read once per run while the budget lasts.
    fn text(&mut self, rel: &str) -> Option<std::rc::Rc<String>> {
        if let Some(text) = self.texts.get(rel) {
            return text.clone();
        }
        if self.reads_left == 0 {
            return None;
        }
        self.reads_left -= 1;
        let text = (self.read)(rel).map(std::rc::Rc::new);
        let size = text.as_ref().map_or(0, |t| t.len());
        if self.kept_bytes + size <= MAX_KEPT_BYTES {
            self.kept_bytes += size;
            self.texts.insert(rel.to_string(), text.clone());
        }
        text
    }

    fn callers_pass(
        &mut self,
        path: &str,
        question: &SettleQuestion,
    ) -> Option<(Provenance, String)> {
        let key = (path.to_string(), question.settle.clone());
        if let Some(answer) = self.answers.get(&key) {
            return answer.clone();
        }
        let answer = self.ask(path, question);
        self.answers.insert(key, answer.clone());
        answer
    }
}

/// The new grade of `finding` from what its worst caller passes; false drops it.
fn regrade(
    finding: &mut Finding,
    question: &SettleQuestion,
    found: &Provenance,
    rel: &str,
) -> bool {
    let function = &question.settle.function;
    let clause = match found.origin {
        // A parameter of the caller: one level is followed, no more.
        Origin::Parameter => return true,
        Origin::Request => format!(
            "; a call of `{function}` passes request data: {}",
            found.describe(rel)
        ),
        Origin::Unknown => format!(
            "; a call of `{function}` passes a value of unknown origin: {}",
            found.describe(rel)
        ),
        Origin::Constant | Origin::Sanitised => {
            format!("; every call of `{function}` in the project passes fixed or sanitised values")
        }
    };
    let Some(grade) = question
        .grades
        .iter()
        .find(|(origin, _)| *origin == found.origin)
        .map(|(_, severity)| *severity)
    else {
        return false;
    };
    finding.severity = grade.min(question.ceiling);
    finding.evidence = Some(found.origin);
    finding.message.push_str(&clause);
    true
}

impl Settler<'_> {
    /// The worst value the project's calls of the question's function pass for its parameter, and
    /// the file of that call; `None` when no call is seen or some call cannot be read (`*args`,
    /// `**kwargs`, too many callers).
    fn ask(&mut self, path: &str, question: &SettleQuestion) -> Option<(Provenance, String)> {
        let module = reach::module_of(path);
        let function = &question.settle.function;
        let target = match &question.settle.class {
            Some(class) => format!("{module}.{class}.{function}"),
            None => format!("{module}.{function}"),
        };
        let own_name = match &question.settle.class {
            Some(class) => format!("{class}.{function}"),
            None => function.clone(),
        };
        let module_last = module.rsplit('.').next().unwrap_or(&module);
        let mut indexes: Vec<usize> = [module_last, function.as_str()]
            .iter()
            .filter_map(|name| self.importers.get(name))
            .flatten()
            .copied()
            .collect();
        indexes.sort_unstable();
        indexes.dedup();
        let modules = self.modules;
        let mut candidates: Vec<&ModuleFacts> = indexes
            .into_iter()
            .map(|i| &modules[i])
            .filter(|m| {
                // A file importing another module's name `function` is read too: if that name is
                // ours re-exported (a package `__init__`), its calls must not go unseen.
                m.rel != path
                    && m.imports.iter().any(|i| {
                        same_name(i, &target)
                            || same_name(i, &module)
                            || i.rsplit('.').next() == Some(function.as_str())
                    })
            })
            .collect();
        candidates.extend(modules.iter().filter(|m| m.rel == path));
        if candidates.is_empty() || candidates.len() > MAX_READ_FILES {
            return None;
        }
        let mut worst: Option<(Provenance, String)> = None;
        let mut calls = 0;
        let mut parsed = 0;
        let mut handed_on: Vec<Option<Settle>> = Vec::new();
        for candidate in candidates {
            let text = self.text(&candidate.rel)?;
            if !text.contains(function.as_str()) {
                continue;
            }
            parsed += 1;
            if parsed > MAX_CALLER_FILES || self.parses_left == 0 {
                return None;
            }
            self.parses_left -= 1;
            let own = (candidate.rel == path).then_some(own_name.as_str());
            let found = in_file(&candidate.rel, text.to_string(), own, &target, question)?;
            calls += found.len();
            if calls > MAX_CALLS {
                return None;
            }
            for provenance in found {
                if provenance.origin == Origin::Parameter {
                    handed_on.push(provenance.settle.clone());
                }
                let worse = worst
                    .as_ref()
                    .is_none_or(|(w, _)| provenance.origin > w.origin);
                if worse {
                    worst = Some((provenance, candidate.rel.clone()));
                }
            }
        }
        // Callers that hand on different parameters of their own: following one would not
        // settle the others.
        handed_on.dedup();
        let parameter = worst
            .as_ref()
            .is_some_and(|(w, _)| w.origin == Origin::Parameter);
        if parameter && handed_on.len() > 1 {
            return None;
        }
        worst
    }
}

/// What each call of `target` in one file passes for the parameter; `None` when a call hides
/// its arguments or the file cannot be parsed.
fn in_file(
    rel: &str,
    text: String,
    own: Option<&str>,
    target: &str,
    question: &SettleQuestion,
) -> Option<Vec<Provenance>> {
    if python::indentation_depth(&text) > python::MAX_INDENT_DEPTH {
        return None;
    }
    let root = python::parse_within(text, MAX_PARSE_SECONDS)?;
    let top = root.root();
    let index = NodeIndex::build(&top);
    if index.height > python::MAX_TREE_DEPTH {
        return None;
    }
    let symbols = FileSymbols::from_index(&index);
    let flows = Flows::build(rel, &index, &symbols);
    let no_sanitiser = |_: &str| false;
    let tracer = Tracer::new(&symbols, &flows, &no_sanitiser);
    let package = reach::package_of(rel);
    let settle = &question.settle;
    // Imported under another name (`import run as run_sql`), or every name at once: its calls
    // cannot be told from others.
    let hidden_import = index.named("aliased_import").iter().any(|a| {
        a.field("name")
            .is_some_and(|n| n.text().rsplit('.').next() == Some(settle.function.as_str()))
    }) || index.named("wildcard_import").iter().next().is_some();
    if hidden_import {
        return None;
    }
    // Every use of the name must be a call this reads: `run.delay(x)`, `Thread(target=run)`
    // or a re-export pass the function on where its arguments are not seen.
    let mut callees = 0;
    let mut uses = 0;
    for ident in index.named("identifier") {
        if ident.text() != settle.function.as_str() {
            continue;
        }
        let parent = ident.parent();
        let kind = parent
            .as_ref()
            .map(|p| p.kind().to_string())
            .unwrap_or_default();
        if matches!(
            kind.as_str(),
            "function_definition" | "dotted_name" | "keyword_argument" | "aliased_import"
        ) && !(kind == "keyword_argument"
            && parent
                .as_ref()
                .and_then(|p| p.field("value"))
                .is_some_and(|v| v.range() == ident.range()))
        {
            continue;
        }
        uses += 1;
    }
    let mut found = Vec::new();
    for call in index.named("call") {
        let Some(callee) = call.field("function") else {
            continue;
        };
        let name = match callee.kind().as_ref() {
            "identifier" => callee.text().to_string(),
            "attribute" => callee
                .field("attribute")
                .map(|a| a.text().to_string())
                .unwrap_or_default(),
            _ => continue,
        };
        if name != settle.function {
            continue;
        }
        let qualified = absolute(&symbols.qualify(&callee), &package);
        // In its own file the call names the function itself, unless a name imported from
        // elsewhere hides it. A call of the name that cannot be tied to it (`obj.run(...)`,
        // `cls.run(...)`, a star import) may be it: the question stays open.
        let local = own == Some(qualified.as_str());
        if !(local || same_name(&qualified, target)) {
            return None;
        }
        callees += 1;
        let args = CallArgs::of(call);
        // Positional arguments before the first `*xs`: those are known to be where they stand.
        let before_splat = call.field("arguments").map_or(0, |a| {
            a.named_children()
                .filter(|c| !matches!(c.kind().as_ref(), "keyword_argument" | "comment"))
                .take_while(|c| c.kind() != "list_splat")
                .count()
        });
        let given = args.keyword(&settle.param).cloned().or_else(|| {
            (settle.position < before_splat)
                .then(|| args.positional.get(settle.position).cloned())
                .flatten()
        });
        // Not passed: its default, unless a splat may carry it; the default is not read.
        let given = given?;
        found.push(tracer.trace(&given));
    }
    // Each call read here uses the name once (`run(...)` or `db.run(...)`); any other use is
    // an argument, a `.delay`, a re-export: the function runs where its arguments are not seen.
    if uses != callees {
        return None;
    }
    Some(found)
}

/// A relative import target (`.connection.run`) made absolute from the file's package.
fn absolute(qualified: &str, package: &str) -> String {
    let dots = qualified.chars().take_while(|&c| c == '.').count();
    if dots == 0 {
        return qualified.to_string();
    }
    let parts: Vec<&str> = package.split('.').filter(|p| !p.is_empty()).collect();
    let keep = parts.len().saturating_sub(dots - 1);
    let mut base = parts[..keep].join(".");
    let rest = &qualified[dots..];
    if !rest.is_empty() {
        if !base.is_empty() {
            base.push('.');
        }
        base.push_str(rest);
    }
    base
}

/// Whether two dotted names spell the same module or function from different source roots
/// (`app.db.run` and `db.run`); a one-part name matches only itself.
fn same_name(a: &str, b: &str) -> bool {
    let ends = |long: &str, short: &str| {
        short.contains('.')
            && long.len() > short.len()
            && long.ends_with(short)
            && long.as_bytes()[long.len() - short.len() - 1] == b'.'
    };
    a == b || ends(a, b) || ends(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_across_source_roots_but_not_by_one_part() {
        assert!(same_name("mathesar.db.connection.run", "db.connection.run"));
        assert!(same_name("db.connection", "db.connection"));
        assert!(!same_name("connection", "db.connection"));
        assert!(!same_name("xdb.connection", "db.connection"));
        assert_eq!(absolute(".connection.run", "db"), "db.connection.run");
        assert_eq!(absolute("..utils.f", "app.views"), "app.utils.f");
        assert_eq!(absolute("os.path.join", "app"), "os.path.join");
    }
}
