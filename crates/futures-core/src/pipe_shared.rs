//! The shared half of a pipe (see `pipe.rs`): the queue the worker fills and the main side
//! empties, under one mutex, with the task waiting in it until a worker takes it.
//!
//! The worker side ([`PipeShared::take_task`], [`PipeShared::send`]) queues and, only when the
//! pipe was not already scheduled, announces the pipe's key to the router: a burst of messages
//! costs one announcement. The main side reaches the same state through [`PipeOwner`], whatever
//! task type waits in it.
//!
//! A batch is three fields of the shared queue, not a vector of messages. The protocol fixes
//! where `S`, `A`, `R` and `X` can appear (first, alone, last), so they travel in two fixed
//! slots and only custom messages need a vector: a call (`S` then `R`) allocates nothing here,
//! and a stream of items reuses two vectors that swap roles. The final message (the task's
//! result) stays in the shared slot until its turn comes; before the task starts, the same
//! slot holds the task itself.

use std::mem;

use crate::error::TaskError;
use crate::message::TaskMessage;
use crate::router::{PipeKey, RouterShared};
use crate::sync::{Arc, AtomicU64, Mutex, MutexGuard, Ordering};
use crate::task::MessageSink;

/// The first message of a task's sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Head {
    Started,
    Abandoned,
}

/// The final message after `Started`: the task's outcome. The error is boxed: a failure is
/// the rare case, and a boxed error keeps the slot, and so every task's cell, a word smaller.
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
    queue: Mutex<Queue<M, T, E, K>>,
    /// The pipe's key in the router (announced when a batch starts) and the cancel flag.
    address: KeyAndCancel,
    router: Arc<RouterShared>,
}

/// A pipe's key and its cancel flag in one word: the flag is the top bit, which a key never
/// uses ([`PipeKey::to_bits`]). Two fields would take two words, and a task's cell would be a
/// size class larger (96-byte allocations instead of 80 for a call).
struct KeyAndCancel(AtomicU64);

/// The cancel flag's bit.
const CANCELLED: u64 = 1 << 63;

impl KeyAndCancel {
    fn new(key: PipeKey) -> Self {
        KeyAndCancel(AtomicU64::new(key.to_bits()))
    }

    /// The key (which never changes).
    fn key(&self) -> PipeKey {
        PipeKey::from_bits(self.0.load(Ordering::Relaxed))
    }

    /// Set by the future's cancel (`Release`, so the task that sees it sees what came before).
    fn cancel(&self) {
        self.0.fetch_or(CANCELLED, Ordering::Release);
    }

    /// Read by the task between units of work.
    fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire) & CANCELLED != 0
    }
}

/// The task, then its outcome: the queue's one slot for both. A worker takes the task before
/// it sends anything, and the outcome is the last thing it sends, so the two never coexist and
/// share the space (a task cell is a size class smaller, and taking the task costs no lock of
/// its own: it happens under the queue's lock, with the `S` that follows it).
enum Slot<K, T, E> {
    /// The task, waiting for a worker.
    Task(K),
    /// The task is out (running or finished), or there never was one (a pipe fed by hand).
    Empty,
    /// The final message, queued and not yet taken by the main side.
    Tail(Tail<T, E>),
}

impl<K, T, E> Slot<K, T, E> {
    fn take_task(&mut self) -> Option<K> {
        match mem::replace(self, Slot::Empty) {
            Slot::Task(task) => Some(task),
            other => {
                *self = other;
                None
            }
        }
    }

    fn take_tail(&mut self) -> Option<Tail<T, E>> {
        match mem::replace(self, Slot::Empty) {
            Slot::Tail(tail) => Some(tail),
            other => {
                *self = other;
                None
            }
        }
    }

    fn has_tail(&self) -> bool {
        matches!(self, Slot::Tail(_))
    }
}

/// A pipe's shared state under its mutex. The batch (the messages the worker has queued and
/// the main side has not taken yet) comes first, in protocol order: `head`, then `customs`,
/// then the tail in `slot`; its fields are the queue's own, not a nested struct, so that the
/// small ones share one word with the flags (a task cell is a size class smaller). The custom
/// messages' vector is boxed and allocated only by a task that sends custom messages (once: it
/// is then recycled), so that a call costs less memory.
struct Queue<M, T, E, K> {
    head: Option<Head>,
    #[allow(clippy::box_collection)]
    customs: Option<Box<Vec<M>>>,
    slot: Slot<K, T, E>,
    phase: Phase,
    /// The key has been announced and the main side has not taken the batch since.
    scheduled: bool,
    /// The future is done: later messages are discarded.
    closed: bool,
}

impl<M, T, E, K> Queue<M, T, E, K> {
    /// Queues `message` if the protocol allows it here and the future is not done. `Some`
    /// whether this starts a batch (the key must be announced); `None` if it was discarded.
    fn push(&mut self, message: TaskMessage<M, T, E>) -> Option<bool> {
        let accepted = !self.closed
            && match (self.phase, message) {
                (Phase::Fresh, TaskMessage::Started) => {
                    self.head = Some(Head::Started);
                    self.phase = Phase::Open;
                    true
                }
                (Phase::Fresh, TaskMessage::Abandoned) => {
                    self.head = Some(Head::Abandoned);
                    self.phase = Phase::Ended;
                    true
                }
                (Phase::Open, TaskMessage::Custom(custom)) => {
                    self.customs.get_or_insert_with(Box::default).push(custom);
                    true
                }
                (Phase::Open, TaskMessage::Returned(value)) => {
                    self.slot = Slot::Tail(Ok(value));
                    self.phase = Phase::Ended;
                    true
                }
                (Phase::Open, TaskMessage::Failed(error)) => {
                    self.slot = Slot::Tail(Err(Box::new(error)));
                    self.phase = Phase::Ended;
                    true
                }
                _ => false,
            };
        accepted.then(|| !mem::replace(&mut self.scheduled, true))
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
        self.lock().slot.has_tail()
    }
}

