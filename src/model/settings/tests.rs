use super::*;
use crate::parse::python::parse;

fn file(rel: &str, code: &str) -> SettingsFile {
    let root = parse(code.to_string()).expect("parse");
    extract(rel, &root)
}

fn profile(files: &[(&str, &str)]) -> Profile {
    let files: Vec<SettingsFile> = files.iter().map(|(r, c)| file(r, c)).collect();
    production_profile(&files, &[], None, None)
        .expect("no error")
        .expect("a profile")
}

fn kind(p: &Profile, path: &str) -> Option<Kind> {
    p.lookup(path).value.map(|v| v.kind)
}

fn s(text: &str) -> Kind {
    Kind::Str(text.to_string())
}

fn env(vars: &[&str], fallback: Option<Kind>) -> Kind {
    Kind::Env {
        vars: vars.iter().map(|v| v.to_string()).collect(),
        fallback: fallback.map(|k| Box::new(Value::new(k, None))),
    }
}

/// Compares kinds ignoring locations.
fn strip(kind: Kind) -> Kind {
    match kind {
        Kind::List(items) => Kind::list(
            items
                .iter()
                .map(|v| Value::new(strip(v.kind.clone()), None))
                .collect(),
        ),
        Kind::Dict(entries) => Kind::dict(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), Value::new(strip(v.kind.clone()), None)))
                .collect(),
        ),
        Kind::Env { vars, fallback } => Kind::Env {
            vars,
            fallback: fallback.map(|f| Box::new(Value::new(strip(f.kind), None))),
        },
        other => other,
    }
}

#[test]
fn env_reads_know_their_defaults() {
    let p = profile(&[(
        "config/settings.py",
        r#"
import os
import environ
from decouple import config, Csv
SECRET_KEY = os.getenv('SECRET_KEY', 'django-insecure-x')
DEBUG = os.getenv('DEBUG', 'True') == 'True'
REQUIRED = os.environ["REQUIRED"]
env = environ.Env(FEATURE=(bool, True))
FLAG = env.bool("FLAG", default=False)
FEATURE = env("FEATURE")
HOSTS = config("HOSTS", default="a.com, b.com", cast=Csv())
DEBUG2 = config("DEBUG2", default="yes", cast=bool)
OR_DEFAULT = os.environ.get("X") or "fallback"
SPLIT = os.environ["HOSTS"].split(",")
"#,
    )]);
    assert_eq!(
        strip(kind(&p, "SECRET_KEY").unwrap()),
        env(&["SECRET_KEY"], Some(s("django-insecure-x")))
    );
    assert_eq!(
        strip(kind(&p, "DEBUG").unwrap()),
        env(&["DEBUG"], Some(Kind::Bool(true)))
    );
    assert_eq!(
        strip(kind(&p, "REQUIRED").unwrap()),
        env(&["REQUIRED"], None)
    );
    assert_eq!(
        strip(kind(&p, "FLAG").unwrap()),
        env(&["FLAG"], Some(Kind::Bool(false)))
    );
    assert_eq!(
        strip(kind(&p, "FEATURE").unwrap()),
        env(&["FEATURE"], Some(Kind::Bool(true)))
    );
    let hosts = Kind::list(vec![
        Value::new(s("a.com"), None),
        Value::new(s("b.com"), None),
    ]);
    assert_eq!(
        strip(kind(&p, "HOSTS").unwrap()),
        env(&["HOSTS"], Some(hosts))
    );
    assert_eq!(
        strip(kind(&p, "DEBUG2").unwrap()),
        env(&["DEBUG2"], Some(Kind::Bool(true)))
    );
    assert_eq!(
        strip(kind(&p, "OR_DEFAULT").unwrap()),
        env(&["X"], Some(s("fallback")))
    );
    assert_eq!(strip(kind(&p, "SPLIT").unwrap()), env(&["HOSTS"], None));
}

#[test]
fn split_settings_merge_base_into_production_and_skip_dev() {
    let base = r#"
DEBUG = False
INSTALLED_APPS = ["django.contrib.auth"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "NAME": "app"}}
"#;
    let production = r#"
from .base import *
MIDDLEWARE += ["whitenoise.middleware.WhiteNoiseMiddleware"]
MIDDLEWARE.insert(0, "first")
INSTALLED_APPS.append("extra")
DATABASES["default"]["CONN_MAX_AGE"] = 60
try:
    from .local import *
except ImportError:
    pass
