//! Calls: environment readers (os, django-environ, python-decouple, dj-database-url, project
//! helpers), builtin casts and methods on evaluated values.

use super::eval::{apply_cast, eval, Frame};
use super::ir::{shorten, Expr, Node};
use super::value::*;

/// Which environment reader a callee is, if any.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Reader {
    /// `os.getenv(var, default)`, `os.environ.get(var, default)`.
    Os,
    /// django-environ `env(var, cast, default)`.
    EnvCall,
    /// django-environ `env.<cast>(var, default)`, `env.list(var, cast, default)`.
    EnvMethod,
    /// python-decouple `config(var, default, cast)`.
    Decouple,
    /// `dj_database_url.config(env=, default=, conn_max_age=)`.
    DbUrlConfig,
    /// `dj_database_url.parse(url, conn_max_age=)`.
    DbUrlParse,
    /// A project's own wrapper: `get_env_bool("X", default)`, `env_int("X", 0)`.
    Helper,
}

/// The cast of a project-defined environment helper, from its name: `get_env_bool` → `bool`,
/// `get_env` → `str`. Only names that say they read the environment.
pub(super) fn env_helper_cast(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    // `get_bool_env`, `get_int_env`: the cast between `get_` and `_env`.
    if let Some(cast) = lower
        .strip_prefix("get_")
        .and_then(|rest| rest.strip_suffix("_env"))
    {
        return helper_cast(cast).filter(|_| !cast.is_empty());
    }
    let stem = lower
        .strip_prefix("get_env")
        .or_else(|| lower.strip_prefix("getenv_"))
        .or_else(|| lower.strip_prefix("env_"))
        .or_else(|| lower.strip_prefix("read_env"))?;
    helper_cast(
        stem.trim_start_matches(['_', 'v'])
            .trim_start_matches("ar_"),
    )
}

/// The cast a word in a helper's name stands for (`flag` → `bool`, `tuple` → `list`); `""`
/// (a plain `get_env`) reads a string.
fn helper_cast(word: &str) -> Option<&'static str> {
    match word {
        "" | "str" | "string" => Some("str"),
        "bool" | "boolean" | "flag" => Some("bool"),
        "int" | "integer" => Some("int"),
        "float" => Some("float"),
        "list" | "tuple" => Some("list"),
        _ => None,
    }
}

pub(super) fn reader_of(callee: &str) -> Option<(Reader, &str)> {
    let method = callee.rsplit('.').next().unwrap_or(callee);
    if let Some(cast) = env_helper_cast(method) {
        if !callee.starts_with("environ.") && !callee.starts_with("os.") {
            return Some((Reader::Helper, cast));
        }
    }
    match callee {
        "os.getenv" | "os.environ.get" | "os.environ.setdefault" => Some((Reader::Os, "")),
        "environ.Env()" | "environ.FileAwareEnv()" => Some((Reader::EnvCall, "")),
        "decouple.config" | "decouple.AutoConfig()" | "decouple.Config()" => {
            Some((Reader::Decouple, ""))
        }
        "dj_database_url.config" => Some((Reader::DbUrlConfig, "")),
        "dj_database_url.parse" => Some((Reader::DbUrlParse, "")),
        _ if callee.starts_with("environ.Env().")
            || callee.starts_with("environ.Env.")
            || callee.starts_with("environ.FileAwareEnv().") =>
        {
            Some((Reader::EnvMethod, method))
        }
        _ => None,
    }
}

pub(super) fn arg<'n>(
    args: &'n [Node],
    kwargs: &'n [(String, Node)],
    position: usize,
    keyword: &str,
) -> Option<&'n Node> {
    kwargs
        .iter()
        .find(|(k, _)| k == keyword)
        .map(|(_, v)| v)
        .or_else(|| args.get(position))
}

