//! §1: progress is a value (`progress()`), from the moment of submission.

use super::*;

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
