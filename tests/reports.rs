//! End-to-end tests of the report formats, `audit explain` and `audit init`.
//!
//! The structural assertions take the expected findings and checks from the JSON report of the
//! same run, so they hold whatever rules exist; the insta snapshots pin the exact bytes and are
//! re-accepted when the rule catalogue changes (`INSTA_UPDATE=always cargo test --test reports`).

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const SEED: &str = "fixtures/seed-app";
const CLEAN: &str = "fixtures/clean-app";

fn audit() -> Command {
    let mut cmd = Command::cargo_bin("audit").expect("binary");
    cmd.env("NO_COLOR", "1").env_remove("SOURCE_DATE_EPOCH");
    cmd
}

/// Standard output of `audit ARGS` as text, and the exit code.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = audit().args(args).output().expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn report(root: &str, format: &str) -> String {
    run(&[root, "--format", format]).1
}

fn json(root: &str) -> Value {
    serde_json::from_str(&report(root, "json")).expect("JSON report")
}

fn array<'a>(value: &'a Value, key: &str) -> &'a Vec<Value> {
    value[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is not an array"))
}

fn str_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

/// Checks of the JSON report with the given status.
fn checks_with(report: &Value, status: &str) -> Vec<String> {
    array(report, "checks")
        .iter()
        .filter(|c| c["status"] == status)
        .map(|c| str_of(c, "rule").to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Snapshots (the JSON and the seed's terminal report are pinned in tests/cli.rs)

#[test]
fn snapshots_of_every_format() {
    for (name, root) in [("seed", SEED), ("clean", CLEAN)] {
        for format in ["markdown", "sarif", "github", "junit", "gitlab"] {
            insta::assert_snapshot!(format!("{name}_{format}"), report(root, format));
        }
    }
    insta::assert_snapshot!("clean_terminal", run(&[CLEAN, "--color", "never"]).1);
}

// ---------------------------------------------------------------------------------------------
// SARIF

fn sarif_errors(text: &str) -> Option<String> {
    let schema: Value =
        serde_json::from_str(include_str!("schemas/sarif-schema-2.1.0.json")).expect("schema");
    let url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler.enable_format_assertions();
    compiler.add_resource(url, schema).expect("schema resource");
    let index = compiler
        .compile(url, &mut schemas)
        .expect("schema compiles");
    let instance: Value = serde_json::from_str(text).expect("SARIF is JSON");
    schemas
        .validate(&instance, index)
        .err()
        .map(|e| format!("{e:#}"))
}

fn validate_sarif(text: &str) {
    if let Some(e) = sarif_errors(text) {
        panic!("SARIF does not validate against the 2.1.0 schema:\n{e}");
    }
}

#[test]
fn the_schema_check_rejects_broken_sarif() {
    let good = report(SEED, "sarif");
    let broken = good.replacen("\"startLine\": ", "\"startLine\": -", 1);
    assert!(
        sarif_errors(&broken).is_some(),
        "a negative line must not validate"
    );
    let broken = good.replacen("\"level\": \"error\"", "\"level\": \"fatal\"", 1);
    assert!(
        sarif_errors(&broken).is_some(),
        "an unknown level must not validate"
    );
}

#[test]
fn sarif_validates_against_the_schema() {
    for root in [SEED, CLEAN] {
        validate_sarif(&report(root, "sarif"));
    }
}

#[test]
fn sarif_has_one_result_per_finding_and_every_rule() {
    let expected = json(SEED);
    let log: Value = serde_json::from_str(&report(SEED, "sarif")).expect("JSON");
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    assert_eq!(rules.len(), array(&expected, "checks").len());
    for rule in rules {
        let severity = rule["properties"]["security-severity"].as_str();
        assert!(
            matches!(severity, Some("9.5" | "8.0" | "5.5" | "2.0") | None),
            "{severity:?}"
        );
        assert!(rule["help"]["markdown"]
            .as_str()
            .is_some_and(|m| m.contains("**Fix**")));
    }
    let results = run["results"].as_array().expect("results");
    let active: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .collect();
    let findings = array(&expected, "findings");
    assert_eq!(active.len(), findings.len());
    for (result, finding) in active.iter().zip(findings) {
        assert_eq!(result["ruleId"], finding["rule"]);
        let location = &result["locations"][0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            format!("{SEED}/{}", str_of(finding, "path"))
        );
        assert_eq!(location["region"]["startLine"], finding["line"]);
        assert_eq!(
            result["partialFingerprints"]["auditFingerprint/v1"],
            finding["fingerprint"]
        );
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], finding["rule"]);
    }
}

#[test]
fn sarif_marks_inline_ignores_as_suppressed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::write(
        root.join("app.py"),
        "import pickle\n\n\ndef load(blob):\n    return pickle.loads(blob)  # audit: ignore[SEC022] -- trusted cache\n",
    )
    .expect("write");
    let out = audit()
        .arg(root)
        .args(["--format", "sarif", "--select", "SEC022"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    validate_sarif(&text);
    let log: Value = serde_json::from_str(&text).expect("JSON");
    let results = log["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{text}");
    assert_eq!(results[0]["suppressions"][0]["kind"], "inSource");
}

// ---------------------------------------------------------------------------------------------
// JUnit, GitHub, GitLab

#[test]
fn junit_has_one_test_case_per_check() {
    for root in [SEED, CLEAN] {
        let expected = json(root);
        let text = report(root, "junit");
        let doc = roxmltree::Document::parse(&text).expect("JUnit is well-formed XML");
        let cases: Vec<roxmltree::Node> = doc
            .descendants()
            .filter(|n| n.has_tag_name("testcase"))
            .collect();
        assert_eq!(cases.len(), array(&expected, "checks").len());
        let named = |tag: &str| -> Vec<String> {
            let mut ids: Vec<String> = cases
                .iter()
                .filter(|c| c.children().any(|n| n.has_tag_name(tag)))
                .filter_map(|c| c.attribute("name"))
                .filter_map(|name| name.split(' ').next())
                .map(str::to_string)
                .collect();
            ids.sort();
            ids
        };
        assert_eq!(named("failure"), checks_with(&expected, "fail"));
        assert_eq!(named("skipped"), checks_with(&expected, "n/a"));
        let root_node = doc.root_element();
        assert_eq!(root_node.tag_name().name(), "testsuites");
        assert_eq!(
            root_node.attribute("failures"),
            Some(checks_with(&expected, "fail").len().to_string().as_str())
        );
        // Every finding of a failing check is in its failure's body.
        for finding in array(&expected, "findings") {
            let needle = format!(
                "{root}/{}:{}:{}: ",
                str_of(finding, "path"),
                finding["line"],
                finding["column"]
            );
            assert!(text.contains(&needle), "{needle} missing");
        }
    }
}

#[test]
fn github_has_one_annotation_per_finding() {
    let expected = json(SEED);
    let text = report(SEED, "github");
    let located: Vec<&str> = text.lines().filter(|l| l.contains(" file=")).collect();
    let findings = array(&expected, "findings");
    assert_eq!(located.len(), findings.len());
    for (line, finding) in located.iter().zip(findings) {
        let prefix = format!(
            " file={SEED}/{},line={},col={},",
            str_of(finding, "path"),
            finding["line"],
            finding["column"]
        );
        assert!(line.contains(&prefix), "{line} lacks {prefix}");
        assert!(
            line.starts_with("::error ")
                || line.starts_with("::warning ")
                || line.starts_with("::notice ")
        );
    }
    assert!(text.lines().all(|l| l.starts_with("::")));
    // The clean app has nothing to annotate, only the notice naming its settings.
    assert_eq!(
        report(CLEAN, "github"),
        "::notice title=audit settings::audited settings: apps.backend.config.settings.production \
         (apps/backend/config/settings/production.py): Dockerfile:5 sets DJANGO_SETTINGS_MODULE\n"
    );
}

#[test]
fn gitlab_code_quality_has_the_required_keys() {
    let expected = json(SEED);
    let issues: Value = serde_json::from_str(&report(SEED, "gitlab")).expect("JSON");
    let issues = issues.as_array().expect("array");
    // One per finding, and the info entry naming the audited settings.
    assert_eq!(issues.len(), array(&expected, "findings").len() + 1);
    let mut fingerprints = std::collections::BTreeSet::new();
    for issue in issues {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(issue[key].is_string(), "{key} missing in {issue}");
        }
        assert!(issue["location"]["path"].is_string());
        assert!(issue["location"]["lines"]["begin"]
            .as_u64()
            .is_some_and(|l| l >= 1));
        assert!(matches!(
            str_of(issue, "severity"),
            "blocker" | "critical" | "major" | "minor" | "info"
        ));
        assert!(fingerprints.insert(str_of(issue, "fingerprint").to_string()));
    }
    let clean: Value = serde_json::from_str(&report(CLEAN, "gitlab")).expect("JSON");
    assert_eq!(
        clean.as_array().map(|a| a
            .iter()
            .map(|i| str_of(i, "check_name").to_string())
            .collect::<Vec<_>>()),
        Some(vec!["audit-settings".to_string()])
    );
}

// ---------------------------------------------------------------------------------------------
// Markdown

const SECTIONS: [&str; 13] = [
    "## Contents",
    "## Executive Summary",
    "### Top 5 Most Dangerous Issues",
    "### Risk Assessment",
    "## 1. Critical Issues (Launch Blockers)",
    "## 2. High Priority Issues",
    "## 3. Medium Priority Issues",
    "## 4. Low Priority Issues",
    "## 5. Security Vulnerabilities Summary",
    "## 6. Performance Bottlenecks",
    "## 8. Step-by-Step Fix Plan",
    "## 9. Acceptance Criteria",
    "## 10. Minimum to Launch",
];

#[test]
fn markdown_has_every_section_in_the_seed_order() {
    for root in [SEED, CLEAN] {
        let text = report(root, "markdown");
        let mut last = 0;
        for heading in SECTIONS
            .iter()
            .chain(&["## Conclusion", "## Appendix: Checks and Coverage"])
        {
            let at = text
                .find(&format!("\n{heading}\n"))
                .unwrap_or_else(|| panic!("{root}: `{heading}` missing"));
            assert!(at > last, "{root}: `{heading}` out of order");
            last = at;
        }
    }
}

#[test]
fn markdown_lists_every_finding_and_failing_check() {
    let expected = json(SEED);
    let text = report(SEED, "markdown");
    assert!(text.contains("**Launch Recommendation: DO NOT LAUNCH**"));
    for finding in array(&expected, "findings") {
        let location = format!(
            "`{}:{}:{}` - ",
            str_of(finding, "path"),
            finding["line"],
            finding["column"]
        );
        assert!(text.contains(&location), "{location} missing");
    }
    let rules: Vec<Value> =
        serde_json::from_str(&run(&["rules", "--format", "json"]).1).expect("rules JSON");
    for id in checks_with(&expected, "fail") {
        let meta = rules.iter().find(|r| r["id"] == id.as_str()).expect("rule");
        assert!(text.contains(&format!(" {}\n", str_of(meta, "title"))));
        assert!(text.contains(&format!("- [ ] {} (`{id}`)", str_of(meta, "criterion"))));
    }
    for phase in array(&expected, "plan") {
        let heading = format!("\n### Phase {}: ", phase["phase"]);
        assert!(text.contains(&heading), "{heading:?} missing");
    }
}

#[test]
fn markdown_is_deterministic_and_timestamp_is_opt_in() {
    let first = report(SEED, "markdown");
    assert_eq!(first, report(SEED, "markdown"));
    assert!(!first.contains("Generated "));
    let out = audit()
        .env("SOURCE_DATE_EPOCH", "0")
        .args([SEED, "--format", "markdown", "--timestamp"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).contains(" Generated 1970-01-01T00:00:00Z.\n"));
}

// ---------------------------------------------------------------------------------------------
// Several formats in one run

#[test]
fn several_formats_in_one_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sarif = dir.path().join("audit.sarif");
    let junit = dir.path().join("junit.xml");
    let out = audit()
        .args([SEED, "--color", "never", "--format", "terminal", "--format"])
        .arg(format!("sarif={}", sarif.display()))
        .arg("--format")
        .arg(format!("junit={}", junit.display()))
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(1),
        "the gate still decides the exit code"
    );
    let (_, terminal, _) = run(&[SEED, "--color", "never"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), terminal);
    assert_eq!(
        std::fs::read_to_string(&sarif).expect("sarif written"),
        report(SEED, "sarif")
    );
    assert_eq!(
        std::fs::read_to_string(&junit).expect("junit written"),
        report(SEED, "junit")
    );

    // `-o` takes the one report without a file of its own.
    let md = dir.path().join("audit.md");
    let gl = dir.path().join("gl.json");
    let out = audit()
        .args([SEED, "--format", "markdown", "-o"])
        .arg(&md)
        .arg("--format")
        .arg(format!("gitlab={}", gl.display()))
        .output()
        .expect("run");
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read_to_string(&md).expect("md"),
        report(SEED, "markdown")
    );
    assert!(gl.is_file());
}

