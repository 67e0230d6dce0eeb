//! Background iterations: items arrive one by one on the main thread ([`submit_iteration`],
//! [`submit_generator`]).

use std::cell::OnceCell;
use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;
use std::num::NonZeroUsize;

use traits_core::{Event, ObservableVec};

use crate::error::{SubmitError, TaskCancelled};
use crate::executor::traits_executor::TraitsExecutor;
use crate::future::task_future::{FutureHandler, TaskFuture};
use crate::routing::background_task::{BackgroundTask, TaskContext};

/// The handler of an iteration future: fires [`items`](Self::items) once per item, in order.
///
/// A future dereferences to its handler, so `future.items` is this field. Executors make the
/// handler; build one yourself only to drive a detached future in a test:
///
/// ```
/// use traits_futures::{testing::Recorder, IterationFuture, IterationHandler, TaskMessage};
/// let future: IterationFuture<char> = IterationFuture::detached(IterationHandler::default(), || {});
/// let items = Recorder::event(&future.items);
/// future.receive(TaskMessage::Started)?;
/// future.receive(TaskMessage::Custom('a'))?;
/// future.receive(TaskMessage::Custom('b'))?;
/// assert_eq!(items.values(), ['a', 'b']);
/// # Ok::<(), traits_futures::ProtocolViolation>(())
/// ```
pub struct IterationHandler<I, R = (), E = Infallible> {
    /// Every item the task yields, in order (lossless). `items.signal()` is the latest item.
    pub items: Event<I>,
    /// The list [`items_vec`](TaskFuture::items_vec) fills, made on its first call.
    collected: OnceCell<ObservableVec<I>>,
    _types: PhantomData<fn() -> (R, E)>,
}

impl<I: 'static, R, E> Default for IterationHandler<I, R, E> {
    fn default() -> Self {
        IterationHandler {
            items: Event::new(),
            collected: OnceCell::new(),
            _types: PhantomData,
        }
    }
}

impl<I, R, E> fmt::Debug for IterationHandler<I, R, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IterationHandler")
    }
}

impl<I: Send + 'static, R: Send + 'static, E: Send + 'static> FutureHandler
    for IterationHandler<I, R, E>
{
    type Message = I;
    type Output = R;
    type Error = E;
    fn on_message(&self, item: I) {
        self.items.fire(item);
    }
}

/// The future of a background iteration: items through [`items`](TaskFuture::items), and, for a
/// generator, a final result.
///
/// `I` is the item type, `R` a generator's result (`()` for a plain iterator) and `E` a fallible
/// generator's error type.
///
/// ```
/// use traits_futures::testing::Recorder;
/// use traits_futures::{submit_iteration, IterationFuture, SubmitError, TraitsExecutor};
///
/// fn line_lengths(executor: &TraitsExecutor, text: String) -> Result<IterationFuture<usize>, SubmitError> {
///     submit_iteration(executor, move || {
///         let lengths: Vec<usize> = text.lines().map(str::len).collect();
///         lengths.into_iter()
///     })
/// }
///
/// let executor = TraitsExecutor::new();
/// let lengths = line_lengths(&executor, "one\nthree".into())?;
/// let seen = Recorder::event(lengths.items());
/// executor.run_until(|| lengths.done().get(), None)?;
/// assert_eq!(seen.values(), [3, 5]);
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type IterationFuture<I, R = (), E = Infallible> = TaskFuture<IterationHandler<I, R, E>>;

