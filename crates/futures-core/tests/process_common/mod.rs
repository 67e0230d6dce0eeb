//! Helpers of the process context's tests (`process_*.rs`).
//!
//! Each test binary re-executes itself as the pool's child: the pool runs the binary with the
//! arguments `child_entry_point --exact` (plus a tag naming the test's children, a filter that
//! matches no test), so the harness runs only the test `child_entry_point`, which calls
//! `process::init` with the binary's tasks; in a child it serves them and never returns, in
//! the parent it returns at once. The harness prints a line or two before that test starts;
//! the parent skips them (it looks for the child's greeting).
//!
//! Gates between a test and a task in a child are Unix sockets: the task connects (it has
//! started), then blocks reading until the test writes (the test releases it).

#![allow(dead_code)]

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use traits_futures::process::ProcessPool;
use traits_futures::testing::TEST_TIMEOUT;

/// A pool of the test binary's own children, tagged `tag` on their command line.
pub fn pool_tagged(workers: usize, grace: Duration, tag: &str) -> ProcessPool {
    let exe = std::env::current_exe().expect("the test binary's path");
    ProcessPool::builder()
        .max_workers(workers)
        .grace(grace)
        .program(exe, ["child_entry_point", tag, "--exact"])
        .build()
        .expect("a pool")
}

/// A pool of the test binary's own children.
pub fn pool(workers: usize) -> ProcessPool {
    pool_tagged(workers, Duration::from_secs(2), "tag-none")
}

/// A gate: the test's end of a socket that a task in a child connects to.
pub struct Gate {
    listener: UnixListener,
    path: PathBuf,
    inside: Option<UnixStream>,
}

impl Gate {
    pub fn new() -> Gate {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "tf-gate-{}-{}.sock",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = fs::remove_file(&path);
        let listener = UnixListener::bind(&path).expect("a gate socket");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        Gate {
            listener,
            path,
            inside: None,
        }
    }

    /// Where the task connects: pass it as (part of) the task's input.
    pub fn path(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }

    /// Waits until a task has entered the gate; false if none did within `TEST_TIMEOUT`.
    pub fn wait_entered(&mut self) -> bool {
        let deadline = Instant::now() + TEST_TIMEOUT;
        while Instant::now() < deadline {
            if self.entered() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        false
    }

    /// Whether a task has entered the gate by now (without waiting).
    pub fn entered(&mut self) -> bool {
        if self.inside.is_some() {
            return true;
        }
        match self.listener.accept() {
            Ok((stream, _)) => {
                self.inside = Some(stream);
                true
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => false,
            Err(e) => panic!("the gate failed: {e}"),
        }
    }

    /// Reads a line the task wrote after entering (see [`tell`]).
    pub fn read_line(&mut self) -> String {
        let stream = self.inside.as_mut().expect("a task entered the gate");
        stream.set_read_timeout(Some(TEST_TIMEOUT)).unwrap();
        let mut line = Vec::new();
        let mut byte = [0u8];
        while stream.read_exact(&mut byte).is_ok() && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        String::from_utf8(line).unwrap()
    }

    /// Lets the task go on.
    pub fn release(&mut self) {
        if let Some(stream) = self.inside.as_mut() {
            let _ = stream.write_all(b"g");
        }
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// In a child: enters the gate at `path` and returns the connection, without waiting.
pub fn enter(path: &str) -> UnixStream {
    UnixStream::connect(path).expect("the test's gate")
}

/// In a child: enters the gate and waits to be released; false if the test went away.
pub fn pass(path: &str) -> bool {
    let mut stream = enter(path);
    let mut byte = [0u8];
    stream.read_exact(&mut byte).is_ok()
}

/// In a child: waits on an entered gate until the test releases it; false if the test went
/// away.
pub fn wait_released(stream: &mut UnixStream) -> bool {
    let mut byte = [0u8];
    stream.read_exact(&mut byte).is_ok()
}

/// In a child: writes a line to the gate.
pub fn tell(stream: &mut UnixStream, line: &str) {
    let _ = stream.write_all(format!("{line}\n").as_bytes());
}

/// The live (not zombie) children of this process whose command line contains `tag`.
pub fn children_tagged(tag: &str) -> Vec<u32> {
    let me = std::process::id();
    let mut found = Vec::new();
    for entry in fs::read_dir("/proc").expect("/proc is readable") {
        let Ok(entry) = entry else { continue };
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Some((ppid, state)) = parent_and_state(pid) else {
            continue;
        };
        if ppid != me || state == 'Z' {
            continue;
        }
        let cmdline = fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(tag) {
            found.push(pid);
        }
    }
    found
}

/// Whether process `pid` is running (it exists and is no zombie).
pub fn running(pid: u32) -> bool {
    parent_and_state(pid).is_some_and(|(_, state)| state != 'Z')
}

/// A process's parent id and state, from `/proc/PID/stat`.
fn parent_and_state(pid: u32) -> Option<(u32, char)> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may hold spaces: read after its last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split(' ');
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((ppid, state))
}

/// Waits until `done()` holds, up to `limit`; whether it did.
pub fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}
