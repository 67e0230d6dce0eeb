//! Issue 23 §2, a frame budget for dispatch: `dispatch_within` stops when its budget (messages,
//! time) is spent and re-arms the wake for the rest; the non-blocking calls dispatch a snapshot
//! (what was announced when they began), so a task that keeps sending cannot keep one call
//! running; the async `Dispatcher` yields on a time budget too. Order, cancel-first and "no
//! message lost" hold across the splits.
//!
//! The floods here send everything, then wait at a gate: what is pending is then fixed, and the
//! tests count exactly. Slow observers busy-work a millisecond per message, so that a time
//! budget is spent after a bounded number of messages (the bounds follow from the meter's clock
//! reads, see `DispatchBudget`), asserted as counts, not durations.

use std::cell::RefCell;
use std::future::Future;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::traits_core::ObserverGuard;
use traits_futures::{
    submit_progress, DispatchBudget, Dispatched, FutureState, ProgressFuture, TraitsExecutor,
};

/// Spins for `work` (an observer that does real work on the main thread).
fn busy(work: Duration) {
    let start = Instant::now();
    while start.elapsed() < work {
        std::hint::spin_loop();
    }
}

/// A task that reports `0..count`, says so, then waits at a gate before it returns `count`.
struct Flood {
    future: ProgressFuture<u32, u32>,
    reports: Rc<RefCell<Vec<u32>>>,
    release: mpsc::Sender<()>,
    _observer: ObserverGuard,
}

impl Flood {
    /// Submits the task; each report's observer records it after `work` of busy work.
    /// Returns once every report is queued.
    fn start(executor: &TraitsExecutor, count: u32, work: Duration) -> Flood {
        let (sent, all_sent) = mpsc::channel();
        let (release, gate) = mpsc::channel::<()>();
        let future = submit_progress(executor, move |reporter| {
            for i in 0..count {
                reporter.report(i)?;
            }
            sent.send(()).unwrap();
            let _ = gate.recv_timeout(TEST_TIMEOUT);
            Ok(count)
        })
        .unwrap();
        let reports = Rc::new(RefCell::new(Vec::new()));
        let observer = future.reports().observe({
            let reports = reports.clone();
            move |report| {
                busy(work);
                reports.borrow_mut().push(*report);
            }
        });
        all_sent
            .recv_timeout(TEST_TIMEOUT)
            .expect("the task sent its reports");
        Flood {
            future,
            reports,
            release,
            _observer: observer,
        }
    }

    fn received(&self) -> usize {
        self.reports.borrow().len()
    }

    fn assert_all_in_order(&self, count: u32) {
        assert_eq!(*self.reports.borrow(), (0..count).collect::<Vec<_>>());
    }

