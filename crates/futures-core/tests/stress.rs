//! Stress tests: volume, interleaving, panics and shutdown timeouts, checked exactly.
//!
//! Every test here is `#[ignore]`d; run them in release with `just stress`, that is
//! `cargo test -p traits-futures --release --tests -- --ignored --skip bug_` (CI runs it too).
//! The `bug_` tests at the end reproduce known library bugs and fail until those are fixed.
//!
//! Thread counts come from `/proc/self/task`, as in `threads.rs`: each scenario runs on a thread
//! of its own (`tf-stress`), serialised with the others, and the harness's threads (the main
//! thread, and threads named after these tests) are left out of the count.

#![cfg(target_os = "linux")]

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::error::Error;
use std::fs;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_iteration, BackgroundTask, CallFuture, ExecutorState, FutureHandler,
    FutureState, IterationFuture, ShutdownError, SubmitError, TaskContext, TaskError,
    TraitsExecutor,
};

type TestResult = Result<(), Box<dyn Error + Send + Sync>>;

const SCENARIO_THREAD: &str = "tf-stress";

// ---------------------------------------------------------------------------------------------
// Harness

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The names of the process's live threads, the harness's own left out (the main thread, and
/// test threads, named after the tests: `stress_…`, `bug_…`, truncated to 15 bytes).
fn live_threads() -> Vec<String> {
    let main_name = fs::read_to_string("/proc/self/comm").unwrap_or_default();
    let main_name = main_name.trim_end();
    let mut names = Vec::new();
    for entry in fs::read_dir("/proc/self/task").expect("/proc/self/task is readable") {
        let Ok(entry) = entry else { continue };
        let Ok(name) = fs::read_to_string(entry.path().join("comm")) else {
            continue; // exited since the directory was read
        };
        let name = name.trim_end().to_owned();
        if name != main_name && !name.starts_with("stress_") && !name.starts_with("bug_") {
            names.push(name);
        }
    }
    names.sort();
    names
}

/// Re-reads the live threads until they are `expected` (a joined thread can linger in /proc for
/// a moment), or ten seconds pass; returns the last reading.
fn settle_to(expected: &[String]) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let names = live_threads();
        if names == expected || Instant::now() >= deadline {
            return names;
        }
        thread::yield_now();
    }
}

/// Runs `scenario` on a `tf-stress` thread, serialised with the other tests of this file.
fn run_scenario(scenario: impl FnOnce() -> TestResult + Send + 'static) -> TestResult {
    let _serial = serial();
    let outcome = thread::Builder::new()
        .name(SCENARIO_THREAD.into())
        .spawn(scenario)?
        .join();
    let deadline = Instant::now() + Duration::from_secs(10);
    while live_threads().iter().any(|n| n == SCENARIO_THREAD) && Instant::now() < deadline {
        thread::yield_now();
    }
    match outcome {
        Ok(result) => result,
        Err(panic) => panic::resume_unwind(panic),
    }
}

/// The threads at the start of a scenario: the scenario's own, nothing else (once the threads
/// of an earlier test, whose pool may have been closed without joining, have exited).
fn baseline() -> Vec<String> {
    let before = settle_to(&[SCENARIO_THREAD.to_owned()]);
    assert_eq!(
        before,
        [SCENARIO_THREAD],
        "stray threads before the scenario"
    );
    before
}

/// A small deterministic generator (xorshift64*), so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Keeps the calling thread busy (a main thread doing its own work between event-loop turns).
fn busy(duration: Duration) {
    let end = Instant::now() + duration;
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}

/// Some work for a task (`rounds` multiply-adds), so that tasks overlap and backlogs build up.
fn work(seed: u64, rounds: u64) -> u64 {
    (0..rounds).fold(seed, |acc, k| {
        std::hint::black_box(acc.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(k))
    })
}

/// Silences panic messages (thousands of them) while `f` runs, then restores the hook.
fn quietly<R>(f: impl FnOnce() -> R) -> R {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    result.unwrap_or_else(|panic| panic::resume_unwind(panic))
}

