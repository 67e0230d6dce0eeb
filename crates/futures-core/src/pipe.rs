//! A pipe: one task's ordered message queue from its worker to its future.
//!
//! The worker side ([`PipeShared::send`]) queues under a per-pipe mutex and, only when the pipe was not
//! already scheduled, announces the pipe's key to the router: a burst of messages costs one
//! announcement. The main side ([`PipeEndpoint`]) takes the whole batch in one lock, then hands
//! the messages to the future one at a time, so that the event loop can check its condition
//! after every message.
//!
//! Fast path: a batch is a [`Batch`], not a vector of messages. The protocol fixes where `S`,
//! `A`, `R` and `X` can appear (first, alone, last), so they travel in two fixed slots and only
//! custom messages need a vector: a call (`S` then `R`) allocates nothing in its pipe, and a
//! stream of items reuses two vectors that swap roles.

use std::cell::RefCell;
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
enum Head {
    Started,
    Abandoned,
}

/// The final message after `Started`: the task's outcome.
type Tail<T, E> = Result<T, TaskError<E>>;

/// Messages in protocol order: `head`, then `customs`, then `tail`. `C` is the container of
/// custom messages: a `Vec` on the worker side, a `VecDeque` on the main side, each boxed and
/// allocated only for a task that sends custom messages, so that a call costs less memory.
struct Batch<C, T, E> {
    head: Option<Head>,
    customs: C,
    tail: Option<Tail<T, E>>,
}

impl<C: Default, T, E> Batch<C, T, E> {
    fn new() -> Self {
        Batch {
            head: None,
            customs: C::default(),
            tail: None,
        }
    }
}

/// The main side's batch, being dispatched.
type LocalBatch<H> = Batch<
    Option<Box<VecDeque<<H as FutureHandler>::Message>>>,
    <H as FutureHandler>::Output,
    <H as FutureHandler>::Error,
>;

impl<M, T, E> Batch<Option<Box<VecDeque<M>>>, T, E> {
    /// The next message in protocol order.
    fn pop(&mut self) -> Option<TaskMessage<M, T, E>> {
        if let Some(head) = self.head.take() {
            return Some(match head {
                Head::Started => TaskMessage::Started,
                Head::Abandoned => TaskMessage::Abandoned,
            });
        }
        if let Some(custom) = self
            .customs
            .as_mut()
            .and_then(|customs| customs.pop_front())
        {
            return Some(TaskMessage::Custom(custom));
        }
        self.tail.take().map(|tail| match tail {
            Ok(value) => TaskMessage::Returned(value),
            Err(error) => TaskMessage::Failed(error),
        })
    }

    fn customs_len(&self) -> usize {
        self.customs.as_ref().map_or(0, |customs| customs.len())
    }

    fn is_empty(&self) -> bool {
        self.head.is_none() && self.customs_len() == 0 && self.tail.is_none()
    }

    fn len(&self) -> usize {
        usize::from(self.head.is_some()) + self.customs_len() + usize::from(self.tail.is_some())
    }

