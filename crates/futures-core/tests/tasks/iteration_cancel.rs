//! Background iteration, cancelled: no item is delivered after a cancel, the task stops pulling,
//! the iterator (or an unstarted factory) is dropped before the future is done, a cancelled
//! generator's `send` fails: behaviour.md section C (c34–c39, c41). What an iteration delivers
//! when it is not cancelled is in `iteration_delivery.rs`.
//!
//! Synchronisation with the worker uses channels only: a worker that must wait blocks on an
//! `mpsc` receive that the test controls, and tells the test where it is through another
//! channel. No test sleeps.

use std::cell::Cell;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use traits_core::ObserverGuard;
use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_generator, submit_iteration, FutureProperty, FutureState, NotAvailable,
    TaskCancelled, TraitsExecutor,
};

use FutureState::{Cancelled, Cancelling, Executing, Waiting};

/// Sets its flag when dropped: proves that the owner's cleanup ran.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// An executor whose only worker is busy until the returned sender sends (or is dropped).
/// Returns once the blocking call is known to be running.
fn busy_single_worker_executor() -> (
    TraitsExecutor,
    traits_futures::CallFuture<bool>,
    mpsc::Sender<()>,
) {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (release, released) = mpsc::channel::<()>();
    let blocker = submit_call(&executor, move || released.recv().is_ok()).unwrap();
    executor
        .run_until(|| blocker.state().get() == Executing, Some(TEST_TIMEOUT))
        .unwrap();
    (executor, blocker, release)
}

/// The drop flag's value at the moment the future became done (`None` until then).
fn flag_when_done(
    done: FutureProperty<bool>,
    dropped: &Arc<AtomicBool>,
) -> (Rc<Cell<Option<bool>>>, ObserverGuard) {
    let flag = Rc::new(Cell::new(None));
    let guard = done.observe({
        let flag = Rc::clone(&flag);
        let dropped = Arc::clone(dropped);
        move |_, done| {
            if *done {
                flag.set(Some(dropped.load(Ordering::SeqCst)));
            }
        }
    });
    (flag, guard)
}

