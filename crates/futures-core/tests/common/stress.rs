//! The harness of the stress tests (`stress_volume.rs`, `stress_faults.rs`): each scenario runs
//! on a thread of its own (`tf-stress`), serialised with the other tests of its binary, and
//! checks the process's live threads (from `/proc/self/task`, so Linux only) before and after.

use std::error::Error;
use std::fs;
use std::panic;
use std::sync::{Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

pub type TestResult = Result<(), Box<dyn Error + Send + Sync>>;

const SCENARIO_THREAD: &str = "tf-stress";

fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The names of the process's live threads, the harness's own left out (the main thread, and
/// test threads, named after the tests: `stress_…`, `bug_…`, truncated to 15 bytes).
pub fn live_threads() -> Vec<String> {
    let main_name = fs::read_to_string("/proc/self/comm").unwrap_or_default();
    let main_name = main_name.trim_end();
    let mut names = Vec::new();
    for entry in fs::read_dir("/proc/self/task").expect("/proc/self/task is readable") {
        let Ok(entry) = entry else { continue };
        let Ok(name) = fs::read_to_string(entry.path().join("comm")) else {
            continue; // exited since the directory was read
        };
        let name = name.trim_end().to_owned();
        if name != main_name && !name.starts_with("stress_") && !name.starts_with("bug_") {
            names.push(name);
        }
    }
    names.sort();
    names
}

/// Re-reads the live threads until they are `expected` (a joined thread can linger in /proc for
/// a moment), or ten seconds pass; returns the last reading.
pub fn settle_to(expected: &[String]) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let names = live_threads();
        if names == expected || Instant::now() >= deadline {
            return names;
        }
        thread::yield_now();
    }
}

/// Runs `scenario` on a `tf-stress` thread, serialised with the other tests of its binary.
pub fn run_scenario(scenario: impl FnOnce() -> TestResult + Send + 'static) -> TestResult {
    let _serial = serial();
    let outcome = thread::Builder::new()
        .name(SCENARIO_THREAD.into())
        .spawn(scenario)?
        .join();
    let deadline = Instant::now() + Duration::from_secs(10);
    while live_threads().iter().any(|n| n == SCENARIO_THREAD) && Instant::now() < deadline {
        thread::yield_now();
    }
    match outcome {
        Ok(result) => result,
        Err(panic) => panic::resume_unwind(panic),
    }
}

/// The threads at the start of a scenario: the scenario's own, nothing else (once the threads
/// of an earlier test, whose pool may have been closed without joining, have exited).
pub fn baseline() -> Vec<String> {
    let before = settle_to(&[SCENARIO_THREAD.to_owned()]);
    assert_eq!(
        before,
        [SCENARIO_THREAD],
        "stray threads before the scenario"
    );
    before
}
