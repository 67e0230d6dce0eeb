//! A task list bound to the executor's live futures, headless: the text a task-manager panel
//! would show, printed each time it changes.
//!
//! Four tasks report progress; the third is cancelled (as a cancel button would) once it is
//! halfway. The panel is only bound: rows appear when tasks are submitted and disappear when
//! they end, with no list kept by hand. The program ends when every task is done, and exits
//! with an error unless the cancelled one ended `Cancelled` and the others `Completed`.
//!
//! `cargo run -p examples --example task_list`

use std::cell::RefCell;
use std::collections::HashMap;
use std::error::Error;
use std::rc::Rc;
use std::thread;
use std::time::Duration;

use traits_futures::traits_core::{ObservableVec, ObserverGuard, VecChange};
use traits_futures::{submit_progress, FutureState, LiveFuture, ProgressFuture, TraitsExecutor};

/// Steps of each task; a step is a short sleep standing in for work.
const STEPS: u32 = 8;
/// Which task the "user" cancels, halfway.
const CANCELLED: u64 = 2;

/// One line: every row's id, state and progress.
fn render(tasks: &ObservableVec<LiveFuture>) -> String {
    let rows: Vec<String> = tasks.with(|entries| {
        entries
            .iter()
            .map(|entry| {
                let progress = entry
                    .progress()
                    .and_then(|fraction| fraction.get())
                    .map_or("--".to_string(), |f| format!("{:>3.0}%", f * 100.0));
                format!(
                    "#{} {:<10} {progress}",
                    entry.id(),
                    entry.state().get().to_string()
                )
            })
            .collect()
    });
    if rows.is_empty() {
        "(no tasks)".to_string()
    } else {
        rows.join(" | ")
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let executor = TraitsExecutor::builder().max_workers(4).build()?;
    let tasks = executor.live_futures();

    // The panel: redraw on every change of the list, and of each row's state and progress
    // (their observers live as long as the row).
    let row_guards: Rc<RefCell<HashMap<u64, Vec<ObserverGuard>>>> = Rc::default();
    let _panel = tasks.observe({
        let (tasks, row_guards) = (tasks.clone(), row_guards.clone());
        move |change: &VecChange<LiveFuture>| {
            if let VecChange::Splice { removed, added, .. } = change {
                for entry in removed {
                    row_guards.borrow_mut().remove(&entry.id());
                    println!(
                        "  - task #{} left the list ({})",
                        entry.id(),
                        entry.state().get()
                    );
                }
                for entry in added {
                    let mut guards = Vec::new();
                    let redraw = {
                        let tasks = tasks.clone();
                        move || println!("{}", render(&tasks))
                    };
                    guards.push(entry.state().observe({
                        let redraw = redraw.clone();
                        move |_, _| redraw()
                    }));
                    if let Some(progress) = entry.progress() {
                        guards.push(progress.observe(move |_, _| redraw()));
                    }
                    if entry.id() == CANCELLED {
                        // The user presses the row's cancel button once it is halfway.
                        let row = entry.clone();
                        if let Some(progress) = entry.progress() {
                            guards.push(progress.observe(move |_, now| {
                                if now.is_some_and(|f| f >= 0.5) && row.cancel() {
                                    println!("  ! cancel pressed on task #{}", row.id());
                                }
                            }));
                        }
                    }
                    row_guards.borrow_mut().insert(entry.id(), guards);
                    println!("  + task #{} joined the list", entry.id());
                }
            }
            println!("{}", render(&tasks));
        }
    });

    let futures: Vec<ProgressFuture<(u32, u32), u32>> = (0..4u32)
        .map(|n| {
            submit_progress(&executor, move |reporter| {
                for step in 1..=STEPS {
                    thread::sleep(Duration::from_millis(15 + 5 * u64::from(n)));
                    reporter.report((step, STEPS))?;
                }
                Ok(n)
            })
        })
        .collect::<Result<_, _>>()?;

    executor.run_until(|| tasks.is_empty(), Some(Duration::from_secs(60)))?;
    executor.shutdown(Some(Duration::from_secs(10)))?;

    for (id, future) in futures.iter().enumerate() {
        let expected = if id as u64 == CANCELLED {
            FutureState::Cancelled
        } else {
            FutureState::Completed
        };
        if future.state().get() != expected {
            return Err(
                format!("task #{id} ended {}, not {expected}", future.state().get()).into(),
            );
        }
    }
    println!("all tasks done: #{CANCELLED} cancelled, the others completed");
    Ok(())
}
