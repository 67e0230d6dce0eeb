//! [`PipeTable`]: the router's table of live pipes, a slab of fixed-size pages.
//!
//! Why not one growing vector (a slot map): a burst of submissions keeps every future in the
//! table at once, and a vector that doubles copies the whole table each time, touching fresh
//! memory twice over; freeing it in one piece at the end then makes glibc coalesce and trim
//! the heap, so the next burst faults every page in again. Pages of [`PAGE_SLOTS`] slots are
//! allocated once each, never move, and are reused through an intrusive free list.
//!
//! A key is an index and the generation of its slot when the entry went in; removing an entry
//! bumps the slot's generation, so an old key (a late announcement of a finished pipe) finds
//! nothing instead of the slot's next occupant. Generations have 24 bits (they wrap after 2²⁴
//! reuses of one slot, and an old key that met its slot's generation again would only make the
//! router look at that slot's pipe for messages once more), so a key fits in 56 bits and
//! leaves its pipe the top byte of the same word (see [`PipeKey::to_bits`]).

use std::fmt;

/// Slots per page: 1024 slots of 24 bytes for the router's entries.
const PAGE_SLOTS: usize = 1024;

/// The end of the free list.
const NO_SLOT: u32 = u32::MAX;

/// Generations wrap within 24 bits.
const GENERATION_MASK: u32 = (1 << 24) - 1;

/// Identifies a live pipe (one task) in the router's table; `Copy` and `Send`, so workers
/// announce it.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PipeKey {
    index: u32,
    generation: u32,
}

impl PipeKey {
    /// A key that no entry ever has (the router's sentinel).
    pub(crate) fn null() -> Self {
        PipeKey {
            index: NO_SLOT,
            generation: 0,
        }
    }

    pub(crate) fn is_null(self) -> bool {
        self.index == NO_SLOT
    }

    /// The key as a word whose top byte is always clear, for its holder to use.
    pub(crate) fn to_bits(self) -> u64 {
        u64::from(self.generation) << 32 | u64::from(self.index)
    }

    /// The key of [`to_bits`](Self::to_bits) (whose top byte is ignored).
    pub(crate) fn from_bits(bits: u64) -> Self {
        PipeKey {
            index: bits as u32,
            generation: (bits >> 32) as u32 & GENERATION_MASK,
        }
    }
}

impl fmt::Debug for PipeKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_null() {
            f.write_str("PipeKey(null)")
        } else {
            write!(f, "PipeKey({}v{})", self.index, self.generation)
        }
    }
}

/// What the table holds: a value that knows its own key. An occupied slot keeps only the
/// value, and a key's generation is checked against the value's own key; a vacant slot keeps
/// the generation for its next occupant. A slot is then two words (the router's values are
/// two-word `Rc<dyn PipeTarget>`s), not three: 8 bytes less per live future.
pub(crate) trait Keyed {
    /// The key the value was made with (see [`PipeTable::insert_with_key`]).
    fn key(&self) -> PipeKey;
}

enum Slot<T> {
    Occupied(T),
    Vacant {
        /// The generation of the slot's next occupant.
        generation: u32,
        /// The next vacant slot.
        next_free: u32,
    },
}

/// A table of values addressed by [`PipeKey`]s, in pages that never move.
pub(crate) struct PipeTable<T> {
    pages: Vec<Box<[Slot<T>]>>,
    /// Slots handed out so far (vacant or not); the next fresh slot's index.
    used: u32,
    free_head: u32,
    len: usize,
}

impl<T: Keyed> PipeTable<T> {
    pub(crate) fn new() -> Self {
        PipeTable {
            pages: Vec::new(),
            used: 0,
            free_head: NO_SLOT,
            len: 0,
        }
    }

    fn slot(&self, index: u32) -> Option<&Slot<T>> {
        let index = index as usize;
        self.pages
            .get(index / PAGE_SLOTS)
            .map(|page| &page[index % PAGE_SLOTS])
    }

    fn slot_mut(&mut self, index: u32) -> Option<&mut Slot<T>> {
        let index = index as usize;
        self.pages
            .get_mut(index / PAGE_SLOTS)
            .map(|page| &mut page[index % PAGE_SLOTS])
    }

