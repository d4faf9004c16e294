//! The settings model and the `setting` rules end to end: exact findings (rule, path, line) on
//! each project under fixtures/rules/settings and on the seed app, undecidable checks as n/a.

use assert_cmd::Command;
use serde_json::Value;

mod common;
use common::finding_lines;

/// Every rule that reads the production settings (SEC007 is a pattern rule that also covers them).
const SETTINGS_RULES: &str = "SEC003,SEC004,SEC005,SEC006,SEC007,SEC008,SEC009,SEC010,SEC011,\
SEC012,SEC013,SEC014,SEC015,SEC026,SEC027,SEC028,REL001,REL014,OPS004,OPS006";

fn report(path: &str, extra: &[&str]) -> Value {
    let out = Command::cargo_bin("audit")
        .expect("binary")
        .args([
            path,
            "--select",
            SETTINGS_RULES,
            "--format",
            "json",
            "--fail-on",
            "never",
        ])
        .args(extra)
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json report")
}

fn message(report: &Value, rule: &str) -> String {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == rule)
        .and_then(|f| f["message"].as_str())
        .unwrap_or_default()
        .to_string()
}

/// (status, note) of one check.
fn check(report: &Value, rule: &str) -> (String, String) {
    let c = report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["rule"] == rule)
        .unwrap_or_else(|| panic!("no check {rule}"));
    (
        c["status"].as_str().unwrap_or_default().to_string(),
        c["note"].as_str().unwrap_or_default().to_string(),
    )
}

#[test]
fn split_settings_are_judged_on_base_plus_production_only() {
    let r = report("fixtures/rules/settings/split", &[]);
    assert_eq!(
        finding_lines(&r),
        vec![
            "SEC004 shop/settings/base.py:4",
            "SEC010 shop/settings/base.py:14",
            "SEC028 shop/settings/base.py:14",
            "SEC006 shop/settings/production.py:4",
            "REL001 shop/settings/production.py:6",
            "OPS004 shop/settings/production.py:7",
        ]
    );
    assert_eq!(
        message(&r, "SEC004"),
        "SECRET_KEY falls back to the literal 'base…' when the SECRET_KEY environment variable is unset"
    );
    // DEBUG = True, SECRET_KEY = "dev-key" and debug_toolbar live in dev.py only.
    for rule in ["SEC003", "SEC005", "SEC027", "SEC013"] {
        assert_eq!(check(&r, rule).0, "pass", "{rule}");
    }
}

#[test]
fn django_environ_reads_are_judged_on_their_defaults() {
    let r = report("fixtures/rules/settings/environ", &[]);
    assert_eq!(
        finding_lines(&r),
        vec![
            "SEC004 app/settings.py:6",
            "SEC005 app/settings.py:7",
            "SEC027 app/settings.py:10",
            "REL001 app/settings.py:18",
            "REL014 app/settings.py:19",
            "SEC011 app/settings.py:23",
        ]
    );
    // DEBUG's default comes from the Env(DEBUG=(bool, True)) scheme.
    assert_eq!(
        message(&r, "SEC005"),
        "DEBUG is True when the DEBUG environment variable is unset"
    );
    assert_eq!(check(&r, "SEC013").0, "pass");
}

#[test]
fn python_decouple_casts_are_applied_to_defaults() {
    let r = report("fixtures/rules/settings/decouple", &[]);
    assert_eq!(
        finding_lines(&r),
        vec![
            "OPS006 site/settings.py:1",
            "SEC006 site/settings.py:5",
            "SEC028 site/settings.py:8",
            "SEC015 site/settings.py:15",
            "SEC011 site/settings.py:20",
            "SEC014 site/settings.py:21",
            "SEC026 site/settings.py:22",
            "SEC026 site/settings.py:23",
        ]
    );
    assert_eq!(
        message(&r, "SEC015"),
        "CORS_ALLOW_ALL_ORIGINS is True when the CORS_ALLOW_ALL environment variable is unset: any website can read the API's responses"
    );
    // SECRET_KEY = config("SECRET_KEY") has no default: nothing to report.
    assert_eq!(check(&r, "SEC004").0, "pass");
    assert_eq!(check(&r, "SEC003").0, "pass");
}

