//! Helpers shared by several test binaries (each includes this module with `mod common;`).
#![allow(dead_code)] // each binary uses a different part

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::mpsc::{self, Sender};
use std::time::{Duration, Instant};

use traits_core::ObserverGuard;
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_generator, IterationFuture, TaskCancelled, TaskContext, TraitsExecutor,
};

/// A generator that keeps messages coming: it sends item `n`, waits until the main thread has
/// dispatched it (an observer acknowledges), then sends `n + 1`; it stops when cancelled, when
/// the acknowledgements stop, or after `limit`.
pub struct Stream {
    pub future: IterationFuture<u64, (), TaskCancelled>,
    pub delivered: Rc<Cell<u64>>,
    ack: Rc<RefCell<Option<Sender<()>>>>,
    _guard: ObserverGuard,
}

impl Stream {
    pub fn start(executor: &TraitsExecutor, limit: Duration) -> Self {
        let (ack_tx, ack_rx) = mpsc::channel::<()>();
        let future = submit_generator(executor, move |items: &TaskContext<'_, u64>| {
            let began = Instant::now();
            let mut n = 0;
            while began.elapsed() < limit {
                items.send(n)?;
                if ack_rx.recv().is_err() {
                    break;
                }
                n += 1;
            }
            Ok(())
        })
        .expect("a running executor accepts tasks");
        let ack = Rc::new(RefCell::new(Some(ack_tx)));
        let delivered = Rc::new(Cell::new(0));
        let guard = future.items().observe({
            let (ack, delivered) = (Rc::clone(&ack), Rc::clone(&delivered));
            move |_| {
                delivered.set(delivered.get() + 1);
                if let Some(ack) = ack.borrow().as_ref() {
                    let _ = ack.send(());
                }
            }
        });
        Stream {
            future,
            delivered,
            ack,
            _guard: guard,
        }
    }

    /// Cancels the generator and unblocks it.
    pub fn stop(&self, executor: &TraitsExecutor) {
        self.future.cancel();
        self.ack.borrow_mut().take();
        executor
            .run_until(|| self.future.done().get(), Some(TEST_TIMEOUT))
            .expect("the stream ends once cancelled");
    }
}
pub mod executor;
pub mod machine;
pub mod stress;
pub mod threads;
