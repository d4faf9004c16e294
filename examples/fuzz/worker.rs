//! The child process: generates inputs from `(seed, index)` and runs them, one line per event on
//! stdout (the pipe to the supervisor). A panic is caught and reported; an abort, a stack
//! overflow or being killed ends the process, and the supervisor knows which input was running.
//!
//! Protocol, one line each: `S <index> <family>` before an input, `D <index> <micros>` after it,
//! `K <index>` for a muted input, `P <index> <message>` for a caught panic, `E` at the end.

use crate::corpus::Corpus;
use crate::exec::{self, Engine};
use crate::gen::{self, Input};
use std::io::Write;
use std::panic::AssertUnwindSafe;
use std::sync::Mutex;
use std::time::Instant;

/// The rayon default: scanned files are analysed on threads of this size, so the fuzzer runs
/// every input on one too rather than on the larger main thread.
pub const STACK_BYTES: usize = 2 << 20;

/// The message and place of the last panic, filled by the hook (which sees the location that a
/// caught payload no longer carries).
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "non-string panic payload".to_string()
        };
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Ok(mut last) = LAST_PANIC.lock() {
            *last = Some(format!("{place} {message}"));
        }
    }));
}

/// Runs `input` and catches a panic, returning its `place message`, flattened to one line.
pub fn run_caught(engine: &Engine, input: &Input) -> Result<usize, String> {
    if let Ok(mut last) = LAST_PANIC.lock() {
        *last = None;
    }
    match std::panic::catch_unwind(AssertUnwindSafe(|| exec::run(engine, input))) {
        Ok(outcome) => Ok(outcome.findings),
        Err(_) => {
            let message = LAST_PANIC
                .lock()
                .ok()
                .and_then(|mut l| l.take())
                .unwrap_or_else(|| "panic without a message".to_string());
            Err(one_line(&message))
        }
    }
}

pub fn one_line(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    flat.chars().take(400).collect()
}

pub struct Range {
    pub seed: u64,
    pub start: u64,
    pub end: u64,
    pub jobs: usize,
    pub options: gen::Options,
}

/// Runs `body` on a thread with the stack size scanned files get, and waits for it.
pub fn on_worker_stack<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .name("fuzz-worker".to_string())
        .stack_size(STACK_BYTES)
        .spawn(body)
        .expect("spawn worker thread")
        .join()
        .expect("worker thread")
}

pub fn run_range(range: Range) {
    install_panic_hook();
    on_worker_stack(move || {
        let corpus = Corpus::load();
        let engine = Engine::new(range.jobs);
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        // A failed write means the supervisor is gone: stop rather than fuzz for nobody.
        let mut say = |line: String| {
            if writeln!(out, "{line}").and_then(|_| out.flush()).is_err() {
                std::process::exit(3);
            }
        };
        for index in range.start..range.end {
            let Some(input) = gen::generate(&corpus, range.seed, index, &range.options) else {
                say(format!("K {index}"));
                continue;
            };
            say(format!("S {index} {}", input.family));
            let started = Instant::now();
            match run_caught(&engine, &input) {
                Ok(_) => say(format!("D {index} {}", started.elapsed().as_micros())),
                Err(message) => say(format!("P {index} {message}")),
            }
        }
        say("E".to_string());
    });
}

/// Replays one saved input (a crash directory) in this process, reporting like a range of one.
pub fn replay(dir: &std::path::Path, jobs: usize) {
    install_panic_hook();
    let dir = dir.to_path_buf();
    on_worker_stack(move || {
        let corpus = Corpus::load();
        let engine = Engine::new(jobs);
        let input = match crate::saved::load(&dir, &corpus) {
            Ok(input) => input,
            Err(e) => {
                eprintln!("cannot replay {}: {e}", dir.display());
                std::process::exit(2);
            }
        };
        println!("S 0 {}", input.family);
        let started = Instant::now();
        match run_caught(&engine, &input) {
            Ok(findings) => println!(
                "D 0 {} ({findings} findings)",
                started.elapsed().as_micros()
            ),
            Err(message) => println!("P 0 {message}"),
        }
        println!("E");
    });
}
