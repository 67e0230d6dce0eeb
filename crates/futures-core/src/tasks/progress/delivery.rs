//! How a progress task's reports travel to the main thread: [`ProgressDelivery`], and for
//! latest-value delivery the slot a worker and the future share ([`LatestSlot`]) and the
//! worker's side of it ([`Coalescer`]).
//!
//! Latest-value delivery sends each report as an ordinary message, at most one of them
//! undispatched at a time after the first. While one is in flight, a newer report waits in the
//! slot, replacing any report waiting there; when the future handles the message in flight it
//! takes the slot's report instead of the message's own (the slot's is newer). The message
//! type stays the report type, so the lossless mode pays nothing for the other two.

use std::cell::Cell;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::error::TaskCancelled;
use crate::routing::background_task::TaskContext;

/// How a progress task's reports reach the future: every one (the default), or only the
/// latest, optionally at most so many a second. Chosen at submission with
/// [`submit_progress_with`](crate::submit_progress_with) or
/// [`submit_try_progress_with`](crate::submit_try_progress_with).
///
/// Whatever the delivery, the first report and the last are delivered, in order, before the
/// future's final state; [`report`](crate::ProgressReporter::report) returns
/// `Err(TaskCancelled)` once the future is cancelled, and nothing is delivered after
/// [`cancel`](crate::TaskFuture::cancel) returned `true`.
///
/// Choose `Latest` (or `LatestAtMost`) when the reports feed a display, and the task may
/// report faster than the display draws: the main thread then handles about one report per
/// dispatch, however many the task sends.
///
/// ```
/// use std::num::NonZeroU32;
/// use traits_futures::{submit_progress_with, ProgressDelivery, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let per_second = NonZeroU32::new(30).unwrap();
/// let future = submit_progress_with(&executor, ProgressDelivery::LatestAtMost { per_second }, |reporter| {
///     for done in 0..=100_000u32 {
///         reporter.report(done)?;
///     }
///     Ok(())
/// })?;
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.progress().get(), Some(100_000)); // the last report is always delivered
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProgressDelivery {
    /// Lossless: every report is delivered, in order ([`submit_progress`](crate::submit_progress)'s
    /// delivery). Each report costs the main thread one message.
    ///
    /// ```
    /// use traits_futures::ProgressDelivery;
    /// assert_eq!(ProgressDelivery::default(), ProgressDelivery::Every);
    /// ```
    #[default]
    Every,
    /// Latest value: the task keeps at most one undispatched report; a newer one replaces it.
    /// The first and the last reports are always delivered; those delivered are in the order
    /// reported. A flood of reports costs the main thread about one message per dispatch.
    ///
    /// ```
    /// use traits_futures::{submit_progress_with, testing::Recorder, ProgressDelivery, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let future = submit_progress_with(&executor, ProgressDelivery::Latest, |reporter| {
    ///     for done in 1..=1000 { reporter.report(done)?; }
    ///     Ok(())
    /// })?;
    /// let reports = Recorder::event(future.reports());
    /// executor.run_until(|| future.done().get(), None)?;
    /// let delivered = reports.values();
    /// assert_eq!((delivered[0], delivered[delivered.len() - 1]), (1, 1000));
    /// assert!(delivered.windows(2).all(|pair| pair[0] < pair[1]));
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    Latest,
    /// `Latest`, and a report is sent at most `per_second` times a second. The first and the
    /// last reports are always delivered; a report held back by the limit is delivered with a
    /// later report once the interval has passed (it is then replaced by that newer one), or,
    /// if it is the last, when the task ends.
    ///
    /// ```
    /// use std::num::NonZeroU32;
    /// use traits_futures::{submit_progress_with, testing::Recorder, ProgressDelivery, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let delivery = ProgressDelivery::LatestAtMost { per_second: NonZeroU32::MIN }; // once a second
    /// let future = submit_progress_with(&executor, delivery, |reporter| {
    ///     for done in 1..=1000 { reporter.report(done)?; }
    ///     Ok(())
    /// })?;
    /// let reports = Recorder::event(future.reports());
    /// executor.run_until(|| future.done().get(), None)?;
    /// assert_eq!(reports.values(), [1, 1000]); // quicker than a second: the first and the last
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    LatestAtMost {
        /// The most reports sent a second (after the first).
        per_second: NonZeroU32,
    },
}

