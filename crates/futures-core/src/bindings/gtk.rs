//! GTK 4 bindings (feature `gtk`): dispatch on glib's main context, and bind widgets to a
//! future, an owned future or a latest-wins slot in one call each.
//!
//! Every binding follows a [`Watch`] source (a [`TaskFuture`], an [`OwnedFuture`], a
//! [`TaskSlot`] or its [`SlotCurrent`](crate::SlotCurrent)) through its signals, spawned on the
//! thread-default main context, and ends when its widget is destroyed: it holds the widget
//! weakly, so a binding never keeps a window alive. Nothing polls on a timer.
//!
//! ```no_run
//! use std::rc::Rc;
//! use gtk4 as gtk;
//! use gtk::prelude::*;
//! use traits_futures::prelude::*;
//! use traits_futures::gtk as tf;
//!
//! fn build(app: &gtk::Application) {
//!     let executor = TraitsExecutor::new();
//!     tf::spawn_dispatcher(&executor);
//!     let slot = Rc::new(TaskSlot::new());
//!     let (start, cancel) = (gtk::Button::with_label("Start"), gtk::Button::with_label("Cancel"));
//!     let (bar, state) = (gtk::ProgressBar::new(), gtk::Label::new(None));
//!     tf::bind_submit(&start, &slot, move || {
//!         submit_progress(&executor, |reporter| {
//!             for step in 1..=100 {
//!                 std::thread::sleep(std::time::Duration::from_millis(20));
//!                 reporter.report((step, 100))?;
//!             }
//!             Ok(())
//!         })
//!     });
//!     tf::bind_cancel(&cancel, &slot);
//!     tf::bind_fraction(&bar, &slot);
//!     tf::bind_state(&state, &slot);
//!     // ... put the widgets in a window and present it.
//! }
//! ```

use std::fmt::Display;
use std::rc::Rc;

use futures_signals::signal::{Signal, SignalExt};
use gtk4::glib;
use gtk4::prelude::*;

use crate::bindings::watch::{HasFraction, Watch};
use crate::compose::owned::OwnedFuture;
use crate::compose::slot::TaskSlot;
use crate::executor::budget::DispatchBudget;
use crate::executor::traits_executor::TraitsExecutor;
use crate::future::task_future::{FutureHandler, TaskFuture};

/// Spawns the executor's [`Dispatcher`](crate::Dispatcher) on the thread-default glib main
/// context, dispatching for at most one frame's budget ([`DispatchBudget::FRAME`]) per poll so
/// that a task flooding the loop cannot freeze a frame. Call it once, on the main thread, after
/// creating the executor. The dispatcher ends when the executor has stopped; the returned
/// handle can also abort it.
///
/// ```no_run
/// let executor = traits_futures::TraitsExecutor::new();
/// traits_futures::gtk::spawn_dispatcher(&executor);
/// ```
pub fn spawn_dispatcher(executor: &TraitsExecutor) -> glib::JoinHandle<()> {
    glib::spawn_future_local(executor.dispatcher().with_budget(DispatchBudget::FRAME))
}

/// Calls `apply(widget, value)` with every value of `signal`, on the main context, until the
/// widget is destroyed (it is held weakly) or the signal ends. The other bindings are built on
/// it.
///
/// ```no_run
/// use futures_signals::signal::SignalExt;
/// use gtk4 as gtk;
/// use gtk::prelude::*;
/// use traits_futures::{submit_call, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_call(&executor, || 6 * 7)?;
/// let label = gtk::Label::new(None);
/// traits_futures::gtk::bind(&label, future.state().signal(), |label, state| {
///     label.set_tooltip_text(Some(&format!("{state}")))
/// });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bind<W, S>(widget: &W, signal: S, mut apply: impl FnMut(&W, S::Item) + 'static)
where
    W: IsA<gtk4::Widget>,
    S: Signal + 'static,
{
    let weak = widget.downgrade();
    let handle = glib::spawn_future_local(signal.for_each(move |value| {
        if let Some(widget) = weak.upgrade() {
            apply(&widget, value);
        }
        async {}
    }));
    // Destroying the widget ends the binding at once (glib's handler holds the handle until
    // then; aborting a finished binding does nothing).
    let handle = std::cell::Cell::new(Some(handle));
    widget.as_ref().connect_destroy(move |_| {
        if let Some(handle) = handle.take() {
            handle.abort();
        }
    });
}

/// Binds a label's text to `signal`.
///
/// ```no_run
/// use futures_signals::signal::SignalExt;
/// use gtk4 as gtk;
/// use traits_futures::{submit_call, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_call(&executor, || 6 * 7)?;
/// let label = gtk::Label::new(None);
/// traits_futures::gtk::bind_text(&label, future.state().signal().map(|s| format!("State: {s}")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bind_text<S>(label: &gtk4::Label, signal: S)
where
    S: Signal + 'static,
    S::Item: AsRef<str>,
{
    bind(label, signal, |label, text| label.set_text(text.as_ref()));
}

