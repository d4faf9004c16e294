//! One multi-literal automaton over every rule's prefilter literals: a file's bytes are scanned
//! once to learn which rules could match it, and a file no rule needs is never parsed.

use crate::rules::LoadedRule;
use aho_corasick::AhoCorasick;

pub struct Prefilter {
    automaton: Option<AhoCorasick>,
    /// Per rule: alternatives of literal ids that must all be present; empty = always.
    needs: Vec<Vec<Vec<usize>>>,
    literal_count: usize,
}

impl Prefilter {
    pub fn new(rules: &[&LoadedRule]) -> Self {
        let mut literals: Vec<String> = Vec::new();
        let id_of = |literal: &String, literals: &mut Vec<String>| match literals
            .iter()
            .position(|l| l == literal)
        {
            Some(at) => at,
            None => {
                literals.push(literal.clone());
                literals.len() - 1
            }
        };
        let needs: Vec<Vec<Vec<usize>>> = rules
            .iter()
            .map(|rule| {
                rule.prefilter
                    .iter()
                    .map(|alt| alt.iter().map(|l| id_of(l, &mut literals)).collect())
                    .collect()
            })
            .collect();
        // Building only fails past aho-corasick's size limits; every rule then runs everywhere.
        let automaton = if literals.is_empty() {
            None
        } else {
            AhoCorasick::new(&literals).ok()
        };
        let broken = automaton.is_none() && !literals.is_empty();
        Prefilter {
            automaton,
            needs: if broken {
                vec![Vec::new(); rules.len()]
            } else {
                needs
            },
            literal_count: literals.len(),
        }
    }

    /// Indices of the rules that could match these bytes, ascending.
    pub fn rules_for(&self, bytes: &[u8]) -> Vec<usize> {
        let mut present = vec![false; self.literal_count];
        if let Some(automaton) = &self.automaton {
            let mut remaining = self.literal_count;
            for found in automaton.find_overlapping_iter(bytes) {
                let id = found.pattern().as_usize();
                if !present[id] {
                    present[id] = true;
                    remaining -= 1;
                    if remaining == 0 {
                        break;
                    }
                }
            }
        }
        self.needs
            .iter()
            .enumerate()
            .filter(|(_, alternatives)| {
                alternatives.is_empty()
                    || alternatives
                        .iter()
                        .any(|alt| alt.iter().all(|&id| present[id]))
            })
            .map(|(i, _)| i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::load::parse_rule;

    fn rule(id: &str, prefilter: &str, calls: &str) -> LoadedRule {
        let text = format!(
            r#"id = "{id}"
name = "x"
title = "t"
severity = "low"
category = "operations"
area = "a"
phase = 4
effort_hours = 1
confidence = "high"
criterion = "c"
description = "d"
failure_scenario = "f"
impact = ["i"]
fix = "```python\nx\n```"
[match]
kind = "pattern"
{prefilter}
calls = [{calls}]
[[example.bad]]
code = "x"
[[example.good]]
code = "y"
"#
        );
        parse_rule(&format!("{id}-x.toml"), &text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_rule_is_wanted_only_when_one_alternative_is_fully_present() {
        let jwt = rule("TT001", "", "\"jwt.decode\"");
        let exec = rule("TT002", "", "\"**.{execute,raw}\"");
        let explicit = rule("TT003", "prefilter = [\"alpha\", \"beta\"]", "\"x.y\"");
        let rules = [&jwt, &exec, &explicit];
        let filter = Prefilter::new(&rules);
        assert_eq!(filter.rules_for(b"import jwt\n"), Vec::<usize>::new());
        assert_eq!(filter.rules_for(b"import jwt\njwt.decode(t)"), vec![0]);
        assert_eq!(filter.rules_for(b"qs.raw(sql)"), vec![1]);
        assert_eq!(filter.rules_for(b"beta"), vec![2]);
        assert_eq!(filter.rules_for(b""), Vec::<usize>::new());
    }
}
