//! Saved inputs: `fuzz/crashes/<kind>-<hash>/` holds `crash.txt` (what happened and how the input
//! was made, `key: value` lines), the project's files under `input/` and a mutated rule as
//! `rule.toml`. An input too big to commit keeps only its recipe and is regenerated from it.

use crate::corpus::Corpus;
use crate::gen::{self, Input, Place};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Inputs larger than this are saved as a recipe only.
pub const MAX_SAVED_BYTES: usize = 64 * 1024;

pub const META: &str = "crash.txt";
pub const INPUT_DIR: &str = "input";
pub const RULE_FILE: &str = "rule.toml";

/// What is known about a saved input besides its files.
#[derive(Clone, Debug, Default)]
pub struct Meta {
    pub kind: String,
    pub signature: String,
    pub message: String,
    pub recipe: String,
    pub seed: u64,
    pub index: u64,
}

pub fn size(input: &Input) -> usize {
    input
        .files
        .iter()
        .map(|(p, b)| p.len() + b.len())
        .sum::<usize>()
        + input.rule.as_ref().map_or(0, String::len)
}

/// FNV-1a over the input's paths and bytes: names the directory, so equal inputs collide.
pub fn hash(input: &Input) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes.iter().chain([0u8].iter()) {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    };
    for (path, bytes) in &input.files {
        eat(path.as_bytes());
        eat(bytes);
    }
    eat(input.rule.as_deref().unwrap_or("").as_bytes());
    eat(if input.disk { b"disk" } else { b"memory" });
    eat(input.named.as_deref().unwrap_or("").as_bytes());
    h
}

/// Writes `input` with its meta under `dir` (created); returns whether the files were kept.
pub fn save(dir: &Path, input: &Input, meta: &Meta) -> std::io::Result<bool> {
    std::fs::create_dir_all(dir)?;
    let keep_files = size(input) <= MAX_SAVED_BYTES;
    let mut text = String::new();
    let mut line = |k: &str, v: &str| text.push_str(&format!("{k}: {v}\n"));
    line("kind", &meta.kind);
    line("signature", &meta.signature);
    line("message", &meta.message);
    line("recipe", &meta.recipe);
    line("seed", &meta.seed.to_string());
    line("index", &meta.index.to_string());
    line("mode", if input.disk { "disk" } else { "memory" });
    if let Some(named) = &input.named {
        line("named", named);
    }
    line("files", if keep_files { "saved" } else { "recipe" });
    std::fs::write(dir.join(META), text)?;
    if keep_files {
        crate::exec::write_files(&dir.join(INPUT_DIR), &input.files);
        if let Some(rule) = &input.rule {
            std::fs::write(dir.join(RULE_FILE), rule)?;
        }
    }
    Ok(keep_files)
}

pub fn read_meta(dir: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(dir.join(META)).map_err(|e| format!("{META}: {e}"))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect())
}

/// Rebuilds the input saved under `dir`.
pub fn load(dir: &Path, corpus: &Corpus) -> Result<Input, String> {
    let meta = read_meta(dir)?;
    let get = |k: &str| meta.get(k).cloned().unwrap_or_default();
    let disk = get("mode") == "disk";
    let named = meta.get("named").cloned();
    let recipe = get("recipe");
    let mut input = if get("files") == "saved" {
        let root = dir.join(INPUT_DIR);
        let files = read_tree(&root)?;
        let rule = std::fs::read_to_string(dir.join(RULE_FILE)).ok();
        Input {
            family: recipe_family(&recipe),
            recipe,
            files,
            disk,
            named: named.clone(),
            rule,
        }
    } else {
        from_recipe(&recipe, &get("seed"), &get("index"), corpus)?
    };
    input.disk = disk;
    input.named = named;
    if !disk {
        gen::in_memory_text(&mut input);
    }
    Ok(input)
}

fn recipe_family(recipe: &str) -> String {
    let mut words = recipe.split(' ');
    match words.next() {
        Some("shape") => words.next().unwrap_or("shape").to_string(),
        _ => "mutate".to_string(),
    }
}

/// A shape is rebuilt from its name, place and size; a mutated input from `(seed, index)`.
pub fn from_recipe(
    recipe: &str,
    seed: &str,
    index: &str,
    corpus: &Corpus,
) -> Result<Input, String> {
    let words: Vec<&str> = recipe.split(' ').collect();
    if let ["shape", name, place, n] = words.as_slice() {
        let place = Place::parse(place).ok_or_else(|| format!("bad place in `{recipe}`"))?;
        let n = n.parse().map_err(|_| format!("bad size in `{recipe}`"))?;
        return Ok(gen::shape_input(name, place, n));
    }
    let seed: u64 = seed.parse().map_err(|_| "bad seed".to_string())?;
    let index: u64 = index.parse().map_err(|_| "bad index".to_string())?;
    let options = gen::Options {
        disk_percent: 100,
        muted: Vec::new(),
    };
    gen::generate(corpus, seed, index, &options).ok_or_else(|| "muted".to_string())
}

/// Every file below `root` as `(relative path, bytes)`, sorted.
pub fn read_tree(root: &Path) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut files = Vec::new();
    let mut stack: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(root) {
                let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                files.push((rel.to_string_lossy().replace('\\', "/"), bytes));
            }
        }
    }
    files.sort();
    Ok(files)
}
