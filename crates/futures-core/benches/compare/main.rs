//! The library against its floor, measured in one process run.
//!
//! The floor is what the design's performance model says the machine cannot do without: a
//! crossbeam job queue, a crossbeam message channel, and one `Mutable::set` per message on the
//! main thread; nothing else. Each workload alternates floor and library for several rounds and
//! prints medians, one line per workload. A round is timed from its first allocation until the
//! allocator has taken back everything the round freed: the floor frees its per-call state and
//! the library its executor inside the timing, and the round then settles the allocator (with
//! glibc, `malloc_trim(0)`: consolidate the freed chunks and return the free pages to the
//! kernel), also inside the timing. Each side thus pays for its own memory, faulting in all of
//! it and tidying all of it up, and every round starts from the same state. Without the settle,
//! glibc defers the consolidation of a round's freed chunks to the next large request, which
//! the other side's next round makes: measured, the floor's calls rate fell from about 4 to
//! about 2.5 million a second when the library's last large free went away, paying to
//! consolidate the library's million futures. `BENCH_NO_SETTLE=1` leaves it out. The lines
//! (`L` is `idle` or `busy`, see `BENCH_LOAD` below):
//!
//! ```text
//! workload=NAME load=L n=N rate=R floor_rate=F ratio=X     (ratio = floor rate / library rate)
//! workload=latency load=L n=N median_us=.. p99_us=.. floor_median_us=.. floor_p99_us=.. ratio=X
//! workload=memory load=L n=N bytes_per_future=B
//! workload=stream-peers task=T peer=NAME lib_rate=R peer_rate=P ratio=X load=L   (ratio = library / peer)
//! workload=call-peers peer=NAME n=N peer_n=M lib_rate=R peer_rate=P ratio=X load=L   (ratio = library / peer)
//! workload=flood variant=NAME frames=F of=120 worst_ms=W age_frames=A lost=L load=L
//! workload=process load=L calls=N call_rate=R thread_call_rate=T call_ratio=X messages=M message_rate=R thread_message_rate=T message_ratio=X
//! ```
//!
//! `workload=collections` (`collections.rs`) has a floor of its own: item events of the
//! observable list against a bare futures-signals `MutableVec` and its diff signal.
//!
//! `process` (`process.rs`, built with `--features process`) sets calls and messages through
//! child processes beside the same work on threads.
//!
//! The last three are not against the floor: `stream-peers` (`stream_peers.rs`) sets the
//! library's message rates beside plain channels, `call-peers` (`call_peers.rs`) its call rate
//! beside tokio's `spawn_blocking` and poll-promise, and `flood` (`flood.rs`) runs a GUI's frame
//! loop beside a worker that floods it, for the library's modes and for two peers.
//!
//! `BENCH_LOAD=busy` measures under load by design, since a GUI's machine is often busy with
//! other work. Before the first workload it starts as many background threads as
//! `std::thread::available_parallelism()`, each spinning on throwaway arithmetic, and stops
//! them after the last, so floor and library rounds alike run beside them and both sides see
//! the same load. Under load the absolute rates and latencies say mostly how the scheduler
//! shared the cores, and vary from run to run: the ratios are the thing to read.
//! `BENCH_LOAD=both` runs every workload idle, then again busy (the load threads run only for
//! the busy half); the default, `idle`, runs without them.
//!
//! `cargo bench -p traits-futures --bench compare` (or `just bench`). `BENCH_SCALE=0.1` shrinks
//! every workload for a quick look; `BENCH_ROUNDS` sets the rounds (default 15: on a shared
//! two-core virtual machine a single round's rate can be off by a factor of two either way, for
//! floor and library alike; measured on one build, the calls ratio from the medians of nine
//! rounds ranged from 1.72 to 2.10 over five runs, from the medians of fifteen from 1.76 to 1.92
//! over six); `BENCH_LOAD` as above (`just bench-busy` for `busy`);
//! `BENCH_VERBOSE=1` prints every round's rates (and, on Linux, the minor page faults of each
//! side's run) to stderr, which shows how much one run varies on a shared machine.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

