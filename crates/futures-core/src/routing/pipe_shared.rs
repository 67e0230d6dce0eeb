//! The shared half of a pipe (see `pipe.rs`): the queue the worker fills and the main side
//! empties, under one mutex, with the task waiting in it until a worker takes it.
//!
//! The worker side ([`PipeShared::take_task`], [`PipeShared::send`]) queues and, only when the
//! pipe was not already scheduled, announces the pipe's key to the router: a burst of messages
//! costs one announcement. The main side reaches the same state through [`PipeOwner`], whatever
//! task type waits in it.
//!
//! A batch is not a vector of messages. The protocol fixes where `S`, `A`, `R` and `X` can
//! appear (first, alone, last), so the head (`S` or `A`) is a mark in the pipe's word and the
//! final message has a slot, and only custom messages need a vector: a call (`S` then `R`)
//! allocates nothing here, and a stream of items reuses two vectors that swap roles. The final
//! message (the task's result) stays in the shared slot until its turn comes; before the task
//! starts, the same slot holds the task itself, and once a custom message has arrived, it holds
//! the box that keeps the custom messages and then the final message.
//!
//! Every waiting call pays for every byte of its cell (figures: ARCHITECTURE.md, Performance).
//! That is why the protocol's marks share the key's and the cancel flag's atomic word (see
//! [`PipeWord`]), and why the custom messages' vector lives in the slot, not beside it.
//!
//! A worker that must wait (its queue full, its task suspended, its input empty) parks, with its
//! thread registered in the same box (`park.rs`, where the handshake is written down).

#[cfg(all(test, loom))]
mod loom_models;
mod park;
mod slot;

#[cfg(loom)]
use park::Broken;

use std::mem;

use crate::error::{drop_caught, TaskError};
use crate::routing::message::TaskMessage;
use crate::routing::router::{PipeKey, RouterShared};
use crate::sync::{Arc, AtomicU64, Mutex, MutexGuard, Ordering};

use slot::{Slot, Spill};

/// The first message of a task's sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Head {
    Started,
    Abandoned,
}

/// The final message after `Started`: the task's outcome. The error is boxed: a failure is
/// the rare case, and unboxed it would make the slot, and so every task's cell, larger.
pub(crate) type Tail<T, E> = Result<T, Box<TaskError<E>>>;

/// Where the worker is in the protocol: what it may still send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Nothing sent yet: `S` or `A`.
    Fresh,
    /// `S` sent: custom messages, then `R` or `X`.
    Open,
    /// The sequence is complete (`A`, `R` or `X` sent), or the future is done: nothing more.
    Ended,
}

/// The state shared by both ends of a pipe. `K` is the task waiting for a worker (see
/// `runner.rs`, where a pipe with its task is a task's whole cell); a pipe fed by hand has none.
pub(crate) struct PipeShared<M, T, E, K = ()> {
    /// What the worker has queued and the main side has not taken, besides the marks in
    /// `word`; both are changed only under this lock.
    queue: Mutex<Slot<M, K, T, E>>,
    /// The pipe's key (announced when a batch starts), its cancel flag, and the protocol's marks.
    word: PipeWord,
    router: Arc<RouterShared>,
    /// A broken variant of the park handshake that the model checker must catch (`park.rs`);
    /// set only by a model.
    #[cfg(loom)]
    broken: Broken,
}

/// A pipe's key, its cancel flag and the queue's marks, in one atomic word: the key takes the
/// low 56 bits ([`PipeKey::to_bits`]), the flags the top byte.
///
/// The cancel flag is set by the future's cancel without the queue's lock and read by the task
/// between units of work. The marks ([`SCHEDULED`], [`CLOSED`], the phase and the head) are read
/// and written only under the queue's lock, which orders them; they are changed with
/// read-modify-writes, so that a cancel at the same moment is never lost.
struct PipeWord(AtomicU64);

