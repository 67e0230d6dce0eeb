//! Issue 22, section 1: user code that panics, at every boundary the library drops or runs it
//! outside the main thread's own calls. Whatever panics, the future still reaches a done state
//! (`Failed` with a message saying what panicked, or `Cancelled`), stop and shutdown complete,
//! no worker thread dies, and no panic comes out of a call whose docs do not say so.
//!
//! The panics these tests provoke on purpose carry the text `hardening:` (or a payload type of
//! this file); the panic hook installed by [`quiet`] keeps them out of the test output.

use crate::common;

use std::convert::Infallible;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, Once};
use std::thread;

use common::executor::{blocking_call, wait_for};
use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_try_call, BackgroundTask, CallHandler, ExecutorState, FutureState, Job,
    PoolClosed, SubmitError, TaskContext, ThreadPool, TraitsExecutor, WorkerPool,
};

use FutureState::{Cancelled, Cancelling, Executing, Failed, Waiting};

/// The text every panic provoked here carries.
const MARK: &str = "hardening:";

/// Installs, once per test binary, a panic hook that stays silent for the panics these tests
/// provoke and hands every other one to the default hook.
fn quiet() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            let expected = text.is_some_and(|text| text.contains(MARK))
                || payload.is::<PanickyPayload>()
                || payload.is::<OpaquePayload>();
            if !expected {
                default(info);
            }
        }));
    });
}

/// A value whose `Drop` panics (unless the thread is already unwinding, which would abort).
struct PanicOnDrop(&'static str);

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !thread::panicking() {
            panic!("{MARK} {}", self.0);
        }
    }
}

/// A panic payload that is not text and whose own `Drop` panics (with text).
struct PanickyPayload;

impl Drop for PanickyPayload {
    fn drop(&mut self) {
        panic!("{MARK} the payload's drop");
    }
}

/// A panic payload whose `Drop` panics with a payload that is not text either.
struct NestedPayload;

impl Drop for NestedPayload {
    fn drop(&mut self) {
        panic::panic_any(OpaquePayload);
    }
}

/// A payload that is not text (and drops quietly).
struct OpaquePayload;

fn single_worker() -> TraitsExecutor {
    TraitsExecutor::builder().max_workers(1).build().unwrap()
}

/// Runs the executor's loop until `future` is done.
fn settle<H: traits_futures::FutureHandler>(
    executor: &TraitsExecutor,
    future: &traits_futures::TaskFuture<H>,
) {
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .expect("the future should reach a done state");
}

/// The single worker is alive: a new task runs, on `thread` if given.
fn assert_worker_alive(executor: &TraitsExecutor, thread: Option<thread::ThreadId>) {
    let probe = submit_call(executor, || thread::current().id()).unwrap();
    settle(executor, &probe);
    if let Some(thread) = thread {
        assert_eq!(
            probe.result(),
            Ok(&thread),
            "the same worker thread runs later tasks"
        );
    } else {
        assert!(probe.result().is_ok());
    }
}

// ---------------------------------------------------------------------------------------------
// A task dropped unrun whose captured value's `Drop` panics

#[test]
fn unrun_task_drop_panics_when_cancelled_before_it_started_and_the_future_ends_cancelled() {
    quiet();
    let executor = single_worker();
    let (blocker, started, release) = blocking_call(&executor);
    wait_for(&started);
    let captured = PanicOnDrop("cancelled before it started");
    let future = submit_call(&executor, move || {
        let _keep = &captured;
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    assert!(future.cancel());
    release.send(()).unwrap();
    settle(&executor, &future);
    settle(&executor, &blocker);
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert_worker_alive(&executor, None);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn unrun_task_drop_panics_when_queued_as_stop_runs_and_shutdown_still_completes() {
    quiet();
    let executor = single_worker();
    let (blocker, started, release) = blocking_call(&executor);
    wait_for(&started);
    let queued: Vec<_> = (0..5)
        .map(|_| {
            let captured = PanicOnDrop("queued when stop ran");
            submit_call(&executor, move || {
                let _keep = &captured;
            })
            .unwrap()
        })
        .collect();
    executor.stop().unwrap();
    release.send(()).unwrap();
    executor
        .shutdown(Some(TEST_TIMEOUT))
        .expect("shutdown completes although every queued task's drop panics");
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert_eq!(blocker.state().get(), Cancelled);
    for future in &queued {
        assert_eq!(future.state().get(), Cancelled);
    }
}

#[test]
fn unrun_task_drop_panics_when_refused_by_a_shut_down_shared_pool_and_submit_returns_an_error() {
    quiet();
    let pool = Arc::new(ThreadPool::new(1));
    let executor = TraitsExecutor::builder()
        .worker_pool(pool.clone())
        .build()
        .unwrap();
    pool.shutdown();
    let captured = PanicOnDrop("refused by a shut-down shared pool");
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        submit_call(&executor, move || {
            let _keep = &captured;
        })
    }));
    let refused = outcome.expect("submit must not panic on the caller's thread");
    assert_eq!(refused.unwrap_err(), SubmitError::PoolClosed);
    assert_eq!(executor.running_tasks(), 0, "no task is left in the router");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
}

