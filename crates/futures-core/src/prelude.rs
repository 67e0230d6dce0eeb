//! One `use` line for a typical program: `use traits_futures::prelude::*;`.
//!
//! It brings the executor, the submit functions, the future types and their states, the
//! composing tools (the latest-wins [`TaskSlot`], [`OwnedFuture`], [`Outcome`]), the frame
//! budget, and what binding a future to a UI needs from `traits-core` and futures-signals:
//! [`Observable`], [`Event`], [`SignalExt`], [`SignalVecExt`] and [`map_ref!`]. Nothing in it
//! needs another dependency in `Cargo.toml`.
//!
//! ```
//! use traits_futures::prelude::*;
//!
//! let executor = TraitsExecutor::new();
//! let future = submit_progress(&executor, |reporter| {
//!     for step in 1..=3 {
//!         reporter.report((step, 3))?;
//!     }
//!     Ok("done")
//! })?;
//! // A label's text, derived from two observables with futures-signals combinators.
//! let label = map_ref! {
//!     let state = future.state().signal(),
//!     let progress = future.progress().signal() => format!("{state}: {progress:?}")
//! };
//! let _label = label.dedupe_cloned();
//! executor.run_until(|| future.done().get(), None)?;
//! assert_eq!(future.state().get(), FutureState::Completed);
//! assert_eq!(future.progress().get(), Some((3, 3)));
//! executor.shutdown(None)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub use crate::{
    submit_call, submit_generator, submit_iteration, submit_progress, submit_progress_with,
    submit_steps, submit_try_call, submit_try_generator, submit_try_progress,
    submit_try_progress_with, submit_try_steps, CallFuture, CancelReason, DispatchBudget,
    ExecutorState, FutureState, IterationFuture, Outcome, OwnedFuture, ProgressDelivery,
    ProgressFuture, ProgressReporter, ProgressValue, Steps, StepsFuture, StepsReporter,
    SubmitError, TaskCancelled, TaskError, TaskFuture, TaskSlot, TraitsExecutor, Watch,
};
pub use futures_signals::map_ref;
pub use futures_signals::signal::{Mutable, Signal, SignalExt};
pub use futures_signals::signal_vec::{MutableVec, SignalVec, SignalVecExt};
pub use traits_core::{Event, Observable};
