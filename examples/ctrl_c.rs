//! Ctrl-C: a long task run headless, cancelled when the user presses Ctrl-C.
//!
//! The headless loop (`run_until`) sleeps until a task sends something, and this task reports
//! only once per stage: a Ctrl-C handler wakes it through the executor's `LoopWaker`, so that
//! it re-checks its condition at once, sees the flag, and cancels the task.
//!
//! Run with `cargo run -p examples --example ctrl_c` and press Ctrl-C. With `--self-test` (as
//! CI runs it) the program sends itself SIGINT after the first progress report (on Windows, the
//! handler is called from a thread instead) and checks that the task ends `Cancelled`, soon
//! after the interrupt although its next report is far away.

use std::cell::Cell;
use std::error::Error;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use traits_futures::{submit_progress, FutureState, TraitsExecutor};

/// The number of stages of the "long job".
const STAGES: u32 = 10;

/// One stage of the job: here a sleep, in slices, standing in for real work that looks at its
/// cancel flag between units. Returns false if cancelled.
fn work_for(length: Duration, cancelled: impl Fn() -> bool) -> bool {
    let began = Instant::now();
    while began.elapsed() < length {
        if cancelled() {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
    true
}

/// Interrupts this process as the user's Ctrl-C would: SIGINT, caught by the handler that
/// `ctrlc` installed. (Elsewhere than Unix, calls the handler's body from a thread.)
fn interrupt_myself(handler: impl Fn() + Send + 'static) {
    #[cfg(unix)]
    {
        let _ = handler;
        // SAFETY: raise only sends a signal to the calling thread; the handler `ctrlc`
        // installed for SIGINT is async-signal-safe (it writes to a pipe).
        let raised = unsafe { libc::raise(libc::SIGINT) };
        assert_eq!(raised, 0, "raise(SIGINT) failed");
    }
    #[cfg(not(unix))]
    {
        thread::spawn(handler);
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let self_test = std::env::args().any(|arg| arg == "--self-test");
    // In the self-test, stages are long: only the waker can end the wait quickly.
    let stage = Duration::from_secs(if self_test { 30 } else { 2 });

    let executor = TraitsExecutor::builder().max_workers(1).build()?;

    // The handler runs on a thread of its own (ctrlc's): it may not touch the executor, which
    // lives on this thread. It raises a flag and wakes the loop through a `LoopWaker`, which is
    // `Send + Sync + Clone`.
    let interrupted = Arc::new(AtomicBool::new(false));
    let on_ctrl_c = {
        let interrupted = Arc::clone(&interrupted);
        let waker = executor.waker();
        move || {
            interrupted.store(true, Ordering::SeqCst);
            waker.wake();
        }
    };
    ctrlc::set_handler(on_ctrl_c.clone())?;

    let job = submit_progress(&executor, move |reporter| {
        reporter.report(0)?;
        for done in 1..=STAGES {
            if !work_for(stage, || reporter.cancelled()) {
                return Ok("interrupted");
            }
            reporter.report(done)?;
        }
        Ok("all stages done")
    })?;
    println!("Working through {STAGES} stages; press Ctrl-C to cancel.");
    let interrupted_at = Rc::new(Cell::new(None));
    let _progress = job.reports().observe({
        let interrupted_at = Rc::clone(&interrupted_at);
        let on_ctrl_c = on_ctrl_c.clone();
        move |done: &u32| {
            println!("progress: {done}/{STAGES}");
            if self_test && *done == 0 {
                println!("self-test: sending SIGINT");
                interrupted_at.set(Some(Instant::now()));
                interrupt_myself(on_ctrl_c.clone());
            }
        }
    });

    // The whole event loop: until the job is done or the user interrupts. In the self-test,
    // a deadline guards against a lost wake.
    let limit = self_test.then_some(Duration::from_secs(120));
    executor.run_until(
        || job.done().get() || interrupted.load(Ordering::SeqCst),
        limit,
    )?;
    if !job.done().get() {
        println!("Ctrl-C: cancelling");
        job.cancel();
        executor.run_until(|| job.done().get(), Some(Duration::from_secs(30)))?;
    }
    println!("job: {}", job.state().get());
    executor.shutdown(Some(Duration::from_secs(30)))?;

    if self_test {
        if job.state().get() != FutureState::Cancelled {
            return Err(format!("self-test: the job ended {}", job.state().get()).into());
        }
        let took = interrupted_at
            .get()
            .ok_or("self-test: no progress report arrived")?
            .elapsed();
        // The next report was `stage` (30 s) away: only the wake can explain a quick end.
        if took >= stage / 3 {
            return Err(format!("self-test: the interrupt took {took:?} to cancel the job").into());
        }
        println!("self-test: cancelled {took:?} after the interrupt");
    }
    Ok(())
}
