//! The wake is re-armed for what a budget leaves.

use super::*;

/// A wake callback that counts its calls and posts each to a channel.
fn wake_channel(executor: &TraitsExecutor) -> (Arc<AtomicUsize>, mpsc::Receiver<()>) {
    let count = Arc::new(AtomicUsize::new(0));
    let (sender, receiver) = mpsc::channel();
    let sender = Mutex::new(sender);
    executor.set_wake_callback({
        let count = count.clone();
        move || {
            count.fetch_add(1, Ordering::SeqCst);
            let _ = sender.lock().unwrap().send(());
        }
    });
    (count, receiver)
}

#[test]
fn a_budgeted_call_that_leaves_work_calls_the_wake_callback_again() {
    let executor = executor();
    let (wakes, _receiver) = wake_channel(&executor);
    let flood = Flood::start(&executor, 20, Duration::ZERO);
    assert_eq!(wakes.load(Ordering::SeqCst), 1, "the burst's wake");

    // The task waits at its gate: every wake from now on is the budget's.
    for call in 1..=4 {
        let dispatched = executor.dispatch_within(DispatchBudget::messages(5));
        assert_eq!((dispatched.delivered, dispatched.more_pending), (5, true));
        assert_eq!(wakes.load(Ordering::SeqCst), 1 + call);
    }
    let last = executor.dispatch_within(DispatchBudget::messages(5));
    assert_eq!((last.delivered, last.more_pending), (1, false));
    assert_eq!(wakes.load(Ordering::SeqCst), 5, "nothing left: no wake");
    flood.assert_all_in_order(20);

    flood.finish(&executor);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_notify_loop_that_dispatches_only_when_woken_delivers_everything_within_its_budgets() {
    let executor = executor();
    let (_wakes, woken) = wake_channel(&executor);
    let floods: Vec<_> = (0..3)
        .map(|_| Flood::start(&executor, 50, Duration::ZERO))
        .collect();
    for flood in &floods {
        let _ = flood.release.send(()); // they end as they please now
    }

    let all_done = || floods.iter().all(|f| f.future.done().get());
    let mut calls = Vec::new();
    while !all_done() {
        woken
            .recv_timeout(TEST_TIMEOUT)
            .expect("no wake-up came: a budget left work without re-arming the wake");
        calls.push(executor.dispatch_within(DispatchBudget::messages(8)));
    }
    assert!(calls.iter().all(|d| d.delivered <= 8));
    assert_eq!(
        delivered(&calls),
        3 * 52,
        "`Started`, 50 reports and the result, each"
    );
    for flood in &floods {
        flood.assert_all_in_order(50);
        assert_eq!(flood.future.result(), Ok(&50));
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_time_budget_that_leaves_work_calls_the_wake_callback_again() {
    let executor = executor();
    let (wakes, _receiver) = wake_channel(&executor);
    let flood = Flood::start(&executor, 30, Duration::from_millis(1));
    let before = wakes.load(Ordering::SeqCst);

    let dispatched = executor.dispatch_within(DispatchBudget::time(Duration::from_millis(5)));
    assert!(dispatched.more_pending);
    assert_eq!(wakes.load(Ordering::SeqCst), before + 1);

    dispatch_all(&executor, DispatchBudget::time(Duration::from_millis(5)));
    flood.assert_all_in_order(30);
    flood.finish(&executor);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
