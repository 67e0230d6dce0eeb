//! Input into a running task: a typed channel from the main thread ([`InputSender`]) to a task
//! ([`InputReceiver`], which the task captures), for a task that asks for values while it runs
//! (a search whose query the user refines).
//!
//! A receiver that waits parks its worker through the pipe's handshake
//! ([`TaskContext`]'s `park_while`, `pipe_shared/park.rs`), so that a cancel wakes it; a value,
//! or the last sender's drop, wakes it through the same handshake on the channel's own lock:
//! the receiver looks and registers its thread in one critical section, the sender changes
//! the channel and unparks a registered thread in one.

use std::collections::VecDeque;
use std::fmt;
use std::mem;

use crate::error::{InputClosed, TaskCancelled};
use crate::routing::background_task::TaskContext;
use crate::sync::{current, Arc, Mutex, MutexGuard, Thread};

/// The channel's state, under its lock.
struct Channel<T> {
    values: VecDeque<T>,
    /// Live [`InputSender`]s; at zero, a receiver that finds no value gets `None`.
    senders: usize,
    /// The receiver is alive: a send after its drop hands the value back.
    open: bool,
    /// The task's thread, while it waits in [`InputReceiver::recv`].
    waiter: Option<Thread>,
}

struct Shared<T> {
    channel: Mutex<Channel<T>>,
}

impl<T> Shared<T> {
    fn lock(&self) -> MutexGuard<'_, Channel<T>> {
        // No user code runs under the lock (values are moved in and out, dropped outside).
        self.channel
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Wakes a waiting receiver; under the lock, after the caller changed the channel.
    fn wake(channel: &mut Channel<T>) {
        if let Some(waiter) = channel.waiter.take() {
            waiter.unpark();
        }
    }
}

/// Makes a channel into a task: the main thread keeps the sender (it may be cloned), the task
/// captures the receiver.
///
/// ```
/// use traits_futures::{submit_generator, task_input, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let (numbers, receiver) = task_input::<u32>();
/// let future = submit_generator(&executor, move |totals| {
///     let mut total = 0;
///     // `None` once every sender is dropped; `Err(TaskCancelled)` once cancelled.
///     while let Some(n) = receiver.recv(totals)? {
///         total += n;
///         totals.send(total)?;
///     }
///     Ok(total)
/// })?;
/// numbers.send(1)?;
/// numbers.send(2)?;
/// drop(numbers); // no more input: the task's loop ends
/// executor.run_until(|| future.done().get(), None)?;
/// assert_eq!(future.result(), Ok(&3));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn task_input<T: Send>() -> (InputSender<T>, InputReceiver<T>) {
    let shared = Arc::new(Shared {
        channel: Mutex::new(Channel {
            values: VecDeque::new(),
            senders: 1,
            open: true,
            waiter: None,
        }),
    });
    (
        InputSender {
            shared: Arc::clone(&shared),
        },
        InputReceiver { shared },
    )
}

/// The main thread's end of a task's input ([`task_input`]): sends values to the task, in
/// order. Cloning it makes another sender; the task's `recv` returns `None` once every sender
/// is dropped (and the values sent are taken).
///
/// ```
/// use traits_futures::task_input;
/// let (queries, receiver) = task_input::<&str>();
/// queries.clone().send("rust")?;
/// queries.send("rust futures")?;
/// assert_eq!(receiver.latest(), Some("rust futures"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct InputSender<T> {
    shared: Arc<Shared<T>>,
}

impl<T> InputSender<T> {
    /// Sends `value` to the task, waking it if it waits in `recv`. Returns the value in
    /// [`InputClosed`] if the task has dropped its receiver (it ended).
    ///
    /// ```
    /// use traits_futures::task_input;
    /// let (sender, receiver) = task_input::<u8>();
    /// assert!(sender.send(1).is_ok());
    /// drop(receiver);
    /// assert_eq!(sender.send(2).unwrap_err().0, 2);
    /// ```
    pub fn send(&self, value: T) -> Result<(), InputClosed<T>> {
        let mut channel = self.shared.lock();
        if !channel.open {
            return Err(InputClosed(value));
        }
        channel.values.push_back(value);
        Shared::wake(&mut channel);
        Ok(())
    }
}

