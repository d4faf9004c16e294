//! `[match.clients]`: clients built in production code that nothing connects.

use super::*;

/// One finding per client production code builds that neither its module nor a module
/// importing it connects; a pass note naming the connection otherwise.
pub(super) fn client_findings(
    spec: &ClientSpec,
    project: &Project<'_>,
    outcome: &mut ProjectOutcome,
) {
    let connects = project.member_calls(|name| spec.connects.iter().any(|c| c == name));
    for (name, file, call) in project.calls(|n| spec.constructors.iter().any(|c| c == n)) {
        let line = call.line;
        // `db = Prisma()`: a connect must be called on `db`; with no name bound, on anything.
        let receiver = call.code.as_deref().and_then(bound_name);
        let connected = connects.iter().find(|(method, f, m)| {
            let on_it = receiver.as_ref().is_none_or(|r| {
                m.code
                    .as_deref()
                    .is_some_and(|code| code.contains(&format!("{r}.{method}(")))
            });
            on_it && (f.rel == file.rel || f.imports.iter().any(|i| module_names(&file.module, i)))
        });
        match connected {
            Some((method, f, at)) => {
                outcome.provided.get_or_insert_with(|| {
                    format!(
                        "the `{name}` client of {} is connected (`.{method}()` at {}:{})",
                        file.rel, f.rel, at.line
                    )
                });
            }
            None => outcome.matches.push(ProjectMatch {
                rel: file.rel.clone(),
                line,
                message: spec
                    .message
                    .replace("{name}", name)
                    .replace("{file}", &file.rel)
                    .replace("{line}", &line.to_string()),
                severity: None,
                header: call.code.clone().unwrap_or_else(|| format!("{name}()")),
            }),
        }
    }
}

/// The name a line binds its value to (`db = Prisma()`, `self.db: Prisma = Prisma()` give
/// `db`), if it is an assignment.
pub(super) fn bound_name(line: &str) -> Option<String> {
    let (left, right) = line.split_once('=')?;
    if right.starts_with('=') || left.ends_with(['!', '<', '>']) {
        return None;
    }
    let target = left.split(':').next()?.trim();
    let name = target.rsplit('.').next()?.trim();
    (!name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then(|| name.to_string())
}

/// Whether the import `imported` names the module `module` (itself or a dotted tail of two
/// parts or more, as modules are named from another source root).
pub(super) fn module_names(module: &str, imported: &str) -> bool {
    module == imported
        || (imported.contains('.')
            && module.ends_with(imported)
            && module[..module.len() - imported.len()].ends_with('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_a_client_is_bound_to() {
        assert_eq!(bound_name("db = Prisma()"), Some("db".to_string()));
        assert_eq!(
            bound_name("self.client: Prisma = Prisma(auto_register=True)"),
            Some("client".to_string())
        );
        assert_eq!(bound_name("return Prisma()"), None);
        assert_eq!(bound_name("if x == Prisma():"), None);
    }
}
