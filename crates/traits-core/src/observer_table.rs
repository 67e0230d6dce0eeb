//! The storage behind an [`ObserverList`](crate::ObserverList): its registrations in
//! registration order (the first inline, the rest in a lazily allocated overflow, with the
//! queue of payloads emitted during a notification), and the one word that numbers them and
//! flags a running notification. `observers.rs` holds the rules; this file only keeps the
//! slots, their keys and their tombstones.

use std::collections::VecDeque;
use std::num::NonZeroU64;

use crate::callback::Callback;
use crate::guard::ObserverKey;

/// The top bit of a slot's key word: the registration was removed during a notification (a
/// tombstone, so that the running notification's indices stay valid), until the table is
/// compacted. Keys themselves never reach it (see [`Table::take_serial`]).
const REMOVED: u64 = 1 << 63;

/// One registration: 24 bytes, so that the list embedded in its owner stays small.
pub(crate) struct Slot<A> {
    /// The [`ObserverKey`] (which carries the rank), and [`REMOVED`]. Never zero: serials
    /// start at 1, which makes an empty `Option<Slot>` cost nothing.
    pub(crate) key: NonZeroU64,
    /// `None` while the callback is out of the table being called (see
    /// `ObserverList::call`), and once removed.
    pub(crate) callback: Option<Callback<A>>,
}

impl<A> Slot<A> {
    pub(crate) fn key(&self) -> ObserverKey {
        ObserverKey::from_bits(self.key.get() & !REMOVED)
    }

    /// Notification order: ranks ascending, then registration order.
    pub(crate) fn rank(&self) -> u8 {
        self.key().rank()
    }

    pub(crate) fn is_live(&self) -> bool {
        self.key.get() & REMOVED == 0
    }

    /// Makes the slot a tombstone; returns its callback (unless it is out being called).
    pub(crate) fn tombstone(&mut self) -> Option<Callback<A>> {
        self.key |= REMOVED;
        self.callback.take()
    }
}

/// What most observables never need, allocated on first need: room for a second registration,
/// and the queue of payloads emitted during a notification.
pub(crate) struct Overflow<A> {
    pub(crate) rest: Vec<Slot<A>>,
    pub(crate) pending: VecDeque<A>,
}

/// Registrations in registration order (hence sorted by key): the first inline, the rest in the
/// overflow. Most observables have at most one observer or dependent, and never emit during
/// their own notification: they cost this struct and no allocation.
pub(crate) struct Table<A> {
    pub(crate) first: Option<Slot<A>>,
    pub(crate) overflow: Option<Box<Overflow<A>>>,
    /// The serial number of the next registration in the low [`SERIAL_BITS`] bits (2⁵⁵ of them
    /// before keys would repeat), and the flags [`NOTIFYING`] and [`DIRTY`]: one word.
    pub(crate) counter: u64,
}

/// Bits of [`Table::counter`] that count registrations.
const SERIAL_BITS: u32 = 55;
/// A notification is running: emissions are queued, removals leave tombstones.
pub(crate) const NOTIFYING: u64 = 1 << 62;
/// Tombstones were left while notifying; compact when the notification ends.
pub(crate) const DIRTY: u64 = 1 << 61;

impl<A> Table<A> {
    /// The next registration's serial number (from 1).
    pub(crate) fn take_serial(&mut self) -> u64 {
        let serial = (self.counter & ((1 << SERIAL_BITS) - 1)) + 1;
        assert!(serial < 1 << SERIAL_BITS, "2⁵⁵ registrations on one list");
        self.counter = self.counter & !((1 << SERIAL_BITS) - 1) | serial;
        serial
    }

    pub(crate) fn flag(&self, flag: u64) -> bool {
        self.counter & flag != 0
    }

    pub(crate) fn set_flag(&mut self, flag: u64, on: bool) {
        if on {
            self.counter |= flag;
        } else {
            self.counter &= !flag;
        }
    }

    pub(crate) fn rest(&self) -> &[Slot<A>] {
        self.overflow.as_ref().map_or(&[], |o| &o.rest)
    }

    pub(crate) fn overflow(&mut self) -> &mut Overflow<A> {
        self.overflow.get_or_insert_with(|| {
            Box::new(Overflow {
                rest: Vec::new(),
                pending: VecDeque::new(),
            })
        })
    }

    /// Number of slots, tombstones included.
    pub(crate) fn slot_count(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest().len()
    }

    pub(crate) fn live(&self) -> usize {
        self.first
            .iter()
            .chain(self.rest())
            .filter(|slot| slot.is_live())
            .count()
    }

    pub(crate) fn get(&self, index: usize) -> Option<&Slot<A>> {
        match index {
            0 => self.first.as_ref(),
            _ => self.rest().get(index - 1),
        }
    }

    pub(crate) fn get_mut(&mut self, index: usize) -> Option<&mut Slot<A>> {
        match index {
            0 => self.first.as_mut(),
            _ => self
                .overflow
                .as_mut()
                .and_then(|o| o.rest.get_mut(index - 1)),
        }
    }

    pub(crate) fn push(&mut self, slot: Slot<A>) {
        if self.first.is_none() {
            self.first = Some(slot);
            return;
        }
        let rest = &mut self.overflow().rest;
        if rest.len() == rest.capacity() {
            // Grow 1, 2, 4, … rather than from 4: short lists are the common case.
            let more = rest.len().max(1);
            rest.reserve_exact(more);
        }
        rest.push(slot);
    }

    pub(crate) fn position(&self, key: ObserverKey) -> Option<usize> {
        match &self.first {
            Some(first) if first.key() == key => Some(0),
            Some(_) => self
                .rest()
                .binary_search_by_key(&key, Slot::key)
                .ok()
                .map(|i| i + 1),
            None => None,
        }
    }

    /// Removes the slot at `index`, keeping the order of the others.
    pub(crate) fn remove(&mut self, index: usize) -> Option<Slot<A>> {
        if index > 0 {
            let rest = &mut self.overflow.as_mut()?.rest;
            return (index - 1 < rest.len()).then(|| rest.remove(index - 1));
        }
        let next = match &mut self.overflow {
            Some(overflow) if !overflow.rest.is_empty() => Some(overflow.rest.remove(0)),
            _ => None,
        };
        std::mem::replace(&mut self.first, next)
    }

    /// The lowest rank above `above` among the first `count` slots.
    pub(crate) fn next_rank(&self, count: usize, above: Option<u8>) -> Option<u8> {
        (0..count)
            .filter_map(|index| self.get(index).map(Slot::rank))
            .filter(|rank| above.is_none_or(|above| *rank > above))
            .min()
    }

    /// Drops the tombstones, keeping the order of the others.
    pub(crate) fn compact(&mut self) {
        if let Some(overflow) = &mut self.overflow {
            overflow.rest.retain(Slot::is_live);
        }
        if self.first.as_ref().is_some_and(|slot| !slot.is_live()) {
            self.remove(0);
        }
    }
}
