//! The settings evaluator on hostile input (issue 7): no recursion as deep as the input, linear
//! time on settings that grow statement by statement, and every bound that is hit surfaces as an
//! undecidable check with a note naming it. These run on the default 2 MiB test-thread stack,
//! which is what shows nothing overflows. Timings are measured outside the tests (bench notes).

use audit::model::settings::{self, Kind, Profile};
use audit::rules::load;
use audit::run_in_memory;
use std::collections::BTreeMap;

/// `RULE path:line` of every finding and the notes of the checks, for the setting rules named.
fn run(files: &[(&str, String)], ids: &[&str]) -> (Vec<String>, BTreeMap<String, String>) {
    let set = load::load(&[], true).unwrap_or_else(|e| panic!("{e}"));
    let rules: Vec<_> = set
        .rules
        .iter()
        .filter(|r| ids.contains(&r.meta.id.as_str()))
        .collect();
    assert_eq!(rules.len(), ids.len(), "every rule named is embedded");
    let files: Vec<(String, String)> = files
        .iter()
        .map(|(p, t)| (p.to_string(), t.clone()))
        .collect();
    let out = run_in_memory(&files, &rules);
    let findings = out
        .findings
        .iter()
        .map(|f| format!("{} {}:{}", f.rule, f.path, f.line))
        .collect();
    (findings, out.notes)
}

/// A settings module plus one other file, as in a real repository.
fn project(settings: String) -> Vec<(&'static str, String)> {
    vec![
        ("config/settings.py", settings),
        ("app/views.py", "import os\n".to_string()),
    ]
}

/// The production profile of one settings module, through the settings API.
fn profile(code: &str) -> Profile {
    let root = audit::parse::python::parse(code.to_string()).expect("parses");
    let file = settings::extract("config/settings.py", &root);
    settings::production_profile(&[file], &[], None, None)
        .expect("no error")
        .expect("a profile")
}

fn note(notes: &BTreeMap<String, String>, rule: &str) -> String {
    notes.get(rule).cloned().unwrap_or_default()
}

const HEAD: &str = "SECRET_KEY = 'x'\nINSTALLED_APPS = []\n";

#[test]
fn a_16000_deep_attribute_chain_is_an_unknown_name() {
    let code = format!("{HEAD}SECRET_KEY = a{}\n", ".b".repeat(16_000));
    let p = profile(&code);
    assert_eq!(
        p.lookup("SECRET_KEY").value.map(|v| v.kind),
        Some(Kind::Unknown(
            "<expr>.b.b.b.b.b.b.b.b.b.b.b.b.b".to_string()
        ))
    );
    // Through the pipeline the file never reaches the evaluator: a tree 16,000 levels high is
    // refused before any walker runs (tests/hostile_input.rs), so there is no settings module.
    let (findings, notes) = run(&project(code), &["SEC003"]);
    assert_eq!(findings, Vec::<String>::new());
    assert_eq!(
        note(&notes, "SEC003"),
        "not applicable: no Django settings module was found"
    );
    // Under the pipeline's bound the same chain is evaluated, and still only an unknown name.
    let code = format!("{HEAD}SECRET_KEY = a{}\n", ".b".repeat(900));
    let (findings, notes) = run(&project(code), &["SEC003"]);
    assert_eq!(findings, Vec::<String>::new());
    assert_eq!(notes, BTreeMap::new());
}

#[test]
fn a_5000_elif_chain_is_flat_and_decided_or_undecidable() {
    let arms: String = (1..5_000)
        .map(|i| format!("elif os.environ['A'] == '{i}':\n    DEBUG = True\n"))
        .collect();
    let code = format!("{HEAD}import os\nif os.environ['A'] == '0':\n    DEBUG = True\n{arms}");
    let (findings, notes) = run(&project(code), &["SEC005"]);
    assert_eq!(findings, Vec::<String>::new());
    assert_eq!(
        note(&notes, "SEC005"),
        "undecidable in config.settings: DEBUG is set only when `os.environ['A'] == '0'` holds (config/settings.py:4) or one of the 4999 `elif` conditions after it, which audit cannot decide"
    );
    // Decided conditions pick the arm: the last one here, on line 5 + 2 × 4,999.
    let arms: String = (1..5_000)
        .map(|i| {
            format!(
                "elif A == '{i}':\n    DEBUG = {}\n",
                if i == 4_999 { "True" } else { "False" }
            )
        })
        .collect();
    let code = format!("A = '4999'\nif A == '0':\n    DEBUG = False\n{arms}");
    let (findings, notes) = run(&project(format!("{HEAD}{code}")), &["SEC005"]);
    assert_eq!(findings, vec!["SEC005 config/settings.py:10003"]);
    assert_eq!(notes, BTreeMap::new());
}

