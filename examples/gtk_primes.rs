//! A GTK4 application on traits-futures: count the primes below a number in chunks, with a
//! progress bar, a state label, a result label, and Start/Cancel buttons whose sensitivity
//! follows the current count.
//!
//! The count shown is held in a `TaskSlot` (latest wins: starting a count cancels the one
//! before), and every widget is bound to the slot in one call with `traits_futures::gtk`. The
//! window starts a first count as it opens, and owns it (`cancel_on_destroy`): closing the window
//! before it ends cancels it. The executor's messages are dispatched on glib's main context
//! within a frame budget: nothing polls on a timer.
//!
//! ```sh
//! cargo run -p examples --features gtk --example gtk_primes
//! xvfb-run -a cargo run -p examples --features gtk --example gtk_primes -- --self-test /tmp/primes.png
//! ```
//! `--self-test PATH` runs unattended: a count that completes, a count that is cancelled, checks
//! on labels and buttons, a PNG of the window at PATH, a clean shutdown; it exits non-zero with
//! the reason if a check fails.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gtk::prelude::*;
use gtk::{gio, glib};
use gtk4 as gtk;
use traits_futures::gtk as tf;
use traits_futures::prelude::*;
use traits_futures::ProgressHandler;

mod primes_task;
use primes_task::{count_primes, CountFuture};

struct PrimesApp {
    executor: TraitsExecutor,
    /// The count shown in the window: the latest one started.
    current: Rc<TaskSlot<ProgressHandler<(u64, u64), usize>>>,
    window: gtk::ApplicationWindow,
    limit: gtk::SpinButton,
    start: gtk::Button,
    cancel: gtk::Button,
    progress: gtk::ProgressBar,
    state: gtk::Label,
    result: gtk::Label,
}

impl PrimesApp {
    fn build(app: &gtk::Application) -> Rc<Self> {
        let window = gtk::ApplicationWindow::builder()
            .application(app)
            .title("Primes")
            .default_width(420)
            .build();
        let limit = gtk::SpinButton::with_range(10.0, 1e9, 1000.0);
        limit.set_value(20_000_000.0);
        let app = Rc::new(PrimesApp {
            executor: TraitsExecutor::builder()
                .max_workers(2)
                .build()
                .expect("valid settings"),
            current: Rc::new(TaskSlot::new()),
            window,
            limit,
            start: gtk::Button::with_label("Start"),
            cancel: gtk::Button::with_label("Cancel"),
            progress: gtk::ProgressBar::builder().show_text(true).build(),
            state: gtk::Label::new(None),
            result: gtk::Label::new(None),
        });
        let layout = gtk::Box::new(gtk::Orientation::Vertical, 8);
        layout.set_margin_top(12);
        layout.set_margin_bottom(12);
        layout.set_margin_start(12);
        layout.set_margin_end(12);
        let row = gtk::Box::new(gtk::Orientation::Horizontal, 8);
        row.append(&gtk::Label::new(Some("Count primes below")));
        row.append(&app.limit);
        let buttons = gtk::Box::new(gtk::Orientation::Horizontal, 8);
        buttons.append(&app.start);
        buttons.append(&app.cancel);
        for widget in [
            row.upcast_ref::<gtk::Widget>(),
            buttons.upcast_ref(),
            app.progress.upcast_ref(),
            app.state.upcast_ref(),
            app.result.upcast_ref(),
        ] {
            layout.append(widget);
        }
        app.window.set_child(Some(&layout));

        tf::spawn_dispatcher(&app.executor);
        tf::bind_submit(&app.start, &app.current, {
            let (executor, limit) = (app.executor.clone(), app.limit.clone());
            // The bar draws only the latest report: the worker coalesces the rest.
            move || {
                let limit = limit.value() as u64;
                submit_progress_with(&executor, ProgressDelivery::Latest, move |r| {
                    count_primes(limit, r)
                })
            }
        });
        tf::bind_cancel(&app.cancel, &app.current);
        tf::bind_fraction(&app.progress, &app.current);
        tf::bind_state(&app.state, &app.current);
        let result = app.current.map_signal(|future| {
            let future = future.clone();
            future
                .state()
                .signal()
                .map(move |state| result_text(&future, state))
        });
        tf::bind_text(&app.result, result.map(Option::unwrap_or_default));

        // The first count starts as the window opens; the window owns it.
        let limit = app.limit.value() as u64;
        match submit_progress_with(&app.executor, ProgressDelivery::Latest, move |r| {
            count_primes(limit, r)
        }) {
            Ok(first) => app.current.set(tf::cancel_on_destroy(&app.window, first)),
            Err(error) => app.result.set_text(&error.to_string()),
        }
        app
    }
}

/// What the result label shows for `future` once it is in `state`.
pub fn result_text(future: &CountFuture, state: FutureState) -> String {
    match state {
        FutureState::Completed => format!("{} primes found", future.result().copied().unwrap_or(0)),
        FutureState::Failed => match future.error() {
            Ok(error) => format!("Failed: {error}"),
            Err(_) => "Failed".to_string(),
        },
        FutureState::Cancelled => "Cancelled: no result".to_string(),
        _ => String::new(),
    }
}

// self-test: begin
/// Waits (yielding to the main loop) until `check` holds, for the self-test's checks.
async fn wait_until(what: &str, check: impl Fn() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check() {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        glib::timeout_future(Duration::from_millis(10)).await;
    }
    Ok(())
}