impl<T> Clone for InputSender<T> {
    fn clone(&self) -> Self {
        self.shared.lock().senders += 1;
        InputSender {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for InputSender<T> {
    fn drop(&mut self) {
        let mut channel = self.shared.lock();
        channel.senders -= 1;
        if channel.senders == 0 {
            Shared::wake(&mut channel);
        }
    }
}

impl<T> fmt::Debug for InputSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InputSender")
    }
}

/// The task's end of its input ([`task_input`]): the task captures it and takes the values
/// the main thread sends. Dropping it (the task ends) makes later sends hand their values back.
///
/// ```
/// use traits_futures::task_input;
/// let (sender, receiver) = task_input::<u8>();
/// assert_eq!(receiver.try_recv(), None);
/// sender.send(7)?;
/// assert_eq!(receiver.try_recv(), Some(7));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct InputReceiver<T> {
    shared: Arc<Shared<T>>,
}

impl<T> InputReceiver<T> {
    /// The next value, waiting for one if none is there: `Ok(Some(value))`; `Ok(None)` once
    /// every sender is dropped and no value is left (so a task never waits for input that
    /// cannot come); `Err(TaskCancelled)` once the task's future is cancelled (at once, even
    /// while waiting; values still queued stay for `try_recv`). `context` is the running task's.
    ///
    /// ```
    /// use traits_futures::{submit_generator, task_input, TraitsExecutor};
    /// let executor = TraitsExecutor::new();
    /// let (words, receiver) = task_input::<String>();
    /// let future = submit_generator(&executor, move |lengths| {
    ///     while let Some(word) = receiver.recv(lengths)? {
    ///         lengths.send(word.len())?;
    ///     }
    ///     Ok(())
    /// })?;
    /// words.send("three".to_string())?;
    /// future.cancel(); // wakes the task if it waits in `recv`
    /// executor.run_until(|| future.done().get(), None)?;
    /// # executor.shutdown(None)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv<M>(&self, context: &TaskContext<'_, M>) -> Result<Option<T>, TaskCancelled> {
        let mut received = None;
        let waited = context.park_while(&mut || {
            let mut channel = self.shared.lock();
            if let Some(value) = channel.values.pop_front() {
                channel.waiter = None;
                received = Some(Some(value));
                false
            } else if channel.senders == 0 {
                channel.waiter = None;
                received = Some(None);
                false
            } else {
                channel.waiter = Some(current());
                true
            }
        });
        if let Err(cancelled) = waited {
            self.shared.lock().waiter = None;
            return Err(cancelled);
        }
        Ok(received.flatten())
    }

    /// The next value if one is there, without waiting.
    ///
    /// ```
    /// use traits_futures::task_input;
    /// let (sender, receiver) = task_input::<u8>();
    /// sender.send(1)?;
    /// sender.send(2)?;
    /// assert_eq!(receiver.try_recv(), Some(1));
    /// assert_eq!(receiver.try_recv(), Some(2));
    /// assert_eq!(receiver.try_recv(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_recv(&self) -> Option<T> {
        self.shared.lock().values.pop_front()
    }

    /// The newest value, if any, discarding the older ones (a search wants only the latest
    /// query); does not wait.
    ///
    /// ```
    /// use traits_futures::task_input;
    /// let (queries, receiver) = task_input::<&str>();
    /// queries.send("r")?;
    /// queries.send("ru")?;
    /// queries.send("rust")?;
    /// assert_eq!(receiver.latest(), Some("rust"));
    /// assert_eq!(receiver.latest(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn latest(&self) -> Option<T> {
        // The older values are dropped outside the lock (their `Drop` is user code).
        let mut values = mem::take(&mut self.shared.lock().values);
        values.pop_back()
    }
}

impl<T> Drop for InputReceiver<T> {
    fn drop(&mut self) {
        let values = {
            let mut channel = self.shared.lock();
            channel.open = false;
            mem::take(&mut channel.values)
        };
        drop(values);
    }
}

impl<T> fmt::Debug for InputReceiver<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InputReceiver")
    }
}
