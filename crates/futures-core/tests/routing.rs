//! Message routing: behaviour f90–f93 (f94, the thread count, is in `tests/threads.rs`).
//!
//! Busy workers are held with channels and barriers, never with sleeps. To know that a finished
//! task's messages are all queued without dispatching them, a test runs its tasks on a pool of
//! one worker and waits for a later "marker" task to signal: the marker can only start after the
//! earlier jobs returned, and a job sends its task's final message before it returns.

mod common;
use common::Stream;

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::error::Error;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, Once};
use std::thread::{self, ThreadId};
use std::time::{Duration, Instant};

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_generator, submit_iteration, BackgroundTask, FutureHandler, FutureState,
    IterationFuture, Job, PoolClosed, SubmitError, TaskCancelled, TaskContext, TaskFuture,
    ThreadPool, TraitsExecutor, WorkerPool,
};

type TestResult = Result<(), Box<dyn Error>>;

// ---------------------------------------------------------------------------------------------
// Log capture: the router logs what it discards. Lines are kept with the thread that logged
// them, so that tests running in parallel do not see each other's lines.

struct Capture;

static LINES: Mutex<Vec<(ThreadId, log::Level, String)>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = (
            thread::current().id(),
            record.level(),
            record.args().to_string(),
        );
        LINES.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture;

fn capture_logs() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        log::set_logger(&CAPTURE).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
    });
}

/// Lines logged on this thread so far.
fn lines_logged_here() -> Vec<(log::Level, String)> {
    let me = thread::current().id();
    LINES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(thread, _, _)| *thread == me)
        .map(|(_, level, line)| (*level, line.clone()))
        .collect()
}

// ---------------------------------------------------------------------------------------------

/// Waits (bounded) for a worker's signal.
fn wait_for(signal: &Receiver<()>) {
    signal
        .recv_timeout(TEST_TIMEOUT)
        .expect("the worker should have signalled");
}

/// Submits a call that signals when a worker runs it. On a one-worker pool, once it has
/// signalled, every earlier task has finished and all its messages are queued.
fn submit_marker(executor: &TraitsExecutor) -> Receiver<()> {
    let (tx, rx) = mpsc::channel();
    submit_call(executor, move || {
        let _ = tx.send(());
    })
    .expect("a running executor accepts tasks");
    rx
}

#[test]
fn f90_64_tasks_times_64_messages_reach_their_own_future_in_order() -> TestResult {
    const TASKS: usize = 64;
    const MESSAGES: usize = 64;
    let executor = TraitsExecutor::builder().max_workers(8).build()?;
    let futures: Vec<IterationFuture<(usize, usize), usize, TaskCancelled>> = (0..TASKS)
        .map(|task| {
            submit_generator(&executor, move |items: &TaskContext<'_, (usize, usize)>| {
                for message in 0..MESSAGES {
                    items.send((task, message))?;
                }
                Ok(task)
            })
        })
        .collect::<Result<_, _>>()?;
    let received: Vec<_> = futures.iter().map(|f| Recorder::event(f.items())).collect();

    executor.run_until(
        || futures.iter().all(|f| f.done().get()),
        Some(TEST_TIMEOUT),
    )?;

    for (task, (future, received)) in futures.iter().zip(&received).enumerate() {
        assert_eq!(future.state().get(), FutureState::Completed);
        assert_eq!(future.result(), Ok(&task));
        let expected: Vec<_> = (0..MESSAGES).map(|message| (task, message)).collect();
        assert_eq!(received.values(), expected, "future {task}");
    }
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn f90_one_task_messages_arrive_in_send_order_across_batches() -> TestResult {
    const ITEMS: u32 = 20_000;
    let executor = TraitsExecutor::builder().max_workers(2).build()?;
    let future = submit_iteration(&executor, || 0..ITEMS)?;
    let received = Recorder::event(future.items());
    // Dispatching while the worker is still sending: the messages arrive in many batches.
    executor.run_until(|| future.done().get(), Some(TEST_TIMEOUT))?;
    assert_eq!(received.values(), (0..ITEMS).collect::<Vec<_>>());
    executor.shutdown(None)?;
    Ok(())
}

