//! Issue 22, section 4: nothing is delivered after `cancel()`, even re-entrantly. Cancel-first
//! (b28, c35, d56) must hold when an observer runs the event loop from inside a notification:
//! messages such a nested loop dispatches while a handler is still handling an earlier message
//! of the same future wait for it, and are dropped if the future is cancelled meanwhile. For
//! every task type (iteration, progress, custom, detached) and every way to cancel (the
//! observer that nested, another observer, `stop()`, an observer run by the nested loop).
//!
//! Each scenario: the task sends its messages, tells the test, and waits at a gate, so that the
//! whole batch is queued before the first dispatch and the future is still cancellable when an
//! observer of its first message runs the nested loop.

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::rc::Rc;
use std::sync::mpsc;

use traits_core::Event;
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_generator, submit_progress, BackgroundTask, FutureHandler, FutureState,
    IterationFuture, IterationHandler, TaskCancelled, TaskContext, TaskFuture, TaskMessage,
    TraitsExecutor,
};

/// Values seen by an observer, each with whether `cancel()` (or `stop()`) had returned.
type Seen<T> = Rc<RefCell<Vec<(T, bool)>>>;

/// Records every value of `event`, noting whether `cancelled` was set when it arrived.
fn record<T: Clone + 'static>(
    event: &Event<T>,
    cancelled: &Rc<Cell<bool>>,
) -> (Seen<T>, traits_core::ObserverGuard) {
    let seen: Seen<T> = Rc::default();
    let guard = event.observe({
        let (seen, cancelled) = (seen.clone(), cancelled.clone());
        move |value| seen.borrow_mut().push((value.clone(), cancelled.get()))
    });
    (seen, guard)
}

/// The values seen after the cancel.
fn after_cancel<T: Clone>(seen: &Seen<T>) -> Vec<T> {
    seen.borrow()
        .iter()
        .filter(|(_, after)| *after)
        .map(|(value, _)| value.clone())
        .collect()
}

fn values<T: Clone>(seen: &Seen<T>) -> Vec<T> {
    seen.borrow()
        .iter()
        .map(|(value, _)| value.clone())
        .collect()
}

/// A generator that sends `0..count`, tells the test, then waits until `gate` is released (or
/// its sender dropped) and returns.
fn gated_generator(
    executor: &TraitsExecutor,
    count: u32,
) -> (
    IterationFuture<u32, (), TaskCancelled>,
    mpsc::Sender<()>,
    mpsc::Receiver<()>,
) {
    let (sent_tx, sent) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let future = submit_generator(executor, move |items| {
        for n in 0..count {
            items.send(n)?;
        }
        sent_tx.send(()).unwrap();
        let _ = gate.recv();
        Ok(())
    })
    .unwrap();
    (future, release, sent)
}

#[test]
fn c35_items_a_nested_dispatch_left_queued_are_not_delivered_after_cancel() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (future, release, sent) = gated_generator(&executor, 6);
    let cancelled = Rc::new(Cell::new(false));
    let (seen, _record) = record(future.items(), &cancelled);
    let _nest = future.items().observe({
        let (executor, future, cancelled) = (executor.clone(), future.clone(), cancelled.clone());
        move |n| {
            if *n == 0 {
                // Items 1..6 are dispatched here, inside the notification of item 0.
                assert!(executor.dispatch_pending() >= 5);
                assert!(future.cancel());
                cancelled.set(true);
                let _ = release.send(()); // (gone if the task was cancelled before it started)
            }
        }
    });
    sent.recv_timeout(TEST_TIMEOUT).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        after_cancel(&seen),
        Vec::<u32>::new(),
        "items after cancel()"
    );
    assert_eq!(values(&seen), [0]);
    assert_eq!(future.state().get(), FutureState::Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c35_a_cancel_by_a_later_observer_of_the_same_item_drops_what_a_nested_dispatch_queued() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (future, release, sent) = gated_generator(&executor, 4);
    let cancelled = Rc::new(Cell::new(false));
    let (seen, _record) = record(future.items(), &cancelled);
    // One observer runs the nested loop, the next one (registered after it) cancels.
    let _nest = future.items().observe({
        let executor = executor.clone();
        move |n| {
            if *n == 0 {
                executor.dispatch_pending();
            }
        }
    });
    let _cancel = future.items().observe({
        let (future, cancelled) = (future.clone(), cancelled.clone());
        move |n| {
            if *n == 0 {
                assert!(future.cancel());
                cancelled.set(true);
                let _ = release.send(()); // (gone if the task was cancelled before it started)
            }
        }
    });
    sent.recv_timeout(TEST_TIMEOUT).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        after_cancel(&seen),
        Vec::<u32>::new(),
        "items after cancel()"
    );
    assert_eq!(future.state().get(), FutureState::Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn d56_progress_a_nested_dispatch_left_queued_is_not_delivered_after_cancel() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (sent_tx, sent) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let future = submit_progress(&executor, move |reporter| {
        for percent in [0, 20, 40, 60, 80] {
            reporter.report(percent)?;
        }
        sent_tx.send(()).unwrap();
        let _ = gate.recv();
        Ok("finished")
    })
    .unwrap();
    let cancelled = Rc::new(Cell::new(false));
    let (seen, _record) = record(future.reports(), &cancelled);
    let _nest = future.reports().observe({
        let (executor, future, cancelled) = (executor.clone(), future.clone(), cancelled.clone());
        move |percent| {
            if *percent == 0 {
                executor.dispatch_pending();
                assert!(future.cancel());
                cancelled.set(true);
                let _ = release.send(()); // (gone if the task was cancelled before it started)
            }
        }
    });
    sent.recv_timeout(TEST_TIMEOUT).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        after_cancel(&seen),
        Vec::<i32>::new(),
        "reports after cancel()"
    );
    assert_eq!(values(&seen), [0]);
    assert_eq!(future.state().get(), FutureState::Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// A custom task type with two events: its messages alternate between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Beat {
    Tick(u32),
    Tock(u32),
}

