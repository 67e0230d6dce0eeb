//! Thread counts: f94 (no leaked threads), e79 (an owned pool's threads are joined at shutdown)
//! and e80 (an executor that never received a task starts no thread).
//!
//! These tests count the live OS threads of the process (`/proc/self/task`), so they live in a
//! test binary of their own and take a static lock, since the harness runs tests in parallel.
//!
//! The harness's own threads come and go while a test runs, so only threads named `tf-…` are
//! counted (see `common/threads.rs`): each scenario runs on a thread of its own, `tf-scenario`,
//! so that a thread the library might start *without* a name (it would inherit the name of the
//! thread that started it) is still counted. Counts that must go *down* are re-read until they
//! settle, within a bound.

#![cfg(target_os = "linux")]

mod common;

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::time::Duration;

use common::threads::{live_threads, settle, TestResult};
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_progress, CallFuture, CancelReason, FutureState, ProgressFuture,
    ThreadPool, TraitsExecutor, WorkerPool,
};

const SCENARIO_THREAD: &str = "tf-scenario";

/// A test's own guard: far beyond what any wait here needs.
const GUARD: Duration = Duration::from_secs(10);

/// Re-reads the live threads until there are `expected` of them, or a bound passes.
fn settle_to(expected: usize) -> Vec<String> {
    settle(|names| names.len() == expected)
}

fn pool_threads(names: &[String]) -> usize {
    names.iter().filter(|n| n.starts_with("tf-pool")).count()
}

fn run_scenario(scenario: impl FnOnce() -> TestResult + Send + 'static) -> TestResult {
    common::threads::run_scenario(SCENARIO_THREAD, scenario)
}

/// Submits `n` calls that all block until every one of them runs at once (so a pool of `n`
/// workers starts all `n` threads), and waits for them to finish.
fn occupy_every_worker(executor: &TraitsExecutor, n: usize) -> TestResult {
    let barrier = Arc::new(Barrier::new(n));
    let futures: Vec<CallFuture<()>> = (0..n)
        .map(|_| {
            let barrier = Arc::clone(&barrier);
            submit_call(executor, move || {
                barrier.wait();
            })
        })
        .collect::<Result<_, _>>()?;
    executor.run_until(
        || futures.iter().all(|f| f.done().get()),
        Some(TEST_TIMEOUT),
    )?;
    Ok(())
}

#[test]
fn f94_starting_and_stopping_leaves_the_thread_count_unchanged() -> TestResult {
    run_scenario(|| {
        let before = live_threads();
        assert_eq!(before, [SCENARIO_THREAD], "no stray threads to begin with");
        for round in 0..3 {
            let executor = TraitsExecutor::builder().max_workers(4).build()?;
            occupy_every_worker(&executor, 4)?;
            let during = live_threads();
            assert_eq!(pool_threads(&during), 4, "round {round}: {during:?}");
            assert_eq!(during.len(), before.len() + 4, "round {round}: {during:?}");

            // Some more work, some of it still queued when the executor stops.
            for i in 0..16 {
                submit_call(&executor, move || i)?;
            }
            executor.shutdown(None)?;
            let after = settle_to(before.len());
            assert_eq!(after, before, "round {round}: threads leaked");
        }

        Ok(())
    })
}

thread_local! {
    /// Set by a task on the worker thread that runs it; reports the thread's exit.
    static EXIT_REPORT: RefCell<Option<ExitReport>> = const { RefCell::new(None) };
}

/// Counts, when dropped (at its worker thread's exit, before `join` returns), into `exited`.
struct ExitReport {
    exited: Arc<AtomicUsize>,
}

