//! The terminal binding (feature `indicatif`): an [`indicatif`] progress bar bound to a progress
//! future, in one call.
//!
//! [`bind_progress_bar`] moves the bar with the future's latest report and ends it with the
//! future's final state; [`progress_bar`] makes a bar with a plain style and binds it. The
//! headless event loop ([`TraitsExecutor::run_until`](crate::TraitsExecutor::run_until))
//! delivers the reports, so the bar moves while the main thread waits for the task:
//!
//! ```
//! use traits_futures::{submit_progress, TraitsExecutor};
//!
//! let executor = TraitsExecutor::new();
//! let copy = submit_progress(&executor, |reporter| {
//!     for file in 1..=20u64 { reporter.report((file, 20))?; }
//!     Ok(20)
//! })?;
//! let bar = traits_futures::terminal::progress_bar(&copy);
//! executor.run_until(|| copy.done().get(), None)?;
//! assert_eq!((bar.position(), bar.length(), bar.message()), (20, Some(20), "Completed".into()));
//! assert!(bar.is_finished());
//! # executor.shutdown(None)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::cell::Cell;
use std::fmt::Display;
use std::rc::Rc;

use indicatif::{ProgressBar, ProgressStyle};

use crate::bindings::progress_value::ProgressValue;
use crate::compose::outcome::Outcome;
use crate::tasks::progress::ProgressFuture;

/// The style of [`progress_bar`]'s bars: the bar, the count, and the message (the final state).
const STYLE: &str = "{wide_bar} {pos}/{len} {msg}";

/// Binds `bar` to `future`: each delivered report sets the bar's position (and its length, if
/// the report has one, see [`ProgressValue`]), starting with the current one; when the future
/// ends, the bar ends with its state as the message: finished (full) with `Completed`, or
/// abandoned where it stood with `Failed: ` and the error, or with `Cancelled`.
///
/// The binding reads the latest report ([`progress`](crate::TaskFuture::progress)), so with
/// [`ProgressDelivery::Latest`](crate::ProgressDelivery::Latest) a task may report as often as
/// it likes. It needs no guard: it holds a clone of the bar (a handle) until the future ends,
/// or is dropped, and is bound to nothing after. The bar's message shows only if its style has
/// `{msg}` (the style of [`progress_bar`] has).
///
/// ```
/// use indicatif::{ProgressBar, ProgressDrawTarget};
/// use traits_futures::{submit_progress, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let bar = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::hidden());
/// let job = submit_progress(&executor, |reporter| {
///     for done in 0..=10u64 { reporter.report(done * 10)?; } // a count: the bar keeps its length
///     Ok(())
/// })?;
/// traits_futures::terminal::bind_progress_bar(&job, &bar);
/// executor.run_until(|| job.done().get(), None)?;
/// assert_eq!((bar.position(), bar.length()), (100, Some(100)));
/// assert_eq!(bar.message(), "Completed");
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn bind_progress_bar<P, T, E>(future: &ProgressFuture<P, T, E>, bar: &ProgressBar)
where
    P: ProgressValue + Clone + PartialEq + Send + 'static,
    T: Send + 'static,
    E: Display + Send + 'static,
{
    future.progress().with(|report| {
        if let Some(report) = report {
            show_report(bar, report);
        }
    });
    // Released when the future ends, so that nothing is bound to a finished bar.
    let moving = Rc::new(Cell::new(None));
    if !future.done().get() {
        moving.set(Some(future.progress().observe({
            let bar = bar.clone();
            move |_, report| {
                if let Some(report) = report {
                    show_report(&bar, report);
                }
            }
        })));
    }
    let bar = bar.clone();
    future.on_done(move |outcome| {
        drop(moving.take());
        match outcome {
            Outcome::Completed(_) => bar.finish_with_message("Completed"),
            Outcome::Failed(error) => bar.abandon_with_message(format!("Failed: {error}")),
            Outcome::Cancelled => bar.abandon_with_message("Cancelled"),
        }
    });
}

/// A new bar for `future`, bound to it ([`bind_progress_bar`]): a plain style, the bar, the
/// count and the final state (`{wide_bar} {pos}/{len} {msg}`), drawn on standard error when it
/// is a terminal (hidden otherwise, as indicatif's bars are). Its length is the reports' (see
/// [`ProgressValue`]); set it with [`ProgressBar::set_length`] if they have none.
///
/// ```
/// use traits_futures::{submit_progress, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let job = submit_progress(&executor, |reporter| { reporter.report((1u32, 2u32))?; Ok(()) })?;
/// let bar = traits_futures::terminal::progress_bar(&job);
/// job.cancel();
/// executor.run_until(|| job.done().get(), None)?;
/// assert_eq!(bar.message(), "Cancelled");
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn progress_bar<P, T, E>(future: &ProgressFuture<P, T, E>) -> ProgressBar
where
    P: ProgressValue + Clone + PartialEq + Send + 'static,
    T: Send + 'static,
    E: Display + Send + 'static,
{
    // The template is a constant that parses; the fallback is indicatif's default style.
    let style =
        ProgressStyle::with_template(STYLE).unwrap_or_else(|_| ProgressStyle::default_bar());
    let bar = ProgressBar::no_length().with_style(style);
    bind_progress_bar(future, &bar);
    bar
}

/// Moves `bar` to `report`.
fn show_report(bar: &ProgressBar, report: &impl ProgressValue) {
    if let Some(length) = report.length() {
        if bar.length() != Some(length) {
            bar.set_length(length);
        }
    }
    bar.set_position(report.position());
}
