//! The async `Dispatcher` yields on its budget.

use super::*;

/// A local task that records how many reports had arrived each time it runs, and runs again at
/// once, until `until` reports have arrived (or the test's timeout).
fn ticker(
    reports: Rc<RefCell<Vec<u32>>>,
    until: usize,
) -> (impl Future<Output = ()>, Rc<RefCell<Vec<usize>>>) {
    let ticks = Rc::new(RefCell::new(Vec::new()));
    let deadline = Instant::now() + TEST_TIMEOUT;
    let task = {
        let ticks = ticks.clone();
        std::future::poll_fn(move |cx: &mut Context<'_>| {
            let seen = reports.borrow().len();
            ticks.borrow_mut().push(seen);
            if seen >= until || Instant::now() > deadline {
                return Poll::Ready(());
            }
            cx.waker().wake_by_ref();
            Poll::Pending
        })
    };
    (task, ticks)
}

/// Runs a dispatcher with `budget` (default if `None`) beside a ticker until `flood`'s `count`
/// reports have arrived; returns the ticks. Then finishes the flood and stops the dispatcher.
fn dispatcher_beside_a_ticker(
    executor: &TraitsExecutor,
    flood: &Flood,
    count: u32,
    budget: Option<DispatchBudget>,
) -> Vec<usize> {
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    let dispatcher = executor.dispatcher();
    let dispatcher = match budget {
        Some(budget) => dispatcher.with_budget(budget),
        None => dispatcher,
    };
    let ended = Rc::new(RefCell::new(false));
    spawner
        .spawn_local({
            let ended = ended.clone();
            async move {
                dispatcher.await;
                *ended.borrow_mut() = true;
            }
        })
        .unwrap();
    let (ticker, ticks) = ticker(flood.reports.clone(), count as usize);
    spawner.spawn_local(ticker).unwrap();
    pool.run_until_stalled();
    flood.assert_all_in_order(count);

    let _ = flood.release.send(());
    pool.run_until(wait_for(|| flood.future.done().get()));
    executor.stop().unwrap();
    pool.run_until_stalled();
    assert!(*ended.borrow(), "the dispatcher ends at Stopped");
    assert_eq!(flood.future.result(), Ok(&count));
    let ticks = ticks.borrow().clone();
    ticks
}

/// A future that is ready once `condition` holds, polling it whenever it runs (and asking to
/// run again at once, with a deadline).
fn wait_for(condition: impl Fn() -> bool) -> impl Future<Output = ()> {
    let deadline = Instant::now() + TEST_TIMEOUT;
    std::future::poll_fn(move |cx: &mut Context<'_>| {
        if condition() {
            return Poll::Ready(());
        }
        assert!(Instant::now() < deadline, "the condition never held");
        cx.waker().wake_by_ref();
        Poll::Pending
    })
}

/// The largest number of reports delivered between two runs of the ticker.
fn largest_step(ticks: &[usize]) -> usize {
    ticks.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0)
}

/// How many runs of the ticker saw some reports delivered and some not.
fn partial_ticks(ticks: &[usize], count: u32) -> usize {
    ticks
        .iter()
        .filter(|&&seen| seen > 0 && seen < count as usize)
        .count()
}

#[test]
fn a_dispatcher_with_a_message_budget_lets_other_local_tasks_run_between_its_polls() {
    let executor = executor();
    let flood = Flood::start(&executor, 200, Duration::ZERO);

    let ticks =
        dispatcher_beside_a_ticker(&executor, &flood, 200, Some(DispatchBudget::messages(10)));
    assert!(largest_step(&ticks) <= 10, "{ticks:?}");
    assert!(partial_ticks(&ticks, 200) >= 19, "{ticks:?}");
}

#[test]
fn a_dispatcher_with_a_time_budget_yields_to_other_local_tasks_during_a_slow_flood() {
    let executor = executor();
    let flood = Flood::start(&executor, 40, Duration::from_millis(1));

    let ticks = dispatcher_beside_a_ticker(
        &executor,
        &flood,
        40,
        Some(DispatchBudget::time(Duration::from_millis(5))),
    );
    // At most 5 reports of 1 ms fit a 5 ms poll.
    assert!(largest_step(&ticks) <= 5, "{ticks:?}");
    assert!(partial_ticks(&ticks, 40) >= 7, "{ticks:?}");
}

#[test]
fn the_default_dispatcher_yields_on_time_during_a_slow_flood() {
    let executor = executor();
    let flood = Flood::start(&executor, 30, Duration::from_millis(1));

    let ticks = dispatcher_beside_a_ticker(&executor, &flood, 30, None);
    // The default budget is a frame's: 4 ms, so at most 4 reports of 1 ms per poll.
    assert!(largest_step(&ticks) <= 4, "{ticks:?}");
    assert!(partial_ticks(&ticks, 30) >= 7, "{ticks:?}");
}

#[test]
fn a_dispatcher_with_a_budget_is_woken_for_what_a_poll_leaves_without_other_wakes() {
    // No ticker: the pool sleeps unless the dispatcher's own wake brings it back.
    let executor = executor();
    let flood = Flood::start(&executor, 100, Duration::ZERO);
    let mut pool = LocalPool::new();
    pool.spawner()
        .spawn_local(
            executor
                .dispatcher()
                .with_budget(DispatchBudget::messages(3)),
        )
        .unwrap();
    // Stalls as soon as no task is woken: the task waits at its gate and sends nothing.
    pool.run_until_stalled();
    flood.assert_all_in_order(100);
    flood.finish(&executor);
    executor.stop().unwrap();
    pool.run_until_stalled();
    assert!(executor.stopped().get());
}

#[test]
fn dispatched_and_budgets_compare_and_print() {
    let budget = DispatchBudget::FRAME.with_messages(1024);
    assert_ne!(budget, DispatchBudget::FRAME);
    assert_eq!(budget.max_messages(), Some(1024));
    assert!(format!("{budget:?}").contains("1024"));
    let executor = TraitsExecutor::new();
    let nothing = executor.dispatch_within(budget);
    assert_eq!(nothing, executor.dispatch_within(DispatchBudget::FRAME));
    assert!(format!("{nothing:?}").contains("more_pending"));
}