impl<M, T, E, K> PipeShared<M, T, E, K> {
    /// A pipe holding `task` until a worker takes it ([`take_task`](Self::take_task)).
    pub(crate) fn with_task(task: K, key: PipeKey, router: Arc<RouterShared>) -> Self {
        PipeShared::with_slot(Slot::Task(task), key, router)
    }

    fn with_slot(slot: Slot<K, T, E>, key: PipeKey, router: Arc<RouterShared>) -> Self {
        PipeShared {
            queue: Mutex::new(Queue {
                head: None,
                customs: None,
                slot,
                phase: Phase::Fresh,
                scheduled: false,
                closed: false,
            }),
            address: KeyAndCancel::new(key),
            router,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue<M, T, E, K>> {
        // A panic never happens while the lock is held (only moves and Vec pushes), but be
        // robust anyway: the queue's data is always consistent.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Tells the task that its future was cancelled.
    pub(crate) fn cancel(&self) {
        self.address.cancel();
    }

    /// Whether the future was cancelled (the task's check).
    pub(crate) fn is_cancelled(&self) -> bool {
        self.address.is_cancelled()
    }

    /// The worker's first step: takes the task (`None` if it was taken already). With `start`,
    /// and unless the future was cancelled, `S` is queued in the same lock and the flag that
    /// comes with the task is true; a task that comes with `false` has not started: the caller
    /// drops it and sends the future its ending.
    pub(crate) fn take_task(&self, start: bool) -> Option<(K, bool)> {
        let (task, announce) = {
            let mut queue = self.lock();
            let task = queue.slot.take_task()?;
            // Read under the lock, after the task is out: a cancel that comes later finds the
            // task started (and the task sees the flag itself).
            if !start || self.is_cancelled() {
                return Some((task, false));
            }
            (task, queue.push(TaskMessage::Started))
        };
        if announce == Some(true) {
            self.router.announce(self.address.key());
        }
        Some((task, true))
    }

    /// The worker's side: queues `message`; announces the pipe if this starts a new batch.
    /// Messages sent after the future is done, or out of the protocol's order (after the final
    /// one), are discarded with a log line (f91).
    pub(crate) fn send(&self, message: TaskMessage<M, T, E>) {
        let announce = self.lock().push(message);
        match announce {
            Some(true) => self.router.announce(self.address.key()),
            Some(false) => {}
            None => log::warn!(
                "traits-futures: message for a finished future discarded ({:?})",
                self.address.key()
            ),
        }
    }
}

impl<M, T, E, K> MessageSink<M> for PipeShared<M, T, E, K> {
    fn send_custom(&self, message: M) {
        self.send(TaskMessage::Custom(message));
    }

    fn cancelled(&self) -> bool {
        self.is_cancelled()
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
    /// Tells the task that its future was cancelled.
    fn cancel(&self);
    /// The pipe's key in the router.
    fn key(&self) -> PipeKey;
    /// What is queued: head, number of custom messages, and the final message's kind (`true`
    /// for `R`).
    #[cfg(loom)]
    fn queued(&self) -> (Option<Head>, usize, Option<bool>);
}

impl<M: Send, T: Send, E: Send, K: Send> PipeOwner<M, T, E> for PipeShared<M, T, E, K> {
    fn take_batch(&self, spare: &mut Vec<M>) -> (Option<Head>, bool) {
        let mut queue = self.lock();
        queue.scheduled = false;
        if let Some(customs) = queue.customs.as_mut().filter(|c| !c.is_empty()) {
            mem::swap(&mut **customs, spare);
        }
        (queue.head.take(), queue.slot.has_tail())
    }

    fn take_tail(&self) -> Option<Tail<T, E>> {
        self.lock().slot.take_tail()
    }

    fn close(&self) -> Option<Tail<T, E>> {
        let mut queue = self.lock();
        queue.closed = true;
        queue.phase = Phase::Ended;
        queue.slot.take_tail()
    }

    fn cancel(&self) {
        PipeShared::cancel(self);
    }

    fn key(&self) -> PipeKey {
        self.address.key()
    }

    #[cfg(loom)]
    fn queued(&self) -> (Option<Head>, usize, Option<bool>) {
        let queue = self.lock();
        let tail = match &queue.slot {
            Slot::Tail(tail) => Some(tail.is_ok()),
            _ => None,
        };
        (
            queue.head,
            queue.customs.as_ref().map_or(0, |c| c.len()),
            tail,
        )
    }
}

#[cfg(all(test, not(loom), target_pointer_width = "64"))]
mod tests {
    use std::convert::Infallible;
    use std::mem::size_of;

    use super::PipeShared;

    /// The budget in ARCHITECTURE.md: a call's task cell (here with a one-word task) is 56
    /// bytes, an 80-byte chunk with the `Arc`'s counts and glibc's header; 8 bytes more would
    /// be a 96-byte one.
    #[test]
    fn a_call_task_cell_stays_in_its_size_class() {
        assert_eq!(
            size_of::<PipeShared<Infallible, u64, Infallible, usize>>(),
            56
        );
    }
}