#[test]
fn dj_database_url_conn_max_age_counts_as_pooling() {
    let r = report("fixtures/rules/settings/dburl", &[]);
    assert_eq!(
        finding_lines(&r),
        vec![
            "OPS006 proj/settings.py:1",
            "SEC028 proj/settings.py:7",
            "REL001 proj/settings.py:14",
            "OPS004 proj/settings.py:15",
        ]
    );
    assert_eq!(
        message(&r, "REL001"),
        "DATABASES.default.CONN_MAX_AGE is 0: every request opens and closes its own PostgreSQL/MySQL connection"
    );
}

#[test]
fn values_required_from_the_environment_make_checks_not_applicable() {
    let r = report("fixtures/rules/settings/required", &[]);
    assert_eq!(
        finding_lines(&r),
        vec![
            "SEC011 core/settings.py:1",
            "SEC014 core/settings.py:1",
            "SEC028 core/settings.py:7",
        ]
    );
    assert_eq!(
        check(&r, "SEC005"),
        (
            "n/a".to_string(),
            "undecidable in core.settings: DEBUG comes from the DJANGO_DEBUG environment variable, which has no default".to_string()
        )
    );
    assert_eq!(check(&r, "SEC006").0, "n/a");
    assert_eq!(check(&r, "SEC012").0, "n/a");
    assert_eq!(check(&r, "SEC003").0, "pass");
    assert_eq!(check(&r, "SEC004").0, "pass");
}

