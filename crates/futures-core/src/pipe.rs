//! A pipe: one task's ordered message queue from its worker to its future.
//!
//! The worker side ([`PipeShared::send`]) queues under a per-pipe mutex and, only when the pipe was not
//! already scheduled, announces the pipe's key to the router: a burst of messages costs one
//! announcement. The main side ([`PipeEndpoint`]) takes the whole batch in one lock (the final
//! message in a second one, when its turn comes), then hands the messages to the future one at
//! a time, so that the event loop can check its condition after every message.
//!
//! Fast path: a batch is three fields of the shared queue, not a vector of messages. The protocol fixes where `S`,
//! `A`, `R` and `X` can appear (first, alone, last), so they travel in two fixed slots and only
//! custom messages need a vector: a call (`S` then `R`) allocates nothing in its pipe, and a
//! stream of items reuses two vectors that swap roles. The final message (the task's result)
//! stays in the shared slot until its turn comes: the main side only notes that it is there,
//! which keeps every future a result-sized slot smaller. Before the task starts, the same slot
//! holds the task itself.

use std::cell::Cell;
use std::collections::VecDeque;
use std::mem;

use crate::error::TaskError;
use crate::future::{FutureHandler, Inner as FutureInner};
use crate::message::TaskMessage;
use crate::router::{PipeKey, RouterShared};
use crate::sync::{Arc, AtomicBool, Mutex, MutexGuard};
use crate::task::MessageSink;

/// The first message of a task's sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Head {
    Started,
    Abandoned,
}

/// The final message after `Started`: the task's outcome.
pub(crate) type Tail<T, E> = Result<T, TaskError<E>>;

/// The main side's batch, being dispatched: what the last refill took from the shared batch.
/// Cells, not a `RefCell`: dispatch is re-entrant (an observer may run the event loop), and no
/// borrow is held while a message is delivered.
struct LocalBatch<M> {
    head: Cell<Option<Head>>,
    #[allow(clippy::box_collection)]
    customs: Cell<Option<Box<VecDeque<M>>>>,
    /// The shared batch's `tail` was there at the last refill: it is delivered (taken from the
    /// shared batch) after the customs.
    tail_ready: Cell<bool>,
}

impl<M> LocalBatch<M> {
    fn new() -> Self {
        LocalBatch {
            head: Cell::new(None),
            customs: Cell::new(None),
            tail_ready: Cell::new(false),
        }
    }

    /// The next message in protocol order; the final one is taken from `shared`.
    fn pop<T, E>(&self, shared: &dyn PipeOwner<M, T, E>) -> Option<TaskMessage<M, T, E>> {
        if let Some(head) = self.head.take() {
            return Some(match head {
                Head::Started => TaskMessage::Started,
                Head::Abandoned => TaskMessage::Abandoned,
            });
        }
        let mut customs = self.customs.take();
        let custom = customs.as_mut().and_then(|customs| customs.pop_front());
        self.customs.set(customs);
        if let Some(custom) = custom {
            return Some(TaskMessage::Custom(custom));
        }
        if !self.tail_ready.replace(false) {
            return None;
        }
        // The worker sends nothing after the final message, so the slot still holds it.
        shared.take_tail().map(|tail| match tail {
            Ok(value) => TaskMessage::Returned(value),
            Err(error) => TaskMessage::Failed(error),
        })
    }

    fn customs_len(&self) -> usize {
        let customs = self.customs.take();
        let len = customs.as_ref().map_or(0, |customs| customs.len());
        self.customs.set(customs);
        len
    }

    fn len(&self) -> usize {
        usize::from(self.head.get().is_some())
            + self.customs_len()
            + usize::from(self.tail_ready.get())
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

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
    /// Set by the future's cancel; read by the task between units of work.
    pub(crate) cancelled: AtomicBool,
    /// The pipe's key in the router, announced when a batch starts.
    key: PipeKey,
    router: Arc<RouterShared>,
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
                    self.slot = Slot::Tail(Err(error));
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
            cancelled: AtomicBool::new(false),
            key,
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
        self.cancelled.store(true, crate::sync::Ordering::Release);
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
            if !start || self.cancelled.load(crate::sync::Ordering::Acquire) {
                return Some((task, false));
            }
            (task, queue.push(TaskMessage::Started))
        };
        if announce == Some(true) {
            self.router.announce(self.key);
        }
        Some((task, true))
    }

    /// The worker's side: queues `message`; announces the pipe if this starts a new batch.
    /// Messages sent after the future is done, or out of the protocol's order (after the final
    /// one), are discarded with a log line (f91).
    pub(crate) fn send(&self, message: TaskMessage<M, T, E>) {
        let announce = self.lock().push(message);
        match announce {
            Some(true) => self.router.announce(self.key),
            Some(false) => {}
            None => log::warn!(
                "traits-futures: message for a finished future discarded ({:?})",
                self.key
            ),
        }
    }
}

