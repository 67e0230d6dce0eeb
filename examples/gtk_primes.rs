//! A GTK4 application on traits-futures: count the primes below a number in chunks, with a
//! progress bar, a state label, a result label, and Start/Cancel buttons whose sensitivity
//! follows the future's `cancellable` and the executor's state.
//!
//! The count shown is held in a `TaskSlot` (latest wins: starting a count cancels the one
//! before), and every widget is bound to the slot's current count through its signals and
//! futures-signals combinators (`map`, `map_ref!`, `dedupe`) spawned on glib's main context; the
//! executor's messages are dispatched by its async `Dispatcher`, also spawned there: nothing
//! polls on a timer.
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

use futures_signals::map_ref;
use futures_signals::signal::{Signal, SignalExt};
use gtk::prelude::*;
use gtk::{gio, glib};
use gtk4 as gtk;
use traits_futures::{
    submit_progress_with, DispatchBudget, FutureState, ProgressDelivery, ProgressHandler, TaskSlot,
    TraitsExecutor,
};

mod primes_task;
use primes_task::{count_primes, result_text};

struct Widgets {
    window: gtk::ApplicationWindow,
    limit: gtk::SpinButton,
    start: gtk::Button,
    cancel: gtk::Button,
    progress: gtk::ProgressBar,
    state: gtk::Label,
    result: gtk::Label,
}

struct PrimesApp {
    executor: TraitsExecutor,
    /// The count shown in the window: the latest one started (starting one cancels the one
    /// before; the slot owns it).
    current: TaskSlot<ProgressHandler<(u64, u64), usize>>,
    widgets: Widgets,
}

