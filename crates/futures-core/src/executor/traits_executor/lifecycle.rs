//! The executor's lifecycle, `Running → Stopping → Stopped`: its state machine (one
//! transition function), the stop's steps in their order (every future cancelled, then
//! `Stopping`, then `Stopped` once no task is left), and what a drop without `shutdown` does.

use std::panic::{self, AssertUnwindSafe};

use super::Inner;
use crate::error::panic_message;
use crate::routing::router::Router;
use crate::state::ExecutorState;

/// The executor's one state transition function: `None` if the input does not apply.
pub(super) fn transition(state: ExecutorState, input: ExecutorInput) -> Option<ExecutorState> {
    match (state, input) {
        (ExecutorState::Running, ExecutorInput::Stop) => Some(ExecutorState::Stopping),
        (ExecutorState::Stopping, ExecutorInput::LastTaskEnded) => Some(ExecutorState::Stopped),
        _ => None,
    }
}

#[derive(Clone, Copy, Debug)]
pub(super) enum ExecutorInput {
    Stop,
    LastTaskEnded,
}

impl Inner {
    /// `Ok` while tasks are accepted; otherwise the state to report (`Stopping` from the moment
    /// `stop()` begins, while it cancels the futures).
    pub(super) fn accepting(&self) -> Result<(), ExecutorState> {
        match self.state.get() {
            ExecutorState::Running if self.stopping.get() => Err(ExecutorState::Stopping),
            ExecutorState::Running => Ok(()),
            state => Err(state),
        }
    }

    /// The rest of `stop()`, once `stopping` is set: cancel every future, then `Stopping`, then
    /// `Stopped` if no task is left. Observers run during each step; whatever they do, every
    /// step is taken before the first panic resumes. Re-entrant: a `shutdown()` from an
    /// observer of a cancellation runs it to the end, and the outer call then finds each step
    /// done.
    pub(super) fn finish_stop(&self) {
        let mut first_panic = self.router.get().and_then(Router::cancel_all);
        if let Some(next) = transition(self.state.get(), ExecutorInput::Stop) {
            if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(|| {
                self.state.set(next);
            })) {
                first_panic.get_or_insert(panic);
            }
        }
        if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(|| self.complete_stop_if_idle())) {
            first_panic.get_or_insert(panic);
        }
        if let Some(panic) = first_panic {
            panic::resume_unwind(panic);
        }
    }

    /// Stopping and no task left: join the owned pool, then `Stopped`, then wake the event loops
    /// one last time (an async dispatcher ends on it) and release the wake hooks, with whatever
    /// they capture (futures the user keeps hold the router's shared half, not the hooks).
    /// Returns whether it stopped the executor.
    pub(crate) fn complete_stop_if_idle(&self) -> bool {
        if self.running_tasks() != 0 {
            return false;
        }
        let Some(next) = transition(self.state.get(), ExecutorInput::LastTaskEnded) else {
            return false;
        };
        self.pool.shutdown_owned();
        // Every future was cancelled: no deadline is left to keep, nor its timer thread.
        self.deadlines.clear();
        let stopped = panic::catch_unwind(AssertUnwindSafe(|| {
            self.state.set(next);
        }));
        self.wake_callback.set(None);
        if let Some(router) = self.router.get() {
            router.shared().wake_and_release_hooks();
        }
        if let Err(panic) = stopped {
            panic::resume_unwind(panic);
        }
        true
    }
}

impl Drop for Inner {
    fn drop(&mut self) {
        let state = self.state.get();
        if state != ExecutorState::Stopped {
            log::warn!(
                "traits-futures: executor dropped while {state}; call shutdown() first. \
                 Its tasks are cancelled and its pool closed without waiting."
            );
            if let Some(router) = self.router.get() {
                // An observer panicking here must not turn into a panic inside a drop.
                if let Some(panic) = router.cancel_all() {
                    let panic = panic_message(panic);
                    log::error!(
                        "traits-futures: an observer panicked while cancelling at drop: {panic}"
                    );
                }
                // No event loop will dispatch for this router again: each future finishes
                // itself (at once if its task had not started or has ended, otherwise when its
                // state is read after its task ends).
                router.orphan_all();
            }
        }
        // No event loop will look at a deadline again: stop the timer thread.
        self.deadlines.clear();
        // Nothing can dispatch any more: let go of the wake callback and what it captures,
        // which the futures the user keeps would otherwise keep alive.
        if let Some(router) = self.router.get() {
            router.shared().release_hooks();
        }
    }
}
