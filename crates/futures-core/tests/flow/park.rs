//! Issue 23, sections 4 and 5: a worker that must wait parks until the main thread changes
//! what it waits for, or cancels. Back-pressure (a bounded task's `send` waits while its
//! capacity of messages wait for the main thread), suspend and resume (a suspended task waits
//! at its next send or checkpoint), and input into a running task (`task_input`).
//!
//! A worker's progress is read through atomic counters and signals it sends, never through a
//! sleep; where a test shows that a worker does *not* go on, it waits until the worker has
//! reached the blocking call (a condition), and then checks, after a short wait, that it is
//! still there: a negative check, which a sleep can only support, never prove.

use std::convert::Infallible;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_generator, submit_generator_bounded, submit_iteration,
    submit_iteration_bounded, task_input, BackgroundTask, CallFuture, FutureHandler, FutureState,
    InputClosed, IterationFuture, IterationHandler, TaskCancelled, TaskContext, TaskFuture,
    TraitsExecutor,
};

use FutureState::{Cancelled, Completed, Executing, Waiting};

/// How long a negative check waits to see that a blocked worker stays blocked.
const STILL: Duration = Duration::from_millis(50);

/// A counted generator's future.
type Items = IterationFuture<usize, (), TaskCancelled>;
/// How a worker's sends ended, reported by the worker.
type Ended = Receiver<Result<(), TaskCancelled>>;
/// How a reader's `recv` ended, reported by the worker.
type RecvEnded = Receiver<Result<Option<u8>, TaskCancelled>>;

fn capacity(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap()
}

/// Waits until `condition` holds, within [`TEST_TIMEOUT`] (a worker's progress, polled).
fn await_condition(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + TEST_TIMEOUT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        thread::sleep(Duration::from_millis(1));
    }
}

/// A worker's counters: sends begun and sends that returned `Ok`.
#[derive(Clone, Default)]
struct Counters {
    begun: Arc<AtomicUsize>,
    sent: Arc<AtomicUsize>,
}

impl Counters {
    fn begun(&self) -> usize {
        self.begun.load(SeqCst)
    }
    fn sent(&self) -> usize {
        self.sent.load(SeqCst)
    }

    /// Sends `item` through `context`, counting.
    fn send<M>(&self, context: &TaskContext<'_, M>, item: M) -> Result<(), TaskCancelled> {
        self.begun.fetch_add(1, SeqCst);
        context.send(item)?;
        self.sent.fetch_add(1, SeqCst);
        Ok(())
    }

    /// Waits until the worker has begun send number `sent + 1` after `sent` sends, then checks
    /// that it stays blocked in it (the negative check).
    fn assert_blocked_after(&self, sent: usize) {
        await_condition(&format!("the worker blocks after {sent} sends"), || {
            self.begun() == sent + 1 && self.sent() == sent
        });
        // Negative check (see the module's doc): the blocked send does not return.
        thread::sleep(STILL);
        assert_eq!(self.sent(), sent, "the blocked send returned");
        assert_eq!(self.begun(), sent + 1);
    }
}

/// A bounded generator of `0..count` that counts its sends and reports how its last send
/// ended on `ended`.
fn counting_generator(
    executor: &TraitsExecutor,
    bound: Option<usize>,
    count: usize,
) -> (Items, Counters, Ended) {
    let counters = Counters::default();
    let (ended_tx, ended_rx) = mpsc::channel();
    let body = {
        let counters = counters.clone();
        move |items: &TaskContext<'_, usize>| {
            let outcome = (0..count).try_for_each(|n| counters.send(items, n));
            let _ = ended_tx.send(outcome);
            outcome
        }
    };
    let future = match bound {
        Some(bound) => submit_generator_bounded(executor, capacity(bound), body),
        None => submit_generator(executor, body),
    }
    .unwrap();
    (future, counters, ended_rx)
}

fn ended(ended: &Ended) -> Result<(), TaskCancelled> {
    ended
        .recv_timeout(TEST_TIMEOUT)
        .expect("the worker's send should have returned")
}

// ---------------------------------------------------------------------------------------------
// Back-pressure