mod call_peers;
mod collections;
mod flood;
mod floor;
mod library;
mod memory;
#[cfg(feature = "process")]
mod process;
mod stream_peers;

use floor::{floor_calls, floor_latency, floor_stream};
use library::{library_calls, library_iteration, library_latency, library_progress};
use memory::library_memory;

const WORKERS: usize = 2;

fn scaled(n: usize) -> usize {
    let scale: f64 = std::env::var("BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((n as f64 * scale) as usize).max(1)
}

fn rounds() -> usize {
    std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15)
}

/// Which load the workloads run beside (`BENCH_LOAD`, see the module's documentation).
#[derive(Clone, Copy, PartialEq)]
enum Load {
    Idle,
    Busy,
}

impl Load {
    fn name(self) -> &'static str {
        match self {
            Load::Idle => "idle",
            Load::Busy => "busy",
        }
    }
}

/// The loads to run, in order: `idle` (the default), `busy`, or `both` (idle, then busy).
fn loads() -> Vec<Load> {
    match std::env::var("BENCH_LOAD").as_deref() {
        Err(_) | Ok("idle") => vec![Load::Idle],
        Ok("busy") => vec![Load::Busy],
        Ok("both") => vec![Load::Idle, Load::Busy],
        Ok(other) => {
            eprintln!("BENCH_LOAD={other}: expected idle, busy or both");
            std::process::exit(2);
        }
    }
}

/// Background threads that keep every core busy with throwaway arithmetic until dropped. They
/// neither allocate nor share anything but the stop flag, which they read every few thousand
/// iterations.
struct LoadThreads {
    stop: Arc<AtomicBool>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl LoadThreads {
    fn start() -> Self {
        let count = thread::available_parallelism().map_or(1, |n| n.get());
        let stop = Arc::new(AtomicBool::new(false));
        let threads = (0..count)
            .map(|i| {
                let stop = stop.clone();
                thread::spawn(move || {
                    let mut x = i as u64 + 1;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..4096 {
                            x = std::hint::black_box(
                                x.wrapping_mul(6_364_136_223_846_793_005)
                                    .wrapping_add(1_442_695_040_888_963_407),
                            );
                        }
                    }
                    std::hint::black_box(x);
                })
            })
            .collect();
        LoadThreads { stop, threads }
    }
}

