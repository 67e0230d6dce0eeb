//! The routing of messages between workers and the main thread.
//!
//! A task's worker half ([`background_task`]) sends [`message`]s through a pipe: its shared half
//! ([`pipe_shared`], which also holds the task until a worker takes it) and its main-thread end
//! ([`pipe`]). [`runner`] is what a worker does around a task, and [`task_input`] a channel from the main thread into a running task. The [`router`] keeps the table of
//! live pipes and the [`announcements`] of pipes with something to dispatch, and calls the
//! [`wake_hooks`] of the event loops that must be woken.
//!
//! Uses the pools' queued-task seam; knows nothing of futures, executors or task types: the
//! main-thread end is generic over the message types, and the router sees a future only as a
//! [`PipeTarget`](pipe::PipeTarget).

pub(crate) mod announcements;
pub(crate) mod background_task;
pub(crate) mod message;
pub(crate) mod pipe;
pub(crate) mod pipe_key;
pub(crate) mod pipe_shared;
pub(crate) mod router;
pub(crate) mod runner;
pub(crate) mod task_input;
pub(crate) mod wake_hooks;
