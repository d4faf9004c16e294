//! A rule that cannot be used is refused with exit code 2 and a message located in its TOML.

use assert_cmd::Command;
use std::path::Path;

const VALID: &str = r#"id = "USR001"
name = "no-print"
title = "print() left in code"
severity = "low"
category = "operations"
area = "logging"
phase = 4
effort_hours = 0.5
confidence = "high"
criterion = "No print() in application code"
description = "Diagnostics belong in logging."
failure_scenario = "Output is lost."
impact = ["Lost diagnostics"]
fix = '''
```python
logger.info("x")
```
'''

[match]
kind = "pattern"
calls = ["print"]

[[example.bad]]
code = "print('x')"
line = 1

[[example.good]]
code = "logger.info('x')"
"#;

fn write_rule(dir: &Path, file: &str, text: &str) {
    std::fs::write(dir.join(file), text).expect("write rule");
}

/// Runs `audit test-rules DIR` and returns (exit code, stdout, stderr).
fn test_rules(dir: &Path) -> (i32, String, String) {
    let out = Command::cargo_bin("audit")
        .expect("binary")
        .arg("test-rules")
        .arg(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn refused(text: &str, file: &str, expected: &[&str]) {
    let dir = tempfile::tempdir().expect("tempdir");
    write_rule(dir.path(), file, text);
    let (code, _, stderr) = test_rules(dir.path());
    assert_eq!(code, 2, "stderr: {stderr}");
    for needle in expected {
        assert!(stderr.contains(needle), "missing {needle:?} in:\n{stderr}");
    }
}

#[test]
fn a_valid_user_rule_loads_and_passes_its_examples() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_rule(dir.path(), "USR001-no-print.toml", VALID);
    let (code, stdout, stderr) = test_rules(dir.path());
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(stdout, "ok     USR001 (2 examples)\n1 passed, 0 failed\n");
}

#[test]
fn a_user_rule_whose_example_fails_exits_1() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = VALID.replace("code = \"logger.info('x')\"", "code = \"print('y')\"");
    write_rule(dir.path(), "USR001-no-print.toml", &text);
    let (code, stdout, _) = test_rules(dir.path());
    assert_eq!(code, 1);
    assert!(
        stdout.contains("good #1: expected no finding, got lines [1]"),
        "{stdout}"
    );
}

#[test]
fn toml_syntax_error_is_located() {
    let text = VALID.replace("phase = 4", "phase = = 4");
    refused(
        &text,
        "USR001-no-print.toml",
        &["USR001-no-print.toml:7:", "phase = = 4"],
    );
}

#[test]
fn unknown_field_points_at_the_field() {
    let text = VALID.replace("phase = 4", "phase = 4\nsevrity = \"high\"");
    refused(
        &text,
        "USR001-no-print.toml",
        &["unknown field `sevrity`", "sevrity = \"high\""],
    );
}

#[test]
fn unknown_field_inside_match_is_refused() {
    let text = VALID.replace(
        "calls = [\"print\"]",
        "calls = [\"print\"]\ncallz = [\"x\"]",
    );
    refused(&text, "USR001-no-print.toml", &["unknown field `callz`"]);
}

#[test]
fn invalid_ast_grep_rule_is_refused() {
    let text = VALID.replace(
        "calls = [\"print\"]",
        "calls = [\"print\"]\nrule = { kind = \"no_such_node_kind\" }",
    );
    refused(
        &text,
        "USR001-no-print.toml",
        &["invalid ast-grep rule", "[match]"],
    );
}

#[test]
fn invalid_query_is_refused_at_the_query() {
    let text = VALID.replace(
        "kind = \"pattern\"\ncalls = [\"print\"]",
        "kind = \"query\"\nquery = \"(call function: (nonsense) @f) @finding\"\nmessage = \"m\"",
    );
    refused(
        &text,
        "USR001-no-print.toml",
        &["invalid tree-sitter query", "nonsense"],
    );
}