"#;
    let local = "from .base import *\nDEBUG = True\n";
    let p = profile(&[
        ("proj/settings/base.py", base),
        ("proj/settings/production.py", production),
        ("proj/settings/local.py", local),
    ]);
    assert_eq!(p.rel, "proj/settings/production.py");
    assert_eq!(
        p.files,
        vec!["proj/settings/production.py", "proj/settings/base.py"]
    );
    assert_eq!(kind(&p, "DEBUG"), Some(Kind::Bool(false)));
    let middleware: Vec<Kind> = match kind(&p, "MIDDLEWARE") {
        Some(Kind::List(items)) => items.iter().map(|v| v.kind.clone()).collect(),
        other => panic!("{other:?}"),
    };
    assert_eq!(
        middleware,
        vec![
            s("first"),
            s("django.middleware.security.SecurityMiddleware"),
            s("whitenoise.middleware.WhiteNoiseMiddleware")
        ]
    );
    assert_eq!(
        kind(&p, "DATABASES.default.CONN_MAX_AGE"),
        Some(Kind::Int(60))
    );
    assert_eq!(kind(&p, "INSTALLED_APPS.1"), Some(s("extra")));
    // The CONN_MAX_AGE assignment is located on its own line of production.py.
    let at = p
        .lookup("DATABASES.default.CONN_MAX_AGE")
        .at
        .expect("located");
    assert_eq!(at.file, "proj/settings/production.py");
    assert_eq!(
        &production[at.start..at.end],
        "DATABASES[\"default\"][\"CONN_MAX_AGE\"] = 60"
    );
}

#[test]
fn absent_settings_take_django_defaults_for_the_version() {
    let files = vec![file(
        "settings.py",
        "SECRET_KEY = 'x'\nDATABASES = {'default': {'ENGINE': 'x'}}\n",
    )];
    let old = production_profile(&files, &[], None, Some((2, 2)))
        .unwrap()
        .unwrap();
    let new = production_profile(&files, &[], None, None)
        .unwrap()
        .unwrap();
    assert_eq!(kind(&old, "X_FRAME_OPTIONS"), Some(s("SAMEORIGIN")));
    assert_eq!(kind(&new, "X_FRAME_OPTIONS"), Some(s("DENY")));
    let lookup = new.lookup("DATABASES.default.CONN_MAX_AGE");
    assert_eq!(
        (lookup.value.map(|v| v.kind), lookup.set),
        (Some(Kind::Int(0)), false)
    );
    assert_eq!(
        kind(&new, "CACHES.default.BACKEND"),
        Some(s("django.core.cache.backends.locmem.LocMemCache"))
    );
    assert_eq!(new.lookup("NOT_A_SETTING").value, None);
}

#[test]
fn database_urls_become_database_dicts() {
    let p = profile(&[(
        "settings.py",
        r#"
import dj_database_url
import environ
SECRET_KEY = "x"
env = environ.Env()
DATABASES = {
    "default": dj_database_url.config(default="postgres://u:pw@db:5432/app", conn_max_age=600),
    "other": dj_database_url.parse("mysql://root@localhost/other"),
    "third": env.db("THIRD_URL"),
}
"#,
    )]);
    assert_eq!(
        strip(kind(&p, "DATABASES.default.ENGINE").unwrap()),
        env(&["DATABASE_URL"], Some(s("django.db.backends.postgresql")))
    );
    assert_eq!(
        strip(kind(&p, "DATABASES.default.PASSWORD").unwrap()),
        env(&["DATABASE_URL"], Some(s("pw")))
    );
    assert_eq!(
        kind(&p, "DATABASES.default.CONN_MAX_AGE"),
        Some(Kind::Int(600))
    );
    assert_eq!(
        kind(&p, "DATABASES.other.ENGINE"),
        Some(s("django.db.backends.mysql"))
    );
    assert_eq!(kind(&p, "DATABASES.other.CONN_MAX_AGE"), Some(Kind::Int(0)));
    assert_eq!(
        strip(kind(&p, "DATABASES.third.HOST").unwrap()),
        env(&["THIRD_URL"], None)
    );
}

