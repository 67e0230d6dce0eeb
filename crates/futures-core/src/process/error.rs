//! [`ProcessError`]: how a task run in a child process can fail besides panicking.

use thiserror::Error;

use crate::error::TaskCancelled;

/// Why a task run in a child process failed: the future's error is
/// `TaskError::Error(ProcessError<E>)`, where `E` is the task's own error type. A panic in the
/// child is `TaskError::Panicked` with the panic's message, as on a thread.
///
/// ```
/// use traits_futures::process::ProcessError;
/// let crash: ProcessError<String> = ProcessError::Signalled { signal: 11 };
/// assert_eq!(
///     crash.to_string(),
///     "the task's process was killed by signal 11 (SIGSEGV) before the task finished"
/// );
/// let exit: ProcessError<String> = ProcessError::Exited { code: 3 };
/// assert_eq!(exit.to_string(), "the task's process exited with code 3 before the task finished");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum ProcessError<E> {
    /// The task returned `Err` with its own error value.
    #[error("the task returned an error: {0}")]
    Task(E),
    /// The child process was ended by a signal while it ran the task (a segfault, an abort,
    /// a kill from outside). The pool replaces it.
    #[error("the task's process was killed by signal {signal} ({}) before the task finished", signal_name(*.signal))]
    Signalled {
        /// The signal's number (11 is `SIGSEGV`, 6 `SIGABRT`, 9 `SIGKILL` on Linux).
        signal: i32,
    },
    /// The child process exited while it ran the task (the task called `std::process::exit`,
    /// or the child lost its parent's pipe). The pool replaces it.
    #[error("the task's process exited with code {code} before the task finished")]
    Exited {
        /// The exit code.
        code: i32,
    },
    /// No child process could be started: the pool's program could not be run, or it ended
    /// without greeting, or did not greet within the pool's
    /// [`start_timeout`](crate::process::ProcessPoolBuilder::start_timeout) (does its `main`
    /// call [`process::init`](crate::process::init) first?).
    #[error("no child process could be started: {0}")]
    Spawn(String),
    /// The child's output could not be read as the protocol: a value did not decode (the
    /// parent and the child disagree on its type) or something else wrote to the child's
    /// stdout (tasks in a child must print to stderr).
    #[error("the child process broke the protocol: {0}")]
    Protocol(String),
    /// The child has no task registered under this name: give it to
    /// [`process::init`](crate::process::init) in the child's `main`.
    #[error("the child process has no task named {0:?}: register it with process::init")]
    UnknownTask(String),
    /// The process pool was shut down before a child was free for the task.
    #[error("the process pool was shut down")]
    PoolClosed,
    /// The task was cancelled. A future never shows this error: it ends `Cancelled`.
    #[error("the task was cancelled")]
    Cancelled,
}

impl<E> ProcessError<E> {
    /// The task's own error, if it returned one.
    ///
    /// ```
    /// let err = traits_futures::process::ProcessError::Task(7u8);
    /// assert_eq!(err.as_task_error(), Some(&7));
    /// ```
    pub fn as_task_error(&self) -> Option<&E> {
        match self {
            ProcessError::Task(e) => Some(e),
            _ => None,
        }
    }
}

/// The usual name of a signal, by its Linux number.
fn signal_name(signal: i32) -> &'static str {
    match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => "unnamed",
    }
}

/// The error type of a call that cannot fail: it has no values. (`std::convert::Infallible`
/// has no serde form, and a process task's error type crosses a pipe.)
///
/// ```
/// use traits_futures::process::{Never, ProcessCall};
/// fn double(x: u32) -> u32 { 2 * x }
/// const DOUBLE: ProcessCall<u32, u32, Never> = ProcessCall::new("double", double);
/// # let _ = DOUBLE;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Error)]
#[error("never")]
pub enum Never {}

impl serde::Serialize for Never {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        match *self {}
    }
}

impl<'de> serde::Deserialize<'de> for Never {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Err(serde::de::Error::custom("`Never` has no values"))
    }
}

/// A progress task's cancellation, as its error crosses the pipe.
impl serde::Serialize for TaskCancelled {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit_struct("TaskCancelled")
    }
}

impl<'de> serde::Deserialize<'de> for TaskCancelled {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Unit;
        impl serde::de::Visitor<'_> for Unit {
            type Value = TaskCancelled;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("TaskCancelled")
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<TaskCancelled, E> {
                Ok(TaskCancelled)
            }
        }
        deserializer.deserialize_unit_struct("TaskCancelled", Unit)
    }
}
