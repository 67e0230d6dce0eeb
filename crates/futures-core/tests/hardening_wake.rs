//! The wake-up across loops and integrations (issue 22, sections 1 and 3):
//!
//! * a wake callback that panics on a worker never stops the task: the worker survives, the
//!   messages stay queued for the next dispatch, the future ends, and the panic is logged at
//!   `error` once;
//! * a wake callback installed after a headless run, or while messages wait, hears of them;
//! * after an observer panics out of a dispatch, what it left gets a new wake;
//! * several dispatchers, and a dispatcher beside a wake callback, are all woken and all end:
//!   none is silently disconnected, and the extra ones are logged at `warn`;
//! * the wake callback and the dispatchers' wakers are released at `Stopped` (and when the
//!   executor is dropped), even while the user keeps finished futures.
//!
//! The notify-style tests dispatch only when woken, so a lost wake-up fails a bounded wait
//! instead of hanging; tests of integrations that would hang run in a thread of their own,
//! given [`TEST_TIMEOUT`].

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, Once};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, ThreadId};

use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use futures_signals::signal::SignalExt;
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_iteration, CallFuture, ExecutorState, FutureState, Job, PoolClosed,
    TraitsExecutor, WorkerPool,
};

// ---------------------------------------------------------------------------------------------
// Harness

/// Runs `scenario` on a thread of its own and fails if it has not finished within
/// [`TEST_TIMEOUT`]: for integrations whose failure is a hang (the thread is then left behind).
fn within<T: Send + 'static>(what: &str, scenario: impl FnOnce() -> T + Send + 'static) -> T {
    let (done_tx, done) = mpsc::channel();
    let handle = thread::spawn(move || {
        let value = scenario();
        let _ = done_tx.send(());
        value
    });
    match done.recv_timeout(TEST_TIMEOUT) {
        Ok(()) => handle.join().unwrap(),
        Err(RecvTimeoutError::Disconnected) => match handle.join() {
            Err(payload) => panic::resume_unwind(payload),
            Ok(_) => unreachable!("the scenario ended without signalling"),
        },
        Err(RecvTimeoutError::Timeout) => panic!("{what} still running after {TEST_TIMEOUT:?}"),
    }
}

/// A wake callback that counts its calls and posts each to a channel the "UI" sleeps on.
fn wake_channel(executor: &TraitsExecutor) -> (Arc<AtomicUsize>, Receiver<()>) {
    let count = Arc::new(AtomicUsize::new(0));
    let (sender, receiver) = mpsc::channel();
    let sender = Mutex::new(sender);
    executor.set_wake_callback({
        let count = Arc::clone(&count);
        move || {
            count.fetch_add(1, Ordering::SeqCst);
            let _ = sender.lock().unwrap().send(());
        }
    });
    (count, receiver)
}

/// A wake callback like a UI's whose channel has closed: `send(..).expect(marker)` panics on
/// every call, with `marker` in its message. Counts its calls.
fn closed_channel_callback(marker: &'static str) -> (Arc<AtomicUsize>, impl Fn() + Send + Sync) {
    let (sender, receiver) = mpsc::channel::<()>();
    drop(receiver);
    let sender = Mutex::new(sender);
    let calls = Arc::new(AtomicUsize::new(0));
    let callback = {
        let calls = Arc::clone(&calls);
        move || {
            calls.fetch_add(1, Ordering::SeqCst);
            sender
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .send(())
                .expect(marker);
        }
    };
    (calls, callback)
}

/// A call that signals `started`, then blocks until released (or the sender is dropped).
fn blocking_call(executor: &TraitsExecutor) -> (CallFuture<()>, Receiver<()>, Sender<()>) {
    let (started_tx, started) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let future = submit_call(executor, move || {
        let _ = started_tx.send(());
        let _ = gate.recv();
    })
    .unwrap();
    (future, started, release)
}

/// The records logged by the library, with the thread that logged them.
struct Captured {
    level: log::Level,
    message: String,
    thread: ThreadId,
}