    /// Inserts the value `make` returns for its key, which the value must report as its own
    /// ([`Keyed::key`]). If `make` panics, the table is unchanged.
    pub(crate) fn insert_with_key(&mut self, make: impl FnOnce(PipeKey) -> T) -> PipeKey {
        let index = if self.free_head != NO_SLOT {
            self.free_head
        } else {
            assert!(self.used < NO_SLOT, "more than 2³² − 1 pipes alive at once");
            if (self.used as usize).is_multiple_of(PAGE_SLOTS) {
                self.pages.push(
                    (0..PAGE_SLOTS)
                        .map(|_| Slot::Vacant {
                            generation: 0,
                            next_free: NO_SLOT,
                        })
                        .collect(),
                );
            }
            self.used
        };
        let Some(&Slot::Vacant {
            generation,
            next_free,
        }) = self.slot(index)
        else {
            unreachable!("the free list and the fresh slots are vacant")
        };
        let key = PipeKey { index, generation };
        let value = make(key);
        debug_assert!(
            value.key() == key,
            "a value must report the key it was made with"
        );
        // Commit only now: `make` may have panicked.
        if index == self.used {
            self.used += 1;
        } else {
            self.free_head = next_free;
        }
        *self.slot_mut(index).expect("the slot's page exists") = Slot::Occupied(value);
        self.len += 1;
        key
    }

    pub(crate) fn get(&self, key: PipeKey) -> Option<&T> {
        match self.slot(key.index)? {
            Slot::Occupied(value) if value.key() == key => Some(value),
            _ => None,
        }
    }

    /// Removes and returns the entry, if `key` still names it.
    pub(crate) fn remove(&mut self, key: PipeKey) -> Option<T> {
        self.remove_if(key, |value| value.key() == key)
    }

    /// Removes and returns the entry in `key`'s slot if `is_it` says it is the one `key` names
    /// (a caller that holds the entry can tell more cheaply than by asking for its key).
    pub(crate) fn remove_if(&mut self, key: PipeKey, is_it: impl FnOnce(&T) -> bool) -> Option<T> {
        match self.slot(key.index)? {
            Slot::Occupied(value) if is_it(value) => {}
            _ => return None,
        }
        let vacant = Slot::Vacant {
            generation: key.generation.wrapping_add(1) & GENERATION_MASK,
            next_free: self.free_head,
        };
        let Slot::Occupied(value) = std::mem::replace(self.slot_mut(key.index)?, vacant) else {
            unreachable!("it was found occupied")
        };
        self.free_head = key.index;
        self.len -= 1;
        Some(value)
    }

