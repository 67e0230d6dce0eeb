//! Composing futures on the main thread: awaiting a future, continuations, owning handles, the
//! latest-wins slot, groups, deadlines, and submitting from other threads. Every composition
//! works on any task type's [`TaskFuture`](crate::TaskFuture), built on its one state machine.
//!
//! The top layer below the crate's face: it uses the task types, the executor and the future,
//! and nothing below uses it.

pub(crate) mod chain;
pub(crate) mod continuation;
pub(crate) mod group;
pub(crate) mod outcome;
pub(crate) mod owned;
pub(crate) mod slot;
pub(crate) mod submitter;
