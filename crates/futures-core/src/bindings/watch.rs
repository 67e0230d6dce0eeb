//! [`Watch`]: what a widget follows (a future, an owned future, or a latest-wins slot), as
//! signals, and [`HasFraction`]: task types whose progress reads as a fraction done. Toolkit
//! bindings are written once against these, so each binding takes any of the three.

use futures_signals::signal::{always, Signal, SignalExt};

use crate::bindings::progress_value::ProgressValue;
use crate::compose::owned::OwnedFuture;
use crate::compose::slot::{SlotCurrent, TaskSlot};
use crate::future::task_future::{FutureHandler, TaskFuture};
use crate::state::FutureState;
use crate::tasks::progress::ProgressHandler;
use crate::tasks::steps::StepsHandler;

/// A boxed, main-thread signal, as the [`Watch`] methods return.
pub type LocalSignal<T> = std::pin::Pin<Box<dyn Signal<Item = T>>>;

/// What a widget can follow: a [`TaskFuture`], an [`OwnedFuture`], or the current future of a
/// [`TaskSlot`] (which changes as tasks are submitted into it). Each method is a signal that a
/// binding spawns on the main loop; all of them start from the current value.
///
/// ```
/// use futures::{executor::block_on, StreamExt};
/// use traits_futures::prelude::*;
/// use traits_futures::{ProgressHandler, Watch};
///
/// let executor = TraitsExecutor::new();
/// let slot: TaskSlot<ProgressHandler<(u32, u32), ()>> = TaskSlot::new();
/// let mut state = slot.state_signal().to_stream();
/// let mut fraction = slot.fraction_signal().to_stream();
/// assert_eq!(block_on(state.next()), Some(None)); // nothing submitted yet
/// assert_eq!(block_on(fraction.next()), Some(0.0));
///
/// let future = slot.submit(|| submit_progress(&executor, |reporter| reporter.report((1, 2))))?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(block_on(state.next()), Some(Some(FutureState::Completed)));
/// assert_eq!(block_on(fraction.next()), Some(0.5));
/// executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Watch {
    /// The task type's handler.
    type Handler: FutureHandler;

    /// The future followed now (`None`: an empty slot).
    fn current_future(&self) -> Option<TaskFuture<Self::Handler>>;

    /// The future followed now (`None`: an empty slot), and every later one.
    fn future_signal(&self) -> LocalSignal<Option<TaskFuture<Self::Handler>>>;

    /// The followed future's state; `None` while there is no future.
    fn state_signal(&self) -> LocalSignal<Option<FutureState>> {
        switch(self.future_signal(), |future| future.state().signal())
    }

    /// Whether the followed future can be cancelled now (a Cancel button's sensitivity).
    fn cancellable_signal(&self) -> LocalSignal<bool> {
        Box::pin(
            switch(self.future_signal(), |future| future.cancellable().signal())
                .map(|cancellable| cancellable == Some(true))
                .dedupe(),
        )
    }

    /// Whether the followed future is still running (not yet done): `false` while there is no
    /// future. A Start button is usually sensitive while this is `false`.
    fn busy_signal(&self) -> LocalSignal<bool> {
        Box::pin(
            self.state_signal()
                .map(|state| state.is_some_and(|state| !state.is_done()))
                .dedupe(),
        )
    }

    /// The followed future's latest progress as a fraction in `0.0..=1.0`; `0.0` before its
    /// first report and while there is no future.
    fn fraction_signal(&self) -> LocalSignal<f64>
    where
        Self::Handler: HasFraction,
    {
        Box::pin(
            switch(self.future_signal(), |future| {
                <Self::Handler as HasFraction>::fraction(future)
            })
            .map(|fraction| fraction.flatten().unwrap_or(0.0).clamp(0.0, 1.0)),
        )
    }
}

/// `f(future)`'s values for whichever future `futures` holds; `None` while it holds none.
fn switch<H, S>(
    futures: LocalSignal<Option<TaskFuture<H>>>,
    f: impl Fn(&TaskFuture<H>) -> S + 'static,
) -> LocalSignal<Option<S::Item>>
where
    H: FutureHandler,
    S: Signal + 'static,
    S::Item: 'static,
{
    Box::pin(futures.switch(move |future| match future {
        Some(future) => f(&future).map(Some).boxed_local(),
        None => always(None).boxed_local(),
    }))
}

impl<H: FutureHandler> Watch for TaskFuture<H> {
    type Handler = H;

    fn current_future(&self) -> Option<TaskFuture<H>> {
        Some(self.clone())
    }

    fn future_signal(&self) -> LocalSignal<Option<TaskFuture<H>>> {
        Box::pin(always(Some(self.clone())))
    }
}

impl<H: FutureHandler> Watch for OwnedFuture<H> {
    type Handler = H;

    fn current_future(&self) -> Option<TaskFuture<H>> {
        Some(self.future().clone())
    }

    fn future_signal(&self) -> LocalSignal<Option<TaskFuture<H>>> {
        self.future().future_signal()
    }
}

impl<H: FutureHandler> Watch for SlotCurrent<H> {
    type Handler = H;

    fn current_future(&self) -> Option<TaskFuture<H>> {
        self.get()
    }

    fn future_signal(&self) -> LocalSignal<Option<TaskFuture<H>>> {
        Box::pin(self.signal())
    }
}

impl<H: FutureHandler> Watch for TaskSlot<H> {
    type Handler = H;

    fn current_future(&self) -> Option<TaskFuture<H>> {
        self.get()
    }

    fn future_signal(&self) -> LocalSignal<Option<TaskFuture<H>>> {
        self.current().future_signal()
    }
}

impl<W: Watch + ?Sized> Watch for std::rc::Rc<W> {
    type Handler = W::Handler;

    fn current_future(&self) -> Option<TaskFuture<W::Handler>> {
        (**self).current_future()
    }

    fn future_signal(&self) -> LocalSignal<Option<TaskFuture<W::Handler>>> {
        (**self).future_signal()
    }
}

/// A task type whose future has a progress that reads as a fraction: progress tasks whose
/// report type is a [`ProgressValue`] with a length, and steps tasks.
///
/// ```
/// use futures::{executor::block_on, StreamExt};
/// use futures_signals::signal::SignalExt;
/// use traits_futures::{HasFraction, ProgressHandler, TaskFuture};
/// let future: TaskFuture<ProgressHandler<f64, ()>> = TaskFuture::detached(Default::default(), || {});
/// let mut fraction = ProgressHandler::fraction(&future).to_stream();
/// assert_eq!(block_on(fraction.next()), Some(None)); // no report yet
/// ```
pub trait HasFraction: FutureHandler + Sized {
    /// The future's latest progress as a fraction; `None` before the first report.
    fn fraction(future: &TaskFuture<Self>) -> LocalSignal<Option<f64>>;
}

impl<P, T, E> HasFraction for ProgressHandler<P, T, E>
where
    P: ProgressValue + Clone + PartialEq + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    fn fraction(future: &TaskFuture<Self>) -> LocalSignal<Option<f64>> {
        Box::pin(
            future
                .progress()
                .signal()
                .map(|progress| progress.and_then(|p| p.fraction()).map(f64::from)),
        )
    }
}

impl<T, E> HasFraction for StepsHandler<T, E>
where
    T: Send + 'static,
    E: Send + 'static,
{
    fn fraction(future: &TaskFuture<Self>) -> LocalSignal<Option<f64>> {
        Box::pin(future.fraction().signal())
    }
}