#[test]
fn missing_good_example_is_refused() {
    let text = VALID.replace("[[example.good]]\ncode = \"logger.info('x')\"\n", "");
    refused(
        &text,
        "USR001-no-print.toml",
        &["at least one [[example.bad]] and one [[example.good]]"],
    );
}

#[test]
fn an_analyzer_that_is_not_built_in_says_so() {
    let text = VALID.replace(
        "kind = \"pattern\"\ncalls = [\"print\"]",
        "kind = \"analyzer\"\nname = \"n-plus-one\"",
    );
    refused(
        &text,
        "USR001-no-print.toml",
        &[
            "unknown analyzer `n-plus-one`: this version of audit has none yet",
            "name = \"n-plus-one\"",
        ],
    );
}

#[test]
fn an_unknown_matcher_kind_lists_the_known_ones() {
    let text = VALID.replace("kind = \"pattern\"", "kind = \"patern\"");
    refused(
        &text,
        "USR001-no-print.toml",
        &[
            "unknown matcher kind `patern`: expected pattern, query, setting, project or analyzer",
            "kind = \"patern\"",
        ],
    );
}

#[test]
fn file_name_must_match_id_and_name() {
    refused(
        VALID,
        "print.toml",
        &["must be named `USR001-no-print.toml`"],
    );
}

#[test]
fn a_user_rule_reusing_a_catalogue_id_is_refused_when_scanning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = VALID.replace("USR001", "SEC001");
    write_rule(dir.path(), "SEC001-no-print.toml", &text);
    let project = tempfile::tempdir().expect("tempdir");
    let out = Command::cargo_bin("audit")
        .expect("binary")
        .arg(project.path())
        .arg("--rules")
        .arg(dir.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("rule id SEC001 is already defined by rules/security/"),
        "{stderr}"
    );
}

#[test]
fn a_pattern_that_is_not_python_is_refused_at_the_pattern() {
    let text = VALID.replace("calls = [\"print\"]", "rule = { pattern = \"def (:\" }");
    refused(
        &text,
        "USR001-no-print.toml",
        &[
            "invalid rule",
            "[match]: invalid ast-grep pattern `def (:`: it is not valid Python (syntax error at 1:1 of the pattern), so it could never match",
            "USR001-no-print.toml:22:21]",
        ],
    );
    // Nested, in a relation, and as the context of a pattern object.
    let text = VALID.replace(
        "calls = [\"print\"]",
        "calls = [\"print\"]\nrule = { has = { stopBy = \"end\", pattern = \"foo(\" } }",
    );
    refused(
        &text,
        "USR001-no-print.toml",
        &[
            "invalid ast-grep pattern `foo(`",
            "USR001-no-print.toml:23:",
        ],
    );
    let text = VALID.replace(
        "calls = [\"print\"]",
        "rule = { pattern = { context = \"class :\", selector = \"identifier\" } }",
    );
    refused(
        &text,
        "USR001-no-print.toml",
        &["invalid ast-grep pattern `class :`"],
    );
}

#[test]
fn patterns_with_metavariables_still_load() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = VALID.replace(
        "calls = [\"print\"]",
        "rule = { pattern = \"print($$$ARGS)\", inside = { stopBy = \"end\", pattern = { context = \"def $F($$$P): $$$B\", selector = \"function_definition\" } } }",
    );
    let text = text.replace(
        "code = \"print('x')\"\nline = 1",
        "code = \"def f():\\n    print('x')\"\nline = 2",
    );
    write_rule(dir.path(), "USR001-no-print.toml", &text);
    let (code, stdout, stderr) = test_rules(dir.path());
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(stdout, "ok     USR001 (2 examples)\n1 passed, 0 failed\n");
}

