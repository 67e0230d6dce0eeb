//! Continuations: closures run once, on the main thread, when a future reaches a final state
//! ([`TaskFuture::on_done`], [`on_completed`](TaskFuture::on_completed),
//! [`on_failed`](TaskFuture::on_failed), [`on_cancelled`](TaskFuture::on_cancelled)).

use std::cell::Cell;
use std::rc::Rc;

use traits_core::ObserverGuard;

use crate::compose::outcome::{outcome_of, Outcome};
use crate::error::TaskError;
use crate::future::task_future::{FutureHandler, TaskFuture, WeakFuture};

/// One registered continuation: the closure until it runs, the future it reads (weakly: the
/// registration lives in that future's own observer list), and the registration's guard, which
/// the continuation drops when it runs.
struct Pending<H: FutureHandler, F> {
    run: Cell<Option<F>>,
    future: WeakFuture<H>,
    guard: Cell<Option<ObserverGuard>>,
}

impl<H: FutureHandler> TaskFuture<H> {
    /// Runs `f` once, on the main thread, with the future's [`Outcome`] when it is done; at once
    /// (before `on_done` returns) if it is done already.
    ///
    /// The continuation is detached: it needs no guard, and stays registered until it has run
    /// (then it unregisters itself) or until the future is dropped. It runs as an observer of
    /// [`done`](Self::done) does, during the dispatch that ends the future; if it panics, the
    /// panic resumes out of that dispatch, as an observer's does. Returns `self`, so that
    /// continuations chain: `future.on_completed(..).on_failed(..)`.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use traits_futures::{submit_call, Outcome, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let label = Rc::new(RefCell::new(String::from("working")));
    /// let future = submit_call(&executor, || 6 * 7)?;
    /// future.on_done({
    ///     let label = label.clone();
    ///     move |outcome| {
    ///         *label.borrow_mut() = match outcome {
    ///             Outcome::Completed(answer) => format!("answer: {answer}"),
    ///             Outcome::Failed(error) => format!("failed: {error}"),
    ///             Outcome::Cancelled => "cancelled".to_string(),
    ///         }
    ///     }
    /// });
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(*label.borrow(), "answer: 42");
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_done<F>(&self, f: F) -> &Self
    where
        F: FnOnce(Outcome<&H::Output, &TaskError<H::Error>>) + 'static,
    {
        if let Some(outcome) = outcome_of(self) {
            f(outcome);
            return self;
        }
        let pending = Rc::new(Pending {
            run: Cell::new(Some(f)),
            future: self.downgrade(),
            guard: Cell::new(None),
        });
        let guard = self.done().observe({
            let pending = Rc::clone(&pending);
            move |_, done| {
                if !*done {
                    return;
                }
                // Unregisters this observer: it is dropped once it returns.
                drop(pending.guard.take());
                let (Some(run), Some(future)) = (pending.run.take(), pending.future.upgrade())
                else {
                    return;
                };
                if let Some(outcome) = outcome_of(&future) {
                    run(outcome);
                }
            }
        });
        pending.guard.set(Some(guard));
        self
    }

    /// Runs `f` once with the result if the future ends `Completed` (see
    /// [`on_done`](Self::on_done): detached, at once if already completed). It never runs if the
    /// future ends otherwise.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use traits_futures::{CallFuture, TaskMessage};
    ///
    /// let future: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
    /// let seen = Rc::new(Cell::new(0));
    /// future.on_completed({ let seen = seen.clone(); move |value| seen.set(*value) });
    /// future.receive(TaskMessage::Started)?;
    /// assert_eq!(seen.get(), 0);
    /// future.receive(TaskMessage::Returned(7))?;
    /// assert_eq!(seen.get(), 7);
    /// # Ok::<(), traits_futures::ProtocolViolation>(())
    /// ```
    pub fn on_completed<F>(&self, f: F) -> &Self
    where
        F: FnOnce(&H::Output) + 'static,
    {
        self.on_done(move |outcome| {
            if let Outcome::Completed(value) = outcome {
                f(value);
            }
        })
    }

    /// Runs `f` once with the error if the future ends `Failed` (see
    /// [`on_done`](Self::on_done)). It never runs if the future ends otherwise.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use traits_futures::{submit_try_call, TraitsExecutor};
    ///
    /// let executor = TraitsExecutor::new();
    /// let message = Rc::new(RefCell::new(String::new()));
    /// let future = submit_try_call(&executor, || "x".parse::<u32>())?;
    /// future.on_failed({
    ///     let message = message.clone();
    ///     move |error| *message.borrow_mut() = error.to_string()
    /// });
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert!(message.borrow().starts_with("the task returned an error"));
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on_failed<F>(&self, f: F) -> &Self
    where
        F: FnOnce(&TaskError<H::Error>) + 'static,
    {
        self.on_done(move |outcome| {
            if let Outcome::Failed(error) = outcome {
                f(error);
            }
        })
    }

    /// Runs `f` once if the future ends `Cancelled` (see [`on_done`](Self::on_done)). It never
    /// runs if the future ends otherwise.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// use traits_futures::{CallFuture, TaskMessage};
    ///
    /// let future: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
    /// let cancelled = Rc::new(Cell::new(false));
    /// future.on_cancelled({ let cancelled = cancelled.clone(); move || cancelled.set(true) });
    /// future.cancel();
    /// assert!(!cancelled.get()); // Cancelling: the task has not ended yet
    /// future.receive(TaskMessage::Abandoned)?;
    /// assert!(cancelled.get());
    /// # Ok::<(), traits_futures::ProtocolViolation>(())
    /// ```
    pub fn on_cancelled<F>(&self, f: F) -> &Self
    where
        F: FnOnce() + 'static,
    {
        self.on_done(move |outcome| {
            if let Outcome::Cancelled = outcome {
                f();
            }
        })
    }
}
