//! [`TaskFuture`]: the main-thread half of every task, and [`FutureHandler`], what a task type
//! adds to it.

use std::cell::{Cell, OnceCell};
use std::fmt;
use std::ops::Deref;
use std::rc::Rc;
use std::sync::Arc;

use traits_core::{ObserverKey, Unobserve};

use crate::error::{NotAvailable, ProtocolViolation, TaskError};
use crate::future::machine::{self, Effect, MachineState};
use crate::future::property::{FutureProperty, Status, StatusOwner};
use crate::routing::message::TaskMessage;
use crate::routing::pipe::{BatchMarks, Endpoint, PipeEndpoint, PipeTarget};
use crate::routing::pipe_shared::PipeOwner;
use crate::state::Input;
use crate::state::{CancelReason, FutureState};

mod erased;
mod handler;
mod orphan;
mod reentry;
mod suspension;
mod weak;

pub(crate) use erased::ErasedFuture;
pub use handler::FutureHandler;
use orphan::Delivery;
use reentry::Handling;
use suspension::Suspension;
pub(crate) use weak::WeakFuture;

/// What feeds a future and hears its cancel: the pipe from an executor's task (whose flag tells
/// the task), or nothing but a user's cancel callback (detached futures, fed by `receive`).
enum Driver<H: FutureHandler> {
    Pipe(PipeEndpoint<H::Message, H::Output, H::Error>),
    /// Released (dropped) once the future is done (a12). An `Rc` in a `Cell`, not a `RefCell`:
    /// without a borrow flag the driver fits beside the pipe's pointer, which keeps the future
    /// small.
    Detached(Cell<Option<Rc<dyn Fn()>>>),
}

/// A future: the main-thread view of one background task.
///
/// Its [`state`](Self::state) is an observable property that changes only on the main thread,
/// when the event loop dispatches the task's messages or when [`cancel`](Self::cancel) is
/// called; [`cancellable`](Self::cancellable) and [`done`](Self::done) are projections of it and
/// always agree with it, even inside an observer of `state`. Within one transition, observers
/// are notified in the order state, cancellable, done (see [`FutureProperty`]).
///
/// `TaskFuture` is a cheap handle ([`Clone`]) and a main-thread object (`!Send`). It
/// dereferences to its [`FutureHandler`], so a custom future's own events are reached directly
/// (`future.items()`, `future.fizz.observe(...)`).
///
/// The built-in futures are aliases: [`CallFuture`](crate::CallFuture),
/// [`IterationFuture`](crate::IterationFuture), [`ProgressFuture`](crate::ProgressFuture).
///
/// # If its executor is dropped
/// A future outlives the executor that made it. If the executor is dropped without
/// [`shutdown`](crate::TraitsExecutor::shutdown), every future it had is cancelled, and one
/// whose task had not started (or had already ended) is `Cancelled` before the drop returns.
/// One whose task is still running stays `Cancelling` until the task ends; the future then
/// takes the task's last message itself, with no event loop, the next time its state is read
/// (through [`state`](Self::state), [`cancellable`](Self::cancellable) or [`done`](Self::done),
/// [`result`](Self::result) or [`error`](Self::error)). It becomes `Cancelled` inside that
/// read, and its observers run there; if one panics, the panic resumes out of the read once
/// the future is done.
/// # Dropping a future does not cancel its task
///
/// The executor keeps every future it made until its task has ended, so dropping every handle
/// to a future neither cancels nor stops the task: it runs to its end, and its messages are
/// dispatched to observers nobody sees. To stop the work, keep a handle and call
/// [`cancel`](Self::cancel), hold an owning handle that cancels when dropped
/// ([`cancel_on_drop`](Self::cancel_on_drop)), keep it in a [`TaskSlot`](crate::TaskSlot)
/// (which cancels it when replaced), or [`stop`](crate::TraitsExecutor::stop) the executor.
///
/// ```
/// use traits_futures::{submit_iteration, FutureState, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let future = submit_iteration(&executor, || 1..=3)?;
/// let for_the_label = future.clone(); // the same future: clones share state and observers
/// let _label = future.state().observe(|_, new| println!("state: {new}"));
/// let _items = future.items().observe(|n| println!("item: {n}")); // the handler's event
/// executor.run_until(|| for_the_label.done().get(), None)?;
/// assert_eq!(future.state().get(), FutureState::Completed);
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct TaskFuture<H: FutureHandler> {
    inner: Rc<Inner<H>>,
}

