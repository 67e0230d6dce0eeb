//! Issue 22, section 7: silent mistakes become loud. Messages that no event loop dispatches are
//! reported (once, at `warn`); the guard's `must_use` note names `let _guard = ...`; dropping a
//! future does not cancel its task, and the docs say so; the guide has a troubleshooting
//! chapter with an entry per symptom; library code prints nothing itself.
//!
//! The log is captured by a logger of this binary's own; the tests that read it run one at a
//! time (the warning is logged on a worker thread, so it cannot be told apart by thread).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex, MutexGuard, Once};
use std::time::Duration;

use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_progress, CallFuture, FutureState, ThreadPool, TraitsExecutor, WorkerPool,
};

// ---------------------------------------------------------------------------------------------
// Log capture.

struct Capture;

static RECORDS: Mutex<Vec<(log::Level, String)>> = Mutex::new(Vec::new());

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        let line = (record.level(), record.args().to_string());
        RECORDS.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }
    fn flush(&self) {}
}

static CAPTURE: Capture = Capture;

/// Installs the logger (once), takes the lock that serialises the tests reading the log, and
/// forgets what earlier tests logged.
fn capture_logs() -> MutexGuard<'static, ()> {
    static INSTALL: Once = Once::new();
    static SERIAL: Mutex<()> = Mutex::new(());
    INSTALL.call_once(|| {
        log::set_logger(&CAPTURE).expect("no other logger in this test binary");
        log::set_max_level(log::LevelFilter::Trace);
    });
    let serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    RECORDS.lock().unwrap_or_else(|p| p.into_inner()).clear();
    serial
}

/// The warnings logged so far about messages nobody dispatches.
fn undispatched_warnings() -> Vec<String> {
    RECORDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(level, line)| *level == log::Level::Warn && line.contains("event loop"))
        .map(|(_, line)| line.clone())
        .collect()
}

/// How long these tests let messages wait before the library should warn.
const LIMIT: Duration = Duration::from_millis(100);

/// Submits a call and waits until it has run on a worker (its first message, `Started`, is
/// announced before the call runs), without dispatching anything.
fn run_undispatched(executor: &TraitsExecutor) -> CallFuture<()> {
    let (ran_tx, ran) = mpsc::channel();
    let future = submit_call(executor, move || ran_tx.send(()).unwrap()).unwrap();
    ran.recv_timeout(TEST_TIMEOUT).unwrap();
    future
}

// ---------------------------------------------------------------------------------------------
// No event loop dispatching.

#[test]
fn messages_that_no_event_loop_dispatches_are_reported_once_at_warn() {
    let _serial = capture_logs();
    let executor = TraitsExecutor::builder()
        .max_workers(1)
        .undispatched_warning(Some(LIMIT))
        .build()
        .unwrap();
    let mut futures = vec![run_undispatched(&executor)];
    // The time is what is being tested: the first task's messages must wait past the limit.
    std::thread::sleep(LIMIT * 2);
    assert!(
        undispatched_warnings().is_empty(),
        "a lone task is not checked"
    );
    futures.push(run_undispatched(&executor)); // the second announcement looks at the clock
    let warnings = undispatched_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("messages from 2 tasks") && warnings[0].contains("dispatch"),
        "{warnings:?}"
    );
    // Once: more tasks that wait do not repeat it.
    for _ in 0..6 {
        futures.push(run_undispatched(&executor));
    }
    assert_eq!(undispatched_warnings().len(), 1);
    assert!(futures
        .iter()
        .all(|future| future.state().get() == FutureState::Waiting));

    executor
        .run_until(
            || futures.iter().all(|future| future.done().get()),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(undispatched_warnings().len(), 1);
}

