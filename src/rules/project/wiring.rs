//! Whether a component is wired in: named by a production setting or used by production code.

use super::*;

pub(super) enum Wiring {
    Wired,
    /// What would wire it in, and the settings module of another profile that names it.
    Unwired(String, Option<String>),
    Undecided(String),
}

pub(super) fn wiring(
    class: &ClassDef,
    file: &FileFacts,
    wired: &WiredSpec,
    project: &Project<'_>,
) -> Wiring {
    let mut how = Vec::new();
    // Another class of the same module named by the settings: the module is loaded.
    let mut module_named = false;
    if !wired.settings.is_empty() {
        let Some(profile) = project.profile else {
            return Wiring::Undecided("no production settings module was found".into());
        };
        for setting in &wired.settings {
            let found = profile.lookup(setting);
            let Some(value) = found.value.filter(|_| found.set) else {
                continue;
            };
            let Kind::List(items) = &value.kind else {
                return Wiring::Undecided(format!(
                    "`{setting}` in {} is not a list audit can read",
                    profile.module
                ));
            };
            for item in items.iter() {
                // An entry added on one side of an `if` audit cannot decide (nested ones too)
                // may run. Values are bounded in depth by the evaluator.
                let mut item = item;
                while let Kind::Maybe { value, .. } = &item.kind {
                    item = value.as_ref();
                }
                match &item.kind {
                    Kind::Str(path) if names_class(path, &class.name, &file.module) => {
                        return Wiring::Wired
                    }
                    Kind::Str(path) => {
                        module_named |= path
                            .rsplit_once('.')
                            .is_some_and(|(m, _)| names_module(m, &file.module));
                    }
                    _ => {
                        return Wiring::Undecided(format!(
                            "an entry of `{setting}` in {} is computed: {}",
                            profile.module,
                            item.render()
                        ))
                    }
                }
            }
        }
        let setting = wired.settings.first().map(String::as_str).unwrap_or("");
        how.push(format!(
            "add '{}.{}' to {setting} in {}",
            short_module(&file.module, profile),
            class.name,
            profile.rel
        ));
    }
    if wired.used {
        if project.is_used(&class.name, &file.rel) {
            return Wiring::Wired;
        }
        // Used inside its own module by code that is itself loaded from elsewhere.
        if Project::used_in_own_module(&class.name, file, class.line)
            && (module_named || project.imported(&file.module))
        {
            return Wiring::Wired;
        }
        if how.is_empty() {
            how.push(format!(
                "no production code outside {} names it",
                file.module
            ));
        }
    }
    Wiring::Unwired(how.join("; "), project.other_settings_naming(&class.name))
}

/// The module as the settings spell module paths: a setting that names another class of the
/// same tree shows which source root they start from.
pub(super) fn short_module(module: &str, profile: &crate::model::settings::Profile) -> String {
    // The settings module's own dotted name is relative to the source root; strip the part of
    // the component's module the settings module's path adds in front of it.
    let settings_prefix = profile
        .rel
        .trim_end_matches(".py")
        .replace('/', ".")
        .strip_suffix(&profile.module)
        .map(str::to_string)
        .unwrap_or_default();
    module
        .strip_prefix(&settings_prefix)
        .unwrap_or(module)
        .to_string()
}

/// Whether a dotted setting entry names `class` of `module`: the entry's module part is the
/// module or a dotted suffix of it (settings spell paths from the source root), or a
/// package above it that re-exports the class.
pub(super) fn names_class(path: &str, class: &str, module: &str) -> bool {
    let Some((entry_module, entry_class)) = path.rsplit_once('.') else {
        return false;
    };
    entry_class == class && names_module(entry_module, module)
}

/// Whether `entry_module` (as a setting spells it) is `module` or a package above it, seen
/// from any source root.
pub(super) fn names_module(entry_module: &str, module: &str) -> bool {
    let mut candidate = module;
    loop {
        if candidate == entry_module || candidate.ends_with(&format!(".{entry_module}")) {
            return true;
        }
        match candidate.rsplit_once('.') {
            Some((parent, _)) => candidate = parent,
            None => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_entries_name_a_class_from_any_source_root() {
        let module = "apps.backend.infrastructure.rate_limiter";
        assert!(names_class(
            "infrastructure.rate_limiter.RateLimitMiddleware",
            "RateLimitMiddleware",
            module
        ));
        assert!(names_class(
            "infrastructure.RateLimitMiddleware",
            "RateLimitMiddleware",
            module
        ));
        assert!(!names_class(
            "other.rate_limiter.RateLimitMiddleware",
            "RateLimitMiddleware",
            module
        ));
        assert!(!names_class(
            "infrastructure.rate_limiter.Other",
            "RateLimitMiddleware",
            module
        ));
    }
}
