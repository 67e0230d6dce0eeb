//! Counting the process's live threads (from `/proc/self/task`, so Linux only), for the tests
//! that no thread leaks (`threads.rs`, the stress suites).
//!
//! Each scenario runs on a thread of its own whose name starts with `tf-`, serialised with the
//! other tests of its binary. Only threads named `tf-…` are counted: the library's (its pools
//! name theirs `tf-pool…`), the scenario's, and any thread the library might start without a
//! name, which inherits the name of the thread that started it. The test harness's threads
//! (the main thread, one per test, named after it) come and go while a test runs and are left
//! out. A joined thread can linger in `/proc` for a moment after `join` returns, so readings
//! that must settle are re-read, within a bound.

use std::error::Error;
use std::fs;
use std::panic;
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

pub type TestResult = Result<(), Box<dyn Error + Send + Sync>>;

/// Serialises the tests of one binary.
pub fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The names of the process's live `tf-…` threads, sorted.
pub fn live_threads() -> Vec<String> {
    let mut names = Vec::new();
    for entry in fs::read_dir("/proc/self/task").expect("/proc/self/task is readable") {
        let Ok(entry) = entry else { continue };
        // A thread that exited since the directory was read has no comm any more.
        let Ok(name) = fs::read_to_string(entry.path().join("comm")) else {
            continue;
        };
        let name = name.trim_end();
        if name.starts_with("tf-") {
            names.push(name.to_owned());
        }
    }
    names.sort();
    names
}

/// Re-reads the live threads until `settled` holds for them, or ten seconds pass; returns the
/// last reading.
pub fn settle(settled: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let names = live_threads();
        if settled(&names) || Instant::now() >= deadline {
            return names;
        }
        thread::yield_now();
    }
}

/// Runs `scenario` on a thread named `name` (which starts with `tf-`), serialised with the
/// other tests of its binary, and waits until that thread has left `/proc` before letting the
/// next test count.
pub fn run_scenario(
    name: &str,
    scenario: impl FnOnce() -> TestResult + Send + 'static,
) -> TestResult {
    let _serial = serial();
    let outcome = thread::Builder::new()
        .name(name.into())
        .spawn(scenario)?
        .join();
    settle(|names| !names.iter().any(|n| n == name));
    match outcome {
        Ok(result) => result,
        Err(panic) => panic::resume_unwind(panic),
    }
}
