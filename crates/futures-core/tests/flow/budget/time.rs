//! The time budget.

use super::*;

#[test]
fn a_time_budget_with_slow_observers_stops_after_a_bounded_number_of_messages() {
    let executor = executor();
    let flood = Flood::start(&executor, 40, Duration::from_millis(1));

    // Each report takes at least 1 ms and the clock is read after every slow message, so a
    // 10 ms budget is seen spent by the tenth report at the latest.
    let calls = dispatch_all(&executor, DispatchBudget::time(Duration::from_millis(10)));
    let first = calls[0];
    assert!(first.more_pending);
    assert!(
        (1..=11).contains(&first.delivered),
        "`Started` and at most 10 reports: {first:?}"
    );
    assert!(
        calls.len() >= 4,
        "40 reports of 1 ms take 4 budgets of 10 ms at least"
    );
    assert!(calls.iter().all(|d| d.delivered <= 11), "{calls:?}");
    assert_eq!(delivered(&calls), 41);
    flood.assert_all_in_order(40);

    flood.finish(&executor);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_time_budget_spread_over_many_slow_futures_stops_early_and_later_calls_finish_them() {
    let executor = executor();
    let floods: Vec<_> = (0..30)
        .map(|_| Flood::start(&executor, 1, Duration::from_millis(1)))
        .collect();
    let received = || floods.iter().map(Flood::received).sum::<usize>();

    // `Started` (quick) and one slow report per future: the clock is read at least every
    // other message, so the budget is seen spent after at most one report more than fits.
    let first = executor.dispatch_within(DispatchBudget::time(Duration::from_millis(10)));
    assert!(first.more_pending);
    assert!(received() <= 11, "{} reports in a 10 ms budget", received());

    let rest = dispatch_all(&executor, DispatchBudget::time(Duration::from_millis(10)));
    assert_eq!(first.delivered + delivered(&rest), 60);
    for flood in &floods {
        flood.assert_all_in_order(1);
    }
    for flood in &floods {
        flood.finish(&executor);
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_quick_flood_under_a_short_time_budget_is_delivered_whole_and_in_order() {
    let executor = executor();
    let flood = Flood::start(&executor, 100_000, Duration::ZERO);

    let calls = dispatch_all(&executor, DispatchBudget::time(Duration::from_micros(500)));
    assert_eq!(delivered(&calls), 100_001);
    flood.assert_all_in_order(100_000);

    flood.finish(&executor);
    assert_eq!(flood.future.result(), Ok(&100_000));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
