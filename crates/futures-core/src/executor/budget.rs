//! A frame budget for dispatch: [`DispatchBudget`] (how much one dispatching call may do),
//! [`Dispatched`] (what it did), and the meter that the event loop runs a budget with.
//!
//! A GUI draws between two dispatches. A dispatch that runs as long as messages keep coming
//! (a task reporting progress as fast as it can) would stop it drawing, so a budgeted dispatch
//! stops when its time or its message count is spent, and asks for a wake so that the rest
//! comes next frame.

use std::time::{Duration, Instant};

/// How much one dispatching call may do: a time limit, a message limit, or both (whichever is
/// spent first ends the call). Used by
/// [`TraitsExecutor::dispatch_within`](crate::TraitsExecutor::dispatch_within) and
/// [`Dispatcher::with_budget`](crate::Dispatcher::with_budget).
///
/// The message limit is exact. The time limit is checked between messages, never during one:
/// the clock is read after the first message, then at intervals that double (up to every 32
/// messages) while messages are quick, and after every message once they are slow (one
/// interval took a sixteenth of the budget or more). So quick messages cost one clock read per
/// few dozen, and slow ones overrun the budget by at most about one interval; but a single
/// observer that runs long overruns it by as much: a budget cannot interrupt an observer.
/// Every call delivers at least one message if any is pending, unless its message limit is 0.
///
/// ```
/// use std::time::Duration;
/// use traits_futures::DispatchBudget;
///
/// let budget = DispatchBudget::time(Duration::from_millis(2)).with_messages(500);
/// assert_eq!(budget.max_time(), Some(Duration::from_millis(2)));
/// assert_eq!(budget.max_messages(), Some(500));
/// assert_eq!(DispatchBudget::messages(10).max_time(), None);
/// assert_eq!(DispatchBudget::default(), DispatchBudget::FRAME);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DispatchBudget {
    time: Option<Duration>,
    messages: Option<usize>,
}

impl DispatchBudget {
    /// One GUI frame's share: 4 ms, and no message limit.
    ///
    /// Why 4 ms: a 60 Hz display gives a frame 16.7 ms, and the frame must still lay out and
    /// draw after dispatching; a quarter of it for the futures' messages (observers included)
    /// keeps a frame that dispatches a flood, then draws for a few milliseconds, within the
    /// frame or close to it. No message limit: however quick the messages, time is what the
    /// frame lacks, and a count alone would be too much for slow observers or too little for
    /// quick ones.
    ///
    /// ```
    /// use std::time::Duration;
    /// use traits_futures::DispatchBudget;
    ///
    /// assert_eq!(DispatchBudget::FRAME.max_time(), Some(Duration::from_millis(4)));
    /// assert_eq!(DispatchBudget::FRAME.max_messages(), None);
    /// ```
    pub const FRAME: DispatchBudget = DispatchBudget::time(Duration::from_millis(4));

    /// No limit at all (`dispatch_pending`).
    pub(crate) const UNLIMITED: DispatchBudget = DispatchBudget {
        time: None,
        messages: None,
    };

    /// A time limit, and no message limit.
    ///
    /// ```
    /// use std::time::Duration;
    /// use traits_futures::DispatchBudget;
    ///
    /// let budget = DispatchBudget::time(Duration::from_millis(8));
    /// assert_eq!((budget.max_time(), budget.max_messages()), (Some(Duration::from_millis(8)), None));
    /// ```
    pub const fn time(limit: Duration) -> Self {
        DispatchBudget {
            time: Some(limit),
            messages: None,
        }
    }

    /// A message limit, and no time limit. Every message counts: `Started`, each custom
    /// message (an item, a report), and the final one.
    ///
    /// ```
    /// use traits_futures::DispatchBudget;
    ///
    /// let budget = DispatchBudget::messages(100);
    /// assert_eq!((budget.max_time(), budget.max_messages()), (None, Some(100)));
    /// ```
    pub const fn messages(limit: usize) -> Self {
        DispatchBudget {
            time: None,
            messages: Some(limit),
        }
    }

    /// This budget with its time limit set to `limit`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use traits_futures::DispatchBudget;
    ///
    /// let budget = DispatchBudget::messages(100).with_time(Duration::from_millis(2));
    /// assert_eq!(budget.max_time(), Some(Duration::from_millis(2)));
    /// assert_eq!(budget.max_messages(), Some(100));
    /// ```
    pub const fn with_time(self, limit: Duration) -> Self {
        DispatchBudget {
            time: Some(limit),
            ..self
        }
    }

    /// This budget with its message limit set to `limit`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use traits_futures::DispatchBudget;
    ///
    /// let budget = DispatchBudget::FRAME.with_messages(1024);
    /// assert_eq!(budget.max_time(), Some(Duration::from_millis(4)));
    /// assert_eq!(budget.max_messages(), Some(1024));
    /// ```
    pub const fn with_messages(self, limit: usize) -> Self {
        DispatchBudget {
            messages: Some(limit),
            ..self
        }
    }

    /// The time limit, if any.
    ///
    /// ```
    /// assert_eq!(traits_futures::DispatchBudget::messages(1).max_time(), None);
    /// ```
    pub const fn max_time(&self) -> Option<Duration> {
        self.time
    }

    /// The message limit, if any.
    ///
    /// ```
    /// assert_eq!(traits_futures::DispatchBudget::messages(1).max_messages(), Some(1));
    /// ```
    pub const fn max_messages(&self) -> Option<usize> {
        self.messages
    }
}

impl Default for DispatchBudget {
    /// [`DispatchBudget::FRAME`].
    fn default() -> Self {
        DispatchBudget::FRAME
    }
}

