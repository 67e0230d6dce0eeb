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
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::future::{FutureHandler, TaskFuture};
use crate::message::TaskMessage;
use crate::router::{PipeKey, RouterShared};
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
    /// Hands the next message to the future. Returns false if there was none.
    fn dispatch_one(&self) -> bool;
    /// Messages already taken from the queue and not yet dispatched.
    fn has_buffered(&self) -> bool;
    /// The future is done; the pipe can be removed.
    fn is_finished(&self) -> bool;
    /// Cancels the future (executor stop).
    fn cancel(&self);
    /// The future is done and the pipe removed: discard whatever else arrives (f91).
    fn close(&self);
}

/// The main thread's end of a pipe, holding the future it feeds.
pub(crate) struct PipeEndpoint<H: FutureHandler> {
    shared: Arc<PipeShared<Envelope<H>>>,
    buffer: RefCell<VecDeque<Envelope<H>>>,
    future: TaskFuture<H>,
}

/// The message type on a pipe to a future with handler `H`.
pub(crate) type Envelope<H> = TaskMessage<
    <H as FutureHandler>::Message,
    <H as FutureHandler>::Output,
    <H as FutureHandler>::Error,
>;

impl<H: FutureHandler> PipeEndpoint<H> {
    pub(crate) fn new(shared: Arc<PipeShared<Envelope<H>>>, future: TaskFuture<H>) -> Self {
        PipeEndpoint {
            shared,
            buffer: RefCell::new(VecDeque::new()),
            future,
        }
    }

    fn refill(&self) {
        let mut buffer = self.buffer.borrow_mut();
        let mut queue = self.shared.lock();
        queue.scheduled = false;
        if buffer.is_empty() {
            // Swap the whole batch out: one lock per batch on this side. `VecDeque::from(Vec)`
            // reuses the allocation.
            *buffer = VecDeque::from(mem::take(&mut queue.messages));
        } else {
            buffer.extend(queue.messages.drain(..));
        }
    }
}

impl<H: FutureHandler> PipeTarget for PipeEndpoint<H> {
    fn dispatch_one(&self) -> bool {
        if self.buffer.borrow().is_empty() {
            self.refill();
        }
        let next = self.buffer.borrow_mut().pop_front();
        let Some(message) = next else { return false };
        if let Err(violation) = self.future.receive(message) {
            log::error!("traits-futures: {violation}; message ignored");
        }
        true
    }

    fn close(&self) {
        self.shared.lock().closed = true;
        let late = mem::take(&mut *self.buffer.borrow_mut());
        if !late.is_empty() {
            log::warn!(
                "traits-futures: {} message(s) after the final one discarded",
                late.len()
            );
        }
    }

    fn has_buffered(&self) -> bool {
        !self.buffer.borrow().is_empty()
    }

    fn is_finished(&self) -> bool {
        self.future.state().get().is_done()
    }

    fn cancel(&self) {
        self.future.cancel();
    }
}