// ---------------------------------------------------------------------------------------------
// Volume: 200 000 calls, random cancels, stop midway

#[test]
#[ignore = "stress: run with --ignored in release"]
fn stress_200k_calls_random_cancels_and_a_stop_midway() -> TestResult {
    run_scenario(|| {
        const N: usize = 200_000;
        const CHUNK: usize = 2_000;
        let before = baseline();
        let started = Instant::now();
        let executor = TraitsExecutor::builder().max_workers(4).build()?;
        let ran: Arc<Vec<AtomicBool>> = Arc::new((0..N).map(|_| AtomicBool::new(false)).collect());
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let mut futures: Vec<CallFuture<u64>> = Vec::with_capacity(N);
        let mut cancelled = vec![false; N];
        let mut at_stop: Option<Vec<FutureState>> = None;
        let mut refused = 0;

        // Stops the executor once half the futures are done, remembering every state just
        // before (nothing is dispatched between the snapshot and the stop).
        let stop_if_half_done = |futures: &Vec<CallFuture<u64>>,
                                 at_stop: &mut Option<Vec<FutureState>>|
         -> TestResult {
            let done = futures.len() - executor.running_tasks();
            if at_stop.is_none() && done >= N / 2 {
                *at_stop = Some(futures.iter().map(|f| f.state().get()).collect());
                executor.stop()?;
                // e72 at scale: everything unfinished is Cancelling once stop() returns.
                for future in futures {
                    let state = future.state().get();
                    assert!(state.is_done() || state == FutureState::Cancelling);
                }
            }
            Ok(())
        };

        for i in 0..N {
            if i > 0 && i % CHUNK == 0 {
                // Cancel some futures at random: waiting, running or already done.
                for _ in 0..CHUNK / 20 {
                    let j = rng.below(futures.len());
                    if futures[j].cancel() {
                        cancelled[j] = true;
                    }
                }
                executor.dispatch_pending();
                stop_if_half_done(&futures, &mut at_stop)?;
            }
            let ran = Arc::clone(&ran);
            match submit_call(&executor, move || {
                ran[i].store(true, Ordering::SeqCst);
                std::hint::black_box(work(i as u64, 5_000));
                i as u64 * 3
            }) {
                Ok(future) => futures.push(future),
                Err(SubmitError::NotRunning(_)) => refused += 1,
                Err(other) => return Err(other.into()),
            }
        }
        if at_stop.is_none() {
            executor.run_until(
                || futures.len() - executor.running_tasks() >= N / 2,
                Some(Duration::from_secs(120)),
            )?;
            stop_if_half_done(&futures, &mut at_stop)?;
        }
        executor.shutdown(Some(Duration::from_secs(120)))?;
        assert_eq!(executor.state().get(), ExecutorState::Stopped);
        assert_eq!(executor.running_tasks(), 0);

        let at_stop = at_stop.expect("stopped");
        let submitted = futures.len();
        assert_eq!(submitted + refused, N);
        let (mut completed, mut by_cancel, mut by_stop) = (0, 0, 0);
        for (i, future) in futures.iter().enumerate() {
            let state = future.state().get();
            if cancelled[i] {
                assert_eq!(state, FutureState::Cancelled, "future {i}, cancelled");
                by_cancel += 1;
            } else if at_stop[i].is_done() {
                assert_eq!(at_stop[i], FutureState::Completed, "future {i}");
                assert_eq!(
                    state,
                    FutureState::Completed,
                    "future {i} changed after done"
                );
                assert_eq!(future.result(), Ok(&(i as u64 * 3)), "future {i}");
                assert!(ran[i].load(Ordering::SeqCst));
                completed += 1;
            } else {
                assert_eq!(
                    state,
                    FutureState::Cancelled,
                    "future {i}, unfinished at stop"
                );
                by_stop += 1;
            }
        }
        // The results are exactly those of the uncancelled futures.
        assert_eq!(
            futures
                .iter()
                .filter(|f| f.state().get() == FutureState::Completed)
                .count(),
            completed
        );
        for i in submitted..N {
            assert!(!ran[i].load(Ordering::SeqCst), "refused task {i} ran (e71)");
        }
        let abandoned = (0..submitted)
            .filter(|&i| cancelled[i] && !ran[i].load(Ordering::SeqCst))
            .count();
        eprintln!(
            "200k calls: {submitted} submitted, {refused} refused after the stop, {completed} \
             completed, {by_cancel} cancelled by cancel() ({abandoned} before starting), \
             {by_stop} by stop(); {:?}",
            started.elapsed()
        );
        assert!(by_stop > 0, "the stop came after every task had finished");

        drop(futures);
        drop(executor);
        assert_eq!(settle_to(&before), before, "threads leaked");
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Interleaving: 64 iterations × 10 000 items under a busy main thread (f90 at scale)

/// Where one future's items are collected.
type Sink = Rc<RefCell<Vec<(u32, u32)>>>;

#[test]
#[ignore = "stress: run with --ignored in release"]
fn stress_64_iterations_of_10k_items_interleaved_under_a_busy_main_thread() -> TestResult {
    run_scenario(|| {
        const TASKS: u32 = 64;
        const ITEMS: u32 = 10_000;
        let before = baseline();
        let started = Instant::now();
        let executor = TraitsExecutor::builder().max_workers(8).build()?;
        let mut futures: Vec<IterationFuture<(u32, u32)>> = Vec::new();
        let mut received: Vec<Sink> = Vec::new();
        let mut guards = Vec::new();
        let delivered = Rc::new(Cell::new(0usize));
        for task in 0..TASKS {
            let future = submit_iteration(&executor, move || {
                (0..ITEMS).map(move |i| {
                    std::hint::black_box(work(u64::from(i), 200));
                    (task, i)
                })
            })?;
            let sink = Rc::new(RefCell::new(Vec::with_capacity(ITEMS as usize)));
            guards.push(future.items().observe({
                let (sink, delivered) = (Rc::clone(&sink), Rc::clone(&delivered));
                move |item| {
                    sink.borrow_mut().push(*item);
                    delivered.set(delivered.get() + 1);
                }
            }));
            futures.push(future);
            received.push(sink);
        }

        // The main thread has its own work: between event-loop turns of about 2 000 items it
        // is busy for 300 µs, so that batches pile up and many pipes interleave in each turn.
        let (mut turns, mut most) = (0, 0);
        let all_done = || futures.iter().all(|f| f.done().get());
        while !all_done() {
            let (start, target) = (delivered.get(), delivered.get() + 2_000);
            executor.run_until(
                || delivered.get() >= target || all_done(),
                Some(Duration::from_secs(120)),
            )?;
            most = most.max(delivered.get() - start);
            turns += 1;
            busy(Duration::from_micros(300));
        }
        assert_eq!(delivered.get(), (TASKS * ITEMS) as usize);
        for (task, (future, sink)) in futures.iter().zip(&received).enumerate() {
            assert_eq!(future.state().get(), FutureState::Completed);
            let sink = sink.borrow();
            assert_eq!(sink.len(), ITEMS as usize, "task {task}");
            for (i, item) in sink.iter().enumerate() {
                assert_eq!(*item, (task as u32, i as u32), "task {task}, item {i}");
            }
        }
        eprintln!(
            "64 x 10 000 items: {turns} event-loop turns, up to {most} items per turn; {:?}",
            started.elapsed()
        );
        executor.shutdown(Some(TEST_TIMEOUT))?;
        drop((guards, futures, executor));
        assert_eq!(settle_to(&before), before, "threads leaked");
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Panics: in tasks, in observers on the main thread (g101), in a result's Drop

/// A task result whose `Drop` panics (and counts).
struct PanicOnDrop {
    id: usize,
    drops: Arc<AtomicUsize>,
}

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        if !thread::panicking() {
            panic!("result {} dropped", self.id);
        }
    }
}

#[test]
#[ignore = "stress: run with --ignored in release"]
fn stress_panicking_tasks_observers_and_result_drops_leave_the_executor_serving() -> TestResult {
    run_scenario(|| {
        quietly(|| -> TestResult {
            const N: usize = 3_000;
            let before = baseline();
            let started = Instant::now();
            let executor = TraitsExecutor::builder().max_workers(3).build()?;
            let drops = Arc::new(AtomicUsize::new(0));
            let mut calls: Vec<(usize, CallFuture<usize>)> = Vec::new();
            let mut failing: Vec<(usize, CallFuture<usize>)> = Vec::new();
            let mut iterations: Vec<(IterationFuture<u32>, Recorder<u32>)> = Vec::new();
            let mut kept_drops: Vec<CallFuture<PanicOnDrop>> = Vec::new();
            let mut guards = Vec::new();
            let mut expected_panics = 0;
            let mut dropped_early = 0;
            for i in 0..N {
                match i % 6 {
                    0 => calls.push((i, submit_call(&executor, move || i)?)),
                    1 => failing.push((
                        i,
                        submit_call(&executor, move || -> usize { panic!("task {i} panicked") })?,
                    )),
                    kind @ (2 | 5) => {
                        let future = submit_iteration(&executor, || 0..10u32)?;
                        let items = Recorder::event(future.items());
                        if kind == 2 {
                            // An items observer that panics on item 5 (g101).
                            guards.push(future.items().observe(|item| {
                                if *item == 5 {
                                    panic!("observer panicked on item 5");
                                }
                            }));
                        } else {
                            // A state observer that panics when the future completes.
                            guards.push(future.state().observe(|_, new| {
                                if *new == FutureState::Completed {
                                    panic!("observer panicked on Completed");
                                }
                            }));
                        }
                        expected_panics += 1;
                        iterations.push((future, items));
                    }
                    3 => {
                        let drops = Arc::clone(&drops);
                        kept_drops.push(submit_call(&executor, move || PanicOnDrop {
                            id: i,
                            drops,
                        })?);
                    }
                    _ => {
                        // The handle is dropped at once: the router drops the last one, and
                        // with it the result, when the future completes.
                        let drops = Arc::clone(&drops);
                        drop(submit_call(&executor, move || PanicOnDrop {
                            id: i,
                            drops,
                        })?);
                        dropped_early += 1;
                        expected_panics += 1;
                    }
                }
            }

            // Run the event loop until everything is done; each panic resumes out of it.
            let mut caught = 0;
            let all_done = || {
                calls.iter().all(|(_, f)| f.done().get())
                    && failing.iter().all(|(_, f)| f.done().get())
                    && iterations.iter().all(|(f, _)| f.done().get())
                    && kept_drops.iter().all(|f| f.done().get())
                    && drops.load(Ordering::SeqCst) == dropped_early
            };
            loop {
                match panic::catch_unwind(AssertUnwindSafe(|| {
                    executor.run_until(all_done, Some(Duration::from_secs(120)))
                })) {
                    Ok(result) => {
                        result?;
                        break;
                    }
                    Err(_) => caught += 1,
                }
            }
            assert_eq!(caught, expected_panics, "every panic resumed exactly once");
            assert_eq!(executor.running_tasks(), 0);

            for (i, future) in &calls {
                assert_eq!(future.result(), Ok(i));
            }
            for (i, future) in &failing {
                assert_eq!(future.state().get(), FutureState::Failed);
                let message = format!("task {i} panicked");
                assert_eq!(future.error(), Ok(&TaskError::Panicked(message)));
            }
            for (future, items) in &iterations {
                assert_eq!(future.state().get(), FutureState::Completed);
                assert_eq!(items.values(), (0..10).collect::<Vec<_>>());
            }
            for future in &kept_drops {
                assert_eq!(future.state().get(), FutureState::Completed);
            }

            // Still serving: a fresh batch of work completes normally.
            let later: Vec<_> = (0..200)
                .map(|i| submit_call(&executor, move || i * 2))
                .collect::<Result<_, _>>()?;
            executor.run_until(|| later.iter().all(|f| f.done().get()), Some(TEST_TIMEOUT))?;
            for (i, future) in later.iter().enumerate() {
                assert_eq!(future.result(), Ok(&(i * 2)));
            }

            // The kept results panic when their futures are dropped, in the caller's hands.
            let kept = kept_drops.len();
            for future in kept_drops {
                assert!(panic::catch_unwind(AssertUnwindSafe(|| drop(future))).is_err());
            }
            assert_eq!(drops.load(Ordering::SeqCst), kept + dropped_early);

            executor.shutdown(Some(TEST_TIMEOUT))?;
            assert_eq!(executor.state().get(), ExecutorState::Stopped);
            eprintln!(
                "panics: {N} tasks, {caught} panics resumed on the main thread; {:?}",
                started.elapsed()
            );
            drop((guards, calls, failing, iterations, later, executor));
            assert_eq!(settle_to(&before), before, "threads leaked");
            Ok(())
        })
    })
}

// ---------------------------------------------------------------------------------------------
// Shutdown with a timeout while tasks never finish

#[test]
#[ignore = "stress: run with --ignored in release"]
fn stress_shutdown_timeouts_with_tasks_that_never_finish() -> TestResult {
    run_scenario(|| {
        let before = baseline();
        let started = Instant::now();
        let token = Arc::new(());
        for round in 0..10 {
            let executor = TraitsExecutor::builder().max_workers(2).build()?;
            // The tasks block on the gate and ignore cancellation: two run, the rest queue.
            let gate = Arc::new(RwLock::new(()));
            let closed = gate.write().unwrap();
            let (running_tx, running_rx) = mpsc::channel();
            let calls: Vec<CallFuture<()>> = (0..4)
                .map(|_| {
                    let (gate, token, running) =
                        (Arc::clone(&gate), Arc::clone(&token), running_tx.clone());
                    submit_call(&executor, move || {
                        let _ = running.send(());
                        let _held = &token;
                        drop(gate.read().unwrap());
                    })
                })
                .collect::<Result<_, _>>()?;
            let iteration = {
                let (gate, token) = (Arc::clone(&gate), Arc::clone(&token));
                submit_iteration(&executor, move || {
                    let _held = token;
                    drop(gate.read().unwrap());
                    0..3
                })?
            };
            // Both workers are busy before the first shutdown.
            for _ in 0..2 {
                running_rx.recv_timeout(TEST_TIMEOUT)?;
            }

            for timeout in [
                Duration::from_millis(200),
                Duration::ZERO,
                Duration::from_millis(50),
                Duration::from_millis(300),
            ] {
                let asked = Instant::now();
                let outcome = executor.shutdown(Some(timeout));
                let took = asked.elapsed();
                assert_eq!(
                    outcome,
                    Err(ShutdownError::Timeout {
                        timeout,
                        running: 5
                    }),
                    "round {round}"
                );
                assert!(took >= timeout, "round {round}: returned early, {took:?}");
                assert!(
                    took < timeout + Duration::from_secs(1),
                    "round {round}: {took:?} for a timeout of {timeout:?}"
                );
                assert_eq!(executor.state().get(), ExecutorState::Stopping);
                assert!(calls
                    .iter()
                    .all(|f| f.state().get() == FutureState::Cancelling));
            }

            drop(closed);
            executor.shutdown(Some(TEST_TIMEOUT))?;
            assert_eq!(executor.state().get(), ExecutorState::Stopped);
            assert!(calls
                .iter()
                .all(|f| f.state().get() == FutureState::Cancelled));
            assert_eq!(iteration.state().get(), FutureState::Cancelled);
            drop((calls, iteration, executor));
            // Nothing kept a task alive: every closure (and its captures) is gone.
            assert_eq!(Arc::strong_count(&token), 1, "round {round}: a task leaked");
            assert_eq!(settle_to(&before), before, "round {round}: threads leaked");
        }
        eprintln!("shutdown timeouts: 10 rounds; {:?}", started.elapsed());
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Known bugs, found by the panic scenarios: these fail until the library is fixed.

#[test]
#[ignore = "stress: run with --ignored in release"]
fn cancelled_result_whose_drop_panics_still_ends_the_future() -> TestResult {
    run_scenario(|| {
        quietly(bug_cancelled_result_scenario);
        Ok(())
    })
}

fn bug_cancelled_result_scenario() {
    {
        let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
        let drops = Arc::new(AtomicUsize::new(0));
        let (started_tx, started_rx) = mpsc::channel();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let future = {
            let drops = Arc::clone(&drops);
            submit_call(&executor, move || {
                started_tx.send(()).unwrap();
                let _ = go_rx.recv();
                PanicOnDrop { id: 0, drops }
            })
            .unwrap()
        };
        started_rx.recv_timeout(TEST_TIMEOUT).unwrap();
        executor
            .run_until(
                || future.state().get() == FutureState::Executing,
                Some(TEST_TIMEOUT),
            )
            .unwrap();
        executor.stop().unwrap(); // cancels the running task: its result will be discarded
        drop(go_tx);
        // The discarded result's Drop panics on the main thread, out of the dispatch...
        let first = panic::catch_unwind(AssertUnwindSafe(|| {
            executor.shutdown(Some(Duration::from_secs(5)))
        }));
        assert!(first.is_err(), "the Drop panic resumes out of shutdown");
        assert_eq!(drops.load(Ordering::SeqCst), 1);
        // ...but the future must still be Cancelled and the executor able to stop.
        assert_eq!(future.state().get(), FutureState::Cancelled);
        assert_eq!(executor.shutdown(Some(Duration::from_secs(5))), Ok(()));
    }
}

/// A handler whose `Drop` panics (a custom future owning something that panics when dropped).
struct PanickyHandler;

impl Drop for PanickyHandler {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("handler dropped");
        }
    }
}

impl FutureHandler for PanickyHandler {
    type Message = Infallible;
    type Output = ();
    type Error = Infallible;
    fn on_message(&self, message: Infallible) {
        match message {}
    }
}

struct WaitFor(mpsc::Receiver<()>);

impl BackgroundTask for WaitFor {
    type Message = Infallible;
    type Output = ();
    type Error = Infallible;
    fn run(self, _: &TaskContext<'_, Infallible>) -> Result<(), Infallible> {
        let _ = self.0.recv();
        Ok(())
    }
}

#[test]
#[ignore = "stress: run with --ignored in release"]
fn last_handle_dropped_by_the_router_with_a_panicking_drop_still_lets_the_executor_stop(
) -> TestResult {
    run_scenario(|| {
        quietly(bug_last_handle_scenario);
        Ok(())
    })
}

fn bug_last_handle_scenario() {
    {
        let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
        let (go_tx, go_rx) = mpsc::channel::<()>();
        let future = executor.submit((PanickyHandler, WaitFor(go_rx))).unwrap();
        executor
            .run_until(
                || future.state().get() == FutureState::Executing,
                Some(TEST_TIMEOUT),
            )
            .unwrap();
        drop(future); // the router now holds the last handle
        executor.stop().unwrap();
        drop(go_tx);
        let first = panic::catch_unwind(AssertUnwindSafe(|| {
            executor.shutdown(Some(Duration::from_secs(5)))
        }));
        assert!(first.is_err(), "the Drop panic resumes out of shutdown");
        assert_eq!(executor.running_tasks(), 0);
        // No task is left: the executor must be (or become) Stopped.
        assert_eq!(executor.shutdown(Some(Duration::from_secs(5))), Ok(()));
        assert_eq!(executor.state().get(), ExecutorState::Stopped);
    }
}
