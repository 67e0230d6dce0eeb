//! The egui binding (feature `egui`), run headless on an `egui::Context` (no window): the wake
//! callback asks for a repaint, frames driven by those repaints alone bring a task to its end,
//! and the progress widget shows a future's report and state and cancels it on a click.

use std::cell::RefCell;
use std::sync::mpsc;
use std::time::Instant;

use egui::{Context, Event, Modifiers, PointerButton, Pos2, RawInput};
use traits_futures::egui::{
    dispatch_frame, repaint_on_wake, FutureProgress, FutureProgressResponse,
};
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_progress_with, FutureState, ProgressDelivery, ProgressFuture,
    ProgressHandler, TaskError, TaskMessage, TraitsExecutor,
};

type Pairs = ProgressFuture<(u64, u64), (), String>;

fn detached() -> Pairs {
    ProgressFuture::detached(ProgressHandler::default(), || {})
}

/// Runs one frame of `ctx` with `events`, drawing `future`'s widget; returns what it showed.
fn frame(ctx: &Context, future: &Pairs, events: Vec<Event>) -> FutureProgressResponse {
    let shown = RefCell::new(None);
    let input = RawInput {
        events,
        ..RawInput::default()
    };
    ctx.run_ui(input, |ui| {
        *shown.borrow_mut() = Some(FutureProgress::new(future).show(ui));
    })
    .drop_without_applying_deltas();
    shown.into_inner().expect("the frame drew the widget")
}

/// Runs frames until egui asks for no more (its first frames ask for a second pass).
fn settle(ctx: &Context) {
    for _ in 0..10 {
        ctx.run_ui(RawInput::default(), |_| {})
            .drop_without_applying_deltas();
        if !ctx.has_requested_repaint() {
            return;
        }
    }
    panic!("egui kept asking for frames");
}

#[test]
fn a_message_from_a_worker_requests_a_repaint() {
    let ctx = Context::default();
    settle(&ctx);
    let (repaint, repainted) = mpsc::channel();
    ctx.set_request_repaint_callback(move |_| {
        let _ = repaint.send(());
    });
    let executor = TraitsExecutor::new();
    repaint_on_wake(&executor, &ctx);
    assert!(!ctx.has_requested_repaint());

    let (release, gate) = mpsc::channel::<()>();
    let future = submit_call(&executor, move || gate.recv().is_ok()).unwrap();
    release.send(()).unwrap();
    repainted
        .recv_timeout(TEST_TIMEOUT)
        .expect("the worker's message requested a repaint");
    assert!(ctx.has_requested_repaint());
    // The frame it asked for delivers the messages.
    while !future.done().get() {
        ctx.run_ui(RawInput::default(), |_| {
            dispatch_frame(&executor);
        })
        .drop_without_applying_deltas();
    }
    assert_eq!(future.result(), Ok(&true));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn frames_asked_for_by_the_wakes_alone_bring_a_progress_task_to_its_end() {
    let ctx = Context::default();
    settle(&ctx);
    let executor = traits_futures::egui::executor(&ctx);
    let future = submit_progress_with(&executor, ProgressDelivery::Latest, |reporter| {
        for done in 0..=1_000 {
            reporter.report((done, 1_000))?;
        }
        Ok(())
    })
    .unwrap();
    let began = Instant::now();
    let mut last = None;
    while !future.done().get() {
        assert!(began.elapsed() < TEST_TIMEOUT, "no end within the timeout");
        // Like egui's integrations: a frame only when one was asked for.
        if ctx.has_requested_repaint() {
            let shown = RefCell::new(None);
            ctx.run_ui(RawInput::default(), |ui| {
                dispatch_frame(&executor);
                *shown.borrow_mut() = Some(FutureProgress::new(&future).show(ui));
            })
            .drop_without_applying_deltas();
            last = shown.into_inner();
        } else {
            std::thread::yield_now();
        }
    }
    let last = last.expect("a frame was drawn");
    assert_eq!(
        (last.fraction, last.state_text.as_str()),
        (1.0, "Completed")
    );
    assert_eq!(future.progress().get(), Some((1_000, 1_000)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn the_widget_shows_the_latest_report_and_the_state() {
    let ctx = Context::default();
    let future = detached();
    let shown = frame(&ctx, &future, vec![]);
    assert_eq!(
        (shown.fraction, shown.state_text.as_str()),
        (0.0, "Waiting")
    );
    assert!(shown.cancel_enabled, "a waiting future can be cancelled");

    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom((1, 4))).unwrap();
    future.receive(TaskMessage::Custom((3, 4))).unwrap();
    let shown = frame(&ctx, &future, vec![]);
    assert_eq!(
        (shown.fraction, shown.state_text.as_str()),
        (0.75, "Executing")
    );
    assert!(shown.cancel_enabled);
    assert!(!shown.cancelled);
}

#[test]
fn a_completed_future_shows_a_full_bar_and_no_enabled_cancel() {
    let ctx = Context::default();
    let future = detached();
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom((1, 4))).unwrap();
    future.receive(TaskMessage::Returned(())).unwrap();
    let shown = frame(&ctx, &future, vec![]);
    assert_eq!(
        (shown.fraction, shown.state_text.as_str()),
        (1.0, "Completed")
    );
    assert!(!shown.cancel_enabled);
}

#[test]
fn a_failed_future_shows_its_error_and_the_bar_where_it_stood() {
    let ctx = Context::default();
    let future = detached();
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom((1, 2))).unwrap();
    future
        .receive(TaskMessage::Failed(TaskError::Error("disk full".into())))
        .unwrap();
    let shown = frame(&ctx, &future, vec![]);
    assert_eq!(shown.fraction, 0.5);
    assert_eq!(
        shown.state_text,
        "Failed: the task returned an error: disk full"
    );
    assert!(!shown.cancel_enabled);
}

#[test]
fn a_report_without_a_length_shows_its_position_and_an_empty_bar() {
    let ctx = Context::default();
    let future: ProgressFuture<u64, ()> =
        ProgressFuture::detached(ProgressHandler::default(), || {});
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom(42)).unwrap();
    let shown = RefCell::new(None);
    ctx.run_ui(RawInput::default(), |ui| {
        *shown.borrow_mut() = Some(FutureProgress::new(&future).show(ui));
    })
    .drop_without_applying_deltas();
    let shown = shown.into_inner().unwrap();
    assert_eq!(
        (shown.fraction, shown.state_text.as_str()),
        (0.0, "Executing")
    );
}

