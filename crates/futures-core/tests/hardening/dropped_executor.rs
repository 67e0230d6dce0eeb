//! Issue 22, section 5: no future waits for ever. An executor dropped without `shutdown` leaves
//! no future `Cancelling` for ever: each reaches `Cancelled`, and its `done` observers fire,
//! once its task has ended or been dropped, with no event loop after the drop.
//!
//! How (see `TraitsExecutor`'s and `TaskFuture`'s docs): the drop cancels every future, takes
//! back every task no worker has started (its future ends `Cancelled` inside the drop), and
//! applies what has already arrived; a future whose task is still running becomes an orphan that
//! delivers its task's last messages to itself whenever its state is read.

use crate::common;

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Once};
use std::thread;
use std::time::{Duration, Instant};

use common::executor::{blocking_call, wait_for};
use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_generator, CallFuture, FutureHandler, FutureState, NotAvailable,
    TaskContext, TaskFuture, ThreadPool, TraitsExecutor, WorkerPool,
};

use FutureState::{Cancelled, Cancelling, Executing, Waiting};

fn single_worker() -> TraitsExecutor {
    TraitsExecutor::builder().max_workers(1).build().unwrap()
}

/// Reads `future`'s `done` until it holds, within [`TEST_TIMEOUT`]: no event loop runs any
/// more, and an orphan delivers to itself when read.
fn read_until_done<H: FutureHandler>(future: &TaskFuture<H>) {
    let deadline = Instant::now() + TEST_TIMEOUT;
    while !future.done().get() {
        assert!(
            Instant::now() < deadline,
            "the future of a dropped executor never became done ({:?})",
            future.state().get()
        );
        thread::sleep(Duration::from_millis(1));
    }
}

/// A call that records whether it ran.
fn flagged_call(executor: &TraitsExecutor) -> (CallFuture<()>, Arc<AtomicBool>) {
    let ran = Arc::new(AtomicBool::new(false));
    let future = submit_call(executor, {
        let ran = Arc::clone(&ran);
        move || ran.store(true, Ordering::SeqCst)
    })
    .unwrap();
    (future, ran)
}

#[test]
fn dropped_executor_cancels_a_waiting_future_inside_the_drop_and_its_done_observers_fire() {
    let executor = single_worker();
    let (blocker, started, release) = blocking_call(&executor);
    wait_for(&started);
    let (waiting, ran) = flagged_call(&executor);
    let states = Recorder::observable(waiting.state());
    let done = Recorder::derived(waiting.done());

    drop(executor);
    // Nothing read the future since: its observers ran inside the drop.
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert_eq!(done.values(), [false, true]);

    release.send(()).unwrap();
    read_until_done(&blocker);
    assert!(!ran.load(Ordering::SeqCst), "a task taken back never runs");
}

#[test]
fn dropped_executor_cancels_every_waiting_future_inside_the_drop() {
    let executor = single_worker();
    let (blocker, started, release) = blocking_call(&executor);
    wait_for(&started);
    let waiting: Vec<_> = (0..100).map(|_| flagged_call(&executor)).collect();
    let dones = Rc::new(Cell::new(0));
    let _guards: Vec<_> = waiting
        .iter()
        .map(|(future, _)| {
            let dones = Rc::clone(&dones);
            future.done().observe(move |_, done| {
                if *done {
                    dones.set(dones.get() + 1);
                }
            })
        })
        .collect();

    drop(executor);
    assert_eq!(
        dones.get(),
        100,
        "every done observer fired inside the drop"
    );
    for (future, _) in &waiting {
        assert_eq!(future.state().get(), Cancelled);
    }

    release.send(()).unwrap();
    read_until_done(&blocker);
    assert!(waiting.iter().all(|(_, ran)| !ran.load(Ordering::SeqCst)));
}

#[test]
fn dropped_executor_leaves_an_executing_future_cancelling_until_its_task_ends_then_cancelled() {
    let executor = single_worker();
    let (future, started, release) = blocking_call(&executor);
    wait_for(&started);
    executor
        .run_until(|| future.state().get() == Executing, Some(TEST_TIMEOUT))
        .unwrap();
    let states = Recorder::observable(future.state());
    let done = Recorder::derived(future.done());

    drop(executor);
    assert_eq!(future.state().get(), Cancelling);
    assert_eq!(done.values(), [false]);

    release.send(()).unwrap();
    read_until_done(&future);
    assert_eq!(states.values(), [Executing, Cancelling, Cancelled]);
    assert_eq!(done.values(), [false, true]);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Cancelled)));
}

