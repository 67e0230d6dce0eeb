//! Issue 23, §1 and §3: a progress future's latest report is an observable value
//! (`progress()`), every delivered report is an event (`reports()`), and a task can choose
//! latest-value delivery, coalesced on the worker (`ProgressDelivery`).
//!
//! Synchronisation with the worker uses channels: a task that must wait blocks on a receive the
//! test controls. The one wait on the clock is the rate limit's own interval.

use std::cell::{Cell, RefCell};
use std::num::NonZeroU32;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures::{executor::block_on, StreamExt};
use futures_signals::signal::SignalExt;
use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_progress, submit_progress_with, submit_try_progress_with, FutureState, ProgressDelivery,
    ProgressFuture, ProgressHandler, TaskCancelled, TaskError, TaskMessage, TraitsExecutor,
};

const ONCE_A_SECOND: ProgressDelivery = ProgressDelivery::LatestAtMost {
    per_second: NonZeroU32::MIN,
};

const EVERY_DELIVERY: [ProgressDelivery; 3] = [
    ProgressDelivery::Every,
    ProgressDelivery::Latest,
    ONCE_A_SECOND,
];

fn executor() -> TraitsExecutor {
    TraitsExecutor::builder().max_workers(2).build().unwrap()
}

fn run_to_done<P, T, E>(executor: &TraitsExecutor, future: &ProgressFuture<P, T, E>)
where
    P: Clone + PartialEq + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
}

/// A future's state when it became done, and its latest report then.
type AtDone<P> = Rc<RefCell<Option<(FutureState, Option<P>)>>>;

/// Records, when the future becomes done, its state and its latest report then.
fn progress_when_done<P, T, E>(
    future: &ProgressFuture<P, T, E>,
) -> (AtDone<P>, traits_core::ObserverGuard)
where
    P: Clone + PartialEq + Send + 'static,
    T: Send + 'static,
    E: Send + 'static,
{
    let seen = Rc::new(RefCell::new(None));
    let guard = future.state().observe({
        let (seen, future) = (Rc::clone(&seen), future.clone());
        move |_, state| {
            if future.done().get() {
                *seen.borrow_mut() = Some((*state, future.progress().get()));
            }
        }
    });
    (seen, guard)
}

/// Whether `delivered` is increasing and every value of it was reported (`1..=reported`).
fn increasing_subset_of_reports(delivered: &[u32], reported: u32) -> bool {
    delivered.windows(2).all(|pair| pair[0] < pair[1])
        && delivered.iter().all(|value| (1..=reported).contains(value))
}

/// The worker reports `per_frame` values a frame, only while the main thread waits for it;
/// the main thread dispatches once a frame. Returns what was delivered and the dispatch calls.
fn gated_frames(delivery: ProgressDelivery, frames: u32, per_frame: u32) -> (Vec<u32>, u32) {
    let executor = executor();
    let (go, gate) = mpsc::channel::<()>();
    let (reported_tx, reported) = mpsc::channel::<()>();
    let future = submit_progress_with(&executor, delivery, move |reporter| {
        for frame in 0..frames {
            gate.recv().unwrap();
            for i in 1..=per_frame {
                reporter.report(frame * per_frame + i)?;
            }
            reported_tx.send(()).unwrap();
        }
        Ok(())
    })
    .unwrap();
    let reports = Recorder::event(future.reports());
    let mut dispatches = 0;
    for _ in 0..frames {
        go.send(()).unwrap();
        reported.recv_timeout(TEST_TIMEOUT).unwrap();
        executor.dispatch_pending();
        dispatches += 1;
    }
    run_to_done(&executor, &future);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    (reports.values(), dispatches)
}

mod cancel;
mod every;
mod last_report;
mod latest;
mod rate_limit;
mod value;
