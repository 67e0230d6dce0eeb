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

// ---------------------------------------------------------------------------------------------
// §1: progress is a value

#[test]
fn progress_signal_bound_after_the_task_finished_reporting_starts_from_the_last_report() {
    for delivery in EVERY_DELIVERY {
        let executor = executor();
        let future = submit_progress_with(&executor, delivery, |reporter| {
            for step in 1..=50u32 {
                reporter.report(step)?;
            }
            Ok("done")
        })
        .unwrap();
        run_to_done(&executor, &future);

        let mut signal = future.progress().signal().to_stream();
        assert_eq!(block_on(signal.next()), Some(Some(50)), "{delivery:?}");
        let percent = future.progress().signal().map(|p| p.map_or(0, |s| 2 * s));
        assert_eq!(
            block_on(percent.to_stream().next()),
            Some(100),
            "{delivery:?}"
        );
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn progress_signal_bound_while_the_task_runs_starts_from_the_report_already_delivered() {
    let executor = executor();
    let (go, gate) = mpsc::channel::<()>();
    let future = submit_progress(&executor, move |reporter| {
        reporter.report(1u32)?;
        reporter.report(2)?;
        gate.recv().unwrap();
        reporter.report(3)?;
        Ok(())
    })
    .unwrap();
    executor
        .run_until(|| future.progress().get() == Some(2), Some(TEST_TIMEOUT))
        .unwrap();

    let mut signal = future.progress().signal().to_stream();
    assert_eq!(block_on(signal.next()), Some(Some(2)));
    go.send(()).unwrap();
    run_to_done(&executor, &future);
    assert_eq!(block_on(signal.next()), Some(Some(3)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn progress_get_after_the_task_finished_reporting_is_the_last_report() {
    for delivery in EVERY_DELIVERY {
        let executor = executor();
        let future = submit_progress_with(&executor, delivery, |reporter| {
            for step in 0..1000u32 {
                reporter.report((step, 999))?;
            }
            Ok(())
        })
        .unwrap();
        run_to_done(&executor, &future);
        assert_eq!(future.progress().get(), Some((999, 999)), "{delivery:?}");
        assert_eq!(
            future.progress.get(),
            Some((999, 999)),
            "the handler's field"
        );
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn progress_observer_bound_late_is_handed_the_last_report_as_the_old_value() {
    let executor = executor();
    let (go, gate) = mpsc::channel::<()>();
    let future = submit_progress(&executor, move |reporter| {
        reporter.report(10u32)?;
        reporter.report(20)?;
        gate.recv().unwrap();
        reporter.report(30)?;
        Ok(())
    })
    .unwrap();
    executor
        .run_until(|| future.progress().get() == Some(20), Some(TEST_TIMEOUT))
        .unwrap();

    let changes = Rc::new(RefCell::new(Vec::new()));
    let _late = future.progress().observe({
        let changes = Rc::clone(&changes);
        move |old, new| changes.borrow_mut().push((*old, *new))
    });
    go.send(()).unwrap();
    run_to_done(&executor, &future);
    assert_eq!(*changes.borrow(), [(Some(20), Some(30))]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn progress_is_none_before_the_first_report_then_follows_each_report() {
    let future: ProgressFuture<u8, ()> =
        ProgressFuture::detached(ProgressHandler::default(), || {});
    assert_eq!(future.progress().get(), None);
    future.receive(TaskMessage::Started).unwrap();
    assert_eq!(future.progress().get(), None, "started, nothing reported");
    for report in [5, 7, 7, 9] {
        future.receive(TaskMessage::Custom(report)).unwrap();
        assert_eq!(future.progress().get(), Some(report));
    }
    future.receive(TaskMessage::Returned(())).unwrap();
    assert_eq!(
        future.progress().get(),
        Some(9),
        "kept after the future is done"
    );
}

#[test]
fn progress_is_none_until_a_submitted_task_reports() {
    let executor = executor();
    let (go, gate) = mpsc::channel::<()>();
    let (started_tx, started) = mpsc::channel::<()>();
    let future = submit_progress(&executor, move |reporter| {
        started_tx.send(()).unwrap();
        gate.recv().unwrap();
        reporter.report('a')?;
        Ok(())
    })
    .unwrap();
    assert_eq!(future.progress().get(), None, "submitted");
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    executor
        .run_until(
            || future.state().get() == FutureState::Executing,
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(future.progress().get(), None, "executing, nothing reported");
    go.send(()).unwrap();
    run_to_done(&executor, &future);
    assert_eq!(future.progress().get(), Some('a'));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn progress_observers_run_on_change_while_reports_fire_for_every_report() {
    let future: ProgressFuture<u8, ()> =
        ProgressFuture::detached(ProgressHandler::default(), || {});
    let values = Recorder::observable(future.progress());
    let reports = Recorder::event(future.reports());
    future.receive(TaskMessage::Started).unwrap();
    for report in [1, 1, 2, 2, 2, 3] {
        future.receive(TaskMessage::Custom(report)).unwrap();
    }
    assert_eq!(values.values(), [None, Some(1), Some(2), Some(3)]);
    assert_eq!(reports.values(), [1, 1, 2, 2, 2, 3]);
}

#[test]
fn reports_observers_read_progress_already_set_to_the_report_they_are_handed() {
    for delivery in EVERY_DELIVERY {
        let executor = executor();
        let future = submit_progress_with(&executor, delivery, |reporter| {
            for step in 1..=100u32 {
                reporter.report(step)?;
            }
            Ok(())
        })
        .unwrap();
        let mismatches = Rc::new(Cell::new(0));
        let handed = Rc::new(Cell::new(0));
        let _check = future.reports().observe({
            let (future, mismatches, handed) =
                (future.clone(), Rc::clone(&mismatches), Rc::clone(&handed));
            move |report| {
                handed.set(handed.get() + 1);
                if future.progress().get() != Some(*report) {
                    mismatches.set(mismatches.get() + 1);
                }
            }
        });
        run_to_done(&executor, &future);
        assert!(handed.get() >= 2, "{delivery:?}: first and last at least");
        assert_eq!(mismatches.get(), 0, "{delivery:?}");
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Every: lossless

#[test]
fn every_delivers_all_reports_in_order() {
    for n in [1u32, 2, 10_000] {
        let executor = executor();
        let future = submit_progress_with(&executor, ProgressDelivery::Every, move |reporter| {
            for step in 1..=n {
                reporter.report(step)?;
            }
            Ok(n)
        })
        .unwrap();
        let reports = Recorder::event(future.reports());
        run_to_done(&executor, &future);
        assert_eq!(reports.values(), (1..=n).collect::<Vec<_>>(), "n = {n}");
        assert_eq!(future.progress().get(), Some(n));
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn every_is_the_default_and_submit_progress_delivers_every_report() {
    assert_eq!(ProgressDelivery::default(), ProgressDelivery::Every);
    let executor = executor();
    let (go, gate) = mpsc::channel::<()>();
    // The main thread dispatches nothing until all are sent: nothing is coalesced.
    let future = submit_progress(&executor, move |reporter| {
        gate.recv().unwrap();
        for step in 1..=5000u32 {
            reporter.report(step)?;
        }
        Ok(())
    })
    .unwrap();
    let reports = Recorder::event(future.reports());
    go.send(()).unwrap();
    run_to_done(&executor, &future);
    assert_eq!(reports.len(), 5000);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// Latest

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

#[test]
fn latest_delivers_the_first_report_then_the_newest_at_each_dispatch() {
    for (frames, per_frame) in [(1, 2), (5, 1000), (30, 10)] {
        let (delivered, dispatches) = gated_frames(ProgressDelivery::Latest, frames, per_frame);
        // The first report as it is, then at each dispatch the newest report of its frame.
        let expected: Vec<u32> = std::iter::once(1)
            .chain((1..=frames).map(|frame| frame * per_frame))
            .collect();
        assert_eq!(delivered, expected, "{frames} frames of {per_frame}");
        assert_eq!(delivered.len() as u32, dispatches + 1);
    }
}

#[test]
fn latest_with_a_single_report_delivers_it() {
    let (delivered, _) = gated_frames(ProgressDelivery::Latest, 1, 1);
    assert_eq!(delivered, [1]);
}

#[test]
fn latest_under_a_flood_delivers_first_and_last_an_increasing_subset_then_the_result() {
    const REPORTS: u32 = 200_000;
    let executor = executor();
    let future = submit_progress_with(&executor, ProgressDelivery::Latest, |reporter| {
        for step in 1..=REPORTS {
            reporter.report(step)?;
        }
        Ok("flooded")
    })
    .unwrap();
    let reports = Recorder::event(future.reports());
    let (at_done, _watch) = progress_when_done(&future);
    // The main thread dispatches once a "frame" (a millisecond here) while the worker floods.
    let started = Instant::now();
    while !future.done().get() && started.elapsed() < TEST_TIMEOUT {
        executor.dispatch_pending();
        std::thread::sleep(Duration::from_millis(1));
    }
    let delivered = reports.values();
    assert_eq!(delivered.first(), Some(&1));
    assert_eq!(delivered.last(), Some(&REPORTS));
    assert!(increasing_subset_of_reports(&delivered, REPORTS));
    assert_eq!(
        *at_done.borrow(),
        Some((FutureState::Completed, Some(REPORTS))),
        "the last report precedes the result"
    );
    assert_eq!(future.result(), Ok(&"flooded"));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn latest_delivers_every_report_when_the_main_thread_keeps_up() {
    // Each report waits for the main thread to deliver the one before: nothing to coalesce.
    let executor = executor();
    let (delivered_tx, delivered_rx) = mpsc::channel::<()>();
    let future = submit_progress_with(&executor, ProgressDelivery::Latest, move |reporter| {
        for step in 1..=20u32 {
            reporter.report(step)?;
            delivered_rx.recv().unwrap();
        }
        Ok(())
    })
    .unwrap();
    let _ack = future
        .reports()
        .observe(move |_| delivered_tx.send(()).unwrap());
    let reports = Recorder::event(future.reports());
    run_to_done(&executor, &future);
    assert_eq!(reports.values(), (1..=20).collect::<Vec<_>>());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// LatestAtMost

#[test]
fn latest_at_most_once_a_second_delivers_only_the_first_and_last_of_a_quick_burst() {
    for reports_made in [2u32, 3, 1000] {
        let executor = executor();
        let future = submit_progress_with(&executor, ONCE_A_SECOND, move |reporter| {
            for step in 1..=reports_made {
                reporter.report(step)?;
            }
            Ok(reports_made)
        })
        .unwrap();
        let reports = Recorder::event(future.reports());
        let (at_done, _watch) = progress_when_done(&future);
        run_to_done(&executor, &future);
        assert_eq!(reports.values(), [1, reports_made]);
        assert_eq!(
            *at_done.borrow(),
            Some((FutureState::Completed, Some(reports_made))),
            "the last report precedes the result"
        );
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn latest_at_most_sends_the_newest_report_once_the_interval_has_passed() {
    let executor = executor();
    let (go, gate) = mpsc::channel::<()>();
    let (paused_tx, paused) = mpsc::channel::<()>();
    let future = submit_progress_with(&executor, ONCE_A_SECOND, move |reporter| {
        let first = Instant::now();
        reporter.report(1u32)?;
        reporter.report(2)?; // held back: within the second
        reporter.report(3)?; // replaces 2
        paused_tx.send(()).unwrap();
        gate.recv().unwrap();
        // The rate limit's interval is the behaviour under test: wait it out.
        std::thread::sleep(Duration::from_secs(1).saturating_sub(first.elapsed()));
        reporter.report(4)?; // due: sent, and 3 is dropped
        paused_tx.send(()).unwrap();
        gate.recv().unwrap();
        reporter.report(5)?; // held back, then sent as the task ends
        Ok(())
    })
    .unwrap();
    let reports = Recorder::event(future.reports());

    paused.recv_timeout(TEST_TIMEOUT).unwrap();
    executor.exercise_event_loop(TEST_TIMEOUT).unwrap();
    assert_eq!(reports.values(), [1], "2 and 3 are held back");
    go.send(()).unwrap();
    paused.recv_timeout(TEST_TIMEOUT).unwrap();
    executor
        .run_until(|| reports.len() == 2, Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(reports.values(), [1, 4]);
    go.send(()).unwrap();
    run_to_done(&executor, &future);
    assert_eq!(reports.values(), [1, 4, 5]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn latest_at_most_a_high_rate_under_a_flood_still_delivers_first_and_last_in_order() {
    let per_second = NonZeroU32::new(1000).unwrap();
    let delivery = ProgressDelivery::LatestAtMost { per_second };
    let (delivered, _) = gated_frames(delivery, 10, 500);
    assert_eq!(delivered.first(), Some(&1));
    assert_eq!(delivered.last(), Some(&5000));
    assert!(increasing_subset_of_reports(&delivered, 5000));
}

// ---------------------------------------------------------------------------------------------
// The last report precedes the final message, whatever ends the task

#[derive(Debug, PartialEq)]
enum ScanError {
    Cancelled,
    Unreadable,
}

impl From<TaskCancelled> for ScanError {
    fn from(_: TaskCancelled) -> Self {
        ScanError::Cancelled
    }
}

#[test]
fn a_failing_task_delivers_its_held_back_last_report_before_failed() {
    for delivery in EVERY_DELIVERY {
        let executor = executor();
        let future = submit_try_progress_with(&executor, delivery, |reporter| {
            for step in 1..=1000u32 {
                reporter.report(step)?;
            }
            Err::<(), _>(ScanError::Unreadable)
        })
        .unwrap();
        let (at_done, _watch) = progress_when_done(&future);
        run_to_done(&executor, &future);
        assert_eq!(
            *at_done.borrow(),
            Some((FutureState::Failed, Some(1000))),
            "{delivery:?}"
        );
        assert_eq!(future.error(), Ok(&TaskError::Error(ScanError::Unreadable)));
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn a_panicking_task_delivers_its_held_back_last_report_before_failed() {
    for delivery in EVERY_DELIVERY {
        let executor = executor();
        let future = submit_progress_with(&executor, delivery, |reporter| {
            for step in 1..=1000u32 {
                reporter.report(step)?;
            }
            panic!("the disk is gone");
            #[allow(unreachable_code)]
            Ok(())
        })
        .unwrap();
        let reports = Recorder::event(future.reports());
        let (at_done, _watch) = progress_when_done(&future);
        run_to_done(&executor, &future);
        assert_eq!(
            *at_done.borrow(),
            Some((FutureState::Failed, Some(1000))),
            "{delivery:?}"
        );
        assert_eq!(reports.values().first(), Some(&1));
        assert!(matches!(future.error(), Ok(TaskError::Panicked(_))));
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// Cancel, in every mode

#[test]
fn report_returns_err_once_cancelled_in_every_delivery() {
    for delivery in EVERY_DELIVERY {
        let executor = executor();
        let (go, gate) = mpsc::channel::<()>();
        let (result_tx, results) = mpsc::channel();
        let future = submit_progress_with(&executor, delivery, move |reporter| {
            result_tx.send(reporter.report(1u32)).unwrap();
            result_tx.send(reporter.report(2)).unwrap();
            gate.recv().unwrap();
            result_tx.send(reporter.report(3)).unwrap();
            result_tx.send(reporter.report(4)).unwrap();
            Ok(())
        })
        .unwrap();
        assert_eq!(results.recv_timeout(TEST_TIMEOUT).unwrap(), Ok(()));
        assert_eq!(results.recv_timeout(TEST_TIMEOUT).unwrap(), Ok(()));
        assert!(future.cancel());
        go.send(()).unwrap();
        assert_eq!(
            results.recv_timeout(TEST_TIMEOUT).unwrap(),
            Err(TaskCancelled)
        );
        assert_eq!(
            results.recv_timeout(TEST_TIMEOUT).unwrap(),
            Err(TaskCancelled)
        );
        run_to_done(&executor, &future);
        assert_eq!(future.state().get(), FutureState::Cancelled, "{delivery:?}");
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn nothing_is_delivered_after_cancel_in_every_delivery() {
    for delivery in EVERY_DELIVERY {
        let executor = executor();
        let (go, gate) = mpsc::channel::<()>();
        let (reported_tx, reported) = mpsc::channel::<()>();
        let future = submit_progress_with(&executor, delivery, move |reporter| {
            for step in 1..=100u32 {
                reporter.report(step)?;
            }
            reported_tx.send(()).unwrap();
            gate.recv().unwrap();
            for step in 101..=200u32 {
                reporter.report(step)?;
            }
            Ok(())
        })
        .unwrap();
        let reports = Recorder::event(future.reports());
        let values = Recorder::observable(future.progress());
        reported.recv_timeout(TEST_TIMEOUT).unwrap();
        // Cancelled before anything was dispatched: the queued reports are dropped unseen,
        // held-back or waiting ones too.
        assert!(future.cancel());
        go.send(()).unwrap();
        run_to_done(&executor, &future);
        assert_eq!(reports.values(), Vec::<u32>::new(), "{delivery:?}");
        assert_eq!(values.values(), [None], "{delivery:?}");
        assert_eq!(future.state().get(), FutureState::Cancelled);
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn a_cancel_from_a_reports_observer_ends_delivery_in_every_delivery() {
    for delivery in EVERY_DELIVERY {
        let executor = executor();
        let (reported_tx, reported) = mpsc::channel::<()>();
        let future = submit_progress_with(&executor, delivery, move |reporter| {
            for step in 1..=1000u32 {
                reporter.report(step)?;
            }
            reported_tx.send(()).unwrap();
            Ok(())
        })
        .unwrap();
        // Everything is queued before the first dispatch; the first report cancels.
        reported.recv_timeout(TEST_TIMEOUT).unwrap();
        let reports = Recorder::event(future.reports());
        let _cancel = future.reports().observe({
            let future = future.clone();
            move |_| {
                future.cancel();
            }
        });
        run_to_done(&executor, &future);
        assert_eq!(reports.values(), [1], "{delivery:?}");
        assert_eq!(future.progress().get(), Some(1), "{delivery:?}");
        assert_eq!(future.state().get(), FutureState::Cancelled);
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}
