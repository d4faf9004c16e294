//! Import statements read from a file's text, without a parse: what `applies_when.import_any`
//! and the project's import graph need. Every line is read, so imports inside functions count.

use std::collections::BTreeSet;

/// One `import` or `from … import` statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// Leading dots of a relative `from .x import y` (0 for an absolute import).
    pub level: usize,
    /// The module after `from` (without its dots; may be empty for `from . import x`), or the
    /// dotted name of a plain `import`.
    pub module: String,
    /// Names after `import` in a `from` statement (`*` left out); empty for a plain `import`.
    pub names: Vec<String>,
}

fn is_dotted(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

/// Every import statement of `text`, in order.
pub fn scan(text: &str) -> Vec<Import> {
    let mut found = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix("import ") {
            for part in rest.split(',') {
                let name = part.split_whitespace().next().unwrap_or("");
                if is_dotted(name) && !name.starts_with('.') {
                    found.push(Import {
                        level: 0,
                        module: name.to_string(),
                        names: Vec::new(),
                    });
                }
            }
        } else if let Some(rest) = line.strip_prefix("from ") {
            let mut split = rest.splitn(2, " import");
            let spec = split.next().unwrap_or("").trim();
            let module = spec.trim_start_matches('.');
            let level = spec.len() - module.len();
            if (level == 0 || !module.is_empty()) && !is_dotted(module) {
                continue;
            }
            if level == 0 && module.is_empty() {
                continue;
            }
            let mut imported = split.next().unwrap_or("").trim_start().to_string();
            // `from a import (` … `)`: the names follow on the next lines (bounded, in case
            // the parenthesis is never closed).
            if imported.starts_with('(') {
                let mut more = 0;
                while !imported.contains(')') && more < 200 {
                    let Some(next) = lines.next() else { break };
                    imported.push(',');
                    imported.push_str(next.split('#').next().unwrap_or(""));
                    more += 1;
                }
            }
            let names = imported
                .trim_start_matches([' ', '('])
                .split(',')
                .map(|part| {
                    part.split_whitespace()
                        .next()
                        .unwrap_or("")
                        .trim_end_matches([')', '\\'])
                })
                .filter(|name| *name != "*" && is_dotted(name) && !name.starts_with('.'))
                .map(str::to_string)
                .collect();
            found.push(Import {
                level,
                module: module.to_string(),
                names,
            });
        }
    }
    found
}

/// Absolute dotted names a file imports: `import a.b` gives `a.b`, `import a as x` gives `a`,
/// `from a.b import c, d` gives `a.b`, `a.b.c` and `a.b.d`. Relative imports are left out.
pub fn imported_names(text: &str) -> BTreeSet<String> {
    absolute_names(&scan(text))
}

/// [`imported_names`] of statements already scanned.
pub fn absolute_names(found: &[Import]) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for import in found.iter().filter(|i| i.level == 0) {
        for name in &import.names {
            names.insert(format!("{}.{name}", import.module));
        }
        names.insert(import.module.clone());
    }
    names
}

/// Every module `text` imports, relative ones resolved against `package` (the dotted package
/// the file belongs to): `from .sync import run` in `app.jobs` gives `app.jobs.sync` and
/// `app.jobs.sync.run` (the name may be a submodule).
pub fn resolved_modules(found: &[Import], package: &str) -> BTreeSet<String> {
    let mut modules = BTreeSet::new();
    for import in found {
        let base = if import.level == 0 {
            import.module.clone()
        } else {
            let parts: Vec<&str> = package.split('.').filter(|p| !p.is_empty()).collect();
            // `.` is the file's own package, each further dot one package up; past the top
            // package the import cannot resolve.
            let keep = match parts.len().checked_sub(import.level - 1) {
                Some(keep) if keep > 0 => keep,
                _ => continue,
            };
            let mut base = parts[..keep].join(".");
            if !import.module.is_empty() {
                if !base.is_empty() {
                    base.push('.');
                }
                base.push_str(&import.module);
            }
            base
        };
        if base.is_empty() {
            continue;
        }
        for name in &import.names {
            modules.insert(format!("{base}.{name}"));
        }
        modules.insert(base);
    }
    modules
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_names_keep_their_old_shape() {
        let text = "import os, a.b as c\nfrom x.y import (\n    p,\n    q as r,  # why\n)\nfrom . import z\nfrom m import *\n";
        let names: Vec<String> = imported_names(text).into_iter().collect();
        assert_eq!(names, ["a.b", "m", "os", "x.y", "x.y.p", "x.y.q"]);
    }

    #[test]
    fn relative_imports_resolve_against_the_package() {
        let text = "from .sync import run\nfrom .. import util\nfrom ...too.far import x\n    from shop.jobs import nightly\n";
        let names: Vec<String> = resolved_modules(&scan(text), "shop.jobs")
            .into_iter()
            .collect();
        assert_eq!(
            names,
            [
                "shop",
                "shop.jobs",
                "shop.jobs.nightly",
                "shop.jobs.sync",
                "shop.jobs.sync.run",
                "shop.util",
            ]
        );
    }
}