/// A custom future's main-thread half: records every custom message it is handed.
#[derive(Default)]
struct Record {
    seen: RefCell<Vec<u32>>,
}

impl FutureHandler for Record {
    type Message = u32;
    type Output = &'static str;
    type Error = Infallible;
    fn on_message(&self, message: u32) {
        self.seen.borrow_mut().push(message);
    }
}

/// Its background half: sends `before`, signals `queued`, waits for `release`, then tries to
/// send `after`, reporting every send that was refused.
struct Chatty {
    before: Vec<u32>,
    after: Vec<u32>,
    queued: Sender<()>,
    release: Receiver<()>,
    refused: Sender<u32>,
}

impl BackgroundTask for Chatty {
    type Message = u32;
    type Output = &'static str;
    type Error = Infallible;
    fn run(self, context: &TaskContext<'_, u32>) -> Result<&'static str, Infallible> {
        for message in self.before {
            let _ = context.send(message);
        }
        let _ = self.queued.send(());
        let _ = self.release.recv();
        for message in self.after {
            if context.send(message).is_err() {
                let _ = self.refused.send(message);
            }
        }
        Ok("done")
    }
}

struct ChattyRun {
    future: TaskFuture<Record>,
    queued: Receiver<()>,
    release: Sender<()>,
    refused: Receiver<u32>,
}

fn submit_chatty(executor: &TraitsExecutor, before: &[u32], after: &[u32]) -> ChattyRun {
    let (queued_tx, queued) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let (refused_tx, refused) = mpsc::channel();
    let task = Chatty {
        before: before.to_vec(),
        after: after.to_vec(),
        queued: queued_tx,
        release: release_rx,
        refused: refused_tx,
    };
    let future = executor
        .submit((Record::default(), task))
        .expect("a running executor accepts tasks");
    ChattyRun {
        future,
        queued,
        release,
        refused,
    }
}

/// f91 proxy. Through the public API a task cannot send after its final message (the
/// `TaskContext` is borrowed only for `run`, and the executor sends the final message after
/// `run` returns), so a closed pipe cannot be fed. What is observable: once a future is done,
/// further dispatching delivers nothing more to it, and its state and pipe stay closed.
#[test]
fn f91_nothing_is_delivered_to_a_future_once_it_is_done() -> TestResult {
    capture_logs();
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let run = submit_chatty(&executor, &[1, 2, 3], &[4, 5]);
    let states = Recorder::observable(run.future.state());
    run.release.send(())?;
    executor.run_until(|| run.future.done().get(), Some(TEST_TIMEOUT))?;
    assert_eq!(*run.future.seen.borrow(), [1, 2, 3, 4, 5]);
    assert_eq!(run.future.result(), Ok(&"done"));
    assert!(run.refused.try_recv().is_err());
    let states_when_done = states.values();
    assert_eq!(
        states_when_done,
        [
            FutureState::Waiting,
            FutureState::Executing,
            FutureState::Completed
        ]
    );
    assert_eq!(executor.running_tasks(), 0);

    executor.exercise_event_loop(TEST_TIMEOUT)?;
    assert_eq!(executor.dispatch_pending(), 0);
    assert!(executor
        .run_until(|| false, Some(Duration::from_millis(20)))
        .is_err());
    assert_eq!(*run.future.seen.borrow(), [1, 2, 3, 4, 5]);
    assert_eq!(states.values(), states_when_done);
    assert_eq!(executor.running_tasks(), 0);
    assert!(!lines_logged_here()
        .iter()
        .any(|(_, line)| line.contains("protocol violation")));
    executor.shutdown(None)?;
    Ok(())
}

/// f91 proxy: after a cancel, messages already queued are discarded unseen, later sends are
/// refused at the source, and nothing reaches the future afterwards.
#[test]
fn f91_messages_after_a_cancel_are_never_delivered() -> TestResult {
    capture_logs();
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let run = submit_chatty(&executor, &[1, 2, 3], &[4, 5, 6]);
    let states = Recorder::observable(run.future.state());
    wait_for(&run.queued);
    // S, 1, 2, 3 are queued, none dispatched.
    assert!(run.future.cancel());
    run.release.send(())?;
    executor.run_until(|| run.future.done().get(), Some(TEST_TIMEOUT))?;

    let refused: Vec<u32> = run.refused.try_iter().collect();
    assert_eq!(refused, [4, 5, 6]);
    assert!(run.future.seen.borrow().is_empty());
    assert_eq!(
        states.values(),
        [
            FutureState::Waiting,
            FutureState::Cancelling,
            FutureState::Cancelled
        ]
    );

    executor.exercise_event_loop(TEST_TIMEOUT)?;
    assert_eq!(executor.dispatch_pending(), 0);
    assert!(run.future.seen.borrow().is_empty());
    assert_eq!(run.future.state().get(), FutureState::Cancelled);
    assert!(run.future.result().is_err());
    // Discarding after a cancel is the protocol, not a violation.
    assert!(!lines_logged_here()
        .iter()
        .any(|(_, line)| line.contains("protocol violation")));
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn f92_condition_is_checked_first() -> TestResult {
    // No task, no messages, zero timeout, or no timeout at all.
    let fresh = TraitsExecutor::new();
    let calls = Cell::new(0);
    fresh.run_until(
        || {
            calls.set(calls.get() + 1);
            true
        },
        Some(Duration::ZERO),
    )?;
    assert_eq!(calls.get(), 1);
    fresh.run_until(|| true, None)?;
    fresh.shutdown(None)?;

    // Messages queued: a condition that already holds dispatches none of them.
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let future = submit_call(&executor, || 1)?;
    wait_for(&submit_marker(&executor));
    executor.run_until(|| true, Some(Duration::ZERO))?;
    executor.run_until(|| true, None)?;
    assert_eq!(future.state().get(), FutureState::Waiting);
    assert!(executor.dispatch_pending() >= 2);
    assert_eq!(future.result(), Ok(&1));
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn f92_one_overall_deadline_not_reset_by_messages() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    // Messages keep arriving for 3 s; a deadline reset by each message would not expire before.
    let stream = Stream::start(&executor, Duration::from_secs(3));
    let timeout = Duration::from_millis(200);
    let began = Instant::now();
    let outcome = executor.run_until(|| false, Some(timeout));
    let elapsed = began.elapsed();
    let delivered = stream.delivered.get();

    assert_eq!(outcome.unwrap_err().timeout, timeout);
    assert!(elapsed >= timeout, "returned early: {elapsed:?}");
    assert!(
        elapsed < Duration::from_secs(2),
        "deadline not honoured: {elapsed:?}"
    );
    assert!(
        delivered > 1,
        "messages kept arriving during the run ({delivered})"
    );
    stream.stop(&executor);
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn f92_queued_messages_are_drained_before_a_timeout_even_with_zero() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(1).build()?;
    let first = submit_generator(&executor, |items: &TaskContext<'_, u32>| {
        for n in 0..100 {
            items.send(n)?;
        }
        Ok::<_, TaskCancelled>("first")
    })?;
    let second = submit_call(&executor, || 2)?;
    let first_items = Recorder::event(first.items());
    wait_for(&submit_marker(&executor));
    assert_eq!(first.state().get(), FutureState::Waiting);

    // Everything of `first` is queued: a zero timeout still dispatches it all.
    executor.run_until(|| first.done().get(), Some(Duration::ZERO))?;
    assert_eq!(first.result(), Ok(&"first"));
    assert_eq!(first_items.values(), (0..100).collect::<Vec<_>>());
    // Stopped right after `first` ended: `second` is still undispatched.
    assert_eq!(second.state().get(), FutureState::Waiting);

    // A condition that never holds: the queue is drained, then the timeout is reported.
    let error = executor
        .run_until(|| false, Some(Duration::ZERO))
        .unwrap_err();
    assert_eq!(error.timeout, Duration::ZERO);
    assert_eq!(second.result(), Ok(&2));
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn f92_dispatches_on_the_calling_thread_and_stays_usable_after_a_timeout() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(2).build()?;
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let slow = submit_call(&executor, move || {
        let _ = release_rx.recv();
        "slow"
    })?;
    let threads = Rc::new(RefCell::new(Vec::new()));
    let _guard = slow.state().observe({
        let threads = Rc::clone(&threads);
        move |_, _| threads.borrow_mut().push(thread::current().id())
    });

    assert!(executor
        .run_until(|| slow.done().get(), Some(Duration::from_millis(50)))
        .is_err());
    assert!(!slow.done().get());

    // Still usable: new work, and the same condition once it can hold.
    let quick = submit_call(&executor, || 40 + 2)?;
    executor.run_until(|| quick.done().get(), Some(TEST_TIMEOUT))?;
    assert_eq!(quick.result(), Ok(&42));
    release_tx.send(())?;
    executor.run_until(|| slow.done().get(), Some(TEST_TIMEOUT))?;
    assert_eq!(slow.result(), Ok(&"slow"));
    let me = thread::current().id();
    assert_eq!(*threads.borrow(), [me, me]); // Executing, Completed
    executor.shutdown(None)?;
    Ok(())
}

#[test]
fn f93_drained_queue_never_blocks_or_hangs() -> TestResult {
    let executor = TraitsExecutor::builder().max_workers(4).build()?;
    let futures: Vec<IterationFuture<u32>> = (0..8)
        .map(|_| submit_iteration(&executor, || 0..1_000))
        .collect::<Result<_, _>>()?;
    executor.run_until(
        || futures.iter().all(|f| f.done().get()),
        Some(TEST_TIMEOUT),
    )?;

    for _ in 0..3 {
        assert_eq!(executor.dispatch_pending(), 0);
        let began = Instant::now();
        assert!(executor
            .run_until(|| false, Some(Duration::from_millis(50)))
            .is_err());
        assert!(began.elapsed() < Duration::from_secs(1));
        executor.exercise_event_loop(TEST_TIMEOUT)?;
    }
    assert_eq!(executor.dispatch_pending(), 0);
    executor.shutdown(None)?;
    Ok(())
}

/// A pool that can be closed: closed, it drops jobs unrun.
struct ClosablePool {
    inner: ThreadPool,
    closed: AtomicBool,
}

impl WorkerPool for ClosablePool {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(PoolClosed);
        }
        self.inner.execute(job)
    }
}

