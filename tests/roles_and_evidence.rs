//! Code roles and value provenance end to end: where a file's code runs and where a value came
//! from decide whether a finding is reported and at which severity, and the report says so.

mod common;

use common::{rules_and_lines, run_json, write};
use serde_json::Value;

/// (rule, path, line, severity, role, evidence) of every finding.
fn graded(report: &Value) -> Vec<(String, String, u64, String, String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (
                s("rule"),
                s("path"),
                f["line"].as_u64().unwrap_or_default(),
                s("severity"),
                s("role"),
                s("evidence"),
            )
        })
        .collect()
}

// The parameter fills a value's place (a table name's place would take only a name).
const SQL: &[u8] = b"from django.db import connection\n\n\ndef purge(before):\n    with connection.cursor() as cursor:\n        cursor.execute(f\"DELETE FROM t WHERE day < '{before}'\")\n";

#[test]
fn the_same_sql_is_graded_by_role_and_origin() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "shop/views.py",
        b"from django.db import connection\n\n\ndef search(request):\n    q = request.GET[\"q\"]\n    with connection.cursor() as cursor:\n        cursor.execute(f\"SELECT 1 WHERE name = '{q}'\")\n",
    );
    write(dir.path(), "shop/helpers.py", SQL);
    write(dir.path(), "shop/migrations/0002_purge.py", SQL);
    write(dir.path(), "shop/management/commands/purge.py", SQL);
    write(dir.path(), "scripts/purge.py", SQL);
    let (code, report, stderr) = run_json(dir.path(), &["--select", "SEC017"]);
    assert_eq!(code, 1, "{stderr}");
    let row = |path: &str, line, severity: &str, role: &str, evidence: &str| {
        (
            "SEC017".to_string(),
            path.to_string(),
            line,
            severity.to_string(),
            role.to_string(),
            evidence.to_string(),
        )
    };
    assert_eq!(
        graded(&report),
        // Migrations, commands and scripts are not checked: their values are the operator's.
        vec![
            row("shop/helpers.py", 6, "medium", "app", "parameter"),
            row("shop/views.py", 7, "critical", "app", "request"),
        ]
    );
    assert_eq!(
        report["findings"][1]["message"],
        "`cursor.execute` runs SQL built at run time (f\"SELECT 1 WHERE name = '{q}'\"); pass \
         values as parameters instead; `q` comes from `request.GET` at views.py:5"
    );
    assert_eq!(
        report["summary"]["roles"],
        serde_json::json!({"app": 2, "migration": 1, "command": 1, "script": 1})
    );
}

