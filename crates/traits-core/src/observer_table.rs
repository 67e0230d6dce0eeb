//! The storage behind an [`ObserverList`](crate::ObserverList): its registrations in
//! registration order (the first in place, the rest in a lazily allocated overflow, with the
//! queue of payloads emitted during a notification), and the counter that numbers them and
//! flags a running notification. `observers.rs` holds the rules; this file only keeps the
//! slots, their keys and their tombstones.
//!
//! Every field is a `Cell` and every method takes `&self` and runs no user code (no callback,
//! no `Drop` of a callback or a payload: those are handed back to the caller), so the list
//! needs no `RefCell` and its borrow flag, which would make every future's status, where the
//! list is embedded, larger (figures: ARCHITECTURE.md, Performance).

use std::cell::Cell;
use std::collections::VecDeque;
use std::num::NonZeroU64;

use crate::callback::Callback;
use crate::guard::ObserverKey;

/// The top bit of a slot's key word: the registration was removed during a notification (a
/// tombstone, so that the running notification's indices stay valid), until the table is
/// compacted. Keys themselves never reach it (see [`Table::take_serial`]).
const REMOVED: u64 = 1 << 63;

/// A registration's key word: the [`ObserverKey`] (which carries the rank), and [`REMOVED`].
/// Never zero: serials start at 1, which makes an empty `Option` of it cost nothing.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct KeyWord(NonZeroU64);

impl KeyWord {
    pub(crate) fn new(key: ObserverKey) -> Self {
        KeyWord(NonZeroU64::new(key.to_bits()).expect("serials start at 1"))
    }

    pub(crate) fn key(self) -> ObserverKey {
        ObserverKey::from_bits(self.0.get() & !REMOVED)
    }

    /// Notification order: ranks ascending, then registration order.
    pub(crate) fn rank(self) -> u8 {
        self.key().rank()
    }

    pub(crate) fn is_live(self) -> bool {
        self.0.get() & REMOVED == 0
    }

    fn removed(self) -> Self {
        KeyWord(self.0 | REMOVED)
    }
}

/// One registration after the first.
struct Slot<A> {
    key: KeyWord,
    /// `None` while the callback is out of the table being called, and once removed.
    callback: Option<Callback<A>>,
}

/// What most observables never need, allocated on first need: room for a second registration,
/// and the queue of payloads emitted during a notification.
struct Overflow<A> {
    rest: Vec<Slot<A>>,
    pending: VecDeque<A>,
}

/// Registrations in registration order (hence sorted by key): the first in place, the rest in
/// the overflow. Most observables have at most one observer or dependent, and never emit
/// during their own notification: they cost this struct and no allocation.
pub(crate) struct Table<A> {
    first_key: Cell<Option<KeyWord>>,
    /// `None` while the first callback is out being called, and once removed.
    first_callback: Cell<Option<Callback<A>>>,
    overflow: Cell<Option<Box<Overflow<A>>>>,
    /// The serial number of the next registration in the low [`SERIAL_BITS`] bits (2⁵⁵ of them
    /// before keys would repeat), and the flags [`NOTIFYING`], [`DIRTY`] and [`HAS_OVERFLOW`].
    counter: Cell<u64>,
}

/// Bits of [`Table::counter`] that count registrations.
const SERIAL_BITS: u32 = 55;
/// A notification is running: emissions are queued, removals leave tombstones.
pub(crate) const NOTIFYING: u64 = 1 << 62;
/// Tombstones were left while notifying; compact when the notification ends.
pub(crate) const DIRTY: u64 = 1 << 61;
/// The overflow is allocated (read without taking it out of its cell).
const HAS_OVERFLOW: u64 = 1 << 60;

impl<A> Table<A> {
    pub(crate) fn new() -> Self {
        Table {
            first_key: Cell::new(None),
            first_callback: Cell::new(None),
            overflow: Cell::new(None),
            counter: Cell::new(0),
        }
    }

    /// The next registration's serial number (from 1).
    pub(crate) fn take_serial(&self) -> u64 {
        let counter = self.counter.get();
        let serial = (counter & ((1 << SERIAL_BITS) - 1)) + 1;
        assert!(serial < 1 << SERIAL_BITS, "2⁵⁵ registrations on one list");
        self.counter
            .set(counter & !((1 << SERIAL_BITS) - 1) | serial);
        serial
    }

