//! [`BlockDeque`]: a FIFO queue stored in fixed-size blocks, for the pool's overflow (see
//! `overflow_ring.rs`), whose backlog can reach a million jobs in a burst of submissions.
//!
//! Why not a `VecDeque`: its one buffer doubles as the backlog grows, is copied at every
//! doubling, and is freed in one piece. With glibc, freeing so large a chunk first consolidates
//! every small chunk freed since (a burst's worth of futures) and returns the top of the heap
//! to the kernel, so the next burst faults every page in again (figures: ARCHITECTURE.md,
//! Performance). Blocks are allocated as the backlog grows and freed as it drains, each too
//! small to set that off, and nothing is ever copied. The last block drained is kept as a
//! spare, so that a backlog hovering around a block boundary does not allocate and free a block
//! each time it crosses it.

use std::collections::{LinkedList, VecDeque};
use std::mem;

/// The size of a block's buffer: well below the sizes at which glibc's `free` consolidates the
/// heap and `malloc` maps memory of its own, large enough that a block's allocation is amortised
/// over many values.
const BLOCK_BYTES: usize = 16 * 1024;

/// An unbounded FIFO queue of blocks, each a deque that never grows past its first capacity.
pub(crate) struct BlockDeque<T> {
    /// Oldest block first; only the last receives values, only the first gives them.
    blocks: LinkedList<VecDeque<T>>,
    /// Values queued, in all blocks.
    len: usize,
    /// An empty block, kept for the next one needed.
    spare: Option<VecDeque<T>>,
}

impl<T> BlockDeque<T> {
    /// An empty queue; it allocates nothing until the first push.
    pub(crate) const fn new() -> Self {
        BlockDeque {
            blocks: LinkedList::new(),
            len: 0,
            spare: None,
        }
    }

    /// Values per block (at least one).
    fn block_len() -> usize {
        (BLOCK_BYTES / mem::size_of::<T>().max(1)).max(1)
    }

    /// Nothing queued.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues `value` last.
    pub(crate) fn push_back(&mut self, value: T) {
        match self.blocks.back_mut() {
            // A block never reallocates: it is full at the capacity it was made with.
            Some(block) if block.len() < block.capacity() => block.push_back(value),
            _ => {
                let mut block = self
                    .spare
                    .take()
                    .unwrap_or_else(|| VecDeque::with_capacity(Self::block_len()));
                block.push_back(value);
                self.blocks.push_back(block);
            }
        }
        self.len += 1;
    }

    /// Takes the oldest value.
    pub(crate) fn pop_front(&mut self) -> Option<T> {
        loop {
            let front = self.blocks.front_mut()?;
            if let Some(value) = front.pop_front() {
                self.len -= 1;
                return Some(value);
            }
            // Drained by earlier pops (a block stays until the pop after its last value, so
            // that `push_front` always finds room in it).
            let drained = self.blocks.pop_front();
            if self.spare.is_none() {
                self.spare = drained;
            }
        }
    }

    /// Puts back `value`, which must be the value the last `pop_front` returned: it goes where
    /// it came from, so the block it left has room for it.
    pub(crate) fn push_front(&mut self, value: T) {
        match self.blocks.front_mut() {
            Some(block) if block.len() < block.capacity() => block.push_front(value),
            _ => {
                // Not reached by the pool (see above); correct nonetheless.
                let mut block = VecDeque::with_capacity(Self::block_len());
                block.push_front(value);
                self.blocks.push_front(block);
            }
        }
        self.len += 1;
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{BlockDeque, BLOCK_BYTES};

    #[test]
    fn values_come_out_in_order_across_blocks_and_blocks_keep_their_capacity() {
        let per_block = BLOCK_BYTES / 8;
        let mut deque = BlockDeque::new();
        let total = 3 * per_block + 7;
        for i in 0..total as u64 {
            deque.push_back(i);
        }
        assert_eq!(deque.len, total);
        assert_eq!(deque.blocks.len(), 4);
        assert!(deque
            .blocks
            .iter()
            .all(|block| block.capacity() < 2 * per_block));
        let taken: Vec<u64> = std::iter::from_fn(|| deque.pop_front()).collect();
        assert_eq!(taken, (0..total as u64).collect::<Vec<_>>());
        assert!(deque.is_empty());
    }

    #[test]
    fn a_value_put_back_comes_out_first_and_a_drained_block_is_reused() {
        let per_block = BLOCK_BYTES / 8;
        let mut deque = BlockDeque::new();
        for i in 0..per_block as u64 + 1 {
            deque.push_back(i);
        }
        // Drain the first block to its last value, then put that value back.
        for i in 0..per_block as u64 {
            assert_eq!(deque.pop_front(), Some(i));
        }
        deque.push_front(per_block as u64 - 1);
        assert_eq!(deque.pop_front(), Some(per_block as u64 - 1));
        assert_eq!(deque.pop_front(), Some(per_block as u64));
        assert_eq!(deque.pop_front(), None);
        // The first block went to the spare; the next push takes it instead of allocating.
        assert!(deque.spare.is_some());
        deque.push_back(7);
        assert!(deque.spare.is_none());
        assert_eq!(deque.blocks.len(), 1);
        assert_eq!(deque.pop_front(), Some(7));
    }

    #[test]
    fn zero_sized_values_are_counted() {
        let mut deque = BlockDeque::new();
        for _ in 0..10 {
            deque.push_back(());
        }
        assert_eq!(deque.len, 10);
        assert_eq!(std::iter::from_fn(|| deque.pop_front()).count(), 10);
    }
}