/// Binds a widget's sensitivity to `signal`.
///
/// ```no_run
/// use futures_signals::signal::SignalExt;
/// use gtk4 as gtk;
/// use traits_futures::TraitsExecutor;
/// let executor = TraitsExecutor::new();
/// let start = gtk::Button::with_label("Start");
/// traits_futures::gtk::bind_sensitive(&start, executor.running().signal());
/// ```
pub fn bind_sensitive<W, S>(widget: &W, signal: S)
where
    W: IsA<gtk4::Widget>,
    S: Signal<Item = bool> + 'static,
{
    bind(widget, signal.dedupe(), |widget, sensitive| {
        widget.set_sensitive(sensitive)
    });
}

/// Binds a progress bar's fraction to the followed future's latest progress (`0.0` before the
/// first report, and while a slot is empty). Works for progress tasks whose report is a
/// [`ProgressValue`](crate::ProgressValue) with a length (such as `(done, total)`) and for
/// steps tasks.
///
/// ```no_run
/// use gtk4 as gtk;
/// use traits_futures::{submit_progress, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_progress(&executor, |reporter| reporter.report((1, 2)))?;
/// traits_futures::gtk::bind_fraction(&gtk::ProgressBar::new(), &future);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bind_fraction<W>(bar: &gtk4::ProgressBar, source: &W)
where
    W: Watch,
    W::Handler: HasFraction,
{
    bind(bar, source.fraction_signal().dedupe(), |bar, fraction| {
        bar.set_fraction(fraction)
    });
}

/// Binds a label's text to the followed future's state (`Waiting`, `Executing`, `Completed`,
/// ...; empty while a slot is empty).
///
/// ```no_run
/// use gtk4 as gtk;
/// use traits_futures::{submit_call, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_call(&executor, || 6 * 7)?;
/// traits_futures::gtk::bind_state(&gtk::Label::new(None), &future);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bind_state<W: Watch>(label: &gtk4::Label, source: &W) {
    bind_text(
        label,
        source
            .state_signal()
            .dedupe()
            .map(|state| state.map(|state| state.to_string()).unwrap_or_default()),
    );
}

/// Makes `button` the followed future's Cancel button: sensitive while the future can be
/// cancelled, and a click cancels it.
///
/// ```no_run
/// use gtk4 as gtk;
/// use traits_futures::{submit_call, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let future = submit_call(&executor, || 6 * 7)?;
/// traits_futures::gtk::bind_cancel(&gtk::Button::with_label("Cancel"), &future);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bind_cancel<W>(button: &gtk4::Button, source: &W)
where
    W: Watch + Clone + 'static,
{
    bind_sensitive(button, source.cancellable_signal());
    let source = source.clone();
    button.connect_clicked(move |_| {
        if let Some(future) = source.current_future() {
            future.cancel();
        }
    });
}

/// Makes `button` a Start button for `slot`: a click submits a task into the slot with `submit`
/// (cancelling the one it held: latest wins), and the button is insensitive while the slot's
/// task runs. If `submit` fails (the executor has stopped), the error is logged at `error`
/// level and the button is made insensitive, with the error as its tooltip.
///
/// ```no_run
/// use std::rc::Rc;
/// use gtk4 as gtk;
/// use traits_futures::{submit_call, TaskSlot, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let slot = Rc::new(TaskSlot::new());
/// traits_futures::gtk::bind_submit(&gtk::Button::with_label("Start"), &slot, move || {
///     submit_call(&executor, || 6 * 7)
/// });
/// ```
pub fn bind_submit<H, E>(
    button: &gtk4::Button,
    slot: &Rc<TaskSlot<H>>,
    submit: impl Fn() -> Result<TaskFuture<H>, E> + 'static,
) where
    H: FutureHandler,
    E: Display,
{
    bind_sensitive(button, slot.busy_signal().map(|busy| !busy));
    let slot = Rc::clone(slot);
    button.connect_clicked(move |button| {
        if let Err(error) = slot.submit(&submit) {
            log::error!("cannot submit the task: {error}");
            button.set_tooltip_text(Some(&error.to_string()));
            button.set_sensitive(false);
        }
    });
}

/// Gives `future` to `widget`: the task is cancelled when the widget is destroyed (for a
/// window: when it closes), unless it is done by then. The widget holds the
/// [`OwnedFuture`]; the returned future is another handle to the same task, for binding.
///
/// ```no_run
/// use gtk4 as gtk;
/// use traits_futures::{submit_call, TraitsExecutor};
/// let executor = TraitsExecutor::new();
/// let window = gtk::Window::new();
/// let future = traits_futures::gtk::cancel_on_destroy(&window, submit_call(&executor, || 6 * 7)?);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn cancel_on_destroy<W, H>(widget: &W, future: TaskFuture<H>) -> TaskFuture<H>
where
    W: IsA<gtk4::Widget>,
    H: FutureHandler,
{
    let owned: std::cell::Cell<Option<OwnedFuture<H>>> =
        std::cell::Cell::new(Some(future.clone().cancel_on_drop()));
    widget.as_ref().connect_destroy(move |_| drop(owned.take()));
    future
}