#[test]
fn dropped_executor_long_running_task_ends_much_later_and_its_future_then_settles() {
    let executor = single_worker();
    let (future, started, release) = blocking_call(&executor);
    wait_for(&started);
    let done = Recorder::derived(future.done());

    drop(executor);
    // The task keeps running: reading the future changes nothing meanwhile.
    for _ in 0..50 {
        assert_eq!(future.state().get(), Cancelling);
        assert!(!future.done().get());
        thread::sleep(Duration::from_millis(2));
    }
    assert_eq!(done.values(), [false]);

    release.send(()).unwrap();
    // `result()` reads the state too.
    let deadline = Instant::now() + TEST_TIMEOUT;
    while future.result() != Err(NotAvailable::NoResult(Cancelled)) {
        assert!(Instant::now() < deadline, "the future never settled");
        thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(done.values(), [false, true]);
}

#[test]
fn dropped_executor_cancels_a_streaming_task_which_stops_and_its_future_settles() {
    let executor = single_worker();
    let (sent_tx, sent) = mpsc::channel();
    let stream = submit_generator(&executor, move |items: &TaskContext<'_, u64>| {
        for n in 0.. {
            items.send(n)?;
            let _ = sent_tx.send(());
            thread::sleep(Duration::from_millis(1));
        }
        Ok(())
    })
    .unwrap();
    let items = Recorder::event(stream.items());
    sent.recv_timeout(TEST_TIMEOUT).unwrap();
    let done = Recorder::derived(stream.done());

    drop(executor);
    // The task sees the cancel at its next send and ends; its items are never delivered.
    read_until_done(&stream);
    assert_eq!(stream.state().get(), Cancelled);
    assert_eq!(done.values(), [false, true]);
    assert!(items.is_empty(), "nothing is delivered after the cancel");
}

#[test]
fn dropped_executor_applies_a_final_message_that_had_arrived_inside_the_drop() {
    let executor = single_worker();
    let finished = submit_call(&executor, || 7).unwrap();
    // On the single worker, the next task starts only after the first one's result was sent.
    let (blocker, started, release) = blocking_call(&executor);
    wait_for(&started);
    let states = Recorder::observable(finished.state());
    let done = Recorder::derived(finished.done());

    drop(executor);
    assert_eq!(states.values(), [Waiting, Cancelling, Cancelled]);
    assert_eq!(done.values(), [false, true]);

    release.send(()).unwrap();
    read_until_done(&blocker);
}

#[test]
fn dropped_stopping_executor_still_finishes_its_futures() {
    let executor = single_worker();
    let (executing, started, release) = blocking_call(&executor);
    wait_for(&started);
    let (waiting, ran) = flagged_call(&executor);
    executor.stop().unwrap();
    let waiting_done = Recorder::derived(waiting.done());

    drop(executor);
    assert_eq!(waiting_done.values(), [false, true]);
    assert_eq!(waiting.state().get(), Cancelled);
    assert_eq!(executing.state().get(), Cancelling);

    release.send(()).unwrap();
    read_until_done(&executing);
    assert_eq!(executing.state().get(), Cancelled);
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn dropped_executor_on_a_shared_pool_cancels_its_waiting_futures_and_the_pool_never_runs_them() {
    let pool = Arc::new(ThreadPool::new(1));
    let (started_tx, started) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    pool.execute(Box::new(move || {
        started_tx.send(()).unwrap();
        let _ = gate.recv();
    }))
    .unwrap();
    wait_for(&started);
    let executor = TraitsExecutor::builder()
        .worker_pool(pool.clone())
        .build()
        .unwrap();
    let waiting: Vec<_> = (0..10).map(|_| flagged_call(&executor)).collect();

    drop(executor);
    for (future, _) in &waiting {
        assert_eq!(future.state().get(), Cancelled);
    }

    release.send(()).unwrap();
    pool.shutdown(); // runs what is queued, then joins
    assert!(waiting.iter().all(|(_, ran)| !ran.load(Ordering::SeqCst)));
}

/// Keeps the panics this file provokes on purpose (text `hardening:`) out of the output.
fn quiet() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let text = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if !text.is_some_and(|text| text.contains("hardening:")) {
                default(info);
            }
        }));
    });
}

#[test]
fn dropped_executor_future_whose_observer_panics_as_it_settles_on_a_read_is_still_done() {
    quiet();
    let executor = single_worker();
    let (future, started, release) = blocking_call(&executor);
    wait_for(&started);
    let _bomb = future
        .done()
        .observe(|_, _| panic!("hardening: a done observer"));
    let done = Recorder::derived(future.done());

    drop(executor);
    release.send(()).unwrap();
    // The read that delivers the final message runs the observers; the panic resumes out of it
    // (the future's docs say so), after the future is done and its pipe closed.
    let deadline = Instant::now() + TEST_TIMEOUT;
    loop {
        assert!(Instant::now() < deadline, "the future never settled");
        match panic::catch_unwind(AssertUnwindSafe(|| future.done().get())) {
            Ok(false) => thread::sleep(Duration::from_millis(1)),
            Ok(true) => panic!("the panicking observer should have run on a read"),
            Err(_) => break,
        }
    }
    assert!(future.done().get());
    assert_eq!(future.state().get(), Cancelled);
    assert_eq!(done.values(), [false, true], "the other observer ran too");
}
