//! [`WakeHooks`]: the ways to wake the main thread's event loop that are not the headless
//! loop's own sleep: the notify integration's wake callback and every live async `Dispatcher`'s
//! waker, each registered as one hook.
//!
//! Every hook is called with every wake, so that one integration never disconnects another
//! (a second `Dispatcher`, or a wake callback installed beside one): each keeps being woken, and
//! each async dispatcher ends at `Stopped`. The list is replaced whole when it changes (copy on
//! write), so a wake clones one `Arc` under the lock and calls the hooks outside it; a hook may
//! then register or remove hooks without deadlocking.
//!
//! Hooks are user code, usually run on a worker thread: a hook that panics (a `send().unwrap()`
//! into a UI channel that has closed) is caught here, logged at `error` the first time and at
//! `debug` after that, and counts as a wake. The worker goes on with its task, and the messages
//! stay queued for the next dispatch. Dropping a hook (its captures' `Drop`) is caught the same
//! way.
//!
//! At `Stopped` the executor calls every hook one last time and releases them
//! ([`release`](WakeHooks::release)), so that whatever they capture is not kept alive by the
//! futures the user keeps (each holds the router's shared half); later registrations are
//! refused.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use crate::error::panic_message;
use crate::sync::{Arc, Mutex, MutexGuard};

/// A callback that asks the main thread's event loop to wake and dispatch.
pub(crate) type WakeHook = Arc<dyn Fn() + Send + Sync>;

/// Names one registered hook, to remove it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HookId(u64);

/// The registered hooks.
pub(crate) struct WakeHooks {
    state: Mutex<State>,
}

struct State {
    /// In registration order; `None` when there is none (no allocation for an empty list).
    hooks: Option<Arc<[(HookId, WakeHook)]>>,
    next_id: u64,
    /// Released at `Stopped`: nothing will need a wake again.
    released: bool,
    /// A hook has panicked (and that was logged at `error`).
    panicked: bool,
}

impl WakeHooks {
    pub(crate) fn new() -> Self {
        WakeHooks {
            state: Mutex::new(State {
                hooks: None,
                next_id: 0,
                released: false,
                panicked: false,
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // No user code runs under the lock: its data is always consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Registers `hook`; `None` (and `hook` dropped) once the hooks were released.
    pub(crate) fn add(&self, hook: WakeHook) -> Option<HookId> {
        let mut state = self.lock();
        if state.released {
            drop(state);
            drop_quietly(hook);
            return None;
        }
        let id = HookId(state.next_id);
        state.next_id += 1;
        let mut hooks: Vec<_> = state.hooks.as_deref().unwrap_or_default().to_vec();
        hooks.push((id, hook));
        state.hooks = Some(hooks.into());
        Some(id)
    }

    /// Removes the hook `id` (if it is still there), and drops it outside the lock.
    pub(crate) fn remove(&self, id: HookId) {
        let old = {
            let mut state = self.lock();
            let Some(hooks) = state.hooks.as_deref() else {
                return;
            };
            if !hooks.iter().any(|(hook_id, _)| *hook_id == id) {
                return;
            }
            let kept: Vec<_> = hooks
                .iter()
                .filter(|(hook_id, _)| *hook_id != id)
                .cloned()
                .collect();
            let kept = (!kept.is_empty()).then(|| kept.into());
            std::mem::replace(&mut state.hooks, kept)
        };
        drop_quietly(old);
    }

    /// Calls every hook once, catching (and logging) their panics.
    pub(crate) fn call(&self) {
        let hooks = self.lock().hooks.clone();
        let Some(hooks) = hooks else {
            return;
        };
        for (_, hook) in hooks.iter() {
            if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| hook())) {
                self.report_panic(payload, "the wake callback panicked");
            }
        }
        // If the list was replaced meanwhile, this may be the last handle to a removed hook.
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || drop(hooks))) {
            self.report_panic(payload, "dropping a wake callback panicked");
        }
    }

    /// Drops every hook and refuses new ones: at `Stopped`, or when the executor is dropped.
    pub(crate) fn release(&self) {
        let old = {
            let mut state = self.lock();
            state.released = true;
            state.hooks.take()
        };
        drop_quietly(old);
    }

    fn report_panic(&self, payload: Box<dyn Any + Send>, what: &str) {
        let first = !std::mem::replace(&mut self.lock().panicked, true);
        // The payload's own `Drop` may panic too (it is user code as well).
        let message = panic::catch_unwind(AssertUnwindSafe(|| panic_message(payload)))
            .unwrap_or_else(|_| "a panic payload whose Drop panicked".to_string());
        if first {
            log::error!(
                "traits-futures: {what} ({message}); the messages it announced stay queued and \
                 are dispatched by the next dispatch. Later panics of wake callbacks are logged \
                 at debug level."
            );
        } else {
            log::debug!("traits-futures: {what} again ({message})");
        }
    }
}

/// Drops `value` (wake hooks: user closures), logging a panic of its `Drop` instead of
/// unwinding into the bookkeeping that released it.
fn drop_quietly<T>(value: T) {
    if panic::catch_unwind(AssertUnwindSafe(move || drop(value))).is_err() {
        log::error!("traits-futures: dropping a wake callback panicked; the panic was ignored");
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use super::WakeHooks;

    fn counter() -> (Arc<AtomicUsize>, super::WakeHook) {
        let count = Arc::new(AtomicUsize::new(0));
        let hook: super::WakeHook = {
            let count = Arc::clone(&count);
            Arc::new(move || {
                count.fetch_add(1, Ordering::SeqCst);
            })
        };
        (count, hook)
    }

    #[test]
    fn every_hook_is_called_until_removed_and_none_after_release() {
        let hooks = WakeHooks::new();
        let (first, first_hook) = counter();
        let (second, second_hook) = counter();
        let first_id = hooks.add(first_hook).unwrap();
        hooks.add(second_hook).unwrap();
        hooks.call();
        assert_eq!(
            (first.load(Ordering::SeqCst), second.load(Ordering::SeqCst)),
            (1, 1)
        );

        hooks.remove(first_id);
        hooks.remove(first_id); // idempotent
        hooks.call();
        assert_eq!(
            (first.load(Ordering::SeqCst), second.load(Ordering::SeqCst)),
            (1, 2)
        );

        hooks.release();
        hooks.call();
        assert_eq!(second.load(Ordering::SeqCst), 2);
        let (third, third_hook) = counter();
        assert!(hooks.add(third_hook).is_none());
        // Released hooks are dropped: only the counters' own handles are left.
        assert_eq!(Arc::strong_count(&second), 1);
        assert_eq!(Arc::strong_count(&third), 1);
    }

    #[test]
    fn a_panicking_hook_does_not_stop_the_others() {
        let hooks = WakeHooks::new();
        hooks
            .add(Arc::new(|| panic!("the UI's channel is closed")))
            .unwrap();
        let (count, hook) = counter();
        hooks.add(hook).unwrap();
        hooks.call();
        hooks.call();
        assert_eq!(count.load(Ordering::SeqCst), 2);
    }
}
