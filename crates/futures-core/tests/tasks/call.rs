//! Behaviour section B: background calls through a real executor.
//!
//! Tests that need a busy or a blocked worker hold it with channels, never with sleeps; every
//! blocking receive has a generous timeout so that a broken library fails instead of hanging.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_try_call, CallFuture, FutureState, NotAvailable, TaskError, TraitsExecutor,
};

use FutureState::{Cancelled, Cancelling, Completed, Executing, Failed, Waiting};

fn executor(workers: usize) -> TraitsExecutor {
    TraitsExecutor::builder()
        .max_workers(workers)
        .build()
        .unwrap()
}

/// A value that counts its drops.
struct Token(Arc<AtomicUsize>);

impl Drop for Token {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A task that signals when its closure starts and then waits for `go`.
struct Gate {
    started: mpsc::Receiver<()>,
    go: mpsc::Sender<()>,
}

/// Makes a gate: the closure half calls `entered()` then `wait()`.
fn gate() -> (Gate, GateInside) {
    let (started_tx, started_rx) = mpsc::channel();
    let (go_tx, go_rx) = mpsc::channel();
    (
        Gate {
            started: started_rx,
            go: go_tx,
        },
        GateInside {
            started: started_tx,
            go: go_rx,
        },
    )
}

struct GateInside {
    started: mpsc::Sender<()>,
    go: mpsc::Receiver<()>,
}

impl GateInside {
    /// Signals that the closure runs, then waits to be released. Returns whether it was
    /// released (rather than timing out).
    fn pass(self) -> bool {
        self.started.send(()).unwrap();
        self.go.recv_timeout(TEST_TIMEOUT).is_ok()
    }
}

impl Gate {
    fn wait_entered(&self) {
        self.started
            .recv_timeout(TEST_TIMEOUT)
            .expect("the task's closure did not start");
    }
    fn release(&self) {
        self.go.send(()).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// b20

#[test]
fn b20_pow_2_3_gives_8_through_waiting_executing_completed() {
    let executor = executor(2);
    let future = submit_call(&executor, || 2u64.pow(3)).unwrap();
    let states = Recorder::observable(future.state());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(states.values(), [Waiting, Executing, Completed]);
    assert_eq!(future.result(), Ok(&8));
    assert_eq!(future.error(), Err(NotAvailable::NoError(Completed)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    // Shutdown does not disturb a finished future.
    assert_eq!(states.values(), [Waiting, Executing, Completed]);
    assert_eq!(future.result(), Ok(&8));
}

#[test]
fn b20_fallible_call_returning_ok_completes() {
    let executor = executor(1);
    let future: CallFuture<u64, String> = submit_try_call(&executor, || Ok(2u64.pow(3))).unwrap();
    let states = Recorder::observable(future.state());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(states.values(), [Waiting, Executing, Completed]);
    assert_eq!(future.result(), Ok(&8));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// b21

#[test]
fn b21_captured_arguments_reach_the_task_unchanged() {
    let executor = executor(2);
    let (base, exponent) = (3u64, 4u32);
    let text = String::from("naïve café ☕");
    let numbers = vec![-1i64, 0, i64::MAX, i64::MIN];
    let pair = (Some(1.5f64), None::<u8>);
    let future = submit_call(&executor, {
        let (text, numbers) = (text.clone(), numbers.clone());
        move || (base.pow(exponent), base, exponent, text, numbers, pair)
    })
    .unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        future.result(),
        Ok(&(81, base, exponent, text, numbers, pair))
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b21_captured_values_are_moved_not_copied() {
    let executor = executor(1);
    let boxed = Box::new([7u8; 64]);
    let address = boxed.as_ptr() as usize;
    let future = submit_call(&executor, move || {
        let seen_inside = boxed.as_ptr() as usize;
        (seen_inside, boxed)
    })
    .unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    let (seen_inside, boxed) = future.result().unwrap();
    assert_eq!(*seen_inside, address, "the task saw a copy");
    assert_eq!(boxed.as_ptr() as usize, address, "the result is a copy");
    assert_eq!(**boxed, [7u8; 64]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// b22

#[test]
fn b22_panicking_task_fails_with_its_panic_message() {
    let executor = executor(1);
    let future = submit_call(&executor, || -> u32 { panic!("b22: the task gave up") }).unwrap();
    let states = Recorder::observable(future.state());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Failed)));
    let error = future.error().unwrap();
    assert_eq!(
        error,
        &TaskError::Panicked("b22: the task gave up".to_string())
    );
    assert_eq!(error.panic_message(), Some("b22: the task gave up"));
    assert!(
        error.to_string().contains("b22: the task gave up"),
        "{error}"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b22_formatted_panic_message_reaches_the_error() {
    let executor = executor(1);
    let index = 17;
    let future = submit_call(&executor, move || -> u32 {
        panic!("b22: index {index} out of range")
    })
    .unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Failed);
    assert_eq!(
        future.error().unwrap().panic_message(),
        Some("b22: index 17 out of range")
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[derive(Debug, Clone, PartialEq)]
enum LookupError {
    NotFound { key: String },
    Forbidden(u16),
}

#[test]
fn b22_fallible_task_error_arrives_typed() {
    let executor = executor(1);
    let future = submit_try_call(&executor, || -> Result<u32, LookupError> {
        Err(LookupError::NotFound {
            key: "answer".into(),
        })
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Failed)));
    match future.error() {
        Ok(TaskError::Error(LookupError::NotFound { key })) => assert_eq!(key, "answer"),
        other => panic!("expected the task's own error, got {other:?}"),
    }
    assert_eq!(future.error().unwrap().panic_message(), None);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b22_fallible_task_std_error_arrives_typed() {
    let executor = executor(1);
    let future = submit_try_call(&executor, || "not a number".parse::<u32>()).unwrap();
    let other = submit_try_call(&executor, || Err::<(), _>(LookupError::Forbidden(403))).unwrap();
    executor
        .run_until(
            || future.done().get() && other.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    let parse_error = future.error().unwrap().as_error().unwrap();
    assert_eq!(parse_error, &"not a number".parse::<u32>().unwrap_err());
    assert_eq!(
        other.error(),
        Ok(&TaskError::Error(LookupError::Forbidden(403)))
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// b23

#[test]
fn b23_cancel_after_the_task_ran_but_before_dispatch() {
    // One worker: once the marker task runs, the first task's job has fully finished, so its
    // `Started` and `Returned` are queued but not dispatched.
    let executor = executor(1);
    let ran = Arc::new(AtomicBool::new(false));
    let drops = Arc::new(AtomicUsize::new(0));
    let future = submit_call(&executor, {
        let (ran, drops) = (ran.clone(), drops.clone());
        move || {
            ran.store(true, Ordering::SeqCst);
            Token(drops)
        }
    })
    .unwrap();
    let (marker_tx, marker_rx) = mpsc::channel();
    let marker = submit_call(&executor, move || marker_tx.send(()).unwrap()).unwrap();
    marker_rx.recv_timeout(TEST_TIMEOUT).unwrap();
    assert!(ran.load(Ordering::SeqCst), "the task has run");

    let states = Recorder::observable(future.state());
    assert_eq!(future.state().get(), Waiting);
    assert!(future.cancellable().get());
    assert!(future.cancel());
    assert_eq!(future.state().get(), Cancelling);
    executor
        .run_until(
            || future.done().get() && marker.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert_eq!(
        future.result().err(),
        Some(NotAvailable::NoResult(Cancelled))
    );
    assert_eq!(future.error().err(), Some(NotAvailable::NoError(Cancelled)));
    // The returned value was discarded, not kept.
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(marker.state().get(), Completed);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
}

#[test]
fn b23_cancel_after_the_task_failed_but_before_dispatch() {
    let executor = executor(1);
    let future = submit_call(&executor, || -> u32 {
        panic!("b23: failed in the background")
    })
    .unwrap();
    let (marker_tx, marker_rx) = mpsc::channel();
    let marker = submit_call(&executor, move || marker_tx.send(()).unwrap()).unwrap();
    marker_rx.recv_timeout(TEST_TIMEOUT).unwrap();

    let states = Recorder::observable(future.state());
    assert!(future.cancellable().get());
    assert!(future.cancel());
    executor
        .run_until(
            || future.done().get() && marker.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert!(future.result().is_err());
    assert!(future.error().is_err());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// b24

#[test]
fn b24_cancel_while_workers_busy_never_runs() {
    let executor = executor(1);
    let (blocker_gate, inside) = gate();
    let blocker = submit_call(&executor, move || inside.pass()).unwrap();
    blocker_gate.wait_entered();

    let ran = Arc::new(AtomicBool::new(false));
    let future = submit_call(&executor, {
        let ran = ran.clone();
        move || ran.store(true, Ordering::SeqCst)
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    assert!(future.cancel());
    assert_eq!(future.state().get(), Cancelling);
    blocker_gate.release();
    executor
        .run_until(
            || future.done().get() && blocker.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert!(future.result().is_err());
    assert!(future.error().is_err());
    assert_eq!(blocker.result(), Ok(&true), "the blocker was not released");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert!(!ran.load(Ordering::SeqCst), "a cancelled call ran");
}

#[test]
fn b24_cancel_while_all_of_several_workers_are_busy_never_runs() {
    const WORKERS: usize = 3;
    let executor = executor(WORKERS);
    let mut gates = Vec::new();
    let mut blockers = Vec::new();
    for _ in 0..WORKERS {
        let (gate, inside) = gate();
        blockers.push(submit_call(&executor, move || inside.pass()).unwrap());
        gates.push(gate);
    }
    for gate in &gates {
        gate.wait_entered();
    }

    let ran = Arc::new(AtomicUsize::new(0));
    let futures: Vec<_> = (0..4)
        .map(|_| {
            let ran = ran.clone();
            submit_call(&executor, move || ran.fetch_add(1, Ordering::SeqCst)).unwrap()
        })
        .collect();
    let recorders: Vec<_> = futures
        .iter()
        .map(|f| Recorder::observable(f.state()))
        .collect();
    for future in &futures {
        assert!(future.cancel());
    }
    for gate in &gates {
        gate.release();
    }
    executor
        .run_until(
            || futures.iter().all(|f| f.done().get()) && blockers.iter().all(|b| b.done().get()),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    for states in &recorders {
        assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    }
    for blocker in &blockers {
        assert_eq!(blocker.result(), Ok(&true));
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(ran.load(Ordering::SeqCst), 0, "a cancelled call ran");
}

// ---------------------------------------------------------------------------------------------
// b25, b26

/// Submits a gated call, runs the loop until it is Executing, and cancels it.
fn cancelled_while_executing<T: Send + 'static>(
    executor: &TraitsExecutor,
    body: impl FnOnce() -> T + Send + 'static,
) -> (CallFuture<T>, Recorder<FutureState>, Gate) {
    let (gate, inside) = gate();
    let future = submit_call(executor, move || {
        inside.pass();
        body()
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    gate.wait_entered();
    executor
        .run_until(|| future.state().get() == Executing, Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    assert_eq!(future.state().get(), Cancelling);
    (future, states, gate)
}

#[test]
fn b25_cancel_while_executing_then_returns() {
    let executor = executor(1);
    let drops = Arc::new(AtomicUsize::new(0));
    let (future, states, gate) = cancelled_while_executing(&executor, {
        let drops = drops.clone();
        move || Token(drops)
    });
    assert_eq!(drops.load(Ordering::SeqCst), 0);
    gate.release();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    assert_eq!(
        future.result().err(),
        Some(NotAvailable::NoResult(Cancelled))
    );
    assert_eq!(future.error().err(), Some(NotAvailable::NoError(Cancelled)));
    // The task did return: its value reached the main thread and was dropped there.
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b26_cancel_while_executing_then_panics() {
    let executor = executor(1);
    let (future, states, gate) =
        cancelled_while_executing(&executor, || -> u32 { panic!("b26: failed after cancel") });
    gate.release();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
    assert_eq!(future.error(), Err(NotAvailable::NoError(Cancelled)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b26_cancel_while_executing_then_returns_err() {
    let executor = executor(1);
    let (gate, inside) = gate();
    let future = submit_try_call(&executor, move || -> Result<u32, LookupError> {
        inside.pass();
        Err(LookupError::Forbidden(401))
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    gate.wait_entered();
    executor
        .run_until(|| future.state().get() == Executing, Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    gate.release();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
    assert_eq!(future.error(), Err(NotAvailable::NoError(Cancelled)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// b27

#[test]
fn b27_cancel_after_completed_is_refused_and_changes_nothing() {
    let executor = executor(1);
    let future = submit_call(&executor, || 2u64.pow(3)).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Completed);
    let states = Recorder::observable(future.state());
    let cancellable = Recorder::derived(future.cancellable());
    let done = Recorder::derived(future.done());
    assert!(!future.cancellable().get());
    assert!(!future.cancel());
    assert!(!future.cancel());
    assert_eq!(states.values(), [Completed]);
    assert_eq!(cancellable.values(), [false]);
    assert_eq!(done.values(), [true]);
    assert_eq!(future.result(), Ok(&8));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(states.values(), [Completed]);
    assert_eq!(future.result(), Ok(&8));
}

#[test]
fn b27_cancel_after_failed_is_refused_and_changes_nothing() {
    let executor = executor(1);
    let future = submit_call(&executor, || -> u64 { panic!("b27: failed") }).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Failed);
    let states = Recorder::observable(future.state());
    let cancellable = Recorder::derived(future.cancellable());
    let done = Recorder::derived(future.done());
    assert!(!future.cancellable().get());
    assert!(!future.cancel());
    assert_eq!(states.values(), [Failed]);
    assert_eq!(cancellable.values(), [false]);
    assert_eq!(done.values(), [true]);
    assert_eq!(future.error().unwrap().panic_message(), Some("b27: failed"));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(states.values(), [Failed]);
}

// ---------------------------------------------------------------------------------------------
// b28

#[test]
fn b28_first_cancel_while_waiting_returns_true_and_is_cancelling_at_once_second_false() {
    let executor = executor(1);
    let (blocker_gate, inside) = gate();
    let blocker = submit_call(&executor, move || inside.pass()).unwrap();
    blocker_gate.wait_entered();
    let future = submit_call(&executor, || 1).unwrap();
    let states = Recorder::observable(future.state());
    let cancellable = Recorder::derived(future.cancellable());

    assert!(future.cancel());
    // Synchronous: observers already heard it when cancel() returned.
    assert_eq!(states.values(), [Waiting, Cancelling]);
    assert_eq!(cancellable.values(), [true, false]);
    assert!(!future.cancel());
    assert_eq!(states.values(), [Waiting, Cancelling]);

    blocker_gate.release();
    executor
        .run_until(
            || future.done().get() && blocker.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert!(!future.cancel());
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b28_first_cancel_while_executing_returns_true_and_is_cancelling_at_once_second_false() {
    let executor = executor(1);
    let (gate, inside) = gate();
    let future = submit_call(&executor, move || inside.pass()).unwrap();
    let states = Recorder::observable(future.state());
    gate.wait_entered();
    executor
        .run_until(|| future.state().get() == Executing, Some(TEST_TIMEOUT))
        .unwrap();

    assert!(future.cancel());
    assert_eq!(states.values(), [Waiting, Executing, Cancelling]);
    assert!(!future.cancellable().get());
    assert!(!future.cancel());
    assert_eq!(states.values(), [Waiting, Executing, Cancelling]);

    gate.release();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
