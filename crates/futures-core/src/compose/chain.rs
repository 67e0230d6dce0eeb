//! Chains: [`TaskFuture::then`] submits the next task when a future completes and returns a
//! [`ChainFuture`], a detached future whose state follows the chain and whose cancel cancels
//! whichever link is current.

use std::cell::Cell;
use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use thiserror::Error;
use traits_core::ObserverGuard;

use crate::error::{panic_message, SubmitError, TaskError};
use crate::future::task_future::{FutureHandler, TaskFuture};
use crate::routing::message::TaskMessage;
use crate::state::FutureState;

/// The handler of a [`ChainFuture`]: a chain has no messages of its own, only its state and its
/// final result or error.
///
/// [`TaskFuture::then`] makes it; there is nothing to configure.
///
/// ```
/// use traits_futures::{ChainFuture, ChainHandler, FutureState};
/// let chain: ChainFuture<u8, ()> = ChainFuture::detached(ChainHandler::default(), || {});
/// assert_eq!(chain.state().get(), FutureState::Waiting);
/// ```
pub struct ChainHandler<T, E> {
    _types: PhantomData<fn() -> (T, E)>,
}

impl<T, E> Default for ChainHandler<T, E> {
    fn default() -> Self {
        ChainHandler {
            _types: PhantomData,
        }
    }
}

impl<T, E> fmt::Debug for ChainHandler<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChainHandler")
    }
}

impl<T: Send + 'static, E: Send + 'static> FutureHandler for ChainHandler<T, E> {
    type Message = Infallible;
    type Output = T;
    type Error = E;
    fn on_message(&self, message: Infallible) {
        match message {}
    }
}

/// The future of a chain of tasks made by [`TaskFuture::then`]: `T` is the last link's result,
/// `E` the chain's error (a [`ChainError`]).
///
/// It is a [`TaskFuture`] like any other, with the same `state()`, `done()`, `cancel()`,
/// `result()` and `error()`, awaitable and chainable in turn:
///
/// * `Waiting` until the first link starts, then `Executing` while any link runs (also between
///   links, while the next task waits for a worker), then `Completed` with the last link's
///   result (a clone of it).
/// * A link that fails makes the chain `Failed` ([`ChainError::Previous`] or
///   [`ChainError::Next`]); a continuation that cannot submit its task makes it `Failed` with
///   [`ChainError::Submit`]; a continuation that panics makes it `Failed` with
///   [`TaskError::Panicked`]. A link cancelled by anyone makes it `Cancelled`. In each case no
///   later link runs.
/// * `cancel()` cancels whichever link is current and makes the chain `Cancelling` at once
///   (cancel-first: no continuation runs after it returns `true`); the chain is `Cancelled`
///   when that link has ended.
///
/// Like a task's future, a chain is not cancelled when its handles are dropped: the current
/// link keeps it going to its end.
pub type ChainFuture<T, E> = TaskFuture<ChainHandler<T, E>>;

/// Why a chain made by [`TaskFuture::then`] failed: which link, and its own error, typed.
///
/// `A` is the error type of the future `then` was called on, `B` that of the task the
/// continuation submitted. For a longer chain `a.then(f).then(g)`, `A` of the second `then`
/// is the first chain's `ChainError`, so the nesting names the link that failed.
///
/// ```
/// use traits_futures::{ChainError, SubmitError, TaskError};
/// let error: ChainError<String, String> = ChainError::Previous(TaskError::Error("no file".into()));
/// assert_eq!(
///     error.to_string(),
///     "the link before failed, so the continuation never ran: the task returned an error: no file",
/// );
/// let refused: ChainError<String, String> = ChainError::Submit(SubmitError::PoolClosed);
/// assert!(refused.to_string().starts_with("the continuation could not submit its task"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ChainError<A, B> {
    /// The future `then` was called on failed; the continuation never ran.
    #[error("the link before failed, so the continuation never ran: {0}")]
    Previous(TaskError<A>),
    /// The continuation ran, but could not submit its task.
    #[error("the continuation could not submit its task: {0}")]
    Submit(SubmitError),
    /// The task the continuation submitted failed.
    #[error("the continuation's task failed: {0}")]
    Next(TaskError<B>),
}

