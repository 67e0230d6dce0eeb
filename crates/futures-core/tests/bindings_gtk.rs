//! The GTK 4 bindings (feature `gtk`), driven on a real GTK main context: run under a display
//! (CI: `xvfb-run -a cargo test -p traits-futures --features gtk --test bindings_gtk`).
//!
//! GTK must be used from the thread that initialised it, so this test has its own `main`
//! (`harness = false`) and runs its cases one after another on the main thread.

use std::rc::Rc;
use std::time::{Duration, Instant};

use gtk4 as gtk;
use gtk4::glib;
use gtk4::prelude::*;
use traits_futures::gtk as tf;
use traits_futures::prelude::*;
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{CallHandler, ProgressHandler};

/// Iterates glib's default main context until `condition` holds, failing after the test
/// timeout.
fn pump_until(what: &str, condition: impl Fn() -> bool) {
    let context = glib::MainContext::default();
    let deadline = Instant::now() + TEST_TIMEOUT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        context.iteration(false);
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A progress bar, a state label and Start/Cancel buttons bound to a slot follow a run that
/// completes, then one that is cancelled.
fn widgets_follow_a_slot() {
    let executor = TraitsExecutor::new();
    tf::spawn_dispatcher(&executor);
    let slot: Rc<TaskSlot<ProgressHandler<(u32, u32), u32>>> = Rc::new(TaskSlot::new());
    let (start, cancel) = (gtk::Button::new(), gtk::Button::new());
    let (bar, state) = (gtk::ProgressBar::new(), gtk::Label::new(Some("unset")));
    let submitter = executor.clone();
    tf::bind_submit(&start, &slot, move || {
        submit_progress(&submitter, |reporter| {
            reporter.report((1, 2))?;
            reporter.report((2, 2))?;
            Ok(7)
        })
    });
    tf::bind_cancel(&cancel, &slot);
    tf::bind_fraction(&bar, &slot);
    tf::bind_state(&state, &slot);

    pump_until("the empty slot's bindings", || state.text().is_empty());
    assert!(start.is_sensitive() && !cancel.is_sensitive());
    assert_eq!(bar.fraction(), 0.0);

    start.emit_clicked();
    let first = slot.get().expect("a click submits into the slot");
    pump_until("the run to complete", || state.text() == "Completed");
    assert_eq!(first.result(), Ok(&7));
    pump_until("the bar to fill", || bar.fraction() == 1.0);
    pump_until("Start to come back", || {
        start.is_sensitive() && !cancel.is_sensitive()
    });
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// Cancel's sensitivity follows `cancellable`, and a click cancels the task.
fn cancel_button_cancels() {
    let executor = TraitsExecutor::new();
    tf::spawn_dispatcher(&executor);
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let future = submit_call(&executor, move || {
        let _ = wait.recv_timeout(TEST_TIMEOUT);
    })
    .unwrap();
    let cancel = gtk::Button::new();
    tf::bind_cancel(&cancel, &future);
    pump_until("Cancel to be sensitive", || cancel.is_sensitive());
    cancel.emit_clicked();
    pump_until("Cancel to be insensitive", || !cancel.is_sensitive());
    let _ = release.send(()); // (a task cancelled before it started never ran)
    pump_until("the future to end", || future.done().get());
    assert_eq!(future.state().get(), FutureState::Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// A task given to a window is cancelled when the window is destroyed; the binding of a
/// destroyed widget no longer runs.
fn destroying_the_owner_cancels_and_unbinds() {
    let executor = TraitsExecutor::new();
    tf::spawn_dispatcher(&executor);
    let (release, wait) = std::sync::mpsc::channel::<()>();
    let window = gtk::Window::new();
    let label = gtk::Label::new(None);
    window.set_child(Some(&label));
    let future = tf::cancel_on_destroy(
        &window,
        submit_call(&executor, move || {
            let _ = wait.recv_timeout(TEST_TIMEOUT);
        })
        .unwrap(),
    );
    let calls = Rc::new(std::cell::Cell::new(0));
    let counter = Rc::clone(&calls);
    tf::bind(&label, future.state().signal(), move |_, _| {
        counter.set(counter.get() + 1)
    });
    pump_until("the binding's first value", || calls.get() > 0);
    assert!(future.cancellable().get());
    let before = calls.get();
    // GTK destroys a widget when its last reference goes: closing a window drops GTK's own.
    window.destroy();
    drop(window);
    drop(label);
    assert!(
        !future.cancellable().get(),
        "destroying the window cancels its task"
    );
    let _ = release.send(()); // (a task cancelled before it started never ran)
    pump_until("the future to end", || future.done().get());
    assert_eq!(future.state().get(), FutureState::Cancelled);
    // Let the main context run what it would have run for the destroyed label.
    for _ in 0..50 {
        glib::MainContext::default().iteration(false);
    }
    assert_eq!(
        calls.get(),
        before,
        "the destroyed label's binding has ended"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// After the executor stops, a Start click is refused: the button turns insensitive and its
/// tooltip says why.
fn refused_submit_disables_start() {
    let executor = TraitsExecutor::new();
    tf::spawn_dispatcher(&executor);
    let slot: Rc<TaskSlot<CallHandler<u32>>> = Rc::new(TaskSlot::new());
    let start = gtk::Button::new();
    let submitter = executor.clone();
    tf::bind_submit(&start, &slot, move || submit_call(&submitter, || 1));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    start.emit_clicked();
    assert!(slot.get().is_none());
    assert!(!start.is_sensitive());
    assert!(start.tooltip_text().is_some());
}

fn main() {
    gtk::init().expect("GTK needs a display: run this test under xvfb-run");
    let cases: [(&str, fn()); 4] = [
        ("widgets_follow_a_slot", widgets_follow_a_slot),
        ("cancel_button_cancels", cancel_button_cancels),
        (
            "destroying_the_owner_cancels_and_unbinds",
            destroying_the_owner_cancels_and_unbinds,
        ),
        (
            "refused_submit_disables_start",
            refused_submit_disables_start,
        ),
    ];
    for (name, case) in cases {
        case();
        println!("test {name} ... ok");
    }
}
