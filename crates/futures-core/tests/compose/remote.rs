//! Issue 24, section 7: submitting from a background thread. A `Submitter` (`Send + Sync +
//! Clone`) queues submissions that the main thread turns into futures, during dispatch, and
//! hands to a main-thread callback: once each, in order, woken like a task's message, within
//! the dispatch budget; refused once the executor has begun to stop.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Barrier, Once};
use std::thread;

use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, CallFuture, CallHandler, DispatchBudget, ExecutorState, FutureState,
    RemoteSubmitError, Submitter, TraitsExecutor,
};

/// The text of the panics these tests provoke; the hook installed by [`quiet`] hides them.
const MARK: &str = "compose_remote:";

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
            if !text.is_some_and(|text| text.contains(MARK)) {
                default(info);
            }
        }));
    });
}

/// The futures a callback was handed, in order.
type Handed<T> = Rc<RefCell<Vec<CallFuture<T>>>>;

/// A submitter whose callback keeps every future it is handed, in order.
fn collecting<T: Send + 'static>(
    executor: &TraitsExecutor,
) -> (Submitter<CallHandler<T>>, Handed<T>) {
    let handed: Handed<T> = Rc::default();
    let submitter = executor.submitter({
        let handed = handed.clone();
        move |future| handed.borrow_mut().push(future)
    });
    (submitter, handed)
}

#[test]
fn the_submitter_is_send_sync_and_clone() {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}
    assert_send_sync_clone::<Submitter<CallHandler<u32>>>();
    assert_send_sync_clone::<Submitter<traits_futures::ProgressHandler<u32, String>>>();
}

