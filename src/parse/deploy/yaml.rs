//! A YAML stream read into a flat tree that keeps each node's line. Built from yaml-rust2's
//! event parser rather than its document type: the events carry positions (its `Yaml`
//! values do not), the arena needs no recursion to build, walk or drop whatever the
//! nesting, and an alias points at its anchor's node instead of copying it, so an alias
//! bomb costs nothing.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};
use yaml_rust2::parser::{Event, Parser};

#[derive(Debug)]
pub(super) enum Value {
    Null,
    Scalar(String),
    Seq(Vec<usize>),
    Map(Vec<(usize, usize)>),
}

#[derive(Debug)]
pub(super) struct Node {
    pub value: Value,
    /// 1-based line where the node starts.
    pub line: usize,
}

#[derive(Debug)]
pub(super) struct Yaml {
    pub nodes: Vec<Node>,
    /// The root node of each document of the stream.
    pub docs: Vec<usize>,
    /// Merged entries still to be read (see `spend`).
    merge_budget: Cell<usize>,
}

/// How many merged entries one file may read in all: far above what real compose files merge.
const MERGE_BUDGET: usize = 200_000;

impl Default for Yaml {
    fn default() -> Self {
        Yaml {
            nodes: Vec::new(),
            docs: Vec::new(),
            merge_budget: Cell::new(MERGE_BUDGET),
        }
    }
}

