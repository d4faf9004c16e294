//! Whether a host named in a setting belongs to one deployment (`is = "deployment-host"`).
//!
//! A literal host is configuration only if it changes between deployments: a developer
//! laptop, staging and production reach different databases, queues and internal services. A
//! vendor's public endpoint (`https://api.paypal.com`, a CDN, a captcha verifier) is the same
//! for every deployment: it is a constant of the integration, not configuration.

use std::net::{Ipv4Addr, Ipv6Addr};

/// URL schemes of data stores and brokers: such a URL always points at one deployment's own
/// instance, whatever its host.
const DATA_STORE_SCHEMES: &[&str] = &[
    "redis",
    "rediss",
    "valkey",
    "memcache",
    "memcached",
    "pymemcache",
    "amqp",
    "amqps",
    "kafka",
    "nats",
    "postgres",
    "postgresql",
    "postgis",
    "psql",
    "mysql",
    "mysql2",
    "mariadb",
    "mongodb",
    "mongodb+srv",
    "sqlite",
    "oracle",
    "mssql",
    "elasticsearch",
    "sqs",
    "ldap",
    "ldaps",
];

/// Top-level names reserved or customary for private networks (RFC 6762, RFC 8375, RFC 6761
/// and common practice), where a name never resolves on the public internet.
const PRIVATE_SUFFIXES: &[&str] = &[
    "internal",
    "local",
    "localhost",
    "localdomain",
    "lan",
    "home",
    "corp",
    "intranet",
    "private",
    "test",
    "invalid",
    "arpa",
];

/// Labels that mark a name as one environment's (`api.staging.example.com`,
/// `payments.internal.example.com`).
const ENVIRONMENT_LABELS: &[&str] = &[
    "internal",
    "intranet",
    "private",
    "staging",
    "stage",
    "stg",
    "prod",
    "production",
    "prd",
    "dev",
    "devel",
    "development",
    "qa",
    "uat",
    "test",
    "testing",
    "sandbox",
    "preprod",
    "local",
];

/// Endpoint suffixes of managed cloud instances: each name is one customer's database, cache
/// or machine, never shared.
const INSTANCE_SUFFIXES: &[&str] = &[
    ".rds.amazonaws.com",
    ".cache.amazonaws.com",
    ".compute.amazonaws.com",
    ".elb.amazonaws.com",
    ".es.amazonaws.com",
    ".database.windows.net",
    ".redis.cache.windows.net",
    ".database.azure.com",
];

/// True when `value` (a host, `host:port`, or a URL) names something that differs between
/// deployments: a URL carrying credentials or pointing at a data store; localhost, an IP
/// address, a single-label name (a container or service name such as `postgres`); a name
/// under a private-use suffix (`.internal`, `.local`, `.lan`, …); a name with an environment
/// label (`staging`, `internal`, `sandbox`, …); a managed cloud instance endpoint. A public
/// name that is the same for everyone (a vendor API, a CDN) is not.
pub fn is_deployment_specific(value: &str) -> bool {
    let value = value.trim();
    let (scheme, rest) = match value.split_once("://") {
        Some((scheme, rest)) => (Some(scheme.to_ascii_lowercase()), rest),
        // Without a scheme only a bare host (or `host:port`) names a host; `static/` is a path.
        None if value.contains('/') => return false,
        None => (None, value),
    };
    let host_port = rest.split(['/', '?', '#']).next().unwrap_or("");
    // An account in the URL (`user:password@`) belongs to one deployment.
    if host_port.contains('@') {
        return true;
    }
    if scheme
        .as_deref()
        .is_some_and(|s| DATA_STORE_SCHEMES.contains(&s))
    {
        return true;
    }
    if let Some(inner) = host_port
        .strip_prefix('[')
        .and_then(|h| h.split(']').next())
    {
        return inner.parse::<Ipv6Addr>().is_ok();
    }
    let host = host_port
        .split(':')
        .next()
        .unwrap_or("")
        .trim_end_matches('.')
        .to_ascii_lowercase();
    if host.is_empty() {
        return false;
    }
    if host.parse::<Ipv4Addr>().is_ok() || !host.contains('.') {
        return true;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let (last, below) = labels.split_last().unwrap_or((&"", &[]));
    // Environment words count below the top level only: `.dev` is a public top-level domain.
    PRIVATE_SUFFIXES.contains(last)
        || below.iter().any(|l| ENVIRONMENT_LABELS.contains(l))
        || INSTANCE_SUFFIXES.iter().any(|s| host.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::is_deployment_specific;

    #[test]
    fn one_deployments_hosts() {
        for value in [
            "redis://localhost:6379/0",
            "rediss://cache.example.com:6380",
            "postgres://db.example.com/app",
            "localhost",
            "postgres",
            "http://api:8000/v1",
            "10.0.3.7",
            "http://192.168.1.20:9200",
            "http://[::1]:8000/",
            "https://notify.inkwell.internal/api/v1/send",
            "https://payments.internal.example.com/v2",
            "https://api.staging.example.com",
            "https://api.dev.example.dev",
            "https://api-m.sandbox.paypal.com",
            "smtp.office.lan",
            "db.svc.cluster.local",
            "https://user:secret@hooks.example.com/x",
            "app-db.c9akciq32.eu-west-1.rds.amazonaws.com",
        ] {
            assert!(is_deployment_specific(value), "{value}");
        }
    }

    #[test]
    fn vendor_endpoints_are_the_same_for_everyone() {
        for value in [
            "https://api.paypal.com",
            "https://api.clerk.com/v1",
            "https://www.google.com/recaptcha/api/siteverify",
            "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5/",
            "smtp.sendgrid.net",
            "https://hooks.slack.com/services",
            "https://my-site.pages.dev/api",
            "static/",
            "/accounts/login/",
            "",
        ] {
            assert!(!is_deployment_specific(value), "{value}");
        }
    }
}
