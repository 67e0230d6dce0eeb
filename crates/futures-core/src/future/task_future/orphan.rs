//! An orphan: a future whose executor was dropped without `shutdown`. Cancelled by the drop,
//! it delivers its pipe's messages to itself whenever its state is read, since no event loop
//! dispatches for it any more.

use std::panic::{self, AssertUnwindSafe};

use super::{FutureHandler, Inner};
use crate::error::panic_message;
use crate::future::machine::MachineState;
use crate::routing::pipe::PipeTarget;

/// Who delivers an executor future's messages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Delivery {
    /// The router, when the event loop dispatches (or nobody: a detached future, fed by
    /// `receive`, or an orphan that has finished).
    Routed,
    /// An orphan: its executor was dropped without stopping, and with it the router. The
    /// future, cancelled, delivers to itself what its pipe holds whenever its state is read.
    Orphan,
    /// An orphan delivering now: a read from one of its observers delivers nothing more.
    Delivering,
}

impl<H: FutureHandler> Inner<H> {
    /// The executor is gone (see [`PipeTarget::orphan`](crate::routing::pipe::PipeTarget)):
    /// from now on the future delivers its pipe's messages itself. If it was cancelled before
    /// its task started, the task is taken back from the pool if no worker has it yet; then
    /// whatever has arrived is delivered.
    pub(crate) fn orphan(&self) {
        let Some(endpoint) = self.endpoint() else {
            return;
        };
        if self.is_done() {
            return;
        }
        self.delivery.set(Delivery::Orphan);
        if self.machine.get() == MachineState::CancellingBeforeStart {
            endpoint.shared().withdraw();
        }
        self.settle();
    }

    /// An orphan first delivers to itself what its pipe holds (every read of its state calls
    /// this); any other future does nothing here.
    pub(crate) fn settle(&self) {
        if self.delivery.get() == Delivery::Orphan {
            self.deliver_to_orphan();
        }
    }

    /// An orphan's own dispatch: what its pipe holds now, then, once done, the pipe closed, as
    /// the router would. An observer's panic resumes after that bookkeeping.
    #[cold]
    fn deliver_to_orphan(&self) {
        self.delivery.set(Delivery::Delivering);
        let delivered = panic::catch_unwind(AssertUnwindSafe(|| {
            // Each dispatch takes the pipe's batch once: the first may only finish a batch the
            // router had begun. Bounded, as a task that keeps sending never leaves it empty.
            for _ in 0..2 {
                if self.is_done()
                    || PipeTarget::dispatch(self, usize::MAX, &mut || false, &|| {}) == 0
                {
                    break;
                }
            }
        }));
        let done = self.is_done();
        let closed = if done {
            panic::catch_unwind(AssertUnwindSafe(|| PipeTarget::close(self, false))).err()
        } else {
            None
        };
        self.delivery.set(if done {
            Delivery::Routed
        } else {
            Delivery::Orphan
        });
        let mut panics = delivered.err().into_iter().chain(closed);
        if let Some(panic) = panics.next() {
            for other in panics {
                let other = panic_message(other);
                log::error!("traits-futures: a second panic while delivering to a future: {other}");
            }
            panic::resume_unwind(panic);
        }
    }
}
