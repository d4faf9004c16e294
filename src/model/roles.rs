//! Code roles (DESIGN §4.4): where a file's code runs, from its path and content. A SQL string
//! built in a migration or a shell call in a release script is not the same risk as the same
//! line in a view; rules say per role whether they apply and at which severity.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Code that serves requests or runs in workers: the default.
    #[default]
    App,
    /// Django (or Alembic) migrations: run once by an operator, on trusted input.
    Migration,
    /// Management commands: run from a shell by an operator.
    Command,
    /// Developer and operations scripts: `scripts/`, `bin/`, `tools/`, `setup.py`, a module
    /// that runs as `__main__`.
    Script,
    Test,
    /// Lint and test data outside the tests: rule fixtures, `testdata/`, `examples/`, docs.
    Fixture,
    /// Scaffolding shipped to be copied: `project_template/`, cookiecutter `{{ … }}` folders.
    Template,
    /// Third-party code copied into the repository.
    Vendored,
    /// Application code only background work reaches: every module importing it is a task
    /// module, a management command or a script, or is reached only from those (`reach.rs`).
    Worker,
}

impl Role {
    pub const ALL: [Role; 9] = [
        Role::App,
        Role::Migration,
        Role::Command,
        Role::Script,
        Role::Test,
        Role::Fixture,
        Role::Template,
        Role::Vendored,
        Role::Worker,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::App => "app",
            Role::Migration => "migration",
            Role::Command => "command",
            Role::Script => "script",
            Role::Test => "test",
            Role::Fixture => "fixture",
            Role::Template => "template",
            Role::Vendored => "vendored",
            Role::Worker => "worker",
        }
    }

    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Directories of third-party code copied in.
const VENDORED_DIRS: &[&str] = &[
    "vendor",
    "vendored",
    "_vendor",
    "third_party",
    "thirdparty",
    "third-party",
];
/// Scaffolding directories: Django's `startproject`/`startapp` templates and their kin.
const TEMPLATE_DIRS: &[&str] = &[
    "project_template",
    "app_template",
    "project_templates",
    "app_templates",
    "conf_template",
];
/// Data for linters and tests that lives outside the test tree.
const FIXTURE_DIRS: &[&str] = &[
    ".semgrep",
    "semgrep",
    "testdata",
    "test_data",
    "test-data",
    "fixtures",
    "examples",
    "example",
    "samples",
];
/// Top-level directories of tooling (`bin/` and `scripts/` count at any depth; a nested
/// `tools/` is as often a package the app imports).
const SCRIPT_TOP_DIRS: &[&str] = &[
    "scripts",
    "script",
    "bin",
    "tools",
    "devtools",
    "dev-tools",
    "ci",
    ".ci",
    ".github",
    "docs",
    "doc",
    "contrib",
    "docker",
    "deploy",
    "deployment",
    "ops",
    "infra",
    "development",
];
const SCRIPT_DIRS: &[&str] = &["scripts", "bin"];
/// Top-level files that are tooling: packaging, task runners, the management entry point.
const SCRIPT_FILES: &[&str] = &[
    "setup.py",
    "noxfile.py",
    "fabfile.py",
    "tasks.py",
    "dodo.py",
    "manage.py",
];

/// The role a path gives, before content is seen. Tests are decided by `is_test` (the
/// discovery's test flag), so the two never disagree.
pub fn role_of_path(rel: &str, is_test: bool) -> Role {
    let mut dirs: Vec<&str> = rel.split('/').collect();
    let name = dirs.pop().unwrap_or("");
    let lower: Vec<String> = dirs.iter().map(|d| d.to_ascii_lowercase()).collect();
    let has = |set: &[&str]| lower.iter().any(|d| set.contains(&d.as_str()));
    if has(VENDORED_DIRS) {
        return Role::Vendored;
    }
    let cookiecutter = dirs.iter().any(|d| d.contains("{{") || d.contains("{%"));
    let scaffold_dir = lower.iter().any(|d| d.ends_with("_template"));
    if has(TEMPLATE_DIRS)
        || scaffold_dir
        || cookiecutter
        || name.ends_with("-tpl")
        || name.contains("{{")
    {
        return Role::Template;
    }
    if lower.iter().any(|d| d == "migrations") {
        return Role::Migration;
    }
    if is_test {
        return Role::Test;
    }
    if has(FIXTURE_DIRS) {
        return Role::Fixture;
    }
    if lower
        .windows(2)
        .any(|w| w[0] == "management" && w[1] == "commands")
    {
        return Role::Command;
    }
    let top_dir = lower.first().map(String::as_str);
    if top_dir.is_some_and(|d| SCRIPT_TOP_DIRS.contains(&d))
        || has(SCRIPT_DIRS)
        || (dirs.is_empty() && SCRIPT_FILES.contains(&name))
    {
        return Role::Script;
    }
    Role::App
}

