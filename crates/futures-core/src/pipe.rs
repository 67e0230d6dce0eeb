//! A pipe: one task's ordered message queue from its worker to its future.
//!
//! The worker side ([`PipeSender`]) pushes under a per-pipe mutex and, only when the pipe was not
//! already scheduled, announces the pipe's key to the router: a burst of messages costs one
//! announcement. The main side ([`PipeEndpoint`]) takes the whole batch in one lock, then hands
//! the messages to the future one at a time, so that the event loop can check its condition
//! after every message.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::mem;

use crate::future::{FutureHandler, Inner as FutureInner};
use crate::message::TaskMessage;
use crate::router::{PipeKey, RouterShared};
use crate::sync::{Arc, AtomicBool, Mutex, MutexGuard};
use crate::task::MessageSink;

/// The state shared by both ends of a pipe.
pub(crate) struct PipeShared<Msg> {
    queue: Mutex<Queue<Msg>>,
    /// Set by the future's cancel; read by the task between units of work.
    pub(crate) cancelled: AtomicBool,
}

struct Queue<Msg> {
    messages: Vec<Msg>,
    /// The key has been announced and the main side has not taken the batch since.
    scheduled: bool,
    /// The future is done: later messages are discarded.
    closed: bool,
}

impl<Msg> PipeShared<Msg> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(PipeShared {
            queue: Mutex::new(Queue {
                messages: Vec::new(),
                scheduled: false,
                closed: false,
            }),
            cancelled: AtomicBool::new(false),
        })
    }

    fn lock(&self) -> MutexGuard<'_, Queue<Msg>> {
        // A panic never happens while the lock is held (only Vec pushes and swaps), but be
        // robust anyway: the queue's data is always consistent.
        self.queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl<Msg: Send> crate::future::CancelFlag for PipeShared<Msg> {
    fn cancel(&self) {
        self.cancelled
            .store(true, std::sync::atomic::Ordering::Release);
    }
}

/// The worker's end of a pipe.
pub(crate) struct PipeSender<Msg> {
    key: PipeKey,
    shared: Arc<PipeShared<Msg>>,
    router: Arc<RouterShared>,
}

impl<Msg> PipeSender<Msg> {
    pub(crate) fn new(
        key: PipeKey,
        shared: Arc<PipeShared<Msg>>,
        router: Arc<RouterShared>,
    ) -> Self {
        PipeSender {
            key,
            shared,
            router,
        }
    }

    pub(crate) fn shared(&self) -> &PipeShared<Msg> {
        &self.shared
    }

    /// Queues `message`; announces the pipe if this starts a new batch. Messages sent after the
    /// future is done are discarded with a log line (f91).
    pub(crate) fn send(&self, message: Msg) {
        let announce = {
            let mut queue = self.shared.lock();
            if queue.closed {
                drop(queue);
                log::warn!(
                    "traits-futures: message for a finished future discarded ({:?})",
                    self.key
                );
                return;
            }
            queue.messages.push(message);
            !mem::replace(&mut queue.scheduled, true)
        };
        if announce {
            self.router.announce(self.key);
        }
    }
}

impl<M, T, E> MessageSink<M> for PipeSender<TaskMessage<M, T, E>> {
    fn send_custom(&self, message: M) {
        self.send(TaskMessage::Custom(message));
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
    fn close(&self);
    /// The inputs of the messages taken or queued and not yet dispatched, in order (for the
    /// model checker's assertions).
    #[cfg(loom)]
    fn queued_inputs(&self) -> Vec<crate::machine::Input>;
}

/// The main thread's end of a pipe, kept inside the future it feeds.
pub(crate) struct PipeEndpoint<H: FutureHandler> {
    shared: Arc<PipeShared<Envelope<H>>>,
    buffer: RefCell<VecDeque<Envelope<H>>>,
}

/// The message type on a pipe to a future with handler `H`.
pub(crate) type Envelope<H> = TaskMessage<
    <H as FutureHandler>::Message,
    <H as FutureHandler>::Output,
    <H as FutureHandler>::Error,
>;

impl<H: FutureHandler> PipeEndpoint<H> {
    pub(crate) fn new(shared: Arc<PipeShared<Envelope<H>>>) -> Self {
        PipeEndpoint {
            shared,
            buffer: RefCell::new(VecDeque::new()),
        }
    }

    /// Takes the whole shared batch into the (empty) local buffer: one lock per batch on this
    /// side. The two vectors swap roles, so a steady stream allocates nothing: `VecDeque::from`
    /// and `Vec::from` of an emptied deque both reuse their allocation.
    fn refill(&self) {
        let mut buffer = self.buffer.borrow_mut();
        debug_assert!(buffer.is_empty());
        let spare = Vec::from(mem::take(&mut *buffer));
        let mut queue = self.shared.lock();
        queue.scheduled = false;
        *buffer = VecDeque::from(mem::replace(&mut queue.messages, spare));
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
            let next = endpoint.buffer.borrow_mut().pop_front();
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

    fn close(&self) {
        let Some(endpoint) = self.endpoint() else {
            return;
        };
        endpoint.shared.lock().closed = true;
        let late = mem::take(&mut *endpoint.buffer.borrow_mut());
        if !late.is_empty() {
            log::warn!(
                "traits-futures: {} message(s) after the final one discarded",
                late.len()
            );
        }
    }

    #[cfg(loom)]
    fn queued_inputs(&self) -> Vec<crate::machine::Input> {
        let Some(endpoint) = self.endpoint() else {
            return Vec::new();
        };
        let mut inputs: Vec<_> = endpoint.buffer.borrow().iter().map(|m| m.input()).collect();
        let queue = endpoint.shared.lock();
        inputs.extend(queue.messages.iter().map(|m| m.input()));
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
        let shared = PipeShared::new();
        let future: CallFuture<u8> =
            crate::TaskFuture::with_pipe(CallHandler::default(), Arc::clone(&shared));
        let key = router.insert(|_| future.pipe_target());
        let sender = PipeSender::new(key, Arc::clone(&shared), Arc::clone(router.shared()));

        sender.send(TaskMessage::Started);
        sender.send(TaskMessage::Returned(1));
        assert_eq!(drain(&router), 2);
        assert_eq!(future.state().get(), FutureState::Completed);
        assert_eq!(router.live(), 0, "the pipe is closed and removed");

        // A late message (a buggy task type) is neither queued nor announced nor delivered.
        sender.send(TaskMessage::Returned(2));
        assert!(shared.lock().messages.is_empty());
        assert_eq!(drain(&router), 0);
        assert_eq!(future.result(), Ok(&1));
        assert_eq!(future.state().get(), FutureState::Completed);
    }

    #[test]
    fn f91_messages_already_buffered_behind_the_final_one_are_discarded() {
        let router = Router::new(None);
        let shared = PipeShared::new();
        let future: CallFuture<u8> =
            crate::TaskFuture::with_pipe(CallHandler::default(), Arc::clone(&shared));
        let key = router.insert(|_| future.pipe_target());
        let sender = PipeSender::new(key, Arc::clone(&shared), Arc::clone(router.shared()));

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
