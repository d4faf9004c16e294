//! Django's defaults for absent settings.

use super::value::{Kind, Value};

pub(super) fn strs(items: &[&str]) -> Kind {
    Kind::list(
        items
            .iter()
            .map(|s| Value::new(Kind::Str((*s).to_string()), None))
            .collect(),
    )
}

pub(super) fn dict(entries: Vec<(&str, Kind)>) -> Kind {
    Kind::dict(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), Value::new(v, None)))
            .collect(),
    )
}

pub(super) fn text(s: &str) -> Kind {
    Kind::Str(s.to_string())
}

/// The default of a top-level setting for a Django version (and the few third-party settings
/// rules look at), when Django's global settings define one.
pub fn django_default(name: &str, version: (u32, u32)) -> Option<Kind> {
    let kind = match name {
        "DEBUG"
        | "SECURE_SSL_REDIRECT"
        | "SESSION_COOKIE_SECURE"
        | "CSRF_COOKIE_SECURE"
        | "SECURE_HSTS_INCLUDE_SUBDOMAINS"
        | "SECURE_HSTS_PRELOAD"
        | "CSRF_COOKIE_HTTPONLY"
        | "CORS_ALLOW_ALL_ORIGINS"
        | "CORS_ORIGIN_ALLOW_ALL"
        | "CORS_ALLOW_CREDENTIALS" => Kind::Bool(false),
        "SESSION_COOKIE_HTTPONLY" => Kind::Bool(true),
        "SECURE_CONTENT_TYPE_NOSNIFF" => Kind::Bool(version >= (3, 0)),
        "SECRET_KEY" => text(""),
        "SECRET_KEY_FALLBACKS"
        | "ALLOWED_HOSTS"
        | "INSTALLED_APPS"
        | "MIDDLEWARE"
        | "AUTH_PASSWORD_VALIDATORS"
        | "CORS_ALLOWED_ORIGINS"
        | "CORS_ORIGIN_WHITELIST"
        | "CORS_ALLOWED_ORIGIN_REGEXES"
        | "CSRF_TRUSTED_ORIGINS" => Kind::list(Vec::new()),
        "SECURE_HSTS_SECONDS" => Kind::Int(0),
        "SECURE_PROXY_SSL_HEADER" => Kind::None,
        "X_FRAME_OPTIONS" => text(if version >= (3, 0) {
            "DENY"
        } else {
            "SAMEORIGIN"
        }),
        "DATABASES" | "LOGGING" => Kind::dict(Vec::new()),
        "SECURE_CSP" if version >= (6, 0) => Kind::dict(Vec::new()),
        "CACHES" => dict(vec![(
            "default",
            dict(vec![(
                "BACKEND",
                text("django.core.cache.backends.locmem.LocMemCache"),
            )]),
        )]),
        "SESSION_ENGINE" => text("django.contrib.sessions.backends.db"),
        "PASSWORD_HASHERS" => {
            let mut hashers = vec![
                "django.contrib.auth.hashers.PBKDF2PasswordHasher",
                "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
                "django.contrib.auth.hashers.Argon2PasswordHasher",
                "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
            ];
            if version >= (4, 0) {
                hashers.push("django.contrib.auth.hashers.ScryptPasswordHasher");
            }
            strs(&hashers)
        }
        _ => return None,
    };
    Some(kind)
}

/// Defaults inside an entry of a dict setting (`DATABASES.<alias>.CONN_MAX_AGE`).
pub(super) fn nested_default(top: &str, rest: &[&str]) -> Option<Kind> {
    match (top, rest) {
        ("DATABASES", [_, key]) => Some(match *key {
            "CONN_MAX_AGE" => Kind::Int(0),
            "CONN_HEALTH_CHECKS" | "ATOMIC_REQUESTS" => Kind::Bool(false),
            "OPTIONS" => Kind::dict(Vec::new()),
            "HOST" | "PORT" | "USER" | "PASSWORD" => text(""),
            _ => return None,
        }),
        ("DATABASES", [_, "OPTIONS", _]) | ("CACHES", [_, "OPTIONS", _]) => None,
        ("CACHES", [_, "OPTIONS"]) => Some(Kind::dict(Vec::new())),
        _ => None,
    }
}
