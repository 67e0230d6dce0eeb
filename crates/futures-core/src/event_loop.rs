//! The async event-loop integration: [`Dispatcher`], a future that dispatches when woken.
//!
//! The headless loop lives in [`TraitsExecutor::run_until`](crate::TraitsExecutor::run_until)
//! and the notify integration is [`TraitsExecutor::set_wake_callback`](crate::TraitsExecutor::set_wake_callback);
//! all three share the router's coalesced wake-up.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use crate::executor::Inner;

/// How many messages one poll dispatches before yielding, so that other tasks on the same
/// single-threaded executor (the UI's signal listeners) run during a long burst.
const BUDGET_PER_POLL: usize = 1024;

/// A future that dispatches an executor's messages on the thread that polls it, whenever a
/// worker wakes it, and completes once the executor is `Stopped`.
///
/// Made by [`TraitsExecutor::dispatcher`](crate::TraitsExecutor::dispatcher); spawn it on the
/// GUI thread's local executor (`glib::spawn_future_local`, a tokio `LocalSet`, a
/// `futures::executor::LocalPool`). It yields after 1024 messages so that a long burst never
/// starves the UI. It keeps the executor alive while it runs.
#[must_use = "a dispatcher does nothing unless spawned or polled"]
pub struct Dispatcher {
    executor: Rc<Inner>,
    waker: Arc<Mutex<Option<Waker>>>,
}

impl Dispatcher {
    pub(crate) fn new(executor: Rc<Inner>) -> Self {
        let waker: Arc<Mutex<Option<Waker>>> = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&waker);
        executor.set_wake_hook(Some(Arc::new(move || {
            let waker = slot.lock().unwrap_or_else(|p| p.into_inner()).clone();
            if let Some(waker) = waker {
                waker.wake();
            }
        })));
        Dispatcher { executor, waker }
    }
}

impl Future for Dispatcher {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Register the waker before draining: a message announced after the drain starts
        // either is drained now or calls the hook, which wakes this waker.
        {
            let mut slot = self.waker.lock().unwrap_or_else(|p| p.into_inner());
            if !slot.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *slot = Some(cx.waker().clone());
            }
        }
        let dispatched = self.executor.dispatch_pending(BUDGET_PER_POLL);
        if self.executor.is_stopped() {
            return Poll::Ready(());
        }
        if dispatched == BUDGET_PER_POLL {
            // Budget spent: more may be pending. Come back after the others had a turn.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
    }
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Dispatcher").finish_non_exhaustive()
    }
}
