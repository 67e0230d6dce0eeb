//! A worker that must wait parks until the main thread changes what it waits for, or cancels:
//! a full queue (back-pressure: [`BackgroundTask::capacity`]), a suspended task
//! (`TaskFuture::suspend`), an empty input (`task_input.rs`).
//!
//! The handshake (model-checked in `tests/loom_park.rs`):
//!
//! 1. The worker, in one critical section of the queue's lock: reads the pipe's word (cancel
//!    first: then it returns `Err(TaskCancelled)`) and its condition; if it must wait, it
//!    registers its [`Thread`] in the slot's box (making the box if the slot is `Empty`). Then,
//!    outside the lock, it parks; when it wakes (for any reason) it starts again at 1. When it
//!    goes on, it removes its registration in the same critical section.
//! 2. The main side first changes the condition (resume clears [`SUSPENDED`], cancel sets
//!    [`CANCELLED`], both without the lock; `take_batch` empties the queue under it), then,
//!    under the lock, takes the registered thread, if any, and unparks it.
//!
//! No wake-up is lost: the worker's look and its registration are one critical section, and
//! the main side's change comes before its own. If the worker's section comes first, the main
//! side finds its thread and unparks it (an unpark before the park makes the park return at
//! once); if the main side's comes first, the worker's look sees the change. Looking outside
//! the lock, or unparking before the change, loses wake-ups (the models catch both).
//!
//! [`BackgroundTask::capacity`]: crate::routing::background_task::BackgroundTask::capacity

use std::num::NonZeroUsize;

use super::{push_custom, PipeShared, Slot, Spill, CANCELLED, CLOSED, SUSPENDED};
use crate::error::TaskCancelled;
use crate::routing::background_task::MessageSink;
use crate::routing::message::TaskMessage;
use crate::sync::{current, park, MutexGuard};

/// A broken variant of the handshake, for the models to catch (`loom_models.rs`).
#[cfg(loom)]
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Broken {
    /// The handshake as written above.
    None,
    /// The worker looks in one critical section and registers in the next.
    LookThenRegister,
    /// The main side's resume unparks before it clears the flag.
    WakeBeforeChange,
}

impl<M, K, T, E> Slot<M, K, T, E> {
    /// The custom messages waiting for the main side.
    fn customs_len(&self) -> usize {
        match self {
            Slot::Spill(spill) => spill.customs.len(),
            Slot::Task(_) | Slot::Empty | Slot::Tail(_) => 0,
        }
    }

    /// Registers the calling thread as the waiter. False where no task runs (the slot holds
    /// the task or the final message: never while the task runs).
    fn register(&mut self) -> bool {
        match self {
            Slot::Spill(spill) => spill.waiter = Some(current()),
            Slot::Empty => {
                *self = Slot::Spill(Box::new(Spill {
                    customs: Vec::new(),
                    tail: None,
                    waiter: Some(current()),
                }))
            }
            Slot::Task(_) | Slot::Tail(_) => return false,
        }
        true
    }

    /// Removes the waiter's registration, if any; the main side's unpark of it.
    fn unregister(&mut self) -> Option<crate::sync::Thread> {
        match self {
            Slot::Spill(spill) => spill.waiter.take(),
            Slot::Task(_) | Slot::Empty | Slot::Tail(_) => None,
        }
    }
}

impl<M, T, E, K> PipeShared<M, T, E, K> {
    /// The main side's step 2: unparks the worker if it is registered (the caller changed the
    /// condition first).
    pub(super) fn wake(&self) {
        if let Some(waiter) = self.lock().unregister() {
            waiter.unpark();
        }
    }

    /// The worker's step 1: the queue's lock, taken once `blocked(slot, word)` is false
    /// (parking meanwhile), or `Err` once the future is cancelled.
    fn lock_when(
        &self,
        blocked: impl Fn(&Slot<M, K, T, E>, u64) -> bool,
    ) -> Result<MutexGuard<'_, Slot<M, K, T, E>>, TaskCancelled> {
        loop {
            {
                let mut slot = self.lock();
                let word = self.word.flags();
                if word & CANCELLED != 0 {
                    slot.unregister();
                    return Err(TaskCancelled);
                }
                if !blocked(&slot, word) {
                    slot.unregister();
                    return Ok(slot);
                }
                #[cfg(loom)]
                if self.broken == Broken::LookThenRegister {
                    drop(slot);
                    slot = self.lock();
                }
                if !slot.register() {
                    return Ok(slot);
                }
            }
            park();
        }
    }
}

impl<M, T, E, K> MessageSink<M> for PipeShared<M, T, E, K> {
    fn send_custom(&self, message: M, capacity: Option<NonZeroUsize>) -> Result<(), TaskCancelled> {
        let word = self.word.flags();
        if word & CANCELLED != 0 {
            return Err(TaskCancelled);
        }
        // The unbounded path: the one load above, then the lock that queues the message.
        if word & SUSPENDED == 0 && capacity.is_none() {
            self.send_custom_now(message);
            return Ok(());
        }
        let limit = capacity.map_or(usize::MAX, NonZeroUsize::get);
        let pushed = {
            // A closed pipe (the future is done) waits for nothing: `push_custom` refuses the message.
            let slot = self.lock_when(|slot, word| {
                word & CLOSED == 0 && (word & SUSPENDED != 0 || slot.customs_len() >= limit)
            });
            let Ok(mut slot) = slot else {
                return Err(TaskCancelled);
            };
            push_custom(&mut slot, &self.word, message).map_err(TaskMessage::Custom)
        };
        self.pushed(pushed);
        Ok(())
    }

    fn cancelled(&self) -> bool {
        self.is_cancelled()
    }

    fn checkpoint(&self) -> Result<(), TaskCancelled> {
        let word = self.word.flags();
        if word & CANCELLED != 0 {
            return Err(TaskCancelled);
        }
        if word & SUSPENDED == 0 {
            return Ok(());
        }
        self.lock_when(|_, word| word & CLOSED == 0 && word & SUSPENDED != 0)
            .map(drop)
    }

    fn park_while(&self, blocked: &mut dyn FnMut() -> bool) -> Result<(), TaskCancelled> {
        loop {
            {
                let mut slot = self.lock();
                if self.word.flags() & CANCELLED != 0 {
                    slot.unregister();
                    return Err(TaskCancelled);
                }
                slot.register();
            }
            // `blocked` registers the thread with whoever changes its condition, and looks at
            // it, in one critical section of its own (the same handshake).
            if !blocked() {
                self.lock().unregister();
                return Ok(());
            }
            park();
        }
    }
}

#[cfg(all(test, loom))]
impl<M, T, E, K> PipeShared<M, T, E, K> {
    /// This pipe, with the handshake broken as `broken` says.
    pub(crate) fn broken(mut self, broken: Broken) -> Self {
        self.broken = broken;
        self
    }
}