pub(super) fn call(
    frame: &Frame<'_>,
    callee: &str,
    func: &Node,
    args: &[Node],
    kwargs: &[(String, Node)],
    at: &Loc,
    d: usize,
) -> Value {
    let ev = |n: &Node| eval(frame, n, d);
    let callee = resolve_callee(frame, func, callee);
    let callee = callee.as_str();
    if let Some((reader, method)) = reader_of(callee) {
        return read_env(frame, reader, method, args, kwargs, at, d);
    }
    if READER_CONSTRUCTORS.contains(&callee) {
        // Kept as a marker so `env.bool(...)` works in modules that star-import `env`.
        return lit(Kind::Unknown(format!("{callee}()")), at);
    }
    let last = callee.rsplit('.').next().unwrap_or(callee);
    // Builtin casts and constructors.
    if callee == last {
        match (last, args) {
            ("bool" | "int" | "float" | "str" | "list" | "tuple" | "set", [x]) => {
                let v = ev(x);
                return lift(&[&v], at, |x| apply_cast(last, x[0], at).kind);
            }
            ("dict", []) => {
                let entries = kwargs.iter().map(|(k, v)| (k.clone(), ev(v))).collect();
                return lit(Kind::dict(entries), at);
            }
            _ => {}
        }
    }
    // Methods on evaluated values: `os.environ["X"].split(",")`, `NAME.lower()`.
    let receiver = match &func.expr {
        Expr::Attr(object, _) => Some(ev(object)),
        Expr::Name { name, .. } => name
            .rsplit_once('.')
            .and_then(|(recv, _)| frame.ns.get(recv).cloned()),
        _ => None,
    };
    if let Some(receiver) = receiver {
        let argv: Vec<Value> = args.iter().map(ev).collect();
        return method_call(&receiver, last, &argv, at);
    }
    let shown = format!("{}(…)", shorten(callee, 50));
    lit(Kind::Unknown(shown), at)
}

/// Constructors of environment readers whose instances are called later.
pub(super) const READER_CONSTRUCTORS: &[&str] = &[
    "environ.Env",
    "environ.FileAwareEnv",
    "decouple.AutoConfig",
    "decouple.Config",
];

/// The callee through a reader instance bound in the namespace (`env` star-imported from a
/// base module holds the `environ.Env()` marker).
pub(super) fn resolve_callee(frame: &Frame<'_>, func: &Node, callee: &str) -> String {
    if let Expr::Name { name, .. } = &func.expr {
        let (root, rest) = name.split_once('.').unwrap_or((name.as_str(), ""));
        if let Some(Value {
            kind: Kind::Unknown(marker),
            ..
        }) = frame.ns.get(root)
        {
            let is_reader = marker
                .strip_suffix("()")
                .is_some_and(|c| READER_CONSTRUCTORS.contains(&c));
            if is_reader {
                return if rest.is_empty() {
                    marker.clone()
                } else {
                    format!("{marker}.{rest}")
                };
            }
        }
    }
    callee.to_string()
}

pub(super) fn method_call(receiver: &Value, method: &str, args: &[Value], at: &Loc) -> Value {
    let mut inputs = vec![receiver];
    inputs.extend(args.iter());
    let shown = format!("{}(…)", method);
    // A method on a missing environment variable's `None` fails: the value is required.
    if let Kind::Env {
        vars,
        fallback: Some(f),
    } = &receiver.kind
    {
        if f.kind == Kind::None {
            return env_value(vars.clone(), None, at);
        }
    }
    lift(&inputs, at, |v| {
        let text = |i: usize| v.get(i).and_then(|x| py_str(x));
        match (&v[0].kind, method) {
            (Kind::Str(s), "split") => {
                let parts: Vec<Value> = match text(1) {
                    Some(sep) if !sep.is_empty() => s
                        .split(sep.as_str())
                        .map(|p| lit(Kind::Str(p.to_string()), at))
                        .collect(),
                    _ => s
                        .split_whitespace()
                        .map(|p| lit(Kind::Str(p.to_string()), at))
                        .collect(),
                };
                Kind::list(parts)
            }
            (Kind::Str(s), "lower") => Kind::Str(s.to_lowercase()),
            (Kind::Str(s), "upper") => Kind::Str(s.to_uppercase()),
            (Kind::Str(s), "strip") => Kind::Str(s.trim().to_string()),
            (Kind::Str(s), "lstrip") => Kind::Str(s.trim_start().to_string()),
            (Kind::Str(s), "rstrip") => Kind::Str(s.trim_end().to_string()),
            (Kind::Str(s), "replace") => match (text(1), text(2)) {
                (Some(a), Some(b)) => Kind::Str(s.replace(&a, &b)),
                _ => Kind::Unknown(shown.clone()),
            },
            (Kind::Str(s), "startswith") => text(1).map_or(Kind::Unknown(shown.clone()), |p| {
                Kind::Bool(s.starts_with(&p))
            }),
            (Kind::Str(s), "endswith") => text(1).map_or(Kind::Unknown(shown.clone()), |p| {
                Kind::Bool(s.ends_with(&p))
            }),
            (Kind::Str(sep), "join") => match v.get(1).map(|x| &x.kind) {
                Some(Kind::List(items)) => items
                    .iter()
                    .map(py_str)
                    .collect::<Option<Vec<String>>>()
                    .map_or(Kind::Unknown(shown.clone()), |parts| {
                        Kind::Str(parts.join(sep))
                    }),
                _ => Kind::Unknown(shown.clone()),
            },
            (Kind::Dict(_), "get") => text(1)
                .and_then(|k| v[0].get(&k).map(|x| x.kind.clone()))
                .or_else(|| v.get(2).map(|d| d.kind.clone()))
                .unwrap_or(Kind::None),
            (Kind::Dict(_) | Kind::List(_), "copy") => v[0].kind.clone(),
            _ => Kind::Unknown(shown.clone()),
        }
    })
}