    #[inline]
    pub(crate) fn flag(&self, flag: u64) -> bool {
        self.counter.get() & flag != 0
    }

    #[inline]
    pub(crate) fn set_flag(&self, flag: u64, on: bool) {
        let counter = self.counter.get();
        self.counter
            .set(if on { counter | flag } else { counter & !flag });
    }

    /// The whole counter: the serial number and the flags. An emission compares it before and
    /// after a callback runs: if it is the same, the callback changed nothing in the table (a
    /// registration takes a serial, a removal during a notification sets [`DIRTY`], a queued
    /// payload or a second slot allocates the overflow).
    #[inline]
    pub(crate) fn counter(&self) -> u64 {
        self.counter.get()
    }

    /// Sets the counter to a value [`counter`](Self::counter) returned, give or take
    /// [`NOTIFYING`] (the lone-callback path's bracket around its call).
    #[inline]
    pub(crate) fn restore_counter(&self, counter: u64) {
        self.counter.set(counter);
    }

    /// The first slot's callback, moved out (to call it), if the first slot is the only one, is
    /// live and holds its callback, and no notification runs: the common case of an emission.
    #[inline]
    pub(crate) fn take_lone(&self, counter: u64) -> Option<Callback<A>> {
        if counter & (NOTIFYING | HAS_OVERFLOW) != 0 || !self.first_key.get()?.is_live() {
            return None;
        }
        self.first_callback.take()
    }

    /// Runs `step` on the overflow, allocating it if `create` and it is missing; `None` if it is
    /// missing and not created. The overflow is out of its cell meanwhile: `step` runs no user
    /// code (see the module's documentation).
    #[inline]
    fn with_overflow<R>(
        &self,
        create: bool,
        step: impl FnOnce(&mut Overflow<A>) -> R,
    ) -> Option<R> {
        if !create && !self.flag(HAS_OVERFLOW) {
            return None;
        }
        let mut overflow = self.overflow.take().unwrap_or_else(|| {
            self.set_flag(HAS_OVERFLOW, true);
            Box::new(Overflow {
                rest: Vec::new(),
                pending: VecDeque::new(),
            })
        });
        let result = step(&mut overflow);
        self.overflow.set(Some(overflow));
        Some(result)
    }

    /// Queues a payload emitted during a notification.
    pub(crate) fn queue(&self, payload: A) {
        self.with_overflow(true, |overflow| overflow.pending.push_back(payload));
    }

    /// The next queued payload, if any.
    pub(crate) fn dequeue(&self) -> Option<A> {
        self.with_overflow(false, |overflow| overflow.pending.pop_front())
            .flatten()
    }

    /// Number of slots, tombstones included.
    #[inline]
    pub(crate) fn slot_count(&self) -> usize {
        usize::from(self.first_key.get().is_some())
            + self
                .with_overflow(false, |overflow| overflow.rest.len())
                .unwrap_or(0)
    }

    /// The key words of the live registrations, in order, to `visit` until it returns true.
    #[inline]
    pub(crate) fn any_live(&self, mut visit: impl FnMut(KeyWord) -> bool) -> bool {
        if let Some(first) = self.first_key.get() {
            if first.is_live() && visit(first) {
                return true;
            }
        }
        self.with_overflow(false, |overflow| {
            overflow
                .rest
                .iter()
                .any(|slot| slot.key.is_live() && visit(slot.key))
        })
        .unwrap_or(false)
    }