/// The key's bits.
const KEY: u64 = (1 << 56) - 1;
/// The key has been announced and the main side has not taken the batch since.
const SCHEDULED: u64 = 1 << 56;
/// The future is done: later messages are discarded.
const CLOSED: u64 = 1 << 57;
/// Phase: `S` was sent (and nothing final yet, unless [`ENDED`] is set too).
const OPEN: u64 = 1 << 58;
/// Phase: the sequence is complete, or the future is done.
const ENDED: u64 = 1 << 59;
/// The batch's head is `S` (queued, not yet taken by the main side).
const HEAD_STARTED: u64 = 1 << 60;
/// The batch's head is `A`.
const HEAD_ABANDONED: u64 = 1 << 61;
/// Set by the future's suspend, cleared by its resume (each without the lock; a resume then
/// wakes a parked worker under it): the task waits at its next send or checkpoint.
const SUSPENDED: u64 = 1 << 62;
/// Set by the future's cancel.
const CANCELLED: u64 = 1 << 63;

impl PipeWord {
    fn new(key: PipeKey) -> Self {
        debug_assert_eq!(key.to_bits() & !KEY, 0, "a key fits in 56 bits");
        PipeWord(AtomicU64::new(key.to_bits() & KEY))
    }

    /// The key (which never changes).
    fn key(&self) -> PipeKey {
        PipeKey::from_bits(self.0.load(Ordering::Relaxed) & KEY)
    }

    /// Set by the future's cancel (`Release`, so the task that sees it sees what came before).
    fn cancel(&self) {
        self.0.fetch_or(CANCELLED, Ordering::Release);
    }

    /// Read by the task between units of work.
    fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire) & CANCELLED != 0
    }

    /// The whole word, as the task reads it (`Acquire`, like [`is_cancelled`](Self::is_cancelled)):
    /// one load tells both the cancel and the suspension.
    fn flags(&self) -> u64 {
        self.0.load(Ordering::Acquire)
    }

    /// The marks; under the queue's lock.
    fn marks(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }

    /// Sets `marks`, returning the word as it was; under the queue's lock.
    fn set(&self, marks: u64) -> u64 {
        self.0.fetch_or(marks, Ordering::Relaxed)
    }

    /// Clears `marks`, returning the word as it was; under the queue's lock.
    fn clear(&self, marks: u64) -> u64 {
        self.0.fetch_and(!marks, Ordering::Relaxed)
    }
}

/// The phase the marks of `word` say.
fn phase(word: u64) -> Phase {
    if word & ENDED != 0 {
        Phase::Ended
    } else if word & OPEN != 0 {
        Phase::Open
    } else {
        Phase::Fresh
    }
}

/// The head the marks of `word` say.
fn head(word: u64) -> Option<Head> {
    if word & HEAD_STARTED != 0 {
        Some(Head::Started)
    } else if word & HEAD_ABANDONED != 0 {
        Some(Head::Abandoned)
    } else {
        None
    }
}

/// Queues `message` in `slot` and the marks of `word` if the protocol allows it here and the
/// future is not done; under the queue's lock. `Ok` with whether this starts a batch (the key
/// must be announced); `Err` with the message if it was refused, for the caller to drop outside
/// the lock (its `Drop` is user code, and may panic).
fn push<M, K, T, E>(
    slot: &mut Slot<M, K, T, E>,
    word: &PipeWord,
    message: TaskMessage<M, T, E>,
) -> Result<bool, TaskMessage<M, T, E>> {
    let marks = word.marks();
    if marks & CLOSED != 0 {
        return Err(message);
    }
    let set = match (phase(marks), message) {
        (Phase::Fresh, TaskMessage::Started) => HEAD_STARTED | OPEN,
        (Phase::Fresh, TaskMessage::Abandoned) => HEAD_ABANDONED | ENDED,
        (_, TaskMessage::Custom(custom)) => {
            return push_custom(slot, word, custom).map_err(TaskMessage::Custom);
        }
        (Phase::Open, TaskMessage::Returned(value)) => {
            slot.push_tail(Ok(value)).map_err(tail_message)?;
            ENDED
        }
        (Phase::Open, TaskMessage::Failed(error)) => {
            slot.push_tail(Err(Box::new(error))).map_err(tail_message)?;
            ENDED
        }
        (_, message) => return Err(message),
    };
    Ok(word.set(set | SCHEDULED) & SCHEDULED == 0)
}

