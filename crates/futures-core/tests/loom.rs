//! Model checking of the cross-thread handshakes with loom.
//!
//! Run with `just loom`, that is
//! `RUSTFLAGS="--cfg loom" cargo test -p traits-futures --release --test loom`
//! (with `CARGO_TARGET_DIR=target/loom`, so that the normal build's cache survives).
//!
//! In that build the library's pipes, router and runner use loom's mutexes and atomics
//! (`src/sync.rs`; where the main thread would sleep until a key is announced, it yields and
//! looks again), so every model below drives the real code through the public API: a real
//! `TraitsExecutor`, on a `WorkerPool` that runs each job on a loom thread, with the main
//! thread's part (`dispatch_pending`, `cancel`, the wake callback) run by the model's main
//! thread. loom then explores every interleaving of those threads (and every value a load may
//! read under the C++ memory model). The one internal reached is
//! [`loom_api::queued_inputs`](traits_futures::loom_api::queued_inputs), to see which messages a
//! task queued before they are dispatched.
//!
//! Models:
//! * the coalesced wake-up, with the main thread dispatching while a worker sends
//!   (`wake_up_*`): no message is ever stranded (each is dispatched, or a wake was requested after
//!   the main thread's last drain began), and at most one wake is requested per drain;
//! * a burst with no drain in between costs exactly one wake (`burst_*`);
//! * a wake callback installed while messages wait, and while a worker sends more, is called
//!   (once, at once) and loses none of them, although a wake was requested before it with no
//!   callback to hear it (`wake_callback_installed_*`);
//! * a `LoopWaker`'s wake from another thread always ends the headless loop's sleep, so that it
//!   re-checks its condition (`loop_waker_*`);
//! * cancellation racing the start of a task (`cancel_*`): exactly one of `Abandoned`/`Started`
//!   is queued, the task never runs once its worker could see the cancel, and nothing is
//!   delivered after `cancel()`.

//!
//! `Router::clear_wake_pending` is a `swap(false, AcqRel)`, not a `store(false, Release)`. With
//! the store, `wake_up_is_never_lost_with_two_workers` fails: loom lets the main thread's store
//! fall between the read and the write of a worker's `swap(true)` (loom issues #254 and #389),
//! an execution the C++ model forbids once the announcements' mutex orders the clear before the
//! other worker's announcement. The swap does not lean on that mutex: a clear that follows a
//! worker's swap acquires it, and with it the key, however the keys are queued (an earlier,
//! lock-free queue of keys needed exactly that).

#![cfg(loom)]

use std::sync::atomic::{AtomicUsize as StdAtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex as StdMutex, Once};

use loom::sync::atomic::{AtomicBool, Ordering};
use loom::thread::{self, JoinHandle};

use traits_futures::loom_api::queued_inputs;
use traits_futures::testing::Recorder;
use traits_futures::{
    submit_call, submit_iteration, ExecutorState, FutureState, Input, Job, PoolClosed,
    TraitsExecutor, WorkerPool,
};

// ---------------------------------------------------------------------------------------------
// Harness

/// How the pool treats a job.
#[derive(Clone, Copy)]
enum Mode {
    /// Runs it on a new loom thread.
    Run,
    /// Drops it unrun on a new loom thread (a pool shutting down).
    Drop,
}

/// A pool that hands every job to a loom thread of its own.
struct LoomPool {
    mode: Mode,
    /// Read by each worker just before it runs its job (see `cancel_never_runs_an_observed_cancel`).
    before_job: Option<Arc<AtomicBool>>,
    /// What each worker read from `before_job`.
    observed: Arc<StdMutex<Vec<bool>>>,
    threads: StdMutex<Vec<JoinHandle<()>>>,
}

impl LoomPool {
    fn new(mode: Mode) -> Arc<Self> {
        Self::with_signal(mode, None)
    }

    fn with_signal(mode: Mode, before_job: Option<Arc<AtomicBool>>) -> Arc<Self> {
        Arc::new(LoomPool {
            mode,
            before_job,
            observed: Arc::default(),
            threads: StdMutex::default(),
        })
    }

    /// Joins every worker started so far.
    fn join(&self) {
        let threads = std::mem::take(&mut *self.threads.lock().unwrap());
        for thread in threads {
            thread.join().unwrap();
        }
    }

    fn observed(&self) -> Vec<bool> {
        self.observed.lock().unwrap().clone()
    }
}