#[allow(clippy::too_many_arguments)]
pub(super) fn read_env(
    frame: &Frame<'_>,
    reader: Reader,
    method: &str,
    args: &[Node],
    kwargs: &[(String, Node)],
    at: &Loc,
    d: usize,
) -> Value {
    let ev = |n: &Node| eval(frame, n, d);
    let var_of = |n: Option<&Node>, default: &str| -> Option<String> {
        match n.map(ev) {
            Some(v) => py_str(&v).filter(|_| matches!(v.kind, Kind::Str(_))),
            None if !default.is_empty() => Some(default.to_string()),
            None => None,
        }
    };
    match reader {
        Reader::Helper => {
            let Some(var) = var_of(arg(args, kwargs, 0, "name"), "") else {
                return lit(Kind::Unknown(format!("{method} helper(…)")), at);
            };
            let default = arg(args, kwargs, 1, "default").map(ev);
            let default = default.map(|v| match (&v.kind, method) {
                (Kind::List(_), _) | (_, "str") => v,
                _ => apply_cast(method, &v, at),
            });
            env_value(vec![var], default, at)
        }
        Reader::Os => {
            let Some(var) = var_of(arg(args, kwargs, 0, "key"), "") else {
                return lit(Kind::Unknown("os.getenv(…)".into()), at);
            };
            let default = arg(args, kwargs, 1, "default").map(ev);
            env_value(vec![var], default, at)
        }
        Reader::EnvCall => {
            let Some(var) = var_of(arg(args, kwargs, 0, "var"), "") else {
                return lit(Kind::Unknown("env(…)".into()), at);
            };
            let cast = arg(args, kwargs, 1, "cast")
                .map(cast_name)
                .unwrap_or_default();
            let default = arg(args, kwargs, 2, "default")
                .map(ev)
                .or_else(|| frame.schemes.get(&var).cloned());
            let default = default.map(|v| apply_cast(&cast, &v, at));
            env_value(vec![var], default, at)
        }
        Reader::EnvMethod => {
            let url_default = match method {
                "db" | "db_url" => "DATABASE_URL",
                "cache" | "cache_url" => "CACHE_URL",
                "email" | "email_url" => "EMAIL_URL",
                "search_url" => "SEARCH_URL",
                _ => "",
            };
            let Some(var) = var_of(arg(args, kwargs, 0, "var"), url_default) else {
                return lit(Kind::Unknown(format!("env.{method}(…)")), at);
            };
            let default_pos = if matches!(method, "list" | "tuple" | "dict") {
                2
            } else {
                1
            };
            let default = arg(args, kwargs, default_pos, "default")
                .map(ev)
                .or_else(|| frame.schemes.get(&var).cloned());
            match method {
                "db" | "db_url" => {
                    let url = env_value(vec![var], default, at);
                    database_from_url(&url, Vec::new(), at)
                }
                "cache" | "cache_url" => {
                    let url = env_value(vec![var], default, at);
                    cache_from_url(&url, at)
                }
                _ => {
                    let default = default.map(|v| apply_cast(method, &v, at));
                    env_value(vec![var], default, at)
                }
            }
        }
        Reader::Decouple => {
            let Some(var) = var_of(arg(args, kwargs, 0, "option"), "") else {
                return lit(Kind::Unknown("config(…)".into()), at);
            };
            let cast = arg(args, kwargs, 2, "cast")
                .map(cast_name)
                .unwrap_or_default();
            let default = arg(args, kwargs, 1, "default").map(ev);
            let default = default.map(|v| {
                if cast.ends_with("dj_database_url.parse") || cast == "db_url" {
                    database_from_url(&v, Vec::new(), at)
                } else {
                    apply_cast(&cast, &v, at)
                }
            });
            env_value(vec![var], default, at)
        }
        Reader::DbUrlConfig | Reader::DbUrlParse => {
            let url = if reader == Reader::DbUrlParse {
                arg(args, kwargs, 0, "url")
                    .map_or_else(|| lit(Kind::Unknown("parse(…)".into()), at), ev)
            } else {
                let var = var_of(
                    kwargs.iter().find(|(k, _)| k == "env").map(|(_, v)| v),
                    "DATABASE_URL",
                )
                .unwrap_or_else(|| "DATABASE_URL".to_string());
                let default = arg(args, kwargs, 1, "default").map(ev);
                env_value(vec![var], default, at)
            };
            let mut extra = Vec::new();
            let options = [
                ("conn_max_age", "CONN_MAX_AGE", Kind::Int(0)),
                (
                    "conn_health_checks",
                    "CONN_HEALTH_CHECKS",
                    Kind::Bool(false),
                ),
            ];
            for (keyword, key, default) in options {
                let v = kwargs
                    .iter()
                    .find(|(k, _)| k == keyword)
                    .map(|(_, n)| ev(n))
                    .unwrap_or_else(|| lit(default, at));
                extra.push((key.to_string(), v));
            }
            database_from_url(&url, extra, at)
        }
    }
}

