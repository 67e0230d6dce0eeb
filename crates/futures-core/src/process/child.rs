//! The child's side: [`init`], which turns a re-executed program into a worker that serves
//! registered tasks, and the [`ChildContext`] a task runs with.

use std::io::{self, Write};
use std::marker::PhantomData;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::Duration;

use serde::Serialize;

use crate::error::TaskCancelled;
use crate::process::task::{ProcessEntry, Reply};
use crate::process::wire;

/// The environment variable that marks a child: its value is the parent's process id, so that
/// a process the task itself starts (which inherits the variable) is not taken for a child.
pub(crate) const CHILD_ENV: &str = "TRAITS_FUTURES_PROCESS_CHILD";

/// Set by the input thread when the parent cancels the running task; cleared when the next
/// task's `Run` frame is read (the parent sends nothing for a task after its final frame).
static CANCELLED: AtomicBool = AtomicBool::new(false);

/// Serves `tasks` if this process is a child started by a [`ProcessPool`](crate::process::ProcessPool),
/// and never returns then; returns at once otherwise.
///
/// A pool starts its children by running the program again (by default the current
/// executable) with a marker in the environment, so call `init` first in `main`, before the
/// program does anything else (opens a window, parses its arguments), with every task the
/// program submits to a pool. A child serves tasks one at a time until its parent closes its
/// pipe (the pool ends it, or the parent exits or dies), then exits.
///
/// In a child, stdout carries the protocol: a task that prints must print to stderr
/// (`eprintln!`, a logger), which the child shares with its parent.
///
/// ```
/// use traits_futures::process::{self, ProcessCall};
///
/// fn square(x: u64) -> u64 {
///     x * x
/// }
/// const SQUARE: ProcessCall<u64, u64> = ProcessCall::new("square", square);
///
/// fn main() {
///     process::init(&[&SQUARE]); // in a child, serves SQUARE and exits
///     // the program itself goes on here
/// }
/// ```
pub fn init(tasks: &[&dyn ProcessEntry]) {
    if is_child() {
        serve(tasks);
    }
}

/// Whether this process was started by a pool of its parent's.
fn is_child() -> bool {
    let Ok(marker) = std::env::var(CHILD_ENV) else {
        return false;
    };
    #[cfg(unix)]
    {
        marker == std::os::unix::process::parent_id().to_string()
    }
    #[cfg(not(unix))]
    {
        !marker.is_empty()
    }
}

/// The child's loop: greets, then runs each task the parent sends and writes its frames.
fn serve(tasks: &[&dyn ProcessEntry]) -> ! {
    let (runs, to_run) = mpsc::channel::<Vec<u8>>();
    // The input thread reads the parent's frames while a task runs, so that a cancel arrives,
    // and ends the process when the pipe closes: no child outlives its parent's pipe.
    let input = thread::Builder::new()
        .name("tf-child-input".into())
        .spawn(move || {
            let mut stdin = io::stdin().lock();
            loop {
                match wire::read_frame(&mut stdin) {
                    Ok(Some((wire::RUN, payload))) => {
                        CANCELLED.store(false, Ordering::SeqCst);
                        if runs.send(payload).is_err() {
                            break;
                        }
                    }
                    Ok(Some((wire::CANCEL, _))) => CANCELLED.store(true, Ordering::SeqCst),
                    Ok(Some(_)) | Ok(None) | Err(_) => break,
                }
            }
            std::process::exit(0);
        });
    let flusher = thread::Builder::new()
        .name("tf-child-output".into())
        .spawn(flush_loop);
    if input.is_err() || flusher.is_err() {
        std::process::exit(70);
    }
    let link = ChildLink { _private: () };
    write_or_exit(|out| {
        out.write_all(wire::GREETING)?;
        out.flush()
    });
    for payload in to_run {
        let (tag, bytes) = match wire::split_run(&payload) {
            None => (
                wire::PANICKED,
                b"the child could not read the task's name".to_vec(),
            ),
            Some((name, input)) => match tasks.iter().find(|task| task.name() == name) {
                None => (wire::UNKNOWN, name.as_bytes().to_vec()),
                Some(task) => {
                    match panic::catch_unwind(AssertUnwindSafe(|| task.serve(input, &link))) {
                        Ok(Reply::Returned(bytes)) => (wire::RETURNED, bytes),
                        Ok(Reply::Error(bytes)) => (wire::ERROR, bytes),
                        Ok(Reply::Broken(text)) => (wire::PANICKED, text.into_bytes()),
                        Err(payload) => (
                            wire::PANICKED,
                            crate::error::panic_message(payload).into_bytes(),
                        ),
                    }
                }
            },
        };
        send_frame(tag, &bytes, true);
    }
    std::process::exit(0)
}