/// [`push`] for a custom message, the one a stream sends again and again: allowed only while
/// `Open` (after `S`, before the final message) and not closed.
#[inline]
fn push_custom<M, K, T, E>(
    slot: &mut Slot<M, K, T, E>,
    word: &PipeWord,
    custom: M,
) -> Result<bool, M> {
    let marks = word.marks();
    if marks & (CLOSED | OPEN | ENDED) != OPEN {
        return Err(custom);
    }
    slot.push_custom(custom)?;
    if marks & SCHEDULED != 0 {
        // Into a batch already announced: nothing to mark. Only the lock's holder clears
        // `SCHEDULED`, so the marks read above still hold, and the worker saves an atomic
        // read-modify-write per message of a stream.
        return Ok(false);
    }
    Ok(word.set(SCHEDULED) & SCHEDULED == 0)
}

/// A final message back as the message it was.
fn tail_message<M, T, E>(tail: Tail<T, E>) -> TaskMessage<M, T, E> {
    match tail {
        Ok(value) => TaskMessage::Returned(value),
        Err(error) => TaskMessage::Failed(*error),
    }
}

impl<M, T, E> PipeShared<M, T, E> {
    /// A pipe with no task of its own: its messages are sent by hand.
    #[cfg(test)]
    pub(crate) fn new(key: PipeKey, router: Arc<RouterShared>) -> Self {
        PipeShared::with_slot(Slot::Empty, key, router)
    }

    /// The final message is queued and not yet taken.
    #[cfg(test)]
    pub(crate) fn has_tail(&self) -> bool {
        self.lock().has_tail()
    }
}

impl<M, T, E, K> PipeShared<M, T, E, K> {
    /// A pipe holding `task` until a worker takes it ([`take_task`](Self::take_task)).
    pub(crate) fn with_task(task: K, key: PipeKey, router: Arc<RouterShared>) -> Self {
        PipeShared::with_slot(Slot::Task(task), key, router)
    }

