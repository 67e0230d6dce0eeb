//! The main thread's end of a [`Submitter`](super::Submitter)'s queue, [`RemoteIntake`]: a
//! service in the executor's router, dispatched like a task's pipe (see `submitter.rs`).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::mem;
use std::rc::Weak;
use std::sync::Arc;

use super::{discard, OnMain, Shared, Submission};
use crate::executor::traits_executor::{Inner as ExecutorInner, TraitsExecutor};
use crate::future::task_future::FutureHandler;
use crate::routing::pipe::PipeTarget;
#[cfg(loom)]
use crate::state::Input;

/// The main thread's end of a submitters' queue: a service in the executor's router.
pub(super) struct RemoteIntake<H: FutureHandler> {
    pub(super) shared: Arc<Shared<H>>,
    /// Weak: the router that holds the intake belongs to the executor.
    pub(super) executor: Weak<ExecutorInner>,
    /// `None` once closed.
    pub(super) on_main: RefCell<Option<OnMain<H>>>,
    /// The submissions taken from the queue and not yet handed over. Borrowed only briefly:
    /// dispatch is re-entrant (the callback may run an event loop).
    pub(super) local: RefCell<VecDeque<Submission<H>>>,
}

impl<H: FutureHandler> RemoteIntake<H> {
    fn is_closed(&self) -> bool {
        self.on_main.borrow().is_none()
    }

    /// The next submission: from the local batch, refilled from the queue unless `refilled`
    /// says that was done already in this step.
    fn next(&self, refilled: &mut bool) -> Option<Submission<H>> {
        if let Some(next) = self.local.borrow_mut().pop_front() {
            return Some(next);
        }
        if *refilled || self.is_closed() {
            return None;
        }
        *refilled = true;
        let mut local = self.local.borrow_mut();
        let mut queue = self.shared.lock();
        // The local batch is empty: swap it for the queue (the empty one keeps its allocation).
        mem::swap(&mut *local, &mut queue.items);
        queue.scheduled = false;
        drop(queue);
        local.pop_front()
    }

    /// Makes the future and hands it to the callback (user code, which may panic or run an
    /// event loop: no borrow is held).
    fn hand_over(&self, submission: Submission<H>) {
        let Some(executor) = TraitsExecutor::upgrade(&self.executor) else {
            discard("a remote submission of a dropped executor", submission);
            return;
        };
        match submission(&executor) {
            Ok(future) => {
                let on_main = self.on_main.borrow().clone();
                match on_main {
                    Some(on_main) => on_main(future),
                    None => log::debug!(
                        "traits-futures: a remote submission's future was made while the \
                         executor stopped; its callback is gone"
                    ),
                }
            }
            Err(error) => log::warn!(
                "traits-futures: a task submitted from another thread was refused on the main \
                 thread: {error}"
            ),
        }
    }

    /// Closes the intake (the executor stops, is dropped, or every submitter is gone): refuses
    /// submissions from now on, drops what is queued (unrun) and the callback, catching their
    /// panics (this runs inside a stop or a drop).
    fn shut(&self) {
        let on_main = self.on_main.borrow_mut().take();
        let mut dropped = mem::take(&mut *self.local.borrow_mut());
        let mut queue = self.shared.lock();
        queue.closed = true;
        dropped.append(&mut queue.items);
        drop(queue);
        let count = dropped.len();
        if count > 0 {
            log::warn!(
                "traits-futures: {count} task(s) submitted from other threads were still queued \
                 when the executor stopped; dropped unrun"
            );
        }
        for submission in dropped {
            discard("a queued remote submission", submission);
        }
        discard("a submitter's callback", on_main);
    }
}

impl<H: FutureHandler> PipeTarget for RemoteIntake<H> {
    fn dispatch(&self, budget: usize, stop: &mut dyn FnMut() -> bool, _: &dyn Fn()) -> usize {
        let mut delivered = 0;
        let mut refilled = false;
        while delivered < budget {
            let Some(submission) = self.next(&mut refilled) else {
                break;
            };
            self.hand_over(submission);
            delivered += 1;
            if stop() {
                break;
            }
        }
        delivered
    }

    fn has_buffered(&self) -> bool {
        !self.local.borrow().is_empty()
    }

    fn is_finished(&self) -> bool {
        if self.is_closed() {
            return true;
        }
        if !self.local.borrow().is_empty() {
            return false;
        }
        let queue = self.shared.lock();
        queue.disconnected && queue.items.is_empty()
    }

    fn cancel(&self) {
        self.shut();
    }

    fn orphan(&self) {
        self.shut();
    }

    fn close(&self, _after_final_message: bool) {
        self.shut();
    }

    fn is_service(&self) -> bool {
        true
    }

    #[cfg(loom)]
    fn queued_inputs(&self) -> Vec<Input> {
        Vec::new()
    }
}
