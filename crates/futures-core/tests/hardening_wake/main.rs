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

mod after_panic;
mod late_callback;
mod panicking_callback;
mod released_at_stop;
mod several_integrations;