/// Writes to stdout under its lock (so a frame is never split by another writer), or ends the
/// process if the parent's end is gone.
fn write_or_exit(write: impl FnOnce(&mut io::StdoutLock<'static>) -> io::Result<()>) {
    if write(&mut io::stdout().lock()).is_err() {
        std::process::exit(0);
    }
}

/// The child's output: frames wait here, in order, until written. A message is written within
/// [`COALESCE`] of being sent (by the flusher thread), a final frame at once with whatever
/// precedes it, and a backlog of [`BUFFER_LIMIT`] bytes by the sender itself (which then waits
/// while the pipe is full: back-pressure). So a task that sends in a burst pays one write per
/// batch, not per message, and one that sends a single report sees it arrive promptly.
static OUTPUT: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// Wakes the flusher when the output goes from empty to not.
static PENDING: Condvar = Condvar::new();
const COALESCE: Duration = Duration::from_micros(200);
const BUFFER_LIMIT: usize = 64 * 1024;

fn output() -> MutexGuard<'static, Vec<u8>> {
    OUTPUT.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Writes `buffer` to stdout and empties it (under the output's lock, so in order).
fn drain(buffer: &mut Vec<u8>) {
    if !buffer.is_empty() {
        write_or_exit(|out| {
            out.write_all(buffer)?;
            out.flush()
        });
        buffer.clear();
    }
}

/// Queues a frame; `now`: write it (and what precedes it) before returning.
fn send_frame(tag: u8, payload: &[u8], now: bool) {
    let mut buffer = output();
    let was_empty = buffer.is_empty();
    wire::push_frame(&mut buffer, tag, payload);
    if now || buffer.len() >= BUFFER_LIMIT {
        drain(&mut buffer);
    } else if was_empty {
        PENDING.notify_one();
    }
}

/// The flusher: waits for output, lets a batch gather for [`COALESCE`], writes it.
fn flush_loop() {
    let mut buffer = output();
    loop {
        while buffer.is_empty() {
            buffer = PENDING.wait(buffer).unwrap_or_else(PoisonError::into_inner);
        }
        drop(buffer);
        thread::sleep(COALESCE);
        buffer = output();
        drain(&mut buffer);
    }
}

/// The child's link to its parent, behind a [`ChildContext`].
#[doc(hidden)]
pub struct ChildLink {
    _private: (),
}

/// What a task running in a child process can do: send messages to its future (an
/// iteration's items, a progress task's reports) and ask whether it was cancelled. Handed to
/// a [`ProcessTask`](crate::process::ProcessTask)'s function.
///
/// A cancel first reaches the task here: [`send`](Self::send) and
/// [`report`](Self::report) return `Err(TaskCancelled)` and [`cancelled`](Self::cancelled)
/// turns true. A task that does not stop within the pool's grace period is ended with its
/// process.
///
/// ```
/// use traits_futures::process::ChildContext;
/// use traits_futures::TaskCancelled;
///
/// fn crunch(blocks: Vec<u64>, progress: &ChildContext<'_, (usize, usize)>) -> Result<u64, TaskCancelled> {
///     let mut sum = 0;
///     for (done, block) in blocks.iter().enumerate() {
///         progress.report((done, blocks.len()))?;
///         sum += block;
///     }
///     Ok(sum)
/// }
/// ```
pub struct ChildContext<'a, M> {
    _link: &'a ChildLink,
    _messages: PhantomData<fn(M)>,
}

impl<'a, M> ChildContext<'a, M> {
    pub(crate) fn new(link: &'a ChildLink) -> Self {
        ChildContext {
            _link: link,
            _messages: PhantomData,
        }
    }

    /// Whether the parent has cancelled the task. Check it between units of work and return
    /// early.
    ///
    /// ```
    /// # use traits_futures::process::ChildContext;
    /// fn spin(_: (), context: &ChildContext<'_, ()>) -> Result<u64, traits_futures::TaskCancelled> {
    ///     let mut turns = 0;
    ///     while !context.cancelled() && turns < 1000 { turns += 1; }
    ///     Ok(turns)
    /// }
    /// ```
    pub fn cancelled(&self) -> bool {
        CANCELLED.load(Ordering::SeqCst)
    }

    /// `Err(TaskCancelled)` once the task is cancelled: `context.checkpoint()?` between units
    /// of work that send nothing.
    ///
    /// ```
    /// # use traits_futures::process::ChildContext;
    /// fn steps(n: u32, context: &ChildContext<'_, ()>) -> Result<u32, traits_futures::TaskCancelled> {
    ///     for _ in 0..n { context.checkpoint()?; }
    ///     Ok(n)
    /// }
    /// ```
    pub fn checkpoint(&self) -> Result<(), TaskCancelled> {
        if self.cancelled() {
            Err(TaskCancelled)
        } else {
            Ok(())
        }
    }
}

impl<M: Serialize> ChildContext<'_, M> {
    /// Sends `message` to the future, or returns `Err(TaskCancelled)` without sending it once
    /// the task is cancelled. Messages arrive in send order, none lost; the child writes them
    /// to its parent in batches, each within a fraction of a millisecond of its first message.
    ///
    /// ```
    /// # use traits_futures::process::ChildContext;
    /// fn lines(text: String, out: &ChildContext<'_, String>) -> Result<(), traits_futures::TaskCancelled> {
    ///     for line in text.lines() { out.send(line.to_string())?; }
    ///     Ok(())
    /// }
    /// ```
    pub fn send(&self, message: M) -> Result<(), TaskCancelled> {
        self.checkpoint()?;
        match postcard::to_allocvec(&message) {
            Ok(bytes) => send_frame(wire::MESSAGE, &bytes, false),
            // A message that cannot be encoded ends the task as a panic would.
            Err(e) => panic!("the child could not encode a message: {e}"),
        }
        Ok(())
    }

    /// The same as [`send`](Self::send), for a progress task: `context.report(p)?`.
    ///
    /// ```
    /// # use traits_futures::process::ChildContext;
    /// fn work(n: u32, progress: &ChildContext<'_, u32>) -> Result<(), traits_futures::TaskCancelled> {
    ///     for done in 0..=n { progress.report(done)?; }
    ///     Ok(())
    /// }
    /// ```
    pub fn report(&self, report: M) -> Result<(), TaskCancelled> {
        self.send(report)
    }
}
