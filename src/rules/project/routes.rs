//! Routes matched by path or view, and `[match.shallow_routes]`: health views that check nothing.

use super::*;

/// Whether a resolved route's path has a segment matching `paths`, or its view's last part
/// or its name matches `views`.
pub(super) fn route_matches(
    route: &crate::model::routes::ResolvedRoute,
    paths: &[String],
    views: &[String],
) -> bool {
    use crate::model::routes::RouteTarget;
    let path = route.path.to_ascii_lowercase();
    // A pattern with a `/` is matched against the whole path, its regex anchors and outer
    // slashes dropped (`*api/status`); any other against each segment.
    let whole = path.trim_matches(|c: char| matches!(c, '^' | '$' | '/'));
    let segment_hit = path
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|s| !s.is_empty())
        .any(|s| paths.iter().any(|g| !g.contains('/') && glob_match(g, s)))
        || paths
            .iter()
            .any(|g| g.contains('/') && glob_match(g, whole));
    let view = match &route.target {
        RouteTarget::View { view, .. } => last_part(view).to_ascii_lowercase(),
        _ => String::new(),
    };
    let name = route.name.as_deref().unwrap_or("").to_ascii_lowercase();
    segment_hit
        || views.iter().any(|g| {
            (!view.is_empty() && glob_match(g, &view)) || (!name.is_empty() && glob_match(g, &name))
        })
}

/// One finding per matching route whose view (a project function, or a class's methods)
/// calls nothing `touches` matches, following calls of its own module's functions once.
pub(super) fn shallow_findings(
    spec: &ShallowRoutes,
    resolved: &crate::model::routes::Resolved,
    project: &Project<'_>,
    outcome: &mut ProjectOutcome,
) {
    use crate::model::project::Defined;
    use crate::model::routes::RouteTarget;
    let mut seen: std::collections::BTreeSet<(&str, usize)> = std::collections::BTreeSet::new();
    let mut functions_of: std::collections::HashMap<
        &str,
        std::collections::HashMap<&str, &crate::model::facts::FunctionDef>,
    > = std::collections::HashMap::new();
    for route in resolved
        .routes
        .iter()
        .filter(|r| route_matches(r, &spec.paths, &spec.views))
    {
        let RouteTarget::View { view, .. } = &route.target else {
            continue;
        };
        let Some((file, defined)) = project.definition(view) else {
            continue;
        };
        if !project.runs_in_production(file) || seen.contains(&(file.rel.as_str(), defined.line()))
        {
            continue;
        }
        let (calls, header) = match defined {
            Defined::Class(c) => (&c.calls, &c.header),
            Defined::Function(f) => (&f.calls, &f.header),
        };
        // A class from elsewhere (a package's view the project subclasses) may check in its
        // bases: only a function, or a class with no base but a Django view, is judged.
        if let Defined::Class(c) = defined {
            if !c
                .bases
                .iter()
                .all(|b| last_part(b) == "View" || last_part(b) == "APIView")
            {
                continue;
            }
        }
        let touches = |callee: &str| spec.touches.iter().any(|g| glob_match(g, callee));
        let mut checked = calls.iter().any(|c| touches(c));
        if !checked {
            // Helpers of the same module (`check_database()`), one level down, through a
            // name index built once per file.
            let helpers = functions_of.entry(file.rel.as_str()).or_insert_with(|| {
                let mut by_name = std::collections::HashMap::new();
                for f in &file.functions {
                    by_name.entry(f.name.as_str()).or_insert(f);
                }
                by_name
            });
            checked = calls.iter().any(|c| {
                helpers
                    .get(c.as_str())
                    .is_some_and(|f| f.calls.iter().any(|inner| touches(inner)))
            });
        }
        if checked {
            continue;
        }
        let severity = match spec
            .grades
            .iter()
            .find(|g| route_matches(route, &g.paths, &g.views))
        {
            Some(grade) => match grade.severity {
                Some(s) => Some(s),
                None => continue,
            },
            None => spec.severity,
        };
        seen.insert((file.rel.as_str(), defined.line()));
        let message = spec
            .message
            .as_deref()
            .unwrap_or("`{view}` answers `{path}` without checking anything")
            .replace("{view}", defined.name())
            // The site's root is written `""` in a urlconf.
            .replace(
                "{path}",
                if route.path.is_empty() {
                    "/"
                } else {
                    &route.path
                },
            )
            .replace("{route}", &format!("{}:{}", route.file, route.line));
        outcome.matches.push(ProjectMatch {
            rel: file.rel.clone(),
            line: defined.line(),
            message,
            severity,
            header: header.clone(),
        });
    }
}