/// A pool that refuses every job (like a shut-down one), dropping it on the caller's thread.
struct Refusing;

impl WorkerPool for Refusing {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        drop(job);
        Err(PoolClosed)
    }
}

#[test]
fn unrun_task_drop_panics_when_refused_by_a_custom_pool_and_submit_returns_an_error() {
    quiet();
    let executor = TraitsExecutor::builder()
        .worker_pool(Arc::new(Refusing))
        .build()
        .unwrap();
    let captured = PanicOnDrop("refused by a custom pool");
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        submit_call(&executor, move || {
            let _keep = &captured;
        })
    }));
    let refused = outcome.expect("submit must not panic on the caller's thread");
    assert_eq!(refused.unwrap_err(), SubmitError::PoolClosed);
    assert_eq!(executor.running_tasks(), 0);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn unrun_task_drop_panics_when_refused_by_a_stopped_executor_and_submit_returns_an_error() {
    quiet();
    let executor = TraitsExecutor::new();
    executor.stop().unwrap();
    let captured = PanicOnDrop("refused by a stopped executor");
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        submit_call(&executor, move || {
            let _keep = &captured;
        })
    }));
    let refused = outcome.expect("submit must not panic on the caller's thread");
    assert!(matches!(
        refused.unwrap_err(),
        SubmitError::NotRunning(ExecutorState::Stopped)
    ));
}

/// A pool that accepts every job and then drops it unrun on a thread of its own (as a pool
/// that discards its queue would); it reports whether that thread survived each drop.
struct DropsUnrun {
    survived: Mutex<Sender<bool>>,
}

impl DropsUnrun {
    fn new() -> (Arc<Self>, Receiver<bool>) {
        let (sender, survived) = mpsc::channel();
        let pool = DropsUnrun {
            survived: Mutex::new(sender),
        };
        (Arc::new(pool), survived)
    }
}

impl WorkerPool for DropsUnrun {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        let report = self.survived.lock().unwrap().clone();
        thread::spawn(move || {
            let survived = panic::catch_unwind(AssertUnwindSafe(move || drop(job))).is_ok();
            let _ = report.send(survived);
        });
        Ok(())
    }
}