impl<M, T, E, K> MessageSink<M> for PipeShared<M, T, E, K> {
    fn send_custom(&self, message: M) {
        self.send(TaskMessage::Custom(message));
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

/// The main thread's view of a pipe, type-erased so that the router can hold every task type.
pub(crate) trait PipeTarget {
    /// Hands messages to the future, one at a time, until the buffer (refilled at most once from
    /// the shared queue) is empty, the future is done, `budget` is spent, or `stop()` says so
    /// after a message. Returns how many were delivered.
    ///
    /// `retire` is called just before a message that finishes the future is applied.
    fn dispatch(&self, budget: usize, stop: &mut dyn FnMut() -> bool, retire: &dyn Fn()) -> usize;
    /// Messages already taken from the queue and not yet dispatched.
    fn has_buffered(&self) -> bool;
    /// The future is done; the pipe can be removed.
    fn is_finished(&self) -> bool;
    /// Cancels the future (executor stop).
    fn cancel(&self);
    /// The future is done and the pipe removed: discard whatever else arrives (f91).
    /// `after_final_message` says that the future finished on a final message from this pipe,
    /// which the worker side only accepts as its last (it already discards anything later).
    fn close(&self, after_final_message: bool);
    /// The inputs of the messages taken or queued and not yet dispatched, in order (for the
    /// model checker's assertions).
    #[cfg(loom)]
    fn queued_inputs(&self) -> Vec<crate::machine::Input>;
}

/// The main thread's end of a pipe, kept inside the future it feeds.
pub(crate) struct PipeEndpoint<H: FutureHandler> {
    owner: Arc<OwnerFor<H>>,
    buffer: LocalBatch<H::Message>,
}

/// The message type on a pipe to a future with handler `H`.
pub(crate) type Envelope<H> = TaskMessage<
    <H as FutureHandler>::Message,
    <H as FutureHandler>::Output,
    <H as FutureHandler>::Error,
>;

/// The owner of the shared state of a pipe to a future with handler `H`.
pub(crate) type OwnerFor<H> = dyn PipeOwner<
    <H as FutureHandler>::Message,
    <H as FutureHandler>::Output,
    <H as FutureHandler>::Error,
>;

impl<H: FutureHandler> PipeEndpoint<H> {
    pub(crate) fn new(owner: Arc<OwnerFor<H>>) -> Self {
        PipeEndpoint {
            owner,
            buffer: LocalBatch::new(),
        }
    }

    /// The shared state.
    pub(crate) fn shared(&self) -> &OwnerFor<H> {
        &*self.owner
    }

    /// Takes the whole shared batch into the (empty) local buffer: one lock per batch on this
    /// side. The two custom-message vectors swap roles, so a steady stream allocates nothing:
    /// `VecDeque::from` and `Vec::from` of an emptied deque both reuse their allocation, and
    /// the local deque's box is allocated once, with the first custom message. The final
    /// message stays in the shared slot; the buffer notes that it is there.
    fn refill(&self) {
        let buffer = &self.buffer;
        debug_assert!(buffer.is_empty());
        let mut local = buffer.customs.take();
        let mut spare = local
            .as_mut()
            .map(|customs| Vec::from(mem::take(&mut **customs)))
            .unwrap_or_default();
        let (head, tail_ready) = self.owner.take_batch(&mut spare);
        buffer.head.set(head);
        buffer.tail_ready.set(tail_ready);
        // `spare` now holds the new custom messages, or is the emptied local vector again.
        if let Some(customs) = &mut local {
            **customs = VecDeque::from(spare);
        } else if !spare.is_empty() {
            local = Some(Box::new(VecDeque::from(spare)));
        }
        buffer.customs.set(local);
    }

    /// The next message from the local buffer, refilled from the shared batch when it runs
    /// out, unless `refilled` says that was done already (then it is set).
    fn next(&self, refilled: &mut bool) -> Option<Envelope<H>> {
        let message = self.buffer.pop(self.shared());
        if message.is_some() || *refilled {
            return message;
        }
        *refilled = true;
        self.refill();
        self.buffer.pop(self.shared())
    }
}

/// Futures made by an executor are the router's pipe targets.
impl<H: FutureHandler> PipeTarget for FutureInner<H> {
    fn dispatch(
        &self,
        mut budget: usize,
        stop: &mut dyn FnMut() -> bool,
        retire: &dyn Fn(),
    ) -> usize {
        let Some(endpoint) = self.endpoint() else {
            return 0;
        };
        let mut delivered = 0;
        let mut refilled = false;
        while budget > 0 {
            let Some(message) = endpoint.next(&mut refilled) else {
                break;
            };
            if let Err(violation) = self.receive_then(message, retire) {
                log::error!("traits-futures: {violation}; message ignored");
            }
            delivered += 1;
            budget -= 1;
            // `stop` sees every message, including the last one of a finished future.
            if stop() || self.is_done() {
                break;
            }
        }
        delivered
    }

    fn has_buffered(&self) -> bool {
        self.endpoint()
            .is_some_and(|endpoint| !endpoint.buffer.is_empty())
    }

    fn is_finished(&self) -> bool {
        self.is_done()
    }

    fn cancel(&self) {
        FutureInner::cancel(self);
    }

    fn close(&self, after_final_message: bool) {
        let Some(endpoint) = self.endpoint() else {
            return;
        };
        // The common case needs no lock: the worker side's phase is already `Ended`, and the
        // final message was the last one buffered. A future finished otherwise (fed directly
        // with `receive`) must close its pipe; a final message still in the shared slot is
        // dropped here, on the main thread, like every message discarded after the end.
        let buffer = &endpoint.buffer;
        let buffered = buffer.len();
        let tail = if !after_final_message || buffer.tail_ready.get() {
            endpoint.shared().close()
        } else {
            None
        };
        if buffered > 0 {
            log::warn!("traits-futures: {buffered} message(s) after the final one discarded");
        }
        buffer.head.set(None);
        drop(buffer.customs.take());
        buffer.tail_ready.set(false);
        drop(tail);
    }

    #[cfg(loom)]
    fn queued_inputs(&self) -> Vec<crate::machine::Input> {
        let Some(endpoint) = self.endpoint() else {
            return Vec::new();
        };
        let buffer = &endpoint.buffer;
        let (queued_head, queued_customs, tail) = endpoint.shared().queued();
        // A final message the buffer has noted is still in the shared slot: count it once, as
        // the buffer's.
        let tail_ready = buffer.tail_ready.get();
        let mut inputs = Vec::new();
        for (head, customs, tail) in [
            (
                buffer.head.get(),
                buffer.customs_len(),
                tail.filter(|_| tail_ready),
            ),
            (queued_head, queued_customs, tail.filter(|_| !tail_ready)),
        ] {
            inputs.extend(head.map(|head| match head {
                Head::Started => crate::machine::Input::Started,
                Head::Abandoned => crate::machine::Input::Abandoned,
            }));
            inputs.extend(std::iter::repeat_n(crate::machine::Input::Custom, customs));
            inputs.extend(tail.map(|ok| {
                if ok {
                    crate::machine::Input::Returned
                } else {
                    crate::machine::Input::Failed
                }
            }));
        }
        inputs
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::call::{CallFuture, CallHandler};
    use crate::router::{Router, Step};
    use crate::state::FutureState;

    type CallPipe = PipeShared<std::convert::Infallible, u8, std::convert::Infallible>;

    /// A call future fed by a pipe that the test writes to.
    fn call_future(router: &Router) -> (CallFuture<u8>, Arc<CallPipe>) {
        let mut made = None;
        router.insert(|key| {
            let shared = Arc::new(PipeShared::new(key, Arc::clone(router.shared())));
            let future = crate::TaskFuture::with_pipe(CallHandler::default(), shared.clone());
            let target = future.pipe_target();
            made = Some((future, shared));
            target
        });
        made.expect("insert calls its closure")
    }

    /// Dispatches everything pending; returns how many messages were delivered.
    fn drain(router: &Router) -> usize {
        let mut delivered = 0;
        while let Step::Delivered { count, .. } = router.dispatch(usize::MAX, &mut || false) {
            delivered += count;
        }
        delivered
    }

    #[test]
    fn f91_messages_sent_after_the_pipe_closed_are_discarded() {
        let router = Router::new(None);
        let (future, sender) = call_future(&router);

        sender.send(TaskMessage::Started);
        sender.send(TaskMessage::Returned(1));
        assert_eq!(drain(&router), 2);
        assert_eq!(future.state().get(), FutureState::Completed);
        assert_eq!(router.live(), 0, "the pipe is closed and removed");

        // A late message (a buggy task type) is neither queued nor announced nor delivered.
        sender.send(TaskMessage::Returned(2));
        assert!(!sender.lock().slot.has_tail());
        assert_eq!(drain(&router), 0);
        assert_eq!(future.result(), Ok(&1));
        assert_eq!(future.state().get(), FutureState::Completed);
    }

    #[test]
    fn f91_messages_already_buffered_behind_the_final_one_are_discarded() {
        let router = Router::new(None);
        let (future, sender) = call_future(&router);

        // All in one batch: the messages after the final one never reach the future.
        sender.send(TaskMessage::Started);
        sender.send(TaskMessage::Returned(1));
        sender.send(TaskMessage::Returned(2));
        sender.send(TaskMessage::Started);
        assert_eq!(drain(&router), 2);
        assert_eq!(future.result(), Ok(&1));
        assert!(!future.pipe_target().has_buffered());
        assert_eq!(future.state().get(), FutureState::Completed);
    }
}