fn expect(condition: bool, what: &str) -> Result<(), String> {
    if condition {
        Ok(())
    } else {
        Err(format!("check failed: {what}"))
    }
}

/// Renders `widget` as it is now drawn and saves it as a PNG.
fn render_png(widget: &gtk::Widget, path: &Path) -> Result<(), String> {
    let paintable = gtk::WidgetPaintable::new(Some(widget));
    let snapshot = gtk::Snapshot::new();
    paintable.snapshot(&snapshot, widget.width() as f64, widget.height() as f64);
    let node = snapshot.to_node().ok_or("the window drew nothing")?;
    let native = widget.native().ok_or("the window is not realized")?;
    let renderer = native.renderer().ok_or("the window has no renderer")?;
    let texture = renderer.render_texture(&node, None);
    texture
        .save_to_png(path)
        .map_err(|e| format!("cannot save {}: {e}", path.display()))
}

async fn self_test(app: Rc<PrimesApp>, png: PathBuf) -> Result<(), String> {
    let w = &app;
    wait_until("the window to be drawn", || w.window.width() > 0).await?;

    // 1. The count started as the window opened runs, and is cancelled.
    let first = app.current.get().ok_or("the window started no count")?;
    wait_until("the first count to report progress", || {
        w.progress.fraction() > 0.0 && w.state.text() == "Executing"
    })
    .await?;
    expect(
        !w.start.is_sensitive(),
        "Start is insensitive while counting",
    )?;
    expect(
        w.cancel.is_sensitive(),
        "Cancel is sensitive while counting",
    )?;
    w.cancel.emit_clicked();
    wait_until("the first count to be cancelled", || {
        w.state.text() == "Cancelled"
    })
    .await?;
    expect(
        first.state().get() == FutureState::Cancelled,
        "the first count is Cancelled",
    )?;
    wait_until("the buttons to follow", || {
        w.start.is_sensitive() && !w.cancel.is_sensitive()
    })
    .await?;
    expect(
        w.result.text() == "Cancelled: no result",
        "the result label says cancelled",
    )?;

    // 2. A count that completes.
    w.limit.set_value(100_000.0);
    w.start.emit_clicked();
    let second = app.current.get().ok_or("Start submitted nothing")?;
    expect(!second.ptr_eq(&first), "Start put a new count in the slot")?;
    wait_until("the labels to show the result", || {
        w.state.text() == "Completed" && w.result.text() == "9592 primes found"
    })
    .await?;
    expect(
        second.state().get() == FutureState::Completed,
        "the second count completed",
    )?;
    wait_until("the bar to be full", || w.progress.fraction() == 1.0).await?;
    expect(w.start.is_sensitive(), "Start is sensitive after a count")?;
    expect(
        !w.cancel.is_sensitive(),
        "Cancel is insensitive after a count",
    )?;

    // 3. The picture (a frame may not be ready at once: try again for a while), then a clean
    //    shutdown, after which Start refuses and says why.
    let mut attempts = 0;
    while let Err(reason) = render_png(w.window.upcast_ref(), &png) {
        attempts += 1;
        if attempts == 50 {
            return Err(reason);
        }
        w.window.queue_draw();
        glib::timeout_future(Duration::from_millis(100)).await;
    }
    app.executor
        .shutdown(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    w.start.emit_clicked();
    expect(
        !w.start.is_sensitive(),
        "Start is insensitive once the executor has stopped",
    )?;
    expect(w.start.tooltip_text().is_some(), "Start's tooltip says why")?;
    Ok(())
}
// self-test: end

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let self_test_png = match (args.next().as_deref(), args.next()) {
        (Some("--self-test"), Some(path)) => Some(PathBuf::from(path)),
        (None, _) => None,
        _ => {
            eprintln!("usage: gtk_primes [--self-test PATH.png]");
            return ExitCode::from(2);
        }
    };

    let application = gtk::Application::builder()
        .application_id("org.traits_futures.GtkPrimes")
        .flags(gio::ApplicationFlags::NON_UNIQUE)
        .build();
    let failure: Rc<RefCell<Option<String>>> = Rc::new(RefCell::new(None));
    application.connect_activate({
        let (failure, self_test_png) = (failure.clone(), self_test_png.clone());
        move |application| {
            let app = PrimesApp::build(application);
            app.window.present();
            app.window.connect_close_request({
                let app = app.clone();
                move |_| {
                    if let Err(error) = app.executor.shutdown(Some(Duration::from_secs(10))) {
                        eprintln!("{error}");
                    }
                    glib::Propagation::Proceed
                }
            });
            if let Some(png) = self_test_png.clone() {
                let (failure, application) = (failure.clone(), application.clone());
                glib::spawn_future_local(async move {
                    let outcome = self_test(app.clone(), png).await;
                    if let Err(reason) = outcome {
                        *failure.borrow_mut() = Some(reason);
                        let _ = app.executor.shutdown(Some(Duration::from_secs(10)));
                    }
                    application.quit();
                });
            }
        }
    });
    application.run_with_args::<&str>(&[]);

    let failure = failure.borrow_mut().take();
    match failure {
        Some(reason) => {
            eprintln!("self-test failed: {reason}");
            ExitCode::FAILURE
        }
        None => {
            if self_test_png.is_some() {
                println!("self-test passed");
            }
            ExitCode::SUCCESS
        }
    }
}