impl WorkerPool for LoomPool {
    fn execute(&self, job: Job) -> Result<(), PoolClosed> {
        let mode = self.mode;
        let before_job = self.before_job.clone();
        let observed = Arc::clone(&self.observed);
        let handle = thread::spawn(move || {
            if let Some(signal) = before_job {
                let seen = signal.load(Ordering::Acquire);
                observed.lock().unwrap().push(seen);
            }
            match mode {
                Mode::Run => job(),
                Mode::Drop => drop(job),
            }
        });
        self.threads.lock().unwrap().push(handle);
        Ok(())
    }
}

fn executor_on(pool: &Arc<LoomPool>) -> TraitsExecutor {
    TraitsExecutor::builder()
        .worker_pool(Arc::clone(pool) as Arc<dyn WorkerPool>)
        .build()
        .unwrap()
}

/// The wake callback's record: `requested` is set by every wake (a loom atomic, so that the
/// model sees how it is ordered with the main thread's reset), `count` counts them.
#[derive(Clone)]
struct Wakes {
    requested: Arc<AtomicBool>,
    count: Arc<StdAtomicUsize>,
}

impl Wakes {
    fn install(executor: &TraitsExecutor) -> Self {
        let wakes = Wakes {
            requested: Arc::new(AtomicBool::new(false)),
            count: Arc::new(StdAtomicUsize::new(0)),
        };
        let hook = wakes.clone();
        executor.set_wake_callback(move || {
            hook.count.fetch_add(1, SeqCst);
            hook.requested.store(true, Ordering::Release);
        });
        wakes
    }

    /// What a UI's event loop does when it runs: forget the wake-ups so far, then dispatch.
    fn drain(&self, executor: &TraitsExecutor) -> usize {
        self.requested.store(false, Ordering::Relaxed);
        executor.dispatch_pending()
    }

    fn requested(&self) -> bool {
        self.requested.load(Ordering::Acquire)
    }

    fn count(&self) -> usize {
        self.count.load(SeqCst)
    }
}

/// Counts the library's protocol-violation log lines (a message the state machine rejected).
struct ViolationCounter;

static VIOLATIONS: StdAtomicUsize = StdAtomicUsize::new(0);

impl log::Log for ViolationCounter {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Error
    }
    fn log(&self, record: &log::Record<'_>) {
        if record.level() == log::Level::Error {
            VIOLATIONS.fetch_add(1, SeqCst);
        }
    }
    fn flush(&self) {}
}

/// Starts one model iteration: installs the logger once, and resets the violation count (loom
/// runs the iterations one after the other).
fn start_iteration() {
    static LOGGER: Once = Once::new();
    LOGGER.call_once(|| {
        log::set_logger(&ViolationCounter).unwrap();
        log::set_max_level(log::LevelFilter::Error);
    });
    VIOLATIONS.store(0, SeqCst);
}

fn assert_no_violation() {
    assert_eq!(
        VIOLATIONS.load(SeqCst),
        0,
        "a protocol violation was logged"
    );
}

/// Stops the executor (with every future done, at once) and checks that it is `Stopped`.
fn stop(executor: &TraitsExecutor) {
    executor.stop().unwrap();
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert_no_violation();
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    // Up to five preemptions per execution unless LOOM_MAX_PREEMPTIONS says otherwise: the
    // cancel models are explored exhaustively within it, and the largest wake-up model in about
    // 40 000 executions (two seconds in release). Unbounded, the two-worker models did not end within ten minutes.
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(5);
    }
    builder.check(f);
}

// ---------------------------------------------------------------------------------------------
// The coalesced wake-up

/// One worker runs an iteration (S, two items, R: four sends, so both a first announcement and
/// messages that join a pending batch) while the main thread runs two rounds of its event loop.
/// After the worker ends, either every message has been dispatched or a wake was requested
/// after the main thread's last drain began: then one more drain dispatches everything. A lost
/// wake-up would leave the future undone with `requested` false. And each wake consumes one
/// clearing of `wake_pending`, so there are at most as many wakes as drains, plus one.
#[test]
fn wake_up_is_never_lost_while_the_main_thread_drains() {
    model(|| {
        start_iteration();
        let pool = LoomPool::new(Mode::Run);
        let executor = executor_on(&pool);
        let wakes = Wakes::install(&executor);
        let future = submit_iteration(&executor, || 0..2u8).unwrap();
        let items = Recorder::event(future.items());

        let mut drains = 0;
        for _ in 0..2 {
            wakes.drain(&executor);
            drains += 1;
        }
        pool.join();

        assert!(
            wakes.count() <= drains + 1,
            "{} wakes for {drains} drains: a burst woke the main thread twice",
            wakes.count()
        );
        if wakes.requested() {
            wakes.drain(&executor);
        }
        assert!(
            future.done().get(),
            "lost wake-up: messages {:?} are queued, and no wake was requested after the last drain",
            queued_inputs(&future)
        );
        assert_eq!(future.state().get(), FutureState::Completed);
        assert_eq!(items.values(), [0, 1]);
        stop(&executor);
    });
}

