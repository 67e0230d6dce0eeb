//! The smallest useful GTK 4 window on traits-futures: Start and Cancel buttons, a progress bar
//! and a state label, each bound to a latest-wins slot in one call.
//!
//! ```sh
//! cargo run -p examples --features gtk --example gtk_progress
//! GSK_RENDERER=cairo xvfb-run -a cargo run -p examples --features gtk --example gtk_progress -- --self-test
//! ```
//! `--self-test` clicks through a run that completes and one that is cancelled, checks what the
//! widgets show, and exits non-zero with the reason if a check fails.

use std::rc::Rc;
use std::time::Duration;

use gtk::prelude::*;
use gtk4 as gtk;
use traits_futures::gtk as tf;
use traits_futures::prelude::*;

/// The background work: 100 steps of 30 ms, reporting after each; `?` stops it once cancelled.
fn work(reporter: &ProgressReporter<'_, (u32, u32)>) -> Result<&'static str, TaskCancelled> {
    for step in 1..=100 {
        std::thread::sleep(Duration::from_millis(30));
        reporter.report((step, 100))?;
    }
    Ok("done")
}

fn build(app: &gtk::Application) {
    let executor = TraitsExecutor::new();
    tf::spawn_dispatcher(&executor);
    let slot = Rc::new(TaskSlot::new());

    let start = gtk::Button::with_label("Start");
    let cancel = gtk::Button::with_label("Cancel");
    let bar = gtk::ProgressBar::new();
    let state = gtk::Label::new(None);
    tf::bind_submit(&start, &slot, move || submit_progress(&executor, work));
    tf::bind_cancel(&cancel, &slot);
    tf::bind_fraction(&bar, &slot);
    tf::bind_state(&state, &slot);

    let layout = gtk::Box::new(gtk::Orientation::Vertical, 8);
    for widget in [
        start.upcast_ref::<gtk::Widget>(),
        cancel.upcast_ref(),
        bar.upcast_ref(),
        state.upcast_ref(),
    ] {
        layout.append(widget);
    }
    let window = gtk::ApplicationWindow::builder()
        .application(app)
        .title("Progress")
        .child(&layout)
        .build();
    window.present();
    // self-test: begin
    if std::env::args().any(|arg| arg == "--self-test") {
        glib::spawn_future_local(self_test::run(
            app.clone(),
            slot,
            [start, cancel],
            bar,
            state,
        ));
    }
    // self-test: end
}

fn main() -> gtk::glib::ExitCode {
    let app = gtk::Application::builder()
        .application_id("org.traits_futures.GtkProgress")
        .build();
    app.connect_activate(build);
    app.run_with_args::<&str>(&[])
}

// self-test: begin
use gtk::glib;

mod self_test {
    use super::*;

    /// Clicks through one run that completes and one that is cancelled, checking the widgets;
    /// quits with exit code 1 and the reason on the first failed check.
    pub async fn run(
        app: gtk::Application,
        slot: Rc<TaskSlot<traits_futures::ProgressHandler<(u32, u32), &'static str>>>,
        [start, cancel]: [gtk::Button; 2],
        bar: gtk::ProgressBar,
        state: gtk::Label,
    ) {
        let outcome = async {
            check(
                start.is_sensitive() && !cancel.is_sensitive(),
                "Start only, at first",
            )?;
            start.emit_clicked();
            let first = slot.get().ok_or("Start submitted nothing")?;
            wait("the first run to complete", || state.text() == "Completed").await?;
            check(first.result() == Ok(&"done"), "the first run's result")?;
            wait("the bar to fill", || bar.fraction() == 1.0).await?;
            check(
                start.is_sensitive() && !cancel.is_sensitive(),
                "Start only, after a run",
            )?;

            start.emit_clicked();
            wait("the second run to report", || {
                bar.fraction() > 0.0 && bar.fraction() < 1.0
            })
            .await?;
            check(
                !start.is_sensitive() && cancel.is_sensitive(),
                "Cancel only, while running",
            )?;
            cancel.emit_clicked();
            wait("the second run to be cancelled", || {
                state.text() == "Cancelled"
            })
            .await?;
            wait("Start to come back", || {
                start.is_sensitive() && !cancel.is_sensitive()
            })
            .await
        };
        match outcome.await {
            Ok(()) => println!("self-test passed"),
            Err(reason) => {
                eprintln!("self-test failed: {reason}");
                std::process::exit(1);
            }
        }
        app.quit();
    }

    fn check(condition: bool, what: &str) -> Result<(), String> {
        condition
            .then_some(())
            .ok_or_else(|| format!("check failed: {what}"))
    }

    async fn wait(what: &str, condition: impl Fn() -> bool) -> Result<(), String> {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while !condition() {
            if std::time::Instant::now() > deadline {
                return Err(format!("timed out waiting for {what}"));
            }
            glib::timeout_future(Duration::from_millis(10)).await;
        }
        Ok(())
    }
}
// self-test: end