impl Drop for LoadThreads {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

// ---------------------------------------------------------------------------------------------

/// Ends a timed run (and precedes the first): glibc's allocator consolidates every freed chunk
/// and returns its free pages to the kernel (see the module's documentation).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn settle_allocator() {
    extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    if std::env::var_os("BENCH_NO_SETTLE").is_none() {
        // SAFETY: glibc's `malloc_trim` takes no pointers and may be called at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Other allocators: nothing to settle that the bench knows of.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn settle_allocator() {}

fn compare_rates(
    name: &str,
    load: Load,
    n: usize,
    floor: impl Fn(usize) -> f64,
    library: impl Fn(usize) -> f64,
) {
    let (mut floor_rates, mut library_rates) = (Vec::new(), Vec::new());
    let verbose = std::env::var_os("BENCH_VERBOSE").is_some();
    settle_allocator();
    for round in 0..rounds() {
        let before = minor_faults();
        floor_rates.push(floor(n));
        let between = minor_faults();
        library_rates.push(library(n));
        if verbose {
            eprintln!(
                "  {name} load={} round {round}: floor_rate={:.0} rate={:.0} floor_faults={} faults={}",
                load.name(),
                floor_rates[round],
                library_rates[round],
                between - before,
                minor_faults() - between
            );
        }
    }
    let (floor_rate, rate) = (median(floor_rates), median(library_rates));
    println!(
        "workload={name} load={} n={n} rate={rate:.0} floor_rate={floor_rate:.0} ratio={:.2}",
        load.name(),
        floor_rate / rate
    );
}

/// A peer beside the library: its name, and a round of it (returns its rate).
type PeerRound<'a> = (&'static str, Box<dyn Fn() -> f64 + 'a>);

/// Rounds that alternate the library and each peer (`peers`: a name and a rate), for the
/// workloads set beside peers rather than the floor; returns the medians, the library's then
/// each peer's. `BENCH_VERBOSE` prints every round, labelled `label`.
fn peer_medians(
    label: &str,
    library: impl Fn() -> f64,
    peers: &[PeerRound<'_>],
) -> (f64, Vec<f64>) {
    let mut library_rates = Vec::new();
    let mut peer_rates: Vec<Vec<f64>> = vec![Vec::new(); peers.len()];
    settle_allocator();
    let verbose = std::env::var_os("BENCH_VERBOSE").is_some();
    for round in 0..rounds() {
        library_rates.push(library());
        for ((_, rate), rates) in peers.iter().zip(&mut peer_rates) {
            rates.push(rate());
        }
        if verbose {
            let this_round: Vec<String> = peers
                .iter()
                .zip(&peer_rates)
                .map(|((name, _), rates)| format!("{name}={:.0}", rates[round]))
                .collect();
            eprintln!(
                "  {label} round {round}: lib_rate={:.0} {}",
                library_rates[round],
                this_round.join(" ")
            );
        }
    }
    (
        median(library_rates),
        peer_rates.into_iter().map(median).collect(),
    )
}

/// Minor page faults of this process so far (Linux; 0 elsewhere): a round that had to fault
/// its memory in is slower for reasons of the allocator's state, not of the code measured.
fn minor_faults() -> u64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Counted from the end of the command name, which may contain spaces.
            stat.rsplit(')')
                .next()?
                .split_whitespace()
                .nth(7)?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

fn main() {
    // In a child process of the `process` workload, this serves its tasks and never returns.
    #[cfg(feature = "process")]
    process::init();
    // `cargo bench` passes `--bench`; a filter argument selects workloads.
    let filter: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| filter.is_empty() || filter.iter().any(|f| name.contains(f.as_str()));

    for load in loads() {
        // Started before the first workload of this load, stopped and joined after its last.
        let _load_threads = (load == Load::Busy).then(LoadThreads::start);

        if wanted("calls") {
            compare_rates("calls", load, scaled(1_000_000), floor_calls, library_calls);
        }
        if wanted("iteration") {
            compare_rates(
                "iteration",
                load,
                scaled(10_000_000),
                floor_stream,
                library_iteration,
            );
        }
        if wanted("progress") {
            compare_rates(
                "progress",
                load,
                scaled(10_000_000),
                floor_stream,
                library_progress,
            );
        }
        if wanted("latency") {
            let n = scaled(10_000);
            let gap = Duration::from_micros(100);
            let (mut floor_all, mut library_all) = (Vec::new(), Vec::new());
            for _ in 0..rounds().min(3) {
                floor_all.extend(floor_latency(n, gap));
                library_all.extend(library_latency(n, gap));
            }
            floor_all.sort_by(f64::total_cmp);
            library_all.sort_by(f64::total_cmp);
            let (median_us, floor_median_us) =
                (percentile(&library_all, 0.5), percentile(&floor_all, 0.5));
            println!(
                "workload=latency load={} n={n} median_us={median_us:.1} p99_us={:.1} floor_median_us={floor_median_us:.1} floor_p99_us={:.1} ratio={:.2}",
                load.name(),
                percentile(&library_all, 0.99),
                percentile(&floor_all, 0.99),
                median_us / floor_median_us
            );
        }
        if wanted("collections") {
            compare_rates(
                "collections",
                load,
                scaled(2_000_000),
                collections::floor_collections,
                collections::library_collections,
            );
        }
        if wanted("stream-peers") {
            stream_peers::run(load, scaled(10_000_000));
        }
        if wanted("call-peers") {
            call_peers::run(load, scaled(1_000_000));
        }
        if wanted("flood") {
            flood::run(load);
        }
        if wanted("process") {
            #[cfg(feature = "process")]
            process::run(load, scaled(20_000), scaled(1_000_000));
            #[cfg(not(feature = "process"))]
            println!("workload=process skipped: build with --features process");
        }
        if wanted("memory") {
            let n = scaled(100_000);
            let per_future = median((0..rounds().min(3)).map(|_| library_memory(n)).collect());
            println!(
                "workload=memory load={} n={n} bytes_per_future={per_future:.0}",
                load.name()
            );
        }
    }
}
