//! Project code as evidence for setting rules, on projects under fixtures/rules/settings-code:
//! a middleware the project defines and wires in MIDDLEWARE that does the job itself, a JSON API
//! that renders no page, and a setting an `if` on an environment variable replaces. Exact
//! findings and the exact notes of the checks that pass on that evidence.

mod common;

const RULES: &str = "SEC006,SEC008,SEC013,SEC028,REL014";

/// (`RULE path:line severity message` per finding, `RULE status note` per check).
fn audit(case: &str) -> (Vec<String>, Vec<String>) {
    let root = std::path::Path::new("fixtures/rules/settings-code").join(case);
    let (code, report, stderr) =
        common::run_json(&root, &["--select", RULES, "--fail-on", "never"]);
    assert_eq!(code, 0, "{stderr}");
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let findings = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{} {}:{} {} {}",
                text(&f["rule"]),
                text(&f["path"]),
                f["line"],
                text(&f["severity"]),
                text(&f["message"])
            )
        })
        .collect();
    (findings, common::check_notes(&report))
}

#[test]
fn a_project_middleware_that_does_the_job_passes_the_check_and_names_itself() {
    let (findings, checks) = audit("own-middleware");
    assert_eq!(
        findings,
        ["SEC008 shop/settings.py:7 medium MIDDLEWARE has no django.middleware.security.SecurityMiddleware: \
          the SECURE_* settings have no effect, and only the headers the project's own middleware sends are \
          set: MIDDLEWARE names shop.base.middleware.SecurityMiddleware (shop/base/middleware.py:1), whose \
          class has \"Content-Security-Policy\""]
    );
    assert_eq!(
        checks,
        [
            "REL014 pass",
            "SEC006 pass passes on project evidence: MIDDLEWARE names \
             shop.multidomain.middlewares.MultiDomainMiddleware (shop/multidomain/middlewares.py:6), \
             whose class has \"raise DisallowedHost\"",
            "SEC008 fail",
            "SEC013 pass passes on project evidence: MIDDLEWARE names \
             shop.multidomain.middlewares.SessionMiddleware (shop/multidomain/middlewares.py:17), whose \
             class has \"__Host-\" and \"SESSION_COOKIE_NAME\" and \"set_cookie\"",
            "SEC028 pass passes on project evidence: MIDDLEWARE names \
             shop.base.middleware.SecurityMiddleware (shop/base/middleware.py:1), whose class has \
             \"Content-Security-Policy\"",
        ]
    );
}

#[test]
fn a_json_api_that_renders_no_page_needs_no_policy() {
    // The CSRF failure view the settings name renders a page, and so does an e-mail: neither
    // counts; a local variable called template_name is no class attribute.
    let (findings, checks) = audit("api-only");
    assert_eq!(findings, Vec::<String>::new());
    assert!(
        checks.contains(
            &"SEC028 pass passes on project evidence: no app code has `render(request`, \
              `render_to_response(`, `TemplateResponse(`, `TemplateView`, `template_name='`, \
              `template_name=\"`"
                .to_string()
        ),
        "{checks:?}"
    );
}

#[test]
fn a_cache_an_environment_variable_replaces_is_medium_and_says_where() {
    let (findings, checks) = audit("env-switch");
    assert_eq!(
        findings,
        [
            "SEC013 settings.py:1 medium SESSION_COOKIE_SECURE is False (not set; Django's default): \
             the session cookie is also sent over plain HTTP",
            "REL014 settings.py:11 medium the default cache is \
             'django.core.cache.backends.locmem.LocMemCache', private to each process, while the \
             application relies on the cache; the `if` at settings.py:15 assigns CACHES when \
             REDIS_HOST is set: confirm production sets it",
            "SEC008 settings.py:22 high MIDDLEWARE has no django.middleware.security.SecurityMiddleware: \
             the SECURE_* settings have no effect",
        ]
    );
    // `if ENABLE_CSP := get_bool_env("ENABLE_CSP", True):` takes its branch by default.
    assert!(checks.contains(&"SEC028 pass".to_string()), "{checks:?}");
}

#[test]
fn a_cache_assigned_again_after_the_if_is_no_longer_switched_and_stays_high() {
    // The env-switch project with `CACHES = {locmem}` after the `if REDIS_HOST:` block: the
    // Redis branch can no longer reach production.
    let (findings, _) = audit("env-switch-overridden");
    assert_eq!(
        findings,
        [
            "SEC013 settings.py:1 medium SESSION_COOKIE_SECURE is False (not set; Django's default): \
             the session cookie is also sent over plain HTTP",
            "SEC008 settings.py:22 high MIDDLEWARE has no django.middleware.security.SecurityMiddleware: \
             the SECURE_* settings have no effect",
            "REL014 settings.py:25 high the default cache is \
             'django.core.cache.backends.locmem.LocMemCache', private to each process, while the \
             application relies on the cache",
        ]
    );
}

#[test]
fn a_management_command_or_a_script_that_deletes_a_cache_key_is_code_evidence() {
    // The views only read the cache; the invalidation is in app/management/commands/ (a
    // command) or scripts/ (a script): the cache is relied on across processes, high.
    for case in ["command-invalidates", "script-invalidates"] {
        let (findings, _) = audit(case);
        let rel014: Vec<&String> = findings
            .iter()
            .filter(|f| f.starts_with("REL014"))
            .collect();
        assert_eq!(
            rel014,
            ["REL014 settings.py:1 high the default cache is \
                 'django.core.cache.backends.locmem.LocMemCache' (not set; Django's default), \
                 private to each process, while the application relies on the cache"],
            "{case}"
        );
    }
}