pub(crate) struct Inner<H: FutureHandler> {
    /// The state machine; the public state is a projection of it.
    machine: Cell<MachineState>,
    /// The pipe endpoint's notes on the batch it is dispatching, kept here beside `machine`
    /// so that the future stays small (see [`BatchMarks`]).
    batch: Cell<BatchMarks>,
    /// Who delivers the pipe's messages: the router, or (its executor dropped) the future
    /// itself. A byte in the padding beside `machine` and `batch`.
    delivery: Cell<Delivery>,
    /// The observers of `state`, `cancellable` and `done`.
    status: Status,
    /// The task's return value or error, set by the final message. The error is boxed: a
    /// failure is the rare case, and unboxed it would make every future with a small result
    /// larger.
    outcome: OnceCell<Outcome<H>>,
    /// The main-thread end of the pipe from the task (kept in the future's own allocation: one
    /// allocation less per task), or a detached future's cancel callback.
    driver: Driver<H>,
    /// Whether `handler.on_message` is running for this future, and whether messages wait for
    /// it to return (see [`Inner::deliver`]). A byte of what was padding: no size class more.
    handling: Cell<Handling>,
    /// Whether the task is suspended, and whether the `suspended` view exists (see
    /// `suspension.rs`). Two bytes of what was padding.
    suspension: Cell<Suspension>,
    /// Why it was cancelled, once it was (a byte of what was padding).
    reason: Cell<Option<CancelReason>>,
    handler: H,
}

/// The message type on a pipe to a future with handler `H`.
pub(crate) type Envelope<H> = TaskMessage<
    <H as FutureHandler>::Message,
    <H as FutureHandler>::Output,
    <H as FutureHandler>::Error,
>;

/// The owner of the shared state of a pipe to a future with handler `H`.
pub(crate) type OwnerFor<H> = dyn PipeOwner<
    <H as FutureHandler>::Message,
    <H as FutureHandler>::Output,
    <H as FutureHandler>::Error,
>;

/// A finished task's return value or (boxed) error.
type Outcome<H> = Result<<H as FutureHandler>::Output, Box<TaskError<<H as FutureHandler>::Error>>>;

impl<H: FutureHandler> Clone for TaskFuture<H> {
    fn clone(&self) -> Self {
        TaskFuture {
            inner: Rc::clone(&self.inner),
        }
    }
}

impl<H: FutureHandler> TaskFuture<H> {
    /// Creates a future that no executor drives: feed it messages with [`receive`](Self::receive).
    ///
    /// `cancel` is called (on the main thread) when the future is cancelled; it is dropped once
    /// the future is done. Executors build their futures the same way, with a `cancel` that
    /// tells the background task.
    ///
    /// ```
    /// use traits_futures::{CallFuture, FutureState, TaskMessage};
    /// let future: CallFuture<&str> = CallFuture::detached(Default::default(), || println!("cancel!"));
    /// assert_eq!(future.state().get(), FutureState::Waiting);
    /// assert!(future.cancel());
    /// future.receive(TaskMessage::Abandoned)?;
    /// assert_eq!(future.state().get(), FutureState::Cancelled);
    /// # Ok::<(), traits_futures::ProtocolViolation>(())
    /// ```
    pub fn detached(handler: H, cancel: impl Fn() + 'static) -> Self {
        Self::build(handler, Driver::Detached(Cell::new(Some(Rc::new(cancel)))))
    }

    /// A future fed by `pipe`, whose cancel sets the pipe's flag (the executor's futures).
    pub(crate) fn with_pipe(handler: H, pipe: Arc<OwnerFor<H>>) -> Self {
        Self::build(handler, Driver::Pipe(PipeEndpoint::new(pipe)))
    }