#[test]
fn conditions_pick_branches_or_make_values_undecidable() {
    let p = profile(&[(
        "settings.py",
        r#"
import os
SECRET_KEY = "x"
DEBUG = os.getenv("DEBUG", "0") == "1"
if not DEBUG:
    SECURE_SSL_REDIRECT = True
if os.environ["STAGE"] == "prod":
    SESSION_COOKIE_SECURE = True
else:
    SESSION_COOKIE_SECURE = False
NAME = f"{SECRET_KEY}-suffix"
"#,
    )]);
    assert_eq!(kind(&p, "SECURE_SSL_REDIRECT"), Some(Kind::Bool(true)));
    assert_eq!(
        strip(kind(&p, "SESSION_COOKIE_SECURE").unwrap()),
        env(&["STAGE"], None)
    );
    assert_eq!(kind(&p, "NAME"), Some(s("x-suffix")));
}

#[test]
fn the_profile_follows_hints_then_names() {
    let files = vec![
        file("config/settings/base.py", "SECRET_KEY = 'x'\n"),
        file(
            "config/settings/dev.py",
            "from .base import *\nDEBUG = True\n",
        ),
        file("config/settings/staging.py", "from .base import *\n"),
        file("config/settings/production.py", "from .base import *\n"),
    ];
    let hint = |rel: &str, module: &str| ModuleHint {
        rel: rel.to_string(),
        module: module.to_string(),
        source: HintSource::Default,
    };
    let pick = |hints: &[ModuleHint]| {
        production_profile(&files, hints, None, None)
            .unwrap()
            .map(|p| p.rel)
    };
    assert_eq!(pick(&[]).as_deref(), Some("config/settings/production.py"));
    let dev = [hint("manage.py", "config.settings.dev")];
    assert_eq!(pick(&dev).as_deref(), Some("config/settings/production.py"));
    let wsgi = [
        hint("manage.py", "config.settings.dev"),
        hint("config/wsgi.py", "config.settings.staging"),
    ];
    assert_eq!(pick(&wsgi).as_deref(), Some("config/settings/staging.py"));
    let named = production_profile(&files, &[], Some("settings.base"), None).unwrap();
    assert_eq!(
        named.map(|p| p.rel).as_deref(),
        Some("config/settings/base.py")
    );
    assert!(production_profile(&files, &[], Some("nope.settings"), None).is_err());
}

#[test]
fn a_library_module_exposing_installed_apps_is_not_settings() {
    let files = vec![
        file("oscar/__init__.py", "INSTALLED_APPS = ['oscar']\n"),
        file("rest_framework/settings.py", "DEFAULTS = {}\n"),
    ];
    let picked = production_profile(&files, &[], None, None)
        .unwrap()
        .map(|p| p.rel);
    // Only the last resort remains: a module named like settings.
    assert_eq!(picked.as_deref(), Some("rest_framework/settings.py"));
    let only_library = vec![file("oscar/__init__.py", "INSTALLED_APPS = ['oscar']\n")];
    assert!(production_profile(&only_library, &[], None, None)
        .unwrap()
        .is_none());
}

#[test]
fn module_hints_are_read_from_text() {
    let text = "import os\nos.environ.setdefault(\"DJANGO_SETTINGS_MODULE\", \"config.settings\")\nos.environ['DJANGO_SETTINGS_MODULE'] = 'x.prod'\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', f'{x}')\n";
    let hints: Vec<String> = module_hints("manage.py", text)
        .into_iter()
        .map(|h| h.module)
        .collect();
    assert_eq!(hints, vec!["config.settings", "x.prod"]);
}

#[test]
fn candidates_by_name_and_content() {
    assert!(is_candidate("a/settings.py", ""));
    assert!(is_candidate("a/settings/prod.py", ""));
    assert!(is_candidate("a/weblate_settings.py", ""));
    assert!(is_candidate("a/conf.py", "INSTALLED_APPS = []\n"));
    assert!(!is_candidate(
        "a/conf.py",
        "    INSTALLED_APPS = []\nx = INSTALLED_APPS == 1\n"
    ));
    assert!(!is_candidate(
        "a/views.py",
        "from django.conf import settings\n"
    ));
}

#[test]
fn globs_match_segments() {
    assert!(glob_match("*_URL", "REDIS_URL"));
    assert!(!glob_match("*_URL", "URL_PREFIX"));
    assert!(glob_match("{*_URL,*_HOST}", "EMAIL_HOST"));
    assert!(glob_match("*postgres*", "django.db.backends.postgresql"));
    assert!(glob_match("?b*", "abc"));
}