/// The chain's hold on its current link: how to cancel it, and the observer that watches it.
/// The chain's cancel callback owns this; the link's observer owns the chain (so the chain
/// lives while its current link does), and the link is held only through its cancel closure's
/// weak handle.
struct Links {
    cancel_current: Cell<Option<Rc<dyn Fn() -> bool>>>,
    guard: Cell<Option<ObserverGuard>>,
}

impl Links {
    fn cancel_current(&self) {
        // Put back before the call: it runs the link's observers.
        let current = self.cancel_current.take();
        self.cancel_current.set(current.clone());
        if let Some(cancel) = current {
            cancel();
        }
    }

    fn release(&self) {
        drop(self.cancel_current.take());
        drop(self.guard.take());
    }
}

/// A chain with its links' bookkeeping.
struct Chain<T: Send + 'static, E: Send + 'static> {
    future: ChainFuture<T, E>,
    links: Rc<Links>,
}

impl<T: Send + 'static, E: Send + 'static> Clone for Chain<T, E> {
    fn clone(&self) -> Self {
        Chain {
            future: self.future.clone(),
            links: Rc::clone(&self.links),
        }
    }
}

impl<T: Send + 'static, E: Send + 'static> Chain<T, E> {
    fn new() -> Self {
        let links = Rc::new(Links {
            cancel_current: Cell::new(None),
            guard: Cell::new(None),
        });
        let future = TaskFuture::detached(ChainHandler::default(), {
            let links = Rc::clone(&links);
            move || links.cancel_current()
        });
        Chain { future, links }
    }

    fn feed(&self, message: TaskMessage<Infallible, T, E>) {
        if let Err(violation) = self.future.receive(message) {
            log::error!("traits-futures: a chain fed itself a message out of order: {violation}");
        }
    }

    /// A link runs: the chain is `Executing` (if it was not already, or cancelled).
    fn start(&self) {
        if self.future.state().get() == FutureState::Waiting {
            self.feed(TaskMessage::Started);
        }
    }

    /// The chain ends `Cancelled`: cancelled now if it was not already (its callback finds no
    /// current link), then acknowledged as a task would.
    fn end_cancelled(&self) {
        if self.future.done().get() {
            return;
        }
        self.future.cancel();
        // Cancelled before it started: `Abandoned`; after: a final message, discarded.
        if self.future.receive(TaskMessage::Abandoned).is_err() {
            self.feed(TaskMessage::Failed(TaskError::Dropped));
        }
    }

    /// The chain ends with `message` (its result or error), or `Cancelled` if it was cancelled.
    fn end(&self, message: TaskMessage<Infallible, T, E>) {
        match self.future.state().get() {
            FutureState::Cancelling => self.end_cancelled(),
            state if state.is_done() => {}
            _ => {
                self.start();
                self.feed(message);
            }
        }
    }

    /// Makes `link` the current link and calls `on_end` with it once it is done (at once if it
    /// is done already); the chain starts when the link does.
    fn watch<L: FutureHandler>(
        &self,
        link: &TaskFuture<L>,
        on_end: impl FnOnce(&Self, &TaskFuture<L>) + 'static,
    ) {
        let weak = link.downgrade();
        self.links.cancel_current.set(Some(Rc::new(move || {
            weak.upgrade().is_some_and(|l| l.cancel())
        })));
        if self.future.state().get() == FutureState::Cancelling {
            // The chain was cancelled while the link was being made (from the continuation).
            link.cancel();
        }
        let state = link.state().get();
        if state == FutureState::Executing {
            self.start();
        }
        if state.is_done() {
            self.links.release();
            on_end(self, link);
            return;
        }
        let on_end = Cell::new(Some(on_end));
        let weak = link.downgrade();
        let chain = self.clone();
        let guard = link.state().observe(move |_, new| {
            if *new == FutureState::Executing {
                chain.start();
            } else if new.is_done() {
                chain.links.release(); // drops this observer once it returns
                if let (Some(on_end), Some(link)) = (on_end.take(), weak.upgrade()) {
                    on_end(&chain, &link);
                }
            }
        });
        self.links.guard.set(Some(guard));
    }
}

