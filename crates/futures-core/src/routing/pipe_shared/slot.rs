//! A pipe's slot: what its queue holds besides the marks in the pipe's word.

use std::mem;

use super::Tail;
use crate::sync::Thread;

/// The queue's one slot: the task, then (once custom messages arrive) the box of custom
/// messages, and the final message, alone or in that box. A worker takes the task before it
/// sends anything, so the task and what follows never coexist and share the space: the cell
/// stays small, and taking the task costs no lock of its own (it happens under the queue's
/// lock, with the `S` that follows it).
pub(super) enum Slot<M, K, T, E> {
    /// The task, waiting for a worker.
    Task(K),
    /// The task is out (running or finished), or there never was one (a pipe fed by hand).
    Empty,
    /// The final message, queued and not yet taken by the main side (no custom message came
    /// before it).
    Tail(Tail<T, E>),
    /// The task has sent custom messages: they and then the final message wait in a box, which
    /// stays for the pipe's life (its vector is recycled batch after batch).
    Spill(Box<Spill<M, T, E>>),
}

/// What a task that sends custom messages queues beyond the marks, and the worker's thread
/// while it waits (see `park.rs`).
pub(super) struct Spill<M, T, E> {
    pub(super) customs: Vec<M>,
    pub(super) tail: Option<Tail<T, E>>,
    pub(super) waiter: Option<Thread>,
}

impl<M, K, T, E> Slot<M, K, T, E> {
    pub(super) fn take_task(&mut self) -> Option<K> {
        match mem::replace(self, Slot::Empty) {
            Slot::Task(task) => Some(task),
            other => {
                *self = other;
                None
            }
        }
    }

    pub(super) fn take_tail(&mut self) -> Option<Tail<T, E>> {
        match self {
            Slot::Spill(spill) => spill.tail.take(),
            Slot::Tail(_) => match mem::replace(self, Slot::Empty) {
                Slot::Tail(tail) => Some(tail),
                _ => None,
            },
            Slot::Task(_) | Slot::Empty => None,
        }
    }

    pub(super) fn has_tail(&self) -> bool {
        match self {
            Slot::Tail(_) => true,
            Slot::Spill(spill) => spill.tail.is_some(),
            Slot::Task(_) | Slot::Empty => false,
        }
    }

    /// Queues a custom message; hands it back if the slot cannot hold one (never, in `Open`).
    #[inline]
    pub(super) fn push_custom(&mut self, custom: M) -> Result<(), M> {
        match self {
            Slot::Spill(spill) => spill.customs.push(custom),
            Slot::Empty => self.spill(custom),
            Slot::Task(_) | Slot::Tail(_) => return Err(custom),
        }
        Ok(())
    }

    /// The first custom message: the box that holds them from now on. Apart from
    /// [`push_custom`](Self::push_custom), whose every later call (a stream's) then inlines.
    #[cold]
    fn spill(&mut self, custom: M) {
        *self = Slot::Spill(Box::new(Spill {
            customs: vec![custom],
            tail: None,
            waiter: None,
        }))
    }

    /// Queues the final message; hands it back if the slot cannot hold it (never, in `Open`).
    pub(super) fn push_tail(&mut self, tail: Tail<T, E>) -> Result<(), Tail<T, E>> {
        match self {
            Slot::Spill(spill) if spill.tail.is_none() => spill.tail = Some(tail),
            Slot::Empty => *self = Slot::Tail(tail),
            Slot::Spill(_) | Slot::Task(_) | Slot::Tail(_) => return Err(tail),
        }
        Ok(())
    }
}
