//! Every embedded rule's own good/bad examples (DESIGN §3.1), run through the real pipeline path.

use audit::rules::load;
use audit::selftest::check_rule;

#[test]
fn every_embedded_rule_passes_its_examples() {
    let set = load::load(&[], true).unwrap_or_else(|e| panic!("{e}"));
    assert!(!set.rules.is_empty(), "no embedded rules");
    let failures: Vec<String> = set
        .rules
        .iter()
        .flat_map(check_rule)
        .map(|f| format!("{} {}: {}", f.rule, f.example, f.message))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_embedded_rule_has_bad_and_good_examples_and_a_fix() {
    let set = load::load(&[], true).unwrap_or_else(|e| panic!("{e}"));
    for rule in &set.rules {
        assert!(
            !rule.examples.bad.is_empty(),
            "{} has no bad example",
            rule.meta.id
        );
        assert!(
            !rule.examples.good.is_empty(),
            "{} has no good example",
            rule.meta.id
        );
        assert!(
            rule.meta.fix.contains("```"),
            "{} fix has no code",
            rule.meta.id
        );
        assert!(
            rule.path
                .starts_with(&format!("rules/{}/", rule.meta.category)),
            "{} lives in the wrong category folder: {}",
            rule.meta.id,
            rule.path
        );
    }
}