#[test]
fn a_deep_subscript_target_makes_the_setting_undecidable() {
    let code = |depth: usize| {
        format!(
            "{HEAD}DATABASES = {{'default': {{'ENGINE': 'django.db.backends.postgresql'}}}}\nDATABASES{} = 1\n",
            "['a']".repeat(depth)
        )
    };
    // 12,000 deep: the evaluator alone survives it (the pipeline refuses such a tree first).
    let p = profile(&code(12_000));
    assert!(p.lookup("DATABASES").value.is_some());
    let (findings, notes) = run(&project(code(900)), &["REL001"]);
    assert_eq!(findings, Vec::<String>::new());
    assert_eq!(
        note(&notes, "REL001"),
        "undecidable in config.settings: DATABASES.*.CONN_MAX_AGE is not known: it is assigned through more than 64 subscripts, the bound on expression depth"
    );
}

#[test]
fn blocks_nested_past_the_bound_make_the_profile_incomplete() {
    // 150 nested ifs, under the pipeline's indentation bound (200) and over the evaluator's (32).
    let mut code = format!("{HEAD}DEBUG = False\n");
    for i in 0..150 {
        code.push_str(&format!("{}if True:\n", " ".repeat(i)));
    }
    code.push_str(&format!("{}DEBUG = True\n", " ".repeat(150)));
    let (findings, notes) = run(&project(code), &["SEC005"]);
    assert_eq!(findings, Vec::<String>::new());
    assert_eq!(
        note(&notes, "SEC005"),
        "undecidable in config.settings: in config/settings.py:36, statements nested deeper than 32 blocks were not evaluated (the bound on block nesting)"
    );
}

#[test]
fn an_expression_nested_past_the_bound_is_undecidable() {
    let code = format!("{HEAD}DEBUG = {}True{}\n", "(".repeat(900), ")".repeat(900));
    let (findings, notes) = run(&project(code), &["SEC005"]);
    assert_eq!(findings, Vec::<String>::new());
    assert_eq!(
        note(&notes, "SEC005"),
        "undecidable in config.settings: DEBUG is not known: it is computed by an expression nested deeper than 64 levels, the bound on expression depth"
    );
}

#[test]
fn a_value_nested_past_the_bound_keeps_a_cut_item() {
    let p = profile(&format!("{HEAD}X = []\n{}", "X = [X]\n".repeat(5_000)));
    let mut depth = 0;
    let mut current = p.lookup("X").value.expect("set").kind;
    while let Kind::List(items) = current {
        depth += 1;
        current = items[0].kind.clone();
    }
    // Wrapping a 64-deep list cuts its item and starts again from one level, so 5,000 wraps
    // (78 × 64 + 8) leave 9 lists around the cut item: never more than 64.
    assert_eq!(depth, 9);
    assert_eq!(
        current,
        Kind::Cut("is nested deeper than 64 levels, the bound on a value's depth".to_string())
    );
}

#[test]
fn growing_a_dict_by_splats_is_linear_and_exact() {
    let lines: String = (0..5_000)
        .map(|i| format!("D = {{**D, 'k{i}': {i}}}\n"))
        .collect();
    let p = profile(&format!("D = {{}}\n{lines}"));
    let d = p.lookup("D").value.expect("set");
    match &d.kind {
        Kind::Dict(entries) => assert_eq!(entries.len(), 5_000),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        p.lookup("D.k4999").value.map(|v| v.kind),
        Some(Kind::Int(4_999))
    );
    assert_eq!(p.incomplete, Vec::<String>::new());
}

