//! A fuzz harness on the stable toolchain (cargo-fuzz needs nightly).
//!
//! `cargo run --release --example fuzz -- [--inputs N] [--seed S] [--out fuzz/crashes]`
//!
//! The parent supervises a child worker (this binary with `--worker`) that builds inputs from
//! `(seed, index)` and runs the whole pipeline in-process: mostly through
//! `audit::memory::run_in_memory_with_settings` on in-memory files, sometimes through
//! `pipeline::run` on a temporary directory (discovery, config, manifests, every report
//! format). Panics are caught in the child; aborts, stack overflows, hangs and memory over the
//! bound end it, and the parent saves the input under `--out`, then restarts the child after
//! it. See `bench/fuzz.sh`.

#[path = "fuzz/corpus.rs"]
mod corpus;
#[path = "fuzz/exec.rs"]
mod exec;
#[path = "fuzz/gen.rs"]
mod gen;
#[path = "fuzz/rng.rs"]
mod rng;
#[path = "fuzz/saved.rs"]
mod saved;
#[path = "fuzz/supervisor.rs"]
mod supervisor;
#[path = "fuzz/worker.rs"]
mod worker;

use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

#[derive(Parser)]
#[command(about = "Fuzz the audit pipeline with mutated fixture projects")]
struct Args {
    /// Inputs to run.
    #[arg(long, default_value_t = 10_000)]
    inputs: u64,
    /// Campaign seed: input `i` of seed `s` is always the same.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// First input index (to resume a campaign).
    #[arg(long, default_value_t = 0)]
    start: u64,
    /// Where crashing inputs are saved.
    #[arg(long, default_value = "fuzz/crashes")]
    out: PathBuf,
    /// Rayon threads in the worker for on-disk runs (1 leaves a core free).
    #[arg(long, default_value_t = 1)]
    jobs: usize,
    /// Percent of inputs run through `pipeline::run` on a temporary directory.
    #[arg(long, default_value_t = 10)]
    disk_percent: usize,
    /// CPU-time bound per input, in milliseconds: slower inputs are hangs (elapsed time may
    /// reach ten times this on a loaded machine).
    #[arg(long, default_value_t = 3_000)]
    timeout_ms: u64,
    /// Memory bound of the worker (resident set), in MB.
    #[arg(long, default_value_t = 1_024)]
    max_rss_mb: u64,
    /// Examples kept per crash class (kind + top frame or family).
    #[arg(long, default_value_t = 3)]
    keep: usize,
    /// Mute a shape after this many crashing inputs of it, so known bugs do not swamp a run.
    #[arg(long, default_value_t = 3)]
    mute_after: usize,
    /// Save crashing inputs as found, without shrinking them.
    #[arg(long)]
    no_minimize: bool,
    /// Time spent shrinking one crashing input, in seconds.
    #[arg(long, default_value_t = 60)]
    minimize_secs: u64,
    /// Replay a saved crash directory under the bounds and say how it ends.
    #[arg(long)]
    replay: Option<PathBuf>,
    /// With --replay: write the input's files (rebuilt from a recipe if need be) under this
    /// directory instead of running it.
    #[arg(long, requires = "replay")]
    export: Option<PathBuf>,
    /// Internal: run as the worker child.
    #[arg(long, hide = true)]
    worker: bool,
    /// Internal: replay one saved input as a child.
    #[arg(long, hide = true)]
    replay_child: Option<PathBuf>,
    /// Internal: shapes the worker skips, comma-separated.
    #[arg(long, hide = true, default_value = "")]
    mute: String,
}

fn main() {
    let args = Args::parse();
    let jobs = args.jobs.max(1);
    if let Some(dir) = &args.replay_child {
        worker::replay(dir, jobs);
        return;
    }
    if args.worker {
        // The worker's own rayon pool too, so nothing spills onto a second core.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build_global();
        worker::run_range(worker::Range {
            seed: args.seed,
            start: args.start,
            end: args.start + args.inputs,
            jobs,
            options: gen::Options {
                disk_percent: args.disk_percent,
                muted: args
                    .mute
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            },
        });
        return;
    }
    let bounds = supervisor::Bounds {
        timeout: Duration::from_millis(args.timeout_ms),
        max_rss_kb: args.max_rss_mb * 1024,
    };
    if let (Some(dir), Some(to)) = (&args.replay, &args.export) {
        match saved::load(dir, &corpus::Corpus::load()) {
            Ok(input) => exec::write_files(to, &input.files),
            Err(e) => {
                eprintln!("cannot rebuild {}: {e}", dir.display());
                std::process::exit(2);
            }
        }
        return;
    }
    if let Some(dir) = &args.replay {
        match supervisor::replay_crash(dir, jobs, &bounds) {
            Some(crash) => {
                println!("{}: {} ({})", dir.display(), crash.signature, crash.message);
                std::process::exit(1);
            }
            None => println!("{}: completes", dir.display()),
        }
        return;
    }
    let campaign = supervisor::Campaign {
        seed: args.seed,
        start: args.start,
        inputs: args.inputs,
        jobs,
        disk_percent: args.disk_percent.min(100),
        out: args.out,
        bounds,
        keep: args.keep,
        mute_after: args.mute_after,
        minimize: !args.no_minimize,
        minimize_budget: Duration::from_secs(args.minimize_secs),
    };
    if !supervisor::run_campaign(&campaign) {
        std::process::exit(1);
    }
}