    /// Lets the task return, and waits for its future to be done.
    fn finish(&self, executor: &TraitsExecutor) {
        let _ = self.release.send(());
        executor
            .run_until(|| self.future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
    }
}

/// Calls `dispatch_within(budget)` until nothing is left; returns every call's result.
fn dispatch_all(executor: &TraitsExecutor, budget: DispatchBudget) -> Vec<Dispatched> {
    let mut calls = Vec::new();
    loop {
        let dispatched = executor.dispatch_within(budget);
        calls.push(dispatched);
        if !dispatched.more_pending {
            return calls;
        }
        assert!(calls.len() < 1_000_000, "dispatch_within makes no progress");
    }
}

/// An executor with a worker for every task a test keeps waiting at its gate.
fn executor() -> TraitsExecutor {
    TraitsExecutor::builder().max_workers(32).build().unwrap()
}

fn delivered(calls: &[Dispatched]) -> usize {
    calls.iter().map(|d| d.delivered).sum()
}

// ---------------------------------------------------------------------------------------------
// The message budget.

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

// ---------------------------------------------------------------------------------------------
// The time budget.

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

// ---------------------------------------------------------------------------------------------
// The snapshot: what arrives during a call waits for the next one.

/// A task that reports 0, waits until released, reports `1..=more`, says so, and ends when
/// released again (or cancelled).
struct TwoBursts {
    future: ProgressFuture<u32, ()>,
    reports: Rc<RefCell<Vec<u32>>>,
    /// Holds the gate's sender: dropping it lets the task end at once.
    observer: ObserverGuard,
}

/// Starts a [`TwoBursts`] whose first report's observer releases the second burst and waits
/// until it is sent: the second burst is announced while the first is being dispatched.
fn two_bursts(executor: &TraitsExecutor, more: u32) -> TwoBursts {
    let (first_sent, first) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let (second_sent, second) = mpsc::channel();
    let future = submit_progress(executor, move |reporter| {
        reporter.report(0)?;
        first_sent.send(()).unwrap();
        gate.recv_timeout(TEST_TIMEOUT).unwrap();
        for i in 1..=more {
            reporter.report(i)?;
        }
        let _ = second_sent.send(());
        let _ = gate.recv_timeout(TEST_TIMEOUT);
        Ok(())
    })
    .unwrap();
    let reports = Rc::new(RefCell::new(Vec::new()));
    let observer = future.reports().observe({
        let reports = reports.clone();
        move |report| {
            reports.borrow_mut().push(*report);
            if *report == 0 {
                release.send(()).unwrap();
                second
                    .recv_timeout(TEST_TIMEOUT)
                    .expect("the task sent its second burst");
            }
        }
    });
    first.recv_timeout(TEST_TIMEOUT).unwrap();
    TwoBursts {
        future,
        reports,
        observer,
    }
}

#[test]
fn dispatch_pending_leaves_what_a_task_sends_during_the_call_for_the_next_call() {
    let executor = executor();
    let task = two_bursts(&executor, 5);

    assert_eq!(
        executor.dispatch_pending(),
        2,
        "`Started` and report 0 only"
    );
    assert_eq!(*task.reports.borrow(), [0]);
    assert_eq!(executor.dispatch_pending(), 5, "the second burst");
    assert_eq!(*task.reports.borrow(), [0, 1, 2, 3, 4, 5]);

    assert!(task.future.cancel());
    drop(task.observer);
    executor
        .run_until(|| task.future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn dispatch_within_leaves_what_a_task_sends_during_the_call_for_the_next_call() {
    let executor = executor();
    let task = two_bursts(&executor, 5);

    let first = executor.dispatch_within(DispatchBudget::FRAME);
    assert_eq!((first.delivered, first.more_pending), (2, true));
    assert_eq!(*task.reports.borrow(), [0]);
    let second = executor.dispatch_within(DispatchBudget::FRAME);
    assert_eq!((second.delivered, second.more_pending), (5, false));
    assert_eq!(*task.reports.borrow(), [0, 1, 2, 3, 4, 5]);

    assert!(task.future.cancel());
    drop(task.observer);
    executor
        .run_until(|| task.future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// A task that sends a report for every report of its own the main thread delivers, up to
/// `limit`: an endless flood as far as one dispatch call can tell.
struct PingPong {
    future: ProgressFuture<u32, ()>,
    reports: Rc<RefCell<Vec<u32>>>,
    /// Holds the task's go-ahead: dropping it lets the task end at once.
    observer: ObserverGuard,
}

fn ping_pong(executor: &TraitsExecutor, limit: u32) -> PingPong {
    let (go, next) = mpsc::channel::<()>();
    let (sent, sent_rx) = mpsc::channel::<()>();
    let future = submit_progress(executor, move |reporter| {
        for i in 0..limit {
            reporter.report(i)?;
            let _ = sent.send(());
            if next.recv_timeout(TEST_TIMEOUT).is_err() {
                break; // the observer is gone
            }
        }
        Ok(())
    })
    .unwrap();
    sent_rx.recv_timeout(TEST_TIMEOUT).unwrap(); // report 0 is queued
    let reports = Rc::new(RefCell::new(Vec::new()));
    let observer = future.reports().observe({
        let reports = reports.clone();
        move |report| {
            reports.borrow_mut().push(*report);
            // Let the task send the next report, and wait until it is queued.
            if go.send(()).is_ok() && *report + 1 < limit {
                sent_rx.recv_timeout(TEST_TIMEOUT).unwrap();
            }
        }
    });
    PingPong {
        future,
        reports,
        observer,
    }
}

#[test]
fn a_task_that_answers_every_delivery_with_a_new_message_cannot_keep_a_call_running() {
    let executor = executor();
    let task = ping_pong(&executor, 1000);

    assert_eq!(executor.dispatch_pending(), 2, "`Started` and report 0");
    for call in 1..20 {
        assert_eq!(executor.dispatch_pending(), 1, "one report per call");
        assert_eq!(task.reports.borrow().len(), call + 1);
    }
    for _ in 0..20 {
        let dispatched = executor.dispatch_within(DispatchBudget::FRAME);
        assert_eq!((dispatched.delivered, dispatched.more_pending), (1, true));
    }
    assert_eq!(*task.reports.borrow(), (0..40).collect::<Vec<_>>());

    assert!(task.future.cancel());
    drop(task.observer);
    executor
        .run_until(|| task.future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn run_until_still_dispatches_whatever_arrives_until_its_condition_holds() {
    let executor = executor();
    let task = ping_pong(&executor, 50);

    // One call, through the whole exchange.
    executor
        .run_until(|| task.future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(*task.reports.borrow(), (0..50).collect::<Vec<_>>());
    assert_eq!(task.future.state().get(), FutureState::Completed);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// The wake is re-armed for what a budget leaves.

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

// ---------------------------------------------------------------------------------------------
// Cancel-first across budget splits.

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

// ---------------------------------------------------------------------------------------------
// The async `Dispatcher` yields on its budget.

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
