//! [`PipeKey`]: the key of a live pipe in the router's table (a `slotmap` key), and its packing
//! into the 56 bits of the pipe's atomic word that a worker announces.

use slotmap::{Key, KeyData};

slotmap::new_key_type! {
    /// The key of a live pipe in the router's table. A key outlives its entry harmlessly: the
    /// table's version check makes a stale key (a late announcement of a finished future) find
    /// nothing, never the slot's next occupant.
    pub(crate) struct PipeKey;
}

/// Bits of a packed key that hold the slot's index; the version takes the 32 above them.
const INDEX_BITS: u32 = 24;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;

/// How many pipes the table holds at most: every index must fit in [`INDEX_BITS`] (slotmap's
/// index 0 is its own sentinel, and an index is never larger than the most entries ever live).
pub(crate) const MAX_LIVE_PIPES: usize = (1 << INDEX_BITS) - 2;

impl PipeKey {
    /// The key in 56 bits: the slot's index in the low 24 and its full 32-bit version above.
    /// The version is kept whole, so a stale key is never mistaken for a newer one however
    /// often a slot is reused; the index is what is narrowed, which bounds the live pipes
    /// ([`MAX_LIVE_PIPES`]).
    pub(crate) fn to_bits(self) -> u64 {
        let ffi = self.data().as_ffi();
        let (version, index) = (ffi >> 32, ffi & u64::from(u32::MAX));
        debug_assert!(index <= INDEX_MASK, "a live pipe's index fits in 24 bits");
        version << INDEX_BITS | (index & INDEX_MASK)
    }

    /// The key [`to_bits`](Self::to_bits) packed.
    pub(crate) fn from_bits(bits: u64) -> Self {
        let (version, index) = (bits >> INDEX_BITS, bits & INDEX_MASK);
        KeyData::from_ffi(version << 32 | index).into()
    }
}

#[cfg(test)]
mod tests {
    use slotmap::{Key, SlotMap};

    use super::{PipeKey, MAX_LIVE_PIPES};

    #[test]
    fn a_key_survives_its_packing_whatever_its_version() {
        let mut table: SlotMap<PipeKey, u32> = SlotMap::with_key();
        let mut key = table.insert(0);
        // Reuse one slot many times: the version grows, and the packed key keeps all of it.
        for round in 1..1000 {
            assert_eq!(PipeKey::from_bits(key.to_bits()), key);
            table.remove(key);
            let next = table.insert(round);
            assert_ne!(next, key, "a reused slot has a new version");
            assert_eq!(table.get(key), None, "the stale key finds nothing");
            key = next;
        }
        assert_eq!(table.get(PipeKey::from_bits(key.to_bits())), Some(&999));
    }

    #[test]
    fn the_largest_index_and_version_fit_in_56_bits() {
        let key = PipeKey::from_bits((1 << 56) - 1);
        assert!(!key.is_null());
        assert_eq!(key.to_bits(), (1 << 56) - 1);
        let index = key.data().as_ffi() & u64::from(u32::MAX);
        assert!(index as usize >= MAX_LIVE_PIPES, "every live index fits");
    }
}
