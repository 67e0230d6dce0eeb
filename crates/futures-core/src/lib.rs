//! Run work on background threads and watch it from a GUI thread through observable futures.
//!
//! # Getting started
//! One dependency covers the common cases (it re-exports what you need from `traits-core` and
//! futures-signals):
//!
//! ```toml
//! [dependencies]
//! traits-futures = "0.1"
//! # With a toolkit binding: features = ["gtk"], ["egui"] or ["indicatif"] (a terminal bar).
//! ```
//!
//! A complete first program: a task that reports progress, watched from the main thread.
//!
//! ```
//! use traits_futures::prelude::*;
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let executor = TraitsExecutor::new();
//!     let future = submit_progress(&executor, |reporter| {
//!         for step in 1..=10 {
//!             reporter.report((step, 10))?; // `?` ends the task early once it is cancelled
//!         }
//!         Ok("done")
//!     })?;
//!     // Observers run on this thread, as the event loop dispatches the worker's messages.
//!     let _bar = future.progress().observe(|_, now| println!("progress: {now:?}"));
//!     let _label = future.state().observe(|old, new| println!("{old} -> {new}"));
//!
//!     executor.run_until(|| future.done().get(), None)?; // a GUI dispatches from its own loop
//!     assert_eq!(future.result(), Ok(&"done"));
//!     executor.shutdown(None)?;
//!     Ok(())
//! }
//! ```
//!
//! `use traits_futures::prelude::*` brings the executor, the submit functions, the futures and
//! their states, the latest-wins [`TaskSlot`], and futures-signals' [`SignalExt`] and
//! [`map_ref!`] for binding. A GUI spawns the executor's [`Dispatcher`] on its main loop (or
//! dispatches within a frame's [`DispatchBudget`] when woken); the [guide] starts with an
//! [overview](guide::overview) and walks through every feature with tested examples.
//!
//! [`SignalExt`]: futures_signals::signal::SignalExt
//! [`map_ref!`]: futures_signals::map_ref
//!
//! # What it is
//! A GUI must never block, and must only be touched on its own thread. This crate lets that
//! thread hand work to background workers and get back a *future*: a main-thread object whose
//! [state](TaskFuture::state), progress and partial results change only on the main thread, as
//! the event loop dispatches the workers' messages. UI code binds to those observables with
//! futures-signals combinators, or observes them synchronously, and never needs a lock.
//!
//! ```
//! use traits_futures::prelude::*;
//!
//! let executor = TraitsExecutor::new();
//!
//! // A call: one value back.
//! let call = submit_call(&executor, || (1..=10u64).product::<u64>())?;
//!
//! // An iteration: items arrive one by one, in order.
//! let squares = submit_iteration(&executor, || (1..=5).map(|n| n * n))?;
//! let _printer = squares.items().observe(|n| println!("square: {n}"));
//!
//! executor.run_until(|| call.done().get() && squares.done().get(), None)?;
//! assert_eq!(call.result(), Ok(&3_628_800));
//! assert_eq!(squares.state().get(), FutureState::Completed);
//! executor.shutdown(None)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The pieces
//! * [`TraitsExecutor`]: owns (or shares) a [`WorkerPool`], submits tasks, routes messages, and
//!   runs a `Running → Stopping → Stopped` lifecycle.
//! * Futures: [`CallFuture`], [`IterationFuture`], [`ProgressFuture`], [`StepsFuture`] (a
//!   message, a total and a count, each observable), all [`TaskFuture`]s running one shared
//!   state machine ([`FutureState`]).
//! * Progress: [`progress`](TaskFuture::progress) is the latest report as an observable value,
//!   [`reports`](TaskFuture::reports) every report; [`ProgressDelivery::Latest`] coalesces a
//!   flood on the worker ([`submit_progress_with`]).
//! * Custom task types: a [`FutureHandler`] (main thread) and a [`BackgroundTask`] (worker),
//!   joined by a [`TaskSpec`], with typed messages; a task can bound its queue
//!   ([`BackgroundTask::capacity`]), be suspended ([`TaskFuture::suspend`]), and receive input
//!   ([`task_input`]).
//! * Composing futures on the main thread: [`outcome`](TaskFuture::outcome) (await),
//!   [`then`](TaskFuture::then) and the `on_*` continuations,
//!   [`cancel_on_drop`](TaskFuture::cancel_on_drop), the latest-wins [`TaskSlot`],
//!   [`when_all`] and [`when_any`], deadlines ([`TaskFuture::with_timeout`]), and a `Send`
//!   [`Submitter`] for other threads (guide chapter 10).
//! * The event loop: [`TraitsExecutor::run_until`] and [`TraitsExecutor::dispatch_pending`];
//!   [`Dispatcher`] and [`TraitsExecutor::set_wake_callback`] for GUIs, with
//!   [`TraitsExecutor::dispatch_within`] to dispatch within a frame's [`DispatchBudget`]; a
//!   [`LoopWaker`] wakes any of them from another thread (a Ctrl-C handler).
//! * Worker pools: the built-in [`ThreadPool`], or any [`WorkerPool`]; with the features
//!   `rayon` and `tokio`, `RayonPool` (a rayon thread pool) and `TokioBlockingPool` (a tokio
//!   runtime's blocking threads).
//! * Toolkit bindings, each behind its feature: `egui` (repaint on a worker's wake, dispatch
//!   within a frame budget, a progress widget with a Cancel button) and `indicatif` (a terminal
//!   progress bar bound to a progress future); both show a [`ProgressValue`].
//! * [`testing`]: helpers for tests.
//!
//! # Threads
//! The executor and its futures are `!Send`: the compiler keeps them on the thread that created
//! the executor. Background tasks are `Send`. Observers run on the main thread, during dispatch;
//! if one panics, the message has already been applied, the router's bookkeeping is completed,
//! and the panic resumes out of the dispatching call (`run_until`, `dispatch_pending`,
//! `shutdown`); the executor and every other future keep working.
//! What that dispatch left undispatched gets a new wake (a notify or async loop comes back for
//! it). A wake callback that panics on a worker is caught and logged, never unwinds into the
//! worker (see [`TraitsExecutor::set_wake_callback`]).
#![warn(missing_docs)]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The layers, top to bottom; a module imports only from its own layer and those below it
// (ARCHITECTURE.md, "Layers"; `tests/layers.rs` checks it).
mod bindings;
mod compose;
mod executor;
mod future;
mod pool;
mod routing;
mod tasks;
// The base: the vocabulary every layer shares.
mod block_deque;
mod error;
mod state;
mod sync;