/// Reads every document of `text`. On a syntax error the nodes read so far are kept (open
/// containers closed where they stopped) and the error is returned beside them.
pub(super) fn load(text: &str) -> (Yaml, Option<String>) {
    let mut yaml = Yaml::default();
    let mut anchors: HashMap<usize, usize> = HashMap::new();
    // Open containers: node id, anchor, and for a mapping the key waiting for its value.
    let mut stack: Vec<(usize, usize, Option<usize>)> = Vec::new();
    let mut parser = Parser::new_from_str(text);
    let mut error = None;
    loop {
        let (event, mark) = match parser.next_token() {
            Ok(next) => next,
            Err(e) => {
                error = Some(format!(
                    "YAML: {} at line {}",
                    e.info(),
                    e.marker().line().max(1)
                ));
                break;
            }
        };
        let line = mark.line().max(1);
        let done = match event {
            Event::StreamEnd => break,
            Event::Scalar(value, _, anchor, _) => {
                // An empty value (`KEY:`) is reported where the next token starts; it
                // belongs on its key's line.
                let line = match stack.last() {
                    Some(&(_, _, Some(key))) if value.is_empty() => yaml.nodes[key].line,
                    _ => line,
                };
                Some((yaml.push(Value::Scalar(value), line), anchor))
            }
            Event::Alias(anchor) => Some((
                anchors
                    .get(&anchor)
                    .copied()
                    .unwrap_or_else(|| yaml.push(Value::Null, line)),
                0,
            )),
            Event::SequenceStart(anchor, _) => {
                stack.push((yaml.push(Value::Seq(Vec::new()), line), anchor, None));
                None
            }
            Event::MappingStart(anchor, _) => {
                stack.push((yaml.push(Value::Map(Vec::new()), line), anchor, None));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => {
                stack.pop().map(|(id, anchor, _)| (id, anchor))
            }
            _ => None,
        };
        if let Some((id, anchor)) = done {
            if anchor > 0 {
                anchors.insert(anchor, id);
            }
            attach(&mut yaml, &mut stack, id);
        }
    }
    while let Some((id, _, _)) = stack.pop() {
        attach(&mut yaml, &mut stack, id);
    }
    (yaml, error)
}

fn attach(yaml: &mut Yaml, stack: &mut [(usize, usize, Option<usize>)], id: usize) {
    let Some((parent, _, pending)) = stack.last_mut() else {
        yaml.docs.push(id);
        return;
    };
    match &mut yaml.nodes[*parent].value {
        Value::Seq(items) => items.push(id),
        Value::Map(entries) => match pending.take() {
            Some(key) => entries.push((key, id)),
            None => *pending = Some(id),
        },
        _ => {}
    }
}

impl Yaml {
    fn push(&mut self, value: Value, line: usize) -> usize {
        self.nodes.push(Node { value, line });
        self.nodes.len() - 1
    }

    pub fn line(&self, id: usize) -> usize {
        self.nodes[id].line
    }

    pub fn str(&self, id: usize) -> Option<&str> {
        match &self.nodes[id].value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn items(&self, id: usize) -> &[usize] {
        match &self.nodes[id].value {
            Value::Seq(items) => items,
            _ => &[],
        }
    }

    /// A mapping's entries with string keys, the entries merged in by `<<: *anchor` after
    /// its own (one level: a merge of a merge is not followed).
    pub fn entries(&self, id: usize) -> Vec<(&str, usize)> {
        let mut out: Vec<(&str, usize)> = Vec::new();
        let mut seen: HashSet<&str> = HashSet::new();
        for (key, value) in self.own_entries(id) {
            if seen.insert(key) {
                out.push((key, value));
            }
        }
        for map in self.merge_sources(id) {
            for (key, value) in self.own_entries(map) {
                if !self.spend(1) {
                    return out;
                }
                if seen.insert(key) {
                    out.push((key, value));
                }
            }
        }
        out
    }

    pub fn get(&self, id: usize, key: &str) -> Option<usize> {
        let own = self.own_entries(id).find(|(k, _)| *k == key);
        if own.is_some() {
            return own.map(|(_, v)| v);
        }
        for map in self.merge_sources(id) {
            for (k, value) in self.own_entries(map) {
                if !self.spend(1) {
                    return None;
                }
                if k == key {
                    return Some(value);
                }
            }
        }
        None
    }

    /// The entries written in the mapping itself, `<<` excluded.
    fn own_entries(&self, id: usize) -> impl Iterator<Item = (&str, usize)> {
        let entries = match &self.nodes[id].value {
            Value::Map(entries) => entries.as_slice(),
            _ => &[],
        };
        entries
            .iter()
            .filter_map(|&(k, v)| self.str(k).filter(|k| *k != "<<").map(|k| (k, v)))
    }

    /// The mappings a `<<` key merges in (an alias or a list of them).
    fn merge_sources(&self, id: usize) -> Vec<usize> {
        let Value::Map(entries) = &self.nodes[id].value else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for &(k, v) in entries {
            if self.str(k) == Some("<<") {
                match &self.nodes[v].value {
                    Value::Seq(items) => out.extend(items.iter().copied()),
                    _ => out.push(v),
                }
            }
        }
        out
    }

    /// Merged entries are the only place one node's content is read many times (each
    /// mapping that merges a big anchor reads it again), so their reads share one budget:
    /// past it, merges are not followed and the cost stays linear in the text.
    fn spend(&self, n: usize) -> bool {
        let left = self.merge_budget.get();
        self.merge_budget.set(left.saturating_sub(n));
        left >= n
    }

    pub fn is_map(&self, id: usize) -> bool {
        matches!(self.nodes[id].value, Value::Map(_))
    }

    /// Every mapping reachable from the documents, each once, in document order, with the
    /// key it is found under (for an item of a sequence, the sequence's key).
    pub fn maps(&self) -> Vec<(usize, Option<&str>)> {
        let mut seen = vec![false; self.nodes.len()];
        let mut out = Vec::new();
        let mut todo: Vec<(usize, Option<&str>)> =
            self.docs.iter().rev().map(|&d| (d, None)).collect();
        while let Some((id, key)) = todo.pop() {
            if std::mem::replace(&mut seen[id], true) {
                continue;
            }
            match &self.nodes[id].value {
                Value::Map(entries) => {
                    out.push((id, key));
                    todo.extend(entries.iter().rev().map(|&(k, v)| (v, self.str(k))));
                }
                Value::Seq(items) => todo.extend(items.iter().rev().map(|&i| (i, key))),
                _ => {}
            }
        }
        out
    }
}

/// What an inline template action becomes.
pub(super) const PLACEHOLDER: &str = "TEMPLATE";

/// Helm templates put `{{ … }}` where YAML wants a value or a whole line. A line that is only
/// a template action is blanked and an inline action becomes a plain word, so the rest of
/// the file still reads as YAML with its lines where they were.
pub(super) fn untemplate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        let trimmed = body.trim();
        if trimmed.starts_with("{{") && trimmed.ends_with("}}") && !trimmed[2..].contains("{{") {
            out.push_str(&line[body.len()..]);
            continue;
        }
        let mut rest = body;
        while let Some(at) = rest.find("{{") {
            out.push_str(&rest[..at]);
            match rest[at..].find("}}") {
                Some(end) => {
                    out.push_str(PLACEHOLDER);
                    rest = &rest[at + end + 2..];
                }
                None => {
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out.push_str(&line[body.len()..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_documents_anchors_and_merges() {
        let text = "a: 1\n---\nx-base: &base\n  image: app\n  env:\n    - A=1\nweb:\n  <<: *base\n  command: run\n";
        let (yaml, error) = load(text);
        assert_eq!(error, None);
        assert_eq!(yaml.docs.len(), 2);
        let second = yaml.docs[1];
        let web = yaml.get(second, "web").unwrap();
        let keys: Vec<&str> = yaml.entries(web).into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["command", "image", "env"]);
        let image = yaml.get(web, "image").unwrap();
        assert_eq!((yaml.str(image), yaml.line(image)), (Some("app"), 4));
        let command = yaml.get(web, "command").unwrap();
        assert_eq!(yaml.line(command), 9);
        assert_eq!(yaml.maps().len(), 4);
    }

    #[test]
    fn errors_keep_what_was_read() {
        let (yaml, error) = load("a:\n  b: 1\n  c: [1, 2\nd: 3\n");
        assert!(error.unwrap().starts_with("YAML: "));
        let a = yaml.get(yaml.docs[0], "a").unwrap();
        assert_eq!(yaml.str(yaml.get(a, "b").unwrap()), Some("1"));
    }

    #[test]
    fn deep_nesting_and_alias_bombs_are_cheap() {
        let deep = "[".repeat(50_000);
        let (yaml, error) = load(&deep);
        // The parser refuses past its nesting bound before it yields the first item.
        assert_eq!(
            error.as_deref(),
            Some("YAML: recursion limit exceeded at line 1")
        );
        assert_eq!(yaml.docs.len(), 0);
        let mut bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n".to_string();
        for i in 0..30 {
            let prev = if i == 0 {
                "a".to_string()
            } else {
                format!("b{}", i - 1)
            };
            bomb.push_str(&format!(
                "b{i}: &b{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let (yaml, error) = load(&bomb);
        assert_eq!(error, None);
        assert_eq!(yaml.maps().len(), 1);
    }

    #[test]
    fn many_merges_of_a_big_anchor_stay_within_the_budget() {
        let mut text = "big: &big\n".to_string();
        for i in 0..20_000 {
            text.push_str(&format!("  k{i}: v\n"));
        }
        text.push_str("services:\n");
        for i in 0..20_000 {
            text.push_str(&format!("  s{i}: {{<<: *big}}\n"));
        }
        let (yaml, error) = load(&text);
        assert_eq!(error, None);
        let services = yaml.get(yaml.docs[0], "services").unwrap();
        let services = yaml.entries(services);
        assert_eq!(services.len(), 20_000);
        // The first services see the merge; once the budget is spent, later ones do not.
        assert!(yaml.get(services[0].1, "k19999").is_some());
        let seen: usize = services.iter().map(|&(_, s)| yaml.entries(s).len()).sum();
        assert!(seen <= MERGE_BUDGET, "{seen}");
        assert_eq!(yaml.get(services[19_999].1, "k0"), None);
    }

    #[test]
    fn helm_actions_are_blanked_or_replaced() {
        let text = "{{- if .Values.web }}\nimage: {{ .Values.image }}:{{ .Chart.AppVersion }}\n  {{- toYaml . | nindent 2 }}\n{{- end }}\n";
        assert_eq!(untemplate(text), "\nimage: TEMPLATE:TEMPLATE\n\n\n");
    }
}