#[test]
fn conflicting_destinations_are_usage_errors() {
    let (code, _, err) = run(&[SEED, "--format", "json", "--format", "sarif"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("only one --format can write to standard output"),
        "{err}"
    );
    let (code, _, err) = run(&[SEED, "--format", "json=a.json", "-o", "b.json"]);
    assert_eq!(code, 2);
    assert!(err.contains("-o has no report to write"), "{err}");
    let (code, _, err) = run(&[SEED, "--format", "pdf"]);
    assert_eq!(code, 2);
    assert!(err.contains("unknown format `pdf`"), "{err}");
    assert!(!Path::new("a.json").exists());
}

// ---------------------------------------------------------------------------------------------
// rules, explain, init

#[test]
fn rules_table_lists_every_rule_under_a_header() {
    let (code, text, _) = run(&["rules"]);
    assert_eq!(code, 0);
    let rules: Vec<Value> =
        serde_json::from_str(&run(&["rules", "--format", "json"]).1).expect("JSON");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("ID       SEVERITY  CATEGORY        PHASE NAME"));
    for (line, rule) in lines[1..].iter().zip(&rules) {
        assert!(line.starts_with(str_of(rule, "id")), "{line}");
    }
    assert!(text.ends_with(&format!(
        "\n{} rules · `audit explain ID` shows one in full · `audit rules --format json` for tools\n",
        rules.len()
    )));
}