impl<H: FutureHandler> TaskFuture<H> {
    /// When this future completes, runs `f` with its result on the main thread; `f` submits
    /// the next task. Returns the [`ChainFuture`] of the two, whose state follows the chain and
    /// whose `cancel()` cancels whichever link is current.
    ///
    /// `f` runs once, during the dispatch that completes this future (at once if it is already
    /// completed), and only if the chain has not been cancelled. If this future fails or is
    /// cancelled, `f` never runs and the chain ends the same way ([`ChainError::Previous`] for a
    /// failure). The chain completes with a clone of the next task's result; errors are cloned
    /// into the chain's [`ChainError`] (wrap an error that is not `Clone` in an `Arc`). Chains
    /// compose: `a.then(f).then(g)`.
    ///
    /// ```
    /// use traits_futures::{submit_call, FutureState, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let download = submit_call(&executor, || vec![3u8, 1, 2])?;
    /// let chain = download
    ///     .then({
    ///         let executor = executor.clone();
    ///         move |bytes: &Vec<u8>| {
    ///             let mut bytes = bytes.clone();
    ///             submit_call(&executor, move || { bytes.sort(); bytes })
    ///         }
    ///     })
    ///     .then({
    ///         let executor = executor.clone();
    ///         move |sorted: &Vec<u8>| {
    ///             let sorted = sorted.clone();
    ///             submit_call(&executor, move || format!("{sorted:?}"))
    ///         }
    ///     });
    /// executor.run_until(|| chain.done().get(), None)?;
    /// assert_eq!(chain.state().get(), FutureState::Completed);
    /// assert_eq!(chain.result().map(String::as_str), Ok("[1, 2, 3]"));
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn then<H2, F>(&self, f: F) -> ChainFuture<H2::Output, ChainError<H::Error, H2::Error>>
    where
        H::Error: Clone,
        H2: FutureHandler,
        H2::Output: Clone,
        H2::Error: Clone,
        F: FnOnce(&H::Output) -> Result<TaskFuture<H2>, SubmitError> + 'static,
    {
        let chain = Chain::new();
        chain.watch(self, move |chain, previous| {
            match previous.state().get() {
                FutureState::Completed if chain.future.cancellable().get() => {}
                FutureState::Failed => {
                    if let Ok(error) = previous.error() {
                        let error = ChainError::Previous(error.clone());
                        chain.end(TaskMessage::Failed(TaskError::Error(error)));
                    }
                    return;
                }
                // Cancelled, or completed after the chain was cancelled (cancel-first).
                _ => return chain.end_cancelled(),
            }
            let Ok(value) = previous.result() else {
                return chain.end_cancelled();
            };
            chain.start();
            match panic::catch_unwind(AssertUnwindSafe(|| f(value))) {
                Ok(Ok(next)) => chain.watch(&next, |chain, next| match next.state().get() {
                    FutureState::Completed => match next.result() {
                        Ok(value) => chain.end(TaskMessage::Returned(value.clone())),
                        Err(_) => chain.end_cancelled(),
                    },
                    FutureState::Failed => match next.error() {
                        Ok(error) => chain.end(TaskMessage::Failed(TaskError::Error(
                            ChainError::Next(error.clone()),
                        ))),
                        Err(_) => chain.end_cancelled(),
                    },
                    _ => chain.end_cancelled(),
                }),
                Ok(Err(refused)) => chain.end(TaskMessage::Failed(TaskError::Error(
                    ChainError::Submit(refused),
                ))),
                Err(panic) => chain.end(TaskMessage::Failed(TaskError::Panicked(panic_message(
                    panic,
                )))),
            }
        });
        chain.future
    }
}
