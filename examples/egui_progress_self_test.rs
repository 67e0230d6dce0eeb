//! The unattended self-test of `egui_progress` (`--self-test`, run by CI under Xvfb), one step
//! per frame: each step checks what the frame just drew, and either acts (as a click would) and
//! moves on, or waits for the next frame. A watchdog fails it if a minute passes.

use std::time::Duration;

use eframe::egui;
use traits_futures::egui::FutureProgressResponse;

use super::PrimesApp;

/// What the last frame showed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Shown {
    /// The progress widget: its bar's fraction, its state label, whether Cancel was enabled.
    progress: Option<(f32, String, bool)>,
    result: String,
    start_enabled: bool,
    frames: u64,
}

impl Shown {
    /// Records what the progress widget and the result label showed this frame.
    pub fn record(&mut self, progress: FutureProgressResponse, result: String) {
        self.progress = Some((
            progress.fraction,
            progress.state_text,
            progress.cancel_enabled,
        ));
        self.result = result;
    }

    fn state(&self) -> &str {
        self.progress.as_ref().map_or("idle", |(_, state, _)| state)
    }

    fn fraction(&self) -> f32 {
        self.progress
            .as_ref()
            .map_or(0.0, |(fraction, _, _)| *fraction)
    }

    fn cancel_enabled(&self) -> bool {
        self.progress
            .as_ref()
            .is_some_and(|(_, _, enabled)| *enabled)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Script {
    Begin,
    FirstCompletes,
    SecondExecutes,
    SecondIsCancelled,
    ExecutorStops,
    Done,
}

/// The script if `--self-test` was given (then a watchdog is started); exits on a bad argument.
pub fn from_args() -> Option<Script> {
    match std::env::args().nth(1).as_deref() {
        Some("--self-test") => {
            // A frame comes only when something asks for one: if the self-test stalls, say so.
            std::thread::spawn(|| {
                std::thread::sleep(Duration::from_secs(60));
                eprintln!("self-test failed: not finished within a minute");
                std::process::exit(1);
            });
            Some(Script::Begin)
        }
        None => None,
        Some(_) => {
            eprintln!("usage: egui_progress [--self-test]");
            std::process::exit(2);
        }
    }
}

fn expect(condition: bool, what: &str) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(format!("check failed: {what}"))
    }
}

/// After each frame: records whether Start was enabled, then runs the script's step.
pub fn after_frame(app: &mut PrimesApp, start_enabled: bool, ctx: &egui::Context) {
    app.shown.start_enabled = start_enabled;
    app.shown.frames += 1;
    let Some(script) = app.script.take() else {
        return;
    };
    app.script = Some(match step(script, app) {
        Ok(next) if next != script => {
            // A real click asks for a frame too.
            ctx.request_repaint();
            next
        }
        Ok(next) => next,
        Err(reason) => {
            eprintln!(
                "self-test failed: {reason} (the frame showed {:?})",
                app.shown
            );
            let _ = app.executor.shutdown(Some(Duration::from_secs(10)));
            std::process::exit(1);
        }
    });
    if app.script == Some(Script::Done) {
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
    }
}

fn step(script: Script, app: &mut PrimesApp) -> Result<Script, String> {
    let shown = app.shown.clone();
    Ok(match script {
        Script::Begin => {
            expect(shown.progress.is_none(), "no count at first")?;
            expect(shown.start_enabled, "Start is enabled at first")?;
            app.limit = 100_000;
            app.start();
            Script::FirstCompletes
        }
        Script::FirstCompletes if shown.state() == "Completed" => {
            expect(shown.result == "9592 primes found", "the result label")?;
            expect(shown.fraction() == 1.0, "the progress bar is full")?;
            expect(shown.start_enabled, "Start is enabled after a count")?;
            expect(!shown.cancel_enabled(), "Cancel is disabled after a count")?;
            app.limit = 100_000_000;
            app.start();
            Script::SecondExecutes
        }
        Script::SecondExecutes if shown.state() == "Executing" && shown.fraction() > 0.0 => {
            expect(!shown.start_enabled, "Start is disabled while counting")?;
            expect(shown.cancel_enabled(), "Cancel is enabled while counting")?;
            // What the Cancel button does.
            app.count.as_ref().ok_or("no count")?.cancel();
            Script::SecondIsCancelled
        }
        Script::SecondIsCancelled if shown.state() == "Cancelled" => {
            expect(shown.result.is_empty(), "no result for a cancelled count")?;
            expect(shown.start_enabled, "Start is enabled after a cancel")?;
            expect(!shown.cancel_enabled(), "Cancel is disabled after a cancel")?;
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

/// When the window closes: the script must have finished.
pub fn on_exit(app: &PrimesApp) {
    match app.script {
        Some(Script::Done) => println!("{} frames drawn\nself-test passed", app.shown.frames),
        Some(script) => {
            eprintln!("self-test failed: the window closed while at {script:?}");
            std::process::exit(1);
        }
        None => {}
    }
}
