//! One multi-literal automaton over every rule's prefilter literals: a file's bytes are scanned
//! once to learn which rules could match it, and a file no rule needs is never parsed.

use crate::rules::LoadedRule;
use aho_corasick::AhoCorasick;

pub struct Prefilter {
    automaton: Option<AhoCorasick>,
    /// For each literal, the rules (indices) it unlocks.
    literal_rules: Vec<Vec<usize>>,
    /// Rules without literals: they run on every file.
    always: Vec<usize>,
    rule_count: usize,
}

impl Prefilter {
    pub fn new(rules: &[&LoadedRule]) -> Self {
        let mut literals: Vec<String> = Vec::new();
        let mut literal_rules: Vec<Vec<usize>> = Vec::new();
        let mut always = Vec::new();
        for (index, rule) in rules.iter().enumerate() {
            if rule.prefilter.is_empty() {
                always.push(index);
                continue;
            }
            for literal in &rule.prefilter {
                match literals.iter().position(|l| l == literal) {
                    Some(at) => literal_rules[at].push(index),
                    None => {
                        literals.push(literal.clone());
                        literal_rules.push(vec![index]);
                    }
                }
            }
        }
        // Literals are plain strings; building can only fail past aho-corasick's size limits,
        // in which case every rule simply runs on every file.
        let automaton = if literals.is_empty() {
            None
        } else {
            AhoCorasick::new(&literals).ok()
        };
        if automaton.is_none() && !literals.is_empty() {
            always = (0..rules.len()).collect();
        }
        Prefilter {
            automaton,
            literal_rules,
            always,
            rule_count: rules.len(),
        }
    }

    /// Indices of the rules that could match these bytes, ascending.
    pub fn rules_for(&self, bytes: &[u8]) -> Vec<usize> {
        let mut wanted = vec![false; self.rule_count];
        for &index in &self.always {
            wanted[index] = true;
        }
        if let Some(automaton) = &self.automaton {
            let mut seen = vec![false; self.literal_rules.len()];
            let mut remaining = seen.len();
            for found in automaton.find_overlapping_iter(bytes) {
                let id = found.pattern().as_usize();
                if !seen[id] {
                    seen[id] = true;
                    for &rule in &self.literal_rules[id] {
                        wanted[rule] = true;
                    }
                    remaining -= 1;
                    if remaining == 0 {
                        break;
                    }
                }
            }
        }
        wanted
            .iter()
            .enumerate()
            .filter_map(|(i, &w)| w.then_some(i))
            .collect()
    }
}