#[test]
fn ten_thousand_submissions_from_four_threads_appear_on_the_main_thread_once_each() {
    const THREADS: u64 = 4;
    const EACH: u64 = 2_500;
    let executor = TraitsExecutor::new();
    let (submitter, handed) = collecting::<u64>(&executor);
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let submitter = submitter.clone();
            thread::spawn(move || {
                for i in 0..EACH {
                    let id = t * EACH + i;
                    submitter.submit_call(move || id).unwrap();
                }
            })
        })
        .collect();
    drop(submitter);
    let total = (THREADS * EACH) as usize;
    executor
        .run_until(
            || handed.borrow().len() == total && executor.running_tasks() == 0,
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    for thread in threads {
        thread.join().unwrap();
    }
    let handed = handed.borrow();
    assert_eq!(handed.len(), total);
    let mut seen: HashMap<u64, usize> = HashMap::new();
    let mut last_of_thread: HashMap<u64, u64> = HashMap::new();
    for future in handed.iter() {
        assert_eq!(future.state().get(), FutureState::Completed);
        let id = *future.result().unwrap();
        *seen.entry(id).or_default() += 1;
        // One thread's submissions are handed over in the order it made them.
        if let Some(previous) = last_of_thread.insert(id / EACH, id) {
            assert!(previous < id, "{previous} was handed over after {id}");
        }
    }
    assert_eq!(seen.len(), total, "every id appears");
    assert!(seen.values().all(|&n| n == 1), "no id appears twice");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_submit_after_stop_returns_stopped_and_drops_the_submission_unrun() {
    let executor = TraitsExecutor::new();
    let (submitter, handed) = collecting::<u8>(&executor);
    executor.stop().unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let capture = Arc::new(());
    let refused = thread::spawn({
        let (ran, capture) = (ran.clone(), capture.clone());
        move || {
            submitter.submit_call(move || {
                let _keep = capture;
                ran.store(true, Ordering::SeqCst);
                1
            })
        }
    })
    .join()
    .unwrap();
    assert_eq!(refused, Err(RemoteSubmitError::Stopped));
    assert_eq!(
        Arc::strong_count(&capture),
        1,
        "the refused closure was dropped"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert!(!ran.load(Ordering::SeqCst));
    assert!(handed.borrow().is_empty());
}

#[test]
fn a_submitter_made_after_stop_and_one_whose_executor_was_dropped_refuse() {
    let executor = TraitsExecutor::new();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    let (late, _) = collecting::<u8>(&executor);
    assert_eq!(late.submit_call(|| 1), Err(RemoteSubmitError::Stopped));

    let executor = TraitsExecutor::new();
    let (submitter, _) = collecting::<u8>(&executor);
    drop(executor); // without shutdown (logs a warning)
    let refused = thread::spawn(move || submitter.submit_call(|| 1))
        .join()
        .unwrap();
    assert_eq!(refused, Err(RemoteSubmitError::Stopped));
}

#[test]
fn a_submission_queued_when_the_executor_stops_is_dropped_unrun_and_never_handed_over() {
    let executor = TraitsExecutor::new();
    let (submitter, handed) = collecting::<u8>(&executor);
    let ran = Arc::new(AtomicBool::new(false));
    let capture = Arc::new(());
    // Accepted while running; nothing dispatches before the stop.
    thread::spawn({
        let (submitter, ran, capture) = (submitter.clone(), ran.clone(), capture.clone());
        move || {
            submitter.submit_call(move || {
                let _keep = capture;
                ran.store(true, Ordering::SeqCst);
                1
            })
        }
    })
    .join()
    .unwrap()
    .unwrap();
    executor.stop().unwrap();
    assert_eq!(
        Arc::strong_count(&capture),
        1,
        "dropped by the stop, not leaked"
    );
    assert_eq!(submitter.submit_call(|| 2), Err(RemoteSubmitError::Stopped));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert!(!ran.load(Ordering::SeqCst), "the task never ran");
    assert!(handed.borrow().is_empty(), "the callback never saw it");
}

#[test]
fn an_executor_with_a_live_submitter_stops_and_drops_the_callback() {
    let executor = TraitsExecutor::new();
    let captured = Rc::new(());
    let submitter = executor.submitter({
        let captured = captured.clone();
        move |_: CallFuture<u8>| {
            let _ = &captured;
        }
    });
    let call = submit_call(&executor, || 1).unwrap();
    executor
        .run_until(|| call.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        executor.running_tasks(),
        0,
        "a submitter is no running task"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert_eq!(
        Rc::strong_count(&captured),
        1,
        "the callback was dropped at the stop"
    );
    drop(submitter);
}

#[test]
fn dropping_every_submitter_releases_the_callback_after_the_queue_is_handed_over() {
    let executor = TraitsExecutor::new();
    let captured = Rc::new(Cell::new(0));
    let submitter = executor.submitter({
        let captured = captured.clone();
        move |_: CallFuture<u8>| captured.set(captured.get() + 1)
    });
    thread::spawn(move || {
        submitter.submit_call(|| 1).unwrap();
        // the last handle goes with the thread
    })
    .join()
    .unwrap();
    executor
        .run_until(|| Rc::strong_count(&captured) == 1, Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        captured.get(),
        1,
        "the queued submission was handed over first"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_remote_submit_wakes_the_headless_loop() {
    let executor = TraitsExecutor::new();
    let (submitter, handed) = collecting::<u32>(&executor);
    let (go, wait) = mpsc::channel::<u32>();
    let worker = thread::spawn(move || {
        while let Ok(n) = wait.recv() {
            submitter.submit_call(move || n).unwrap();
        }
    });
    // The worker submits while the loop sleeps (no task is running: nothing else wakes it).
    for round in 1..=20 {
        go.send(round).unwrap();
        executor
            .run_until(
                || handed.borrow().len() == round as usize,
                Some(TEST_TIMEOUT),
            )
            .unwrap();
    }
    drop(go);
    worker.join().unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_remote_submit_wakes_the_async_dispatcher() {
    let executor = TraitsExecutor::new();
    let handed = Rc::new(Cell::new(false));
    // A watchdog: if the submission does not wake the dispatcher, it ends the pool's run
    // (through a channel of its own, which wakes the pool), and the assertions below fail.
    let (expired, expiry) = futures::channel::oneshot::channel::<()>();
    let (finished, watch) = mpsc::channel::<()>();
    let submitter = executor.submitter({
        let (handed, executor) = (handed.clone(), executor.clone());
        move |_: CallFuture<u8>| {
            handed.set(true);
            let _ = finished.send(()); // the watchdog stands down
            let _ = executor.stop();
        }
    });
    let watchdog = thread::spawn(move || {
        if watch.recv_timeout(TEST_TIMEOUT).is_err() {
            let _ = expired.send(());
        }
    });
    let timed_out = Rc::new(Cell::new(false));
    let (go, wait) = mpsc::channel::<()>();
    let worker = thread::spawn(move || {
        wait.recv().unwrap();
        submitter.submit_call(|| 1).unwrap();
    });
    let mut pool = LocalPool::new();
    pool.spawner().spawn_local(executor.dispatcher()).unwrap();
    pool.spawner()
        .spawn_local({
            let (executor, timed_out) = (executor.clone(), timed_out.clone());
            async move {
                if expiry.await.is_ok() {
                    timed_out.set(true);
                    let _ = executor.stop();
                }
            }
        })
        .unwrap();
    pool.run_until_stalled(); // the dispatcher is parked, waiting for a wake
    go.send(()).unwrap();
    pool.run(); // ends once the dispatcher sees Stopped and the watchdog's task ends
    watchdog.join().unwrap();
    worker.join().unwrap();
    assert!(!timed_out.get(), "the submission woke the dispatcher");
    assert!(handed.get());
}

#[test]
fn a_remote_submit_calls_the_wake_callback() {
    let executor = TraitsExecutor::new();
    let (submitter, handed) = collecting::<u8>(&executor);
    let (woken, wakes) = mpsc::channel::<()>();
    let woken = std::sync::Mutex::new(woken);
    executor.set_wake_callback(move || {
        let _ = woken.lock().unwrap().send(());
    });
    thread::spawn(move || submitter.submit_call(|| 1).unwrap())
        .join()
        .unwrap();
    // A notify loop: dispatch only when woken.
    while handed.borrow().is_empty() {
        wakes
            .recv_timeout(TEST_TIMEOUT)
            .expect("woken by the submission");
        executor.dispatch_pending();
    }
    assert_eq!(handed.borrow().len(), 1);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_flood_of_submissions_is_handed_over_within_the_dispatch_budget() {
    let executor = TraitsExecutor::new();
    let (submitter, handed) = collecting::<u32>(&executor);
    thread::spawn(move || {
        for n in 0..100 {
            submitter.submit_call(move || n).unwrap();
        }
    })
    .join()
    .unwrap();
    let first = executor.dispatch_within(DispatchBudget::messages(10));
    assert_eq!(first.delivered, 10);
    assert!(first.more_pending);
    assert_eq!(
        handed.borrow().len(),
        10,
        "one submission counts as one message"
    );
    executor
        .run_until(
            || handed.borrow().len() == 100 && executor.running_tasks() == 0,
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    let ids: Vec<u32> = handed
        .borrow()
        .iter()
        .map(|f| *f.result().unwrap())
        .collect();
    assert_eq!(ids, (0..100).collect::<Vec<_>>(), "in order, once each");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_panicking_callback_resumes_out_of_the_dispatch_and_the_rest_are_handed_over_next() {
    quiet();
    let executor = TraitsExecutor::new();
    let handed: Handed<u32> = Rc::default();
    let submitter = executor.submitter({
        let handed = handed.clone();
        move |future: CallFuture<u32>| {
            let first = handed.borrow().is_empty();
            handed.borrow_mut().push(future.clone());
            if first {
                panic!("{MARK} the first callback panics");
            }
        }
    });
    let (ran, task_ran) = mpsc::channel::<u32>();
    thread::spawn(move || {
        for n in 0..3 {
            let ran = ran.clone();
            submitter
                .submit_call(move || {
                    let _ = ran.send(n);
                    n
                })
                .unwrap();
        }
    })
    .join()
    .unwrap();
    let panicked = panic::catch_unwind(AssertUnwindSafe(|| {
        executor.run_until(|| handed.borrow().len() == 3, Some(TEST_TIMEOUT))
    }));
    assert!(
        panicked.is_err(),
        "the callback's panic came out of run_until"
    );
    assert_eq!(handed.borrow().len(), 1);
    executor
        .run_until(
            || handed.borrow().len() == 3 && executor.running_tasks() == 0,
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    let ids: Vec<u32> = handed
        .borrow()
        .iter()
        .map(|f| *f.result().unwrap())
        .collect();
    assert_eq!(ids, [0, 1, 2], "nothing lost, in order");
    let mut ran: Vec<u32> = (0..3)
        .map(|_| task_ran.recv_timeout(TEST_TIMEOUT).unwrap())
        .collect();
    ran.sort();
    assert_eq!(ran, [0, 1, 2], "the panicking callback's task ran too");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_panicking_callback_in_a_notify_loop_gets_a_new_wake_for_the_rest() {
    quiet();
    let executor = TraitsExecutor::new();
    let count = Rc::new(Cell::new(0));
    let submitter = executor.submitter({
        let count = count.clone();
        move |_: CallFuture<u8>| {
            count.set(count.get() + 1);
            if count.get() == 1 {
                panic!("{MARK} the first callback panics");
            }
        }
    });
    let (woken, wakes) = mpsc::channel::<()>();
    let woken = std::sync::Mutex::new(woken);
    executor.set_wake_callback(move || {
        let _ = woken.lock().unwrap().send(());
    });
    let barrier = Arc::new(Barrier::new(2));
    let worker = thread::spawn({
        let barrier = barrier.clone();
        move || {
            submitter.submit_call(|| 1).unwrap();
            submitter.submit_call(|| 2).unwrap();
            barrier.wait();
        }
    });
    barrier.wait();
    let mut panics = 0;
    while count.get() < 2 {
        wakes.recv_timeout(TEST_TIMEOUT).expect("woken");
        if panic::catch_unwind(AssertUnwindSafe(|| executor.dispatch_pending())).is_err() {
            panics += 1;
        }
    }
    assert_eq!((panics, count.get()), (1, 2));
    worker.join().unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// Counts a submission dropped before the main thread made its future.
struct Unmade(Arc<AtomicUsize>, bool);

impl Drop for Unmade {
    fn drop(&mut self) {
        if !self.1 {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[test]
fn every_submission_racing_a_stop_is_refused_handed_over_or_dropped_unmade_exactly_once() {
    const THREADS: usize = 4;
    let executor = TraitsExecutor::new();
    let (submitter, handed) = collecting::<usize>(&executor);
    let unmade = Arc::new(AtomicUsize::new(0));
    let start = Arc::new(Barrier::new(THREADS + 1));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (submitter, unmade, start) = (submitter.clone(), unmade.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let (mut accepted, mut refused) = (0, 0);
                // Until refused, then a few more (each must be refused too).
                while refused < 10 {
                    let guard = Unmade(unmade.clone(), false);
                    let id = accepted;
                    let result = submitter.submit_with(move |executor| {
                        let mut guard = guard; // the whole guard, not its field
                        guard.1 = true;
                        submit_call(executor, move || id)
                    });
                    match result {
                        Ok(()) => {
                            assert_eq!(refused, 0, "accepted after a refusal");
                            accepted += 1;
                        }
                        Err(RemoteSubmitError::Stopped) => refused += 1,
                    }
                }
                (accepted, refused)
            })
        })
        .collect();
    drop(submitter);
    start.wait();
    executor
        .run_until(|| handed.borrow().len() >= 1_000, Some(TEST_TIMEOUT))
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    let (mut accepted, mut refused) = (0, 0);
    for thread in threads {
        let (a, r) = thread.join().unwrap();
        (accepted, refused) = (accepted + a, refused + r);
    }
    let handed = handed.borrow();
    // A refused submission is dropped unmade too (on its thread).
    assert_eq!(
        accepted + refused,
        handed.len() + unmade.load(Ordering::SeqCst),
        "each submission was handed over or dropped unmade, once"
    );
    assert!(handed.len() >= 1_000);
    assert!(handed.iter().all(|future| matches!(
        future.state().get(),
        FutureState::Completed | FutureState::Cancelled
    )));
}
