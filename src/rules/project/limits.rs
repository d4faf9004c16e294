//! `[match.request_limits]`: web servers started with nothing that bounds a request.

use super::*;

/// One finding for the production web servers that run with no bound on a request's time,
/// at the first of them (the most severe), naming the others; undecided without one.
pub(super) fn request_limit_findings(
    limits: &RequestLimits,
    project: &Project<'_>,
    outcome: &mut ProjectOutcome,
) {
    let servers: Vec<(&str, &crate::parse::deploy::Process)> = project
        .processes()
        .filter(|(_, p)| p.kind == ProcessKind::Web)
        .collect();
    if servers.is_empty() {
        outcome.undecided = Some("no production deploy file starts a web server".into());
        return;
    }
    let mut unbounded: Vec<(
        &str,
        &crate::parse::deploy::Process,
        Option<crate::findings::Severity>,
        String,
    )> = servers
        .iter()
        .filter_map(|(rel, p)| {
            unbounded_because(limits, p, project).map(|(severity, why)| (*rel, *p, severity, why))
        })
        .collect();
    if unbounded.is_empty() {
        let (rel, p) = servers[0];
        outcome.provided = Some(format!("{rel}:{} bounds requests: `{}`", p.line, p.command));
        return;
    }
    // The worst case leads (no severity of its own is the rule's).
    unbounded.sort_by_key(|(_, _, severity, _)| {
        std::cmp::Reverse(severity.unwrap_or(crate::findings::Severity::Critical))
    });
    let (rel, process, severity, why) = &unbounded[0];
    let mut message = limits
        .message
        .replace("{file}", rel)
        .replace("{line}", &process.line.to_string())
        .replace("{command}", &process.command)
        .replace("{missing}", why);
    let others: Vec<String> = unbounded[1..]
        .iter()
        .map(|(rel, p, _, _)| format!("{rel}:{}", p.line))
        .collect();
    if !others.is_empty() {
        message.push_str(&format!("; also started so at {}", others.join(", ")));
    }
    outcome.matches.push(ProjectMatch {
        rel: rel.to_string(),
        line: process.line,
        message,
        severity: *severity,
        header: process.command.chars().take(200).collect(),
    });
}

/// Why `process` has no bound on a request's time, with the severity when it is less than
/// the rule's (a server default that still bounds); `None` when it is bounded.
pub(super) fn unbounded_because(
    limits: &RequestLimits,
    process: &crate::parse::deploy::Process,
    project: &Project<'_>,
) -> Option<(Option<crate::findings::Severity>, String)> {
    let program = process.program.as_str();
    let Some(server) = limits
        .servers
        .iter()
        .find(|s| s.programs.iter().any(|g| glob_match(g, program)))
    else {
        return Some((
            limits.other_severity,
            format!("`{program}` has no option that bounds a request's time"),
        ));
    };
    let is_off = |value: &str| unquoted(value) == "0";
    let setting_of = |wanted: &str| {
        let (kind, name) = wanted.split_once(':').unwrap_or(("", wanted));
        project
            .server_settings()
            .find(|(_, s)| (kind.is_empty() || s.server == kind) && glob_match(name, &s.name))
    };
    // A worker that keeps answering the arbiter while a request runs: no timeout of the
    // server bounds a request.
    for (key, globs) in &server.default_lost_with {
        let value = if key.contains(':') {
            setting_of(key).map(|(_, s)| s.value.as_str())
        } else {
            process.option(&[key.as_str()])
        };
        if let Some(value) = value.filter(|v| globs.iter().any(|g| glob_match(g, unquoted(v)))) {
            return Some((
                server.lost_severity,
                format!("with `{key} {value}` the server's timeout bounds no request"),
            ));
        }
    }
    let names: Vec<&str> = server.options.iter().map(String::as_str).collect();
    if let Some(value) = process.option(&names) {
        return is_off(value).then(|| {
            (
                server.severity,
                format!("`{} 0` turns the bound off", names[0]),
            )
        });
    }
    if let Some((rel, s)) = server.settings.iter().find_map(|w| setting_of(w)) {
        return is_off(&s.value).then(|| {
            (
                server.severity,
                format!("`{} = 0` in {rel}:{} turns the bound off", s.name, s.line),
            )
        });
    }
    let wanted: Vec<String> = server.options.iter().map(|o| format!("`{o}`")).collect();
    let without = format!("it is started without {}", wanted.join(" or "));
    match &server.default {
        Some(default) => Some((
            server.default_severity,
            format!("{without}, so only {default} bounds a request"),
        )),
        None => Some((
            server.severity,
            format!("{without}, so nothing bounds a request's time"),
        )),
    }
}

/// A value as a deploy file writes it, without its quotes and outer spaces.
pub(super) fn unquoted(value: &str) -> &str {
    value.trim().trim_matches(|c| c == '"' || c == '\'').trim()
}