#[test]
fn config_roles_override_the_path_and_bad_roles_exit_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "ops/tools/purge.py", SQL);
    write(
        dir.path(),
        "audit.toml",
        b"[roles]\n\"ops/**\" = \"app\"\n\"ops/tools/**\" = \"vendored\"\n",
    );
    let (code, report, stderr) = run_json(dir.path(), &["--select", "SEC017"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(report["findings"], serde_json::json!([]));
    assert_eq!(
        report["summary"]["roles"],
        serde_json::json!({"vendored": 1})
    );

    write(
        dir.path(),
        "audit.toml",
        b"[roles]\n\"ops/**\" = \"library\"\n",
    );
    let (code, _, stderr) = run_json(dir.path(), &["--select", "SEC017"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("unknown role `library` for `ops/**`"),
        "{stderr}"
    );
    assert!(stderr.contains("audit.toml"), "{stderr}");
}

const FETCH: &[u8] = b"import requests\n\n\ndef fetch(url):\n    return requests.get(url).json()\n";

#[test]
fn modules_only_background_work_imports_take_the_worker_role() {
    let dir = tempfile::tempdir().expect("tempdir");
    // tasks -> sync -> client, and a command -> pull: only background work reaches them
    write(
        dir.path(),
        "shop/tasks.py",
        b"from celery import shared_task\n\nfrom .sync import pull_all\n\n\n@shared_task\ndef nightly():\n    pull_all()\n",
    );
    write(
        dir.path(),
        "shop/sync.py",
        b"import requests\n\nfrom shop.client import fetch\n\n\ndef pull_all():\n    return requests.get(\"https://feed.example\").json()\n",
    );
    write(dir.path(), "shop/client.py", FETCH);
    write(
        dir.path(),
        "shop/management/commands/pull.py",
        b"from django.core.management.base import BaseCommand\n\nfrom shop import puller\n\n\nclass Command(BaseCommand):\n    def handle(self, *args, **options):\n        puller.fetch(\"https://feed.example\")\n",
    );
    write(dir.path(), "shop/puller.py", FETCH);
    // a view imports this one (inside a function): it serves requests
    write(dir.path(), "shop/pricing.py", FETCH);
    write(
        dir.path(),
        "shop/views.py",
        b"def quote(request):\n    from shop.pricing import fetch\n\n    return fetch(\"https://rates.example\")\n",
    );
    let (code, report, stderr) = run_json(dir.path(), &["--select", "REL003"]);
    assert_eq!(code, 1, "{stderr}");
    let rows: Vec<(String, u64, String, String)> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64().unwrap_or_default(),
                f["severity"].as_str().unwrap_or_default().to_string(),
                f["role"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let row = |path: &str, line, severity: &str, role: &str| {
        (
            path.to_string(),
            line,
            severity.to_string(),
            role.to_string(),
        )
    };
    assert_eq!(
        rows,
        vec![
            row("shop/client.py", 5, "medium", "worker"),
            row("shop/pricing.py", 5, "high", "app"),
            row("shop/puller.py", 5, "medium", "worker"),
            row("shop/sync.py", 7, "medium", "worker"),
        ]
    );
    let message = report["findings"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message
            .ends_with("it is imported only by task modules, commands, scripts or modules only they reach (shop/sync.py)"),
        "{message}"
    );
    assert_eq!(
        report["summary"]["roles"],
        serde_json::json!({"app": 3, "command": 1, "worker": 3})
    );
}

#[test]
fn parameters_are_settled_by_what_the_projects_calls_pass() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = |name: &str, param: &str| {
        format!(
            "from django.db import connection\n\n\ndef {name}(cursor, {param}, *args):\n    cursor.execute(f\"SELECT * FROM t WHERE k = '{{{param}}}'\", args)\n"
        )
    };
    // Every call passes a literal, one with `*args` after it: nothing to report.
    write(dir.path(), "shop/db.py", sql("run", "kind").as_bytes());
    write(
        dir.path(),
        "shop/a.py",
        b"from shop.db import run\n\n\ndef a(c):\n    return run(c, \"open\", 1)\n",
    );
    write(
        dir.path(),
        "shop/b.py",
        b"from .db import run\n\n\ndef b(c, xs):\n    return run(c, kind=\"closed\"), run(c, \"x\", *xs)\n",
    );
    // A view passes request data, through a helper that hands its own parameter on.
    write(
        dir.path(),
        "shop/reports.py",
        sql("report", "status").as_bytes(),
    );
    write(
        dir.path(),
        "shop/service.py",
        b"from shop.reports import report\n\n\ndef by_status(c, status):\n    return report(c, status)\n",
    );
    write(
        dir.path(),
        "shop/views.py",
        b"from shop.service import by_status\n\n\ndef v(request, c):\n    return by_status(c, request.GET[\"s\"])\n",
    );
    // A static method is not settled, even where its one call passes a number: a subclass or a
    // `cls.` call elsewhere would name no class.
    write(
        dir.path(),
        "shop/models.py",
        b"from django.db import connection\n\n\nclass Rule:\n    @staticmethod\n    def ids(count):\n        with connection.cursor() as cursor:\n            cursor.execute(f\"SELECT nextval('s') FROM generate_series(1, {count})\")\n",
    );
    write(
        dir.path(),
        "shop/sync.py",
        b"from shop.models import Rule\n\n\ndef sync(rules):\n    return Rule.ids(len(rules))\n",
    );
    // Called only from tests, which never run in production: still a parameter.
    write(
        dir.path(),
        "shop/export.py",
        sql("export", "table").as_bytes(),
    );
    write(
        dir.path(),
        "tests/test_export.py",
        b"from shop.export import export\n\n\ndef test_it(c):\n    export(c, \"x\")\n",
    );
    // One call passes a literal, another is made under an alias or through `.delay`: the
    // calls that cannot be read keep the finding.
    write(dir.path(), "shop/push.py", sql("push", "key").as_bytes());
    write(
        dir.path(),
        "shop/hooks.py",
        b"from shop.push import push\nfrom shop.push import push as send\n\n\ndef a(c, request):\n    push(c, \"k\")\n    send(c, request.GET[\"k\"])\n    push.delay(c, request.GET[\"k\"])\n",
    );
    // Two callers hand on two different parameters of their own: not followed.
    write(dir.path(), "shop/fmt.py", sql("fmt", "col").as_bytes());
    write(
        dir.path(),
        "shop/use.py",
        b"from shop.fmt import fmt\n\n\ndef a(c, x):\n    return fmt(c, x)\n\n\ndef b(c, y):\n    return fmt(c, y)\n",
    );
    let (code, report, stderr) = run_json(dir.path(), &["--select", "SEC017"]);
    assert_eq!(code, 1, "{stderr}");
    let row = |path: &str, line, severity: &str, evidence: &str| {
        (
            "SEC017".to_string(),
            path.to_string(),
            line,
            severity.to_string(),
            "app".to_string(),
            evidence.to_string(),
        )
    };
    assert_eq!(
        graded(&report),
        vec![
            row("shop/export.py", 5, "medium", "parameter"),
            row("shop/fmt.py", 5, "medium", "parameter"),
            row("shop/models.py", 8, "medium", "parameter"),
            row("shop/push.py", 5, "medium", "parameter"),
            row("shop/reports.py", 5, "critical", "request"),
        ]
    );
    assert_eq!(
        report["findings"][4]["message"],
        "`cursor.execute` runs SQL built at run time (f\"SELECT * FROM t WHERE k = '{status}'\"); \
         pass values as parameters instead; `status` is a parameter of `report` (reports.py:5); \
         its callers decide what it holds; a call of `by_status` passes request data: \
         `request.GET` is request data (shop/views.py:5)"
    );
}

#[test]
fn ruff_and_bandit_markers_suppress_the_rules_that_name_their_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "shop/tags.py",
        b"import pickle\n\nfrom django.utils.safestring import mark_safe\n\n\ndef a(x):\n    return mark_safe(x)  # noqa: S308 -- built by the caller\n\n\ndef b(x):\n    return mark_safe(x)  # noqa\n\n\ndef c(blob):\n    return pickle.loads(blob)  # nosec\n\n\ndef d(x):\n    return mark_safe(x)  # noqa: E501\n",
    );
    let (code, report, stderr) = run_json(dir.path(), &["--select", "SEC018,SEC022"]);
    // Medium findings only: the default gate passes.
    assert_eq!(code, 0, "{stderr}");
    // A bare `# noqa` silences flake8 wholesale, not a reviewed finding; E501 is another check.
    let at = |line| ("SEC018".to_string(), "shop/tags.py".to_string(), line);
    assert_eq!(rules_and_lines(&report), vec![at(11), at(19)]);
    assert_eq!(report["summary"]["suppressed"], 2);
}