impl ProgressDelivery {
    /// The worker's side of this delivery, with its slot; `None` for the lossless delivery.
    pub(super) fn coalescer<P>(self) -> Option<Coalescer<P>> {
        let interval = match self {
            ProgressDelivery::Every => return None,
            ProgressDelivery::Latest => None,
            ProgressDelivery::LatestAtMost { per_second } => {
                Some(Duration::from_secs(1) / per_second.get())
            }
        };
        Some(Coalescer {
            slot: Arc::new(LatestSlot::default()),
            interval,
            first_sent: Cell::new(false),
            last_sent: Cell::new(None),
            held: Cell::new(None),
        })
    }
}

/// The slot shared by a latest-value task and its future: the newest report not yet taken,
/// and whether a message is in flight (sent, not yet handled).
pub(super) struct LatestSlot<P> {
    state: Mutex<SlotState<P>>,
}

struct SlotState<P> {
    newer: Option<P>,
    in_flight: bool,
}

impl<P> Default for LatestSlot<P> {
    fn default() -> Self {
        LatestSlot {
            state: Mutex::new(SlotState {
                newer: None,
                in_flight: false,
            }),
        }
    }
}

impl<P> LatestSlot<P> {
    /// The lock; no user code runs under it, so a poisoned lock still holds a consistent state.
    fn lock(&self) -> MutexGuard<'_, SlotState<P>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The worker hands `report` over: back (to be sent as a message, now in flight) if no
    /// message is in flight; otherwise it waits in the slot, replacing the report there, which
    /// is dropped after the lock is released.
    fn offer(&self, report: P) -> Option<P> {
        let mut state = self.lock();
        if state.in_flight {
            let replaced = state.newer.replace(report);
            drop(state);
            drop(replaced);
            None
        } else {
            state.in_flight = true;
            Some(report)
        }
    }

    /// The future handles the message in flight: takes the report waiting in the slot, newer
    /// than the message's own, if there is one; the next report is sent as a message again.
    pub(super) fn take(&self) -> Option<P> {
        let mut state = self.lock();
        state.in_flight = false;
        state.newer.take()
    }
}

/// The worker's side of latest-value delivery, owned by the running task (so its cells need
/// no lock): the first report goes out as it is, later ones through the shared slot, and with
/// a rate limit, reports sent too soon wait in `held`.
pub(super) struct Coalescer<P> {
    slot: Arc<LatestSlot<P>>,
    /// The least time between two sent reports (`LatestAtMost`), `None` for `Latest`.
    interval: Option<Duration>,
    first_sent: Cell<bool>,
    /// When the last report was sent (with a rate limit).
    last_sent: Cell<Option<Instant>>,
    /// The newest report held back by the rate limit.
    held: Cell<Option<P>>,
}

impl<P> Coalescer<P> {
    /// The slot, for the future's handler.
    pub(super) fn slot(&self) -> Arc<LatestSlot<P>> {
        Arc::clone(&self.slot)
    }

    /// Reports `report`: sends it, leaves it in the slot, or holds it back (rate limit).
    pub(super) fn report(
        &self,
        context: &TaskContext<'_, P>,
        report: P,
    ) -> Result<(), TaskCancelled> {
        if context.cancelled() {
            return Err(TaskCancelled);
        }
        if !self.first_sent.replace(true) {
            // The first report is sent as it is, and the future delivers it as it is.
            if self.interval.is_some() {
                self.last_sent.set(Some(Instant::now()));
            }
            return context.send(report);
        }
        if let Some(interval) = self.interval {
            let now = Instant::now();
            let due = self
                .last_sent
                .get()
                .is_none_or(|last| now.duration_since(last) >= interval);
            if !due {
                drop(self.held.replace(Some(report)));
                return Ok(());
            }
            self.last_sent.set(Some(now));
            drop(self.held.take());
        }
        self.offer(context, report)
    }

    fn offer(&self, context: &TaskContext<'_, P>, report: P) -> Result<(), TaskCancelled> {
        match self.slot.offer(report) {
            Some(report) => context.send(report),
            None => Ok(()),
        }
    }

    /// The task ends (returned, failed or panicked): a report still held back by the rate limit
    /// goes out, ahead of the final message. Once cancelled, it is dropped instead.
    pub(super) fn flush(&self, context: &TaskContext<'_, P>) {
        if let Some(report) = self.held.take() {
            if !context.cancelled() {
                // Err only if cancelled meanwhile: the report is then not wanted.
                let _ = self.offer(context, report);
            }
        }
    }
}
