//! An egui application on traits-futures: it counts the primes below a number with a progress
//! task, shown as a progress bar with a Cancel button and the task's state, and a result label.
//!
//! The egui binding (feature `egui` of traits-futures) does the wiring: the executor's wake
//! asks egui for a frame (`traits_futures::egui::executor`), each frame first dispatches what
//! arrived within a frame budget (`dispatch_frame`), and `FutureProgress` draws the future.
//! egui redraws only when asked: nothing here polls on a timer.
//!
//! ```sh
//! cargo run -p examples --features egui --example egui_progress
//! xvfb-run -a cargo run -p examples --features egui --example egui_progress -- --self-test
//! ```
//! `--self-test` runs unattended (`egui_progress_self_test.rs`): a count that completes, a
//! count that is cancelled, checks on what the frames showed, a clean shutdown; it exits
//! non-zero with the reason if a check fails (or if nothing has happened for a minute).

use eframe::egui;
use traits_futures::egui::{dispatch_frame, FutureProgress};
use traits_futures::{submit_progress_with, ProgressDelivery, TraitsExecutor};

mod primes_task;
use primes_task::{count_primes, CountFuture};
// self-test: begin
mod egui_progress_self_test;
use egui_progress_self_test::{Script, Shown};
// self-test: end

struct PrimesApp {
    executor: TraitsExecutor,
    limit: u64,
    count: Option<CountFuture>,
    // self-test: begin
    script: Option<Script>,
    shown: Shown,
    // self-test: end
}

impl PrimesApp {
    fn start(&mut self) {
        let limit = self.limit;
        // A frame draws only the latest report: the worker coalesces the rest.
        let count = submit_progress_with(&self.executor, ProgressDelivery::Latest, move |r| {
            count_primes(limit, r)
        });
        self.count = count
            .map_err(|error| eprintln!("cannot start: {error}"))
            .ok();
    }
}

impl eframe::App for PrimesApp {
    /// Runs before every frame (and on a wake while the window is hidden): dispatch here, so
    /// that observers run before anything is drawn.
    fn logic(&mut self, _ctx: &egui::Context, _frame: &mut eframe::Frame) {
        dispatch_frame(&self.executor);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        let idle =
            self.executor.running().get() && self.count.as_ref().is_none_or(|c| c.done().get());
        let mut start = false;
        egui::CentralPanel::default().show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label("Count primes below");
                ui.add(egui::DragValue::new(&mut self.limit).range(10..=1_000_000_000));
                start = ui.add_enabled(idle, egui::Button::new("Start")).clicked();
            });
            if let Some(count) = &self.count {
                let progress = FutureProgress::new(count).show(ui);
                let result = count
                    .result()
                    .map_or(String::new(), |n| format!("{n} primes found"));
                ui.label(&result);
                // self-test: begin
                self.shown.record(progress, result);
                // self-test: end
            }
        });
        if start {
            self.start();
        }
        // self-test: begin
        egui_progress_self_test::after_frame(self, idle, ui.ctx());
        // self-test: end
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        let stopped = self
            .executor
            .shutdown(Some(std::time::Duration::from_secs(10)));
        stopped.unwrap_or_else(|error| eprintln!("cannot stop: {error}"));
        // self-test: begin
        egui_progress_self_test::on_exit(self);
        // self-test: end
    }
}

fn main() -> eframe::Result {
    // self-test: begin
    let script = egui_progress_self_test::from_args();
    // self-test: end
    let viewport = egui::ViewportBuilder::default().with_inner_size([420.0, 180.0]);
    let options = eframe::NativeOptions {
        viewport,
        ..Default::default()
    };
    eframe::run_native(
        "Primes",
        options,
        Box::new(|cc| {
            Ok(Box::new(PrimesApp {
                executor: traits_futures::egui::executor(&cc.egui_ctx),
                limit: 2_000_000,
                count: None,
                // self-test: begin
                script,
                shown: Shown::default(),
                // self-test: end
            }))
        }),
    )
}
