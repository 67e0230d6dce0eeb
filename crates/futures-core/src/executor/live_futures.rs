//! The executor's live futures as an observable list ([`TraitsExecutor::live_futures`]): an
//! entry ([`LiveFuture`]) per submitted future that is not done, for a task-manager panel.
//!
//! [`TraitsExecutor::live_futures`]: crate::TraitsExecutor::live_futures

use std::cell::Cell;
use std::fmt;
use std::rc::Rc;

use traits_core::{Derived, ObservableVec, ObserverGuard, WeakObservableVec};

use crate::future::property::FutureProperty;
use crate::future::task_future::{ErasedFuture, FutureHandler, TaskFuture};
use crate::state::FutureState;

/// One entry of an executor's [`live_futures`](crate::TraitsExecutor::live_futures): a
/// future of any task type, with what a task-manager panel shows of it (its state, its
/// progress if its task type reports one) and its cancel.
///
/// A cheap handle ([`Clone`]); it keeps its future alive.
///
/// ```
/// use traits_futures::{submit_call, FutureState, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let live = executor.live_futures();
/// let future = submit_call(&executor, || 6 * 7)?;
/// let entry = live.get(0).expect("listed on submit");
/// assert!(entry.is(&future));
/// assert_eq!(entry.state().get(), FutureState::Waiting);
/// assert!(entry.progress().is_none()); // a call reports no progress
/// executor.run_until(|| future.done().get(), None)?;
/// assert!(live.is_empty());
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct LiveFuture {
    entry: Rc<Entry>,
}

struct Entry {
    id: u64,
    future: Rc<dyn ErasedFuture>,
    progress: Option<Derived<Option<f64>>>,
    /// The observer of `done` that takes the entry out of the list; unregistered when the
    /// entry's last handle goes.
    _done: ObserverGuard,
}

impl LiveFuture {
    /// The entry's number: unique among one executor's entries, increasing in the order the
    /// futures were submitted (those already running when the list was made come first).
    ///
    /// ```
    /// use traits_futures::{submit_call, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let live = executor.live_futures();
    /// submit_call(&executor, || ())?;
    /// submit_call(&executor, || ())?;
    /// let ids: Vec<u64> = live.with(|entries| entries.iter().map(|e| e.id()).collect());
    /// assert!(ids[0] < ids[1]);
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn id(&self) -> u64 {
        self.entry.id
    }

    /// The future's state, observable and as a signal.
    ///
    /// ```
    /// use traits_futures::{submit_call, FutureState, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let live = executor.live_futures();
    /// submit_call(&executor, || ())?;
    /// let _label = live.get(0).unwrap().state().observe(|_, new| println!("now {new}"));
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn state(&self) -> FutureProperty<FutureState> {
        FutureProperty::state(Rc::clone(&self.entry.future).status_owner())
    }

    /// Whether the future can still be cancelled (for a cancel button's sensitivity).
    ///
    /// ```
    /// use traits_futures::{submit_call, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let live = executor.live_futures();
    /// submit_call(&executor, || ())?;
    /// assert!(live.get(0).unwrap().cancellable().get());
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancellable(&self) -> FutureProperty<bool> {
        FutureProperty::cancellable(Rc::clone(&self.entry.future).status_owner())
    }

    /// Cancels the future, as [`TaskFuture::cancel`] does (and returns what it returns).
    ///
    /// ```
    /// use traits_futures::{submit_call, FutureState, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let live = executor.live_futures();
    /// let future = submit_call(&executor, || ())?;
    /// assert!(live.get(0).unwrap().cancel());
    /// assert_eq!(future.state().get(), FutureState::Cancelling);
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn cancel(&self) -> bool {
        self.entry.future.cancel()
    }

    /// The task's progress, a fraction from 0.0 to 1.0 (`None` inside until the first report),
    /// if its task type reports one ([`FutureHandler::progress_fraction`]: steps futures,
    /// progress futures with numeric reports); `None` for the others.
    ///
    /// ```
    /// use traits_futures::{submit_steps, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let live = executor.live_futures();
    /// let future = submit_steps(&executor, |steps| {
    ///     steps.start(Some(2), "copying")?;
    ///     steps.step("file 1")?;
    ///     Ok(())
    /// })?;
    /// let progress = live.get(0).unwrap().progress().cloned().expect("steps have progress");
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(progress.get(), Some(0.5));
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn progress(&self) -> Option<&Derived<Option<f64>>> {
        self.entry.progress.as_ref()
    }

    /// True when this entry is `future`'s.
    ///
    /// ```
    /// use traits_futures::{submit_call, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let live = executor.live_futures();
    /// let (a, b) = (submit_call(&executor, || 1)?, submit_call(&executor, || 2)?);
    /// let row = live.lock_ref().iter().position(|entry| entry.is(&b));
    /// assert_eq!(row, Some(1));
    /// # drop(a);
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is<H: FutureHandler>(&self, future: &TaskFuture<H>) -> bool {
        self.entry.future.address() == future.address()
    }
}

impl fmt::Debug for LiveFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LiveFuture")
            .field("id", &self.entry.id)
            .field("state", &self.state().get())
            .finish_non_exhaustive()
    }
}

/// The list behind [`TraitsExecutor::live_futures`](crate::TraitsExecutor::live_futures),
/// made on its first call: the executor hands it each future it accepts, and each entry's
/// observer of `done` takes it out again (holding the list weakly, so that the list outlives
/// the executor only in its users' hands, and still loses its entries as they end).
pub(crate) struct LiveFutures {
    list: ObservableVec<LiveFuture>,
    next_id: Cell<u64>,
}

impl LiveFutures {
    /// A list of `running`, the futures already live.
    pub(crate) fn new(running: impl IntoIterator<Item = Rc<dyn ErasedFuture>>) -> Self {
        let live = LiveFutures {
            list: ObservableVec::new(),
            next_id: Cell::new(0),
        };
        for future in running {
            live.track(future);
        }
        live
    }

    /// The list (another handle to it).
    pub(crate) fn list(&self) -> ObservableVec<LiveFuture> {
        self.list.clone()
    }

    /// Lists `future` until it is done.
    pub(crate) fn track(&self, future: Rc<dyn ErasedFuture>) {
        if future.is_done() {
            return;
        }
        let id = self.next_id.get();
        self.next_id.set(id + 1);
        let list = self.list.downgrade();
        let done =
            FutureProperty::done(Rc::clone(&future).status_owner()).observe(move |_, done| {
                if *done {
                    forget(&list, id);
                }
            });
        let progress = future.progress_fraction();
        self.list.push(LiveFuture {
            entry: Rc::new(Entry {
                id,
                future,
                progress,
                _done: done,
            }),
        });
    }
}

/// Takes the entry `id` out of the list, if both are still there.
fn forget(list: &WeakObservableVec<LiveFuture>, id: u64) {
    let Some(list) = list.upgrade() else { return };
    // Entries are appended in id order and the executor only removes them, so a binary search
    // finds them, unless the list's user reordered it: then a search from the start does.
    let index = list.with(|entries| {
        entries
            .binary_search_by_key(&id, LiveFuture::id)
            .ok()
            .or_else(|| entries.iter().position(|entry| entry.id() == id))
    });
    if let Some(index) = index {
        // Within range: found just now, and nothing ran since.
        let _ = list.remove(index);
    }
}