#[test]
fn settings_module_can_be_named_on_the_command_line() {
    // Judging the development profile on purpose shows its DEBUG and debug toolbar.
    let r = report(
        "fixtures/rules/settings/split",
        &["--settings", "shop.settings.dev"],
    );
    let lines = finding_lines(&r);
    assert!(
        lines.contains(&"SEC005 shop/settings/dev.py:4".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"SEC003 shop/settings/dev.py:5".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"SEC027 shop/settings/dev.py:7".to_string()),
        "{lines:?}"
    );
    // A module that does not exist is a usage error, never a run whose settings checks all
    // pass as n/a (a misspelt name must not turn the gate green).
    let out = Command::cargo_bin("audit")
        .expect("binary")
        .args([
            "fixtures/rules/settings/split",
            "--settings",
            "shop.setings",
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --settings shop.setings: no Python module of that name was found under the \
scanned paths\n"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_project_without_settings_has_no_settings_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("tool.py"), "print('hello')\n").expect("write");
    let r = report(&dir.path().display().to_string(), &[]);
    assert_eq!(finding_lines(&r), Vec::<String>::new());
    assert_eq!(
        check(&r, "SEC005"),
        (
            "n/a".to_string(),
            "not applicable: no Django settings module was found".to_string()
        )
    );
}

#[test]
fn seed_app_settings_findings() {
    let r = report("fixtures/seed-app", &[]);
    let settings = "apps/backend/config/settings.py";
    let expected: Vec<String> = [
        ("OPS006", 1),
        ("REL014", 1),
        ("SEC011", 1),
        ("SEC012", 1),
        ("SEC013", 1),
        ("SEC014", 1),
        ("SEC004", 23),
        ("SEC005", 25),
        ("SEC006", 27),
        ("SEC008", 48),
        ("SEC010", 48),
        ("SEC028", 48),
        ("REL001", 84),
        ("SEC007", 88),
        ("OPS004", 89),
        ("SEC015", 148),
        // CLERK_API_URL (line 154) is Clerk's public API, the same for every deployment.
        ("SEC007", 163),
        ("OPS004", 169),
        ("OPS004", 181),
        ("OPS004", 182),
        ("OPS004", 183),
    ]
    .iter()
    .map(|(rule, line)| format!("{rule} {settings}:{line}"))
    .chain(
        // REL001's pool built in the repository and never used, at its class.
        ["REL001 infrastructure/connection_pool.py:12".to_string()],
    )
    .collect();
    assert_eq!(finding_lines(&r), expected);
    assert_eq!(
        message(&r, "SEC015"),
        "CORS_ALLOW_ALL_ORIGINS is True and CORS_ALLOW_CREDENTIALS is on: any website can make authenticated requests and read the responses"
    );
    for rule in ["SEC003", "SEC009", "SEC026", "SEC027"] {
        assert_eq!(check(&r, rule).0, "pass", "{rule}");
    }
    // A missing CONN_MAX_AGE is medium (high is for an unwired pool); '*' stays high, and
    // no proxy header keeps SEC012 high.
    let severity = |rule: &str| {
        r["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .find(|f| f["rule"] == rule)
            .map(|f| f["severity"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    assert_eq!(severity("REL001"), "medium");
    let pool = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .find(|f| f["rule"] == "REL001" && f["path"] == "infrastructure/connection_pool.py")
        .expect("the unwired pool");
    assert_eq!(pool["severity"], "high");
    assert_eq!(severity("SEC006"), "high");
    assert_eq!(severity("SEC012"), "high");
}

#[test]
fn clean_app_split_settings_raise_nothing() {
    let r = report("fixtures/clean-app", &[]);
    assert_eq!(finding_lines(&r), Vec::<String>::new());
    // Hosts and CORS origins are required from the environment in production.py.
    assert_eq!(check(&r, "SEC006").0, "n/a");
    assert_eq!(check(&r, "SEC015").0, "n/a");
    assert_eq!(check(&r, "REL001").0, "pass");
    assert_eq!(check(&r, "SEC005").0, "pass");
}

#[test]
fn a_literal_key_and_a_missing_csrf_middleware_are_found() {
    let r = report("fixtures/rules/settings/hardcoded", &[]);
    assert_eq!(
        finding_lines(&r),
        vec![
            "OPS006 intranet/settings.py:1",
            "SEC011 intranet/settings.py:1",
            "SEC012 intranet/settings.py:1",
            "SEC013 intranet/settings.py:1",
            "SEC026 intranet/settings.py:1",
            "SEC003 intranet/settings.py:4",
            "SEC009 intranet/settings.py:16",
            "SEC028 intranet/settings.py:16",
        ]
    );
    // The key itself never reaches the report whole.
    assert_eq!(
        message(&r, "SEC003"),
        "SECRET_KEY is the literal 'k3#v9!q2m@x7r1z8…' in the production settings"
    );
    // Without CSRF middleware the CSRF cookie flag protects nothing: SEC014 stays quiet.
    assert_eq!(check(&r, "SEC014").0, "pass");
}

/// A clause's own severity reaches every report: the JSON finding and the SARIF result level.
#[test]
fn a_fail_closed_allowed_hosts_is_a_low_finding_in_every_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("settings.py"),
        "DEBUG = False\nALLOWED_HOSTS = []\nSECURE_PROXY_SSL_HEADER = (\"HTTP_X_FORWARDED_PROTO\", \"https\")\n",
    )
    .expect("write");
    let root = dir.path().display().to_string();
    let r = report(&root, &[]);
    let found: Vec<(String, u64, String)> = r["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["rule"] == "SEC006" || f["rule"] == "SEC012")
        .map(|f| {
            (
                f["rule"].as_str().unwrap_or("").to_string(),
                f["line"].as_u64().unwrap_or(0),
                f["severity"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            ("SEC012".to_string(), 1, "medium".to_string()),
            ("SEC006".to_string(), 2, "low".to_string()),
        ]
    );
    assert_eq!(
        message(&r, "SEC006"),
        "ALLOWED_HOSTS is []: Django refuses every request (400 Bad Request) with DEBUG off; fail-closed, not permissive: list the production host names"
    );
    assert_eq!(
        message(&r, "SEC012"),
        "SECURE_SSL_REDIRECT is False (not set; Django's default); SECURE_PROXY_SSL_HEADER says TLS ends at a proxy: confirm the proxy redirects plain HTTP to HTTPS, or set SECURE_SSL_REDIRECT = True"
    );

    let out = Command::cargo_bin("audit")
        .expect("binary")
        .args([
            &root,
            "--select",
            "SEC006",
            "--format",
            "sarif",
            "--fail-on",
            "never",
        ])
        .output()
        .expect("run");
    let sarif: Value = serde_json::from_slice(&out.stdout).expect("sarif");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1);
    assert_eq!(results[0]["ruleId"], "SEC006");
    assert_eq!(results[0]["level"], "note");
}
