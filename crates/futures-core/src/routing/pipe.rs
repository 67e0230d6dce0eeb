//! A pipe: one task's ordered message queue from its worker to its future. Its shared half,
//! which the worker fills, is `pipe_shared.rs`; this is the main thread's end.
//!
//! The main side ([`PipeEndpoint`]) takes the whole batch in one lock (the final message in a
//! second one, when its turn comes), then hands the messages to the future one at a time, so
//! that the event loop can check its condition after every message. The final message stays in
//! the shared slot until its turn comes: the main side only notes that it is there, which keeps
//! every future a result-sized slot smaller.

use std::any::Any;
use std::cell::Cell;
use std::collections::VecDeque;
use std::mem;
use std::rc::Rc;

use crate::routing::message::TaskMessage;
pub(crate) use crate::routing::pipe_shared::{Head, PipeOwner, PipeShared};
#[cfg(loom)]
use crate::state::Input;
use crate::sync::Arc;

/// What the main side knows of the batch it is dispatching besides its custom messages:
/// whether `S` (or `A`) and the final message are still to be delivered. The future keeps them
/// for its endpoint, beside its state machine rather than in the endpoint, so that the future
/// stays small: every waiting future pays for every byte.
#[derive(Clone, Copy, Default)]
pub(crate) struct BatchMarks {
    head: Option<Head>,
    /// The shared batch's `tail` was there at the last refill: it is delivered (taken from the
    /// shared batch) after the customs.
    tail_ready: bool,
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
    /// The executor was dropped without stopping, and the router with it: from now on the
    /// future (already cancelled) delivers its pipe's messages to itself, whenever its state is
    /// read, and at once as far as they have arrived. A task no worker has taken yet is taken
    /// back ([`PipeOwner::withdraw`]), so that its future ends now. Observers run inside; a
    /// panic of one resumes out of this call once the bookkeeping is done.
    fn orphan(&self);
    /// The future is done and the pipe removed: discard whatever else arrives (f91).
    /// `after_final_message` says that the future finished on a final message from this pipe,
    /// which the worker side only accepts as its last (it already discards anything later).
    fn close(&self, after_final_message: bool);
    /// The inputs of the messages taken or queued and not yet dispatched, in order (for the
    /// model checker's assertions).
    #[cfg(loom)]
    fn queued_inputs(&self) -> Vec<Input>;
    /// A service, not a task's pipe (the remote submitters' queue): the router does not count
    /// it among the live tasks. `cancel` and `orphan` close it.
    fn is_service(&self) -> bool {
        false
    }
    /// The future this pipe feeds, as the layer that made it sees it (boxed as `Any`: the
    /// router knows no futures), for listing the live futures; `None` for a service.
    fn future_view(self: Rc<Self>) -> Option<Box<dyn Any>> {
        None
    }
}

/// The main thread's end of a pipe, kept inside the future it feeds.
pub(crate) struct PipeEndpoint<M, T, E> {
    owner: Arc<dyn PipeOwner<M, T, E>>,
    /// The custom messages of the batch being dispatched. Cells, not a `RefCell`: dispatch is
    /// re-entrant (an observer may run the event loop), and no borrow is held while a message
    /// is delivered.
    #[allow(clippy::box_collection)]
    customs: Cell<Option<Box<VecDeque<M>>>>,
}

impl<M, T, E> PipeEndpoint<M, T, E> {
    pub(crate) fn new(owner: Arc<dyn PipeOwner<M, T, E>>) -> Self {
        PipeEndpoint {
            owner,
            customs: Cell::new(None),
        }
    }

    /// The shared state.
    pub(crate) fn shared(&self) -> &dyn PipeOwner<M, T, E> {
        &*self.owner
    }

    /// The endpoint with the batch marks its future keeps for it.
    pub(crate) fn with_marks<'a>(&'a self, marks: &'a Cell<BatchMarks>) -> Endpoint<'a, M, T, E> {
        Endpoint {
            endpoint: self,
            marks,
        }
    }
}

/// A pipe's main-thread end as its future lends it: the endpoint, and the batch's marks.
pub(crate) struct Endpoint<'a, M, T, E> {
    endpoint: &'a PipeEndpoint<M, T, E>,
    marks: &'a Cell<BatchMarks>,
}