static RECORDS: Mutex<Vec<Captured>> = Mutex::new(Vec::new());

struct CaptureLogger;

impl log::Log for CaptureLogger {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        RECORDS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(Captured {
                level: record.level(),
                message: record.args().to_string(),
                thread: thread::current().id(),
            });
    }
    fn flush(&self) {}
}

fn capture_logs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&CaptureLogger).unwrap();
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// How many records at `level` satisfy `matches`.
fn logged(level: log::Level, matches: impl Fn(&Captured) -> bool) -> usize {
    RECORDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|record| record.level == level && matches(record))
        .count()
}

/// A waker that counts its wakes.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl Wake for CountingWaker {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

// ---------------------------------------------------------------------------------------------
// 1. A wake callback that panics on a worker

#[test]
fn a_wake_callback_that_panics_on_a_worker_does_not_stop_the_tasks_and_every_future_ends() {
    let executor = TraitsExecutor::builder().max_workers(2).build().unwrap();
    let (calls, callback) = closed_channel_callback("wake-panic-ends: the UI's channel is closed");
    executor.set_wake_callback(callback);
    let futures: Vec<_> = (0..8u32)
        .map(|n| submit_call(&executor, move || n * 2).unwrap())
        .collect();
    executor
        .run_until(
            || futures.iter().all(|f| f.done().get()),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    for (n, future) in (0u32..).zip(&futures) {
        assert_eq!(future.result(), Ok(&(n * 2)));
    }
    assert!(calls.load(Ordering::SeqCst) >= 1);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_message_whose_wake_callback_panicked_stays_queued_for_the_next_dispatch() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (calls, callback) =
        closed_channel_callback("wake-panic-queued: the UI's channel is closed");
    executor.set_wake_callback(callback);
    let first = submit_call(&executor, || 7).unwrap();
    // The one worker runs this only after the first task has sent its last message.
    let (after_tx, after) = mpsc::channel();
    let second = submit_call(&executor, move || after_tx.send(()).unwrap()).unwrap();
    after.recv_timeout(TEST_TIMEOUT).unwrap();
    assert_eq!(
        calls.load(Ordering::SeqCst),
        1,
        "one burst, one (failed) wake"
    );

    // The next dispatch delivers everything the panicking wake announced.
    assert!(executor.dispatch_pending() >= 2);
    assert_eq!(first.result(), Ok(&7));
    executor
        .run_until(|| second.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// A pool whose workers do not protect themselves: each job runs on a thread of its own, and a
/// panic out of the job is recorded (it would have killed a worker of such a pool).
#[derive(Default)]
struct BarePool {
    escaped: Arc<AtomicUsize>,
    threads: Mutex<Vec<thread::JoinHandle<()>>>,
}

impl WorkerPool for BarePool {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        let escaped = Arc::clone(&self.escaped);
        self.threads.lock().unwrap().push(thread::spawn(move || {
            if panic::catch_unwind(AssertUnwindSafe(job)).is_err() {
                escaped.fetch_add(1, Ordering::SeqCst);
            }
        }));
        Ok(())
    }
}

#[test]
fn a_wake_callback_that_panics_never_unwinds_into_the_worker() {
    let pool = Arc::new(BarePool::default());
    let executor = TraitsExecutor::builder()
        .worker_pool(Arc::clone(&pool) as Arc<dyn WorkerPool>)
        .build()
        .unwrap();
    let (calls, callback) =
        closed_channel_callback("wake-panic-worker: the UI's channel is closed");
    executor.set_wake_callback(callback);
    let futures: Vec<_> = (0..4u32)
        .map(|n| {
            let future = submit_call(&executor, move || n).unwrap();
            executor
                .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
                .unwrap();
            future
        })
        .collect();
    for handle in std::mem::take(&mut *pool.threads.lock().unwrap()) {
        handle.join().unwrap();
    }
    assert!(calls.load(Ordering::SeqCst) >= 1);
    assert_eq!(pool.escaped.load(Ordering::SeqCst), 0);
    for (n, future) in (0u32..).zip(&futures) {
        assert_eq!(future.result(), Ok(&n));
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_panicking_wake_callback_is_logged_at_error_once_not_per_wake() {
    capture_logs();
    const MARKER: &str = "wake-panic-logged-once: the UI's channel is closed";
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (calls, callback) = closed_channel_callback(MARKER);
    executor.set_wake_callback(callback);
    for _ in 0..5 {
        let (future, started, release) = blocking_call(&executor);
        started.recv_timeout(TEST_TIMEOUT).unwrap();
        executor.dispatch_pending(); // `Started`; the next message is a new burst
        release.send(()).unwrap();
        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert!(
        calls.load(Ordering::SeqCst) >= 5,
        "every burst calls it again"
    );
    let has_marker = |record: &Captured| record.message.contains(MARKER);
    assert_eq!(logged(log::Level::Error, has_marker), 1);
    assert!(logged(log::Level::Debug, has_marker) >= 1);
}

#[test]
fn a_wake_callback_that_panics_on_the_main_thread_at_stopped_does_not_escape_shutdown() {
    // With no task, and with one: either way the callback's last call (at Stopped) panics.
    for with_task in [false, true] {
        let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
        let (calls, callback) =
            closed_channel_callback("wake-panic-stopped: the UI's channel is closed");
        executor.set_wake_callback(callback);
        let future = with_task.then(|| submit_call(&executor, || 1).unwrap());
        let outcome =
            panic::catch_unwind(AssertUnwindSafe(|| executor.shutdown(Some(TEST_TIMEOUT))));
        assert!(matches!(outcome, Ok(Ok(()))), "with a task: {with_task}");
        assert_eq!(executor.state().get(), ExecutorState::Stopped);
        assert!(calls.load(Ordering::SeqCst) >= 1);
        if let Some(future) = future {
            assert!(future.done().get());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 3a. A wake callback installed after a headless run, or while messages wait

/// A headless run during which a message arrives after the loop began: the task is released by
/// an observer of its start, so its final message is announced while `run_until` runs.
fn headless_run_with_a_late_message(executor: &TraitsExecutor) {
    let (release, gate) = mpsc::channel::<()>();
    let future = submit_call(executor, move || gate.recv().is_ok()).unwrap();
    let release = RefCell::new(Some(release));
    let _release = future.state().observe(move |_, new| {
        if *new == FutureState::Executing {
            release.borrow_mut().take().unwrap().send(()).unwrap();
        }
    });
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.result(), Ok(&true));
}

#[test]
fn a_wake_callback_installed_after_a_headless_run_is_called_for_the_next_message() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    headless_run_with_a_late_message(&executor);
    let (_, wakes) = wake_channel(&executor);
    let next = submit_call(&executor, || 2).unwrap();
    while !next.done().get() {
        wakes
            .recv_timeout(TEST_TIMEOUT)
            .expect("the new callback was never called");
        executor.dispatch_pending();
    }
    assert_eq!(next.result(), Ok(&2));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_wake_callback_replacing_another_after_a_headless_run_is_called_for_the_next_message() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (_old_count, _old_wakes) = wake_channel(&executor);
    headless_run_with_a_late_message(&executor);
    let (_, wakes) = wake_channel(&executor);
    let next = submit_call(&executor, || 3).unwrap();
    while !next.done().get() {
        wakes
            .recv_timeout(TEST_TIMEOUT)
            .expect("the replacing callback was never called");
        executor.dispatch_pending();
    }
    assert_eq!(next.result(), Ok(&3));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_wake_callback_installed_while_messages_wait_is_called_once_at_once() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    // Submitted before any callback (as an app that starts work before its UI is up).
    let first = submit_call(&executor, || 4).unwrap();
    let (after_tx, after) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let second = submit_call(&executor, move || {
        after_tx.send(()).unwrap();
        let _ = gate.recv();
    })
    .unwrap();
    after.recv_timeout(TEST_TIMEOUT).unwrap(); // the first has sent everything

    let (count, wakes) = wake_channel(&executor);
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "called at once, on this thread"
    );
    wakes.recv_timeout(TEST_TIMEOUT).unwrap();
    executor.dispatch_pending();
    assert_eq!(first.result(), Ok(&4));
    assert_eq!(second.state().get(), FutureState::Executing);

    release.send(()).unwrap();
    while !second.done().get() {
        wakes.recv_timeout(TEST_TIMEOUT).unwrap();
        executor.dispatch_pending();
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// 3b. After an observer panics out of a dispatch, the rest gets a new wake

/// An iteration of ten items, all queued (with a blocked call behind it, whose start proves
/// it) before the UI dispatches anything; the UI has been woken once.
struct QueuedBatch {
    executor: TraitsExecutor,
    count: Arc<AtomicUsize>,
    wakes: Receiver<()>,
    items: IterationItems,
    blocked: CallFuture<()>,
    release: Sender<()>,
}

type IterationItems = traits_futures::IterationFuture<u32>;

fn queued_batch() -> QueuedBatch {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (count, wakes) = wake_channel(&executor);
    let items = submit_iteration(&executor, || 0..10u32).unwrap();
    let (blocked, started, release) = blocking_call(&executor);
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    wakes.recv_timeout(TEST_TIMEOUT).unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 1, "one burst, one wake");
    QueuedBatch {
        executor,
        count,
        wakes,
        items,
        blocked,
        release,
    }
}

/// An observer of the items that records them and panics on `bad`.
fn panicking_on(
    items: &IterationItems,
    bad: u32,
) -> (Rc<RefCell<Vec<u32>>>, traits_core::ObserverGuard) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let guard = items.items().observe({
        let seen = Rc::clone(&seen);
        move |n| {
            seen.borrow_mut().push(*n);
            if *n == bad {
                panic!("observer exploded on item {bad}");
            }
        }
    });
    (seen, guard)
}

#[test]
fn after_an_observer_panics_out_of_dispatch_pending_the_rest_of_the_batch_gets_a_new_wake() {
    let batch = queued_batch();
    let (seen, _guard) = panicking_on(&batch.items, 3);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| batch.executor.dispatch_pending()));
    assert!(outcome.is_err());
    assert_eq!(*seen.borrow(), [0, 1, 2, 3]);

    batch
        .wakes
        .recv_timeout(TEST_TIMEOUT)
        .expect("no wake for the rest of the batch");
    batch.executor.dispatch_pending();
    assert_eq!(*seen.borrow(), (0..10).collect::<Vec<_>>());
    assert_eq!(batch.items.state().get(), FutureState::Completed);
    assert_eq!(batch.blocked.state().get(), FutureState::Executing);
    batch.release.send(()).unwrap();
    batch.executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn after_an_observer_panics_out_of_run_until_a_notify_loop_is_woken_for_the_rest() {
    let batch = queued_batch();
    let (seen, _guard) = panicking_on(&batch.items, 6);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        batch
            .executor
            .run_until(|| batch.items.done().get(), Some(TEST_TIMEOUT))
    }));
    assert!(outcome.is_err());
    assert_eq!(*seen.borrow(), [0, 1, 2, 3, 4, 5, 6]);

    batch
        .wakes
        .recv_timeout(TEST_TIMEOUT)
        .expect("no wake for what the headless run left");
    batch.executor.dispatch_pending();
    assert_eq!(*seen.borrow(), (0..10).collect::<Vec<_>>());
    batch.release.send(()).unwrap();
    batch.executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn after_a_done_observer_panics_another_futures_pending_messages_get_a_new_wake() {
    let batch = queued_batch();
    // Panics on the iteration's last message; the blocked call's `Started` is still queued.
    let _bomb = batch.items.done().observe(|_, done| {
        if *done {
            panic!("observer exploded on done");
        }
    });
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| batch.executor.dispatch_pending()));
    assert!(outcome.is_err());
    assert_eq!(batch.items.state().get(), FutureState::Completed);
    assert_eq!(batch.blocked.state().get(), FutureState::Waiting);

    batch
        .wakes
        .recv_timeout(TEST_TIMEOUT)
        .expect("no wake for the other future's messages");
    batch.executor.dispatch_pending();
    assert_eq!(batch.blocked.state().get(), FutureState::Executing);
    batch.release.send(()).unwrap();
    batch.executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_panic_that_leaves_nothing_pending_requests_no_extra_wake() {
    let batch = queued_batch();
    batch.release.send(()).unwrap();
    // Dispatch everything but the blocked call's final message, which may still be on its way.
    let _bomb = batch.blocked.done().observe(|_, done| {
        if *done {
            panic!("observer exploded on the last message");
        }
    });
    batch
        .executor
        .run_until(|| batch.items.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    // Now wait for the blocked call's result, which panics the observer on the very last
    // message: nothing is left, so no wake is requested for it (workers are idle by then).
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        batch
            .executor
            .run_until(|| batch.blocked.done().get(), Some(TEST_TIMEOUT))
    }));
    assert!(outcome.is_err());
    assert!(batch.blocked.done().get());
    let before = batch.count.load(Ordering::SeqCst);
    assert_eq!(batch.executor.dispatch_pending(), 0);
    assert_eq!(batch.count.load(Ordering::SeqCst), before);
    batch.executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// 3c. Several integrations at once: every one is woken, every dispatcher ends

