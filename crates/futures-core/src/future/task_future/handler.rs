//! [`FutureHandler`]: what a task type adds to its future on the main thread.

use traits_core::Derived;

/// The main-thread half of a task type: how its future reacts to the task's custom messages.
///
/// A handler usually holds [`traits_core`] observables or events that UI code binds to; the
/// future hands it every custom message that arrives while it is `Executing` (messages that
/// arrive after a cancel are dropped before they reach it). The message type is an ordinary
/// Rust type, usually an enum, so the compiler checks that every message is handled.
///
/// # Cancel-first, even re-entrantly
///
/// Once [`TaskFuture::cancel`](crate::TaskFuture::cancel) has returned `true`, `on_message` is never called again for that
/// future. The future guarantees it for every handler, built-in or custom; a handler needs no
/// code of its own for it. What makes it hold when an observer runs the event loop: a future
/// never calls `on_message` while an earlier call for the same future is still running. A
/// message that arrives meanwhile (an observer of an event the handler fired called
/// `dispatch_pending` or `run_until`) waits in the future, and is handed over when the running
/// call returns, in order, unless the future was cancelled in between: then it is dropped
/// unseen. (The events a handler fires queue a value fired from inside one of their own
/// observers until that observer returns; without this rule such a queued value would reach
/// observers after the `cancel()`.) The message being handled when `cancel()` is called is
/// still handled to the end. Give each future's handler events of its own: an event shared by
/// the handlers of several futures still queues, and so may deliver, a value of a future
/// cancelled while another future's value was being delivered.
///
/// ```
/// use std::convert::Infallible;
/// use traits_core::Event;
/// use traits_futures::FutureHandler;
///
/// enum Step { Downloaded(u64), Unpacked }
///
/// #[derive(Default)]
/// struct InstallHandler { downloaded: Event<u64>, unpacked: Event<()> }
///
/// impl FutureHandler for InstallHandler {
///     type Message = Step;
///     type Output = ();
///     type Error = Infallible;
///     fn on_message(&self, message: Step) {
///         match message {
///             Step::Downloaded(bytes) => self.downloaded.fire(bytes),
///             Step::Unpacked => self.unpacked.fire(()),
///         }
///     }
/// }
/// ```
pub trait FutureHandler: 'static {
    /// The custom messages the background task sends.
    type Message: Send + 'static;
    /// The value the task returns on success; it becomes the future's result.
    type Output: Send + 'static;
    /// The task's own error type; `Err` from the task makes the future `Failed`.
    type Error: Send + 'static;

    /// Reacts to one custom message. Called on the main thread, only while `Executing`, and
    /// never re-entrantly for one future (see
    /// [cancel-first](FutureHandler#cancel-first-even-re-entrantly)).
    fn on_message(&self, message: Self::Message);

    /// The task's progress as a fraction (0.0 to 1.0; `None` while unknown), if this task type
    /// reports any: what the executor's [`live_futures`](crate::TraitsExecutor::live_futures)
    /// shows for a future of this handler. Called once per future, when it enters that list.
    /// The default is `None` (no progress); steps futures and progress futures with numeric
    /// reports have one.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use traits_core::{Dependency, Derived, Observable};
    /// use traits_futures::FutureHandler;
    ///
    /// /// Counts files copied out of a known total.
    /// struct CopyHandler { copied: Observable<u32>, total: u32 }
    ///
    /// impl FutureHandler for CopyHandler {
    ///     type Message = u32;
    ///     type Output = ();
    ///     type Error = Infallible;
    ///     fn on_message(&self, copied: u32) { self.copied.set(copied); }
    ///     fn progress_fraction(&self) -> Option<Derived<Option<f64>>> {
    ///         let (copied, total) = (self.copied.clone(), self.total);
    ///         Some(Derived::new(&[&self.copied as &dyn Dependency], move || {
    ///             Some(f64::from(copied.get()) / f64::from(total))
    ///         }))
    ///     }
    /// }
    ///
    /// let handler = CopyHandler { copied: Observable::new(0), total: 4 };
    /// let fraction = handler.progress_fraction().unwrap();
    /// handler.on_message(1);
    /// assert_eq!(fraction.get(), Some(0.25));
    /// ```
    fn progress_fraction(&self) -> Option<Derived<Option<f64>>> {
        None
    }
}