impl Drop for ExitReport {
    fn drop(&mut self) {
        self.exited.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn e79_owned_pool_threads_are_joined_at_shutdown() -> TestResult {
    run_scenario(|| {
        const WORKERS: usize = 3;
        let before = live_threads();
        let executor = TraitsExecutor::builder().max_workers(WORKERS).build()?;
        let exited = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(Barrier::new(WORKERS));
        let futures: Vec<CallFuture<()>> = (0..WORKERS)
            .map(|_| {
                let (exited, barrier) = (Arc::clone(&exited), Arc::clone(&barrier));
                submit_call(&executor, move || {
                    EXIT_REPORT.with(|report| *report.borrow_mut() = Some(ExitReport { exited }));
                    barrier.wait(); // one task per worker thread
                })
            })
            .collect::<Result<_, _>>()?;
        executor.run_until(
            || futures.iter().all(|f| f.done().get()),
            Some(TEST_TIMEOUT),
        )?;
        assert_eq!(pool_threads(&live_threads()), WORKERS);
        assert_eq!(exited.load(Ordering::SeqCst), 0);

        executor.shutdown(None)?;
        // Joined, not merely told to stop: every worker thread has run its exit code by now.
        assert_eq!(exited.load(Ordering::SeqCst), WORKERS);
        assert_eq!(settle_to(before.len()), before);
        Ok(())
    })
}

#[test]
fn e79_external_pool_threads_survive_the_executor() -> TestResult {
    run_scenario(|| {
        let before = live_threads();
        let pool = Arc::new(ThreadPool::new(2));
        let executor = TraitsExecutor::builder()
            .worker_pool(pool.clone())
            .build()?;
        occupy_every_worker(&executor, 2)?;
        executor.shutdown(None)?;
        // The executor does not own the pool: its threads are still there, and still work.
        let after_executor = live_threads();
        assert_eq!(pool_threads(&after_executor), 2, "{after_executor:?}");
        let (tx, rx) = mpsc::channel();
        pool.execute(Box::new(move || {
            let _ = tx.send("still working");
        }))?;
        assert_eq!(rx.recv_timeout(TEST_TIMEOUT)?, "still working");

        pool.shutdown();
        assert_eq!(settle_to(before.len()), before);
        Ok(())
    })
}

#[test]
fn e80_executor_without_tasks_starts_no_threads() -> TestResult {
    run_scenario(|| {
        let before = live_threads();
        let pool = Arc::new(ThreadPool::new(2));
        let executors = [
            TraitsExecutor::new(),
            TraitsExecutor::builder().max_workers(3).build()?,
            TraitsExecutor::builder()
                .worker_pool(pool.clone())
                .build()?,
        ];
        for executor in &executors {
            assert_eq!(executor.running_tasks(), 0);
            assert_eq!(executor.dispatch_pending(), 0);
            executor.run_until(|| true, None)?;
            assert!(executor
                .run_until(|| false, Some(Duration::from_millis(1)))
                .is_err());
            executor.exercise_event_loop(TEST_TIMEOUT)?;
            assert_eq!(executor.running_tasks(), 0);
        }
        assert_eq!(live_threads(), before);
        for executor in &executors {
            executor.shutdown(None)?;
        }
        assert_eq!(live_threads(), before);
        assert_eq!(pool.started_threads(), 0);
        pool.shutdown();

        // The count does see the pool's threads: the first task starts one.
        let used = TraitsExecutor::builder().max_workers(3).build()?;
        let future = submit_call(&used, || 1)?;
        used.run_until(|| future.done().get(), Some(TEST_TIMEOUT))?;
        let with_one = live_threads();
        assert_eq!(with_one.len(), before.len() + 1, "{with_one:?}");
        assert_eq!(pool_threads(&with_one), 1);
        used.shutdown(None)?;
        assert_eq!(settle_to(before.len()), before);
        Ok(())
    })
}

/// A task that would run for ever and sends nothing: it only looks at its cancel flag.
fn endless_silent(executor: &TraitsExecutor) -> ProgressFuture<(), ()> {
    submit_progress(executor, |reporter| {
        while !reporter.cancelled() {
            std::thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    })
    .expect("the executor is running")
}

/// The executor's timer thread for deadlines (issue 24 §6) leaves with the executor, whether it
/// is shut down or dropped.
#[test]
fn stopping_an_executor_with_pending_deadlines_leaks_no_thread() -> TestResult {
    run_scenario(|| {
        let before = live_threads();
        let executor = TraitsExecutor::builder().max_workers(1).build()?;
        let endless = endless_silent(&executor).with_timeout(&executor, Duration::from_secs(60));
        executor.run_until(
            || endless.state().get() == FutureState::Executing,
            Some(GUARD),
        )?;
        // A new thread names itself once it runs: until then it shows its parent's name.
        let during = settle(|names| names.iter().any(|n| n == "tf-deadlines"));
        assert!(
            during.iter().any(|n| n == "tf-deadlines"),
            "the timer thread runs: {during:?}"
        );
        executor.shutdown(Some(TEST_TIMEOUT))?;
        assert_eq!(endless.cancel_reason(), Some(CancelReason::Stopped));
        let after = settle(|names| names.len() == before.len());
        assert_eq!(after, before, "threads leaked");

        // Dropped without shutdown: the timer thread is joined too.
        let executor = TraitsExecutor::builder().max_workers(1).build()?;
        let endless = endless_silent(&executor).with_timeout(&executor, Duration::from_secs(60));
        executor.run_until(
            || endless.state().get() == FutureState::Executing,
            Some(GUARD),
        )?;
        drop(executor);
        let after = settle(|names| !names.iter().any(|n| n == "tf-deadlines"));
        assert!(!after.iter().any(|n| n == "tf-deadlines"), "{after:?}");
        drop(endless);
        // The dropped executor's worker leaves too, once its task saw the cancel.
        let after = settle(|names| names.len() == before.len());
        assert_eq!(after, before, "threads leaked");
        Ok(())
    })
}
