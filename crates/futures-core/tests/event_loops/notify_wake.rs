//! The notify event-loop integration: workers call a wake callback, coalesced; the UI thread
//! then calls `dispatch_pending`. These tests dispatch *only* when woken, so a lost wake-up
//! shows up as a timeout.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};

use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_iteration, submit_progress, ExecutorState, FutureState, TraitsExecutor,
};

/// A wake callback that counts calls and posts each one to a channel the "UI" sleeps on.
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

/// A UI loop: sleep until woken, then dispatch what is pending; until `done`.
fn ui_loop(executor: &TraitsExecutor, wakes: &mpsc::Receiver<()>, done: impl Fn() -> bool) {
    while !done() {
        wakes
            .recv_timeout(TEST_TIMEOUT)
            .expect("no wake-up arrived: a message was left undispatched");
        executor.dispatch_pending();
    }
}

#[test]
fn a_burst_of_10_000_messages_wakes_the_ui_a_few_times_and_loses_none() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (wake_count, wakes) = wake_channel(&executor);
    let (burst_sent, burst_done) = mpsc::channel();
    let future = submit_progress(&executor, move |reporter| {
        for n in 0..10_000u32 {
            reporter.report(n)?;
        }
        burst_sent.send(()).unwrap();
        Ok(())
    })
    .unwrap();
    let received = Rc::new(RefCell::new(Vec::with_capacity(10_000)));
    let _log = future.reports().observe({
        let received = received.clone();
        move |n| received.borrow_mut().push(*n)
    });

    burst_done.recv_timeout(TEST_TIMEOUT).unwrap();
    // Started and 10 000 reports were sent while the UI slept: one wake so far.
    assert_eq!(wake_count.load(Ordering::SeqCst), 1);
    ui_loop(&executor, &wakes, || future.done().get());

    assert_eq!(future.state().get(), FutureState::Completed);
    assert_eq!(*received.borrow(), (0..10_000).collect::<Vec<_>>());
    // At most one more wake, for the final message if it came after the first dispatch.
    assert!(wake_count.load(Ordering::SeqCst) <= 2, "{wake_count:?}");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn the_last_message_of_every_burst_gets_a_wake() {
    // Many tasks sending in small, uneven bursts while the UI dispatches only when woken.
    let executor = TraitsExecutor::builder().max_workers(4).build().unwrap();
    let (wake_count, wakes) = wake_channel(&executor);
    let futures: Vec<_> = (0..16u32)
        .map(|task| {
            submit_iteration(&executor, move || {
                (0..500u32).inspect(move |n| {
                    if (n + task) % 37 == 0 {
                        std::thread::yield_now(); // uneven bursts
                    }
                })
            })
            .unwrap()
        })
        .collect();
    let counts: Vec<_> = futures
        .iter()
        .map(|f| {
            let count = Rc::new(RefCell::new(0u32));
            let guard = f.items().observe({
                let count = count.clone();
                move |_| *count.borrow_mut() += 1
            });
            (count, guard)
        })
        .collect();

    ui_loop(&executor, &wakes, || futures.iter().all(|f| f.done().get()));

    for (count, _) in &counts {
        assert_eq!(*count.borrow(), 500);
    }
    let wakes_seen = wake_count.load(Ordering::SeqCst);
    assert!(wakes_seen >= 1);
    assert!(wakes_seen < 16 * 502, "wakes are coalesced: {wakes_seen}");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn stopping_wakes_the_ui_so_it_can_see_stopped() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (_count, wakes) = wake_channel(&executor);
    let (release, gate) = mpsc::channel::<()>();
    let future = submit_iteration(&executor, move || {
        gate.recv().unwrap();
        0..3
    })
    .unwrap();
    executor.stop().unwrap();
    assert_eq!(future.state().get(), FutureState::Cancelling);
    // If the worker had not taken the task yet, the stop abandoned it and dropped the gate.
    let _ = release.send(());
    ui_loop(&executor, &wakes, || {
        executor.state().get() == ExecutorState::Stopped
    });
    assert_eq!(future.state().get(), FutureState::Cancelled);
}