fn list_len(p: &Profile, name: &str) -> usize {
    match p.lookup(name).value.map(|v| v.kind) {
        Some(Kind::List(items)) => items.len(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn appends_augmented_and_repeated_concatenation_are_linear() {
    let append: String = (0..60_000)
        .map(|i| format!("INSTALLED_APPS.append('a{i}')\n"))
        .collect();
    let p = profile(&format!("{HEAD}{append}"));
    assert_eq!(list_len(&p, "INSTALLED_APPS"), 60_000);
    assert_eq!(
        p.lookup("INSTALLED_APPS.59999").value.map(|v| v.kind),
        Some(Kind::Str("a59999".to_string()))
    );
    let aug: String = (0..10_000).map(|i| format!("L += ['a{i}']\n")).collect();
    let concat: String = (0..10_000).map(|i| format!("M = M + ['a{i}']\n")).collect();
    let p = profile(&format!("L = []\nM = []\n{aug}{concat}"));
    assert_eq!((list_len(&p, "L"), list_len(&p, "M")), (10_000, 10_000));
    assert_eq!(p.incomplete, Vec::<String>::new());
}

#[test]
fn thirty_thousand_undecidable_ifs_are_linear() {
    let ifs: String = (0..30_000)
        .map(|i| format!("if os.environ['V{i}']:\n    X{i} = 1\n    DEBUG = True\n"))
        .collect();
    let p = profile(&format!("{HEAD}import os\n{ifs}"));
    // Each name is maybe-set under its own condition; DEBUG under any of them.
    let maybe = |path: &str| match p.lookup(path).value.map(|v| v.kind) {
        Some(Kind::Maybe { value, why }) => (value.kind, why),
        other => panic!("{path}: {other:?}"),
    };
    assert_eq!(
        maybe("X0"),
        (
            Kind::Int(1),
            "`os.environ['V0']` holds (config/settings.py:4)".to_string()
        )
    );
    assert_eq!(
        maybe("X29999"),
        (
            Kind::Int(1),
            "`os.environ['V29999']` holds (config/settings.py:90001)".to_string()
        )
    );
    assert_eq!(
        maybe("DEBUG"),
        (
            Kind::Bool(true),
            "`os.environ['V29999']` holds (config/settings.py:90001) or an earlier condition"
                .to_string()
        )
    );
    assert_eq!(p.incomplete, Vec::<String>::new());
}

#[test]
fn a_quadratic_shape_stops_at_the_step_bound_with_a_note() {
    // Each insert at the front moves the whole list: quadratic, so the budget stops it.
    let inserts: String = (0..60_000)
        .map(|i| format!("INSTALLED_APPS.insert(0, 'a{i}')\n"))
        .collect();
    let code = format!("{HEAD}{inserts}DEBUG = False\n");
    let (findings, notes) = run(&project(code), &["SEC005"]);
    assert_eq!(findings, Vec::<String>::new());
    assert_eq!(
        note(&notes, "SEC005"),
        "undecidable in config.settings: the evaluation of config/settings.py stopped after 4000000 steps (the bound on evaluator steps per settings module); what follows was not evaluated"
    );
}

/// `proj/settings/m0.py` … `m{n-1}.py`, each star-importing the next; the last sets DEBUG.
fn star_chain(n: usize, entry_extra: &str) -> Vec<(String, String)> {
    let mut files = vec![(
        "manage.py".to_string(),
        "import os\nos.environ.setdefault('DJANGO_SETTINGS_MODULE', 'proj.settings.m0')\n"
            .to_string(),
    )];
    files.push(("proj/settings/__init__.py".to_string(), String::new()));
    for i in 0..n {
        let mut body = if i + 1 < n {
            format!("from .m{} import *\n", i + 1)
        } else {
            "DEBUG = True\n".to_string()
        };
        if i == 0 {
            body.push_str(HEAD);
            body.push_str(entry_extra);
        }
        files.push((format!("proj/settings/m{i}.py"), body));
    }
    files
}

fn run_owned(files: &[(String, String)], ids: &[&str]) -> (Vec<String>, BTreeMap<String, String>) {
    let borrowed: Vec<(&str, String)> =
        files.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    run(&borrowed, ids)
}

const CUT_NOTE: &str = "undecidable in proj.settings.m0: `from .m17 import *` in proj/settings/m16.py:1 was not followed: star and from imports are followed 16 modules deep (the bound on import chains), so proj.settings.m17 and what it imports were not evaluated";

#[test]
fn a_star_import_chain_cut_at_the_bound_is_undecidable_not_passing() {
    let (findings, notes) = run_owned(&star_chain(20, ""), &["SEC005"]);
    assert_eq!(findings, Vec::<String>::new());
    assert_eq!(note(&notes, "SEC005"), CUT_NOTE);
    // Within the bound the chain is followed to its end and DEBUG is found.
    let (findings, notes) = run_owned(&star_chain(17, ""), &["SEC005"]);
    assert_eq!(findings, vec!["SEC005 proj/settings/m16.py:1"]);
    assert_eq!(notes, BTreeMap::new());
}

#[test]
fn a_finding_above_the_cut_stays() {
    let (findings, notes) = run_owned(&star_chain(20, "DEBUG = True\n"), &["SEC005"]);
    assert_eq!(findings, vec!["SEC005 proj/settings/m0.py:4"]);
    assert_eq!(notes, BTreeMap::new());
}

#[test]
fn a_5000_module_star_chain_is_cut_with_a_note() {
    let (findings, notes) = run_owned(&star_chain(5_000, ""), &["SEC005"]);
    assert_eq!(findings, Vec::<String>::new());
    assert_eq!(note(&notes, "SEC005"), CUT_NOTE);
}
