//! Reading setting values as evidence, and describing what was looked for.

use super::*;

/// The string a setting holds: as written, where it is set on some paths only, or the
/// environment read's default.
pub(super) fn string_value(value: &crate::model::settings::Value) -> Option<&str> {
    let mut value = value;
    loop {
        match &value.kind {
            Kind::Str(s) => return Some(s),
            Kind::Maybe { value: inner, .. } => value = inner,
            Kind::Env {
                fallback: Some(fallback),
                ..
            } => value = fallback,
            _ => return None,
        }
    }
}

pub(super) fn non_empty(value: &crate::model::settings::Value) -> bool {
    match &value.kind {
        Kind::List(items) => !items.is_empty(),
        Kind::Dict(_) => true,
        Kind::Str(s) => !s.is_empty(),
        Kind::None | Kind::Bool(false) => false,
        _ => true,
    }
}

pub(super) fn looked_for(e: &EvidenceSpec) -> String {
    let mut parts = Vec::new();
    let list = |xs: &[String]| {
        xs.iter()
            .map(|x| format!("`{x}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !e.dependencies.is_empty() {
        parts.push(format!("no dependency {}", list(&e.dependencies)));
    }
    if !e.imports.is_empty() {
        parts.push(format!("no import of {}", list(&e.imports)));
    }
    if !e.settings.is_empty() {
        parts.push(format!("no setting {}", list(&e.settings)));
    }
    for (setting, globs) in &e.entries {
        parts.push(format!("no {} entry in `{setting}`", list(globs)));
    }
    for (setting, globs) in &e.values {
        parts.push(format!("no `{setting}` matching {}", list(globs)));
    }
    if !e.code.is_empty() {
        parts.push(format!("no use of {} in application code", list(&e.code)));
    }
    if !e.processes.is_empty() {
        let kinds: Vec<String> = e
            .processes
            .iter()
            .map(|k| {
                serde_json::to_value(k)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default()
            })
            .collect();
        parts.push(format!(
            "no deploy file starts a {} process",
            kinds.join(" or ")
        ));
    }
    if e.probes {
        parts.push("no deploy file probes the application over HTTP".to_string());
    }
    if !e.options.is_empty() {
        parts.push(format!("no deploy file passes {}", list(&e.options)));
    }
    if !e.programs.is_empty() {
        parts.push(format!("no deploy file runs {}", list(&e.programs)));
    }
    if !e.server_settings.is_empty() {
        parts.push(format!("no server setting {}", list(&e.server_settings)));
    }
    if !e.files.is_empty() {
        parts.push(format!("no file like {}", list(&e.files)));
    }
    if let Some(d) = &e.documents {
        parts.push(format!(
            "no document or script that mentions {}",
            list(&d.words)
        ));
    }
    if !e.route_paths.is_empty() {
        parts.push(format!(
            "no route with a path like {}",
            list(&e.route_paths)
        ));
    }
    if !e.route_views.is_empty() {
        parts.push(format!("no route to a view like {}", list(&e.route_views)));
    }
    if !e.text.is_empty() {
        parts.push(format!("no string {} in application code", list(&e.text)));
    }
    parts.join("; ")
}
