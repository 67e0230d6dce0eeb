//! The stop order (issue 22, section 2): `stop()` cancels every future first, then announces
//! `Stopping`, as the original does. Observers of `Stopping` (and of `running` turning false)
//! therefore see every future already cancelled, and a `shutdown()` called from one of them
//! completes. Observers of the cancellations themselves run before `Stopping`, yet the executor
//! already refuses work from them (an internal flag set before the cancels).
//!
//! Tasks here end only when cancelled, so a stop that did not cancel them first leaves a nested
//! `shutdown` waiting until its timeout.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use traits_core::ObserverGuard;
use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_generator, ExecutorState, FutureState, IterationFuture, ShutdownError,
    StopError, SubmitError, TaskCancelled, TaskContext, TraitsExecutor,
};

type Endless = IterationFuture<u8, (), TaskCancelled>;

/// A task that sends nothing and ends only once cancelled; `started` signals when a worker runs
/// it.
fn until_cancelled(executor: &TraitsExecutor) -> (Endless, Receiver<()>) {
    let (started_tx, started) = mpsc::channel();
    let future = submit_generator(executor, move |items: &TaskContext<'_, u8>| {
        let _ = started_tx.send(());
        while !items.cancelled() {
            // The task's own polling of its cancel flag, not the test's synchronisation.
            thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    })
    .expect("a running executor accepts tasks");
    (future, started)
}

