//! Registered tasks: [`ProcessCall`] and [`ProcessTask`], named functions that a child process
//! runs, and [`ProcessEntry`], what [`init`](crate::process::init) takes a list of.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::TaskCancelled;
use crate::process::child::{ChildContext, ChildLink};
use crate::process::error::Never;

/// A call run in a child process: a named function from an input to a result. Declare it once,
/// as a `const` or `static` the parent and the child both see, give it to
/// [`init`](crate::process::init), and submit it with
/// [`submit_process_call`](crate::process::submit_process_call).
///
/// The name is what crosses the pipe: it must be unique among the tasks given to `init`.
///
/// ```
/// use traits_futures::process::ProcessCall;
///
/// fn square(x: u64) -> u64 {
///     x * x
/// }
/// const SQUARE: ProcessCall<u64, u64> = ProcessCall::new("square", square);
/// assert_eq!(SQUARE.name(), "square");
/// ```
pub struct ProcessCall<I, T, E = Never> {
    name: &'static str,
    run: CallFn<I, T, E>,
}

enum CallFn<I, T, E> {
    Infallible(fn(I) -> T),
    Fallible(fn(I) -> Result<T, E>),
}

impl<I, T> ProcessCall<I, T, Never> {
    /// Names `run`, a function of the task's input that returns its result.
    ///
    /// ```
    /// use traits_futures::process::ProcessCall;
    /// fn len(text: String) -> usize { text.len() }
    /// static LEN: ProcessCall<String, usize> = ProcessCall::new("len", len);
    /// # let _ = &LEN;
    /// ```
    pub const fn new(name: &'static str, run: fn(I) -> T) -> Self {
        ProcessCall {
            name,
            run: CallFn::Infallible(run),
        }
    }
}

impl<I, T, E> ProcessCall<I, T, E> {
    /// Names `run`, a function of the task's input that returns its result or its error.
    ///
    /// ```
    /// use traits_futures::process::ProcessCall;
    /// fn parse(text: String) -> Result<u32, String> {
    ///     text.parse().map_err(|_| format!("not a number: {text}"))
    /// }
    /// static PARSE: ProcessCall<String, u32, String> = ProcessCall::fallible("parse", parse);
    /// # let _ = &PARSE;
    /// ```
    pub const fn fallible(name: &'static str, run: fn(I) -> Result<T, E>) -> Self {
        ProcessCall {
            name,
            run: CallFn::Fallible(run),
        }
    }

    /// The name it is registered under.
    ///
    /// ```
    /// # use traits_futures::process::ProcessCall;
    /// # fn id(x: u8) -> u8 { x }
    /// assert_eq!(ProcessCall::new("id", id).name(), "id");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

/// A task with messages run in a child process: a named function of an input and a
/// [`ChildContext`] through which it sends messages (an iteration's items, a progress task's
/// reports) and learns of a cancel, returning a result or its error. Submit it with
/// [`submit_process_iteration`](crate::process::submit_process_iteration) (its messages are
/// the future's items) or [`submit_process_progress`](crate::process::submit_process_progress)
/// (its messages are progress reports).
///
/// ```
/// use traits_futures::process::{ChildContext, ProcessTask};
/// use traits_futures::TaskCancelled;
///
/// /// Counts up to `n`, sending each number.
/// fn count(n: u32, numbers: &ChildContext<'_, u32>) -> Result<u32, TaskCancelled> {
///     for i in 1..=n {
///         numbers.send(i)?; // Err(TaskCancelled) once cancelled: `?` ends the task
///     }
///     Ok(n)
/// }
/// const COUNT: ProcessTask<u32, u32, u32> = ProcessTask::new("count", count);
/// assert_eq!(COUNT.name(), "count");
/// ```
pub struct ProcessTask<I, M, T, E = TaskCancelled> {
    name: &'static str,
    run: fn(I, &ChildContext<'_, M>) -> Result<T, E>,
}

impl<I, M, T, E> ProcessTask<I, M, T, E> {
    /// Names `run`. To use `?` on [`ChildContext::send`], `E` must convert from
    /// [`TaskCancelled`].
    ///
    /// ```
    /// use traits_futures::process::{ChildContext, ProcessTask};
    /// fn rows(path: String, out: &ChildContext<'_, String>) -> Result<(), String> {
    ///     out.send(format!("read {path}")).map_err(|cancelled| cancelled.to_string())
    /// }
    /// static ROWS: ProcessTask<String, String, (), String> = ProcessTask::new("rows", rows);
    /// # let _ = &ROWS;
    /// ```
    pub const fn new(name: &'static str, run: fn(I, &ChildContext<'_, M>) -> Result<T, E>) -> Self {
        ProcessTask { name, run }
    }

