//! Helpers for the executor tests (`executor/stop.rs`, `executor/shutdown.rs`,
//! `executor/workers.rs`): a call that blocks a worker until released, and a custom task.

use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;

use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{submit_call, BackgroundTask, CallFuture, TaskContext, TraitsExecutor};

/// Submits a call that signals `started` when a worker runs it, then blocks until `release`
/// sends (or is dropped).
pub fn blocking_call(executor: &TraitsExecutor) -> (CallFuture<()>, Receiver<()>, Sender<()>) {
    let (started_tx, started_rx) = mpsc::channel();
    let (release_tx, release_rx) = mpsc::channel::<()>();
    let future = submit_call(executor, move || {
        let _ = started_tx.send(());
        let _ = release_rx.recv();
    })
    .expect("a running executor accepts tasks");
    (future, started_rx, release_tx)
}

/// Waits (bounded) for a worker's signal.
pub fn wait_for(signal: &Receiver<()>) {
    signal
        .recv_timeout(TEST_TIMEOUT)
        .expect("the worker should have signalled");
}

/// A background task that records whether it ran.
pub struct Flag(pub Arc<AtomicBool>);

impl BackgroundTask for Flag {
    type Message = Infallible;
    type Output = ();
    type Error = Infallible;
    fn run(self, _: &TaskContext<'_, Infallible>) -> Result<(), Infallible> {
        self.0.store(true, Ordering::SeqCst);
        Ok(())
    }
}
