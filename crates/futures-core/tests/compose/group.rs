//! Issue 24 §5: groups. `when_all` and `when_any` over futures of any task types; a group's
//! cancel cancels every member at once; its aggregate progress (`done_count`/`total`, the
//! mean fraction) is observable; and a group is a future like any other (a deadline, a group
//! of groups).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use traits_core::{Derived, Observable};
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_iteration, submit_progress, when_all, when_any, CallFuture, CancelReason,
    FutureState, GroupError, Losers, Member, ProgressReporter, TaskError, TaskMessage,
    TraitsExecutor,
};

type Detached = CallFuture<u32, String>;

fn detached() -> Detached {
    CallFuture::detached(Default::default(), || {})
}

fn complete(future: &Detached, value: u32) {
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Returned(value)).unwrap();
}

fn fail(future: &Detached) {
    future.receive(TaskMessage::Started).unwrap();
    future
        .receive(TaskMessage::Failed(TaskError::Error("broken".into())))
        .unwrap();
}

/// Ends a cancelled detached future (its "task" acknowledges the cancel).
fn acknowledge(future: &Detached) {
    let message = if future.state().get() == FutureState::Cancelling {
        TaskMessage::Abandoned
    } else {
        return;
    };
    if future.receive(message).is_err() {
        future.receive(TaskMessage::Returned(0)).unwrap();
    }
}

fn states(futures: &[&Detached]) -> Vec<FutureState> {
    futures.iter().map(|f| f.state().get()).collect()
}

#[test]
fn when_all_completes_once_members_of_three_task_types_have_all_completed(
) -> Result<(), Box<dyn std::error::Error>> {
    let executor = TraitsExecutor::new();
    let call = submit_call(&executor, || 2 + 2)?;
    let items = submit_iteration(&executor, || 0..3)?;
    let progress = submit_progress(&executor, |reporter| {
        reporter.report(1)?;
        Ok("copied")
    })?;
    let group = when_all([
        Member::from(&call),
        Member::from(&items),
        Member::from(&progress),
    ]);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let _log = group.state().observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(*new)
    });
    executor.run_until(|| group.done().get(), Some(TEST_TIMEOUT))?;
    assert_eq!(group.state().get(), FutureState::Completed);
    for member in [call.state(), items.state(), progress.state()] {
        assert_eq!(member.get(), FutureState::Completed);
    }
    assert_eq!((group.done_count().get(), group.total()), (3, 3));
    let seen = seen.borrow();
    assert_eq!(seen.last(), Some(&FutureState::Completed));
    assert!(!seen.contains(&FutureState::Cancelling));
    executor.shutdown(Some(TEST_TIMEOUT))?;
    Ok(())
}

#[test]
fn when_all_waits_for_the_last_member_before_completing() {
    let (a, b) = (detached(), detached());
    let group = when_all([&a, &b]);
    assert_eq!(group.state().get(), FutureState::Waiting);
    complete(&a, 1);
    assert_eq!(group.state().get(), FutureState::Executing);
    complete(&b, 2);
    assert_eq!(group.state().get(), FutureState::Completed);
}

#[test]
fn when_all_fails_fast_naming_the_failed_member_and_cancels_the_others() {
    let (a, b, c) = (detached(), detached(), detached());
    let group = when_all([&a, &b, &c]);
    complete(&a, 1);
    fail(&b);
    assert_eq!(group.state().get(), FutureState::Failed);
    assert_eq!(
        group.error(),
        Ok(&TaskError::Error(GroupError::MemberFailed { index: 1 }))
    );
    assert_eq!(
        states(&[&a, &b, &c]),
        [
            FutureState::Completed,
            FutureState::Failed,
            FutureState::Cancelling
        ]
    );
    assert_eq!(c.cancel_reason(), Some(CancelReason::Group));
    acknowledge(&c);
    assert_eq!(group.state().get(), FutureState::Failed, "stays failed");
    assert_eq!(group.done_count().get(), 3);
}

#[test]
fn when_all_is_cancelled_with_the_members_reason_when_a_member_is_cancelled_and_ends_when_all_have()
{
    let (a, b, c) = (detached(), detached(), detached());
    let group = when_all([&a, &b, &c]);
    a.receive(TaskMessage::Started).unwrap();
    assert!(b.cancel_with(CancelReason::Deadline));
    assert_eq!(group.state().get(), FutureState::Cancelling);
    assert_eq!(group.cancel_reason(), Some(CancelReason::Deadline));
    assert_eq!(a.cancel_reason(), Some(CancelReason::Group));
    assert_eq!(c.cancel_reason(), Some(CancelReason::Group));
    acknowledge(&b);
    acknowledge(&c);
    assert_eq!(
        group.state().get(),
        FutureState::Cancelling,
        "`a` still runs"
    );
    a.receive(TaskMessage::Returned(1)).unwrap(); // its task ends: Cancelled
    assert_eq!(group.state().get(), FutureState::Cancelled);
    assert_eq!(group.cancel_reason(), Some(CancelReason::Deadline));
}

