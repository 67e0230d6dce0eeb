//! The snapshot: what arrives during a call waits for the next one.

use super::*;

/// A task that reports 0, waits until released, reports `1..=more`, says so, and ends when
/// released again (or cancelled).
struct TwoBursts {
    future: ProgressFuture<u32, ()>,
    reports: Rc<RefCell<Vec<u32>>>,
    /// Holds the gate's sender: dropping it lets the task end at once.
    observer: ObserverGuard,
}

/// Starts a [`TwoBursts`] whose first report's observer releases the second burst and waits
/// until it is sent: the second burst is announced while the first is being dispatched.
fn two_bursts(executor: &TraitsExecutor, more: u32) -> TwoBursts {
    let (first_sent, first) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let (second_sent, second) = mpsc::channel();
    let future = submit_progress(executor, move |reporter| {
        reporter.report(0)?;
        first_sent.send(()).unwrap();
        gate.recv_timeout(TEST_TIMEOUT).unwrap();
        for i in 1..=more {
            reporter.report(i)?;
        }
        let _ = second_sent.send(());
        let _ = gate.recv_timeout(TEST_TIMEOUT);
        Ok(())
    })
    .unwrap();
    let reports = Rc::new(RefCell::new(Vec::new()));
    let observer = future.reports().observe({
        let reports = reports.clone();
        move |report| {
            reports.borrow_mut().push(*report);
            if *report == 0 {
                release.send(()).unwrap();
                second
                    .recv_timeout(TEST_TIMEOUT)
                    .expect("the task sent its second burst");
            }
        }
    });
    first.recv_timeout(TEST_TIMEOUT).unwrap();
    TwoBursts {
        future,
        reports,
        observer,
    }
}

#[test]
fn dispatch_pending_leaves_what_a_task_sends_during_the_call_for_the_next_call() {
    let executor = executor();
    let task = two_bursts(&executor, 5);

    assert_eq!(
        executor.dispatch_pending(),
        2,
        "`Started` and report 0 only"
    );
    assert_eq!(*task.reports.borrow(), [0]);
    assert_eq!(executor.dispatch_pending(), 5, "the second burst");
    assert_eq!(*task.reports.borrow(), [0, 1, 2, 3, 4, 5]);

    assert!(task.future.cancel());
    drop(task.observer);
    executor
        .run_until(|| task.future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn dispatch_within_leaves_what_a_task_sends_during_the_call_for_the_next_call() {
    let executor = executor();
    let task = two_bursts(&executor, 5);

    let first = executor.dispatch_within(DispatchBudget::FRAME);
    assert_eq!((first.delivered, first.more_pending), (2, true));
    assert_eq!(*task.reports.borrow(), [0]);
    let second = executor.dispatch_within(DispatchBudget::FRAME);
    assert_eq!((second.delivered, second.more_pending), (5, false));
    assert_eq!(*task.reports.borrow(), [0, 1, 2, 3, 4, 5]);

    assert!(task.future.cancel());
    drop(task.observer);
    executor
        .run_until(|| task.future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// A task that sends a report for every report of its own the main thread delivers, up to
/// `limit`: an endless flood as far as one dispatch call can tell.
struct PingPong {
    future: ProgressFuture<u32, ()>,
    reports: Rc<RefCell<Vec<u32>>>,
    /// Holds the task's go-ahead: dropping it lets the task end at once.
    observer: ObserverGuard,
}

fn ping_pong(executor: &TraitsExecutor, limit: u32) -> PingPong {
    let (go, next) = mpsc::channel::<()>();
    let (sent, sent_rx) = mpsc::channel::<()>();
    let future = submit_progress(executor, move |reporter| {
        for i in 0..limit {
            reporter.report(i)?;
            let _ = sent.send(());
            if next.recv_timeout(TEST_TIMEOUT).is_err() {
                break; // the observer is gone
            }
        }
        Ok(())
    })
    .unwrap();
    sent_rx.recv_timeout(TEST_TIMEOUT).unwrap(); // report 0 is queued
    let reports = Rc::new(RefCell::new(Vec::new()));
    let observer = future.reports().observe({
        let reports = reports.clone();
        move |report| {
            reports.borrow_mut().push(*report);
            // Let the task send the next report, and wait until it is queued.
            if go.send(()).is_ok() && *report + 1 < limit {
                sent_rx.recv_timeout(TEST_TIMEOUT).unwrap();
            }
        }
    });
    PingPong {
        future,
        reports,
        observer,
    }
}

#[test]
fn a_task_that_answers_every_delivery_with_a_new_message_cannot_keep_a_call_running() {
    let executor = executor();
    let task = ping_pong(&executor, 1000);

    assert_eq!(executor.dispatch_pending(), 2, "`Started` and report 0");
    for call in 1..20 {
        assert_eq!(executor.dispatch_pending(), 1, "one report per call");
        assert_eq!(task.reports.borrow().len(), call + 1);
    }
    for _ in 0..20 {
        let dispatched = executor.dispatch_within(DispatchBudget::FRAME);
        assert_eq!((dispatched.delivered, dispatched.more_pending), (1, true));
    }
    assert_eq!(*task.reports.borrow(), (0..40).collect::<Vec<_>>());

    assert!(task.future.cancel());
    drop(task.observer);
    executor
        .run_until(|| task.future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn run_until_still_dispatches_whatever_arrives_until_its_condition_holds() {
    let executor = executor();
    let task = ping_pong(&executor, 50);

    // One call, through the whole exchange.
    executor
        .run_until(|| task.future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(*task.reports.borrow(), (0..50).collect::<Vec<_>>());
    assert_eq!(task.future.state().get(), FutureState::Completed);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