/// Two workers announce two pipes while the main thread drains once: same properties, with the
/// announcements of two pipes racing each other for `wake_pending`.
#[test]
fn wake_up_is_never_lost_with_two_workers() {
    model(|| {
        start_iteration();
        let pool = LoomPool::new(Mode::Run);
        let executor = executor_on(&pool);
        let wakes = Wakes::install(&executor);
        let first = submit_call(&executor, || 1u8).unwrap();
        let second = submit_call(&executor, || 2u8).unwrap();

        wakes.drain(&executor);
        pool.join();

        assert!(wakes.count() <= 2, "{} wakes for 1 drain", wakes.count());
        if wakes.requested() {
            wakes.drain(&executor);
        }
        for (future, value) in [(&first, 1), (&second, 2)] {
            assert!(
                future.done().get(),
                "lost wake-up: {:?} still queued; {} wakes; states {:?} {:?}",
                queued_inputs(future),
                wakes.count(),
                first.state().get(),
                second.state().get(),
            );
            assert_eq!(future.result(), Ok(&value));
        }
        stop(&executor);
    });
}

/// With no drain in between, a burst of messages from two workers (four sends, two pipes) costs
/// exactly one wake; after a drain, the next message costs exactly one more.
#[test]
fn burst_of_messages_costs_exactly_one_wake() {
    model(|| {
        start_iteration();
        let pool = LoomPool::new(Mode::Run);
        let executor = executor_on(&pool);
        let wakes = Wakes::install(&executor);
        let first = submit_call(&executor, || 1u8).unwrap();
        let second = submit_call(&executor, || 2u8).unwrap();
        pool.join();
        assert_eq!(wakes.count(), 1, "one burst, one wake");
        assert!(wakes.requested());

        assert_eq!(wakes.drain(&executor), 4);
        assert!(first.done().get() && second.done().get());

        let third = submit_call(&executor, || 3u8).unwrap();
        pool.join();
        assert_eq!(wakes.count(), 2, "the burst after a drain wakes once more");
        wakes.drain(&executor);
        assert_eq!(third.result(), Ok(&3));
        stop(&executor);
    });
}

/// Messages wait (a wake was requested with no callback installed, so `wake_pending` is set)
/// when the main thread installs a wake callback, while a second worker sends. Installing
/// resets the flag and calls the callback at once, since messages wait; the worker's
/// announcement, before or after, adds at most one more call; after one drain, and one more if
/// a wake came after it, every message has been dispatched.
#[test]
fn wake_callback_installed_while_messages_wait_and_a_worker_sends_loses_none() {
    model(|| {
        start_iteration();
        let pool = LoomPool::new(Mode::Run);
        let executor = executor_on(&pool);
        let first = submit_call(&executor, || 1u8).unwrap();
        pool.join(); // its messages wait, and no callback heard of them
        let second = submit_call(&executor, || 2u8).unwrap();

        let wakes = Wakes::install(&executor);
        assert!(
            wakes.count() >= 1,
            "a callback installed while messages wait was not called"
        );
        wakes.drain(&executor);
        pool.join();

        assert!(wakes.count() <= 2, "{} wakes for 1 drain", wakes.count());
        if wakes.requested() {
            wakes.drain(&executor);
        }
        for (future, value) in [(&first, 1), (&second, 2)] {
            assert!(
                future.done().get(),
                "lost wake-up: {:?} still queued; {} wakes",
                queued_inputs(future),
                wakes.count(),
            );
            assert_eq!(future.result(), Ok(&value));
        }
        stop(&executor);
    });
}

/// Another thread raises a flag and wakes the loop while the main thread runs the headless loop
/// until the flag is up (without a deadline: a lost wake would spin for ever, which loom
/// reports). No task sends anything.
#[test]
fn loop_waker_always_ends_the_headless_loops_sleep() {
    model(|| {
        start_iteration();
        let pool = LoomPool::new(Mode::Run);
        let executor = executor_on(&pool);
        let waker = executor.waker();
        let flag = Arc::new(AtomicBool::new(false));
        let raiser = {
            let flag = Arc::clone(&flag);
            thread::spawn(move || {
                flag.store(true, Ordering::Release);
                waker.wake();
            })
        };
        executor
            .run_until(|| flag.load(Ordering::Acquire), None)
            .unwrap();
        raiser.join().unwrap();
        stop(&executor);
    });
}

// ---------------------------------------------------------------------------------------------
// Cancellation racing the start of a task