/// The role once the text is known: an app module that runs itself (`if __name__ ==
/// "__main__":` at the top level) is a script.
pub fn refine(role: Role, text: &str) -> Role {
    if role != Role::App {
        return role;
    }
    // Most files never mention `__main__`: one substring search decides them.
    let runs_as_main = text.contains("__main__")
        && text.lines().any(|line| {
            line.starts_with("if __name__")
                && (line.contains("\"__main__\"") || line.contains("'__main__'"))
        });
    if runs_as_main {
        Role::Script
    } else {
        role
    }
}

/// Roles assigned by the user (`[tool.audit.roles] "deploy/tools/**" = "script"`): of the globs
/// that match, the longest (the most specific) wins, and it wins over the path and the content.
#[derive(Clone, Debug, Default)]
pub struct RoleOverrides {
    globs: Option<GlobSet>,
    roles: Vec<Role>,
}

impl RoleOverrides {
    /// `entries` are (glob, role name) pairs.
    pub fn new(entries: &[(String, String)]) -> Result<Self, String> {
        if entries.is_empty() {
            return Ok(Self::default());
        }
        let mut entries = entries.to_vec();
        entries.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        let mut builder = GlobSetBuilder::new();
        let mut roles = Vec::new();
        for (glob, role) in &entries {
            let role = Role::parse(role).ok_or_else(|| {
                format!(
                    "unknown role `{role}` for `{glob}`: expected one of {}",
                    Role::ALL.map(Role::as_str).join(", ")
                )
            })?;
            let compiled = GlobBuilder::new(glob)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("invalid glob `{glob}`: {e}"))?;
            builder.add(compiled);
            roles.push(role);
        }
        Ok(RoleOverrides {
            globs: Some(builder.build().map_err(|e| e.to_string())?),
            roles,
        })
    }

    pub fn role_for(&self, rel: &str) -> Option<Role> {
        let globs = self.globs.as_ref()?;
        globs.matches(rel).into_iter().min().map(|i| self.roles[i])
    }
}

/// The role of one file: the user's glob if one matches, else the path, refined by content.
pub fn role_of(rel: &str, is_test: bool, text: &str, overrides: &RoleOverrides) -> Role {
    overrides
        .role_for(rel)
        .unwrap_or_else(|| refine(role_of_path(rel, is_test), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_give_roles() {
        let cases = [
            ("shop/views.py", Role::App),
            ("shop/migrations/0001_initial.py", Role::Migration),
            ("shop/management/commands/import_orders.py", Role::Command),
            ("scripts/release.py", Role::Script),
            ("tools/gen_docs.py", Role::Script),
            ("shop/tools/pricing.py", Role::App),
            ("deploy/bin/backup.py", Role::Script),
            ("setup.py", Role::Script),
            ("manage.py", Role::Script),
            ("shop/setup.py", Role::App),
            (".semgrep/sql.py", Role::Fixture),
            ("pkg/testdata/sample.py", Role::Fixture),
            ("examples/minimal/views.py", Role::Fixture),
            ("docs/conf.py", Role::Script),
            ("docker/healthcheck.py", Role::Script),
            ("development/nautobot_config.py", Role::Script),
            (
                "django/conf/project_template/project_name/settings.py-tpl",
                Role::Template,
            ),
            ("{{cookiecutter.slug}}/config/settings.py", Role::Template),
            ("static/vendor/lib.py", Role::Vendored),
            ("shop/_vendor/six.py", Role::Vendored),
            // a migration is a migration even under tests/
            ("tests/migrations/0001.py", Role::Migration),
        ];
        for (rel, want) in cases {
            let is_test = crate::discover::is_test_path(rel);
            assert_eq!(role_of_path(rel, is_test), want, "{rel}");
        }
        assert_eq!(role_of_path("shop/tests/test_views.py", true), Role::Test);
    }

    #[test]
    fn a_module_that_runs_itself_is_a_script() {
        let text = "import sys\n\nif __name__ == \"__main__\":\n    main()\n";
        assert_eq!(refine(Role::App, text), Role::Script);
        assert_eq!(refine(Role::Command, text), Role::Command);
        // indented: inside a function, not the module's own entry point
        assert_eq!(
            refine(Role::App, "def f():\n    if __name__ == '__main__': pass\n"),
            Role::App
        );
    }

    #[test]
    fn the_longest_matching_override_wins() {
        let overrides = RoleOverrides::new(&[
            ("deploy/tools/**".to_string(), "script".to_string()),
            ("deploy/**".to_string(), "app".to_string()),
        ])
        .expect("valid");
        assert_eq!(overrides.role_for("deploy/tools/x.py"), Some(Role::Script));
        assert_eq!(overrides.role_for("deploy/x.py"), Some(Role::App));
        assert_eq!(overrides.role_for("shop/x.py"), None);
        assert_eq!(
            role_of("shop/migrations/1.py", false, "", &RoleOverrides::default()),
            Role::Migration
        );
        let err = RoleOverrides::new(&[("x/**".to_string(), "library".to_string())]).unwrap_err();
        assert!(
            err.starts_with("unknown role `library` for `x/**`"),
            "{err}"
        );
    }
}
