//! `ProgressDelivery::LatestAtMost`: latest-value delivery under a rate limit.

use super::*;

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