#[test]
fn two_dispatchers_are_both_woken_and_both_end_at_stopped() {
    within("a LocalPool running two dispatchers", || {
        let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
        let mut pool = LocalPool::new();
        let ended = Rc::new(Cell::new(0));
        for dispatcher in [executor.dispatcher(), executor.dispatcher()] {
            let ended = Rc::clone(&ended);
            pool.spawner()
                .spawn_local(async move {
                    dispatcher.await;
                    ended.set(ended.get() + 1);
                })
                .unwrap();
        }
        let future = submit_call(&executor, || 5).unwrap();
        pool.spawner()
            .spawn_local({
                let (future, executor) = (future.clone(), executor.clone());
                async move {
                    future.done().signal().wait_for(true).await;
                    executor.stop().unwrap();
                }
            })
            .unwrap();
        pool.run(); // returns once every task, both dispatchers included, has ended
        assert_eq!(ended.get(), 2);
        assert_eq!(future.result(), Ok(&5));
        assert!(executor.stopped().get());
    });
}

#[test]
fn a_dispatcher_keeps_being_woken_after_a_wake_callback_is_installed() {
    within(
        "a LocalPool running a dispatcher beside a wake callback",
        || {
            let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
            let mut pool = LocalPool::new();
            pool.spawner().spawn_local(executor.dispatcher()).unwrap();
            pool.run_until_stalled(); // the dispatcher has polled once and sleeps
            let (count, _wakes) = wake_channel(&executor);

            let future = submit_call(&executor, || 6).unwrap();
            pool.run_until(future.done().signal().wait_for(true));
            assert_eq!(future.result(), Ok(&6));
            assert!(
                count.load(Ordering::SeqCst) >= 1,
                "the callback was woken too"
            );
            executor.stop().unwrap();
            pool.run(); // the dispatcher ends at Stopped
            assert!(executor.stopped().get());
        },
    );
}

