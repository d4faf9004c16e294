//! Every input the fuzzer saved under `fuzz/crashes/` runs through the pipeline (in memory or on
//! disk, as it was found) and completes without a panic, with every finding inside its file.
//! Inputs of bugs still being fixed carry an `open:` line in their `crash.txt` and run in the
//! ignored test; drop the line when the fix lands.

#[allow(dead_code)]
#[path = "../examples/fuzz/corpus.rs"]
mod corpus;
#[allow(dead_code)]
#[path = "../examples/fuzz/exec.rs"]
mod exec;
#[allow(dead_code)]
#[path = "../examples/fuzz/gen.rs"]
mod gen;
#[allow(dead_code)]
#[path = "../examples/fuzz/rng.rs"]
mod rng;
#[allow(dead_code)]
#[path = "../examples/fuzz/saved.rs"]
mod saved;

use std::panic::AssertUnwindSafe;
use std::path::PathBuf;

struct Saved {
    dir: PathBuf,
    open: Option<String>,
    /// `expect-findings: N`: how many findings the run gives.
    expect: Option<usize>,
}

fn crashes_dir() -> PathBuf {
    corpus::repo_root().join("fuzz/crashes")
}

/// Every saved input directory, sorted, with its `open:` note if it has one.
fn saved_inputs() -> Vec<Saved> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(crashes_dir())
        .expect("fuzz/crashes exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|dir| {
            let meta = saved::read_meta(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
            Saved {
                open: meta.get("open").cloned(),
                expect: meta.get("expect-findings").and_then(|n| n.parse().ok()),
                dir,
            }
        })
        .collect()
}

/// Unoptimized builds use far bigger stack frames than the release build the fuzzer runs, so the
/// inputs run on a thread with room for them.
const TEST_STACK_BYTES: usize = 256 << 20;

/// Runs each input; returns `dir: what went wrong` for those that panicked or gave another
/// number of findings than expected.
fn run_all(inputs: &[&Saved]) -> Vec<String> {
    let jobs: Vec<(PathBuf, Option<usize>)> =
        inputs.iter().map(|s| (s.dir.clone(), s.expect)).collect();
    std::thread::Builder::new()
        .stack_size(TEST_STACK_BYTES)
        .spawn(move || run_each(&jobs))
        .expect("spawn")
        .join()
        .expect("runner thread")
}

fn run_each(inputs: &[(PathBuf, Option<usize>)]) -> Vec<String> {
    let corpus = corpus::Corpus::load();
    let engine = exec::Engine::new(1);
    let mut failures = Vec::new();
    for (dir, expect) in inputs {
        let input = saved::load(dir, &corpus).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let ran = std::panic::catch_unwind(AssertUnwindSafe(|| exec::run(&engine, &input)));
        match ran {
            Ok(outcome) => {
                if let Some(want) = expect {
                    if outcome.findings != *want {
                        failures.push(format!(
                            "{}: {} findings, expected {want}",
                            dir.display(),
                            outcome.findings
                        ));
                    }
                }
            }
            Err(payload) => {
                let message = payload
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                failures.push(format!("{}: {message}", dir.display()));
            }
        }
    }
    failures
}

#[test]
fn every_saved_input_is_read_and_counted() {
    let root = crashes_dir();
    assert!(root.join(".gitkeep").is_file(), "fuzz/crashes/.gitkeep");
    let entries = std::fs::read_dir(&root)
        .expect("fuzz/crashes")
        .flatten()
        .filter(|e| e.path().is_dir())
        .count();
    let saved = saved_inputs();
    assert_eq!(saved.len(), entries);
    assert_eq!(saved.len(), 19, "saved inputs under fuzz/crashes");
    let corpus = corpus::Corpus::load();
    for s in &saved {
        let meta = saved::read_meta(&s.dir).expect("crash.txt");
        let name = s.dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let kind = meta.get("kind").map(String::as_str).unwrap_or("");
        assert!(
            !kind.is_empty() && name.starts_with(&format!("{kind}-")),
            "{name} is not named after its kind `{kind}`"
        );
        assert!(
            meta.get("signature").is_some_and(|s| !s.is_empty()),
            "{name} has no signature"
        );
        let input = saved::load(&s.dir, &corpus).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!input.files.is_empty(), "{name} has no files");
        if meta.get("files").map(String::as_str) == Some("saved") {
            assert!(
                saved::size(&input) <= saved::MAX_SAVED_BYTES,
                "{name} is too big to keep"
            );
        }
    }
}

#[test]
fn fixed_crash_inputs_complete_with_findings_inside_their_files() {
    let saved = saved_inputs();
    let fixed: Vec<&Saved> = saved.iter().filter(|s| s.open.is_none()).collect();
    // Every crash the fuzzer found for issue 7 (now fixed), and inputs just inside known bounds
    // (500 nested blocks, 1,000 elifs); this count changes when an input is added or an open
    // bug is fixed.
    assert_eq!(fixed.len(), 19, "inputs without an `open:` note");
    assert!(
        fixed.iter().all(|s| s.expect.is_some()),
        "every passing input expects a count"
    );
    let failures = run_all(&fixed);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Aborts and stack overflows end the test process, so run these one by one once fixed:
/// `cargo test --test fuzz_regressions -- --ignored`.
#[test]
#[ignore = "open bugs of issue 7, being fixed in src/"]
fn open_crash_inputs_complete() {
    let saved = saved_inputs();
    let open: Vec<&Saved> = saved.iter().filter(|s| s.open.is_some()).collect();
    let failures = run_all(&open);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The generator rebuilds a shape from its recipe alone, which recipe-only inputs rely on.
#[test]
fn a_shape_recipe_rebuilds_the_same_project() {
    let corpus = corpus::Corpus::load();
    let input = saved::from_recipe("shape nested-if settings 3", "", "", &corpus).expect("recipe");
    let paths: Vec<&str> = input.files.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(paths, vec!["manage.py", "proj/settings.py"]);
    let settings = String::from_utf8(input.files[1].1.clone()).expect("utf-8");
    assert!(
        settings.ends_with("if a:\n if a:\n  if a:\n   x = \"s\"\n"),
        "{settings}"
    );
    assert_eq!(input.recipe, "shape nested-if settings 3");
}
