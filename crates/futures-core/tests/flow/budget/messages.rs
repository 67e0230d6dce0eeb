//! The message budget.

use super::*;

#[test]
fn a_message_budget_delivers_that_many_and_later_calls_deliver_the_rest_in_order() {
    let executor = executor();
    let flood = Flood::start(&executor, 100, Duration::ZERO);

    // `Started` and 100 reports: 14 calls of 7, then the last 3.
    let calls = dispatch_all(&executor, DispatchBudget::messages(7));
    let counts: Vec<_> = calls.iter().map(|d| d.delivered).collect();
    let mut expected = vec![7; 14];
    expected.push(3);
    assert_eq!(counts, expected);
    assert!(calls[..14].iter().all(|d| d.more_pending));
    flood.assert_all_in_order(100);
    assert_eq!(flood.future.state().get(), FutureState::Executing);

    flood.finish(&executor);
    assert_eq!(flood.future.result(), Ok(&100));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_message_budget_split_over_several_futures_keeps_each_ones_order_and_loses_nothing() {
    let executor = executor();
    let floods: Vec<_> = (0..5)
        .map(|_| Flood::start(&executor, 30, Duration::ZERO))
        .collect();

    let calls = dispatch_all(&executor, DispatchBudget::messages(4));
    assert!(calls.iter().all(|d| d.delivered <= 4));
    assert_eq!(
        delivered(&calls),
        5 * 31,
        "every `Started` and report, once"
    );
    for flood in &floods {
        flood.assert_all_in_order(30);
    }
    for flood in &floods {
        flood.finish(&executor);
        assert_eq!(flood.future.result(), Ok(&30));
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_zero_message_budget_delivers_nothing_and_says_that_work_is_left() {
    let executor = executor();
    let flood = Flood::start(&executor, 10, Duration::ZERO);

    let dispatched = executor.dispatch_within(DispatchBudget::messages(0));
    assert_eq!((dispatched.delivered, dispatched.more_pending), (0, true));
    assert_eq!(flood.future.state().get(), FutureState::Waiting);

    assert_eq!(executor.dispatch_pending(), 11);
    flood.assert_all_in_order(10);
    flood.finish(&executor);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