    /// No live registration. Answered from the first slot and the flags when it can be (a
    /// live first slot, or no overflow): observables ask before every notification.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        if self.first_key.get().is_some_and(KeyWord::is_live) {
            return false;
        }
        !self.flag(HAS_OVERFLOW) || !self.any_live(|_| true)
    }

    pub(crate) fn live(&self) -> usize {
        let mut live = 0;
        self.any_live(|_| {
            live += 1;
            false
        });
        live
    }

    /// The key word of the slot at `index`.
    #[inline]
    pub(crate) fn key_at(&self, index: usize) -> Option<KeyWord> {
        match index {
            0 => self.first_key.get(),
            _ => self
                .with_overflow(false, |overflow| {
                    overflow.rest.get(index - 1).map(|s| s.key)
                })
                .flatten(),
        }
    }

    /// Moves the callback of the slot at `index` out (to call it), if it is there.
    #[inline]
    pub(crate) fn take_callback(&self, index: usize) -> Option<Callback<A>> {
        match index {
            0 => self.first_callback.take(),
            _ => self
                .with_overflow(false, |overflow| {
                    overflow.rest.get_mut(index - 1)?.callback.take()
                })
                .flatten(),
        }
    }

    /// Puts a callback taken with [`take_callback`](Self::take_callback) back into its slot.
    #[inline]
    pub(crate) fn put_callback(&self, index: usize, callback: Callback<A>) {
        match index {
            0 => self.first_callback.set(Some(callback)),
            _ => {
                self.with_overflow(false, |overflow| {
                    if let Some(slot) = overflow.rest.get_mut(index - 1) {
                        slot.callback = Some(callback);
                    }
                });
            }
        }
    }

    /// Makes the slot at `index` a tombstone; returns its callback (unless it is out being
    /// called), for the caller to drop.
    pub(crate) fn tombstone(&self, index: usize) -> Option<Callback<A>> {
        match index {
            0 => {
                let key = self.first_key.get()?;
                self.first_key.set(Some(key.removed()));
                self.first_callback.take()
            }
            _ => self
                .with_overflow(false, |overflow| {
                    let slot = overflow.rest.get_mut(index - 1)?;
                    slot.key = slot.key.removed();
                    slot.callback.take()
                })
                .flatten(),
        }
    }

    pub(crate) fn push(&self, key: KeyWord, callback: Callback<A>) {
        if self.first_key.get().is_none() {
            self.first_key.set(Some(key));
            self.first_callback.set(Some(callback));
            return;
        }
        self.with_overflow(true, |overflow| {
            let rest = &mut overflow.rest;
            if rest.len() == rest.capacity() {
                // Grow 1, 2, 4, … rather than from 4: short lists are the common case.
                let more = rest.len().max(1);
                rest.reserve_exact(more);
            }
            rest.push(Slot {
                key,
                callback: Some(callback),
            });
        });
    }

    pub(crate) fn position(&self, key: ObserverKey) -> Option<usize> {
        let first = self.first_key.get()?;
        if first.key() == key {
            return Some(0);
        }
        self.with_overflow(false, |overflow| {
            overflow
                .rest
                .binary_search_by_key(&key, |slot| slot.key.key())
                .ok()
                .map(|i| i + 1)
        })
        .flatten()
    }

    /// Removes the slot at `index`, keeping the order of the others; returns its callback, for
    /// the caller to drop.
    pub(crate) fn remove(&self, index: usize) -> Option<Callback<A>> {
        if index > 0 {
            return self
                .with_overflow(false, |overflow| {
                    let rest = &mut overflow.rest;
                    (index - 1 < rest.len()).then(|| rest.remove(index - 1).callback)
                })
                .flatten()
                .flatten();
        }
        self.first_key.get()?;
        let next = self
            .with_overflow(false, |overflow| {
                (!overflow.rest.is_empty()).then(|| overflow.rest.remove(0))
            })
            .flatten();
        let (key, callback) = next.map_or((None, None), |slot| (Some(slot.key), slot.callback));
        self.first_key.set(key);
        self.first_callback.replace(callback)
    }

    /// The lowest rank above `above` among the first `count` slots.
    pub(crate) fn next_rank(&self, count: usize, above: Option<u8>) -> Option<u8> {
        (0..count)
            .filter_map(|index| self.key_at(index).map(KeyWord::rank))
            .filter(|rank| above.is_none_or(|above| *rank > above))
            .min()
    }

    /// Drops the tombstones (whose callbacks were handed out when they were made), keeping the
    /// order of the others.
    pub(crate) fn compact(&self) {
        self.with_overflow(false, |overflow| {
            overflow.rest.retain(|slot| slot.key.is_live())
        });
        if self.first_key.get().is_some_and(|key| !key.is_live()) {
            let callback = self.remove(0);
            debug_assert!(callback.is_none(), "a tombstone keeps no callback");
        }
    }
}
