//! Sections that give one finding at the first of many definitions and count the rest:
//! background tasks without a limit, API views without documentation.

use super::*;

/// One finding at the first production class on `bases` with no docstring and no
/// documenting decorator, counting the rest.
pub(super) fn undocumented_findings(
    spec: &UndocumentedSpec,
    project: &Project<'_>,
    outcome: &mut ProjectOutcome,
) {
    let mut total = 0;
    let mut lacking: Vec<Counted<'_>> = Vec::new();
    for file in project
        .files
        .iter()
        .filter(|f| project.runs_in_production(f))
    {
        for class in &file.classes {
            if !class
                .bases
                .iter()
                .any(|b| spec.bases.iter().any(|g| glob_match(g, last_part(b))))
                || spec.exclude.iter().any(|g| glob_match(g, &class.name))
            {
                continue;
            }
            total += 1;
            let documented = class.docstring
                || class
                    .decorators
                    .iter()
                    .any(|d| spec.decorators.iter().any(|g| glob_match(g, last_part(d))));
            if !documented {
                lacking.push((file, &class.name, class.line, &class.header));
            }
        }
    }
    one_counting_the_rest(
        &lacking,
        total,
        (&spec.message, "{name}"),
        (
            "no class of production code has one of the bases",
            "classes are documented",
        ),
        outcome,
    );
}

/// A definition counted by [`one_counting_the_rest`]: its file, name, line and header.
pub(super) type Counted<'a> = (&'a FileFacts, &'a str, usize, &'a str);

/// One finding at the first of `lacking` among `total` definitions (`message`, with the
/// placeholder that names the first: that placeholder,
/// `{count}`, `{total}`, `{others}`, the next four and how many more), a pass note when none
/// lacks, undecided when there are none (`notes`: why undecided, what all of them do).
pub(super) fn one_counting_the_rest(
    lacking: &[Counted<'_>],
    total: usize,
    (message, first): (&str, &str),
    notes: (&str, &str),
    outcome: &mut ProjectOutcome,
) {
    if total == 0 {
        outcome.undecided = Some(notes.0.to_string());
    } else if lacking.is_empty() {
        outcome.provided = Some(format!("all {total} {}", notes.1));
    }
    let Some((file, name, line, header)) = lacking.first() else {
        return;
    };
    let others: Vec<String> = lacking[1..]
        .iter()
        .take(4)
        .map(|(f, n, l, _)| format!("`{n}` ({}:{l})", f.rel))
        .collect();
    let others = match lacking.len() {
        1 => String::new(),
        n if n > 5 => format!("; also {} and {} more", others.join(", "), n - 5),
        _ => format!("; also {}", others.join(", ")),
    };
    outcome.matches.push(ProjectMatch {
        rel: file.rel.clone(),
        line: *line,
        message: message
            .replace(first, name)
            .replace("{count}", &lacking.len().to_string())
            .replace("{total}", &total.to_string())
            .replace("{others}", &others),
        severity: None,
        header: header.to_string(),
    });
}

/// One finding at the first production task that sets none of the keywords, counting the
/// rest; a pass note when every task sets one.
pub(super) fn task_findings(spec: &TaskSpec, project: &Project<'_>, outcome: &mut ProjectOutcome) {
    let mut total = 0;
    let mut lacking: Vec<Counted<'_>> = Vec::new();
    for file in project
        .files
        .iter()
        .filter(|f| project.runs_in_production(f))
    {
        for function in &file.functions {
            let is_task = function
                .decorators
                .iter()
                .any(|d| spec.decorators.iter().any(|g| glob_match(g, d)));
            if !is_task {
                continue;
            }
            total += 1;
            if !function
                .decorator_keywords
                .iter()
                .any(|k| spec.keywords.contains(k))
            {
                lacking.push((file, &function.name, function.line, &function.header));
            }
        }
    }
    one_counting_the_rest(
        &lacking,
        total,
        (&spec.message, "{task}"),
        (
            "no background task of production code was found",
            "tasks set their own limit",
        ),
        outcome,
    );
}