/// Runs `audit DIR --rules RULES --format json` and returns (code, report).
fn scan_with_rule(rule: &str, source: &str) -> (i32, serde_json::Value) {
    let rules = tempfile::tempdir().expect("tempdir");
    let text = VALID.replace("calls = [\"print\"]", &format!("rule = {rule}"));
    write_rule(rules.path(), "USR001-no-print.toml", &text);
    let project = tempfile::tempdir().expect("tempdir");
    std::fs::write(project.path().join("deep.py"), source).expect("write");
    let out = Command::cargo_bin("audit")
        .expect("binary")
        .arg(project.path())
        .arg("--rules")
        .arg(rules.path())
        .args([
            "--select",
            "USR001",
            "--fail-on",
            "never",
            "--format",
            "json",
        ])
        .output()
        .expect("run");
    let report = serde_json::from_slice(&out.stdout).expect("json report");
    (out.status.code().unwrap_or(-1), report)
}

#[test]
fn a_relational_rule_over_deep_code_stops_at_its_time_budget_with_a_note() {
    // `has` inside `has`, both to the end, on a 990-term sum (just under the tree-height bound):
    // cubic in the depth, far more than the budget's two seconds. One line, so the note's line is
    // the same however far the rule got.
    let nested = r#"{ kind = "binary_operator", has = { kind = "binary_operator", stopBy = "end", has = { kind = "identifier", regex = "^zz$", stopBy = "end" } } }"#;
    let source = format!("x = {}\n", vec!["a"; 990].join(" + "));
    let (code, report) = scan_with_rule(nested, &source);
    assert_eq!(code, 0);
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(
        report["errors"],
        serde_json::json!([{
            "path": "deep.py",
            "message": "USR001: rule stopped at line 1: its relational conditions (has, inside, \
                        precedes, follows) ran for more than 2 s on this file; findings after \
                        that point may be missing"
        }])
    );
}

#[test]
fn a_single_has_to_the_end_on_a_thousand_deep_sum_runs_to_completion() {
    let single = r#"{ kind = "binary_operator", has = { kind = "identifier", regex = "^zz$", stopBy = "end" } }"#;
    // 990 terms: just under the pipeline's 1,000-level bound on tree height.
    let mut terms = vec!["a"; 989];
    terms.push("zz");
    let source = format!("x = {}\n", terms.join(" + "));
    let (code, report) = scan_with_rule(single, &source);
    assert_eq!(code, 0);
    assert_eq!(report["errors"], serde_json::json!([]));
    // Every `+` node contains the last term; the report keeps one finding per rule and line.
    let findings = report["findings"].as_array().expect("findings");
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0]["rule"], "USR001");
    assert_eq!(findings[0]["line"], 1);
}

// ---------------------------------------------------------------------------------------------
// Severity per setting clause

const SETTING_RULE: &str = r#"id = "USR002"
name = "hosts"
title = "Hosts"
severity = "medium"
category = "security"
area = "configuration"
phase = 1
effort_hours = 0.5
confidence = "high"
criterion = "Hosts are listed"
description = "Hosts."
failure_scenario = "Hosts."
impact = ["Hosts"]
fix = '''
```python
ALLOWED_HOSTS = ["example.com"]
```
'''

[match]
kind = "setting"

[[match.any]]
setting = "ALLOWED_HOSTS"
contains = ["*"]

[[match.any]]
setting = "ALLOWED_HOSTS"
is = "empty"
severity = "low"

[[example.bad]]
code = "ALLOWED_HOSTS = []"
line = 1
severity = "low"

[[example.good]]
code = "ALLOWED_HOSTS = ['example.com']"
"#;

#[test]
fn a_clause_severity_is_what_its_examples_see() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_rule(dir.path(), "USR002-hosts.toml", SETTING_RULE);
    let (code, stdout, stderr) = test_rules(dir.path());
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(stdout, "ok     USR002 (2 examples)\n1 passed, 0 failed\n");

    let wrong = SETTING_RULE.replace(
        "line = 1\nseverity = \"low\"",
        "line = 1\nseverity = \"medium\"",
    );
    write_rule(dir.path(), "USR002-hosts.toml", &wrong);
    let (code, stdout, _) = test_rules(dir.path());
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        "FAILED USR002 (USR002-hosts.toml)\n       bad #1: expected a medium finding at line 1, got low\n0 passed, 1 failed\n"
            .replace("USR002-hosts.toml", &dir.path().join("USR002-hosts.toml").display().to_string())
    );
}