#[test]
fn a_wake_callback_keeps_being_called_after_a_dispatcher_is_made() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (_, wakes) = wake_channel(&executor);
    let dispatcher = executor.dispatcher(); // never polled: the UI dispatches through the callback
    let future = submit_call(&executor, || 8).unwrap();
    while !future.done().get() {
        wakes
            .recv_timeout(TEST_TIMEOUT)
            .expect("the dispatcher disconnected the wake callback");
        executor.dispatch_pending();
    }
    assert_eq!(future.result(), Ok(&8));
    drop(dispatcher);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_second_live_dispatcher_and_a_replaced_wake_callback_are_logged_at_warn() {
    capture_logs();
    let me = thread::current().id();
    let mine = |record: &Captured| record.thread == me;
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();

    let first = executor.dispatcher();
    drop(first);
    let _lone = executor.dispatcher(); // the first was dropped: this one is alone
    assert_eq!(logged(log::Level::Warn, mine), 0);
    let _second = executor.dispatcher();
    assert_eq!(
        logged(log::Level::Warn, |r| mine(r)
            && r.message.contains("Dispatcher")),
        1
    );

    executor.set_wake_callback(|| {});
    assert_eq!(
        logged(log::Level::Warn, mine),
        1,
        "a first callback replaces nothing"
    );
    executor.set_wake_callback(|| {});
    assert_eq!(
        logged(log::Level::Warn, |r| mine(r)
            && r.message.contains("replaced")),
        1
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// 3d. The hooks are released at Stopped

/// A wake callback that keeps `token` alive as long as the library keeps the callback.
fn install_token_callback(executor: &TraitsExecutor) -> Arc<()> {
    let token = Arc::new(());
    let captured = Arc::clone(&token);
    executor.set_wake_callback(move || {
        let _ = &captured;
    });
    token
}

#[test]
fn the_wake_callback_and_what_it_captures_are_released_at_stopped() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let token = install_token_callback(&executor);
    let future = submit_call(&executor, || 10).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(Arc::strong_count(&token), 2, "held while the executor runs");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(Arc::strong_count(&token), 1, "released at Stopped");
    assert_eq!(future.result(), Ok(&10));
}

#[test]
fn a_finished_future_kept_after_the_executor_is_gone_does_not_keep_the_wake_callback() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let token = install_token_callback(&executor);
    let future = submit_call(&executor, || 11).unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    drop(executor);
    assert_eq!(Arc::strong_count(&token), 1);
    assert!(future.done().get());
}

