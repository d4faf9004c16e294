//! A short reading of a setting clause, for `audit explain` (`low: ALLOWED_HOSTS is empty`).

use super::{Clause, CompiledSetting, Condition, Test};
use crate::findings::Severity;
use crate::model::settings::Value;
use crate::rules::rule::SettingClass;

impl CompiledSetting {
    /// The clauses that state their own severity, each with a short reading of its condition
    /// (for `audit explain`).
    pub fn clause_severities(&self) -> Vec<(Severity, String)> {
        self.clauses
            .iter()
            .filter_map(|c| c.severity.map(|s| (s, c.describe())))
            .collect()
    }
}

impl Clause {
    /// `ALLOWED_HOSTS is empty`, `… when DEBUG is false`, `… unless X is set`.
    fn describe(&self) -> String {
        let mut text = self.condition.describe();
        let when: Vec<String> = self.when.iter().map(Condition::describe).collect();
        if !when.is_empty() {
            text.push_str(&format!(", when {}", when.join(" and ")));
        }
        let unless: Vec<String> = self.unless.iter().map(Condition::describe).collect();
        if !unless.is_empty() {
            text.push_str(&format!(", unless {}", unless.join(" or ")));
        }
        text
    }
}

impl Condition {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(setting) = &self.setting {
            let tests: Vec<String> = self.tests.iter().map(Test::describe).collect();
            parts.push(format!("{setting} {}", tests.join(" and ")));
        }
        if !self.imports.is_empty() {
            parts.push(format!("the code imports {}", self.imports.join(" or ")));
        }
        if let Some(e) = &self.code_class {
            parts.push(format!(
                "a class in app code has {}",
                super::describe_evidence(e)
            ));
        }
        if let Some(a) = &self.code_lacks {
            parts.push(format!("no app code has {}", a.any.join(", ")));
        }
        if !self.any.is_empty() {
            let any: Vec<String> = self.any.iter().map(Condition::describe).collect();
            parts.push(format!("({})", any.join(" or ")));
        }
        parts.extend(self.all.iter().map(Condition::describe));
        parts.join(" and ")
    }
}

impl Test {
    fn describe(&self) -> String {
        let list =
            |xs: &[Value], sep: &str| xs.iter().map(Value::render).collect::<Vec<_>>().join(sep);
        match self {
            Test::Is(class) => format!("is {}", class_name(*class)),
            Test::Equals(x) => format!("is {}", x.render()),
            Test::NotEquals(x) => format!("is not {}", x.render()),
            Test::In(xs) => format!("is one of {}", list(xs, " or ")),
            Test::NotIn(xs) => format!("is none of {}", list(xs, ", ")),
            Test::Contains(xs) => format!("contains {}", list(xs, " or ")),
            Test::Lacks(xs) => format!("lacks {}", list(xs, " and ")),
            Test::Glob(g) => format!("matches {g}"),
            Test::NotGlob(g) => format!("does not match {g}"),
            Test::GreaterThan(n) => format!("> {n}"),
            Test::LessThan(n) => format!("< {n}"),
            Test::DefinesClass(e) => {
                format!("names a project class with {}", super::describe_evidence(e))
            }
        }
    }
}

fn class_name(class: SettingClass) -> &'static str {
    match class {
        SettingClass::Set => "set",
        SettingClass::Missing => "missing",
        SettingClass::Literal => "a literal",
        SettingClass::Env => "read from the environment",
        SettingClass::EnvWithDefault => "read from the environment with a default",
        SettingClass::EnvRequired => "required from the environment",
        SettingClass::True => "True",
        SettingClass::False => "False",
        SettingClass::None => "None",
        SettingClass::Truthy => "truthy",
        SettingClass::Falsy => "falsy",
        SettingClass::Empty => "empty",
        SettingClass::NonEmpty => "non-empty",
        SettingClass::String => "a non-empty string",
        SettingClass::DeploymentHost => "a host of one deployment",
        SettingClass::EnvSwitched => "replaced by a branch on an environment variable",
    }
}

#[cfg(test)]
mod tests {
    use crate::findings::Severity;
    use crate::rules::rule::{SettingCondition, SettingSpec};
    use crate::rules::setting::CompiledSetting;

    #[test]
    fn a_clause_reads_as_its_tests_and_conditions() {
        let clause: SettingCondition = toml::from_str(
            r#"
            setting = "MIDDLEWARE"
            contains = ["debug_toolbar.middleware.DebugToolbarMiddleware"]
            severity = "low"
            [[when]]
            all = [
              { setting = "DEBUG", is = "false" },
              { any = [{ setting = "DEBUG", is = "literal" }, { setting = "DEBUG", is = "missing" }] },
            ]
            [[unless]]
            setting = "DEBUG_TOOLBAR_CONFIG.SHOW_TOOLBAR_CALLBACK"
            is = "set"
            "#,
        )
        .expect("clause");
        let plain: SettingCondition =
            toml::from_str("setting = \"X\"\nequals = 0\n").expect("clause");
        let spec = SettingSpec {
            clause: None,
            any: vec![clause, plain],
            project: None,
        };
        let compiled = CompiledSetting::compile(&spec).expect("compiles");
        assert_eq!(
            compiled.clause_severities(),
            vec![(
                Severity::Low,
                "MIDDLEWARE contains 'debug_toolbar.middleware.DebugToolbarMiddleware', when DEBUG \
                 is False and (DEBUG is a literal or DEBUG is missing), unless \
                 DEBUG_TOOLBAR_CONFIG.SHOW_TOOLBAR_CALLBACK is set"
                    .to_string()
            )]
        );
    }
}
