//! One child process as the parent sees it: its pipes, the thread that reads its frames, and
//! how it ends.

use std::io::{self, BufReader};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TryRecvError};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::{self, JoinHandle, Thread};
use std::time::Instant;

use crate::error::TaskCancelled;
use crate::process::child::CHILD_ENV;
use crate::process::error::ProcessError;
use crate::process::wire;
use crate::routing::background_task::TaskContext;

/// How many frames the reader may hold for the relay: past it, the reader waits, the pipe
/// fills and the child's `send` blocks (back-pressure reaches the child).
const EVENTS_BOUND: usize = 256;

/// How a pool starts its children.
#[derive(Clone, Debug)]
pub(crate) struct Launch {
    pub(crate) program: std::path::PathBuf,
    pub(crate) args: Vec<std::ffi::OsString>,
}

/// What the reader thread hands the relay.
pub(crate) enum Event {
    /// The child is ready (it ran [`init`](crate::process::init)).
    Greeted,
    /// A frame: its tag and payload.
    Frame(u8, Vec<u8>),
    /// The child's output ended (it exited or was killed), or could not be read; whether it
    /// had greeted, and what went wrong reading, if anything.
    End {
        greeted: bool,
        error: Option<String>,
    },
}

/// The thread to wake when the reader hands over an event.
type Waiter = Arc<Mutex<Option<Thread>>>;

/// A handle that can kill a child while a relay uses it (the pool's shutdown).
#[derive(Clone)]
pub(crate) struct Killer(Arc<Mutex<Child>>);

