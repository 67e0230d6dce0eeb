//! The router: where every task's messages meet on the main thread.
//!
//! Workers announce a pipe's key when its queue goes from empty to non-empty
//! ([`RouterShared::announce`], into [`Announcements`]); the main thread takes every pending key
//! at once into its inbox, looks each pipe up in a table (a `slotmap::SlotMap`) and dispatches its
//! messages one at a time. The headless event loop blocks until a key is pending (or another
//! thread wakes it, [`RouterShared::wake_loop`]). For event loops that must be woken another
//! way, the wake hooks ([`WakeHooks`]) are called at most once per burst: `wake_pending` is set
//! by the first announcement and cleared by the main thread before it drains, so an
//! announcement that races with the drain either is drained or causes a new wake.
//!
//! The flag's invariant: when it is set, a wake was requested since the main thread's last
//! clear, and the hooks registered then were called. So a new hook resets it and is woken at
//! once if anything is pending ([`Router::add_wake_hook`]), and a dispatch cut short by a panic
//! requests a wake for what it left ([`Router::request_wake_if_pending`]).
//!
//! The non-blocking calls dispatch a snapshot ([`Intake::Snapshot`]): the inbox is refilled
//! from the announcements once, when the call begins, and a pipe's batch at most once per
//! step; keys announced meanwhile wait for the next call. The headless loop refills whenever
//! the inbox runs dry ([`Intake::Arrivals`]).

use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::time::{Duration, Instant};

use crate::block_deque::BlockDeque;
use crate::error::panic_message;
use crate::routing::announcements::{Announcements, Woke};
use crate::routing::pipe::PipeTarget;
pub(crate) use crate::routing::pipe_key::PipeKey;
use crate::routing::pipe_key::MAX_LIVE_PIPES;
use crate::routing::wake_hooks::WakeHooks;
pub(crate) use crate::routing::wake_hooks::{HookId, WakeHook};
use crate::sync::{Arc, AtomicBool, Ordering};

use slotmap::{Key, SlotMap};

/// The part of the router that workers use.
///
/// Aligned to cache lines of its own (a pair, as adjacent-line prefetchers fetch them
/// together), and `wake_pending` to others: every task's pipe holds an `Arc` of this, so the
/// main thread writes the reference counts at the start of the allocation on every submit and
/// every finished task, while workers write `wake_pending` on every announcement. On one line,
/// the two writers would make it bounce between cores at every call.
#[repr(align(128))]
pub(crate) struct RouterShared {
    announcements: Announcements,
    wake_pending: CacheLine<AtomicBool>,
    wake_hooks: WakeHooks,
}

/// A value alone on its cache line(s).
#[repr(align(128))]
struct CacheLine<T>(T);

impl<T> std::ops::Deref for CacheLine<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl RouterShared {
    /// Tells the main thread that `key` has messages. Called once per batch per pipe.
    pub(crate) fn announce(&self, key: PipeKey) {
        // Once the router is gone, keys still queue, but no more than one per pipe: nobody
        // takes the batches, so no pipe announces again.
        self.announcements.announce(key);
        self.request_wake();
    }

    /// Calls the wake hooks unless a wake was already requested since the main thread's last
    /// clear (any thread). A hook that panics is caught and logged (`wake_hooks.rs`): the
    /// wake counts as requested, and the keys stay queued.
    pub(crate) fn request_wake(&self) {
        if !self.wake_pending.swap(true, Ordering::AcqRel) {
            self.wake_hooks.call();
        }
    }

    /// Wakes every event loop from outside (any thread, the executor's `LoopWaker`): the
    /// headless loop's sleep, so that it re-checks its condition, and every hook, whether or
    /// not a wake is pending (an outside wake is not a message: the UI should look at once).
    pub(crate) fn wake_loop(&self) {
        self.announcements.wake();
        self.wake_hooks.call();
    }

    /// Registers a wake hook (see [`Router::add_wake_hook`], which also resets the flag).
    fn add_hook(&self, hook: WakeHook) -> Option<HookId> {
        self.wake_hooks.add(hook)
    }

    /// Removes a wake hook; it is not called again once this returns, except by a wake that
    /// had already taken the list.
    pub(crate) fn remove_wake_hook(&self, id: HookId) {
        self.wake_hooks.remove(id);
    }

    /// Calls every wake hook once more, then drops them all and refuses new ones (main thread,
    /// at `Stopped`: an async dispatcher ends on this wake; a notify loop sees `Stopped`).
    pub(crate) fn wake_and_release_hooks(&self) {
        self.wake_hooks.call();
        self.wake_hooks.release();
    }

    /// Drops every wake hook without calling it (the executor is gone).
    pub(crate) fn release_hooks(&self) {
        self.wake_hooks.release();
    }

