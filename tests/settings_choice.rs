//! Which settings module production uses, chosen from evidence (DESIGN §4.1) and shown in the
//! report: one project under fixtures/rules/settings-choice per evidence source.

use serde_json::{json, Value};
use std::path::Path;

mod common;

/// The JSON report's `settings` object for one fixture.
fn settings_of(case: &str) -> Value {
    let root = Path::new("fixtures/rules/settings-choice").join(case);
    let (code, report, stderr) =
        common::run_json(&root, &["--select", "SEC005", "--fail-on", "never"]);
    assert_eq!(code, 0, "{stderr}");
    report["settings"].clone()
}

#[test]
fn a_dockerfile_env_beats_the_manage_py_default_and_its_commented_line() {
    assert_eq!(
        settings_of("dockerfile"),
        json!({"module": "shop.settings.docker", "path": "shop/settings/docker.py",
               "reason": "Dockerfile:4 sets DJANGO_SETTINGS_MODULE"})
    );
}

#[test]
fn compose_environment_in_list_and_map_form() {
    assert_eq!(
        settings_of("compose-list"),
        json!({"module": "app.settings.cloud", "path": "app/settings/cloud.py",
               "reason": "docker-compose.yml:6 sets DJANGO_SETTINGS_MODULE"})
    );
    // The development override names the dev module, which is never production.
    assert_eq!(
        settings_of("compose-map"),
        json!({"module": "app.settings.cloud", "path": "app/settings/cloud.py",
               "reason": "compose.yaml:5 sets DJANGO_SETTINGS_MODULE"})
    );
}

#[test]
fn a_procfile_command_passing_settings() {
    assert_eq!(
        settings_of("procfile"),
        json!({"module": "site.settings.heroku", "path": "site/settings/heroku.py",
               "reason": "Procfile:2 passes --settings"})
    );
}

#[test]
fn a_kubernetes_env_item() {
    assert_eq!(
        settings_of("k8s"),
        json!({"module": "api.settings.cluster", "path": "api/settings/cluster.py",
               "reason": "deploy/deployment.yaml:11 sets DJANGO_SETTINGS_MODULE"})
    );
}

#[test]
fn the_root_project_beats_a_nested_one_which_is_listed() {
    // The nested project's wsgi.py names its own settings; the root manage.py wins.
    assert_eq!(
        settings_of("nested"),
        json!({"module": "core.settings", "path": "core/settings.py",
               "reason": "DJANGO_SETTINGS_MODULE default in manage.py",
               "others": ["tools.sandbox.sandbox.settings"]})
    );
}

#[test]
fn the_project_a_deploy_file_names_is_audited_and_the_root_one_listed() {
    assert_eq!(
        settings_of("deployed-side"),
        json!({"module": "tools.sandbox.sandbox.settings",
               "path": "tools/sandbox/sandbox/settings.py",
               "reason": "tools/sandbox/Dockerfile:2 sets DJANGO_SETTINGS_MODULE",
               "others": ["core.settings"]})
    );
}

#[test]
fn scaffold_templates_are_never_production() {
    // A project_template's manage.py and production.py, and a cookiecutter production.py,
    // are all passed over for the one real settings module.
    assert_eq!(
        settings_of("scaffold"),
        json!({"module": "site.settings", "path": "site/settings.py",
               "reason": "the base settings module"})
    );
}

#[test]
fn the_choice_is_shown_in_the_terminal_and_markdown_and_null_without_settings() {
    let root = Path::new("fixtures/rules/settings-choice/nested");
    let out = assert_cmd::Command::cargo_bin("audit")
        .expect("binary")
        .arg(root)
        .args(["--select", "SEC005", "--color", "never"])
        .env("NO_COLOR", "1")
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "\n  Settings        core.settings (core/settings.py): DJANGO_SETTINGS_MODULE default in manage.py\n                  also found: tools.sandbox.sandbox.settings (run with --settings tools.sandbox.sandbox.settings)\n"
        ),
        "{text}"
    );
    let out = assert_cmd::Command::cargo_bin("audit")
        .expect("binary")
        .arg(root)
        .args(["--select", "SEC005", "--format", "markdown"])
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "\n**Settings audited:** `core.settings` (`core/settings.py`): DJANGO_SETTINGS_MODULE default in manage.py; also found: tools.sandbox.sandbox.settings (run with --settings tools.sandbox.sandbox.settings)\n"
        ),
        "{text}"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    common::write(dir.path(), "tool.py", b"print('hello')\n");
    let (_, report, _) = common::run_json(dir.path(), &["--select", "SEC005"]);
    assert_eq!(report["settings"], Value::Null);
    assert!(report.as_object().expect("object").contains_key("settings"));
}

#[test]
fn named_on_the_command_line() {
    let root = Path::new("fixtures/rules/settings-choice/nested");
    let (_, report, stderr) = common::run_json(
        root,
        &["--select", "SEC005", "--settings", "sandbox.settings"],
    );
    assert_eq!(
        report["settings"],
        json!({"module": "tools.sandbox.sandbox.settings",
               "path": "tools/sandbox/sandbox/settings.py",
               "reason": "named with --settings sandbox.settings",
               "others": ["core.settings"]}),
        "{stderr}"
    );
}

#[test]
fn a_module_the_build_copies_into_place_is_the_copied_file() {
    // `ENV DJANGO_SETTINGS_MODULE=settings.config` names a file that exists only after
    // `cp docker/config.py settings/config.py`; its `from .common import *` resolves from there.
    assert_eq!(
        settings_of("docker-copy"),
        json!({"module": "settings.config", "path": "docker/config.py",
               "reason": "docker/Dockerfile:7 sets DJANGO_SETTINGS_MODULE"})
    );
    let root = Path::new("fixtures/rules/settings-choice/docker-copy");
    let (_, report, _) = common::run_json(root, &["--select", "SEC003,SEC005"]);
    // DEBUG and SECRET_KEY of the copied module win over the base it star-imports.
    assert_eq!(report["findings"], json!([]));
    assert_eq!(report["checks"][0]["status"], "pass");
    assert_eq!(report["checks"][1]["status"], "pass");
}