#[derive(Default)]
struct Metronome {
    tick: Event<u32>,
    tock: Event<u32>,
}

impl FutureHandler for Metronome {
    type Message = Beat;
    type Output = ();
    type Error = Infallible;
    fn on_message(&self, beat: Beat) {
        match beat {
            Beat::Tick(n) => self.tick.fire(n),
            Beat::Tock(n) => self.tock.fire(n),
        }
    }
}

/// Sends `count` beats, tells the test, and waits at the gate.
struct Beats {
    count: u32,
    sent: mpsc::Sender<()>,
    gate: mpsc::Receiver<()>,
}

impl BackgroundTask for Beats {
    type Message = Beat;
    type Output = ();
    type Error = Infallible;
    fn run(self, context: &TaskContext<'_, Beat>) -> Result<(), Infallible> {
        for n in 0..self.count {
            let beat = if n % 2 == 0 {
                Beat::Tick(n)
            } else {
                Beat::Tock(n)
            };
            if context.send(beat).is_err() {
                break;
            }
        }
        self.sent.send(()).unwrap();
        let _ = self.gate.recv();
        Ok(())
    }
}

#[test]
fn b28_custom_messages_a_nested_dispatch_left_queued_are_not_delivered_after_cancel() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (sent_tx, sent) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let future: TaskFuture<Metronome> = executor
        .submit((
            Metronome::default(),
            Beats {
                count: 8,
                sent: sent_tx,
                gate,
            },
        ))
        .unwrap();
    let cancelled = Rc::new(Cell::new(false));
    let (ticks, _ticks) = record(&future.tick, &cancelled);
    let (tocks, _tocks) = record(&future.tock, &cancelled);
    // The nested loop runs from an observer of `tick`, and dispatches the rest of the batch
    // while `tick` is notifying; the cancel comes from an observer of `tock`, at the second
    // tock, after tick 2 was handled.
    let _nest = future.tick.observe({
        let executor = executor.clone();
        move |n| {
            if *n == 0 {
                executor.dispatch_pending();
            }
        }
    });
    let _cancel = future.tock.observe({
        let (future, cancelled) = (future.clone(), cancelled.clone());
        move |n| {
            if *n == 3 {
                assert!(future.cancel());
                cancelled.set(true);
                let _ = release.send(()); // (gone if the task was cancelled before it started)
            }
        }
    });
    sent.recv_timeout(TEST_TIMEOUT).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        after_cancel(&ticks),
        Vec::<u32>::new(),
        "ticks after cancel()"
    );
    assert_eq!(
        after_cancel(&tocks),
        Vec::<u32>::new(),
        "tocks after cancel()"
    );
    assert_eq!((values(&ticks), values(&tocks)), (vec![0, 2], vec![1, 3]));
    assert_eq!(future.state().get(), FutureState::Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn b28_a_detached_future_fed_from_its_own_observer_delivers_nothing_after_cancel() {
    let future: IterationFuture<u32> =
        IterationFuture::detached(IterationHandler::default(), || {});
    let cancelled = Rc::new(Cell::new(false));
    let (seen, _record) = record(future.items(), &cancelled);
    let _feed = future.items().observe({
        let (future, cancelled) = (future.clone(), cancelled.clone());
        move |n| {
            if *n == 1 {
                future.receive(TaskMessage::Custom(2)).unwrap();
                future.receive(TaskMessage::Custom(3)).unwrap();
                assert!(future.cancel());
                cancelled.set(true);
            }
        }
    });
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom(1)).unwrap();
    future.receive(TaskMessage::Returned(())).unwrap();
    assert_eq!(
        after_cancel(&seen),
        Vec::<u32>::new(),
        "items after cancel()"
    );
    assert_eq!(values(&seen), [1]);
    assert_eq!(future.state().get(), FutureState::Cancelled);
}