    /// The number of entries.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Every entry, in slot order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &T> {
        self.pages
            .iter()
            .flat_map(|page| page.iter())
            .filter_map(|slot| match slot {
                Slot::Occupied(value) => Some(value),
                Slot::Vacant { .. } => None,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::{Keyed, PipeKey, PipeTable, Slot, PAGE_SLOTS};

    /// A test value: its key, and a payload.
    #[derive(Debug, PartialEq)]
    struct Entry<V>(PipeKey, V);

    impl<V> Keyed for Entry<V> {
        fn key(&self) -> PipeKey {
            self.0
        }
    }

    fn payload<V: Copy>(table: &PipeTable<Entry<V>>, key: PipeKey) -> Option<V> {
        table.get(key).map(|entry| entry.1)
    }

    #[test]
    fn a_slot_is_two_words() {
        use std::rc::Rc;
        let word = std::mem::size_of::<usize>();
        assert_eq!(std::mem::size_of::<Slot<Rc<dyn Fn()>>>(), 2 * word);
    }

    #[test]
    fn entries_are_found_by_their_keys_across_pages() {
        let mut table = PipeTable::new();
        let keys: Vec<PipeKey> = (0..PAGE_SLOTS * 2 + 3)
            .map(|i| table.insert_with_key(|key| Entry(key, i)))
            .collect();
        assert_eq!(table.len(), PAGE_SLOTS * 2 + 3);
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(payload(&table, *key), Some(i));
        }
        assert_eq!(table.values().count(), table.len());
    }

    #[test]
    fn a_removed_entry_is_gone_and_its_old_key_never_finds_the_next_occupant() {
        let mut table = PipeTable::new();
        let first = table.insert_with_key(|key| Entry(key, "first"));
        assert_eq!(table.remove(first), Some(Entry(first, "first")));
        assert_eq!(table.remove(first), None, "removal is idempotent");
        let second = table.insert_with_key(|key| Entry(key, "second"));
        assert_eq!(first.index, second.index, "the slot is reused");
        assert_ne!(first, second, "under a new generation");
        assert_eq!(payload(&table, first), None);
        assert_eq!(table.remove(first), None);
        assert_eq!(payload(&table, second), Some("second"));
        assert_eq!(table.len(), 1);
    }

    #[test]
    fn remove_if_removes_only_the_entry_its_check_accepts() {
        let mut table = PipeTable::new();
        let key = table.insert_with_key(|key| Entry(key, 7));
        assert_eq!(table.remove_if(key, |entry| entry.1 == 8), None);
        assert_eq!(payload(&table, key), Some(7));
        assert_eq!(
            table.remove_if(key, |entry| entry.1 == 7),
            Some(Entry(key, 7))
        );
        assert_eq!(
            table.remove_if(key, |_| true),
            None,
            "the slot is vacant now"
        );
        assert_eq!(table.len(), 0);
        let next = table.insert_with_key(|key| Entry(key, 9));
        assert_ne!(next, key, "the slot's generation moved on");
    }

    #[test]
    fn freed_slots_are_reused_last_freed_first_and_fresh_ones_after() {
        let mut table = PipeTable::new();
        let keys: Vec<PipeKey> = (0..4)
            .map(|i| table.insert_with_key(|key| Entry(key, i)))
            .collect();
        table.remove(keys[1]);
        table.remove(keys[2]);
        let reused: Vec<u32> = (0..3)
            .map(|i| table.insert_with_key(|key| Entry(key, 10 + i)).index)
            .collect();
        assert_eq!(reused, [keys[2].index, keys[1].index, 4]);
        assert_eq!(table.len(), 5);
    }

    #[test]
    fn a_panicking_make_leaves_the_table_unchanged() {
        let mut table = PipeTable::new();
        let kept = table.insert_with_key(|key| Entry(key, 1));
        let gone = table.insert_with_key(|key| Entry(key, 2));
        table.remove(gone);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            table.insert_with_key(|_| -> Entry<i32> { panic!("make failed") })
        }));
        assert!(panicked.is_err());
        assert_eq!(table.len(), 1);
        let next = table.insert_with_key(|key| Entry(key, 3));
        assert_eq!(next.index, gone.index, "the free slot is still free");
        assert_eq!(
            (payload(&table, kept), payload(&table, next)),
            (Some(1), Some(3))
        );
    }

    #[test]
    fn a_key_survives_its_word_and_leaves_the_top_byte_free() {
        let mut table = PipeTable::new();
        let first = table.insert_with_key(|key| Entry(key, ()));
        table.remove(first);
        // Wear the vacant slot's generation up to its last value; one more removal wraps it.
        table.pages[0][first.index as usize] = Slot::Vacant {
            generation: super::GENERATION_MASK,
            next_free: super::NO_SLOT,
        };
        let key = table.insert_with_key(|key| Entry(key, ()));
        assert_eq!(key.generation, super::GENERATION_MASK);
        let bits = key.to_bits();
        assert_eq!(bits >> 56, 0);
        assert_eq!(PipeKey::from_bits(bits | 0xff << 56), key);
        table.remove(key);
        let wrapped = table.insert_with_key(|key| Entry(key, ()));
        assert_eq!(wrapped.generation, 0);
        assert_eq!(PipeKey::from_bits(wrapped.to_bits()), wrapped);
        assert_eq!(
            PipeKey::from_bits(PipeKey::null().to_bits()),
            PipeKey::null()
        );
    }

    #[test]
    fn the_null_key_finds_nothing() {
        let mut table = PipeTable::new();
        table.insert_with_key(|key| Entry(key, ()));
        assert!(PipeKey::null().is_null());
        assert_eq!(table.get(PipeKey::null()), None);
        assert_eq!(table.remove(PipeKey::null()), None);
    }
}