    /// The router's view of this future.
    pub(crate) fn pipe_target(&self) -> Rc<dyn PipeTarget> {
        Rc::clone(&self.inner) as Rc<dyn PipeTarget>
    }

    fn build(handler: H, driver: Driver<H>) -> Self {
        TaskFuture {
            inner: Rc::new(Inner {
                machine: Cell::new(MachineState::Waiting),
                batch: Cell::new(BatchMarks::default()),
                delivery: Cell::new(Delivery::Routed),
                status: Status::new(),
                outcome: OnceCell::new(),
                driver,
                handling: Cell::new(Handling::Idle),
                suspension: suspension::new_suspension(),
                reason: Cell::new(None),
                handler,
            }),
        }
    }

    /// The future's state, observable and as a signal.
    ///
    /// ```
    /// use traits_futures::{CallFuture, FutureState};
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let _guard = future.state().observe(|old, new| println!("{old} -> {new}"));
    /// assert_eq!(future.state().get(), FutureState::Waiting);
    /// ```
    pub fn state(&self) -> FutureProperty<FutureState> {
        FutureProperty::state(self.status_owner())
    }

    /// Whether [`cancel`](Self::cancel) would have an effect: true while Waiting or Executing.
    ///
    /// ```
    /// use traits_futures::CallFuture;
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// assert!(future.cancellable().get());
    /// future.cancel();
    /// assert!(!future.cancellable().get());
    /// ```
    pub fn cancellable(&self) -> FutureProperty<bool> {
        FutureProperty::cancellable(self.status_owner())
    }

    /// Whether the future has reached a final state: Completed, Failed or Cancelled.
    ///
    /// ```
    /// use traits_futures::{CallFuture, TaskMessage};
    /// let future: CallFuture<i32> = CallFuture::detached(Default::default(), || {});
    /// assert!(!future.done().get());
    /// future.receive(TaskMessage::Started)?;
    /// future.receive(TaskMessage::Returned(1))?;
    /// assert!(future.done().get());
    /// # Ok::<(), traits_futures::ProtocolViolation>(())
    /// ```
    pub fn done(&self) -> FutureProperty<bool> {
        FutureProperty::done(self.status_owner())
    }

    fn status_owner(&self) -> Rc<dyn StatusOwner> {
        Rc::clone(&self.inner) as Rc<dyn StatusOwner>
    }

    /// Requests cancellation. Returns `true` and moves to `Cancelling` at once if the future was
    /// cancellable; returns `false` and changes nothing otherwise.
    ///
    /// From this call on, nothing the task sends (items, progress, custom messages, its result
    /// or error) is delivered, not even messages an observer's nested event loop dispatched
    /// before the cancel and whose delivery still waits for an observer up the stack to return
    /// (see [`FutureHandler`]); the future becomes `Cancelled` when the task has ended.
    ///
    /// ```
    /// use traits_futures::{CallFuture, FutureState};
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// assert!(future.cancel());
    /// assert_eq!(future.state().get(), FutureState::Cancelling);
    /// assert!(!future.cancel());
    /// ```
    pub fn cancel(&self) -> bool {
        self.inner.cancel_with(CancelReason::User)
    }

    /// [`cancel`](Self::cancel), recording `reason` instead of [`CancelReason::User`]: for
    /// code that cancels on someone else's behalf (a timer, a group, a widget that goes away),
    /// so that observers can tell why. Returns what `cancel` returns; the reason is recorded
    /// only if this call cancelled the future.
    ///
    /// ```
    /// use traits_futures::{CallFuture, CancelReason};
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// assert!(future.cancel_with(CancelReason::Deadline));
    /// assert!(!future.cancel()); // already cancelled: the first reason stays
    /// assert_eq!(future.cancel_reason(), Some(CancelReason::Deadline));
    /// ```
    pub fn cancel_with(&self, reason: CancelReason) -> bool {
        self.inner.cancel_with(reason)
    }