#[test]
fn back_pressure_a_bounded_send_stops_at_capacity_until_the_main_thread_takes_the_items() {
    for bound in [1, 3] {
        let executor = TraitsExecutor::new();
        let (future, counters, ended_rx) = counting_generator(&executor, Some(bound), 3 * bound);
        let items = Recorder::event(future.items());

        // Nothing dispatched: the worker sends `bound` items and blocks in the next send.
        counters.assert_blocked_after(bound);
        // One dispatch takes the waiting items at once: the worker goes on, to the next bound.
        executor.dispatch_pending();
        assert_eq!(items.values(), (0..bound).collect::<Vec<_>>());
        counters.assert_blocked_after(2 * bound);

        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
        assert_eq!(ended(&ended_rx), Ok(()));
        assert_eq!(future.state().get(), Completed);
        assert_eq!(items.values(), (0..3 * bound).collect::<Vec<_>>());
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn back_pressure_a_bounded_iteration_delivers_every_item_in_order() {
    for bound in [1, 2, 64] {
        let executor = TraitsExecutor::new();
        let future = submit_iteration_bounded(&executor, capacity(bound), || 0..2_000u32).unwrap();
        let items = Recorder::event(future.items());
        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
        assert_eq!(future.state().get(), Completed);
        assert_eq!(
            items.values(),
            (0..2_000).collect::<Vec<_>>(),
            "capacity {bound}"
        );
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn back_pressure_a_bounded_iteration_pulls_no_further_than_its_capacity() {
    let executor = TraitsExecutor::new();
    let pulled = Arc::new(AtomicUsize::new(0));
    let future = submit_iteration_bounded(&executor, capacity(2), {
        let pulled = Arc::clone(&pulled);
        move || {
            (0..10).inspect(move |_| {
                pulled.fetch_add(1, SeqCst);
            })
        }
    })
    .unwrap();
    // Two items wait; the third is pulled and its send blocks.
    await_condition("the iteration pulls three items", || {
        pulled.load(SeqCst) == 3
    });
    thread::sleep(STILL); // negative check: no fourth item is pulled
    assert_eq!(pulled.load(SeqCst), 3);
    let items = Recorder::event(future.items());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(items.values(), (0..10).collect::<Vec<_>>());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// A custom task with a capacity of its own.
struct Rows {
    count: usize,
    counters: Counters,
}

impl BackgroundTask for Rows {
    type Message = usize;
    type Output = usize;
    type Error = TaskCancelled;
    fn run(self, context: &TaskContext<'_, usize>) -> Result<usize, TaskCancelled> {
        for row in 0..self.count {
            self.counters.send(context, row)?;
        }
        Ok(self.count)
    }
    fn capacity(&self) -> Option<NonZeroUsize> {
        NonZeroUsize::new(4)
    }
}

#[test]
fn back_pressure_a_custom_task_bounds_its_sends_by_its_capacity() {
    let executor = TraitsExecutor::new();
    let counters = Counters::default();
    let future: IterationFuture<usize, usize, TaskCancelled> = executor
        .submit((
            IterationHandler::default(),
            Rows {
                count: 10,
                counters: counters.clone(),
            },
        ))
        .unwrap();
    counters.assert_blocked_after(4);
    let items = Recorder::event(future.items());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.result(), Ok(&10));
    assert_eq!(items.values(), (0..10).collect::<Vec<_>>());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn back_pressure_cancel_unblocks_a_blocked_send_at_once() {
    for bound in [1, 5] {
        let executor = TraitsExecutor::new();
        let (future, counters, ended_rx) = counting_generator(&executor, Some(bound), 100);
        counters.assert_blocked_after(bound);
        // No dispatch from here on until the worker reports: the cancel alone wakes it.
        assert!(future.cancel());
        assert_eq!(ended(&ended_rx), Err(TaskCancelled));
        assert_eq!(counters.sent(), bound);
        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
        assert_eq!(future.state().get(), Cancelled);
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn back_pressure_executor_stop_and_shutdown_unblock_a_blocked_send() {
    // stop(), then the event loop until Stopped.
    let executor = TraitsExecutor::new();
    let (future, counters, ended_rx) = counting_generator(&executor, Some(2), 100);
    counters.assert_blocked_after(2);
    executor.stop().unwrap();
    assert_eq!(ended(&ended_rx), Err(TaskCancelled));
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();

    // shutdown() alone.
    let executor = TraitsExecutor::new();
    let (future, counters, ended_rx) = counting_generator(&executor, Some(1), 100);
    counters.assert_blocked_after(1);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(ended(&ended_rx), Err(TaskCancelled));
    assert_eq!(future.state().get(), Cancelled);
}

/// Reads `future`'s `done` until it holds (an orphan delivers to itself when read).
fn read_until_done<H: FutureHandler>(future: &TaskFuture<H>) {
    await_condition("the orphaned future is done", || future.done().get());
}

#[test]
fn back_pressure_a_dropped_executor_unblocks_a_blocked_send() {
    let executor = TraitsExecutor::new();
    let (future, counters, ended_rx) = counting_generator(&executor, Some(3), 100);
    counters.assert_blocked_after(3);
    drop(executor);
    assert_eq!(ended(&ended_rx), Err(TaskCancelled));
    read_until_done(&future);
    assert_eq!(future.state().get(), Cancelled);
}

#[test]
fn back_pressure_unbounded_stays_the_default_and_never_blocks_the_worker() {
    // A generator and an iteration, with nothing dispatched: each worker ends on its own.
    let executor = TraitsExecutor::new();
    let (future, counters, ended_rx) = counting_generator(&executor, None, 10_000);
    assert_eq!(ended(&ended_rx), Ok(()));
    assert_eq!(counters.sent(), 10_000);
    let (done_tx, done_rx) = mpsc::channel();
    let iteration = submit_iteration(&executor, move || {
        (0..10_000u32).chain(std::iter::once_with(move || {
            let _ = done_tx.send(());
            10_000
        }))
    })
    .unwrap();
    done_rx.recv_timeout(TEST_TIMEOUT).unwrap();

    // A custom task without `capacity`: unbounded too.
    struct Plain;
    impl BackgroundTask for Plain {
        type Message = u8;
        type Output = ();
        type Error = Infallible;
        fn run(self, _: &TaskContext<'_, u8>) -> Result<(), Infallible> {
            Ok(())
        }
    }
    assert_eq!(Plain.capacity(), None);

    let items = Recorder::event(future.items());
    let more = Recorder::event(iteration.items());
    executor
        .run_until(
            || future.done().get() && iteration.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(items.len(), 10_000);
    assert_eq!(more.len(), 10_001);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Suspend and resume

/// A generator that waits for `go`, then sends `0..count` (counted), each after a checkpoint
/// if `checkpoints`, else by `send` alone.
fn gated_generator(
    executor: &TraitsExecutor,
    count: usize,
    checkpoints: bool,
) -> (Items, Counters, Sender<()>, Ended) {
    let counters = Counters::default();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let (ended_tx, ended_rx) = mpsc::channel();
    let future = submit_generator(executor, {
        let counters = counters.clone();
        move |items: &TaskContext<'_, usize>| {
            let _ = go_rx.recv();
            let outcome = (0..count).try_for_each(|n| {
                if checkpoints {
                    counters.begun.fetch_add(1, SeqCst);
                    items.checkpoint()?;
                    items.send(n)?;
                    counters.sent.fetch_add(1, SeqCst);
                    Ok(())
                } else {
                    counters.send(items, n)
                }
            });
            let _ = ended_tx.send(outcome);
            outcome
        }
    })
    .unwrap();
    (future, counters, go_tx, ended_rx)
}

#[test]
fn suspend_a_suspended_task_stops_at_its_next_send_or_checkpoint_until_resumed() {
    for checkpoints in [false, true] {
        let executor = TraitsExecutor::new();
        let (future, counters, go, ended_rx) = gated_generator(&executor, 5, checkpoints);
        let items = Recorder::event(future.items());
        assert!(future.suspend());
        assert!(future.suspended().get());
        let _ = go.send(()); // (gone if the task was cancelled before it started)
        counters.assert_blocked_after(0);

        // The state is unchanged: the task's `S` is delivered, and it stays Executing.
        executor.dispatch_pending();
        assert_eq!(future.state().get(), Executing);
        assert!(future.suspended().get());
        assert!(items.is_empty());

        assert!(future.resume());
        assert!(!future.suspended().get());
        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
        assert_eq!(ended(&ended_rx), Ok(()));
        assert_eq!(future.state().get(), Completed);
        assert_eq!(items.values(), [0, 1, 2, 3, 4]);
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn suspend_in_the_middle_holds_the_task_at_the_next_send_and_resume_continues_it() {
    let executor = TraitsExecutor::new();
    let (future, counters, ended_rx) = counting_generator(&executor, Some(2), 8);
    counters.assert_blocked_after(2); // held by its capacity
    assert!(future.suspend());
    // The main thread takes the waiting items (room for two more), but the task is suspended.
    executor.dispatch_pending();
    counters.assert_blocked_after(2);
    assert_eq!(future.state().get(), Executing);
    assert!(future.resume());
    counters.assert_blocked_after(4);
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(ended(&ended_rx), Ok(()));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn suspend_leaves_the_state_as_it_was() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (blocker, go_blocker, _ended) = {
        let (future, _, go, ended) = gated_generator(&executor, 0, false);
        (future, go, ended)
    };
    // Queued behind the blocker: Waiting.
    let call = submit_call(&executor, || 7).unwrap();
    let states = Recorder::observable(call.state());
    assert!(call.suspend());
    assert_eq!(call.state().get(), Waiting);
    assert!(call.resume());
    let _ = go_blocker.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(
            || blocker.done().get() && call.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    // A call sends nothing: suspended or not, it runs to its end.
    assert_eq!(states.values(), [Waiting, Executing, Completed]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn suspend_cancel_while_suspended_ends_the_task_cancelled_at_once() {
    for checkpoints in [false, true] {
        let executor = TraitsExecutor::new();
        let (future, counters, go, ended_rx) = gated_generator(&executor, 5, checkpoints);
        let suspended = Recorder::derived(future.suspended());
        assert!(future.suspend());
        go.send(()).unwrap();
        counters.assert_blocked_after(0);
        // No dispatch until the worker reports: the cancel alone wakes it.
        assert!(future.cancel());
        assert!(!future.suspended().get());
        assert_eq!(ended(&ended_rx), Err(TaskCancelled));
        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
        assert_eq!(future.state().get(), Cancelled);
        assert_eq!(suspended.values(), [false, true, false]);
        assert!(!future.resume(), "the cancel ended the suspension");
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn suspend_an_executor_stop_or_drop_ends_a_suspended_wait() {
    let executor = TraitsExecutor::new();
    let (future, counters, go, ended_rx) = gated_generator(&executor, 5, false);
    future.suspend();
    go.send(()).unwrap();
    counters.assert_blocked_after(0);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(ended(&ended_rx), Err(TaskCancelled));
    assert_eq!(future.state().get(), Cancelled);
    assert!(!future.suspended().get());

    let executor = TraitsExecutor::new();
    let (future, counters, go, ended_rx) = gated_generator(&executor, 5, true);
    future.suspend();
    let _ = go.send(()); // (gone if the task was cancelled before it started)
    counters.assert_blocked_after(0);
    drop(executor);
    assert_eq!(ended(&ended_rx), Err(TaskCancelled));
    read_until_done(&future);
    assert_eq!(future.state().get(), Cancelled);
}

#[test]
fn suspend_suspended_becomes_false_on_resume_and_when_the_future_is_done() {
    let executor = TraitsExecutor::new();
    let (future, _, go, _ended) = gated_generator(&executor, 3, false);
    let suspended = Recorder::derived(future.suspended());
    assert!(future.suspend());
    assert!(future.resume());
    assert!(future.suspend());
    let _ = go.send(()); // (gone if the task was cancelled before it started)
                         // The task ends only once resumed; a call that sends nothing ends while suspended.
    future.resume();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(suspended.values(), [false, true, false, true, false]);

    let call = submit_call(&executor, || 1).unwrap();
    let call_suspended = Recorder::derived(call.suspended());
    assert!(call.suspend());
    executor
        .run_until(|| call.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(call.state().get(), Completed);
    assert_eq!(call_suspended.values(), [false, true, false]);
    assert!(!call.suspended().get());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn suspend_returns_false_on_a_done_cancelled_or_detached_future() {
    let executor = TraitsExecutor::new();
    let done = submit_call(&executor, || 1).unwrap();
    executor
        .run_until(|| done.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert!(!done.suspend());
    assert!(!done.suspended().get());

    let cancelled = submit_call(&executor, || 1).unwrap();
    cancelled.cancel();
    assert!(!cancelled.suspend());
    assert!(!cancelled.resume());

    let detached: CallFuture<u8> = CallFuture::detached(Default::default(), || {});
    assert!(!detached.suspend());
    assert!(!detached.resume());
    assert!(!detached.suspended().get());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Input into a running task

#[test]
fn input_values_arrive_in_order() {
    let executor = TraitsExecutor::new();
    let (numbers, receiver) = task_input::<u32>();
    let future = submit_generator(&executor, move |echoes| {
        let mut count = 0;
        while let Some(n) = receiver.recv(echoes)? {
            echoes.send(n)?;
            count += 1;
        }
        Ok(count)
    })
    .unwrap();
    let echoes = Recorder::event(future.items());
    for n in 0..100 {
        numbers.send(n).unwrap();
    }
    let more = numbers.clone();
    more.send(100).unwrap();
    drop(numbers);
    drop(more);
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.result(), Ok(&101));
    assert_eq!(echoes.values(), (0..=100).collect::<Vec<_>>());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn input_latest_returns_the_newest_value_and_drops_the_older_ones() {
    let executor = TraitsExecutor::new();
    let (queries, receiver) = task_input::<String>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let future = submit_generator(&executor, move |results| {
        let _ = go_rx.recv();
        let first = receiver.latest();
        let second = receiver.latest();
        results.send(format!("{first:?} {second:?}"))?;
        Ok(())
    })
    .unwrap();
    let results = Recorder::event(future.items());
    for query in ["r", "ru", "rust"] {
        queries.send(query.to_string()).unwrap();
    }
    go_tx.send(()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(results.values(), [r#"Some("rust") None"#]);

    let (sender, receiver) = task_input::<u8>();
    assert_eq!(receiver.latest(), None);
    sender.send(1).unwrap();
    assert_eq!(receiver.try_recv(), Some(1));
    assert_eq!(receiver.try_recv(), None);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// A generator that reads its input until `recv` says otherwise, signalling `waiting` before
/// each `recv`, and reports how `recv` ended.
fn reader(
    executor: &TraitsExecutor,
    receiver: traits_futures::InputReceiver<u8>,
) -> (
    IterationFuture<u8, usize, TaskCancelled>,
    Receiver<()>,
    RecvEnded,
) {
    let (waiting_tx, waiting_rx) = mpsc::channel();
    let (ended_tx, ended_rx) = mpsc::channel();
    let future = submit_generator(executor, move |echoes: &TaskContext<'_, u8>| {
        let mut count = 0;
        loop {
            let _ = waiting_tx.send(());
            let received = receiver.recv(echoes);
            match received {
                Ok(Some(value)) => {
                    echoes.send(value)?;
                    count += 1;
                }
                Ok(None) | Err(_) => {
                    let _ = ended_tx.send(received);
                    received?;
                    return Ok(count);
                }
            }
        }
    })
    .unwrap();
    (future, waiting_rx, ended_rx)
}

#[test]
fn input_recv_returns_none_once_every_sender_is_dropped() {
    let executor = TraitsExecutor::new();
    let (sender, receiver) = task_input::<u8>();
    let second = sender.clone();
    let (future, waiting, ended_rx) = reader(&executor, receiver);
    waiting.recv_timeout(TEST_TIMEOUT).unwrap();
    sender.send(1).unwrap();
    waiting.recv_timeout(TEST_TIMEOUT).unwrap(); // the value was taken: it waits again
    drop(sender);
    second.send(2).unwrap();
    waiting.recv_timeout(TEST_TIMEOUT).unwrap();
    drop(second); // the last sender: the waiting `recv` returns `None`
    assert_eq!(
        ended_rx.recv_timeout(TEST_TIMEOUT).unwrap(),
        Ok(None),
        "recv must end once no value can come"
    );
    let echoes = Recorder::event(future.items());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.result(), Ok(&2));
    assert_eq!(echoes.values(), [1, 2]);

    // Values sent before the last sender's drop are still received, then `None`.
    let (sender, receiver) = task_input::<u8>();
    sender.send(5).unwrap();
    drop(sender);
    let (future, _waiting, ended_rx) = reader(&executor, receiver);
    assert_eq!(ended_rx.recv_timeout(TEST_TIMEOUT).unwrap(), Ok(None));
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.result(), Ok(&1));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn input_cancel_wakes_a_task_blocked_in_recv_at_once() {
    let executor = TraitsExecutor::new();
    let (sender, receiver) = task_input::<u8>();
    let (future, waiting, ended_rx) = reader(&executor, receiver);
    waiting.recv_timeout(TEST_TIMEOUT).unwrap();
    // Negative check (see the module's doc): with no value, `recv` does not return.
    assert!(ended_rx.recv_timeout(STILL).is_err());
    // No dispatch until the worker reports: the cancel alone wakes it.
    assert!(future.cancel());
    assert_eq!(
        ended_rx.recv_timeout(TEST_TIMEOUT).unwrap(),
        Err(TaskCancelled)
    );
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Cancelled);
    drop(sender);

    // The executor's shutdown, and its drop, wake it too.
    let (_sender, receiver) = task_input::<u8>();
    let (future, waiting, ended_rx) = reader(&executor, receiver);
    waiting.recv_timeout(TEST_TIMEOUT).unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(
        ended_rx.recv_timeout(TEST_TIMEOUT).unwrap(),
        Err(TaskCancelled)
    );
    assert_eq!(future.state().get(), Cancelled);

    let executor = TraitsExecutor::new();
    let (_sender, receiver) = task_input::<u8>();
    let (future, waiting, ended_rx) = reader(&executor, receiver);
    waiting.recv_timeout(TEST_TIMEOUT).unwrap();
    drop(executor);
    assert_eq!(
        ended_rx.recv_timeout(TEST_TIMEOUT).unwrap(),
        Err(TaskCancelled)
    );
    read_until_done(&future);
    assert_eq!(future.state().get(), Cancelled);
}

#[test]
fn input_send_after_the_task_ended_returns_the_value() {
    let executor = TraitsExecutor::new();
    let (queries, receiver) = task_input::<String>();
    let future = submit_generator(&executor, move |_: &TaskContext<'_, ()>| {
        let first = receiver.try_recv();
        drop(receiver);
        Ok(first)
    })
    .unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    let InputClosed(query) = queries.send("too late".to_string()).unwrap_err();
    assert_eq!(query, "too late");
    assert!(queries
        .send(String::new())
        .unwrap_err()
        .to_string()
        .contains("input is closed"));

    // A receiver dropped unrun (the task was cancelled before it started) closes it too.
    let (sender, receiver) = task_input::<u8>();
    let blocked_pool = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (go, go_rx) = mpsc::channel::<()>();
    let blocker = submit_call(&blocked_pool, move || {
        let _ = go_rx.recv();
    })
    .unwrap();
    let never: IterationFuture<u8, (), TaskCancelled> =
        submit_generator(&blocked_pool, move |_| {
            let _ = receiver.try_recv();
            Ok(())
        })
        .unwrap();
    never.cancel();
    go.send(()).unwrap();
    blocked_pool
        .run_until(
            || blocker.done().get() && never.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(sender.send(3).unwrap_err().0, 3);
    blocked_pool.shutdown(Some(TEST_TIMEOUT)).unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