#[test]
fn a_wake_callback_that_leads_to_no_dispatch_is_reported() {
    let _serial = capture_logs();
    let executor = TraitsExecutor::builder()
        .max_workers(1)
        .undispatched_warning(Some(LIMIT))
        .build()
        .unwrap();
    // A notify integration whose loop never calls `dispatch_pending`.
    let (woken_tx, woken) = mpsc::channel();
    executor.set_wake_callback(move || {
        let _ = woken_tx.send(());
    });
    let future = submit_progress(&executor, |reporter| {
        for step in 0..3 {
            reporter.report(step)?;
        }
        Ok(())
    })
    .unwrap();
    woken.recv_timeout(TEST_TIMEOUT).unwrap();
    std::thread::sleep(LIMIT * 2);
    let late = run_undispatched(&executor);
    assert_eq!(undispatched_warnings().len(), 1);
    executor
        .run_until(
            || future.done().get() && late.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn an_event_loop_that_dispatches_in_time_is_not_reported() {
    let _serial = capture_logs();
    let executor = TraitsExecutor::builder()
        .max_workers(2)
        .undispatched_warning(Some(LIMIT))
        .build()
        .unwrap();
    for round in 0..5u32 {
        let futures: Vec<CallFuture<u32>> = (0..8)
            .map(|n| submit_call(&executor, move || n + round).unwrap())
            .collect();
        executor
            .run_until(
                || futures.iter().all(|future| future.done().get()),
                Some(TEST_TIMEOUT),
            )
            .unwrap();
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(undispatched_warnings(), Vec::<String>::new());
}

#[test]
fn the_undispatched_warning_can_be_turned_off() {
    let _serial = capture_logs();
    let executor = TraitsExecutor::builder()
        .max_workers(1)
        .undispatched_warning(None)
        .build()
        .unwrap();
    let mut futures = vec![run_undispatched(&executor)];
    std::thread::sleep(LIMIT * 2);
    for _ in 0..4 {
        futures.push(run_undispatched(&executor));
    }
    assert_eq!(undispatched_warnings(), Vec::<String>::new());
    executor
        .run_until(
            || futures.iter().all(|future| future.done().get()),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn tasks_that_outlive_a_dropped_executor_are_not_reported_as_undispatched() {
    let _serial = capture_logs();
    // A shared pool of one thread, so that the test can queue a job behind the tasks.
    let pool = Arc::new(ThreadPool::new(1));
    let executor = TraitsExecutor::builder()
        .worker_pool(pool.clone())
        .undispatched_warning(Some(LIMIT))
        .build()
        .unwrap();
    let (started_tx, started) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let running = submit_call(&executor, move || {
        started_tx.send(()).unwrap();
        let _ = gate.recv();
    })
    .unwrap();
    // Queued behind it: once cancelled, each is announced (`Abandoned`) when the worker takes it.
    let queued: Vec<CallFuture<()>> = (0..3)
        .map(|_| submit_call(&executor, || ()).unwrap())
        .collect();
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    drop(executor); // warns that it was not shut down; nobody dispatches from now on
    std::thread::sleep(LIMIT * 2);
    release.send(()).unwrap();
    // Runs after the worker has announced every queued task's ending.
    let (after_tx, after) = mpsc::channel();
    pool.execute(Box::new(move || after_tx.send(()).unwrap()))
        .unwrap();
    after.recv_timeout(TEST_TIMEOUT).unwrap();
    assert_eq!(undispatched_warnings(), Vec::<String>::new());
    drop((running, queued));
    pool.shutdown();
}

// ---------------------------------------------------------------------------------------------
// Dropping a future.

#[test]
fn dropping_every_handle_to_a_future_does_not_cancel_its_task() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (started_tx, started) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let (finished_tx, finished) = mpsc::channel();
    let future = submit_progress(&executor, move |reporter| {
        started_tx.send(()).unwrap();
        gate.recv().unwrap();
        reporter.report(1)?; // would return Err(TaskCancelled) had the drop cancelled it
        finished_tx.send("ran to its end").unwrap();
        Ok(())
    })
    .unwrap();
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    drop(future);
    release.send(()).unwrap();
    assert_eq!(finished.recv_timeout(TEST_TIMEOUT), Ok("ran to its end"));
    assert_eq!(
        executor.running_tasks(),
        1,
        "the executor still keeps the future"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// ---------------------------------------------------------------------------------------------
// What the source and the guide say.

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: impl AsRef<Path>) -> String {
    let path = workspace().join(path);
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_guard_must_use_note_says_to_keep_it_with_let_underscore_guard() {
    let source = read("crates/traits-core/src/guard.rs");
    let start = source
        .find("#[must_use")
        .expect("ObserverGuard is must_use");
    let end = start + source[start..].find("]\n").expect("the attribute ends") + 1;
    let note = &source[start..end];
    assert!(
        source[end..]
            .trim_start()
            .starts_with("pub struct ObserverGuard"),
        "the note is ObserverGuard's"
    );
    assert!(note.contains("let _guard = ..."), "{note}");
    assert!(note.contains("let _ = ..."), "{note}");
}

#[test]
fn the_docs_say_that_dropping_a_future_does_not_cancel_its_task() {
    let task_future = read("crates/futures-core/src/future/task_future.rs");
    assert!(task_future.contains("# Dropping a future does not cancel its task"));
    let executor = read("crates/futures-core/src/executor/traits_executor.rs");
    assert!(executor.contains("Dropping the future does not"));
    assert!(read("docs/02-introduction.md").contains("Dropping a future does not cancel it"));
    assert!(read("docs/09-troubleshooting.md")
        .contains("## The task keeps running after I dropped the future"));
}

#[test]
fn the_troubleshooting_chapter_has_an_entry_per_symptom_and_is_part_of_the_guide() {
    let chapter = read("docs/09-troubleshooting.md");
    let entries: Vec<&str> = chapter
        .lines()
        .filter_map(|line| line.strip_prefix("## "))
        .collect();
    for symptom in [
        "The window shows `Waiting` for ever",
        "My observer never fires",
        "The task keeps running after I dropped the future",
        "`shutdown` never returns, or the GUI hangs at exit",
        "A panic in my observer",
        "Ctrl-C does not stop `run_until`",
        "The executor was dropped without `shutdown`",
    ] {
        assert!(
            entries.contains(&symptom),
            "no entry {symptom:?} in {entries:?}"
        );
    }
    let lib = read("crates/futures-core/src/lib.rs");
    assert!(lib.contains("include_str!(\"../../../docs/09-troubleshooting.md\")"));
    assert!(lib.contains("[Troubleshooting](troubleshooting)"));
}

#[test]
fn library_code_prints_nothing_to_stdout_or_stderr() {
    let mut offenders = Vec::new();
    for crate_dir in ["crates/futures-core/src", "crates/traits-core/src"] {
        let mut dirs = vec![workspace().join(crate_dir)];
        while let Some(dir) = dirs.pop() {
            for entry in fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    dirs.push(path);
                    continue;
                }
                if path.extension().is_none_or(|ext| ext != "rs") {
                    continue;
                }
                let source = fs::read_to_string(&path).unwrap();
                for (number, line) in source.lines().enumerate() {
                    let code = line.trim_start();
                    if code.starts_with("//") {
                        continue; // comments and doc examples may print
                    }
                    for printing in ["println!", "eprintln!", "print!(", "eprint!(", "dbg!("] {
                        if code.contains(printing) {
                            offenders.push(format!("{}:{}: {code}", path.display(), number + 1));
                        }
                    }
                }
            }
        }
    }
    assert_eq!(offenders, Vec::<String>::new());
}
