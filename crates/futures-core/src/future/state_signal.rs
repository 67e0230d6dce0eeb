//! [`StateSignal`]: a future's state as a futures-signals [`Signal`], fed by a tap in the
//! future's status list.
//!
//! The future keeps nothing for its signals: a mirror `Mutable` in every future would make every
//! future larger for the sake of the few a UI binds (figures: ARCHITECTURE.md, Performance).
//! Each signal instead registers its own tap, a callback that captures one `Weak` (so it lives
//! in its slot, with no allocation of its own) and leaves the latest state where the signal
//! finds it. A signal unregisters its tap when it is dropped; a signal whose future was dropped
//! ends (its tap, dropped with the future's status, says so).

use std::cell::Cell;
use std::pin::Pin;
use std::rc::{Rc, Weak};
use std::task::{Context, Poll, Waker};

use futures_signals::signal::Signal;
use traits_core::ObserverGuard;

use crate::future::property::StatusOwner;
use crate::state::FutureState;

/// The rank of taps in the status list: after the observers of every property (ranks 0 to 2).
/// A signal is polled later anyway; this only keeps taps out of the observers' way.
const TAP_RANK: u8 = 254;

/// What a signal and its tap share.
struct Latest {
    state: Cell<FutureState>,
    /// A state the signal has not yielded yet (at first the current one: a signal yields the
    /// current value first).
    fresh: Cell<bool>,
    /// The future is gone: nothing will change any more.
    ended: Cell<bool>,
    /// The task waiting for a change.
    waker: Cell<Option<Waker>>,
}

impl Latest {
    fn wake(&self) {
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }
}

/// The status list's end of a signal. It holds the signal's state weakly: the signal owns it.
struct Tap(Weak<Latest>);

impl Tap {
    fn changed(&self, new: FutureState) {
        if let Some(latest) = self.0.upgrade() {
            latest.state.set(new);
            latest.fresh.set(true);
            latest.wake();
        }
    }
}

impl Drop for Tap {
    /// Dropped with the future's status (or unregistered by its dropped signal, which then
    /// finds nothing to end): the signal ends.
    fn drop(&mut self) {
        if let Some(latest) = self.0.upgrade() {
            latest.ended.set(true);
            latest.wake();
        }
    }
}

/// A signal of a future's state: the current state first, then the latest one after each
/// change (states in between may be skipped, as with any signal); it ends when the future is
/// dropped.
pub(crate) struct StateSignal {
    latest: Rc<Latest>,
    /// Unregisters the tap when the signal is dropped (after `latest`: the tap then finds
    /// nothing to end).
    _tap: ObserverGuard,
}

impl StateSignal {
    /// A signal of `owner`'s state, its tap registered in `owner`'s status list.
    pub(crate) fn new(owner: &Rc<dyn StatusOwner>) -> Self {
        let latest = Rc::new(Latest {
            state: Cell::new(owner.state()),
            fresh: Cell::new(true),
            ended: Cell::new(false),
            waker: Cell::new(None),
        });
        let tap = Tap(Rc::downgrade(&latest));
        let weak: Weak<dyn StatusOwner> = Rc::downgrade(owner);
        let tap =
            owner
                .status()
                .observers()
                .observe(TAP_RANK, move |&(_, new)| tap.changed(new), weak);
        StateSignal { latest, _tap: tap }
    }
}

impl Signal for StateSignal {
    type Item = FutureState;

    fn poll_change(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<FutureState>> {
        let latest = &self.latest;
        if latest.fresh.replace(false) {
            return Poll::Ready(Some(latest.state.get()));
        }
        if latest.ended.get() {
            return Poll::Ready(None);
        }
        let waker = match latest.waker.take() {
            Some(waker) if waker.will_wake(cx.waker()) => waker,
            _ => cx.waker().clone(),
        };
        latest.waker.set(Some(waker));
        Poll::Pending
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::cell::RefCell;
    use std::rc::Rc;

    use futures::executor::LocalPool;
    use futures::task::LocalSpawnExt;
    use futures_signals::signal::SignalExt;

    use crate::future::task_future::TaskFuture;
    use crate::future::test_handler::Plain;
    use crate::routing::message::TaskMessage;
    use crate::state::FutureState;

    #[test]
    fn a_signal_yields_the_current_state_then_the_latest_and_ends_with_its_future() {
        let future: TaskFuture<Plain> = TaskFuture::detached(Plain::default(), || {});
        let seen = Rc::new(RefCell::new(Vec::new()));
        let ended = Rc::new(RefCell::new(false));
        let mut pool = LocalPool::new();
        pool.spawner()
            .spawn_local({
                let (seen, ended) = (seen.clone(), ended.clone());
                let watch = future.state().signal().for_each(move |state| {
                    seen.borrow_mut().push(state);
                    async {}
                });
                async move {
                    watch.await;
                    *ended.borrow_mut() = true;
                }
            })
            .unwrap();
        pool.run_until_stalled();
        assert_eq!(*seen.borrow(), [FutureState::Waiting]);

        // Two changes before the signal is polled again: it yields the latest.
        future.receive(TaskMessage::Started).unwrap();
        future.receive(TaskMessage::Returned(1)).unwrap();
        pool.run_until_stalled();
        assert_eq!(
            *seen.borrow(),
            [FutureState::Waiting, FutureState::Completed]
        );
        assert!(!*ended.borrow(), "the future still exists");

        drop(future);
        pool.run_until_stalled();
        assert!(*ended.borrow(), "the signal ends with its future");
        assert_eq!(seen.borrow().len(), 2);
    }

    #[test]
    fn a_dropped_signal_unregisters_its_tap() {
        let future: TaskFuture<Plain> = TaskFuture::detached(Plain::default(), || {});
        let signals: Vec<_> = (0..3).map(|_| future.done().signal()).collect();
        assert_eq!(future.inner_status_len(), 3, "one tap per signal");
        drop(signals);
        assert_eq!(
            future.inner_status_len(),
            0,
            "the taps went with their signals"
        );
        future.receive(TaskMessage::Started).unwrap();
    }
}