#[test]
fn a_clause_above_the_rule_severity_is_refused() {
    let text = SETTING_RULE.replace(
        "severity = \"low\"\n\n[[example",
        "severity = \"high\"\n\n[[example",
    );
    refused(
        &text,
        "USR002-hosts.toml",
        &["a clause's severity `high` is above the rule's `medium`"],
    );
}

#[test]
fn a_nested_condition_cannot_carry_a_severity() {
    let text = SETTING_RULE.replace(
        "contains = [\"*\"]\n",
        "contains = [\"*\"]\n[[match.any.when]]\nsetting = \"DEBUG\"\nis = \"false\"\nseverity = \"low\"\n",
    );
    refused(
        &text,
        "USR002-hosts.toml",
        &["`message`, `severity`, `when` and `unless` belong to a clause"],
    );
}

#[test]
fn a_lowering_context_without_a_place_is_refused() {
    let text = VALID.replace(
        "calls = [\"print\"]\n",
        "calls = [\"print\"]\n\n[[match.lower]]\nseverity = \"info\"\nreason = \"somewhere\"\n",
    );
    refused(
        &text,
        "USR001-no-print.toml",
        &["[[match.lower]] #1: give `files`, `inside` or `callers_inside`"],
    );
}

#[test]
fn a_lowering_by_callers_is_what_its_examples_see() {
    let text = VALID
        .replace(
            "calls = [\"print\"]\n",
            "calls = [\"print\"]\n\n[[match.lower]]\nseverity = \"info\"\nreason = \"only the debug hook calls it\"\ncallers_inside = { kind = \"function_definition\", has = { field = \"name\", regex = \"^debug_hook$\" } }\n",
        )
        .replace(
            "code = \"print('x')\"\nline = 1\n",
            "code = \"def show():\\n    print('x')\\n\\ndef debug_hook():\\n    show()\\n\"\nline = 2\nseverity = \"info\"\n",
        );
    let dir = tempfile::tempdir().expect("tempdir");
    write_rule(dir.path(), "USR001-no-print.toml", &text);
    let (code, stdout, stderr) = test_rules(dir.path());
    assert_eq!(code, 0, "stderr: {stderr}");
    assert_eq!(stdout, "ok     USR001 (2 examples)\n1 passed, 0 failed\n");
}

#[test]
fn blank_identifier_words_and_bad_identifier_quotes_are_refused() {
    let with = |lines: &str| {
        VALID.replace(
            "calls = [\"print\"]",
            &format!("calls = [\"print\"]\n\n[match.provenance]\nparameter = \"low\"\n{lines}"),
        )
    };
    refused(
        &with("identifier_after = [\"FROM\", \"  \"]"),
        "USR001-no-print.toml",
        &["[match.provenance] identifier_after[1] is blank: it would make every hole a name"],
    );
    refused(
        &with("identifier_after = [\"\"]"),
        "USR001-no-print.toml",
        &["[match.provenance] identifier_after[0] is blank"],
    );
    refused(
        &with("identifier_quotes = [\"\"]"),
        "USR001-no-print.toml",
        &["[match.provenance] identifier_quotes[0] is \"\": give exactly one quote character"],
    );
    refused(
        &with("identifier_quotes = ['\"', \"''\"]"),
        "USR001-no-print.toml",
        &["[match.provenance] identifier_quotes[1] is \"''\": give exactly one quote character"],
    );
}

#[test]
fn a_project_rule_without_what_wires_its_components_is_refused() {
    let text = VALID.replace(
        "kind = \"pattern\"\ncalls = [\"print\"]",
        "kind = \"project\"\n[[match.components]]\nnames = [\"*Pool\"]",
    );
    refused(
        &text,
        "USR001-no-print.toml",
        &["`[[match.components]]` needs `[match.wired]`"],
    );
}