    /// The name it is registered under.
    ///
    /// ```
    /// # use traits_futures::process::{ChildContext, ProcessTask};
    /// # fn nothing(_: (), _: &ChildContext<'_, u8>) -> Result<(), traits_futures::TaskCancelled> { Ok(()) }
    /// assert_eq!(ProcessTask::new("nothing", nothing).name(), "nothing");
    /// ```
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<I, T, E> fmt::Debug for ProcessCall<I, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ProcessCall").field(&self.name).finish()
    }
}

impl<I, M, T, E> fmt::Debug for ProcessTask<I, M, T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ProcessTask").field(&self.name).finish()
    }
}

/// What the child sends back when a task returns.
#[doc(hidden)]
pub enum Reply {
    /// The task's value, encoded.
    Returned(Vec<u8>),
    /// The task's error, encoded.
    Error(Vec<u8>),
    /// Something could not be decoded or encoded: the text says what.
    Broken(String),
}

/// A task a child can run, found by its name: [`ProcessCall`] and [`ProcessTask`] are entries;
/// [`init`](crate::process::init) takes a list of them.
///
/// ```
/// use traits_futures::process::{ProcessCall, ProcessEntry};
/// fn double(x: i32) -> i32 { 2 * x }
/// const DOUBLE: ProcessCall<i32, i32> = ProcessCall::new("double", double);
/// let tasks: &[&dyn ProcessEntry] = &[&DOUBLE];
/// assert_eq!(tasks[0].name(), "double");
/// ```
pub trait ProcessEntry: Sync {
    /// The name the parent asks for.
    fn name(&self) -> &'static str;

    /// Decodes the input, runs the task in this (child) process, encodes what it returned.
    #[doc(hidden)]
    fn serve(&self, input: &[u8], link: &ChildLink) -> Reply;
}

fn reply<T: Serialize, E: Serialize>(result: Result<T, E>) -> Reply {
    let encoded = match &result {
        Ok(value) => postcard::to_allocvec(value).map(Reply::Returned),
        Err(error) => postcard::to_allocvec(error).map(Reply::Error),
    };
    encoded.unwrap_or_else(|e| Reply::Broken(format!("the child could not encode the result: {e}")))
}

fn decode_input<I: DeserializeOwned>(input: &[u8]) -> Result<I, Reply> {
    postcard::from_bytes(input)
        .map_err(|e| Reply::Broken(format!("the child could not decode the input: {e}")))
}

impl<I, T, E> ProcessEntry for ProcessCall<I, T, E>
where
    I: DeserializeOwned,
    T: Serialize,
    E: Serialize,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn serve(&self, input: &[u8], _: &ChildLink) -> Reply {
        match decode_input(input) {
            Ok(input) => match self.run {
                CallFn::Infallible(run) => reply(Ok::<T, E>(run(input))),
                CallFn::Fallible(run) => reply(run(input)),
            },
            Err(broken) => broken,
        }
    }
}

impl<I, M, T, E> ProcessEntry for ProcessTask<I, M, T, E>
where
    I: DeserializeOwned,
    M: Serialize,
    T: Serialize,
    E: Serialize,
{
    fn name(&self) -> &'static str {
        self.name
    }

    fn serve(&self, input: &[u8], link: &ChildLink) -> Reply {
        match decode_input(input) {
            Ok(input) => reply((self.run)(input, &ChildContext::new(link))),
            Err(broken) => broken,
        }
    }
}
