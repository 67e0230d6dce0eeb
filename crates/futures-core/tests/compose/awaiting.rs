//! Issue 24, sections 1 and 2: awaiting a future on the main thread's local executor, and
//! continuations (`on_*`, `then` chains).

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::task::{Context, Poll};

use futures::executor::LocalPool;
use futures::task::{waker, ArcWake, LocalSpawnExt};
use futures::FutureExt;
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_try_call, CallFuture, ChainError, ExecutorState, FutureState, Outcome,
    SubmitError, TaskError, TaskMessage, TraitsExecutor,
};

fn executor(workers: usize) -> TraitsExecutor {
    TraitsExecutor::builder()
        .max_workers(workers)
        .build()
        .expect("a valid size")
}

/// A waker that counts its wakes.
#[derive(Default)]
struct CountingWaker(AtomicUsize);

impl ArcWake for CountingWaker {
    fn wake_by_ref(arc_self: &Arc<Self>) {
        arc_self.0.fetch_add(1, Ordering::SeqCst);
    }
}

/// A call that blocks its worker until released: (future, started, release).
fn gated_call(executor: &TraitsExecutor) -> (CallFuture<()>, mpsc::Receiver<()>, mpsc::Sender<()>) {
    let (started_tx, started) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let future = submit_call(executor, move || {
        let _ = started_tx.send(());
        let _ = gate.recv();
    })
    .unwrap();
    (future, started, release)
}

/// Runs `body` on a `LocalPool` whose other task is the executor's `Dispatcher`, then stops
/// the executor and lets the dispatcher end.
fn on_local_pool<T>(executor: &TraitsExecutor, body: impl Future<Output = T>) -> T {
    let mut pool = LocalPool::new();
    pool.spawner().spawn_local(executor.dispatcher()).unwrap();
    let out = pool.run_until(body);
    executor.stop().unwrap();
    pool.run();
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    out
}

mod continuations;
mod outcome;