    /// Warns (once, at `warn`) when announced messages wait untaken for longer than `after`, a
    /// sign that no event loop dispatches; `None` turns the warning off (see `announcements.rs`).
    pub(crate) fn warn_undispatched_after(&self, after: Option<Duration>) {
        self.announcements.warn_after(after);
    }
}

/// Where a dispatch step looks for the next pipe when none is under way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Intake {
    /// The inbox, refilled with every pending announcement whenever it runs dry: whatever
    /// arrives is dispatched (`run_until`).
    Arrivals,
    /// The inbox only: what [`Router::take_announcements`] took when the call began
    /// (`dispatch_pending`, `dispatch_within`). What is announced meanwhile waits for the next
    /// call (and, announced after the call cleared the wake flag, requests a wake of its own),
    /// so a task that keeps sending cannot keep one call running.
    Snapshot,
}

/// What one dispatch step did.
pub(crate) enum Step {
    /// Nothing was pending.
    Idle,
    /// Messages were handed to one future (or a sentinel arrived).
    Delivered {
        /// How many messages were delivered.
        count: usize,
        /// The future is done; its pipe was removed.
        finished: bool,
        /// An observer panicked during delivery; resume it after bookkeeping.
        panic: Option<Box<dyn Any + Send>>,
    },
}

/// The main thread's side of the router.
pub(crate) struct Router {
    shared: Arc<RouterShared>,
    /// Keys taken from the announcements and not yet received by `dispatch`.
    inbox: RefCell<BlockDeque<PipeKey>>,
    pipes: RefCell<SlotMap<PipeKey, Rc<dyn PipeTarget>>>,
    /// Pipes whose key was received but whose batch is not fully dispatched.
    active: RefCell<VecDeque<PipeKey>>,
    /// Sentinels posted and seen, for `exercise_event_loop`.
    sentinels_seen: Cell<u64>,
    /// How many of `pipes` are services ([`PipeTarget::is_service`]), not tasks.
    services: Cell<usize>,
}

impl Router {
    /// A router; `wake_hook`, if any, is its first wake hook.
    pub(crate) fn new(wake_hook: Option<WakeHook>) -> Self {
        let wake_hooks = WakeHooks::new();
        if let Some(hook) = wake_hook {
            wake_hooks.add(hook);
        }
        Router {
            shared: Arc::new(RouterShared {
                announcements: Announcements::new(),
                wake_pending: CacheLine(AtomicBool::new(false)),
                wake_hooks,
            }),
            inbox: RefCell::new(BlockDeque::new()),
            pipes: RefCell::new(SlotMap::with_key()),
            active: RefCell::new(VecDeque::new()),
            sentinels_seen: Cell::new(0),
            services: Cell::new(0),
        }
    }

    pub(crate) fn shared(&self) -> &Arc<RouterShared> {
        &self.shared
    }

    /// Adds a pipe; `make` receives the new key.
    ///
    /// Panics if [`MAX_LIVE_PIPES`] (16 777 214) futures are alive at once: each announced key
    /// fits in 56 bits of its pipe's word, which narrows the table's index.
    pub(crate) fn insert(&self, make: impl FnOnce(PipeKey) -> Rc<dyn PipeTarget>) -> PipeKey {
        let mut pipes = self.pipes.borrow_mut();
        assert!(
            pipes.len() < MAX_LIVE_PIPES,
            "traits-futures: more than {MAX_LIVE_PIPES} tasks alive at once"
        );
        pipes.insert_with_key(make)
    }

    /// Adds a service (a [`PipeTarget`] that is no task, see [`PipeTarget::is_service`]): it
    /// is dispatched like a pipe when its key is announced, but does not count as a live task,
    /// so it never holds back the executor's stop. It leaves the table when it says it is
    /// finished (retired like a pipe), or with the router.
    pub(crate) fn insert_service(
        &self,
        make: impl FnOnce(PipeKey) -> Rc<dyn PipeTarget>,
    ) -> PipeKey {
        let key = self.insert(make);
        self.services.set(self.services.get() + 1);
        key
    }

    /// Removes a pipe whose task was never handed to a worker.
    pub(crate) fn remove(&self, key: PipeKey) {
        let removed = self.pipes.borrow_mut().remove(key);
        self.forget_service(removed.as_ref());
    }

    /// Counts a service out of the table (`removed` just left it).
    fn forget_service(&self, removed: Option<&Rc<dyn PipeTarget>>) {
        if removed.is_some_and(|target| target.is_service()) {
            self.services.set(self.services.get() - 1);
        }
    }

    /// Number of tasks whose futures are not done (services are not counted).
    pub(crate) fn live(&self) -> usize {
        self.pipes.borrow().len() - self.services.get()
    }

