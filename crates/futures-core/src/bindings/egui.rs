//! The egui binding (feature `egui`): wake egui when a worker has news, dispatch within a frame
//! budget each frame, and show a progress future as a bar with a Cancel button and its state.
//!
//! egui redraws only when asked. [`repaint_on_wake`] makes the executor's wake (a worker's
//! message, a [`LoopWaker`](crate::LoopWaker)) ask for a frame, and [`dispatch_frame`], called
//! once a frame before anything is drawn, delivers what arrived, within
//! [`DispatchBudget::FRAME`] (what the budget leaves asks for another frame). The setup is
//! one line, and so is each frame's dispatch:
//!
//! ```
//! use traits_futures::egui::{dispatch_frame, FutureProgress};
//! use traits_futures::submit_progress;
//!
//! let ctx = egui::Context::default(); // with eframe: `cc.egui_ctx`
//! let executor = traits_futures::egui::executor(&ctx); // the setup
//! let job = submit_progress(&executor, |reporter| {
//!     for step in 0..=10u64 { reporter.report((step, 10))?; }
//!     Ok("done")
//! })?;
//! while !job.done().get() {
//!     // eframe runs the frames: this loop stands for it.
//!     ctx.run_ui(egui::RawInput::default(), |ui| {
//!         dispatch_frame(&executor); // each frame, first (with eframe: in `App::logic`)
//!         ui.add(FutureProgress::new(&job));
//!     }).drop_without_applying_deltas();
//! }
//! # executor.shutdown(None)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//! The binding depends on `egui` alone, so it serves any integration (eframe, or egui on a
//! winit loop of your own).

use std::fmt::Display;

use ::egui::{Button, Context, ProgressBar, Response, Ui, Widget};

use crate::bindings::progress_value::ProgressValue;
use crate::error::TaskCancelled;
use crate::executor::budget::{DispatchBudget, Dispatched};
use crate::executor::traits_executor::TraitsExecutor;
use crate::state::FutureState;
use crate::tasks::progress::ProgressFuture;

/// Makes the executor's wake ask `ctx` for a frame: installs a wake callback (replacing any
/// other, see [`TraitsExecutor::set_wake_callback`]) that calls
/// [`Context::request_repaint`]. Workers call it at most once per burst of messages; the frame
/// it asks for then calls [`dispatch_frame`].
///
/// The callback holds a clone of the context (a handle) until the executor stops.
///
/// ```
/// use traits_futures::{submit_call, TraitsExecutor};
///
/// let ctx = egui::Context::default();
/// let executor = TraitsExecutor::new();
/// traits_futures::egui::repaint_on_wake(&executor, &ctx);
/// let answer = submit_call(&executor, || 6 * 7)?;
/// // The worker's message asks for a frame; the frame dispatches it.
/// while !answer.done().get() {
///     if ctx.has_requested_repaint() {
///         ctx.run_ui(egui::RawInput::default(), |_ui| {
///             traits_futures::egui::dispatch_frame(&executor);
///         }).drop_without_applying_deltas();
///     }
///     std::thread::yield_now();
/// }
/// assert_eq!(answer.result(), Ok(&42));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn repaint_on_wake(executor: &TraitsExecutor, ctx: &Context) {
    let ctx = ctx.clone();
    executor.set_wake_callback(move || ctx.request_repaint());
}

/// A new executor (default settings, see [`TraitsExecutor::new`]) whose wake asks `ctx` for a
/// frame ([`repaint_on_wake`]): an egui app's setup in one call. For other settings, build the
/// executor with [`TraitsExecutor::builder`] and call [`repaint_on_wake`].
///
/// ```
/// let ctx = egui::Context::default();
/// let executor = traits_futures::egui::executor(&ctx);
/// assert!(executor.running().get());
/// # executor.shutdown(None).unwrap();
/// ```
pub fn executor(ctx: &Context) -> TraitsExecutor {
    let executor = TraitsExecutor::new();
    repaint_on_wake(&executor, ctx);
    executor
}

/// Dispatches what the workers sent, within one frame's budget ([`DispatchBudget::FRAME`]):
/// call it once per frame, before drawing (eframe: in `App::logic`), so that the frame shows
/// the futures' latest state. What the budget leaves asks for another frame through the wake
/// callback, so a flood of messages is spread over frames instead of stalling one.
///
/// ```
/// use traits_futures::{submit_call, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let answer = submit_call(&executor, || 6 * 7)?;
/// while !answer.done().get() {
///     traits_futures::egui::dispatch_frame(&executor); // a frame
///     std::thread::yield_now();
/// }
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dispatch_frame(executor: &TraitsExecutor) -> Dispatched {
    executor.dispatch_within(DispatchBudget::FRAME)
}