impl<I: Send + 'static, R: Send + 'static, E: Send + 'static>
    TaskFuture<IterationHandler<I, R, E>>
{
    /// The event fired with each item, in order.
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use traits_futures::{submit_iteration, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_iteration(&executor, || (1..=3).map(|n| n * n))?;
    /// let squares = Rc::new(RefCell::new(Vec::new()));
    /// let _g = future.items().observe({ let s = squares.clone(); move |n| s.borrow_mut().push(*n) });
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(*squares.borrow(), [1, 4, 9]);
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn items(&self) -> &Event<I> {
        &self.handler().items
    }
}

impl<I: Clone + Send + 'static, R: Send + 'static, E: Send + 'static>
    TaskFuture<IterationHandler<I, R, E>>
{
    /// The items as an observable list: every item delivered from the first call on is pushed
    /// to it, in order, so that a results table binds in one call (its observers hear each
    /// push, its [`signal_vec`](ObservableVec::signal_vec) drives a list widget).
    ///
    /// Every call returns the same list. Items are delivered only when this thread dispatches,
    /// so a call right after the submit sees every item. The list is the caller's to change
    /// too (sort it, clear it); the future only pushes. It lives as long as the future or a
    /// handle to it.
    ///
    /// ```
    /// use traits_futures::{submit_iteration, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_iteration(&executor, || ["a", "b", "c"])?;
    /// let rows = future.items_vec();
    /// let _table = rows.observe(|change| println!("row change: {change:?}"));
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(rows.to_vec(), ["a", "b", "c"]);
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn items_vec(&self) -> ObservableVec<I> {
        let handler = self.handler();
        handler
            .collected
            .get_or_init(|| {
                let list = ObservableVec::new();
                let target = list.clone();
                // Held by the event, which lives as long as the future.
                handler
                    .items
                    .observe(move |item| target.push(item.clone()))
                    .detach();
                list
            })
            .clone()
    }
}

struct IterationTask<F>(F);

impl<F, It> BackgroundTask for IterationTask<F>
where
    F: FnOnce() -> It + Send + 'static,
    It: IntoIterator,
    It::Item: Send + 'static,
{
    type Message = It::Item;
    type Output = ();
    type Error = Infallible;
    fn run(self, context: &TaskContext<'_, It::Item>) -> Result<(), Infallible> {
        let mut items = (self.0)().into_iter();
        // Check for cancellation before pulling each item; items are moved, never cloned.
        while !context.cancelled() {
            let Some(item) = items.next() else { break };
            if context.send(item).is_err() {
                break;
            }
        }
        drop(items); // the iterator's cleanup runs before the future can be done
        Ok(())
    }
}

struct GeneratorTask<F, I>(F, PhantomData<fn() -> I>);

impl<F, I, R, E> BackgroundTask for GeneratorTask<F, I>
where
    F: FnOnce(&TaskContext<'_, I>) -> Result<R, E> + Send + 'static,
    I: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    type Message = I;
    type Output = R;
    type Error = E;
    fn run(self, context: &TaskContext<'_, I>) -> Result<R, E> {
        (self.0)(context)
    }
}

/// A task with a [`capacity`](BackgroundTask::capacity): the bounded iterations' task, a
/// wrapper so that the unbounded ones stay as small as they were.
struct Bounded<T>(T, NonZeroUsize);

impl<T: BackgroundTask> BackgroundTask for Bounded<T> {
    type Message = T::Message;
    type Output = T::Output;
    type Error = T::Error;
    fn run(self, context: &TaskContext<'_, T::Message>) -> Result<T::Output, T::Error> {
        self.0.run(context)
    }
    fn capacity(&self) -> Option<NonZeroUsize> {
        Some(self.1)
    }
}

/// Runs the iterator made by `factory` on a worker, delivering each item to the main thread.
///
/// The factory runs on the worker (so a slow or failing setup does not block the GUI); the task
/// checks for cancellation before pulling each item and stops pulling once cancelled.
///
/// ```
/// use traits_futures::{submit_iteration, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_iteration(&executor, || "a b c".split(' ').map(str::to_owned).collect::<Vec<_>>())?;
/// executor.run_until(|| future.done().get(), None)?;
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_iteration<F, It>(
    executor: &TraitsExecutor,
    factory: F,
) -> Result<IterationFuture<It::Item>, SubmitError>
where
    F: FnOnce() -> It + Send + 'static,
    It: IntoIterator,
    It::Item: Send + 'static,
{
    executor.submit((IterationHandler::default(), IterationTask(factory)))
}

/// Runs a generator-like `body` that yields items with `items.send(item)?` and returns a final
/// value, which becomes the future's result (Python's generator return value).
///
/// `send` returns `Err(TaskCancelled)` once the future is cancelled, so `?` ends the body (the
/// future then ends `Cancelled`). For a body with its own error type, use
/// [`submit_try_generator`].
///
/// ```
/// use traits_futures::{submit_generator, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_generator(&executor, |items| {
///     let mut total = 0;
///     for n in 1..=4 {
///         items.send(n)?;
///         total += n;
///     }
///     Ok(total)
/// })?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.result(), Ok(&10));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_generator<I, R, F>(
    executor: &TraitsExecutor,
    body: F,
) -> Result<IterationFuture<I, R, TaskCancelled>, SubmitError>
where
    F: FnOnce(&TaskContext<'_, I>) -> Result<R, TaskCancelled> + Send + 'static,
    I: Send + 'static,
    R: Send + 'static,
{
    submit_try_generator(executor, body)
}

/// Like [`submit_generator`], for a body with its own error type `E`: `Err(e)` fails the
/// future with [`TaskError::Error(e)`](crate::TaskError::Error). To use `?` on `send`, `E`
/// must convert from [`TaskCancelled`].
///
/// ```
/// use traits_futures::{submit_try_generator, FutureState, TaskError, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_try_generator(&executor, |lines| {
///     for line in ["1", "2", "x"] {
///         let n: u32 = line.parse().map_err(|_| format!("not a number: {line}"))?;
///         lines.send(n).map_err(|cancelled| cancelled.to_string())?;
///     }
///     Ok(())
/// })?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.error(), Ok(&TaskError::Error("not a number: x".to_string())));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_try_generator<I, R, E, F>(
    executor: &TraitsExecutor,
    body: F,
) -> Result<IterationFuture<I, R, E>, SubmitError>
where
    F: FnOnce(&TaskContext<'_, I>) -> Result<R, E> + Send + 'static,
    I: Send + 'static,
    R: Send + 'static,
    E: Send + 'static,
{
    executor.submit((
        IterationHandler::default(),
        GeneratorTask(body, PhantomData),
    ))
}

/// Like [`submit_iteration`], with back-pressure: the worker pulls the next item only while
/// fewer than `capacity` items wait for the main thread (sent and not yet taken by the event
/// loop; see [`BackgroundTask::capacity`] for the exact bound), so a fast producer never runs
/// ahead of a slow GUI, and holds at most that many items in memory. A cancel, or the
/// executor's stop or drop, ends a wait at once.
///
/// ```
/// use std::num::NonZeroUsize;
/// use traits_futures::{submit_iteration_bounded, testing::Recorder, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let capacity = NonZeroUsize::new(2).unwrap();
/// let future = submit_iteration_bounded(&executor, capacity, || 0..10)?;
/// let items = Recorder::event(future.items());
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(items.values(), (0..10).collect::<Vec<_>>());
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_iteration_bounded<F, It>(
    executor: &TraitsExecutor,
    capacity: NonZeroUsize,
    factory: F,
) -> Result<IterationFuture<It::Item>, SubmitError>
where
    F: FnOnce() -> It + Send + 'static,
    It: IntoIterator,
    It::Item: Send + 'static,
{
    executor.submit((
        IterationHandler::default(),
        Bounded(IterationTask(factory), capacity),
    ))
}

/// Like [`submit_generator`], with back-pressure: `items.send(item)` blocks while `capacity`
/// items wait for the main thread (see [`BackgroundTask::capacity`] for the exact bound), and
/// returns `Err(TaskCancelled)` at once if the future is cancelled meanwhile.
///
/// ```
/// use std::num::NonZeroUsize;
/// use traits_futures::{submit_generator_bounded, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_generator_bounded(&executor, NonZeroUsize::MIN, |lines| {
///     for n in 0..5 {
///         lines.send(format!("line {n}"))?; // at most one waits
///     }
///     Ok(5)
/// })?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.result(), Ok(&5));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn submit_generator_bounded<I, R, F>(
    executor: &TraitsExecutor,
    capacity: NonZeroUsize,
    body: F,
) -> Result<IterationFuture<I, R, TaskCancelled>, SubmitError>
where
    F: FnOnce(&TaskContext<'_, I>) -> Result<R, TaskCancelled> + Send + 'static,
    I: Send + 'static,
    R: Send + 'static,
{
    executor.submit((
        IterationHandler::default(),
        Bounded(GeneratorTask(body, PhantomData), capacity),
    ))
}
