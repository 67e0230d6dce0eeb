//! An egui application on traits-futures, woken the *notify* way: the workers call egui's
//! `request_repaint` (through the executor's wake callback), and each frame dispatches what is
//! pending before it draws. It counts the primes below a number with a progress task, showing a
//! progress bar, a state label and a result label, with Start and Cancel buttons that are
//! enabled as the future's `cancellable` and the executor's state allow.
//!
//! egui redraws only when asked: nothing here polls on a timer, so every frame after the first
//! is one that a worker's message (or the user's input) asked for.
//!
//! ```sh
//! cargo run -p examples --features egui --example egui_progress
//! xvfb-run -a cargo run -p examples --features egui --example egui_progress -- --self-test
//! ```
//! `--self-test` runs unattended: a count that completes, a count that is cancelled, checks on
//! what the frames showed, a clean shutdown; it exits non-zero with the reason if a check fails
//! (or if nothing has happened for a minute).

use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Duration;

use eframe::egui;
use traits_futures::{submit_progress_with, DispatchBudget, ProgressDelivery, TraitsExecutor};

mod primes_task;
use primes_task::{count_primes, result_text, CountFuture};

/// What the last frame showed, for the self-test's checks.
#[derive(Clone, Debug, Default, PartialEq)]
struct Shown {
    state: String,
    result: String,
    fraction: f32,
    start_enabled: bool,
    cancel_enabled: bool,
}

struct PrimesApp {
    executor: TraitsExecutor,
    limit: u64,
    /// The count on screen: a frame reads its latest report (`progress().get()`).
    count: Option<CountFuture>,
    shown: Shown,
    /// The unattended run, if one was asked for.
    script: Option<Script>,
    /// Frames drawn so far: each one asked for by a worker's message, the user's input or the
    /// self-test.
    frames: u64,
}

impl PrimesApp {
    fn new(cc: &eframe::CreationContext<'_>, self_test: bool) -> Self {
        let executor = TraitsExecutor::builder()
            .max_workers(2)
            .build()
            .expect("valid executor settings");
        // The notify integration: a worker with news asks egui for a frame (once per burst).
        let ctx = cc.egui_ctx.clone();
        executor.set_wake_callback(move || ctx.request_repaint());
        PrimesApp {
            executor,
            limit: 2_000_000,
            count: None,
            shown: Shown::default(),
            script: self_test.then_some(Script::Begin),
            frames: 0,
        }
    }

    /// What the Start button does.
    fn start(&mut self) {
        let limit = self.limit;
        // A frame draws only the latest report: the worker coalesces the rest.
        match submit_progress_with(&self.executor, ProgressDelivery::Latest, move |reporter| {
            count_primes(limit, reporter)
        }) {
            Ok(future) => self.count = Some(future),
            Err(error) => eprintln!("cannot start: {error}"),
        }
    }

    /// What the Cancel button does.
    fn cancel(&self) {
        if let Some(future) = &self.count {
            future.cancel();
        }
    }

    /// Draws the window from the executor's and the current future's state; returns what it
    /// showed.
    fn draw(&mut self, ui: &mut egui::Ui) -> Shown {
        let running = self.executor.running().get();
        let future = self.count.as_ref();
        let shown = Shown {
            state: match future {
                Some(future) => format!("State: {}", future.state().get()),
                None => "State: idle".to_string(),
            },
            result: future.map_or_else(String::new, |future| {
                result_text(future, future.state().get())
            }),
            fraction: future
                .and_then(|future| future.progress().get())
                .map_or(0.0, |(done, all)| done as f32 / all as f32),
            start_enabled: running && future.is_none_or(|future| future.done().get()),
            cancel_enabled: running && future.is_some_and(|future| future.cancellable().get()),
        };

        let mut start = false;
        let mut cancel = false;
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label("Count primes below");
                ui.add(egui::DragValue::new(&mut self.limit).range(10..=1_000_000_000));
            });
            ui.horizontal(|ui| {
                start = ui
                    .add_enabled(shown.start_enabled, egui::Button::new("Start"))
                    .clicked();
                cancel = ui
                    .add_enabled(shown.cancel_enabled, egui::Button::new("Cancel"))
                    .clicked();
            });
            ui.add(egui::ProgressBar::new(shown.fraction).show_percentage());
            ui.label(&shown.state);
            ui.label(&shown.result);
        });
        if start {
            self.start();
        }
        if cancel {
            self.cancel();
        }
        shown
    }
}