pub mod prelude;
pub mod testing;

#[cfg(loom)]
#[doc(hidden)]
pub mod loom_api;

#[cfg(feature = "egui")]
#[cfg_attr(docsrs, doc(cfg(feature = "egui")))]
pub use bindings::egui;
pub use bindings::progress_value::ProgressValue;
#[cfg(feature = "indicatif")]
#[cfg_attr(docsrs, doc(cfg(feature = "indicatif")))]
pub use bindings::terminal;
pub use bindings::watch::{HasFraction, LocalSignal, Watch};
pub use compose::chain::{ChainError, ChainFuture, ChainHandler};
pub use compose::group::{when_all, when_any, GroupFuture, GroupHandler, Losers, Member};
pub use compose::outcome::{Outcome, OutcomeFuture};
pub use compose::owned::OwnedFuture;
pub use compose::slot::{SlotCurrent, TaskSlot};
pub use compose::submitter::Submitter;
pub use error::RemoteSubmitError;
pub use error::{
    BuildError, GroupError, InputClosed, NotAvailable, ProtocolViolation, RunTimeout,
    ShutdownError, StopError, SubmitError, TaskCancelled, TaskError,
};
pub use executor::budget::{DispatchBudget, Dispatched};
pub use executor::builder::ExecutorBuilder;
pub use executor::event_loop::{Dispatcher, LoopWaker};
pub use executor::live_futures::LiveFuture;
pub use executor::traits_executor::TraitsExecutor;
pub use future::property::FutureProperty;
pub use future::spec::TaskSpec;
pub use future::task_future::{FutureHandler, TaskFuture};
#[cfg(feature = "rayon")]
#[cfg_attr(docsrs, doc(cfg(feature = "rayon")))]
pub use pool::rayon_pool::RayonPool;
pub use pool::thread_pool::ThreadPool;
#[cfg(feature = "tokio")]
#[cfg_attr(docsrs, doc(cfg(feature = "tokio")))]
pub use pool::tokio_pool::TokioBlockingPool;
pub use pool::worker_pool::{Job, PoolClosed, WorkerPool};
pub use routing::background_task::{BackgroundTask, TaskContext};
pub use routing::message::TaskMessage;
pub use routing::task_input::{task_input, InputReceiver, InputSender};
pub use state::{CancelReason, ExecutorState, FutureState, Input};
pub use tasks::call::{submit_call, submit_try_call, CallFuture, CallHandler};
pub use tasks::iteration::{
    submit_generator, submit_generator_bounded, submit_iteration, submit_iteration_bounded,
    submit_try_generator, IterationFuture, IterationHandler,
};
pub use tasks::progress::{
    submit_progress, submit_progress_with, submit_try_progress, submit_try_progress_with,
    ProgressDelivery, ProgressFuture, ProgressHandler, ProgressReporter,
};
pub use tasks::steps::reporter::StepsReporter;
pub use tasks::steps::{submit_steps, submit_try_steps, Steps, StepsFuture, StepsHandler};