#[test]
fn deploy_evidence_then_root_most_defaults_and_never_scaffolds() {
    let files = vec![
        file("config/settings/base.py", "SECRET_KEY = 'x'\n"),
        file("config/settings/production.py", "from .base import *\n"),
        file("config/settings/render.py", "from .base import *\n"),
        file("side/side/settings.py", "SECRET_KEY = 'x'\nDEBUG = False\n"),
        file(
            "pkg/project_template/project_name/settings.py",
            "SECRET_KEY = 'x'\nDEBUG = False\n",
        ),
    ];
    let default = |rel: &str, module: &str| ModuleHint {
        rel: rel.to_string(),
        module: module.to_string(),
        source: HintSource::Default,
    };
    let deploy = |rel: &str, line: usize, module: &str| ModuleHint {
        rel: rel.to_string(),
        module: module.to_string(),
        source: HintSource::Deploy {
            line,
            how: "sets DJANGO_SETTINGS_MODULE",
        },
    };
    let pick = |hints: &[ModuleHint]| {
        let p = production_profile(&files, hints, None, None)
            .unwrap()
            .expect("a profile");
        (p.rel, p.reason, p.others)
    };
    let root = default("manage.py", "config.settings.base");
    let side = default("side/manage.py", "side.settings");
    let side_wsgi = default("side/side/wsgi.py", "side.settings");
    assert_eq!(
        pick(&[side_wsgi.clone(), root.clone(), side.clone()]),
        (
            "config/settings/base.py".to_string(),
            "DJANGO_SETTINGS_MODULE default in manage.py".to_string(),
            vec!["side.side.settings".to_string()]
        )
    );
    // A development deploy file counts after the others; a scaffold's never.
    let hints = [
        root.clone(),
        deploy("Procfile.dev", 1, "config.settings.base"),
        deploy(
            "pkg/project_template/Dockerfile",
            3,
            "project_name.settings",
        ),
        deploy("deploy/render.yaml", 7, "config.settings.render"),
    ];
    assert_eq!(
        pick(&hints),
        (
            "config/settings/render.py".to_string(),
            "deploy/render.yaml:7 sets DJANGO_SETTINGS_MODULE".to_string(),
            Vec::new()
        )
    );
    assert!(is_scaffold("a/app_template/settings.py"));
    assert!(is_scaffold("{{cookiecutter.slug}}/settings.py"));
    assert!(is_scaffold("conf/project_name/settings.py-tpl"));
    assert!(!is_scaffold("templates/settings.py"));
}

#[test]
fn undecidable_branches_merge_entry_by_entry() {
    let p = profile(&[(
        "settings.py",
        r#"
import os
DATABASES = {"default": {"ENGINE": "x", "NAME": "a"}}
APPS = ["a"]
if os.environ["X"]:
    DATABASES["default"]["NAME"] = "b"
    DATABASES["default"]["CONN_MAX_AGE"] = 60
    APPS.append("debug_toolbar")
else:
    DATABASES["default"]["NAME"] = "c"
db = {"ENGINE": "y"}
db.update({"NAME": "n"}, CONN_MAX_AGE=30)
OTHER = {"default": db}
"#,
    )]);
    let why = "`os.environ[\"X\"]` holds (settings.py:5)".to_string();
    let maybe = |kind: Kind| Kind::Maybe {
        value: Box::new(Value::new(kind, None)),
        why: why.clone(),
    };
    let stripped = |path: &str| {
        kind(&p, path).map(|k| match k {
            Kind::Maybe { value, why } => Kind::Maybe {
                value: Box::new(Value::new(strip(value.kind), None)),
                why,
            },
            other => strip(other),
        })
    };
    assert_eq!(stripped("DATABASES.default.ENGINE"), Some(s("x")));
    assert_eq!(stripped("DATABASES.default.NAME"), Some(env(&["X"], None)));
    assert_eq!(
        stripped("DATABASES.default.CONN_MAX_AGE"),
        Some(maybe(Kind::Int(60)))
    );
    assert_eq!(stripped("APPS.0"), Some(s("a")));
    assert_eq!(stripped("APPS.1"), Some(maybe(s("debug_toolbar"))));
    // Where it is maybe-set, the other side is Django's default.
    assert_eq!(
        p.lookup_unset("DATABASES.default.CONN_MAX_AGE")
            .value
            .map(|v| v.kind),
        Some(Kind::Int(0))
    );
    assert_eq!(stripped("OTHER.default.NAME"), Some(s("n")));
    assert_eq!(stripped("OTHER.default.CONN_MAX_AGE"), Some(Kind::Int(30)));
}