    /// Why the future was cancelled: `None` unless it is `Cancelling` or `Cancelled` (a future
    /// that completed or failed was never cancelled). Observers of the state's move to
    /// `Cancelling` can read it already.
    ///
    /// ```
    /// use traits_futures::{CallFuture, CancelReason, TaskMessage};
    /// let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let watched = future.clone();
    /// let _why = future.state().observe(move |_, _| println!("{:?}", watched.cancel_reason()));
    /// future.cancel();
    /// future.receive(TaskMessage::Abandoned)?;
    /// assert_eq!(future.cancel_reason(), Some(CancelReason::User));
    /// # Ok::<(), traits_futures::ProtocolViolation>(())
    /// ```
    pub fn cancel_reason(&self) -> Option<CancelReason> {
        self.inner.reason.get()
    }

    /// Feeds one message to the future, as the event loop does when it dispatches.
    ///
    /// Returns a [`ProtocolViolation`] (and changes nothing) if the message is not allowed in
    /// the current state. Use it to unit-test a custom future without an executor.
    ///
    /// ```
    /// use traits_futures::{CallFuture, TaskMessage};
    /// let future: CallFuture<i32> = CallFuture::detached(Default::default(), || {});
    /// assert!(future.receive(TaskMessage::Returned(1)).is_err()); // R before S
    /// ```
    pub fn receive(&self, message: Envelope<H>) -> Result<(), ProtocolViolation> {
        self.inner.receive(message)
    }

    /// The task's return value; available only once `Completed`.
    ///
    /// ```
    /// use traits_futures::{CallFuture, TaskMessage};
    /// let future: CallFuture<i32> = CallFuture::detached(Default::default(), || {});
    /// future.receive(TaskMessage::Started)?;
    /// future.receive(TaskMessage::Returned(8))?;
    /// assert_eq!(future.result(), Ok(&8));
    /// # Ok::<(), traits_futures::ProtocolViolation>(())
    /// ```
    pub fn result(&self) -> Result<&H::Output, NotAvailable> {
        self.inner.settle();
        match self.inner.machine.get().public() {
            FutureState::Completed => match self.inner.outcome.get() {
                Some(Ok(value)) => Ok(value),
                _ => Err(NotAvailable::NoResult(FutureState::Completed)),
            },
            state => Err(NotAvailable::NoResult(state)),
        }
    }

    /// Why the task failed; available only once `Failed`.
    ///
    /// ```
    /// use traits_futures::{CallFuture, TaskError, TaskMessage};
    /// let future: CallFuture<i32> = CallFuture::detached(Default::default(), || {});
    /// future.receive(TaskMessage::Started)?;
    /// future.receive(TaskMessage::Failed(TaskError::Panicked("boom".into())))?;
    /// assert_eq!(future.error().unwrap().panic_message(), Some("boom"));
    /// # Ok::<(), traits_futures::ProtocolViolation>(())
    /// ```
    pub fn error(&self) -> Result<&TaskError<H::Error>, NotAvailable> {
        self.inner.settle();
        match self.inner.machine.get().public() {
            FutureState::Failed => match self.inner.outcome.get() {
                Some(Err(error)) => Ok(error),
                _ => Err(NotAvailable::NoError(FutureState::Failed)),
            },
            state => Err(NotAvailable::NoError(state)),
        }
    }

    /// The task type's handler (also reachable through `Deref`).
    ///
    /// ```
    /// use traits_futures::IterationFuture;
    /// let future: IterationFuture<u8> = IterationFuture::detached(Default::default(), || {});
    /// let _items = &future.handler().items;
    /// ```
    pub fn handler(&self) -> &H {
        &self.inner.handler
    }

    /// True if both handles refer to the same future.
    ///
    /// ```
    /// use traits_futures::CallFuture;
    /// let a: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// assert!(a.ptr_eq(&a.clone()));
    /// ```
    pub fn ptr_eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }
}

#[cfg(test)]
impl<H: FutureHandler> TaskFuture<H> {
    /// Registrations in the status list: observers and signals' taps (for tests).
    pub(crate) fn inner_status_len(&self) -> usize {
        self.inner.status.observers().len()
    }
}

