//! The loop waker (issue 22, section 6): `TraitsExecutor::waker()` hands out a
//! `Send + Sync + Clone` [`LoopWaker`] whose `wake()`, from any thread, makes the headless loop
//! re-check its condition although no task sent anything, wakes every async `Dispatcher`, and
//! calls the notify integration's wake callback. A Ctrl-C handler cancels through it.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};
use std::thread;
use std::time::{Duration, Instant};

use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_progress, ExecutorState, FutureState, LoopWaker, TraitsExecutor,
};

/// Raises `flag`, then wakes the loop, from another thread.
fn raise_from_another_thread(flag: &Arc<AtomicBool>, waker: &LoopWaker) -> thread::JoinHandle<()> {
    let (flag, waker) = (Arc::clone(flag), waker.clone());
    thread::spawn(move || {
        flag.store(true, Ordering::SeqCst);
        waker.wake();
    })
}

#[test]
fn a_loop_waker_is_send_sync_clone_and_debug() {
    fn assert_traits<T: Send + Sync + Clone + std::fmt::Debug + 'static>() {}
    assert_traits::<LoopWaker>();
}

#[test]
fn a_wake_from_another_thread_makes_run_until_recheck_its_condition_with_no_task() {
    let executor = TraitsExecutor::new();
    let waker = executor.waker();
    let flag = Arc::new(AtomicBool::new(false));
    let raiser = raise_from_another_thread(&flag, &waker);
    executor
        .run_until(|| flag.load(Ordering::SeqCst), Some(TEST_TIMEOUT))
        .expect("the wake did not make the loop look at its condition");
    raiser.join().unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_wake_reaches_run_until_while_a_task_runs_silently() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (release, gate) = mpsc::channel::<()>();
    let silent = submit_call(&executor, move || gate.recv_timeout(TEST_TIMEOUT).is_ok()).unwrap();
    executor
        .run_until(
            || silent.state().get() == FutureState::Executing,
            Some(TEST_TIMEOUT),
        )
        .unwrap();

    // The run sleeps: the task sends nothing until released.
    let flag = Arc::new(AtomicBool::new(false));
    let waker = executor.waker();
    let raiser = thread::spawn({
        let (flag, waker) = (Arc::clone(&flag), waker.clone());
        move || {
            flag.store(true, Ordering::SeqCst);
            waker.wake();
        }
    });
    executor
        .run_until(
            || silent.done().get() || flag.load(Ordering::SeqCst),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(silent.state().get(), FutureState::Executing);
    raiser.join().unwrap();
    release.send(()).unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_wake_racing_the_loop_going_to_sleep_is_never_lost() {
    let executor = TraitsExecutor::new();
    let waker = executor.waker();
    for round in 0..200 {
        let flag = Arc::new(AtomicBool::new(false));
        // Rounds alternate between waking at once and waking after a few yields, so that the
        // wake falls before, during and after the loop's first look.
        let raiser = thread::spawn({
            let (flag, waker) = (Arc::clone(&flag), waker.clone());
            move || {
                for _ in 0..(round % 7) {
                    thread::yield_now();
                }
                flag.store(true, Ordering::SeqCst);
                waker.wake();
            }
        });
        executor
            .run_until(|| flag.load(Ordering::SeqCst), Some(TEST_TIMEOUT))
            .unwrap_or_else(|_| panic!("round {round}: the wake was lost"));
        raiser.join().unwrap();
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn every_wake_calls_the_wake_callback_even_with_no_message() {
    let executor = TraitsExecutor::new();
    let (sender, wakes) = mpsc::channel();
    let sender = std::sync::Mutex::new(sender);
    executor.set_wake_callback(move || {
        let _ = sender.lock().unwrap().send(thread::current().id());
    });
    let waker = executor.waker();
    for _ in 0..3 {
        let waker = waker.clone();
        let waking = thread::spawn(move || {
            waker.wake();
            thread::current().id()
        });
        let woke_on = waking.join().unwrap();
        // Called once per wake, on the waking thread.
        assert_eq!(wakes.recv_timeout(TEST_TIMEOUT).unwrap(), woke_on);
    }
    assert!(wakes.try_recv().is_err());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

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

#[test]
fn a_wake_wakes_every_async_dispatcher() {
    let executor = TraitsExecutor::new();
    let counters = [
        Arc::new(CountingWaker::default()),
        Arc::new(CountingWaker::default()),
    ];
    let mut dispatchers: Vec<_> = counters
        .iter()
        .map(|counter| {
            let mut dispatcher = executor.dispatcher();
            let waker = Waker::from(Arc::clone(counter));
            let pending = Pin::new(&mut dispatcher)
                .poll(&mut Context::from_waker(&waker))
                .is_pending();
            assert!(pending);
            dispatcher
        })
        .collect();
    let waker = executor.waker();
    thread::spawn(move || waker.wake()).join().unwrap();
    for counter in &counters {
        assert_eq!(counter.0.load(Ordering::SeqCst), 1);
    }
    executor.stop().unwrap();
    for (dispatcher, counter) in dispatchers.iter_mut().zip(&counters) {
        let waker = Waker::from(Arc::clone(counter));
        assert!(Pin::new(dispatcher)
            .poll(&mut Context::from_waker(&waker))
            .is_ready());
    }
}

#[test]
fn a_wake_whose_callback_panics_does_not_panic_the_waking_thread() {
    let executor = TraitsExecutor::new();
    executor.set_wake_callback(|| panic!("loop-waker: the UI's channel is closed"));
    let waker = executor.waker();
    let flag = Arc::new(AtomicBool::new(false));
    let raiser = raise_from_another_thread(&flag, &waker);
    executor
        .run_until(|| flag.load(Ordering::SeqCst), Some(TEST_TIMEOUT))
        .unwrap();
    raiser.join().expect("the waking thread survived");
    // After Stopped the callback is gone; its last call at Stopped panics too, and is caught.
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_waker_stays_harmless_after_the_executor_is_stopped_and_dropped() {
    let executor = TraitsExecutor::new();
    let waker = executor.waker();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    waker.wake();
    // A stopped executor's loop still re-checks when woken.
    let flag = Arc::new(AtomicBool::new(false));
    let raiser = raise_from_another_thread(&flag, &waker);
    executor
        .run_until(|| flag.load(Ordering::SeqCst), Some(TEST_TIMEOUT))
        .unwrap();
    raiser.join().unwrap();
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    drop(executor);
    waker.wake();
    thread::spawn(move || waker.wake()).join().unwrap();
}

/// The Ctrl-C pattern of `examples/ctrl_c.rs`, with the handler played by a thread: a long task
/// reports progress once, then works silently; the "handler" raises a flag and wakes the loop,
/// which cancels the task.
#[test]
fn a_handler_thread_cancels_a_silent_long_task_through_the_waker() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let task = submit_progress(&executor, |reporter| {
        reporter.report(1u32)?;
        let began = Instant::now();
        // Silent work, checking for a cancel now and then.
        while began.elapsed() < TEST_TIMEOUT {
            if reporter.cancelled() {
                return Ok("interrupted");
            }
            thread::sleep(Duration::from_millis(1));
        }
        Ok("finished")
    })
    .unwrap();
    let interrupted = Arc::new(AtomicBool::new(false));
    let waker = executor.waker();
    let handler = Rc::new(RefCell::new(None));
    let _first_report = task.reports().observe({
        let (interrupted, waker, handler) =
            (Arc::clone(&interrupted), waker.clone(), Rc::clone(&handler));
        move |_| {
            let (interrupted, waker) = (Arc::clone(&interrupted), waker.clone());
            // The "Ctrl-C" comes from another thread once the first report is shown.
            *handler.borrow_mut() = Some(thread::spawn(move || {
                interrupted.store(true, Ordering::SeqCst);
                waker.wake();
            }));
        }
    });

    executor
        .run_until(
            || task.done().get() || interrupted.load(Ordering::SeqCst),
            Some(TEST_TIMEOUT),
        )
        .expect("the interrupt did not wake the loop");
    assert!(task.cancel());
    executor
        .run_until(|| task.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(task.state().get(), FutureState::Cancelled);
    let handler = handler.borrow_mut().take();
    handler.expect("the first report was shown").join().unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
