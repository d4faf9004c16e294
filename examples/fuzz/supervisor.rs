//! The parent: spawns a worker child, watches its progress pipe, its time per input and its
//! memory, and when the child dies or is killed regenerates the input it was running, saves it
//! (minimized when cheap) and restarts the child after it.

use crate::corpus::Corpus;
use crate::gen::{self, Input};
use crate::saved::{self, Meta};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often the watchdog looks at the clock and the child's memory.
const POLL: Duration = Duration::from_millis(20);
/// Bytes of the child's stderr kept to classify an abort.
const STDERR_TAIL: usize = 8 * 1024;

#[derive(Clone)]
pub struct Bounds {
    pub timeout: Duration,
    pub max_rss_kb: u64,
}

pub struct Campaign {
    pub seed: u64,
    pub start: u64,
    pub inputs: u64,
    pub jobs: usize,
    pub disk_percent: usize,
    pub out: PathBuf,
    pub bounds: Bounds,
    /// Examples kept per crash signature.
    pub keep: usize,
    /// A shape is muted after this many crashes of its inputs.
    pub mute_after: usize,
    pub minimize: bool,
    /// Minimization time per crash.
    pub minimize_budget: Duration,
}

/// How a child ended an input badly.
#[derive(Clone, Debug)]
pub struct Crash {
    pub kind: &'static str,
    /// Identity of the bug for deduplication: kind plus top frame and message (panics), the
    /// assertion (aborts) or the input family (overflows, hangs, memory).
    pub signature: String,
    pub message: String,
}

/// One event of a child's run.
enum Event {
    Done(u64, u64),
    Skipped(u64),
    Panicked(u64, String),
    /// The child ended; `running` is the input it was in, if any.
    Ended {
        running: Option<(u64, String)>,
        crash: Option<Crash>,
        finished: bool,
    },
}

fn child_command(args: &[String]) -> Command {
    let exe = std::env::current_exe().expect("own executable");
    let mut cmd = Command::new(exe);
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// An input may take this many times its CPU bound in elapsed time (a loaded machine).
const WALL_FACTOR: u32 = 10;
/// Linux reports process times in USER_HZ ticks, 100 a second on every supported platform.
const MS_PER_TICK: u64 = 10;

/// User plus system CPU time of `pid` (all its threads) in ms, from /proc.
fn cpu_ms(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the parenthesised command name, which may itself hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) * MS_PER_TICK)
}

/// VmRSS of `pid` in kB, from /proc.
fn rss_kb(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn spawn_readers(child: &mut Child) -> (Receiver<String>, Arc<Mutex<Vec<u8>>>) {
    let (tx, rx) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let tail = Arc::new(Mutex::new(Vec::new()));
    let mut stderr = child.stderr.take().expect("piped stderr");
    let keep = Arc::clone(&tail);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut t) = keep.lock() {
                t.extend_from_slice(&buf[..n]);
                let excess = t.len().saturating_sub(STDERR_TAIL);
                t.drain(..excess);
            }
        }
    });
    (rx, tail)
}

/// Classifies a child's death from its exit status and the end of its stderr.
fn classify_death(status: std::process::ExitStatus, stderr: &str, family: &str) -> Crash {
    let interesting = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string();
    if stderr.contains("has overflowed its stack") {
        return Crash {
            kind: "stack-overflow",
            signature: format!("stack-overflow {family}"),
            message: interesting,
        };
    }
    if let Some(line) = stderr.lines().find(|l| l.contains("Assertion")) {
        // `file:line: function: Assertion 'x' failed.`: the assertion names the bug.
        let what = line.split("Assertion").nth(1).unwrap_or(line).trim();
        return Crash {
            kind: "abort",
            signature: format!("abort Assertion {what}"),
            message: line.trim().to_string(),
        };
    }
    if stderr.contains("memory allocation of") {
        return Crash {
            kind: "oom",
            signature: format!("oom {family}"),
            message: interesting,
        };
    }
    match (status.signal(), status.code()) {
        (Some(signal), _) => Crash {
            kind: "signal",
            signature: format!("signal {signal} {family}"),
            message: format!("killed by signal {signal}: {interesting}"),
        },
        (None, Some(code)) => Crash {
            kind: "exit",
            signature: format!("exit {code} {family}"),
            message: format!("exit code {code}: {interesting}"),
        },
        (None, None) => Crash {
            kind: "exit",
            signature: format!("exit ? {family}"),
            message: interesting,
        },
    }
}

