//! Gaps in the settings evaluator closed for issue #8, each on a project under
//! fixtures/rules/settings-evaluation (kept out of fixtures/rules/settings, which seeds the
//! fuzzer's corpus): exact findings, and exact notes of the checks left undecided.

mod common;

/// The settings rules these cases touch.
const RULES: &str = "SEC005,SEC006,SEC008,SEC009,SEC010,SEC011,SEC014,SEC028,REL001,OPS006";

/// (`RULE line message` per finding, `RULE status note` per check) of one fixture.
fn audit(case: &str) -> (Vec<String>, Vec<String>) {
    let root = std::path::Path::new("fixtures/rules/settings-evaluation").join(case);
    let (code, report, stderr) =
        common::run_json(&root, &["--select", RULES, "--fail-on", "never"]);
    assert_eq!(code, 0, "{stderr}");
    let findings = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            assert_eq!(f["path"], "settings.py");
            format!(
                "{} {} {}",
                f["rule"].as_str().unwrap_or_default(),
                f["line"],
                f["message"].as_str().unwrap_or_default()
            )
        })
        .collect();
    (findings, common::check_notes(&report))
}

#[test]
fn middleware_classes_is_read_where_middleware_is_not_set() {
    let (findings, checks) = audit("legacy-middleware");
    let middleware: Vec<&String> = findings
        .iter()
        .filter(|f| f.starts_with("SEC008") || f.starts_with("SEC028"))
        .collect();
    assert_eq!(
        middleware,
        [
            "SEC008 5 MIDDLEWARE_CLASSES has no django.middleware.security.SecurityMiddleware: the SECURE_* settings have no effect",
            "SEC028 5 MIDDLEWARE_CLASSES has no Content Security Policy middleware",
        ]
    );
    // CSRF and clickjacking middleware are in the old list.
    assert!(checks.contains(&"SEC009 pass".to_string()), "{checks:?}");
    assert!(checks.contains(&"SEC010 pass".to_string()), "{checks:?}");
}

#[test]
fn middleware_classes_is_ignored_from_django_2() {
    // Django 3.2 is pinned: only MIDDLEWARE counts, and it is not set.
    let (findings, _) = audit("legacy-middleware-django3");
    assert!(findings.contains(&"SEC010 1 MIDDLEWARE has no django.middleware.clickjacking.XFrameOptionsMiddleware (not set; Django's default): responses carry no X-Frame-Options header".to_string()), "{findings:?}");
    // Nor do the old list's sessions run: no cookie login for a forged request to ride.
    assert!(
        !findings.iter().any(|f| f.starts_with("SEC009")),
        "{findings:?}"
    );
}

#[test]
fn dicts_updated_before_they_go_into_databases_are_followed() {
    // `db.update(CONN_MAX_AGE=60, …)` keeps connections; `replica["CONN_MAX_AGE"] = 0` does not.
    let (findings, _) = audit("dict-updates");
    let rel: Vec<&String> = findings
        .iter()
        .filter(|f| f.starts_with("REL001"))
        .collect();
    assert_eq!(
        rel,
        ["REL001 9 DATABASES.replica.CONN_MAX_AGE is 0: every request opens and closes its own PostgreSQL/MySQL connection"]
    );
}

#[test]
fn values_set_under_an_undecidable_if_are_maybe_set_not_absent() {
    let (findings, checks) = audit("maybe-set");
    assert_eq!(
        findings,
        [
            "SEC006 1 ALLOWED_HOSTS is [] (not set; Django's default): Django refuses every request (400 Bad Request) with DEBUG off; fail-closed, not permissive: list the production host names",
            "SEC010 5 MIDDLEWARE has no django.middleware.clickjacking.XFrameOptionsMiddleware: responses carry no X-Frame-Options header",
            "SEC028 5 MIDDLEWARE has no Content Security Policy middleware",
        ]
    );
    assert_eq!(
        checks,
        [
            "OPS006 n/a undecidable in settings: LOGGING is set only when `feature_enabled(\"logging\")` holds (settings.py:13), which audit cannot decide",
            "REL001 n/a undecidable in settings: DATABASES.default.CONN_MAX_AGE is set only when `os.environ[\"BEHIND_TLS\"] == \"1\"` holds (settings.py:10), which audit cannot decide",
            // `DEBUG = False` under an undecidable `if` is False either way (Django's default).
            "SEC005 pass",
            "SEC006 fail",
            "SEC008 pass",
            "SEC009 pass",
            "SEC010 fail",
            "SEC011 n/a undecidable in settings: SECURE_HSTS_SECONDS is set only when `os.environ[\"BEHIND_TLS\"] == \"1\"` holds (settings.py:10), which audit cannot decide",
            // True in both branches: decided.
            "SEC014 pass",
            "SEC028 fail",
        ]
    );
}

#[test]
fn one_item_from_the_environment_leaves_a_list_decided() {
    let (findings, checks) = audit("partial-lists");
    assert_eq!(
        findings,
        [
            "OPS006 1 LOGGING is not set in the production settings (settings): only Django's default logging applies",
            "SEC011 1 SECURE_HSTS_SECONDS is 0 (not set; Django's default): browsers are never told to insist on HTTPS",
            "SEC014 1 CSRF_COOKIE_SECURE is False (not set; Django's default): the CSRF cookie is also sent over plain HTTP",
            "SEC028 6 MIDDLEWARE has no Content Security Policy middleware",
        ]
    );
    for rule in ["SEC006", "SEC008", "SEC009", "SEC010"] {
        assert!(
            checks.contains(&format!("{rule} pass")),
            "{rule}: {checks:?}"
        );
    }
}

#[test]
fn a_splat_of_unknown_items_still_decides_what_the_literals_show() {
    let (findings, checks) = audit("splat");
    assert!(
        findings.contains(
            &"SEC006 6 ALLOWED_HOSTS contains '*': any Host header is accepted".to_string()
        ),
        "{findings:?}"
    );
    assert!(checks.contains(&"SEC009 pass".to_string()), "{checks:?}");
    // `*BASE_MIDDLEWARE` may hold any middleware: what the literals lack stays undecided.
    assert!(checks.contains(&"SEC008 n/a undecidable in settings: an item of MIDDLEWARE is computed by `*company.defaults.BASE_MIDDLEWARE`, which audit does not evaluate".to_string()), "{checks:?}");
}

#[test]
fn values_an_exec_d_operator_file_may_replace_are_not_launch_blockers() {
    // SECRET_KEY and DEBUG are literals before the exec(): medium, saying why. ALLOWED_HOSTS
    // is read from the environment, the deployment's own way in: its default stays high.
    let dir = std::path::Path::new("fixtures/rules/settings-evaluation/exec-override");
    let (_, report, stderr) = common::run_json(dir, &["--select", "SEC003,SEC005,SEC006"]);
    let found: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}",
                f["rule"], f["severity"], f["line"], f["message"]
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            "\"SEC003\" \"medium\" 3 \"SECRET_KEY is the literal 'repo-default-key…' in the production settings (unless the file run with exec() at settings.py:11 replaces it)\"",
            "\"SEC005\" \"medium\" 4 \"DEBUG is True (unless the file run with exec() at settings.py:11 replaces it)\"",
            "\"SEC006\" \"high\" 6 \"ALLOWED_HOSTS contains '*' when the APP_HOSTS environment variable is unset: any Host header is accepted\"",
        ],
        "{stderr}"
    );
}