    fn with_slot(slot: Slot<M, K, T, E>, key: PipeKey, router: Arc<RouterShared>) -> Self {
        PipeShared {
            queue: Mutex::new(slot),
            word: PipeWord::new(key),
            router,
            #[cfg(loom)]
            broken: Broken::None,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Slot<M, K, T, E>> {
        // A panic never happens while the lock is held (only moves and Vec pushes), but be
        // robust anyway: the queue's data is always consistent.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Tells the task that its future was cancelled, and wakes it if it waits (a full queue,
    /// a suspension, its input): it returns `Err(TaskCancelled)` at once.
    pub(crate) fn cancel(&self) {
        self.word.cancel();
        self.wake();
    }

    /// Whether the future was cancelled (the task's check).
    pub(crate) fn is_cancelled(&self) -> bool {
        self.word.is_cancelled()
    }

    /// The worker's first step: takes the task (`None` if it was taken already). With `start`,
    /// and unless the future was cancelled, `S` is queued in the same lock and the flag that
    /// comes with the task is true; a task that comes with `false` has not started: the caller
    /// drops it and sends the future its ending.
    pub(crate) fn take_task(&self, start: bool) -> Option<(K, bool)> {
        let (task, announce) = {
            let mut slot = self.lock();
            let task = slot.take_task()?;
            // Read under the lock, after the task is out: a cancel that comes later finds the
            // task started (and the task sees the flag itself).
            if !start || self.is_cancelled() {
                return Some((task, false));
            }
            (task, push(&mut slot, &self.word, TaskMessage::Started))
        };
        if matches!(announce, Ok(true)) {
            self.router.announce(self.word.key());
        }
        Some((task, true))
    }

    /// The worker's side: queues `message`; announces the pipe if this starts a new batch.
    /// Messages sent after the future is done, or out of the protocol's order (after the final
    /// one), are discarded with a log line (f91); they are dropped outside the lock, and a panic
    /// of their `Drop` (user code, on a worker) is caught and logged.
    pub(crate) fn send(&self, message: TaskMessage<M, T, E>) {
        let pushed = push(&mut self.lock(), &self.word, message);
        self.pushed(pushed);
    }

    /// The worker's side for a custom message with no wait to make: [`send`](Self::send)
    /// without the protocol's other cases.
    pub(crate) fn send_custom_now(&self, custom: M) {
        match push_custom(&mut self.lock(), &self.word, custom) {
            Ok(false) => {}
            pushed => self.pushed(pushed.map_err(TaskMessage::Custom)),
        }
    }

    /// After [`push`], outside the lock: announces a new batch, or drops a refused message.
    fn pushed(&self, pushed: Result<bool, TaskMessage<M, T, E>>) {
        match pushed {
            Ok(true) => self.router.announce(self.word.key()),
            Ok(false) => {}
            Err(message) => {
                log::warn!(
                    "traits-futures: message for a finished future discarded ({:?})",
                    self.word.key()
                );
                if let Some(panic) = drop_caught(message) {
                    log::warn!("traits-futures: dropping a discarded message panicked: {panic}");
                }
            }
        }
    }
}

/// A pipe's shared state as the future's endpoint sees it, whatever task waits in it: the
/// main side's operations, each one lock.
pub(crate) trait PipeOwner<M, T, E>: Send + Sync {
    /// Takes the batch: returns its head and whether its final message is there (it stays in
    /// the shared slot until [`take_tail`](Self::take_tail)), and swaps the custom messages
    /// into `spare` (whose old contents, emptied, become the queue's buffer).
    fn take_batch(&self, spare: &mut Vec<M>) -> (Option<Head>, bool);
    /// The final message, if it is there.
    fn take_tail(&self) -> Option<Tail<T, E>>;
    /// The future is done: the worker's later messages are discarded. Returns a final message
    /// still in the shared slot, for the caller to drop outside the lock.
    fn close(&self) -> Option<Tail<T, E>>;
    /// Tells the task that its future was cancelled (and wakes it if it waits).
    fn cancel(&self);
    /// The task waits at its next send or checkpoint until [`resume`](Self::resume) or a cancel.
    fn suspend(&self);
    /// Ends a [`suspend`](Self::suspend), waking the task if it waits.
    fn resume(&self);
    /// The executor is gone: if no worker has taken the task yet, takes it back and queues `A`
    /// in its place (unannounced: the caller takes the batch next), so that a cancelled future
    /// ends without waiting for a worker. The task is dropped here, on the calling thread, and
    /// a panic of its `Drop` is caught and logged. Returns whether the task was still there.
    fn withdraw(&self) -> bool;
    /// What is queued: head, number of custom messages, and the final message's kind (`true`
    /// for `R`).
    #[cfg(loom)]
    fn queued(&self) -> (Option<Head>, usize, Option<bool>);
}

impl<M: Send, T: Send, E: Send, K: Send> PipeOwner<M, T, E> for PipeShared<M, T, E, K> {
    fn take_batch(&self, spare: &mut Vec<M>) -> (Option<Head>, bool) {
        let mut slot = self.lock();
        let word = self.word.clear(SCHEDULED | HEAD_STARTED | HEAD_ABANDONED);
        if let Slot::Spill(spill) = &mut *slot {
            if !spill.customs.is_empty() {
                mem::swap(&mut spill.customs, spare);
                // The queue is empty: a worker waiting for room may go on (under the lock, so
                // it cannot be between its look at the queue and its registration).
                if let Some(waiter) = spill.waiter.take() {
                    waiter.unpark();
                }
            }
        }
        (head(word), slot.has_tail())
    }

    fn take_tail(&self) -> Option<Tail<T, E>> {
        self.lock().take_tail()
    }

    fn close(&self) -> Option<Tail<T, E>> {
        let mut slot = self.lock();
        self.word.set(CLOSED | ENDED);
        slot.take_tail()
    }

    fn cancel(&self) {
        PipeShared::cancel(self);
    }

    fn suspend(&self) {
        self.word.set(SUSPENDED);
    }

    fn resume(&self) {
        #[cfg(loom)]
        if self.broken == Broken::WakeBeforeChange {
            self.wake();
            self.word.clear(SUSPENDED);
            return;
        }
        self.word.clear(SUSPENDED);
        self.wake();
    }

    fn withdraw(&self) -> bool {
        let task = {
            let mut slot = self.lock();
            let Some(task) = slot.take_task() else {
                return false;
            };
            // The phase is still `Fresh` (the task was there): `A` is always accepted.
            let _ = push(&mut slot, &self.word, TaskMessage::Abandoned);
            task
        };
        if let Some(panic) = drop_caught(task) {
            log::warn!(
                "traits-futures: dropping a cancelled task that never ran panicked: {panic}"
            );
        }
        true
    }

    #[cfg(loom)]
    fn queued(&self) -> (Option<Head>, usize, Option<bool>) {
        let slot = self.lock();
        let (customs, tail) = match &*slot {
            Slot::Tail(tail) => (0, Some(tail)),
            Slot::Spill(spill) => (spill.customs.len(), spill.tail.as_ref()),
            Slot::Task(_) | Slot::Empty => (0, None),
        };
        (head(self.word.marks()), customs, tail.map(Result::is_ok))
    }
}

#[cfg(all(test, not(loom), target_pointer_width = "64"))]
mod tests {
    use std::convert::Infallible;
    use std::mem::size_of;

    use super::{
        head, phase, Head, Phase, PipeShared, PipeWord, CLOSED, ENDED, HEAD_ABANDONED,
        HEAD_STARTED, OPEN, SCHEDULED,
    };
    use crate::routing::router::PipeKey;

    #[test]
    fn the_marks_and_the_cancel_flag_never_disturb_the_key_or_each_other() {
        // The largest key a table makes: every one of its 56 bits set.
        let key = PipeKey::from_bits((1 << 56) - 1);
        let word = PipeWord::new(key);
        assert_eq!(phase(word.marks()), Phase::Fresh);
        assert_eq!(head(word.marks()), None);

        assert_eq!(word.set(HEAD_STARTED | OPEN | SCHEDULED) & SCHEDULED, 0);
        word.cancel();
        assert_eq!(phase(word.marks()), Phase::Open);
        assert_eq!(head(word.marks()), Some(Head::Started));

        // The main side takes the batch: the head and the schedule go, the cancel stays.
        let before = word.clear(SCHEDULED | HEAD_STARTED | HEAD_ABANDONED);
        assert_eq!(head(before), Some(Head::Started));
        assert_eq!(head(word.marks()), None);
        assert!(word.is_cancelled());

        word.set(CLOSED | ENDED);
        assert_eq!(phase(word.marks()), Phase::Ended);
        assert!(word.is_cancelled());
        assert_eq!(word.key(), key);
    }

    /// A call's task cell (here with a `usize` for the task) stays within its budget in
    /// ARCHITECTURE.md (Performance).
    #[test]
    fn a_call_task_cell_stays_in_its_size_class() {
        assert_eq!(
            size_of::<PipeShared<Infallible, u64, Infallible, usize>>(),
            40
        );
    }
}
