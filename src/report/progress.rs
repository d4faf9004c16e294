//! A progress line on stderr for long runs on a terminal. Dependency-free: a thread redraws one
//! line (`\r`) a few times a second and clears it when the run ends. Nothing is drawn for runs
//! shorter than `DELAY`, so quick runs and every non-terminal stderr stay untouched.
//!
//! The pipeline does not report per-file progress yet; `counter()` hands out the counters a
//! caller can update (`total` once the files are known, `done` per file). Until it does, the line
//! is a spinner with the elapsed time; with a total it becomes a bar.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Runs shorter than this never show a progress line.
const DELAY: Duration = Duration::from_millis(700);
const TICK: Duration = Duration::from_millis(100);
const BAR_WIDTH: usize = 30;
const SPINNER: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// Files done and files in total; `total == 0` means not known yet.
#[derive(Clone, Default)]
pub struct Counter {
    pub done: Arc<AtomicUsize>,
    pub total: Arc<AtomicUsize>,
}

/// A running progress line; dropping it (or calling `finish`) stops and clears it.
pub struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    counter: Counter,
}

impl Progress {
    /// Starts drawing after `DELAY` when `enabled` (the caller checks that stderr is a
    /// terminal and `--quiet` is off); otherwise does nothing at all.
    pub fn start(label: &str, enabled: bool) -> Progress {
        let stop = Arc::new(AtomicBool::new(false));
        let counter = Counter::default();
        let thread = enabled.then(|| {
            let stop = Arc::clone(&stop);
            let counter = counter.clone();
            let label = label.to_string();
            std::thread::spawn(move || draw_until_stopped(&label, &stop, &counter))
        });
        Progress {
            stop,
            thread,
            counter,
        }
    }

    /// The counters a long-running step may update.
    pub fn counter(&self) -> Counter {
        self.counter.clone()
    }

    pub fn finish(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

fn draw_until_stopped(label: &str, stop: &AtomicBool, counter: &Counter) {
    let started = Instant::now();
    let mut drawn = false;
    let mut tick = 0usize;
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(TICK);
        let elapsed = started.elapsed();
        if elapsed < DELAY {
            continue;
        }
        let line = frame(
            label,
            tick,
            elapsed,
            counter.done.load(Ordering::Relaxed),
            counter.total.load(Ordering::Relaxed),
        );
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r{line}\u{1b}[K");
        let _ = err.flush();
        drawn = true;
        tick += 1;
    }
    if drawn {
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\u{1b}[K");
        let _ = err.flush();
    }
}

/// One frame of the progress line: a bar when the total is known, else a spinner.
pub fn frame(label: &str, tick: usize, elapsed: Duration, done: usize, total: usize) -> String {
    let seconds = format!("{:.1}s", elapsed.as_secs_f64());
    if total == 0 {
        let spin = SPINNER[tick % SPINNER.len()];
        return format!("{spin} {label} {seconds}");
    }
    let done = done.min(total);
    let filled = BAR_WIDTH * done / total;
    format!(
        "{label} [{}{}] {done}/{total} files {seconds}",
        "█".repeat(filled),
        "░".repeat(BAR_WIDTH - filled)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_show_a_spinner_or_a_bar() {
        let t = Duration::from_millis(1500);
        assert_eq!(frame("auditing .", 0, t, 0, 0), "⠋ auditing . 1.5s");
        assert_eq!(frame("auditing .", 11, t, 0, 0), "⠙ auditing . 1.5s");
        assert_eq!(
            frame("auditing", 0, t, 15, 30),
            format!(
                "auditing [{}{}] 15/30 files 1.5s",
                "█".repeat(15),
                "░".repeat(15)
            )
        );
        // More done than total (a late total) never overflows the bar.
        assert!(frame("a", 0, t, 50, 30).contains("30/30"));
    }

    #[test]
    fn disabled_progress_starts_no_thread() {
        let progress = Progress::start("x", false);
        assert!(progress.thread.is_none());
        progress.finish();
    }
}
