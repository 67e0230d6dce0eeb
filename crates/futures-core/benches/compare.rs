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
//! ```
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

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, Sender};
use futures_signals::signal::Mutable;
use traits_futures::{submit_call, submit_iteration, submit_progress, TraitsExecutor};

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
// The floor: a plain pool of worker threads on a crossbeam job queue, and a crossbeam channel of
// messages that the main thread receives, applying each with one `Mutable::set`.

type Job = Box<dyn FnOnce() + Send>;

struct FloorPool {
    jobs: Option<Sender<Job>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl FloorPool {
    fn new(workers: usize) -> Self {
        let (jobs, queue): (Sender<Job>, Receiver<Job>) = unbounded();
        let threads = (0..workers)
            .map(|_| {
                let queue = queue.clone();
                thread::spawn(move || {
                    for job in queue {
                        job();
                    }
                })
            })
            .collect();
        FloorPool {
            jobs: Some(jobs),
            threads,
        }
    }

    fn execute(&self, job: impl FnOnce() + Send + 'static) {
        self.jobs.as_ref().unwrap().send(Box::new(job)).unwrap();
    }
}

impl Drop for FloorPool {
    fn drop(&mut self) {
        self.jobs = None;
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}

/// Calls: each job sends "started" and "returned" messages; the main thread sets one Mutable
/// per message and counts the returned ones.
fn floor_calls(n: usize) -> f64 {
    let start = Instant::now();
    let pool = FloorPool::new(WORKERS);
    let (sender, receiver) = unbounded::<(usize, u64)>();
    let states: Vec<Mutable<u64>> = (0..n).map(|_| Mutable::new(0)).collect();
    for i in 0..n {
        let sender = sender.clone();
        pool.execute(move || {
            sender.send((i, 1)).unwrap();
            let value = (i as u64).pow(2);
            sender.send((i, 2 + value)).unwrap();
        });
    }
    let mut done = 0;
    while done < n {
        let (i, message) = receiver.recv().unwrap();
        states[i].set(message);
        if message >= 2 {
            done += 1;
        }
    }
    drop(pool);
    // The per-call state is freed inside the timing, as the library frees its futures.
    drop(states);
    settle_allocator();
    n as f64 / start.elapsed().as_secs_f64()
}

/// A stream of `n` messages from one job, each applied with one `Mutable::set`.
fn floor_stream(n: usize) -> f64 {
    let start = Instant::now();
    let pool = FloorPool::new(WORKERS);
    let (sender, receiver) = unbounded::<u64>();
    pool.execute(move || {
        for i in 0..n as u64 {
            sender.send(i).unwrap();
        }
    });
    let latest = Mutable::new(0u64);
    for message in receiver.iter() {
        latest.set(message);
    }
    drop(pool);
    settle_allocator();
    n as f64 / start.elapsed().as_secs_f64()
}

/// Latency of `n` messages spaced `gap` apart, from send to the main thread's `Mutable::set`.
fn floor_latency(n: usize, gap: Duration) -> Vec<f64> {
    let pool = FloorPool::new(WORKERS);
    let (sender, receiver) = unbounded::<Instant>();
    pool.execute(move || {
        for _ in 0..n {
            spin_for(gap);
            sender.send(Instant::now()).unwrap();
        }
    });
    let latest = Mutable::new(Instant::now());
    let mut latencies = Vec::with_capacity(n);
    for sent in receiver.iter() {
        latest.set(sent);
        latencies.push(sent.elapsed().as_secs_f64() * 1e6);
    }
    drop(pool);
    latencies
}

fn spin_for(gap: Duration) {
    let until = Instant::now() + gap;
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}

// ---------------------------------------------------------------------------------------------
// The library, on the same workloads.

fn library_calls(n: usize) -> f64 {
    let start = Instant::now();
    let executor = TraitsExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .unwrap();
    let done = Rc::new(Cell::new(0usize));
    for i in 0..n {
        let future = submit_call(&executor, move || (i as u64).pow(2)).unwrap();
        let done = done.clone();
        future
            .done()
            .observe(move |_, _| done.set(done.get() + 1))
            .detach();
    }
    executor.run_until(|| done.get() == n, None).unwrap();
    executor.shutdown(None).unwrap();
    drop(executor);
    settle_allocator();
    n as f64 / start.elapsed().as_secs_f64()
}

fn library_iteration(n: usize) -> f64 {
    let start = Instant::now();
    let executor = TraitsExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .unwrap();
    let future = submit_iteration(&executor, move || 0..n as u64).unwrap();
    let count = Rc::new(Cell::new(0usize));
    let _observer = future.items().observe({
        let count = count.clone();
        move |_| count.set(count.get() + 1)
    });
    executor.run_until(|| future.done().get(), None).unwrap();
    assert_eq!(count.get(), n);
    executor.shutdown(None).unwrap();
    drop((future, executor));
    settle_allocator();
    n as f64 / start.elapsed().as_secs_f64()
}

fn library_progress(n: usize) -> f64 {
    let start = Instant::now();
    let executor = TraitsExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .unwrap();
    let future = submit_progress(&executor, move |reporter| {
        for i in 0..n as u64 {
            reporter.report(i)?;
        }
        Ok(n)
    })
    .unwrap();
    let count = Rc::new(Cell::new(0usize));
    let _observer = future.reports().observe({
        let count = count.clone();
        move |_| count.set(count.get() + 1)
    });
    executor.run_until(|| future.done().get(), None).unwrap();
    assert_eq!(count.get(), n);
    executor.shutdown(None).unwrap();
    drop((future, executor));
    settle_allocator();
    n as f64 / start.elapsed().as_secs_f64()
}

fn library_latency(n: usize, gap: Duration) -> Vec<f64> {
    let executor = TraitsExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .unwrap();
    let future = submit_progress(&executor, move |reporter| {
        for _ in 0..n {
            spin_for(gap);
            reporter.report(Instant::now())?;
        }
        Ok(())
    })
    .unwrap();
    let latencies = Rc::new(std::cell::RefCell::new(Vec::with_capacity(n)));
    let _observer = future.reports().observe({
        let latencies = latencies.clone();
        move |sent: &Instant| {
            latencies
                .borrow_mut()
                .push(sent.elapsed().as_secs_f64() * 1e6)
        }
    });
    executor.run_until(|| future.done().get(), None).unwrap();
    executor.shutdown(None).unwrap();
    latencies.take()
}

/// Counts the bytes the process has allocated and not yet freed, so that memory per future is
/// measured exactly (resident-set figures hide reused pages). It counts only while the memory
/// workload runs: a counter updated by every thread at every allocation would be a contended
/// cache line in the other workloads, and would measure itself rather than the library.
struct CountingAllocator;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method delegates to the system allocator with the caller's arguments unchanged,
// so the allocator contract holds as it does for `System`; the counter is only bookkeeping.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn live_bytes() -> usize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// Bytes allocated per future, with `n` futures waiting behind busy workers: everything the
/// library holds for a waiting future (the future, its pipe, its job in the pool's queue).
fn library_memory(n: usize) -> f64 {
    let executor = TraitsExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .unwrap();
    let (release, gate) = mpsc::channel::<()>();
    let gate = Arc::new(std::sync::Mutex::new(gate));
    let (started, busy) = mpsc::channel();
    for _ in 0..WORKERS {
        let (gate, started) = (gate.clone(), started.clone());
        submit_call(&executor, move || {
            started.send(()).unwrap();
            let _ = gate.lock().unwrap().recv();
        })
        .unwrap();
    }
    for _ in 0..WORKERS {
        busy.recv().unwrap();
    }
    // The handles the caller keeps are not counted. Only the submitting thread allocates or frees while
    // counting: the workers are blocked.
    let mut futures = Vec::with_capacity(n);
    COUNTING.store(true, Ordering::SeqCst);
    let before = live_bytes();
    for _ in 0..n {
        futures.push(submit_call(&executor, || ()).unwrap());
    }
    let after = live_bytes();
    COUNTING.store(false, Ordering::SeqCst);
    drop(release);
    // Wait on the executor's count: a condition over every future would be checked after every
    // message, quadratic in n.
    executor
        .run_until(|| executor.running_tasks() == 0, None)
        .unwrap();
    assert!(futures.iter().all(|f| f.done().get()));
    executor.shutdown(None).unwrap();
    (after.saturating_sub(before)) as f64 / n as f64
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
