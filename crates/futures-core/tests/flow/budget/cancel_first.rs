//! Cancel-first across budget splits.

use super::*;

#[test]
fn a_future_cancelled_between_budgeted_calls_receives_nothing_more() {
    let executor = executor();
    let flood = Flood::start(&executor, 50, Duration::ZERO);

    let first = executor.dispatch_within(DispatchBudget::messages(5));
    assert_eq!((first.delivered, first.more_pending), (5, true));
    assert!(flood.future.cancel());
    assert_eq!(flood.future.state().get(), FutureState::Cancelling);

    // The rest of the batch is still taken (and discarded), a budget at a time.
    let rest = dispatch_all(&executor, DispatchBudget::messages(5));
    assert_eq!(delivered(&rest), 46);
    flood.assert_all_in_order(4);
    flood.finish(&executor);
    flood.assert_all_in_order(4);
    assert_eq!(flood.future.state().get(), FutureState::Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn cancelling_one_future_half_way_through_its_batch_leaves_the_others_whole() {
    let executor = executor();
    let first = Flood::start(&executor, 40, Duration::ZERO);
    let second = Flood::start(&executor, 40, Duration::ZERO);

    // Half of the first future's batch.
    executor.dispatch_within(DispatchBudget::messages(21));
    first.assert_all_in_order(20);
    assert_eq!(second.received(), 0);
    assert!(first.future.cancel());

    dispatch_all(&executor, DispatchBudget::messages(3));
    first.assert_all_in_order(20);
    second.assert_all_in_order(40);
    first.finish(&executor);
    second.finish(&executor);
    assert_eq!(first.future.state().get(), FutureState::Cancelled);
    assert_eq!(second.future.result(), Ok(&40));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_future_cancelled_between_time_budgeted_calls_receives_nothing_more() {
    let executor = executor();
    let flood = Flood::start(&executor, 40, Duration::from_millis(1));

    let first = executor.dispatch_within(DispatchBudget::time(Duration::from_millis(5)));
    assert!(first.more_pending);
    let seen = flood.received();
    assert!(seen < 40);
    assert!(flood.future.cancel());

    dispatch_all(&executor, DispatchBudget::time(Duration::from_millis(5)));
    flood.finish(&executor);
    assert_eq!(flood.received(), seen);
    assert_eq!(flood.future.state().get(), FutureState::Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