/// The main thread cancels a call while its worker starts it. Exactly one of `Abandoned` and
/// `Started` is queued (`[A]` or `[S, R]`), the closure ran exactly when `S` was sent, and the
/// future ends `Cancelled` through Cancelling, with no protocol violation and no result.
#[test]
fn cancel_racing_start_sends_exactly_one_of_abandoned_and_started() {
    model(|| {
        start_iteration();
        let pool = LoomPool::new(Mode::Run);
        let executor = executor_on(&pool);
        let ran = Arc::new(StdAtomicUsize::new(0));
        let future = {
            let ran = Arc::clone(&ran);
            submit_call(&executor, move || ran.fetch_add(1, SeqCst)).unwrap()
        };
        let states = Recorder::observable(future.state());
        assert!(future.cancel());
        pool.join();

        let queued = queued_inputs(&future);
        let ran = ran.load(SeqCst);
        match queued.as_slice() {
            [Input::Abandoned] => assert_eq!(ran, 0, "abandoned, yet the closure ran"),
            [Input::Started, Input::Returned] => assert_eq!(ran, 1),
            other => panic!("expected [A] or [S, R], queued {other:?}"),
        }
        executor.dispatch_pending();
        assert_eq!(
            states.values(),
            [
                FutureState::Waiting,
                FutureState::Cancelling,
                FutureState::Cancelled
            ]
        );
        assert!(future.result().is_err());
        stop(&executor);
    });
}

/// The worker reads a flag that the main thread sets right after `cancel()` returns: when the
/// worker sees it, the cancel happened before the worker's check, so the task must be abandoned
/// and its closure must not run. (When it does not see it, either outcome is allowed.)
#[test]
fn cancel_never_runs_a_task_whose_worker_observed_the_cancel() {
    model(|| {
        start_iteration();
        let cancel_returned = Arc::new(AtomicBool::new(false));
        let pool = LoomPool::with_signal(Mode::Run, Some(Arc::clone(&cancel_returned)));
        let executor = executor_on(&pool);
        let ran = Arc::new(StdAtomicUsize::new(0));
        let future = {
            let ran = Arc::clone(&ran);
            submit_call(&executor, move || ran.fetch_add(1, SeqCst)).unwrap()
        };
        assert!(future.cancel());
        cancel_returned.store(true, Ordering::Release);
        pool.join();

        let observed = pool.observed() == [true];
        let queued = queued_inputs(&future);
        if observed {
            assert_eq!(queued, [Input::Abandoned], "ran after an observed cancel");
            assert_eq!(ran.load(SeqCst), 0);
        }
        executor.dispatch_pending();
        assert_eq!(future.state().get(), FutureState::Cancelled);
        stop(&executor);
    });
}

/// A pool drops the job unrun (it is shutting down) while the main thread cancels: the runner's
/// `Drop` sends `[A]` if it saw the cancel, `[S, X]` otherwise, and the future still ends
/// `Cancelled`, never stranded.
#[test]
fn cancel_racing_a_dropped_job_still_ends_the_future() {
    model(|| {
        start_iteration();
        let pool = LoomPool::new(Mode::Drop);
        let executor = executor_on(&pool);
        let future = submit_call(&executor, || 1u8).unwrap();
        assert!(future.cancel());
        pool.join();

        let queued = queued_inputs(&future);
        assert!(
            queued == [Input::Abandoned] || queued == [Input::Started, Input::Failed],
            "queued {queued:?}"
        );
        executor.dispatch_pending();
        assert_eq!(future.state().get(), FutureState::Cancelled);
        stop(&executor);
    });
}

/// Cancel-first while the task runs: the main thread dispatches, cancels, dispatches again, as
/// an iteration of three items proceeds. Nothing is delivered after `cancel()` returns true,
/// items arrive in order, and the future ends `Cancelled` (or `Completed` with every item, if it
/// was already done when `cancel()` was called).
#[test]
fn cancel_while_running_delivers_nothing_afterwards() {
    model(|| {
        start_iteration();
        let pool = LoomPool::new(Mode::Run);
        let executor = executor_on(&pool);
        let future = submit_iteration(&executor, || 0..3u8).unwrap();
        let items = Recorder::event(future.items());

        executor.dispatch_pending();
        let cancelled = future.cancel();
        let delivered_at_cancel = items.len();
        executor.dispatch_pending();
        pool.join();
        executor.dispatch_pending();

        let values = items.values();
        assert_eq!(values, (0..values.len() as u8).collect::<Vec<_>>());
        if cancelled {
            assert_eq!(values.len(), delivered_at_cancel, "delivered after cancel");
            assert_eq!(future.state().get(), FutureState::Cancelled);
        } else {
            assert_eq!(future.state().get(), FutureState::Completed);
            assert_eq!(values, [0, 1, 2]);
        }
        stop(&executor);
    });
}