/// A progress future as a widget: a bar of its latest report, a Cancel button (enabled while
/// the future can be cancelled; a click cancels it) and a label with its state (`Executing`,
/// `Completed`, `Failed: ` and the error, ...).
///
/// The bar shows the report's [`fraction`](ProgressValue::fraction) as a percentage, or its
/// position alone if the report has no length, and is full once the future completes. It reads
/// [`progress`](crate::TaskFuture::progress), the latest delivered report: with
/// [`ProgressDelivery::Latest`](crate::ProgressDelivery::Latest) a worker that reports faster
/// than frames come costs nothing.
///
/// `ui.add(FutureProgress::new(&future))` draws it; [`show`](Self::show) also says what it
/// showed and whether the click cancelled. [`progress_with_cancel`] is the same as a function.
///
/// ```
/// use traits_futures::{egui::FutureProgress, ProgressFuture, ProgressHandler, TaskMessage};
///
/// let future: ProgressFuture<(u32, u32), ()> = ProgressFuture::detached(ProgressHandler::default(), || {});
/// future.receive(TaskMessage::Started)?;
/// future.receive(TaskMessage::Custom((1, 4)))?;
///
/// let ctx = egui::Context::default();
/// let mut shown = None;
/// ctx.run_ui(egui::RawInput::default(), |ui| {
///     shown = Some(FutureProgress::new(&future).show(ui));
/// }).drop_without_applying_deltas();
/// let shown = shown.unwrap();
/// assert_eq!((shown.fraction, shown.state_text.as_str()), (0.25, "Executing"));
/// assert!(shown.cancel_enabled);
/// # Ok::<(), traits_futures::ProtocolViolation>(())
/// ```
#[derive(Debug)]
#[must_use = "a widget draws nothing until added: `ui.add(widget)` or `widget.show(ui)`"]
pub struct FutureProgress<'a, P, T, E = TaskCancelled>
where
    P: Clone + PartialEq + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    future: &'a ProgressFuture<P, T, E>,
    cancel_button: bool,
    state_label: bool,
}

/// What a [`FutureProgress`] showed, from [`FutureProgress::show`].
///
/// ```
/// use traits_futures::{egui::FutureProgress, ProgressFuture, ProgressHandler};
///
/// let future: ProgressFuture<u64, ()> = ProgressFuture::detached(ProgressHandler::default(), || {});
/// let ctx = egui::Context::default();
/// let mut shown = None;
/// ctx.run_ui(egui::RawInput::default(), |ui| shown = Some(FutureProgress::new(&future).show(ui))).drop_without_applying_deltas();
/// let shown = shown.unwrap();
/// assert_eq!((shown.fraction, shown.state_text.as_str()), (0.0, "Waiting"));
/// assert!(!shown.cancelled);
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub struct FutureProgressResponse {
    /// The whole widget's response (bar, button and label).
    pub response: Response,
    /// The Cancel button's response (`None` without the button).
    pub cancel: Option<Response>,
    /// The part of the bar that was filled, from 0 to 1.
    pub fraction: f32,
    /// The state label's text (even when the label is turned off).
    pub state_text: String,
    /// Whether the Cancel button was enabled.
    pub cancel_enabled: bool,
    /// Whether a click on Cancel cancelled the future during this frame.
    pub cancelled: bool,
}