/// What a budgeted dispatch did: returned by
/// [`TraitsExecutor::dispatch_within`](crate::TraitsExecutor::dispatch_within).
///
/// When `more_pending` is true, a wake was requested for the rest (the wake callback is called,
/// unless a wake is already on its way, and every [`Dispatcher`](crate::Dispatcher) is woken), so
/// a notify or async loop comes back for it by itself; a loop of your own may also just call
/// again next frame.
///
/// ```
/// use traits_futures::{DispatchBudget, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let dispatched = executor.dispatch_within(DispatchBudget::FRAME);
/// assert_eq!((dispatched.delivered, dispatched.more_pending), (0, false));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Dispatched {
    /// How many messages were delivered to futures.
    pub delivered: usize,
    /// Something was left for a later call: messages the budget did not cover, or that were
    /// announced while this call ran.
    pub more_pending: bool,
}

impl Dispatched {
    pub(crate) fn new(delivered: usize, more_pending: bool) -> Self {
        Dispatched {
            delivered,
            more_pending,
        }
    }
}

/// The longest interval, in messages, between two reads of the clock.
const MAX_READ_INTERVAL: u32 = 32;

/// A budget being spent: counts messages, and reads the clock now and then (see
/// [`DispatchBudget`] for when).
pub(crate) struct BudgetMeter {
    /// Messages still allowed (`usize::MAX`: no limit).
    messages_left: usize,
    /// When the time limit runs out, if there is one.
    deadline: Option<Instant>,
    /// An interval between two reads of the clock shorter than this was quick.
    quick: Duration,
    last_read: Instant,
    /// Messages between two reads, and until the next one.
    interval: u32,
    until_read: u32,
    spent: bool,
}

impl BudgetMeter {
    /// Starts spending `budget` now.
    pub(crate) fn start(budget: DispatchBudget) -> Self {
        let messages_left = budget.messages.unwrap_or(usize::MAX);
        let (deadline, quick, last_read) = match budget.time {
            Some(limit) => {
                let now = Instant::now();
                (now.checked_add(limit), limit / 16, now)
            }
            // Never read: no clock is needed (`last_read` is a placeholder).
            None => (None, Duration::ZERO, Instant::now()),
        };
        BudgetMeter {
            messages_left,
            deadline,
            quick,
            last_read,
            interval: 1,
            until_read: 1,
            spent: messages_left == 0,
        }
    }

    /// Messages the next dispatch step may deliver (0 once the budget is spent).
    pub(crate) fn allowance(&self) -> usize {
        if self.spent {
            0
        } else {
            self.messages_left
        }
    }

    /// Counts a delivered message; returns whether the budget is now spent.
    pub(crate) fn after_message(&mut self) -> bool {
        if self.spent {
            return true;
        }
        if self.messages_left != usize::MAX {
            self.messages_left -= 1;
            if self.messages_left == 0 {
                self.spent = true;
                return true;
            }
        }
        let Some(deadline) = self.deadline else {
            return false;
        };
        self.until_read -= 1;
        if self.until_read > 0 {
            return false;
        }
        let now = Instant::now();
        if now >= deadline {
            self.spent = true;
            return true;
        }
        let took = now.saturating_duration_since(self.last_read);
        self.last_read = now;
        self.interval = if took < self.quick {
            (self.interval * 2).min(MAX_READ_INTERVAL)
        } else {
            1
        };
        self.until_read = self.interval;
        false
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::time::Duration;

    use super::{BudgetMeter, DispatchBudget, MAX_READ_INTERVAL};

    #[test]
    fn a_message_limit_is_spent_exactly() {
        let mut meter = BudgetMeter::start(DispatchBudget::messages(3));
        assert_eq!(meter.allowance(), 3);
        assert!(!meter.after_message());
        assert!(!meter.after_message());
        assert!(meter.after_message());
        assert_eq!(meter.allowance(), 0);
    }

    #[test]
    fn a_zero_message_limit_allows_nothing() {
        let meter = BudgetMeter::start(DispatchBudget::messages(0).with_time(Duration::MAX));
        assert_eq!(meter.allowance(), 0);
    }

    #[test]
    fn quick_messages_space_out_the_clock_reads_up_to_the_longest_interval() {
        let mut meter = BudgetMeter::start(DispatchBudget::time(Duration::from_secs(3600)));
        for _ in 0..1000 {
            assert!(!meter.after_message());
        }
        assert_eq!(meter.interval, MAX_READ_INTERVAL);
    }

    #[test]
    fn a_spent_time_limit_is_seen_at_the_first_read() {
        let mut meter = BudgetMeter::start(DispatchBudget::time(Duration::ZERO));
        assert!(
            meter.after_message(),
            "the clock is read after the first message"
        );
        assert_eq!(meter.allowance(), 0);
    }

    #[test]
    fn slow_messages_have_the_clock_read_after_each() {
        let mut meter = BudgetMeter::start(DispatchBudget::time(Duration::from_secs(3600)));
        // Quick messages first: the reads space out.
        for _ in 0..100 {
            assert!(!meter.after_message());
        }
        assert_eq!(meter.interval, MAX_READ_INTERVAL);
        // Then slow ones (slower than a sixteenth of the budget, here shortened to 100 µs).
        meter.quick = Duration::from_micros(100);
        for _ in 0..2 * MAX_READ_INTERVAL {
            std::thread::sleep(Duration::from_micros(200));
            assert!(!meter.after_message());
        }
        assert_eq!((meter.interval, meter.until_read), (1, 1));
    }
}