/// Runs `apply` with every value of `signal`, on glib's main context.
fn bind<S>(signal: S, mut apply: impl FnMut(S::Item) + 'static)
where
    S: Signal + 'static,
{
    glib::spawn_future_local(signal.for_each(move |value| {
        apply(value);
        async {}
    }));
}

impl PrimesApp {
    fn build(app: &gtk::Application) -> Rc<Self> {
        let window = gtk::ApplicationWindow::builder()
            .application(app)
            .title("Primes")
            .default_width(420)
            .build();
        let limit = gtk::SpinButton::with_range(10.0, 1e9, 1000.0);
        limit.set_value(2_000_000.0);
        let widgets = Widgets {
            window,
            limit,
            start: gtk::Button::with_label("Start"),
            cancel: gtk::Button::with_label("Cancel"),
            progress: gtk::ProgressBar::builder().show_text(true).build(),
            state: gtk::Label::new(None),
            result: gtk::Label::new(None),
        };
        let layout = gtk::Box::new(gtk::Orientation::Vertical, 8);
        for margin in [
            gtk::Box::set_margin_top,
            gtk::Box::set_margin_bottom,
            gtk::Box::set_margin_start,
            gtk::Box::set_margin_end,
        ] {
            margin(&layout, 12);
        }
        let row = gtk::Box::new(gtk::Orientation::Horizontal, 8);
        row.append(&gtk::Label::new(Some("Count primes below")));
        row.append(&widgets.limit);
        layout.append(&row);
        let buttons = gtk::Box::new(gtk::Orientation::Horizontal, 8);
        buttons.append(&widgets.start);
        buttons.append(&widgets.cancel);
        layout.append(&buttons);
        layout.append(&widgets.progress);
        layout.append(&widgets.state);
        layout.append(&widgets.result);
        widgets.window.set_child(Some(&layout));

        let app = Rc::new(PrimesApp {
            executor: TraitsExecutor::builder()
                .max_workers(2)
                .build()
                .expect("valid executor settings"),
            current: TaskSlot::new(),
            widgets,
        });
        // Each poll dispatches for at most a frame budget, then yields to GTK's drawing.
        glib::spawn_future_local(app.executor.dispatcher().with_budget(DispatchBudget::FRAME));
        app.connect_buttons();
        app.bind_widgets();
        app
    }

    fn connect_buttons(self: &Rc<Self>) {
        let app = Rc::clone(self);
        self.widgets.start.connect_clicked(move |_| {
            let limit = app.widgets.limit.value() as u64;
            // The bar draws only the latest report: the worker coalesces the rest. `progress()`
            // is a value, so the binding below may start late and still shows the latest one.
            let submitted = app.current.submit(|| {
                submit_progress_with(&app.executor, ProgressDelivery::Latest, move |reporter| {
                    count_primes(limit, reporter)
                })
            });
            if let Err(error) = submitted {
                app.widgets.result.set_text(&error.to_string());
            }
        });
        let app = Rc::clone(self);
        self.widgets.cancel.connect_clicked(move |_| {
            app.current.cancel();
        });
    }

    fn bind_widgets(self: &Rc<Self>) {
        let w = &self.widgets;

        bind(self.current.state(), {
            let label = w.state.clone();
            move |state| {
                label.set_text(&state.map_or("State: idle".into(), |s| format!("State: {s}")))
            }
        });

        let fraction = self.current.map_signal(|f| f.progress().signal()).map(|p| {
            p.flatten()
                .map_or(0.0, |(done, all)| done as f64 / all as f64)
        });
        bind(fraction.dedupe(), {
            let bar = w.progress.clone();
            move |fraction| bar.set_fraction(fraction)
        });

        let result = self.current.map_signal(|f| {
            let future = f.clone();
            f.state()
                .signal()
                .map(move |state| result_text(&future, state))
        });
        bind(result.map(Option::unwrap_or_default), {
            let label = w.result.clone();
            move |text: String| label.set_text(&text)
        });

        let busy = self
            .current
            .state()
            .map(|s| s.is_some_and(|s| !s.is_done()));
        let start_sensitive = map_ref! {
            let running = self.executor.running().signal(),
            let busy = busy => *running && !*busy
        };
        bind(start_sensitive.dedupe(), {
            let button = w.start.clone();
            move |sensitive| button.set_sensitive(sensitive)
        });

        let cancellable = self
            .current
            .state()
            .map(|s| s.is_some_and(FutureState::is_cancellable));
        let cancel_sensitive = map_ref! {
            let running = self.executor.running().signal(),
            let cancellable = cancellable => *running && *cancellable
        };
        bind(cancel_sensitive.dedupe(), {
            let button = w.cancel.clone();
            move |sensitive| button.set_sensitive(sensitive)
        });
    }
}

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
    let w = &app.widgets;
    wait_until("the window to be drawn", || w.window.width() > 0).await?;
    expect(w.start.is_sensitive(), "Start is sensitive at first")?;
    expect(!w.cancel.is_sensitive(), "Cancel is insensitive at first")?;

    // 1. A count that completes.
    w.limit.set_value(100_000.0);
    w.start.emit_clicked();
    let first = app.current.get().ok_or("Start submitted nothing")?;
    wait_until("the first count to complete", || first.done().get()).await?;
    expect(
        first.state().get() == FutureState::Completed,
        "the first count completed",
    )?;
    wait_until("the labels to show the result", || {
        w.state.text() == "State: Completed" && w.result.text() == "9592 primes found"
    })
    .await?;
    expect(w.progress.fraction() == 1.0, "the progress bar is full")?;
    expect(w.start.is_sensitive(), "Start is sensitive after a count")?;
    expect(
        !w.cancel.is_sensitive(),
        "Cancel is insensitive after a count",
    )?;

    // 2. A count that is cancelled while executing.
    w.limit.set_value(500_000_000.0);
    w.start.emit_clicked();
    let second = app.current.get().ok_or("Start submitted nothing")?;
    wait_until("the second count to report progress", || {
        w.progress.fraction() > 0.0 && w.state.text() == "State: Executing"
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
    wait_until("the second count to be cancelled", || {
        w.state.text() == "State: Cancelled"
    })
    .await?;
    expect(
        second.state().get() == FutureState::Cancelled,
        "the second count is Cancelled",
    )?;
    wait_until("the buttons to follow", || {
        w.start.is_sensitive() && !w.cancel.is_sensitive()
    })
    .await?;
    expect(
        w.result.text() == "Cancelled: no result",
        "the result label says cancelled",
    )?;

    // 3. The picture (a frame may not be ready at once: try again for a while), then a clean
    //    shutdown.
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
    wait_until("Start to follow the stopped executor", || {
        !w.start.is_sensitive()
    })
    .await?;
    Ok(())
}

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
            app.widgets.window.present();
            app.widgets.window.connect_close_request({
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