#[test]
fn cancelling_a_group_cancels_every_member_before_cancel_returns() {
    let (a, b) = (detached(), detached());
    let group = when_all([&a, &b]);
    assert!(group.cancel());
    assert_eq!(
        states(&[&a, &b]),
        [FutureState::Cancelling, FutureState::Cancelling]
    );
    assert_eq!(a.cancel_reason(), Some(CancelReason::Group));
    assert_eq!(group.cancel_reason(), Some(CancelReason::User));
    acknowledge(&a);
    assert_eq!(group.state().get(), FutureState::Cancelling);
    acknowledge(&b);
    assert_eq!(group.state().get(), FutureState::Cancelled);
}

#[test]
fn a_cancelled_group_receives_nothing_from_a_member_that_completes_meanwhile() {
    let (a, b) = (detached(), detached());
    let group = when_any([&a, &b], Losers::Keep);
    a.receive(TaskMessage::Started).unwrap();
    group.cancel();
    // `a`'s task had returned before it saw the cancel.
    a.receive(TaskMessage::Returned(1)).unwrap();
    acknowledge(&b);
    assert_eq!(group.state().get(), FutureState::Cancelled);
    assert!(group.result().is_err());
}

#[test]
fn when_any_completes_with_the_first_to_complete_and_keeps_the_losers_unless_asked() {
    let (a, b, c) = (detached(), detached(), detached());
    let group = when_any([&a, &b, &c], Losers::Keep);
    fail(&a); // passed over
    assert_eq!(group.state().get(), FutureState::Executing);
    complete(&c, 3);
    assert_eq!(group.result(), Ok(&2));
    assert_eq!(b.state().get(), FutureState::Waiting, "kept running");
    complete(&b, 2);
    assert_eq!(group.result(), Ok(&2), "the first winner stays");
}

#[test]
fn when_any_cancelling_the_losers_when_asked() -> Result<(), Box<dyn std::error::Error>> {
    let executor = TraitsExecutor::builder().max_workers(4).build()?;
    // Two losers (of two task types) that block until released at the end.
    let (release, gate) = mpsc::channel::<()>();
    let gate = std::sync::Arc::new(std::sync::Mutex::new(gate));
    let blocked = |gate: std::sync::Arc<std::sync::Mutex<mpsc::Receiver<()>>>| {
        move || {
            let _ = gate.lock().unwrap().recv_timeout(TEST_TIMEOUT);
        }
    };
    let loser_a = submit_call(&executor, blocked(gate.clone()))?;
    let winner = submit_call(&executor, || ())?;
    let loser_c = submit_progress(&executor, {
        let wait = blocked(gate.clone());
        move |reporter| {
            reporter.report(0.0)?;
            wait();
            Ok(())
        }
    })?;
    let group = when_any(
        [
            Member::from(&loser_a),
            Member::from(&winner),
            Member::from(&loser_c),
        ],
        Losers::Cancel,
    );
    executor.run_until(|| group.done().get(), Some(TEST_TIMEOUT))?;
    assert_eq!(group.result(), Ok(&1));
    assert!(!loser_a.cancellable().get());
    assert!(!loser_c.cancellable().get());
    assert_eq!(loser_a.cancel_reason(), Some(CancelReason::Group));
    assert_eq!(loser_c.cancel_reason(), Some(CancelReason::Group));
    drop(release); // the blocked losers end now
    executor.run_until(
        || loser_a.done().get() && loser_c.done().get(),
        Some(TEST_TIMEOUT),
    )?;
    assert_eq!(loser_a.state().get(), FutureState::Cancelled);
    assert_eq!(loser_c.state().get(), FutureState::Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT))?;
    Ok(())
}

#[test]
fn when_any_fails_once_every_member_ended_without_completing() {
    let (a, b) = (detached(), detached());
    let group = when_any([&a, &b], Losers::Cancel);
    fail(&a);
    b.cancel();
    assert_eq!(
        group.state().get(),
        FutureState::Executing,
        "b still Cancelling"
    );
    acknowledge(&b);
    assert_eq!(
        group.error(),
        Ok(&TaskError::Error(GroupError::NoneCompleted))
    );
}