impl<H: FutureHandler> Inner<H> {
    pub(crate) fn cancel_with(&self, reason: CancelReason) -> bool {
        let Ok((next, _)) = machine::transition(self.machine.get(), Input::Cancel) else {
            return false;
        };
        // Recorded first: the callback's and the observers' code may read it.
        self.reason.set(Some(reason));
        match &self.driver {
            Driver::Pipe(endpoint) => endpoint.shared().cancel(),
            Driver::Detached(callback) => {
                // Put back before the call: it may panic, or cancel again.
                let held = callback.take();
                callback.set(held.clone());
                if let Some(callback) = held {
                    callback();
                }
            }
        }
        self.apply(next);
        true
    }

    pub(crate) fn receive(&self, message: Envelope<H>) -> Result<(), ProtocolViolation> {
        self.receive_then(message, || {})
    }

    /// Applies `message`; if it moves the future to a final state, `before_final` runs first
    /// (the router retires the pipe there, before any observer runs). One transition per
    /// message: the machine is consulted once.
    pub(crate) fn receive_then(
        &self,
        message: Envelope<H>,
        before_final: impl FnOnce(),
    ) -> Result<(), ProtocolViolation> {
        let (next, effect) = machine::transition(self.machine.get(), message.input())?;
        if next.public().is_done() {
            before_final();
        }
        let discarded = match (message, effect) {
            (TaskMessage::Custom(custom), Effect::Deliver) => {
                self.deliver(custom);
                return Ok(());
            }
            (TaskMessage::Returned(value), Effect::Deliver) => {
                let _ = self.outcome.set(Ok(value));
                None
            }
            (TaskMessage::Failed(error), Effect::Deliver) => {
                let _ = self.outcome.set(Err(Box::new(error)));
                None
            }
            // Started, Abandoned, and payloads that arrive after a cancel (a15).
            (message, _) => Some(message),
        };
        self.apply(next);
        // Dropped only now: a payload whose `Drop` panics cannot leave the future unfinished.
        drop(discarded);
        Ok(())
    }

    /// Moves to `next`: internal state first, then release the cancel handle if done, then the
    /// public status (whose notification runs observers of state, then cancellable, then done).
    fn apply(&self, next: MachineState) {
        let old = self.machine.replace(next).public();
        let public = next.public();
        if let (true, Driver::Detached(callback)) = (public.is_done(), &self.driver) {
            drop(callback.take());
        }
        self.status.changed(old, public);
        self.end_suspension();
    }

    /// Done, read from the internal state (cheaper than the observable, for the router).
    pub(crate) fn is_done(&self) -> bool {
        self.machine.get().public().is_done()
    }

    /// `Executing`: a custom message would be delivered, with no change of state.
    #[inline]
    pub(crate) fn is_executing(&self) -> bool {
        self.machine.get() == MachineState::Executing
    }

    pub(crate) fn endpoint(&self) -> Option<Endpoint<'_, H::Message, H::Output, H::Error>> {
        match &self.driver {
            Driver::Pipe(endpoint) => Some(endpoint.with_marks(&self.batch)),
            Driver::Detached(_) => None,
        }
    }
}

impl<H: FutureHandler> Drop for Inner<H> {
    fn drop(&mut self) {
        self.forget_suspension();
    }
}

impl<H: FutureHandler> StatusOwner for Inner<H> {
    fn status(&self) -> &Status {
        &self.status
    }

    fn state(&self) -> FutureState {
        self.settle();
        self.machine.get().public()
    }
}

impl<H: FutureHandler> Unobserve for Inner<H> {
    fn unobserve(&self, key: ObserverKey) {
        self.status.unobserve(key);
    }
}

impl<H: FutureHandler> Deref for TaskFuture<H> {
    type Target = H;
    fn deref(&self) -> &H {
        &self.inner.handler
    }
}

impl<H: FutureHandler> fmt::Debug for TaskFuture<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskFuture")
            .field("state", &self.inner.machine.get().public())
            .finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom), target_pointer_width = "64"))]
mod tests {
    use std::mem::size_of;

    use super::Inner;
    use crate::future::test_handler::Plain;

    /// A call's future stays within its budget in ARCHITECTURE.md (Performance).
    #[test]
    fn a_call_future_stays_in_its_size_class() {
        assert_eq!(size_of::<Inner<Plain<u64>>>(), 88);
    }
}
