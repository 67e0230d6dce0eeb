//! `ProgressDelivery::Every`: lossless (the default).

use super::*;

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