pub(super) fn cast_name(node: &Node) -> String {
    match &node.expr {
        Expr::Name { name, qualified } => {
            if qualified.is_empty() {
                name.clone()
            } else {
                qualified.clone()
            }
        }
        Expr::Call { callee, .. } => format!("{}()", callee.rsplit('.').next().unwrap_or(callee)),
        _ => String::new(),
    }
}

/// The parts of a database or cache URL: scheme, user, password, host, port, path.
pub(super) struct UrlParts {
    scheme: String,
    user: String,
    password: String,
    host: String,
    port: String,
    path: String,
}

pub(super) fn parse_url(url: &str) -> Option<UrlParts> {
    let (scheme, rest) = url.split_once("://")?;
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => (&authority[..i], &authority[i + 1..]),
        None => ("", authority),
    };
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = match hostport.rfind(':') {
        Some(i) if !hostport.ends_with(']') => (&hostport[..i], &hostport[i + 1..]),
        _ => (hostport, ""),
    };
    Some(UrlParts {
        scheme: scheme.to_ascii_lowercase(),
        user: user.to_string(),
        password: password.to_string(),
        host: host.to_string(),
        port: port.to_string(),
        path: path.to_string(),
    })
}

pub(super) fn database_engine(scheme: &str) -> String {
    let base = scheme.split('+').next().unwrap_or(scheme);
    match base {
        "postgres" | "postgresql" | "pgsql" | "psql" => "django.db.backends.postgresql",
        "postgis" => "django.contrib.gis.db.backends.postgis",
        "mysql" | "mysql2" => "django.db.backends.mysql",
        "mysqlgis" => "django.contrib.gis.db.backends.mysql",
        "sqlite" => "django.db.backends.sqlite3",
        "spatialite" => "django.contrib.gis.db.backends.spatialite",
        "oracle" => "django.db.backends.oracle",
        "mssql" => "mssql",
        "cockroach" => "django_cockroachdb",
        "timescale" => "timescale.db.backends.postgresql",
        other => other,
    }
    .to_string()
}