#[test]
fn done_count_and_the_mean_fraction_follow_the_members() {
    let (a, b, c, d) = (detached(), detached(), detached(), detached());
    let a_progress = Observable::new(0.0);
    let b_progress = Observable::new(0.0);
    let fraction_of = |source: &Observable<f64>| {
        let read = source.clone();
        Derived::new(&[source], move || read.get())
    };
    let group = when_all([
        Member::from(&a).with_fraction(fraction_of(&a_progress)),
        Member::from(&b).with_fraction(fraction_of(&b_progress)),
        Member::from(&c),
        Member::from(&d),
    ]);
    let fractions = Rc::new(RefCell::new(Vec::new()));
    let _log = group.fraction().observe({
        let fractions = fractions.clone();
        move |_, new| fractions.borrow_mut().push(*new)
    });
    let counts = Rc::new(RefCell::new(Vec::new()));
    let _count = group.done_count().observe({
        let counts = counts.clone();
        move |_, new| counts.borrow_mut().push(*new)
    });
    assert_eq!(group.fraction().get(), 0.0);
    a_progress.set(0.5);
    b_progress.set(2.0); // clamped to 1.0
    assert_eq!(group.fraction().get(), (0.5 + 1.0) / 4.0);
    complete(&c, 3);
    assert_eq!(group.fraction().get(), (0.5 + 1.0 + 1.0) / 4.0);
    complete(&a, 1); // done counts 1.0, whatever it reported
    assert_eq!(group.fraction().get(), 3.0 / 4.0);
    complete(&b, 2);
    complete(&d, 4);
    assert_eq!(group.fraction().get(), 1.0);
    assert_eq!(*counts.borrow(), [1, 2, 3, 4]);
    // Each change once (b's completion changes nothing: it already counted 1.0).
    assert_eq!(*fractions.borrow(), [0.125, 0.375, 0.625, 0.75, 1.0]);
    assert_eq!(group.state().get(), FutureState::Completed);
}

#[test]
fn empty_groups_and_members_already_done_decide_at_once() {
    let none: [Detached; 0] = [];
    assert_eq!(when_all(&none).state().get(), FutureState::Completed);
    assert_eq!(
        when_any(&none, Losers::Keep).error(),
        Ok(&TaskError::Error(GroupError::NoneCompleted))
    );
    assert_eq!(when_all(&none).fraction().get(), 1.0);

    let (done, failed, waiting) = (detached(), detached(), detached());
    complete(&done, 1);
    fail(&failed);
    let all = when_all([&done, &waiting]);
    assert_eq!(all.state().get(), FutureState::Executing);
    assert_eq!(all.done_count().get(), 1);
    let any = when_any([&failed, &done], Losers::Keep);
    assert_eq!(any.result(), Ok(&1));
    let all_with_failure = when_all([&waiting, &failed]);
    assert_eq!(
        all_with_failure.error(),
        Ok(&TaskError::Error(GroupError::MemberFailed { index: 1 }))
    );
    assert_eq!(waiting.cancel_reason(), Some(CancelReason::Group));
}

#[test]
fn a_group_of_groups_cancels_down_to_every_leaf() {
    let (a, b, c) = (detached(), detached(), detached());
    let inner = when_all([&a, &b]);
    let outer = when_any([Member::from(&inner), Member::from(&c)], Losers::Keep);
    outer.cancel();
    assert_eq!(
        states(&[&a, &b, &c]),
        [FutureState::Cancelling; 3],
        "every leaf cancelled at once"
    );
    assert_eq!(inner.cancel_reason(), Some(CancelReason::Group));
    for leaf in [&a, &b, &c] {
        acknowledge(leaf);
    }
    assert_eq!(inner.state().get(), FutureState::Cancelled);
    assert_eq!(outer.state().get(), FutureState::Cancelled);
}

#[test]
fn a_group_given_a_deadline_is_cancelled_with_the_deadline_reason(
) -> Result<(), Box<dyn std::error::Error>> {
    let executor = TraitsExecutor::new();
    let endless = |executor: &TraitsExecutor| {
        submit_progress(executor, |reporter: &ProgressReporter<'_, ()>| {
            while !reporter.cancelled() {
                std::thread::sleep(Duration::from_millis(1));
            }
            Ok(())
        })
    };
    let (first, second) = (endless(&executor)?, endless(&executor)?);
    let group = when_all([&first, &second]).with_timeout(&executor, Duration::from_millis(50));
    executor.run_until(|| group.done().get(), Some(Duration::from_secs(10)))?;
    assert_eq!(group.state().get(), FutureState::Cancelled);
    assert_eq!(group.cancel_reason(), Some(CancelReason::Deadline));
    assert_eq!(
        first.state().get(),
        FutureState::Cancelled,
        "members ended first"
    );
    assert_eq!(first.cancel_reason(), Some(CancelReason::Group));
    assert_eq!(second.cancel_reason(), Some(CancelReason::Group));
    executor.shutdown(Some(TEST_TIMEOUT))?;
    Ok(())
}

#[test]
fn a_dropped_group_leaves_its_members_alone() {
    let (a, b) = (detached(), detached());
    let group = when_all([&a, &b]);
    drop(group);
    complete(&a, 1);
    fail(&b);
    assert_eq!(
        states(&[&a, &b]),
        [FutureState::Completed, FutureState::Failed]
    );
}