#[test]
fn an_executor_dropped_without_shutdown_releases_its_wake_callback() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let token = install_token_callback(&executor);
    let (future, started, release) = blocking_call(&executor);
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    drop(executor);
    assert_eq!(
        Arc::strong_count(&token),
        1,
        "the kept future must not keep it"
    );
    release.send(()).unwrap();
    drop(future);
}

#[test]
fn a_wake_callback_installed_after_stopped_is_not_kept() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let future = submit_call(&executor, || 12).unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    let token = install_token_callback(&executor);
    assert_eq!(Arc::strong_count(&token), 1);
    assert!(future.done().get());
}

#[test]
fn a_dispatchers_waker_is_released_at_stopped() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let future = submit_call(&executor, || 13).unwrap();
    let waker = Arc::new(CountingWaker::default());
    let mut dispatcher = executor.dispatcher();
    {
        let context_waker = Waker::from(Arc::clone(&waker));
        let mut context = Context::from_waker(&context_waker);
        assert!(Pin::new(&mut dispatcher).poll(&mut context).is_pending());
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
        assert!(waker.0.load(Ordering::SeqCst) >= 1, "woken at Stopped");
        assert_eq!(
            Pin::new(&mut dispatcher).poll(&mut context),
            Poll::Ready(())
        );
    }
    assert_eq!(
        Arc::strong_count(&waker),
        1,
        "the ended dispatcher let go of its waker"
    );
    drop(dispatcher);
    drop(executor);
    assert_eq!(
        Arc::strong_count(&waker),
        1,
        "the kept future does not hold it"
    );
    assert!(future.done().get());
}

#[test]
fn a_dispatcher_made_after_stopped_is_ready_at_once_and_keeps_nothing() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    let waker = Arc::new(CountingWaker::default());
    let context_waker = Waker::from(Arc::clone(&waker));
    let mut context = Context::from_waker(&context_waker);
    let mut dispatcher = executor.dispatcher();
    assert_eq!(
        Pin::new(&mut dispatcher).poll(&mut context),
        Poll::Ready(())
    );
    drop(context_waker);
    assert_eq!(Arc::strong_count(&waker), 1);
    drop(dispatcher);
}