#[test]
fn explain_renders_the_whole_rule() {
    let (code, text, _) = run(&["explain", "SEC001"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!("explain_sec001", text);
    for heading in [
        "\nWhat it finds\n",
        "\nFailure scenario\n",
        "\nImpact\n",
        "\nFix\n",
        "\nExamples\n",
        "\nReferences\n",
    ] {
        assert!(text.contains(heading), "{heading:?} missing");
    }
    assert_eq!(
        run(&["explain", "sec001"]).1,
        text,
        "ids are case-insensitive"
    );
}

#[test]
fn explain_shows_the_clauses_that_report_below_the_rule_severity() {
    let (code, text, _) = run(&["explain", "SEC006"]);
    assert_eq!(code, 0);
    let head: Vec<&str> = text.lines().skip(3).take(3).collect();
    assert_eq!(
        head,
        [
            "  Severity      high (security · configuration)",
            "                low: ALLOWED_HOSTS is empty",
            "  Fix plan      phase 1 · Critical security",
        ]
    );
    // Flagged examples that assert a severity say it.
    assert!(text.contains("  Flagged (line 1, low):\n"), "{text}");
}

#[test]
fn explain_of_an_unknown_id_exits_2() {
    let (code, out, err) = run(&["explain", "SEC9999"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(
        err.trim_end(),
        "error: unknown rule id `SEC9999`; did you mean SEC026, SEC027, SEC028? (`audit rules` lists every rule)"
    );
    let (code, _, err) = run(&["explain", "nothing"]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: unknown rule id `nothing` (`audit rules` lists every rule)\n"
    );
}

#[test]
fn init_writes_a_config_that_audit_loads() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("app.py"), "print('hello')\n").expect("write");
    let out = audit().arg("init").arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(0));
    let written = std::fs::read_to_string(dir.path().join("audit.toml")).expect("written");
    assert!(written.starts_with("# audit.toml: configuration of `audit`"));
    assert!(written.contains("\nfail_on = \"high\"\n"));
    let out = audit()
        .arg(dir.path())
        .args(["--format", "json"])
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The file really is the config: breaking it breaks the run.
    std::fs::write(
        dir.path().join("audit.toml"),
        format!("{written}\nbogus = 1\n"),
    )
    .expect("write");
    let out = audit().arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn init_refuses_to_overwrite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("audit.toml");
    std::fs::write(&path, "strict = true\n").expect("write");
    let out = audit().arg("init").arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists; not overwriting it"));
    assert_eq!(
        std::fs::read_to_string(&path).expect("read"),
        "strict = true\n"
    );
}