impl<'a, P, T, E> FutureProgress<'a, P, T, E>
where
    P: ProgressValue + Clone + PartialEq + Send + 'static,
    T: Send + 'static,
    E: Display + Send + 'static,
{
    /// The widget for `future`, with its Cancel button and state label.
    ///
    /// ```
    /// use traits_futures::{egui::FutureProgress, ProgressFuture, ProgressHandler};
    /// let future: ProgressFuture<f32, ()> = ProgressFuture::detached(ProgressHandler::default(), || {});
    /// egui::Context::default().run_ui(Default::default(), |ui| {
    ///     ui.add(FutureProgress::new(&future));
    /// }).drop_without_applying_deltas();
    /// ```
    pub fn new(future: &'a ProgressFuture<P, T, E>) -> Self {
        FutureProgress {
            future,
            cancel_button: true,
            state_label: true,
        }
    }

    /// Shows the Cancel button or not (it is shown by default).
    ///
    /// ```
    /// use traits_futures::{egui::FutureProgress, ProgressFuture, ProgressHandler};
    /// let future: ProgressFuture<f32, ()> = ProgressFuture::detached(ProgressHandler::default(), || {});
    /// egui::Context::default().run_ui(Default::default(), |ui| {
    ///     let shown = FutureProgress::new(&future).cancel_button(false).show(ui);
    ///     assert!(shown.cancel.is_none());
    /// }).drop_without_applying_deltas();
    /// ```
    pub fn cancel_button(mut self, show: bool) -> Self {
        self.cancel_button = show;
        self
    }

    /// Shows the state label or not (it is shown by default).
    ///
    /// ```
    /// use traits_futures::{egui::FutureProgress, ProgressFuture, ProgressHandler};
    /// let future: ProgressFuture<f32, ()> = ProgressFuture::detached(ProgressHandler::default(), || {});
    /// egui::Context::default().run_ui(Default::default(), |ui| {
    ///     ui.add(FutureProgress::new(&future).state_label(false));
    /// }).drop_without_applying_deltas();
    /// ```
    pub fn state_label(mut self, show: bool) -> Self {
        self.state_label = show;
        self
    }

    /// Draws the widget and says what it showed; a click on Cancel cancels the future.
    ///
    /// ```
    /// use traits_futures::{egui::FutureProgress, FutureState, ProgressFuture, ProgressHandler, TaskMessage};
    ///
    /// let future: ProgressFuture<u8, (), String> = ProgressFuture::detached(ProgressHandler::default(), || {});
    /// future.receive(TaskMessage::Started)?;
    /// future.receive(TaskMessage::Failed(traits_futures::TaskError::Error("disk full".into())))?;
    /// egui::Context::default().run_ui(Default::default(), |ui| {
    ///     let shown = FutureProgress::new(&future).show(ui);
    ///     assert_eq!(shown.state_text, "Failed: the task returned an error: disk full");
    ///     assert!(!shown.cancel_enabled);
    /// }).drop_without_applying_deltas();
    /// # Ok::<(), traits_futures::ProtocolViolation>(())
    /// ```
    pub fn show(self, ui: &mut Ui) -> FutureProgressResponse {
        let future = self.future;
        let state = future.state().get();
        let report = future.progress().with(|report| {
            report
                .as_ref()
                .map(|report| (report.fraction(), report.position()))
        });
        let (fraction, bar_text) = match (state, report) {
            (FutureState::Completed, _) => (1.0, None),
            (_, Some((Some(fraction), _))) => (fraction, None),
            (_, Some((None, position))) => (0.0, Some(position.to_string())),
            (_, None) => (0.0, None),
        };
        let state_text = match (state, future.error()) {
            (FutureState::Failed, Ok(error)) => format!("Failed: {error}"),
            _ => state.to_string(),
        };
        let cancel_enabled = future.cancellable().get();
        let mut cancel = None;
        let mut cancelled = false;
        let response = ui
            .vertical(|ui| {
                let bar = ProgressBar::new(fraction);
                ui.add(match bar_text {
                    Some(text) => bar.text(text),
                    None => bar.show_percentage(),
                });
                if self.cancel_button || self.state_label {
                    ui.horizontal(|ui| {
                        if self.cancel_button {
                            let button = ui.add_enabled(cancel_enabled, Button::new("Cancel"));
                            if button.clicked() {
                                cancelled = future.cancel();
                            }
                            cancel = Some(button);
                        }
                        if self.state_label {
                            ui.label(&state_text);
                        }
                    });
                }
            })
            .response;
        FutureProgressResponse {
            response,
            cancel,
            fraction,
            state_text,
            cancel_enabled,
            cancelled,
        }
    }
}

impl<P, T, E> Widget for FutureProgress<'_, P, T, E>
where
    P: ProgressValue + Clone + PartialEq + Send + 'static,
    T: Send + 'static,
    E: Display + Send + 'static,
{
    fn ui(self, ui: &mut Ui) -> Response {
        self.show(ui).response
    }
}

/// Draws `future` as a [`FutureProgress`] (a bar, a Cancel button, a state label) and returns
/// its response: `ui.add(FutureProgress::new(future))` as a function.
///
/// ```
/// use traits_futures::{ProgressFuture, ProgressHandler};
/// let future: ProgressFuture<(u64, u64), ()> = ProgressFuture::detached(ProgressHandler::default(), || {});
/// egui::Context::default().run_ui(Default::default(), |ui| {
///     traits_futures::egui::progress_with_cancel(ui, &future);
/// }).drop_without_applying_deltas();
/// ```
pub fn progress_with_cancel<P, T, E>(ui: &mut Ui, future: &ProgressFuture<P, T, E>) -> Response
where
    P: ProgressValue + Clone + PartialEq + Send + 'static,
    T: Send + 'static,
    E: Display + Send + 'static,
{
    ui.add(FutureProgress::new(future))
}