impl<M, T, E> Endpoint<'_, M, T, E> {
    /// The shared state.
    pub(crate) fn shared(&self) -> &dyn PipeOwner<M, T, E> {
        self.endpoint.shared()
    }

    /// The next message of the local batch in protocol order; the final one is taken from the
    /// shared slot.
    fn pop(&self) -> Option<TaskMessage<M, T, E>> {
        let mut marks = self.marks.get();
        if let Some(head) = marks.head.take() {
            self.marks.set(marks);
            return Some(match head {
                Head::Started => TaskMessage::Started,
                Head::Abandoned => TaskMessage::Abandoned,
            });
        }
        let customs = &self.endpoint.customs;
        let mut local = customs.take();
        let custom = local.as_mut().and_then(|local| local.pop_front());
        customs.set(local);
        if let Some(custom) = custom {
            return Some(TaskMessage::Custom(custom));
        }
        if !marks.tail_ready {
            return None;
        }
        self.marks.set(BatchMarks::default());
        // The worker sends nothing after the final message, so the slot still holds it.
        self.shared().take_tail().map(|tail| match tail {
            Ok(value) => TaskMessage::Returned(value),
            Err(error) => TaskMessage::Failed(*error),
        })
    }

    /// The next custom message of the local batch, if it is what comes next: no head is
    /// waiting before it. `None` says nothing more than that ([`next`](Self::next) knows the
    /// rest: the final message, a refill).
    #[inline]
    pub(crate) fn pop_custom(&self) -> Option<M> {
        if self.marks.get().head.is_some() {
            return None;
        }
        let customs = &self.endpoint.customs;
        let mut local = customs.take()?;
        let custom = local.pop_front();
        customs.set(Some(local));
        custom
    }

    fn customs_len(&self) -> usize {
        let customs = self.endpoint.customs.take();
        let len = customs.as_ref().map_or(0, |customs| customs.len());
        self.endpoint.customs.set(customs);
        len
    }

    /// Messages taken from the shared batch and not yet delivered.
    pub(crate) fn len(&self) -> usize {
        let marks = self.marks.get();
        usize::from(marks.head.is_some()) + self.customs_len() + usize::from(marks.tail_ready)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes the whole shared batch into the (empty) local one: one lock per batch on this
    /// side. The two custom-message vectors swap roles, so a steady stream allocates nothing:
    /// `VecDeque::from` and `Vec::from` of an emptied deque both reuse their allocation, and
    /// the local deque's box is allocated once, with the first custom message. The final
    /// message stays in the shared slot; the marks note that it is there.
    fn refill(&self) {
        debug_assert!(self.is_empty());
        let customs = &self.endpoint.customs;
        let mut local = customs.take();
        let mut spare = local
            .as_mut()
            .map(|customs| Vec::from(mem::take(&mut **customs)))
            .unwrap_or_default();
        let (head, tail_ready) = self.shared().take_batch(&mut spare);
        self.marks.set(BatchMarks { head, tail_ready });
        // `spare` now holds the new custom messages, or is the emptied local vector again.
        if let Some(customs) = &mut local {
            **customs = VecDeque::from(spare);
        } else if !spare.is_empty() {
            local = Some(Box::new(VecDeque::from(spare)));
        }
        customs.set(local);
    }

    /// The next message from the local batch, refilled from the shared batch when it runs
    /// out, unless `refilled` says that was done already (then it is set).
    pub(crate) fn next(&self, refilled: &mut bool) -> Option<TaskMessage<M, T, E>> {
        let message = self.pop();
        if message.is_some() || *refilled {
            return message;
        }
        *refilled = true;
        self.refill();
        self.pop()
    }

    /// The future is done and its pipe leaves the router: discards the local batch and, unless
    /// the future finished on this pipe's final message (the worker side then accepts nothing
    /// more), closes the shared state. Returns how many undelivered messages were discarded.
    pub(crate) fn close(&self, after_final_message: bool) -> usize {
        // The common case needs no lock: the worker side's phase is already `Ended`, and the
        // final message was the last one buffered. A future finished otherwise (fed directly
        // with `receive`) must close its pipe; a final message still in the shared slot is
        // dropped here, on the main thread, like every message discarded after the end.
        let buffered = self.len();
        let tail = if !after_final_message || self.marks.get().tail_ready {
            self.shared().close()
        } else {
            None
        };
        self.marks.set(BatchMarks::default());
        drop(self.endpoint.customs.take());
        drop(tail);
        buffered
    }

    /// The inputs of the messages taken or queued and not yet dispatched, in order (for the
    /// model checker's assertions).
    #[cfg(loom)]
    pub(crate) fn queued_inputs(&self) -> Vec<Input> {
        let (queued_head, queued_customs, tail) = self.shared().queued();
        // A final message the marks note is still in the shared slot: count it once, as the
        // local batch's.
        let marks = self.marks.get();
        let tail_ready = marks.tail_ready;
        let mut inputs = Vec::new();
        for (head, customs, tail) in [
            (marks.head, self.customs_len(), tail.filter(|_| tail_ready)),
            (queued_head, queued_customs, tail.filter(|_| !tail_ready)),
        ] {
            inputs.extend(head.map(|head| match head {
                Head::Started => Input::Started,
                Head::Abandoned => Input::Abandoned,
            }));
            inputs.extend(std::iter::repeat_n(Input::Custom, customs));
            inputs.extend(tail.map(|ok| if ok { Input::Returned } else { Input::Failed }));
        }
        inputs
    }
}