#[test]
fn c34_cancel_after_the_task_ran_but_before_any_dispatch_gives_no_items() {
    let executor = TraitsExecutor::new();
    let (finished_tx, finished_rx) = mpsc::channel::<()>();
    let future = submit_iteration(&executor, move || {
        // The sender lives in the iterator: it is dropped (disconnecting the channel) once the
        // task has pulled every item and dropped the iterator.
        (0..5u32).inspect(move |_| {
            let _owned = &finished_tx;
        })
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let items = Recorder::event(future.items());
    assert_eq!(
        finished_rx.recv_timeout(TEST_TIMEOUT),
        Err(mpsc::RecvTimeoutError::Disconnected),
        "the iteration should have run to its end in the background"
    );
    // Every item is now queued; none was dispatched.
    assert_eq!(future.state().get(), Waiting);
    assert!(future.cancellable().get());
    assert!(future.cancel());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert!(items.is_empty());
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
    assert_eq!(future.error(), Err(NotAvailable::NoError(Cancelled)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c34_cancel_immediately_after_submit_gives_no_items() {
    let executor = TraitsExecutor::new();
    let future = submit_iteration(&executor, || 0..100u32).unwrap();
    let states = Recorder::observable(future.state());
    let items = Recorder::event(future.items());
    assert!(future.cancel());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert!(items.is_empty());
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c35_cancel_after_first_item_delivers_no_later_item() {
    let executor = TraitsExecutor::new();
    let (gate1_tx, gate1_rx) = mpsc::channel::<()>();
    let (gate2_tx, gate2_rx) = mpsc::channel::<()>();
    let (sent_tx, sent_rx) = mpsc::channel::<()>();
    let future = submit_iteration(&executor, move || {
        let mut n = 0u32;
        std::iter::from_fn(move || {
            match n {
                // item 1 waits for the test to have seen item 0
                1 => gate1_rx.recv().ok()?,
                // items 1..=3 have been sent: tell the test, then wait for its cancel
                4 => {
                    sent_tx.send(()).ok()?;
                    gate2_rx.recv().ok()?;
                }
                10.. => return None,
                _ => {}
            }
            n += 1;
            Some(n - 1)
        })
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let items = Recorder::event(future.items());

    executor
        .run_until(|| !items.is_empty(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(items.values(), [0]);
    gate1_tx.send(()).unwrap();
    // Items 1, 2 and 3 are now queued, not yet dispatched.
    sent_rx.recv_timeout(TEST_TIMEOUT).unwrap();
    assert!(future.cancel());
    // The iterator goes on producing after the cancel.
    let _ = gate2_tx.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(items.values(), [0]);
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(items.values(), [0]);
}

#[test]
fn c36_cancel_after_the_last_item_ends_cancelled_not_completed() {
    let executor = TraitsExecutor::new();
    let future = submit_iteration(&executor, || 0..3u32).unwrap();
    let states = Recorder::observable(future.state());
    let items = Recorder::event(future.items());
    executor
        .run_until(|| items.len() == 3, Some(TEST_TIMEOUT))
        .unwrap();
    // The iteration has (or will have) returned, but its return is not dispatched yet.
    assert_eq!(future.state().get(), Executing);
    assert!(future.cancel());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(items.values(), [0, 1, 2]);
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c37_cancel_while_every_worker_is_busy_gives_no_items_and_never_runs() {
    let (executor, blocker, release) = busy_single_worker_executor();
    let factory_ran = Arc::new(AtomicBool::new(false));
    let pulled = Arc::new(AtomicUsize::new(0));
    let future = submit_iteration(&executor, {
        let factory_ran = Arc::clone(&factory_ran);
        let pulled = Arc::clone(&pulled);
        move || {
            factory_ran.store(true, Ordering::SeqCst);
            (0..3u32).inspect(move |_| {
                pulled.fetch_add(1, Ordering::SeqCst);
            })
        }
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let items = Recorder::event(future.items());
    assert!(future.cancel());
    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(
            || future.done().get() && blocker.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();

    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert!(items.is_empty());
    assert!(!factory_ran.load(Ordering::SeqCst), "the factory ran");
    assert_eq!(pulled.load(Ordering::SeqCst), 0);
    assert_eq!(blocker.result(), Ok(&true));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// An endless iterator that counts its pulls. Pull 0 yields at once; every later pull first
/// reports that it started (on `entered`), then waits for a token on `gate`.
struct GatedEndless {
    pulls: Arc<AtomicUsize>,
    entered: mpsc::Sender<usize>,
    gate: mpsc::Receiver<()>,
}

impl Iterator for GatedEndless {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        let pull = self.pulls.fetch_add(1, Ordering::SeqCst);
        if pull > 0 {
            let _ = self.entered.send(pull);
            self.gate.recv().ok()?;
        }
        Some(pull)
    }
}

#[test]
fn c38_after_a_cancel_the_task_stops_pulling_items() {
    let executor = TraitsExecutor::new();
    let pulls = Arc::new(AtomicUsize::new(0));
    let (entered_tx, entered_rx) = mpsc::channel();
    let (gate_tx, gate_rx) = mpsc::channel();
    let future = submit_iteration(&executor, {
        let pulls = Arc::clone(&pulls);
        move || GatedEndless {
            pulls,
            entered: entered_tx,
            gate: gate_rx,
        }
    })
    .unwrap();
    let items = Recorder::event(future.items());
    executor
        .run_until(|| !items.is_empty(), Some(TEST_TIMEOUT))
        .unwrap();
    // The second pull is in progress (blocked on the gate) when the cancel happens.
    assert_eq!(entered_rx.recv_timeout(TEST_TIMEOUT), Ok(1));
    assert!(future.cancel());
    // Let the second pull finish, and offer tokens for many more: an endless iterator whose
    // pulls would now succeed at once.
    let _ = gate_tx.send(()); // (gone if the task was cancelled before it started)
    for _ in 0..10 {
        // The task may already have ended and dropped the gate; that is fine.
        let _ = gate_tx.send(());
    }
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    // The task has ended: no third pull ever started.
    assert_eq!(pulls.load(Ordering::SeqCst), 2);
    assert_eq!(entered_rx.try_recv(), Err(mpsc::TryRecvError::Disconnected));
    assert_eq!(items.values(), [0]);
    assert_eq!(future.state().get(), Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c39_on_cancel_the_iterator_is_dropped_before_the_future_is_done() {
    let executor = TraitsExecutor::new();
    let dropped = Arc::new(AtomicBool::new(false));
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let future = submit_iteration(&executor, {
        let dropped = Arc::clone(&dropped);
        move || {
            let flag = DropFlag(dropped);
            let mut n = 0u32;
            // Endless once the gate opens; only the cancel ends it.
            std::iter::from_fn(move || {
                let _owned = &flag;
                if n == 1 {
                    gate_rx.recv().ok()?;
                }
                n += 1;
                Some(n - 1)
            })
        }
    })
    .unwrap();
    let (flag_when_done, _guard) = flag_when_done(future.done(), &dropped);
    let items = Recorder::event(future.items());
    executor
        .run_until(|| !items.is_empty(), Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    assert_eq!(flag_when_done.get(), None);
    let _ = gate_tx.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(future.state().get(), Cancelled);
    assert_eq!(flag_when_done.get(), Some(true));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c39_cancelled_before_start_the_factory_and_its_captures_are_dropped_before_done() {
    let (executor, blocker, release) = busy_single_worker_executor();
    let dropped = Arc::new(AtomicBool::new(false));
    let future = submit_iteration(&executor, {
        let flag = DropFlag(Arc::clone(&dropped));
        move || {
            let _owned = flag;
            0..3u32
        }
    })
    .unwrap();
    let (flag_when_done, _guard) = flag_when_done(future.done(), &dropped);
    assert!(future.cancel());
    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(
            || future.done().get() && blocker.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();

    assert_eq!(future.state().get(), Cancelled);
    assert_eq!(flag_when_done.get(), Some(true));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c41_cancelled_generator_send_fails_and_the_future_ends_cancelled_without_result() {
    let executor = TraitsExecutor::new();
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let (outcome_tx, outcome_rx) = mpsc::channel();
    let future = submit_generator(&executor, move |items| {
        items.send(0u32)?;
        let _ = gate_rx.recv();
        let second = items.send(1);
        outcome_tx.send(second).unwrap();
        second?;
        Ok::<_, TaskCancelled>("finished")
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let items = Recorder::event(future.items());
    executor
        .run_until(|| !items.is_empty(), Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    let _ = gate_tx.send(()); // (gone if the task was cancelled before it started)
    assert_eq!(
        outcome_rx.recv_timeout(TEST_TIMEOUT),
        Ok(Err(TaskCancelled))
    );
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(items.values(), [0]);
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
    assert_eq!(future.error(), Err(NotAvailable::NoError(Cancelled)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