#[test]
fn c35_stop_from_an_observer_after_a_nested_dispatch_delivers_no_more_items() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (future, release, sent) = gated_generator(&executor, 5);
    let stopped = Rc::new(Cell::new(false));
    let (seen, _record) = record(future.items(), &stopped);
    let _nest = future.items().observe({
        let (executor, stopped) = (executor.clone(), stopped.clone());
        move |n| {
            if *n == 0 {
                executor.dispatch_pending();
                executor.stop().unwrap(); // cancels every future
                stopped.set(true);
                let _ = release.send(()); // (gone if the task was cancelled before it started)
            }
        }
    });
    sent.recv_timeout(TEST_TIMEOUT).unwrap();
    executor
        .run_until(|| executor.stopped().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(after_cancel(&seen), Vec::<u32>::new(), "items after stop()");
    assert_eq!(future.state().get(), FutureState::Cancelled);
}

#[test]
fn c35_a_cancel_from_an_observer_that_a_nested_loop_ran_drops_what_that_loop_queued() {
    let executor = TraitsExecutor::builder().max_workers(2).build().unwrap();
    let (future, release, sent) = gated_generator(&executor, 5);
    sent.recv_timeout(TEST_TIMEOUT).unwrap();
    // Another future whose messages are announced after the first one's items; its `done`
    // observer cancels the first future, from inside the nested loop.
    let (ran_tx, ran) = mpsc::channel();
    let other = submit_call(&executor, move || ran_tx.send(()).unwrap()).unwrap();
    ran.recv_timeout(TEST_TIMEOUT).unwrap();
    let cancelled = Rc::new(Cell::new(false));
    let _cancel_first = other.done().observe({
        let (future, cancelled) = (future.clone(), cancelled.clone());
        move |_, done| {
            if *done {
                assert!(future.cancel());
                cancelled.set(true);
                let _ = release.send(()); // (gone if the task was cancelled before it started)
            }
        }
    });
    let (seen, _record) = record(future.items(), &cancelled);
    let _nest = future.items().observe({
        let (executor, other) = (executor.clone(), other.clone());
        move |n| {
            if *n == 0 {
                executor
                    .run_until(|| other.done().get(), Some(TEST_TIMEOUT))
                    .unwrap();
            }
        }
    });
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert!(cancelled.get());
    assert_eq!(
        after_cancel(&seen),
        Vec::<u32>::new(),
        "items after cancel()"
    );
    assert_eq!(values(&seen), [0]);
    assert_eq!(future.state().get(), FutureState::Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// A handler that holds a borrow of its own state while it fires its event: calling it again
/// for the same future from inside that event's observers would panic ("already borrowed").
#[derive(Default)]
struct Ledger {
    entries: RefCell<Vec<u32>>,
    entry: Event<u32>,
}

impl FutureHandler for Ledger {
    type Message = u32;
    type Output = ();
    type Error = TaskCancelled;
    fn on_message(&self, n: u32) {
        let mut entries = self.entries.borrow_mut();
        entries.push(n);
        self.entry.fire(n);
        drop(entries);
    }
}

/// Sends `0..count`, tells the test, and returns.
struct Entries {
    count: u32,
    sent: mpsc::Sender<()>,
}

impl BackgroundTask for Entries {
    type Message = u32;
    type Output = ();
    type Error = TaskCancelled;
    fn run(self, context: &TaskContext<'_, u32>) -> Result<(), TaskCancelled> {
        for n in 0..self.count {
            context.send(n)?;
        }
        self.sent.send(()).unwrap();
        Ok(())
    }
}

#[test]
fn b28_a_handler_is_never_re_entered_for_its_own_future_and_still_gets_every_message_in_order() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (sent_tx, sent) = mpsc::channel();
    let future: TaskFuture<Ledger> = executor
        .submit((
            Ledger::default(),
            Entries {
                count: 6,
                sent: sent_tx,
            },
        ))
        .unwrap();
    let never = Rc::new(Cell::new(false));
    let (seen, _record) = record(&future.entry, &never);
    let nested = Rc::new(Cell::new(0));
    let _nest = future.entry.observe({
        let (executor, nested) = (executor.clone(), nested.clone());
        move |n| {
            if *n == 0 {
                nested.set(executor.dispatch_pending());
            }
        }
    });
    sent.recv_timeout(TEST_TIMEOUT).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert!(nested.get() >= 5, "the nested loop dispatched the rest");
    assert_eq!(*future.entries.borrow(), [0, 1, 2, 3, 4, 5]);
    assert_eq!(values(&seen), [0, 1, 2, 3, 4, 5]);
    assert_eq!(future.state().get(), FutureState::Completed);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