#[test]
fn an_if_decided_by_an_env_default_remembers_what_the_other_branch_assigns() {
    let p = profile(&[(
        "settings.py",
        "import os\nREDIS = os.getenv('REDIS', None)\nCACHES = {}\nif REDIS:\n    CACHES['default'] = {'BACKEND': 'redis'}\n    if REDIS.startswith('s'):\n        SESSION_ENGINE = 'cache'\nelse:\n    DEBUG = False\nif True:\n    X = 1\nelse:\n    Y = 2\n",
    )]);
    let switches: Vec<(&str, usize, Vec<String>)> = p
        .switches
        .iter()
        .map(|s| (s.name.as_str(), s.line, s.vars.clone()))
        .collect();
    // The branch taken (DEBUG) and an `if` on a literal (Y) are no switch.
    assert_eq!(
        switches,
        vec![
            ("CACHES", 4, vec!["REDIS".to_string()]),
            ("SESSION_ENGINE", 4, vec!["REDIS".to_string()]),
        ]
    );
    assert!(p.switch_of("CACHES.default.BACKEND").is_some());
    assert!(p.switch_of("DEBUG").is_none());
    assert_eq!(kind(&p, "CACHES"), Some(Kind::dict(Vec::new())));
}

#[test]
fn a_walrus_condition_on_a_project_env_helper_takes_its_default_branch() {
    let p = profile(&[(
        "settings.py",
        "from core.utils.params import get_bool_env\nMIDDLEWARE = []\nif ENABLE_CSP := get_bool_env('ENABLE_CSP', True):\n    MIDDLEWARE.append('csp.middleware.CSPMiddleware')\nDEBUG = get_bool_env('DEBUG', True)\n",
    )]);
    assert_eq!(
        kind(&p, "MIDDLEWARE").map(strip),
        Some(Kind::list(vec![Value::new(
            s("csp.middleware.CSPMiddleware"),
            None
        )]))
    );
    assert_eq!(
        kind(&p, "DEBUG").map(strip),
        Some(env(&["DEBUG"], Some(Kind::Bool(true))))
    );
    // The walrus binds its name: a setting can be assigned in the condition itself.
    assert_eq!(
        kind(&p, "ENABLE_CSP").map(strip),
        Some(env(&["ENABLE_CSP"], Some(Kind::Bool(true))))
    );
}

#[test]
fn an_unconditional_assignment_after_the_if_overrides_its_switch() {
    // base.py: CACHES and SESSION_ENGINE are switched by REDIS, A and B too; then A is
    // rebound inside another `if` (still switched), B is extended from itself (still
    // switched) and SESSION_ENGINE is rebound at top level (no longer switched).
    // production.py rebinds CACHES after the star import: no longer switched either.
    let base = "import os\nREDIS = os.getenv('REDIS', None)\nCACHES = {}\nif REDIS:\n    CACHES = {'default': {'BACKEND': 'redis'}}\n    SESSION_ENGINE = 'cache'\n    A = 1\n    B = {'x': 1}\nif os.getenv('OTHER'):\n    A = 2\nB = {**B, 'y': 2}\nSESSION_ENGINE = 'db'\n";
    let production = "from .base import *\nCACHES = {'default': {'BACKEND': 'locmem'}}\n";
    let p = profile(&[
        ("proj/settings/base.py", base),
        ("proj/settings/production.py", production),
    ]);
    assert_eq!(p.rel, "proj/settings/production.py");
    let switches: Vec<(&str, &str, usize)> = p
        .switches
        .iter()
        .map(|s| (s.name.as_str(), s.at.file.as_str(), s.line))
        .collect();
    assert_eq!(
        switches,
        vec![
            ("A", "proj/settings/base.py", 4),
            ("B", "proj/settings/base.py", 4),
        ]
    );
    assert!(p.switch_of("CACHES.default.BACKEND").is_none());
    assert!(p.switch_of("SESSION_ENGINE").is_none());
}

#[test]
fn a_switch_recorded_twice_is_kept_once_and_again_after_an_override() {
    // A branch that assigns a name twice records one switch; after an override, a later
    // `if` switches the name again.
    let text = "import os\nREDIS = os.getenv('REDIS', None)\nif REDIS:\n    CACHES = 1\n    CACHES = 2\nCACHES = 3\nif REDIS:\n    CACHES = {}\n    CACHES['x'] = 5\n";
    let p = profile(&[("settings.py", text)]);
    let switches: Vec<(&str, usize)> = p
        .switches
        .iter()
        .map(|s| (s.name.as_str(), s.line))
        .collect();
    assert_eq!(switches, vec![("CACHES", 7)]);
}
