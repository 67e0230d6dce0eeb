//! `ProgressDelivery::Latest`: one undispatched report, replaced by a newer one.

use super::*;

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