impl Killer {
    /// Kills the child (its relay sees its output end, and reaps it).
    pub(crate) fn kill(&self) {
        let _ = lock(&self.0).kill();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running child process.
pub(crate) struct Worker {
    child: Arc<Mutex<Child>>,
    stdin: Option<ChildStdin>,
    events: Receiver<Event>,
    waiter: Waiter,
    reader: Option<JoinHandle<()>>,
    /// An event taken while looking whether one was there.
    pending: Option<Event>,
    /// Whether the child has greeted (it ran `init`).
    greeted: bool,
}

impl Worker {
    /// Starts a child and the thread that reads its output.
    pub(crate) fn spawn(launch: &Launch) -> io::Result<Worker> {
        let mut child = Command::new(&launch.program)
            .args(&launch.args)
            .env(CHILD_ENV, std::process::id().to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout was piped");
        let (sender, events) = mpsc::sync_channel(EVENTS_BOUND);
        let waiter: Waiter = Arc::default();
        let reader = thread::Builder::new()
            .name(format!("tf-process-{}", child.id()))
            .spawn({
                let waiter = Arc::clone(&waiter);
                move || read_events(stdout, &sender, &waiter)
            });
        let reader = match reader {
            Ok(reader) => reader,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        Ok(Worker {
            child: Arc::new(Mutex::new(child)),
            stdin,
            events,
            waiter,
            reader: Some(reader),
            pending: None,
            greeted: false,
        })
    }

    /// A handle that kills the child.
    pub(crate) fn killer(&self) -> Killer {
        Killer(Arc::clone(&self.child))
    }

    /// The child's process id.
    pub(crate) fn id(&self) -> u32 {
        lock(&self.child).id()
    }

    /// Whether the child has greeted.
    pub(crate) fn greeted(&self) -> bool {
        self.greeted
    }

    /// Notes that the child greeted.
    pub(crate) fn mark_greeted(&mut self) {
        self.greeted = true;
    }

    /// Writes a frame to the child.
    pub(crate) fn send(&mut self, tag: u8, payload: &[u8]) -> io::Result<()> {
        match &mut self.stdin {
            Some(stdin) => wire::write_frame(stdin, tag, payload),
            None => Err(io::ErrorKind::BrokenPipe.into()),
        }
    }

    /// Waits for the next event, parked as a task's wait is, so that a cancel ends the wait
    /// at once with `Err`.
    pub(crate) fn next_event<M>(
        &mut self,
        context: &TaskContext<'_, M>,
    ) -> Result<Event, TaskCancelled> {
        let (events, pending, waiter) = (&self.events, &mut self.pending, &self.waiter);
        context.park_while(&mut || {
            if pending.is_some() {
                return false;
            }
            // Register first, then look: an event handed over after the look wakes this thread.
            *lock(waiter) = Some(thread::current());
            match events.try_recv() {
                Ok(event) => *pending = Some(event),
                Err(TryRecvError::Empty) => return true,
                Err(TryRecvError::Disconnected) => {
                    *pending = Some(Event::End {
                        greeted: true,
                        error: None,
                    })
                }
            }
            false
        })?;
        *lock(&self.waiter) = None;
        Ok(self.pending.take().expect("an event was taken"))
    }

    /// Waits for the next event until `deadline`: `None` if none came by then.
    pub(crate) fn next_event_until(&mut self, deadline: Instant) -> Option<Event> {
        if let Some(event) = self.pending.take() {
            return Some(event);
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match self.events.recv_timeout(left) {
            Ok(event) => Some(event),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Event::End {
                greeted: true,
                error: None,
            }),
        }
    }

    /// Waits for the child, whose output has ended, and says how it ended as an error; a
    /// child whose output could not be read is killed first.
    pub(crate) fn ended<E>(mut self, greeted: bool, error: Option<String>) -> ProcessError<E> {
        self.stdin = None;
        if let Some(error) = error {
            self.kill();
            return ProcessError::Protocol(error);
        }
        let status = lock(&self.child).wait();
        self.join_reader();
        match (greeted, status) {
            (false, Ok(status)) => ProcessError::Spawn(format!(
                "the child {} before it greeted its parent (does `main` call `process::init` first?)",
                describe(status)
            )),
            (true, Ok(status)) => exit_error(status),
            (_, Err(e)) => ProcessError::Spawn(format!("could not wait for the child: {e}")),
        }
    }

    /// Ends the child at once (kills it, reaps it, joins its reader).
    pub(crate) fn kill(mut self) {
        self.stdin = None;
        let mut child = lock(&self.child);
        let _ = child.kill();
        let _ = child.wait();
        drop(child);
        self.join_reader();
    }

    /// Joins the reader, which ends at the end of the child's output; what it still hands over
    /// is drained, so that it is not left waiting on a full channel.
    fn join_reader(&mut self) {
        if let Some(reader) = self.reader.take() {
            while self.events.recv().is_ok() {}
            let _ = reader.join();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if self.reader.is_some() {
            self.stdin = None;
            let mut child = lock(&self.child);
            let _ = child.kill();
            let _ = child.wait();
            drop(child);
            self.join_reader();
        }
    }
}

/// The reader thread: the greeting, then every frame, then the end.
fn read_events(stdout: std::process::ChildStdout, sender: &SyncSender<Event>, waiter: &Waiter) {
    let hand_over = |event: Event| {
        let sent = sender.send(event).is_ok();
        if let Some(thread) = lock(waiter).as_ref() {
            thread.unpark();
        }
        sent
    };
    let mut stdout = BufReader::new(stdout);
    match wire::await_greeting(&mut stdout) {
        Ok(true) => {
            if !hand_over(Event::Greeted) {
                return;
            }
        }
        Ok(false) => {
            hand_over(Event::End {
                greeted: false,
                error: None,
            });
            return;
        }
        Err(e) => {
            hand_over(Event::End {
                greeted: false,
                error: Some(e.to_string()),
            });
            return;
        }
    }
    loop {
        let event = match wire::read_frame(&mut stdout) {
            Ok(Some((tag, payload))) => Event::Frame(tag, payload),
            Ok(None) => Event::End {
                greeted: true,
                error: None,
            },
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Event::End {
                greeted: true,
                error: None,
            },
            Err(e) => Event::End {
                greeted: true,
                error: Some(e.to_string()),
            },
        };
        let end = matches!(event, Event::End { .. });
        if !hand_over(event) || end {
            return;
        }
    }
}

/// A child that ended while it ran a task, as an error.
fn exit_error<E>(status: ExitStatus) -> ProcessError<E> {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(signal) = status.signal() {
            return ProcessError::Signalled { signal };
        }
    }
    ProcessError::Exited {
        code: status.code().unwrap_or(-1),
    }
}

fn describe(status: ExitStatus) -> String {
    match exit_error::<()>(status) {
        ProcessError::Signalled { signal } => format!("was killed by signal {signal}"),
        ProcessError::Exited { code } => format!("exited with code {code}"),
        _ => "ended".to_string(),
    }
}