#[test]
fn a_click_on_cancel_cancels_the_future() {
    let ctx = Context::default();
    let cancels = std::rc::Rc::new(std::cell::Cell::new(0));
    let future: Pairs = ProgressFuture::detached(ProgressHandler::default(), {
        let cancels = cancels.clone();
        move || cancels.set(cancels.get() + 1)
    });
    future.receive(TaskMessage::Started).unwrap();
    let shown = frame(&ctx, &future, vec![]);
    let at: Pos2 = shown.cancel.expect("a Cancel button").rect.center();
    let press = |pressed| Event::PointerButton {
        pos: at,
        button: PointerButton::Primary,
        pressed,
        modifiers: Modifiers::NONE,
    };
    let shown = frame(&ctx, &future, vec![Event::PointerMoved(at), press(true)]);
    assert!(!shown.cancelled, "a click ends with the release");
    let shown = frame(&ctx, &future, vec![press(false)]);
    assert!(shown.cancelled);
    assert_eq!(future.state().get(), FutureState::Cancelling);
    assert_eq!(cancels.get(), 1);
    // The next frame shows it, with Cancel disabled.
    let shown = frame(&ctx, &future, vec![]);
    assert_eq!(shown.state_text, "Cancelling");
    assert!(!shown.cancel_enabled);
}

#[test]
fn the_cancel_button_and_the_label_can_be_left_out() {
    let ctx = Context::default();
    let future = detached();
    let shown = RefCell::new(None);
    ctx.run_ui(RawInput::default(), |ui| {
        *shown.borrow_mut() = Some(
            FutureProgress::new(&future)
                .cancel_button(false)
                .state_label(false)
                .show(ui),
        );
    })
    .drop_without_applying_deltas();
    let shown = shown.into_inner().unwrap();
    assert!(shown.cancel.is_none());
    assert_eq!(shown.state_text, "Waiting");
}