#[test]
fn unrun_task_drop_panics_when_a_pool_drops_it_and_the_future_fails_saying_so() {
    quiet();
    let (pool, survived) = DropsUnrun::new();
    let executor = TraitsExecutor::builder().worker_pool(pool).build().unwrap();
    let captured = PanicOnDrop("dropped unrun by its pool");
    let future = submit_call(&executor, move || {
        let _keep = &captured;
    })
    .unwrap();
    settle(&executor, &future);
    assert_eq!(future.state().get(), Failed);
    let message = future.error().unwrap().panic_message().unwrap().to_string();
    assert!(
        message.contains("dropped the task without running it")
            && message.contains("dropped unrun by its pool"),
        "the message says what panicked: {message}"
    );
    assert!(
        survived.recv_timeout(TEST_TIMEOUT).unwrap(),
        "no panic reaches the pool's thread"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// A gate the test opens: a pool job blocks on it.
type Gate = Arc<Mutex<Option<Receiver<()>>>>;

/// A pool that runs each job on a thread of its own once the gate opens, and reports whether
/// the job let a panic through.
struct Gated {
    gate: Gate,
    survived: Mutex<Sender<bool>>,
}

impl WorkerPool for Gated {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        let report = self.survived.lock().unwrap().clone();
        let gate = Arc::clone(&self.gate);
        thread::spawn(move || {
            if let Some(gate) = gate.lock().unwrap().take() {
                let _ = gate.recv();
            }
            let survived = panic::catch_unwind(AssertUnwindSafe(job)).is_ok();
            let _ = report.send(survived);
        });
        Ok(())
    }
}

#[test]
fn unrun_task_drop_panics_when_cancelled_on_a_custom_pool_and_the_future_ends_cancelled() {
    quiet();
    let (open, gate) = mpsc::channel();
    let (survived_tx, survived) = mpsc::channel();
    let pool = Gated {
        gate: Arc::new(Mutex::new(Some(gate))),
        survived: Mutex::new(survived_tx),
    };
    let executor = TraitsExecutor::builder()
        .worker_pool(Arc::new(pool))
        .build()
        .unwrap();
    let captured = PanicOnDrop("cancelled on a custom pool");
    let future = submit_call(&executor, move || {
        let _keep = &captured;
    })
    .unwrap();
    assert!(future.cancel());
    let _ = open.send(()); // (gone if the task was cancelled before it started)
    settle(&executor, &future);
    assert_eq!(future.state().get(), Cancelled);
    assert!(survived.recv_timeout(TEST_TIMEOUT).unwrap());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// A task's panic payload whose `Drop` panics

#[test]
fn panic_payload_drop_panics_and_the_future_fails_saying_so_on_a_surviving_worker() {
    quiet();
    let executor = single_worker();
    let future = submit_call(&executor, || -> u8 { panic::panic_any(PanickyPayload) }).unwrap();
    settle(&executor, &future);
    assert_eq!(future.state().get(), Failed);
    let message = future.error().unwrap().panic_message().unwrap();
    assert_eq!(
        message,
        "non-string panic payload, whose Drop panicked: hardening: the payload's drop"
    );
    assert_worker_alive(&executor, None);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn panic_payload_drop_panics_with_a_payload_that_is_not_text_and_the_future_still_fails() {
    quiet();
    let executor = single_worker();
    let (thread_tx, thread_rx) = mpsc::channel();
    let future = submit_call(&executor, move || -> u8 {
        thread_tx.send(thread::current().id()).unwrap();
        panic::panic_any(NestedPayload)
    })
    .unwrap();
    settle(&executor, &future);
    assert_eq!(future.state().get(), Failed);
    assert_eq!(
        future.error().unwrap().panic_message(),
        Some("non-string panic payload, whose Drop panicked: non-string panic payload")
    );
    let worker = thread_rx.recv_timeout(TEST_TIMEOUT).unwrap();
    assert_worker_alive(&executor, Some(worker));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn panic_payload_drop_panics_in_a_custom_task_type_and_stop_still_completes() {
    quiet();

    struct Exploding;
    impl BackgroundTask for Exploding {
        type Message = Infallible;
        type Output = ();
        type Error = Infallible;
        fn run(self, _: &TaskContext<'_, Infallible>) -> Result<(), Infallible> {
            panic::panic_any(PanickyPayload)
        }
    }

    let executor = single_worker();
    let futures: Vec<_> = (0..3)
        .map(|_| {
            executor
                .submit((CallHandler::<()>::default(), Exploding))
                .unwrap()
        })
        .collect();
    for future in &futures {
        settle(&executor, future);
        assert_eq!(future.state().get(), Failed);
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
}

// ---------------------------------------------------------------------------------------------
// A task's result (value or error) dropped on the worker, whose `Drop` panics

/// An executor on a [`Gated`] pool, the gate, and the pool's reports.
fn gated_executor() -> (TraitsExecutor, Sender<()>, Receiver<bool>) {
    let (open, gate) = mpsc::channel();
    let (survived_tx, survived) = mpsc::channel();
    let pool = Gated {
        gate: Arc::new(Mutex::new(Some(gate))),
        survived: Mutex::new(survived_tx),
    };
    let executor = TraitsExecutor::builder()
        .worker_pool(Arc::new(pool))
        .build()
        .unwrap();
    (executor, open, survived)
}

#[test]
fn result_value_drop_panics_on_the_worker_when_its_future_is_gone_and_no_panic_escapes_the_job() {
    quiet();
    let (executor, open, survived) = gated_executor();
    let (release_tx, release) = mpsc::channel::<()>();
    let future = submit_call(&executor, move || {
        let _ = release.recv();
        PanicOnDrop("a returned value nobody will read")
    })
    .unwrap();
    open.send(()).unwrap();
    executor
        .run_until(|| future.state().get() == Executing, Some(TEST_TIMEOUT))
        .unwrap();
    // Nobody keeps the future: the value is left in the task's cell, for the worker to drop.
    drop(future);
    drop(executor);
    release_tx.send(()).unwrap();
    assert!(
        survived.recv_timeout(TEST_TIMEOUT).unwrap(),
        "the value's panicking Drop is caught on the worker"
    );
}

#[test]
fn result_error_drop_panics_on_the_worker_when_its_future_is_gone_and_no_panic_escapes_the_job() {
    quiet();
    let (executor, open, survived) = gated_executor();
    let (release_tx, release) = mpsc::channel::<()>();
    let future = submit_try_call(&executor, move || -> Result<(), PanicOnDrop> {
        let _ = release.recv();
        Err(PanicOnDrop("an error nobody will read"))
    })
    .unwrap();
    open.send(()).unwrap();
    executor
        .run_until(|| future.state().get() == Executing, Some(TEST_TIMEOUT))
        .unwrap();
    drop(future);
    drop(executor);
    release_tx.send(()).unwrap();
    assert!(survived.recv_timeout(TEST_TIMEOUT).unwrap());
}

// ---------------------------------------------------------------------------------------------
// A custom pool whose `execute` panics: documented to resume out of `submit`, with no task left

/// A pool whose `execute` panics, dropping the job as it unwinds.
struct PanicsOnExecute;

impl WorkerPool for PanicsOnExecute {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        let _job = job;
        panic!("{MARK} the pool's execute");
    }
}

#[test]
fn pool_execute_panic_resumes_out_of_submit_and_leaves_no_task_in_the_router() {
    quiet();
    let executor = TraitsExecutor::builder()
        .worker_pool(Arc::new(PanicsOnExecute))
        .build()
        .unwrap();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| submit_call(&executor, || 1)));
    assert!(
        outcome.is_err(),
        "submit documents that the pool's panic resumes"
    );
    assert_eq!(executor.running_tasks(), 0, "no task is left in the router");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
}
