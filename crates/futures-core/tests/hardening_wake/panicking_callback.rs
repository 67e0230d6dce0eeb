//! 1. A wake callback that panics on a worker.

use super::*;

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