/// A caught panic: `place message`; digits in the message are folded so one bug is one class.
pub fn panic_crash(message: &str) -> Crash {
    let (place, text) = message.split_once(' ').unwrap_or((message, ""));
    // An invariant's class is its check and side, before the colon; the rest names the case.
    if let Some(from) = text.find("invariant ") {
        let class = text[from..].split(':').next().unwrap_or("");
        return Crash {
            kind: "invariant",
            signature: class.to_string(),
            message: message.to_string(),
        };
    }
    // What follows a `;` or a quote is the case (the char, the text), not the bug.
    let text = text.split([';', '`']).next().unwrap_or(text);
    let folded: String = text
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect();
    let mut squeezed = String::new();
    for c in folded.chars() {
        if !(c == '#' && squeezed.ends_with('#')) {
            squeezed.push(c);
        }
    }
    let short: String = squeezed.chars().take(120).collect();
    Crash {
        kind: "panic",
        signature: format!("panic {place} {short}"),
        message: message.to_string(),
    }
}

/// Runs one child with `args` to its end, calling `on_event` for each event. The watchdog kills
/// the child on a hang or when over the memory bound. Returns the largest RSS seen, in kB.
fn supervise(args: &[String], bounds: &Bounds, mut on_event: impl FnMut(Event)) -> u64 {
    let mut child = match child_command(args).spawn() {
        Ok(child) => child,
        Err(e) => {
            on_event(Event::Ended {
                running: None,
                crash: Some(Crash {
                    kind: "exit",
                    signature: "spawn".to_string(),
                    message: format!("cannot start the worker: {e}"),
                }),
                finished: false,
            });
            return 0;
        }
    };
    let pid = child.id();
    let (lines, tail) = spawn_readers(&mut child);
    // The running input: index, family, and when it started by the clock and in CPU time.
    let mut running: Option<(u64, String, Instant, u64)> = None;
    let mut finished = false;
    let mut peak = 0;
    let mut killed: Option<Crash> = None;
    loop {
        match lines.recv_timeout(POLL) {
            Ok(line) => {
                let mut parts = line.splitn(3, ' ');
                let tag = parts.next().unwrap_or("");
                let index: u64 = parts.next().and_then(|i| i.parse().ok()).unwrap_or(0);
                let rest = parts.next().unwrap_or("").to_string();
                match tag {
                    "S" => {
                        running = Some((index, rest, Instant::now(), cpu_ms(pid).unwrap_or(0)));
                    }
                    "D" => {
                        running = None;
                        let micros = rest
                            .split(' ')
                            .next()
                            .and_then(|m| m.parse().ok())
                            .unwrap_or(0);
                        on_event(Event::Done(index, micros));
                    }
                    "K" => on_event(Event::Skipped(index)),
                    "P" => {
                        running = None;
                        on_event(Event::Panicked(index, rest));
                    }
                    "E" => finished = true,
                    _ => {}
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if let Some(rss) = rss_kb(pid) {
            peak = peak.max(rss);
            if rss > bounds.max_rss_kb {
                let family = running.as_ref().map_or("", |r| r.1.as_str());
                killed = Some(Crash {
                    kind: "oom",
                    signature: format!("oom {family}"),
                    message: format!(
                        "resident memory {} MB over the bound of {} MB",
                        rss / 1024,
                        bounds.max_rss_kb / 1024
                    ),
                });
            }
        }
        if let Some((_, family, started, cpu_at_start)) = &running {
            // CPU time, so a busy machine does not turn slow inputs into hangs; the wall clock
            // (at a multiple of the bound) still catches a child that blocks without spinning.
            let cpu = cpu_ms(pid).unwrap_or(0).saturating_sub(*cpu_at_start);
            let wall = started.elapsed();
            if cpu > bounds.timeout.as_millis() as u64 || wall > bounds.timeout * WALL_FACTOR {
                killed = Some(Crash {
                    kind: "hang",
                    signature: format!("hang {family}"),
                    message: format!(
                        "still running after {cpu} ms of CPU time ({} ms elapsed)",
                        wall.as_millis()
                    ),
                });
            }
        }
        if killed.is_some() {
            let _ = child.kill();
            break;
        }
    }
    let status = child.wait().ok();
    let running = running.map(|(i, f, _, _)| (i, f));
    let crash = match (killed, status) {
        (Some(crash), _) => Some(crash),
        (None, Some(status)) if status.success() && finished => None,
        (None, Some(status)) => {
            // Give the stderr reader a moment to drain what the dying child wrote.
            std::thread::sleep(Duration::from_millis(50));
            let stderr = tail
                .lock()
                .map(|t| String::from_utf8_lossy(&t).into_owned())
                .unwrap_or_default();
            let family = running.as_ref().map_or("", |r| r.1.as_str());
            Some(classify_death(status, &stderr, family))
        }
        (None, None) => None,
    };
    on_event(Event::Ended {
        running,
        crash,
        finished,
    });
    peak
}

/// Replays the saved input in `dir` in a child under the bounds: its crash, if any.
pub fn replay_crash(dir: &Path, jobs: usize, bounds: &Bounds) -> Option<Crash> {
    let args = vec![
        "--replay-child".to_string(),
        dir.display().to_string(),
        "--jobs".to_string(),
        jobs.to_string(),
    ];
    let mut found = None;
    supervise(&args, bounds, |event| match event {
        Event::Panicked(_, message) => found = Some(panic_crash(&message)),
        Event::Ended { crash, .. } if crash.is_some() => found = crash,
        _ => {}
    });
    found
}

struct Stats {
    run: u64,
    skipped: u64,
    disk: u64,
    crashes: BTreeMap<String, (usize, String)>,
    saved: Vec<PathBuf>,
    slowest: Vec<(u64, u64)>,
    peak_kb: u64,
}

/// Signatures already saved under `out`, with how many examples each.
fn saved_signatures(out: &Path) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let Ok(entries) = std::fs::read_dir(out) else {
        return counts;
    };
    for entry in entries.flatten() {
        if let Ok(meta) = saved::read_meta(&entry.path()) {
            if let Some(sig) = meta.get("signature") {
                *counts.entry(sig.clone()).or_insert(0) += 1;
            }
        }
    }
    counts
}

fn worker_args(c: &Campaign, start: u64, muted: &BTreeSet<String>) -> Vec<String> {
    let mut args = vec![
        "--worker".to_string(),
        "--seed".to_string(),
        c.seed.to_string(),
        "--start".to_string(),
        start.to_string(),
        "--inputs".to_string(),
        (c.start + c.inputs).saturating_sub(start).to_string(),
        "--jobs".to_string(),
        c.jobs.to_string(),
        "--disk-percent".to_string(),
        c.disk_percent.to_string(),
    ];
    if !muted.is_empty() {
        args.push("--mute".to_string());
        args.push(muted.iter().cloned().collect::<Vec<_>>().join(","));
    }
    args
}

pub fn run_campaign(c: &Campaign) -> bool {
    let corpus = Corpus::load();
    let began = Instant::now();
    let mut stats = Stats {
        run: 0,
        skipped: 0,
        disk: 0,
        crashes: BTreeMap::new(),
        saved: Vec::new(),
        slowest: Vec::new(),
        peak_kb: 0,
    };
    let mut kept = saved_signatures(&c.out);
    let mut family_crashes: BTreeMap<String, usize> = BTreeMap::new();
    let mut muted: BTreeSet<String> = BTreeSet::new();
    let end = c.start + c.inputs;
    let mut next = c.start;
    let mut last_report = Instant::now();
    let gen_options = |muted: &BTreeSet<String>| gen::Options {
        disk_percent: c.disk_percent,
        muted: muted.iter().cloned().collect(),
    };
    while next < end {
        let args = worker_args(c, next, &muted);
        let mut crashes: Vec<(u64, Crash)> = Vec::new();
        let mut resume = end;
        let mut last: Option<u64> = None;
        let peak = supervise(&args, &c.bounds, |event| match event {
            Event::Done(index, micros) => {
                stats.run += 1;
                last = Some(index);
                note_slow(&mut stats.slowest, index, micros);
                if last_report.elapsed() > Duration::from_secs(10) {
                    last_report = Instant::now();
                    let rate = stats.run as f64 / began.elapsed().as_secs_f64();
                    eprintln!(
                        "fuzz: input {index} · {} run · {rate:.0}/s · {} crash classes",
                        stats.run,
                        stats.crashes.len()
                    );
                }
            }
            Event::Skipped(index) => {
                stats.skipped += 1;
                last = Some(index);
            }
            Event::Panicked(index, message) => {
                stats.run += 1;
                last = Some(index);
                crashes.push((index, panic_crash(&message)));
            }
            Event::Ended {
                running,
                crash,
                finished,
            } => {
                if let (Some((index, _)), Some(crash)) = (running, crash.clone()) {
                    stats.run += 1;
                    crashes.push((index, crash));
                    resume = index + 1;
                } else if crash.is_some() || !finished {
                    // Died outside any input: go on after the last one it reported, unless it
                    // made no progress at all (then restarting would loop).
                    let why = crash.map_or("no end marker".to_string(), |c| c.message);
                    eprintln!("fuzz: worker died between inputs: {why}");
                    resume = match last {
                        Some(index) if index + 1 > next => index + 1,
                        _ => end,
                    };
                }
            }
        });
        stats.peak_kb = stats.peak_kb.max(peak);
        for (index, crash) in crashes {
            let Some(mut input) = gen::generate(&corpus, c.seed, index, &gen_options(&muted))
            else {
                continue;
            };
            if input.disk {
                stats.disk += 1;
            }
            let entry = stats
                .crashes
                .entry(crash.signature.clone())
                .or_insert((0, input.recipe.clone()));
            entry.0 += 1;
            if entry.0 == 1 {
                eprintln!(
                    "fuzz: new crash at input {index}: {} ({})",
                    crash.signature, input.recipe
                );
            }
            if input.family != "mutate" {
                let count = family_crashes.entry(input.family.clone()).or_insert(0);
                *count += 1;
                if *count >= c.mute_after && muted.insert(input.family.clone()) {
                    eprintln!("fuzz: muting shape {} after {count} crashes", input.family);
                }
            }
            let have = kept.entry(crash.signature.clone()).or_insert(0);
            if *have >= c.keep {
                continue;
            }
            *have += 1;
            if c.minimize {
                input = minimize(input, &crash, c);
            }
            let meta = Meta {
                kind: crash.kind.to_string(),
                signature: crash.signature.clone(),
                message: crash.message.clone(),
                recipe: input.recipe.clone(),
                seed: c.seed,
                index,
            };
            let dir = c
                .out
                .join(format!("{}-{:016x}", crash.kind, saved::hash(&input)));
            match saved::save(&dir, &input, &meta) {
                Ok(_) => stats.saved.push(dir),
                Err(e) => eprintln!("fuzz: cannot save {}: {e}", dir.display()),
            }
        }
        next = resume;
    }
    let seconds = began.elapsed().as_secs_f64();
    print_summary(&stats, seconds);
    stats.crashes.is_empty()
}

fn note_slow(slowest: &mut Vec<(u64, u64)>, index: u64, micros: u64) {
    const KEEP: usize = 5;
    if slowest.len() < KEEP || micros > slowest[KEEP - 1].0 {
        slowest.push((micros, index));
        slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
        slowest.truncate(KEEP);
    }
}

fn print_summary(stats: &Stats, seconds: f64) {
    println!(
        "fuzz: {} inputs run in {seconds:.1} s ({:.0} inputs/s), {} muted and skipped; worker peak RSS {} MB",
        stats.run,
        stats.run as f64 / seconds.max(1e-9),
        stats.skipped,
        stats.peak_kb / 1024
    );
    let total: usize = stats.crashes.values().map(|v| v.0).sum();
    println!(
        "fuzz: {total} crashing inputs in {} classes",
        stats.crashes.len()
    );
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for (sig, (n, _)) in &stats.crashes {
        *by_kind
            .entry(sig.split(' ').next().unwrap_or(""))
            .or_insert(0) += n;
    }
    for (kind, n) in &by_kind {
        println!("  {kind}: {n}");
    }
    for (sig, (n, recipe)) in &stats.crashes {
        println!("  {n:>6} × {sig}\n         first: {recipe}");
    }
    for dir in &stats.saved {
        println!("  saved {}", dir.display());
    }
    for (micros, index) in &stats.slowest {
        println!("  slow: input {index} took {} ms", micros / 1000);
    }
}

/// Shrinks `input` while it still crashes with the same signature, within the time budget:
/// a shape by bisecting its size, other inputs by dropping files, then chunks of lines.
fn minimize(input: Input, crash: &Crash, c: &Campaign) -> Input {
    let deadline = Instant::now() + c.minimize_budget;
    let scratch = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(_) => return input,
    };
    let mut attempt = 0u32;
    let mut still_crashes = |candidate: &Input| -> bool {
        if Instant::now() > deadline {
            return false;
        }
        attempt += 1;
        let dir = scratch.path().join(format!("try-{attempt}"));
        let meta = Meta {
            recipe: candidate.recipe.clone(),
            ..Meta::default()
        };
        // Always save the files: a recipe-only candidate would replay the original.
        let mut forced = candidate.clone();
        forced.recipe = format!("minimized {}", candidate.recipe);
        if write_candidate(&dir, &forced, &meta).is_err() {
            return false;
        }
        let found = replay_crash(&dir, c.jobs, &c.bounds);
        let _ = std::fs::remove_dir_all(&dir);
        found.is_some_and(|f| f.signature == crash.signature)
    };
    let words: Vec<String> = input.recipe.split(' ').map(str::to_string).collect();
    if let [kind, name, place, n] = words.as_slice() {
        if kind == "shape" {
            let Some(place) = gen::Place::parse(place) else {
                return input;
            };
            let Ok(mut hi) = n.parse::<usize>() else {
                return input;
            };
            // Smallest size that still crashes, assuming bigger sizes crash too.
            let mut lo = 0;
            while lo + 1 < hi {
                let mid = lo + (hi - lo) / 2;
                let mut candidate = gen::shape_input(name, place, mid);
                candidate.disk = input.disk;
                candidate.named = input.named.clone();
                candidate.rule = input.rule.clone();
                if !input.disk {
                    gen::in_memory_text(&mut candidate);
                }
                if still_crashes(&candidate) {
                    hi = mid;
                } else {
                    lo = mid;
                }
            }
            let mut smallest = gen::shape_input(name, place, hi);
            smallest.disk = input.disk;
            smallest.named = input.named.clone();
            smallest.rule = input.rule.clone();
            if !input.disk {
                gen::in_memory_text(&mut smallest);
            }
            return smallest;
        }
    }
    let mut best = input;
    // Drop whole files.
    let mut i = 0;
    while i < best.files.len() && best.files.len() > 1 {
        let mut candidate = best.clone();
        candidate.files.remove(i);
        if still_crashes(&candidate) {
            best = candidate;
        } else {
            i += 1;
        }
    }
    if best.rule.is_some() {
        let mut candidate = best.clone();
        candidate.rule = None;
        if still_crashes(&candidate) {
            best = candidate;
        }
    }
    // Drop chunks of lines, halving the chunk size down to one line.
    for f in 0..best.files.len() {
        let mut chunk = best.files[f].1.split(|b| *b == b'\n').count() / 2;
        while chunk >= 1 && Instant::now() < deadline {
            let mut start = 0;
            loop {
                let lines: Vec<&[u8]> = best.files[f].1.split(|b| *b == b'\n').collect();
                if start >= lines.len() {
                    break;
                }
                let end = (start + chunk).min(lines.len());
                let kept: Vec<&[u8]> = lines[..start]
                    .iter()
                    .chain(lines[end..].iter())
                    .copied()
                    .collect();
                let mut candidate = best.clone();
                candidate.files[f].1 = kept.join(&b'\n');
                if still_crashes(&candidate) {
                    best = candidate;
                } else {
                    start = end;
                }
                if Instant::now() > deadline {
                    break;
                }
            }
            chunk /= 2;
        }
    }
    best.recipe = format!("minimized {}", best.recipe);
    best
}

fn write_candidate(dir: &Path, input: &Input, meta: &Meta) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut text = format!(
        "recipe: {}\nmode: {}\nfiles: saved\n",
        meta.recipe,
        if input.disk { "disk" } else { "memory" }
    );
    if let Some(named) = &input.named {
        text.push_str(&format!("named: {named}\n"));
    }
    std::fs::write(dir.join(saved::META), text)?;
    crate::exec::write_files(&dir.join(saved::INPUT_DIR), &input.files);
    if let Some(rule) = &input.rule {
        std::fs::write(dir.join(saved::RULE_FILE), rule)?;
    }
    Ok(())
}
