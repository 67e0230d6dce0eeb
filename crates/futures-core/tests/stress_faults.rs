//! Stress tests of faults: panics in tasks, in observers and in a result's `Drop`, panicking
//! `Drop`s of a discarded result and of the last future handle, and shutdown timeouts while
//! tasks never finish; after each the executor still serves or stops. Volume is in
//! `stress_volume.rs`.
//!
//! Every test here is `#[ignore]`d; run them in release with `just stress`, that is
//! `cargo test -p traits-futures --release --tests -- --ignored` (CI runs it too).
//!
//! Thread counts come from `/proc/self/task`, as in `threads.rs`, through the harness in
//! `common/stress.rs`: each scenario runs on a thread of its own (`tf-stress`), serialised with
//! the others, and the harness's threads (the main thread, and threads named after these tests)
//! are left out of the count.

#![cfg(target_os = "linux")]

mod common;
use common::stress::{baseline, run_scenario, settle_to, TestResult};

use std::convert::Infallible;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, RwLock};
use std::thread;
use std::time::{Duration, Instant};

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_iteration, BackgroundTask, CallFuture, ExecutorState, FutureHandler,
    FutureState, IterationFuture, ShutdownError, TaskContext, TaskError, TraitsExecutor,
};

/// Silences panic messages (thousands of them) while `f` runs, then restores the hook.
fn quietly<R>(f: impl FnOnce() -> R) -> R {
    let previous = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(AssertUnwindSafe(f));
    panic::set_hook(previous);
    result.unwrap_or_else(|panic| panic::resume_unwind(panic))
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
// Panicking Drops found by the panic scenarios: once, each kept a stopping executor from stopping.

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