/// Applies `f` to a URL value field by field: literal, env-with-default or undecidable alike.
pub(super) fn from_url(
    url: &Value,
    at: &Loc,
    f: impl Fn(Option<&UrlParts>) -> Vec<(String, Kind)>,
) -> Vec<(String, Value)> {
    let fields = |text: Option<&str>| f(text.and_then(parse_url).as_ref());
    match &url.kind {
        Kind::Str(s) => fields(Some(s))
            .into_iter()
            .map(|(k, v)| (k, lit(v, at)))
            .collect(),
        Kind::Env { vars, fallback } => {
            let default = fallback.as_ref().and_then(|f| match &f.kind {
                Kind::Str(s) => Some(s.as_str()),
                _ => None,
            });
            let keys = f(None);
            let parsed = default.map(|d| fields(Some(d)));
            keys.into_iter()
                .map(|(k, _)| {
                    let fb = parsed
                        .as_ref()
                        .and_then(|p| p.iter().find(|(pk, _)| *pk == k))
                        .map(|(_, v)| lit(v.clone(), at));
                    (k, env_value(vars.clone(), fb, at))
                })
                .collect()
        }
        other => {
            let text = match other {
                Kind::Unknown(t) => t.clone(),
                _ => "a database URL".to_string(),
            };
            f(None)
                .into_iter()
                .map(|(k, _)| (k, lit(Kind::Unknown(text.clone()), at)))
                .collect()
        }
    }
}

pub(super) fn database_from_url(url: &Value, extra: Vec<(String, Value)>, at: &Loc) -> Value {
    let mut entries = from_url(url, at, |p| {
        let s = |f: fn(&UrlParts) -> String| p.map_or(Kind::None, |p| Kind::Str(f(p)));
        vec![
            ("ENGINE".to_string(), s(|p| database_engine(&p.scheme))),
            ("NAME".to_string(), s(|p| p.path.clone())),
            ("USER".to_string(), s(|p| p.user.clone())),
            ("PASSWORD".to_string(), s(|p| p.password.clone())),
            ("HOST".to_string(), s(|p| p.host.clone())),
            ("PORT".to_string(), s(|p| p.port.clone())),
        ]
    });
    entries.extend(extra);
    lit(Kind::dict(entries), at)
}

pub(super) fn cache_from_url(url: &Value, at: &Loc) -> Value {
    let entries = from_url(url, at, |p| {
        let backend = p.map_or(Kind::None, |p| {
            Kind::Str(
                match p.scheme.as_str() {
                    "redis" | "rediss" => "django.core.cache.backends.redis.RedisCache",
                    "locmem" => "django.core.cache.backends.locmem.LocMemCache",
                    "dummy" => "django.core.cache.backends.dummy.DummyCache",
                    "file" | "filecache" => "django.core.cache.backends.filebased.FileBasedCache",
                    "dbcache" => "django.core.cache.backends.db.DatabaseCache",
                    "memcache" | "pymemcache" => {
                        "django.core.cache.backends.memcached.PyMemcacheCache"
                    }
                    other => other,
                }
                .to_string(),
            )
        });
        vec![("BACKEND".to_string(), backend)]
    });
    lit(Kind::dict(entries), at)
}

#[cfg(test)]
mod tests {
    use super::env_helper_cast;

    #[test]
    fn both_spellings_of_a_helper_name_know_the_same_casts() {
        let casts = [
            ("str", Some("str")),
            ("string", Some("str")),
            ("bool", Some("bool")),
            ("boolean", Some("bool")),
            ("flag", Some("bool")),
            ("int", Some("int")),
            ("integer", Some("int")),
            ("float", Some("float")),
            ("list", Some("list")),
            ("tuple", Some("list")),
            ("secret", None),
        ];
        for (word, cast) in casts {
            assert_eq!(env_helper_cast(&format!("get_{word}_env")), cast, "{word}");
            assert_eq!(env_helper_cast(&format!("get_env_{word}")), cast, "{word}");
            assert_eq!(env_helper_cast(&format!("env_{word}")), cast, "{word}");
        }
        assert_eq!(env_helper_cast("get_FLAG_env"), Some("bool"));
        assert_eq!(env_helper_cast("get_env"), Some("str"));
        assert_eq!(env_helper_cast("get__env"), None);
        assert_eq!(env_helper_cast("get_secret"), None);
    }
}