    /// Every live task's target (services left out), in the table's order.
    pub(crate) fn tasks(&self) -> Vec<Rc<dyn PipeTarget>> {
        let pipes = self.pipes.borrow();
        pipes
            .values()
            .filter(|target| !target.is_service())
            .cloned()
            .collect()
    }

    /// Cancels every live future (executor stop), even if an observer panics; returns the first
    /// panic for the caller to resume after its own bookkeeping.
    pub(crate) fn cancel_all(&self) -> Option<Box<dyn Any + Send>> {
        let targets: Vec<_> = self.pipes.borrow().values().cloned().collect();
        let mut first_panic = None;
        for target in targets {
            if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(|| target.cancel())) {
                first_panic.get_or_insert(panic);
            }
        }
        first_panic
    }

    /// The executor is dropped without having stopped (every future is cancelled already):
    /// empties the table, turning every live future into an orphan that finishes itself
    /// ([`PipeTarget::orphan`]); futures nobody else holds are dropped. Whatever user code does
    /// meanwhile (observers, `Drop`s), every future is orphaned: a panic is caught and logged,
    /// since this runs inside a `Drop`.
    pub(crate) fn orphan_all(&self) {
        let targets: Vec<_> = self.pipes.borrow_mut().drain().map(|(_, t)| t).collect();
        self.services.set(0);
        self.active.borrow_mut().clear();
        for target in targets {
            let orphaned = panic::catch_unwind(AssertUnwindSafe(|| target.orphan()));
            // The last handle to a future nobody kept runs user `Drop` code too.
            let dropped = panic::catch_unwind(AssertUnwindSafe(move || drop(target)));
            for panic in [orphaned.err(), dropped.err()].into_iter().flatten() {
                let panic = panic_message(panic);
                log::error!(
                    "traits-futures: a panic while finishing a dropped executor's future: {panic}"
                );
            }
        }
    }

    /// Posts a sentinel through the same queue as the tasks' announcements; returns the count
    /// to wait for.
    pub(crate) fn post_sentinel(&self) -> u64 {
        self.shared.announce(PipeKey::null());
        self.sentinels_seen.get() + 1
    }

    pub(crate) fn sentinels_seen(&self) -> u64 {
        self.sentinels_seen.get()
    }

    /// Allows the next announcement to call the wake hook. Call before draining.
    pub(crate) fn clear_wake_pending(&self) {
        // A read-modify-write, not a store: if a worker's `swap(true)` precedes this clear, the
        // clear acquires it, so that worker's key is visible to the drain that follows whatever
        // the key queue's own ordering (with a plain store, a lock-free queue found empty need
        // not order the two). (Model-checked in tests/loom.rs.)
        self.shared.wake_pending.swap(false, Ordering::AcqRel);
    }

    /// Whether anything announced is not yet dispatched: a pipe with a batch under way, a key
    /// in the inbox, or a key not yet taken from the announcements.
    pub(crate) fn has_pending(&self) -> bool {
        !self.active.borrow().is_empty()
            || !self.inbox.borrow().is_empty()
            || self.shared.announcements.has_pending()
    }

    /// Requests a wake if anything is left to dispatch: after a dispatch that an observer's
    /// panic cut short, whose caller will not come back for the rest by itself.
    pub(crate) fn request_wake_if_pending(&self) {
        if self.has_pending() {
            self.shared.request_wake();
        }
    }

    /// Registers `hook`, to be called with every wake from now on (`None` once the hooks were
    /// released at `Stopped`), and makes sure it hears of what is already waiting: the flag is
    /// reset (a wake requested with no hook to hear it, during a headless run, would otherwise
    /// hold back every later one), and a wake is requested at once, on this thread, if anything
    /// is pending. A worker that announces meanwhile either sees the reset (and wakes the new
    /// hook itself) or set the flag before it (and this request then finds a wake requested
    /// after the hook was registered); either way the hook is called once.
    pub(crate) fn add_wake_hook(&self, hook: WakeHook) -> Option<HookId> {
        let id = self.shared.add_hook(hook)?;
        self.clear_wake_pending();
        self.request_wake_if_pending();
        Some(id)
    }

    /// Moves every pending announcement into the inbox, behind what it holds: the snapshot that
    /// an [`Intake::Snapshot`] call dispatches. Call after [`clear_wake_pending`](Self::clear_wake_pending).
    pub(crate) fn take_announcements(&self) {
        self.shared
            .announcements
            .take_into(&mut self.inbox.borrow_mut());
    }

    /// Dispatches, without blocking, up to `budget` messages of the next pipe that has any
    /// (a pipe under way first, then the inbox's next key, refilled as `intake` says), calling
    /// `stop` after each message and stopping when it returns true.
    ///
    /// Re-entrant: an observer may run a nested event loop during this call. The pipe being
    /// dispatched stays at the front of `active` meanwhile, so the nested loop continues it, in
    /// order; and a future's pipe is retired just before its final message is applied, so that a
    /// nested wait for the executor to stop (from that future's own `done` observer) can finish.
    pub(crate) fn dispatch(
        &self,
        budget: usize,
        stop: &mut dyn FnMut() -> bool,
        intake: Intake,
    ) -> Step {
        loop {
            let front = self.active.borrow().front().copied();
            let key = match front {
                Some(key) => key,
                None => match self.receive(intake) {
                    Some(key) => {
                        self.active.borrow_mut().push_back(key);
                        key
                    }
                    None => return Step::Idle,
                },
            };
            if key.is_null() {
                self.forget_active(key);
                self.sentinels_seen.set(self.sentinels_seen.get() + 1);
                let _ = stop(); // the condition is checked after a sentinel too
                return Step::Delivered {
                    count: 1,
                    finished: false,
                    panic: None,
                };
            }
            let target = self.pipes.borrow().get(key).cloned();
            let Some(target) = target else {
                self.forget_active(key);
                log::debug!("traits-futures: wake-up for a finished future ignored");
                continue;
            };
            // An observer may panic inside; finish the bookkeeping before resuming it.
            let retired_on_final = Cell::new(false);
            let retire = || {
                retired_on_final.set(true);
                drop(self.retire(key, &target, true));
            };
            let outcome =
                panic::catch_unwind(AssertUnwindSafe(|| target.dispatch(budget, stop, &retire)));
            let finished = target.is_finished();
            let retired = if finished {
                // Usually retired already, just before its final message; otherwise (a
                // future finished some other way) it is retired here.
                if retired_on_final.get() {
                    None
                } else {
                    self.retire(key, &target, false)
                }
            } else {
                if !target.has_buffered() {
                    self.forget_active(key);
                }
                None
            };
            // Dropping the last handle to a finished future runs user `Drop` code (handler,
            // result, observers): it must not skip the bookkeeping either.
            let dropped = panic::catch_unwind(AssertUnwindSafe(move || {
                drop(retired);
                drop(target);
            }))
            .err();
            let (count, panic) = match outcome {
                Ok(count) => (count, dropped),
                Err(panic) => (1, Some(panic)),
            };
            if count == 0 && panic.is_none() {
                continue; // a stale announcement: the batch was already taken
            }
            return Step::Delivered {
                count,
                finished,
                panic,
            };
        }
    }

    /// Removes a finished future's pipe, `target` (idempotent: a nested dispatch may have
    /// removed it already), and returns it, for the caller to drop outside any borrow.
    fn retire(
        &self,
        key: PipeKey,
        target: &Rc<dyn PipeTarget>,
        after_final_message: bool,
    ) -> Option<Rc<dyn PipeTarget>> {
        self.forget_active(key);
        let mut pipes = self.pipes.borrow_mut();
        let removed = pipes
            .get(key)
            .is_some_and(|entry| Rc::ptr_eq(entry, target))
            .then(|| pipes.remove(key))
            .flatten();
        drop(pipes);
        self.forget_service(removed.as_ref());
        if let Some(target) = &removed {
            target.close(after_final_message);
        }
        removed
    }

    fn forget_active(&self, key: PipeKey) {
        let mut active = self.active.borrow_mut();
        // The pipe being dispatched is at the front: the common case needs no scan.
        if active.front() == Some(&key) {
            active.pop_front();
            if !active.contains(&key) {
                return;
            }
        }
        active.retain(|k| *k != key);
    }

    /// The next announced key, if any: from the inbox, which is refilled with every pending
    /// announcement when it runs dry, if `intake` allows.
    fn receive(&self, intake: Intake) -> Option<PipeKey> {
        let mut inbox = self.inbox.borrow_mut();
        if let Some(key) = inbox.pop_front() {
            return Some(key);
        }
        if intake == Intake::Snapshot {
            return None;
        }
        self.shared.announcements.take_into(&mut inbox);
        inbox.pop_front()
    }

    /// Blocks until a key is pending, another thread wakes the loop, or the deadline passes;
    /// says which.
    pub(crate) fn wait(&self, deadline: Option<Instant>) -> Woke {
        if !self.active.borrow().is_empty() || !self.inbox.borrow().is_empty() {
            return Woke::Announced;
        }
        self.shared.announcements.wait(deadline)
    }
}

impl Drop for Router {
    fn drop(&mut self) {
        // Nobody takes the keys of tasks still running now: that is no missing event loop.
        self.shared.warn_undispatched_after(None);
    }
}
