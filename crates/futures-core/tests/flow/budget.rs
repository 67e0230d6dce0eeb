//! Issue 23 §2, a frame budget for dispatch: `dispatch_within` stops when its budget (messages,
//! time) is spent and re-arms the wake for the rest; the non-blocking calls dispatch a snapshot
//! (what was announced when they began), so a task that keeps sending cannot keep one call
//! running; the async `Dispatcher` yields on a time budget too. Order, cancel-first and "no
//! message lost" hold across the splits.
//!
//! The floods here send everything, then wait at a gate: what is pending is then fixed, and the
//! tests count exactly. Slow observers busy-work a millisecond per message, so that a time
//! budget is spent after a bounded number of messages (the bounds follow from the meter's clock
//! reads, see `DispatchBudget`), asserted as counts, not durations.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::traits_core::ObserverGuard;
use traits_futures::{
    submit_progress, DispatchBudget, Dispatched, FutureState, ProgressFuture, TraitsExecutor,
};

/// Spins for `work` (an observer that does real work on the main thread).
fn busy(work: Duration) {
    let start = Instant::now();
    while start.elapsed() < work {
        std::hint::spin_loop();
    }
}

/// A task that reports `0..count`, says so, then waits at a gate before it returns `count`.
struct Flood {
    future: ProgressFuture<u32, u32>,
    reports: Rc<RefCell<Vec<u32>>>,
    release: mpsc::Sender<()>,
    _observer: ObserverGuard,
}

impl Flood {
    /// Submits the task; each report's observer records it after `work` of busy work.
    /// Returns once every report is queued.
    fn start(executor: &TraitsExecutor, count: u32, work: Duration) -> Flood {
        let (sent, all_sent) = mpsc::channel();
        let (release, gate) = mpsc::channel::<()>();
        let future = submit_progress(executor, move |reporter| {
            for i in 0..count {
                reporter.report(i)?;
            }
            sent.send(()).unwrap();
            let _ = gate.recv_timeout(TEST_TIMEOUT);
            Ok(count)
        })
        .unwrap();
        let reports = Rc::new(RefCell::new(Vec::new()));
        let observer = future.reports().observe({
            let reports = reports.clone();
            move |report| {
                busy(work);
                reports.borrow_mut().push(*report);
            }
        });
        all_sent
            .recv_timeout(TEST_TIMEOUT)
            .expect("the task sent its reports");
        Flood {
            future,
            reports,
            release,
            _observer: observer,
        }
    }

    fn received(&self) -> usize {
        self.reports.borrow().len()
    }

    fn assert_all_in_order(&self, count: u32) {
        assert_eq!(*self.reports.borrow(), (0..count).collect::<Vec<_>>());
    }

    /// Lets the task return, and waits for its future to be done.
    fn finish(&self, executor: &TraitsExecutor) {
        let _ = self.release.send(());
        executor
            .run_until(|| self.future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
    }
}

/// Calls `dispatch_within(budget)` until nothing is left; returns every call's result.
fn dispatch_all(executor: &TraitsExecutor, budget: DispatchBudget) -> Vec<Dispatched> {
    let mut calls = Vec::new();
    loop {
        let dispatched = executor.dispatch_within(budget);
        calls.push(dispatched);
        if !dispatched.more_pending {
            return calls;
        }
        assert!(calls.len() < 1_000_000, "dispatch_within makes no progress");
    }
}

/// An executor with a worker for every task a test keeps waiting at its gate.
fn executor() -> TraitsExecutor {
    TraitsExecutor::builder().max_workers(32).build().unwrap()
}

fn delivered(calls: &[Dispatched]) -> usize {
    calls.iter().map(|d| d.delivered).sum()
}

mod cancel_first;
mod dispatcher;
mod messages;
mod rearm;
mod snapshot;
mod time;
