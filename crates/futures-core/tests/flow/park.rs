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

/// Reads `future`'s `done` until it holds (an orphan delivers to itself when read).
fn read_until_done<H: FutureHandler>(future: &TaskFuture<H>) {
    await_condition("the orphaned future is done", || future.done().get());
}

mod back_pressure;
mod input;
mod suspend;
