//! A future's handler is never re-entered: a custom message that arrives while `on_message`
//! runs (one of its observers ran the event loop) is held, and delivered when that call
//! returns, unless the future was cancelled meanwhile (cancel-first, b28 c35 d56).

use std::any::Any;
use std::cell::RefCell;
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};

use super::{FutureHandler, Inner};
use crate::state::FutureState;

/// Where a future's handler is in delivering custom messages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Handling {
    /// `on_message` is not running.
    Idle,
    /// `on_message` is running.
    Delivering,
    /// `on_message` is running, and messages that arrived meanwhile are held (in [`HELD`]).
    Holding,
}

thread_local! {
    /// Custom messages that arrived for a future while its handler was still handling an
    /// earlier one (an observer ran the event loop), by the address of the future, each a
    /// `VecDeque` of its handler's messages. Touched only on that re-entrant path, so the
    /// future carries no queue of its own (a word, and a size class, for every future); an
    /// entry lives only while the call that it waits for is on the stack, which keeps the
    /// future (and so its address) alive.
    static HELD: RefCell<Vec<(usize, Box<dyn Any>)>> = const { RefCell::new(Vec::new()) };
}

/// Holds `message` for the future at `address`, behind the ones already held.
fn hold<M: 'static>(address: usize, message: M) {
    HELD.with(|held| {
        let mut held = held.borrow_mut();
        match held.iter_mut().find(|(key, _)| *key == address) {
            Some((_, queue)) => queue
                .downcast_mut::<VecDeque<M>>()
                .expect("one message type per future")
                .push_back(message),
            None => held.push((address, Box::new(VecDeque::from([message])))),
        }
    });
}

/// The oldest message held for the future at `address`, if any.
fn take_held<M: 'static>(address: usize) -> Option<M> {
    HELD.with(|held| {
        let mut held = held.borrow_mut();
        let index = held.iter().position(|(key, _)| *key == address)?;
        let queue = held[index]
            .1
            .downcast_mut::<VecDeque<M>>()
            .expect("one message type per future");
        let message = queue.pop_front();
        if queue.is_empty() {
            held.swap_remove(index);
        }
        message
    })
}

/// Every message held for the future at `address`, removed (for the caller to drop outside
/// the thread-local's borrow: a message's `Drop` is user code).
fn take_all_held(address: usize) -> Option<Box<dyn Any>> {
    HELD.with(|held| {
        let mut held = held.borrow_mut();
        let index = held.iter().position(|(key, _)| *key == address)?;
        Some(held.swap_remove(index).1)
    })
}

impl<H: FutureHandler> Inner<H> {
    /// Hands a custom message to the handler, never re-entrantly: if the handler is already
    /// handling one of this future's messages further up the stack (one of its observers ran
    /// the event loop), `message` is held until that call returns, and then delivered unless
    /// the future was cancelled meanwhile (cancel-first, b28 c35 d56, for every task type).
    ///
    /// A panic of the handler (an observer's, resumed by the event it fired) is kept until the
    /// held messages are delivered, then resumed.
    pub(crate) fn deliver(&self, message: H::Message) {
        if self.handling.get() != Handling::Idle {
            self.handling.set(Handling::Holding);
            hold(self.address(), message);
            return;
        }
        self.handling.set(Handling::Delivering);
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| self.handler.on_message(message)));
        // The common case: no panic, and nothing arrived meanwhile.
        if outcome.is_ok() && self.handling.get() == Handling::Delivering {
            self.handling.set(Handling::Idle);
            return;
        }
        self.deliver_held(outcome.err());
    }

    /// The rest of [`deliver`](Self::deliver) after its first call of the handler: the
    /// messages held meanwhile, then the first panic, if any.
    #[cold]
    fn deliver_held(&self, mut first_panic: Option<Box<dyn Any + Send>>) {
        let mut next = None;
        if self.handling.get() == Handling::Holding {
            next = self.next_held(&mut first_panic);
        }
        while let Some(message) = next.take() {
            let outcome =
                panic::catch_unwind(AssertUnwindSafe(|| self.handler.on_message(message)));
            if let Err(panic) = outcome {
                first_panic.get_or_insert(panic);
            }
            if self.handling.get() == Handling::Holding {
                next = self.next_held(&mut first_panic);
            }
        }
        self.handling.set(Handling::Idle);
        if let Some(panic) = first_panic {
            panic::resume_unwind(panic);
        }
    }

    /// The next held message to deliver: none once the future has been cancelled (those held
    /// are dropped, a `Drop`'s panic kept in `first_panic`). Held messages arrived while the
    /// future was `Executing`, and only `cancel` leads from there to `Cancelling` or
    /// `Cancelled`; after `Completed` or `Failed` (a nested loop applied the final message)
    /// they are still delivered, as they would have been without the nested loop.
    fn next_held(&self, first_panic: &mut Option<Box<dyn Any + Send>>) -> Option<H::Message> {
        let address = self.address();
        let cancelled = matches!(
            self.machine.get().public(),
            FutureState::Cancelling | FutureState::Cancelled
        );
        let next = if cancelled {
            let discarded = take_all_held(address);
            if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(move || drop(discarded))) {
                first_panic.get_or_insert(panic);
            }
            None
        } else {
            take_held(address)
        };
        if next.is_none() {
            self.handling.set(Handling::Delivering);
        }
        next
    }

    /// This future's key in [`HELD`].
    fn address(&self) -> usize {
        self as *const Self as *const () as usize
    }
}
