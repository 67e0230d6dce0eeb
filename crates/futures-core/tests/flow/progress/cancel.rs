//! Cancel, in every delivery mode.

use super::*;

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
