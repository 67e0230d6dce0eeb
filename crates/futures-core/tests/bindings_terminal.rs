//! The terminal binding (feature `indicatif`): a bar bound to a progress future follows its
//! latest report and ends with its final state. Bars here draw to a hidden target.

use indicatif::{ProgressBar, ProgressDrawTarget};
use traits_futures::terminal::{bind_progress_bar, progress_bar};
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_progress_with, ProgressDelivery, ProgressFuture, ProgressHandler, TaskError,
    TaskMessage, TraitsExecutor,
};

type Pairs = ProgressFuture<(u64, u64), &'static str, String>;

fn detached() -> Pairs {
    ProgressFuture::detached(ProgressHandler::default(), || {})
}

fn hidden_bar(length: u64) -> ProgressBar {
    ProgressBar::with_draw_target(Some(length), ProgressDrawTarget::hidden())
}

#[test]
fn the_bar_follows_each_report_position_and_length() {
    let future = detached();
    let bar = hidden_bar(1);
    bind_progress_bar(&future, &bar);
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom((3, 10))).unwrap();
    assert_eq!((bar.position(), bar.length()), (3, Some(10)));
    future.receive(TaskMessage::Custom((7, 12))).unwrap();
    assert_eq!((bar.position(), bar.length()), (7, Some(12)));
    assert!(!bar.is_finished());
}

#[test]
fn a_bar_bound_late_starts_from_the_report_already_delivered() {
    let future = detached();
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom((4, 8))).unwrap();
    let bar = hidden_bar(1);
    bind_progress_bar(&future, &bar);
    assert_eq!((bar.position(), bar.length()), (4, Some(8)));
}

#[test]
fn a_count_report_moves_the_bar_and_keeps_its_length() {
    let future: ProgressFuture<u32, ()> =
        ProgressFuture::detached(ProgressHandler::default(), || {});
    let bar = hidden_bar(50);
    bind_progress_bar(&future, &bar);
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom(20)).unwrap();
    assert_eq!((bar.position(), bar.length()), (20, Some(50)));
}

#[test]
fn a_completed_future_finishes_the_bar_full_with_completed() {
    let future = detached();
    let bar = hidden_bar(1);
    bind_progress_bar(&future, &bar);
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom((3, 10))).unwrap();
    future.receive(TaskMessage::Returned("done")).unwrap();
    assert!(bar.is_finished());
    assert_eq!((bar.position(), bar.length()), (10, Some(10)));
    assert_eq!(bar.message(), "Completed");
}

#[test]
fn a_failed_future_abandons_the_bar_where_it_stood_with_the_error() {
    let future = detached();
    let bar = hidden_bar(1);
    bind_progress_bar(&future, &bar);
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom((3, 10))).unwrap();
    future
        .receive(TaskMessage::Failed(TaskError::Error("disk full".into())))
        .unwrap();
    assert!(bar.is_finished());
    assert_eq!(bar.position(), 3);
    assert_eq!(
        bar.message(),
        "Failed: the task returned an error: disk full"
    );
}

#[test]
fn a_cancelled_future_abandons_the_bar_where_it_stood_with_cancelled() {
    let future = detached();
    let bar = hidden_bar(1);
    bind_progress_bar(&future, &bar);
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom((5, 10))).unwrap();
    assert!(future.cancel());
    assert!(!bar.is_finished(), "Cancelling is not an end");
    future.receive(TaskMessage::Custom((9, 10))).unwrap();
    future.receive(TaskMessage::Returned("done")).unwrap();
    assert!(bar.is_finished());
    assert_eq!(bar.position(), 5);
    assert_eq!(bar.message(), "Cancelled");
}

#[test]
fn a_bar_bound_to_a_finished_future_ends_at_once() {
    let future = detached();
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom((2, 4))).unwrap();
    future.receive(TaskMessage::Returned("done")).unwrap();
    let bar = hidden_bar(1);
    bind_progress_bar(&future, &bar);
    assert!(bar.is_finished());
    assert_eq!(bar.message(), "Completed");
    assert_eq!(future.progress().observer_count(), 0);
}

#[test]
fn the_binding_leaves_the_progress_observers_when_the_future_ends() {
    let future = detached();
    let bar = hidden_bar(1);
    bind_progress_bar(&future, &bar);
    assert_eq!(future.progress().observer_count(), 1);
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Returned("done")).unwrap();
    assert_eq!(future.progress().observer_count(), 0);
}

#[test]
fn a_latest_value_task_leaves_the_bar_at_its_last_report() {
    let executor = TraitsExecutor::new();
    let future = submit_progress_with(&executor, ProgressDelivery::Latest, |reporter| {
        for done in 0..=10_000u64 {
            reporter.report((done, 10_000))?;
        }
        Ok(())
    })
    .unwrap();
    let bar = hidden_bar(1);
    bind_progress_bar(&future, &bar);
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!((bar.position(), bar.length()), (10_000, Some(10_000)));
    assert_eq!(bar.message(), "Completed");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn progress_bar_makes_a_bound_bar_with_the_reports_length() {
    let future = detached();
    let bar = progress_bar(&future);
    bar.set_draw_target(ProgressDrawTarget::hidden());
    assert_eq!(bar.length(), None);
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Custom((1, 3))).unwrap();
    assert_eq!((bar.position(), bar.length()), (1, Some(3)));
    future.receive(TaskMessage::Returned("done")).unwrap();
    assert_eq!(bar.message(), "Completed");
}
