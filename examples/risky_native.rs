//! A risky native computation, isolated in child processes: one run completes, one crashes
//! (as native code that aborts or segfaults would), one hangs without ever looking for a
//! cancel. The GUI-style main loop goes on drawing frames throughout, shows each job's
//! progress, reports the crash as an error, and cancels the hung job, whose process is ended
//! after the pool's grace period.
//!
//! Run with `cargo run -p examples --example risky_native`. With `--self-test` (as CI runs it)
//! it checks that the three jobs end `Completed`, `Failed` (with the crash's signal or exit
//! code) and `Cancelled`, and that the loop kept drawing frames while they ran.
//!
//! The program re-executes itself for its children: `process::init` comes first in `main`.

use std::error::Error;
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use traits_futures::process::{
    self, submit_process_progress, ChildContext, ProcessPool, ProcessTask,
};
use traits_futures::{DispatchBudget, FutureState, ProgressFuture, TaskCancelled, TraitsExecutor};

/// What the "native library" will do with this input.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
enum Behaviour {
    Finish,
    Crash,
    Hang,
}

/// The input of one job.
#[derive(Debug, Serialize, Deserialize)]
struct Simulation {
    steps: u32,
    behaviour: Behaviour,
}

/// Stands in for a native library's entry point: it cannot be interrupted and may crash.
fn native_step(step: u32, behaviour: Behaviour) -> u64 {
    match behaviour {
        Behaviour::Crash if step == 3 => std::process::abort(),
        Behaviour::Hang if step == 3 => loop {
            // Never returns, never looks for a cancel.
            std::hint::spin_loop();
        },
        _ => {
            thread::sleep(Duration::from_millis(40));
            u64::from(step) * u64::from(step)
        }
    }
}

/// The task run in a child: one native step at a time, reporting (done, total) after each.
fn simulate(
    input: Simulation,
    progress: &ChildContext<'_, (u32, u32)>,
) -> Result<u64, TaskCancelled> {
    let mut total = 0;
    for step in 0..input.steps {
        total += native_step(step, input.behaviour);
        progress.report((step + 1, input.steps))?;
    }
    Ok(total)
}

const SIMULATE: ProcessTask<Simulation, (u32, u32), u64> = ProcessTask::new("simulate", simulate);

type Job = ProgressFuture<(u32, u32), u64, process::ProcessError<TaskCancelled>>;

/// One line of the "window": each job's state and progress.
fn draw(frame: u32, jobs: &[(&str, Job)]) -> String {
    let mut line = format!("frame {frame:4}");
    for (name, job) in jobs {
        let (done, total) = job.progress().get().unwrap_or((0, 0));
        line += &format!(" | {name}: {} {done}/{total}", job.state().get());
    }
    line
}

fn main() -> Result<(), Box<dyn Error>> {
    // In a child process, this serves SIMULATE and never returns.
    process::init(&[&SIMULATE]);
    let self_test = std::env::args().any(|arg| arg == "--self-test");

    let executor = TraitsExecutor::new();
    let grace = Duration::from_millis(300);
    let pool = ProcessPool::builder().max_workers(3).grace(grace).build()?;
    let jobs: Vec<(&str, Job)> = [
        ("finishes", Behaviour::Finish),
        ("crashes", Behaviour::Crash),
        ("hangs", Behaviour::Hang),
    ]
    .into_iter()
    .map(|(name, behaviour)| {
        let input = Simulation {
            steps: 8,
            behaviour,
        };
        Ok((
            name,
            submit_process_progress(&executor, &pool, &SIMULATE, input)?,
        ))
    })
    .collect::<Result<_, Box<dyn Error>>>()?;

    // The main loop: a frame every 16 ms, dispatching within a frame's budget, as a GUI would.
    // A job that shows no progress for a second is taken for hung and cancelled.
    let frame_time = Duration::from_millis(16);
    let mut frame = 0u32;
    let mut last_progress: Vec<(Option<(u32, u32)>, Instant)> =
        jobs.iter().map(|_| (None, Instant::now())).collect();
    let started = Instant::now();
    while !jobs.iter().all(|(_, job)| job.done().get()) {
        if started.elapsed() > Duration::from_secs(60) {
            return Err("the jobs did not end within a minute".into());
        }
        let frame_start = Instant::now();
        executor.dispatch_within(DispatchBudget::FRAME);
        for ((name, job), (seen, since)) in jobs.iter().zip(&mut last_progress) {
            let now = job.progress().get();
            if now != *seen {
                (*seen, *since) = (now, Instant::now());
            } else if job.cancellable().get() && since.elapsed() > Duration::from_secs(1) {
                println!("{name}: no progress for a second, cancelling");
                job.cancel();
            }
        }
        if frame.is_multiple_of(10) {
            println!("{}", draw(frame, &jobs));
        }
        frame += 1;
        thread::sleep(frame_time.saturating_sub(frame_start.elapsed()));
    }
    println!("{}", draw(frame, &jobs));
    for (name, job) in &jobs {
        match job.state().get() {
            FutureState::Completed => println!("{name}: completed, result {}", job.result()?),
            FutureState::Failed => println!("{name}: failed: {}", job.error()?),
            state => println!("{name}: {state}"),
        }
    }
    executor.shutdown(Some(Duration::from_secs(10)))?;
    drop(pool);

    if self_test {
        let states: Vec<FutureState> = jobs.iter().map(|(_, job)| job.state().get()).collect();
        let expected = [
            FutureState::Completed,
            FutureState::Failed,
            FutureState::Cancelled,
        ];
        if states != expected {
            return Err(format!("self-test: the jobs ended {states:?}, not {expected:?}").into());
        }
        let crash = jobs[1].1.error()?.to_string();
        if !(crash.contains("signal") || crash.contains("exit")) {
            return Err(format!("self-test: the crash was reported as {crash:?}").into());
        }
        // The loop went on while a job hung for a second: many frames were drawn.
        if frame < 60 {
            return Err(format!("self-test: only {frame} frames were drawn").into());
        }
        println!("self-test: passed ({frame} frames)");
    }
    Ok(())
}