impl eframe::App for PrimesApp {
    /// Runs before every frame, and whenever a repaint was requested while the window is
    /// hidden: the place to dispatch, so that observers run before anything is drawn. The
    /// frame budget bounds the time spent here; what it leaves requests another repaint.
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.executor.dispatch_within(DispatchBudget::FRAME);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frames += 1;
        self.shown = self.draw(ui);
        if let Some(script) = self.script.take() {
            let ctx = ui.ctx().clone();
            self.script = Some(match script.step(self) {
                Ok(next) if next != script => {
                    // A real click asks for a frame too.
                    ctx.request_repaint();
                    next
                }
                Ok(next) => next,
                Err(reason) => {
                    eprintln!("self-test failed: {reason}");
                    let _ = self.executor.shutdown(Some(Duration::from_secs(10)));
                    std::process::exit(1);
                }
            });
            if self.script == Some(Script::Done) {
                ctx.send_viewport_cmd(egui::ViewportCommand::Close);
            }
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Err(error) = self.executor.shutdown(Some(Duration::from_secs(10))) {
            eprintln!("{error}");
        }
        match self.script {
            Some(Script::Done) => println!("{} frames drawn", self.frames),
            Some(script) => {
                eprintln!("self-test failed: the window closed while at {script:?}");
                std::process::exit(1);
            }
            None => {}
        }
    }
}

/// The self-test, one step per frame: each step checks what the frame just drew, and either
/// acts (as a click would) and moves on, or waits for the next frame.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Script {
    Begin,
    FirstCompletes,
    SecondExecutes,
    SecondIsCancelled,
    ExecutorStops,
    Done,
}

fn expect(condition: bool, what: &str) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(format!("check failed: {what}"))
    }
}

impl Script {
    fn step(self, app: &mut PrimesApp) -> Result<Script, String> {
        let shown = app.shown.clone();
        Ok(match self {
            Script::Begin => {
                expect(shown.state == "State: idle", "no count at first")?;
                expect(shown.start_enabled, "Start is enabled at first")?;
                expect(!shown.cancel_enabled, "Cancel is disabled at first")?;
                app.limit = 100_000;
                app.start();
                Script::FirstCompletes
            }
            Script::FirstCompletes if shown.state == "State: Completed" => {
                expect(shown.result == "9592 primes found", "the result label")?;
                expect(shown.fraction == 1.0, "the progress bar is full")?;
                expect(shown.start_enabled, "Start is enabled after a count")?;
                expect(!shown.cancel_enabled, "Cancel is disabled after a count")?;
                app.limit = 100_000_000;
                app.start();
                Script::SecondExecutes
            }
            Script::SecondExecutes if shown.state == "State: Executing" && shown.fraction > 0.0 => {
                expect(!shown.start_enabled, "Start is disabled while counting")?;
                expect(shown.cancel_enabled, "Cancel is enabled while counting")?;
                app.cancel();
                Script::SecondIsCancelled
            }
            Script::SecondIsCancelled if shown.state == "State: Cancelled" => {
                expect(shown.result == "Cancelled: no result", "the result label")?;
                expect(shown.start_enabled, "Start is enabled after a cancel")?;
                expect(!shown.cancel_enabled, "Cancel is disabled after a cancel")?;
                app.executor
                    .shutdown(Some(Duration::from_secs(30)))
                    .map_err(|e| e.to_string())?;
                Script::ExecutorStops
            }
            Script::ExecutorStops => {
                expect(!shown.start_enabled, "Start is disabled once stopped")?;
                Script::Done
            }
            waiting => waiting,
        })
    }
}

fn main() -> ExitCode {
    let self_test = match std::env::args().nth(1).as_deref() {
        Some("--self-test") => true,
        None => false,
        Some(_) => {
            eprintln!("usage: egui_progress [--self-test]");
            return ExitCode::from(2);
        }
    };
    // A frame comes only when something asks for one: if the self-test stalls, say so.
    let (finished, watchdog) = mpsc::channel::<()>();
    if self_test {
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) =
                watchdog.recv_timeout(Duration::from_secs(60))
            {
                eprintln!("self-test failed: not finished within a minute");
                std::process::exit(1);
            }
        });
    }

    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default().with_inner_size([420.0, 180.0]),
        ..Default::default()
    };
    let outcome = eframe::run_native(
        "Primes",
        options,
        Box::new(move |cc| Ok(Box::new(PrimesApp::new(cc, self_test)))),
    );
    drop(finished);
    match outcome {
        Ok(()) => {
            if self_test {
                println!("self-test passed");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
    }
}