#[test]
fn f93_stale_wake_up_for_a_removed_pipe_is_ignored() -> TestResult {
    capture_logs();
    let pool = Arc::new(ClosablePool {
        inner: ThreadPool::new(1),
        closed: AtomicBool::new(false),
    });
    let executor = TraitsExecutor::builder()
        .worker_pool(pool.clone())
        .build()?;
    let before = submit_call(&executor, || "before")?;
    executor.run_until(|| before.done().get(), Some(TEST_TIMEOUT))?;

    // A refused submit: the dropped job still queues its messages and wakes the router for a
    // pipe the executor has already forgotten.
    pool.closed.store(true, Ordering::SeqCst);
    assert_eq!(
        submit_call(&executor, || "refused").unwrap_err(),
        SubmitError::PoolClosed
    );
    let logged = lines_logged_here().len();
    assert_eq!(executor.dispatch_pending(), 0);
    let new_lines = lines_logged_here().split_off(logged);
    assert!(
        new_lines
            .iter()
            .any(|(_, line)| line.contains("wake-up for a finished future ignored")),
        "the stale wake-up was seen and ignored: {new_lines:?}"
    );
    let began = Instant::now();
    assert!(executor
        .run_until(|| false, Some(Duration::from_millis(50)))
        .is_err());
    assert!(began.elapsed() < Duration::from_secs(1));
    assert_eq!(executor.running_tasks(), 0);

    // The executor and the other futures are unaffected.
    pool.closed.store(false, Ordering::SeqCst);
    let after = submit_call(&executor, || "after")?;
    executor.run_until(|| after.done().get(), Some(TEST_TIMEOUT))?;
    assert_eq!(before.result(), Ok(&"before"));
    assert_eq!(after.result(), Ok(&"after"));
    executor.shutdown(None)?;
    pool.inner.shutdown();
    Ok(())
}