    fn clear(&mut self) {
        self.head = None;
        if let Some(customs) = &mut self.customs {
            customs.clear();
        }
        self.tail = None;
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

/// The state shared by both ends of a pipe.
pub(crate) struct PipeShared<M, T, E> {
    queue: Mutex<Queue<M, T, E>>,
    /// Set by the future's cancel; read by the task between units of work.
    pub(crate) cancelled: AtomicBool,
    /// The pipe's key in the router, announced when a batch starts.
    key: PipeKey,
    router: Arc<RouterShared>,
}

struct Queue<M, T, E> {
    // Boxed on purpose: 8 bytes instead of 24 in every task, and allocated only by tasks that
    // send custom messages (once: the vector is then recycled).
    #[allow(clippy::box_collection)]
    batch: Batch<Option<Box<Vec<M>>>, T, E>,
    phase: Phase,
    /// The key has been announced and the main side has not taken the batch since.
    scheduled: bool,
    /// The future is done: later messages are discarded.
    closed: bool,
}

impl<M, T, E> PipeShared<M, T, E> {
    pub(crate) fn new(key: PipeKey, router: Arc<RouterShared>) -> Self {
        PipeShared {
            queue: Mutex::new(Queue {
                batch: Batch::new(),
                phase: Phase::Fresh,
                scheduled: false,
                closed: false,
            }),
            cancelled: AtomicBool::new(false),
            key,
            router,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Queue<M, T, E>> {
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

    /// The worker's side: queues `message`; announces the pipe if this starts a new batch.
    /// Messages sent after the future is done, or out of the protocol's order (after the final
    /// one), are discarded with a log line (f91).
    pub(crate) fn send(&self, message: TaskMessage<M, T, E>) {
        let announce = {
            let mut queue = self.lock();
            let Queue {
                batch,
                phase,
                scheduled,
                closed,
            } = &mut *queue;
            let accepted = !*closed
                && match (*phase, message) {
                    (Phase::Fresh, TaskMessage::Started) => {
                        batch.head = Some(Head::Started);
                        *phase = Phase::Open;
                        true
                    }
                    (Phase::Fresh, TaskMessage::Abandoned) => {
                        batch.head = Some(Head::Abandoned);
                        *phase = Phase::Ended;
                        true
                    }
                    (Phase::Open, TaskMessage::Custom(custom)) => {
                        batch.customs.get_or_insert_with(Box::default).push(custom);
                        true
                    }
                    (Phase::Open, TaskMessage::Returned(value)) => {
                        batch.tail = Some(Ok(value));
                        *phase = Phase::Ended;
                        true
                    }
                    (Phase::Open, TaskMessage::Failed(error)) => {
                        batch.tail = Some(Err(error));
                        *phase = Phase::Ended;
                        true
                    }
                    _ => false,
                };
            if !accepted {
                drop(queue);
                log::warn!(
                    "traits-futures: message for a finished future discarded ({:?})",
                    self.key
                );
                return;
            }
            !mem::replace(scheduled, true)
        };
        if announce {
            self.router.announce(self.key);
        }
    }
}

impl<M, T, E> MessageSink<M> for PipeShared<M, T, E> {
    fn send_custom(&self, message: M) {
        self.send(TaskMessage::Custom(message));
    }
}

/// Whatever allocation holds a pipe's shared state (the task's cell, see `runner.rs`), as the
/// future's endpoint sees it.
pub(crate) trait PipeOwner<M, T, E>: Send + Sync {
    fn pipe(&self) -> &PipeShared<M, T, E>;
}

impl<M: Send, T: Send, E: Send> PipeOwner<M, T, E> for PipeShared<M, T, E> {
    fn pipe(&self) -> &PipeShared<M, T, E> {
        self
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
    buffer: RefCell<LocalBatch<H>>,
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
            buffer: RefCell::new(Batch::new()),
        }
    }

    /// The shared state.
    pub(crate) fn shared(&self) -> &PipeShared<H::Message, H::Output, H::Error> {
        self.owner.pipe()
    }

    /// Takes the whole shared batch into the (empty) local buffer: one lock per batch on this
    /// side. The two custom-message vectors swap roles, so a steady stream allocates nothing:
    /// `VecDeque::from` and `Vec::from` of an emptied deque both reuse their allocation, and
    /// the local deque's box is allocated once, with the first custom message.
    fn refill(&self) {
        let mut buffer = self.buffer.borrow_mut();
        debug_assert!(buffer.is_empty());
        let mut spare = buffer
            .customs
            .as_mut()
            .map(|customs| Vec::from(mem::take(&mut **customs)))
            .unwrap_or_default();
        {
            let mut queue = self.owner.pipe().lock();
            queue.scheduled = false;
            buffer.head = queue.batch.head.take();
            buffer.tail = queue.batch.tail.take();
            if let Some(customs) = queue.batch.customs.as_mut().filter(|c| !c.is_empty()) {
                mem::swap(&mut **customs, &mut spare);
            }
        }
        // `spare` now holds the new custom messages, or is the emptied local vector again.
        if let Some(customs) = &mut buffer.customs {
            **customs = VecDeque::from(spare);
        } else if !spare.is_empty() {
            buffer.customs = Some(Box::new(VecDeque::from(spare)));
        }
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
            let next = endpoint.buffer.borrow_mut().pop();
            let message = match next {
                Some(message) => message,
                None if !refilled => {
                    refilled = true;
                    endpoint.refill();
                    continue;
                }
                None => break,
            };
            if self.finishes(&message) {
                retire();
            }
            if let Err(violation) = self.receive(message) {
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
            .is_some_and(|endpoint| !endpoint.buffer.borrow().is_empty())
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
        // The common case needs no lock: the worker side's phase is already `Ended`. A future
        // finished otherwise (fed directly with `receive`) must close its pipe.
        if !after_final_message {
            let mut queue = endpoint.shared().lock();
            queue.closed = true;
            queue.phase = Phase::Ended;
        }
        let mut buffer = endpoint.buffer.borrow_mut();
        if !buffer.is_empty() {
            log::warn!(
                "traits-futures: {} message(s) after the final one discarded",
                buffer.len()
            );
            buffer.clear();
        }
    }

    #[cfg(loom)]
    fn queued_inputs(&self) -> Vec<crate::machine::Input> {
        let Some(endpoint) = self.endpoint() else {
            return Vec::new();
        };
        let buffer = endpoint.buffer.borrow();
        let queue = endpoint.shared().lock();
        let mut inputs = Vec::new();
        for (head, customs, tail) in [
            (
                buffer.head,
                buffer.customs_len(),
                buffer.tail.as_ref().map(Result::is_ok),
            ),
            (
                queue.batch.head,
                queue.batch.customs.as_ref().map_or(0, |c| c.len()),
                queue.batch.tail.as_ref().map(Result::is_ok),
            ),
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
        assert!(sender.lock().batch.tail.is_none());
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