/// One executing task that ends only when cancelled, and one waiting behind it (one worker).
fn executing_and_waiting() -> (TraitsExecutor, Endless, Endless) {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (executing, started) = until_cancelled(&executor);
    let (waiting, _) = until_cancelled(&executor);
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    executor
        .run_until(
            || executing.state().get() == FutureState::Executing,
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(waiting.state().get(), FutureState::Waiting);
    (executor, executing, waiting)
}

fn states(futures: &[&Endless]) -> Vec<FutureState> {
    futures.iter().map(|f| f.state().get()).collect()
}

#[test]
fn observers_of_stopping_see_every_future_already_cancelled() {
    let (executor, executing, waiting) = executing_and_waiting();
    let seen_at_stopping = Rc::new(RefCell::new(Vec::new()));
    let seen_at_not_running = Rc::new(RefCell::new(Vec::new()));
    let _stopping = executor.state().observe({
        let seen = Rc::clone(&seen_at_stopping);
        let (executing, waiting) = (executing.clone(), waiting.clone());
        move |_, new| {
            if *new == ExecutorState::Stopping {
                seen.borrow_mut().push(states(&[&executing, &waiting]));
            }
        }
    });
    let _not_running = executor.running().observe({
        let seen = Rc::clone(&seen_at_not_running);
        let (executing, waiting) = (executing.clone(), waiting.clone());
        move |_, running| {
            if !*running {
                seen.borrow_mut().push(states(&[&executing, &waiting]));
            }
        }
    });

    executor.stop().unwrap();
    let cancelled = vec![FutureState::Cancelling, FutureState::Cancelling];
    assert_eq!(*seen_at_stopping.borrow(), [cancelled]);
    assert_eq!(*seen_at_not_running.borrow(), *seen_at_stopping.borrow());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(states(&[&executing, &waiting]), [FutureState::Cancelled; 2]);
}

#[test]
fn every_cancellation_is_announced_before_stopping() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (executing, started) = until_cancelled(&executor);
    let waiting: Vec<_> = (0..3).map(|_| until_cancelled(&executor).0).collect();
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let _futures: Vec<ObserverGuard> = std::iter::once(&executing)
        .chain(&waiting)
        .enumerate()
        .map(|(index, future)| {
            let log = Rc::clone(&log);
            future.state().observe(move |_, new| {
                if *new == FutureState::Cancelling {
                    log.borrow_mut().push(format!("future {index} cancelled"));
                }
            })
        })
        .collect();
    let _executor = executor.state().observe({
        let log = Rc::clone(&log);
        move |_, new| log.borrow_mut().push(format!("executor {new}"))
    });

    executor.stop().unwrap();
    let log = log.borrow().clone();
    assert_eq!(log.len(), 5, "{log:?}");
    assert!(
        log[..4].iter().all(|entry| entry.ends_with("cancelled")),
        "every future is cancelled before Stopping is announced: {log:?}"
    );
    assert_eq!(log[4], "executor Stopping");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn shutdown_from_an_observer_of_stopping_completes() {
    let (executor, executing, waiting) = executing_and_waiting();
    let nested = Rc::new(RefCell::new(None));
    let _guard = executor.state().observe({
        let (executor, nested) = (executor.clone(), Rc::clone(&nested));
        move |_, new| {
            if *new == ExecutorState::Stopping {
                *nested.borrow_mut() = Some(executor.shutdown(Some(TEST_TIMEOUT)));
            }
        }
    });

    executor.stop().unwrap();
    assert_eq!(*nested.borrow(), Some(Ok::<(), ShutdownError>(())));
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert_eq!(states(&[&executing, &waiting]), [FutureState::Cancelled; 2]);
}

#[test]
fn shutdown_from_an_observer_of_running_turning_false_completes() {
    let (executor, executing, waiting) = executing_and_waiting();
    let nested = Rc::new(RefCell::new(None));
    let _guard = executor.running().observe({
        let (executor, nested) = (executor.clone(), Rc::clone(&nested));
        move |_, running| {
            if !*running {
                *nested.borrow_mut() = Some(executor.shutdown(Some(TEST_TIMEOUT)));
            }
        }
    });

    executor.stop().unwrap();
    assert_eq!(*nested.borrow(), Some(Ok::<(), ShutdownError>(())));
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert_eq!(states(&[&executing, &waiting]), [FutureState::Cancelled; 2]);
}

#[test]
fn shutdown_from_an_observer_of_a_cancellation_completes() {
    let (executor, executing, waiting) = executing_and_waiting();
    let states_seen = Recorder::observable(executor.state());
    let nested = Rc::new(RefCell::new(Vec::new()));
    // On both futures, so that the outcome does not depend on which is cancelled first; only
    // the first cancellation shuts down.
    let _guards: Vec<_> = [&executing, &waiting]
        .into_iter()
        .map(|future| {
            let (executor, nested) = (executor.clone(), Rc::clone(&nested));
            future.state().observe(move |_, new| {
                if *new == FutureState::Cancelling && nested.borrow().is_empty() {
                    nested.borrow_mut().push(None);
                    let outcome = executor.shutdown(Some(TEST_TIMEOUT));
                    nested.borrow_mut()[0] = Some(outcome);
                }
            })
        })
        .collect();

    executor.stop().unwrap();
    assert_eq!(*nested.borrow(), [Some(Ok::<(), ShutdownError>(()))]);
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert_eq!(states(&[&executing, &waiting]), [FutureState::Cancelled; 2]);
    // Each state once, in order, though the stop was finished by the nested shutdown.
    assert_eq!(
        states_seen.values(),
        [
            ExecutorState::Running,
            ExecutorState::Stopping,
            ExecutorState::Stopped
        ]
    );
}

#[test]
fn a_cancellation_observer_that_panics_still_lets_stopping_observers_see_every_future_cancelled() {
    let (executor, executing, waiting) = executing_and_waiting();
    let _bombs: Vec<_> = [&executing, &waiting]
        .into_iter()
        .map(|future| {
            future.state().observe(|_, new| {
                if *new == FutureState::Cancelling {
                    panic!("observer exploded on Cancelling");
                }
            })
        })
        .collect();
    let seen_at_stopping = Rc::new(RefCell::new(Vec::new()));
    let _stopping = executor.state().observe({
        let seen = Rc::clone(&seen_at_stopping);
        let (executing, waiting) = (executing.clone(), waiting.clone());
        move |_, new| {
            if *new == ExecutorState::Stopping {
                seen.borrow_mut().push(states(&[&executing, &waiting]));
            }
        }
    });

    let outcome = panic::catch_unwind(AssertUnwindSafe(|| executor.stop()));
    assert!(outcome.is_err(), "the observer's panic resumes out of stop");
    assert_eq!(executor.state().get(), ExecutorState::Stopping);
    assert_eq!(
        *seen_at_stopping.borrow(),
        [vec![FutureState::Cancelling, FutureState::Cancelling]]
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn submit_from_an_observer_of_a_cancellation_is_refused_and_never_runs() {
    let (executor, executing, waiting) = executing_and_waiting();
    let ran = Arc::new(AtomicBool::new(false));
    let refusals = Rc::new(RefCell::new(Vec::new()));
    let _guards: Vec<_> = [&executing, &waiting]
        .into_iter()
        .map(|future| {
            let (executor, ran, refusals) =
                (executor.clone(), Arc::clone(&ran), Rc::clone(&refusals));
            future.state().observe(move |_, new| {
                if *new == FutureState::Cancelling {
                    let ran = Arc::clone(&ran);
                    let submitted =
                        submit_call(&executor, move || ran.store(true, Ordering::SeqCst));
                    refusals.borrow_mut().push(submitted.err());
                }
            })
        })
        .collect();

    executor.stop().unwrap();
    assert_eq!(
        *refusals.borrow(),
        [Some(SubmitError::NotRunning(ExecutorState::Stopping)); 2]
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(executor.running_tasks(), 0);
}

#[test]
fn stop_from_an_observer_of_a_cancellation_is_refused_and_stops_once() {
    let (executor, executing, waiting) = executing_and_waiting();
    let states_seen = Recorder::observable(executor.state());
    let nested = Rc::new(RefCell::new(Vec::new()));
    let _guards: Vec<_> = [&executing, &waiting]
        .into_iter()
        .map(|future| {
            let (executor, nested) = (executor.clone(), Rc::clone(&nested));
            future.state().observe(move |_, new| {
                if *new == FutureState::Cancelling {
                    nested.borrow_mut().push(executor.stop());
                }
            })
        })
        .collect();

    executor.stop().unwrap();
    assert_eq!(
        *nested.borrow(),
        [Err(StopError::NotRunning(ExecutorState::Stopping)); 2]
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(
        states_seen.values(),
        [
            ExecutorState::Running,
            ExecutorState::Stopping,
            ExecutorState::Stopped
        ]
    );
}

#[test]
fn with_no_task_left_stop_still_announces_stopping_then_stopped() {
    // A future that finished before the stop is not cancelled again; the order holds.
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let finished = submit_call(&executor, || 3).unwrap();
    executor
        .run_until(|| finished.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    let calls = Rc::new(Cell::new(0));
    let _guard = finished.state().observe({
        let calls = Rc::clone(&calls);
        move |_, _| calls.set(calls.get() + 1)
    });
    let states_seen = Recorder::observable(executor.state());
    executor.stop().unwrap();
    assert_eq!(calls.get(), 0);
    assert_eq!(finished.result(), Ok(&3));
    assert_eq!(
        states_seen.values(),
        [
            ExecutorState::Running,
            ExecutorState::Stopping,
            ExecutorState::Stopped
        ]
    );
}