#[cfg(feature = "gtk")]
#[cfg_attr(docsrs, doc(cfg(feature = "gtk")))]
pub use bindings::gtk;
pub use futures_signals;
pub use traits_core;
pub use traits_core::{Event, Observable};

pub mod guide {
    //! The user guide. Every example in it is compiled and run as a doc test.
    //!
    //! 1. [Overview](overview): why a GUI needs background tasks, and what a future is here.
    //! 2. [Introduction](introduction): the executor, calls, iterations, progress, states,
    //!    results and errors, cancelling, shutting down, shared worker pools.
    //! 3. [Interruptible tasks](interruptible_tasks): from a blocking call to a task the user can
    //!    watch and interrupt.
    //! 4. [Observable values](observable_values): observers, signals, streams, events and derived
    //!    properties (the `traits-core` layer).
    //! 5. [Custom task types](custom_task_types): typed messages, `FutureHandler`,
    //!    `BackgroundTask`, `TaskSpec`; the Fizz Buzz walk-through.
    //! 6. [Event loops](event_loops): headless, async and notify integrations; a frame budget
    //!    for dispatch; binding widgets with signals.
    //! 7. [Testing](testing_futures): testing code that uses futures.
    //! 8. [Threading](threading): what the compiler guarantees, and what it cannot.
    //! 9. [Troubleshooting](troubleshooting): one entry per symptom (futures stuck `Waiting`, a
    //!    window that stutters during a flood, an observer that never fires, a task that
    //!    outlives its future, a hang at exit, ...).
    //! 10. [Composing tasks](composing_tasks): awaiting futures, continuations, owning handles,
    //!     the latest-wins slot, groups, deadlines, submitting from other threads.

    pub mod overview {
        #![doc = include_str!("../../../docs/01-overview.md")]
    }
    pub mod introduction {
        #![doc = include_str!("../../../docs/02-introduction.md")]
    }
    pub mod interruptible_tasks {
        #![doc = include_str!("../../../docs/03-interruptible-tasks.md")]
    }
    pub mod observable_values {
        #![doc = include_str!("../../../docs/04-observable-values.md")]
        #![doc = include_str!("../../../docs/04-observable-values-futures.md")]
    }
    pub mod custom_task_types {
        #![doc = include_str!("../../../docs/05-custom-task-types.md")]
    }
    pub mod event_loops {
        #![doc = include_str!("../../../docs/06-event-loops.md")]
    }
    pub mod testing_futures {
        #![doc = include_str!("../../../docs/07-testing.md")]
    }
    pub mod threading {
        #![doc = include_str!("../../../docs/08-threading.md")]
    }
    pub mod troubleshooting {
        #![doc = include_str!("../../../docs/09-troubleshooting.md")]
    }
    pub mod composing_tasks {
        #![doc = include_str!("../../../docs/10-composing-tasks.md")]
    }
}

/// The README's example, compiled and run as a doc test.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
