//! The executor's live futures as an observable list: entries appear on submit and leave when
//! their futures end (completed, failed, cancelled).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;

use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::traits_core::VecChange;
use traits_futures::{
    submit_call, submit_progress, submit_steps, submit_try_call, FutureState, LiveFuture,
    TraitsExecutor,
};

/// What a panel sees: `+id` when an entry is added, `-id` when one is removed.
fn panel(
    live: &traits_futures::traits_core::ObservableVec<LiveFuture>,
) -> (Rc<RefCell<Vec<String>>>, impl Drop) {
    let log = Rc::new(RefCell::new(Vec::new()));
    let guard = live.observe({
        let log = log.clone();
        move |change: &VecChange<LiveFuture>| {
            let VecChange::Splice { removed, added, .. } = change else {
                panic!("the executor never moves entries");
            };
            let mut log = log.borrow_mut();
            log.extend(removed.iter().map(|entry| format!("-{}", entry.id())));
            log.extend(added.iter().map(|entry| format!("+{}", entry.id())));
        }
    });
    (log, guard)
}

fn ids(live: &traits_futures::traits_core::ObservableVec<LiveFuture>) -> Vec<u64> {
    live.with(|entries| entries.iter().map(LiveFuture::id).collect())
}

#[test]
fn entries_are_added_on_submit_and_removed_when_completed_failed_or_cancelled() {
    let executor = TraitsExecutor::new();
    let live = executor.live_futures();
    let (log, _guard) = panel(&live);
    let (release, gate) = mpsc::channel::<()>();
    let completes = submit_call(&executor, || 1).unwrap();
    let fails = submit_try_call(&executor, || Err::<u32, _>("no")).unwrap();
    let cancelled =
        submit_call(&executor, move || gate.recv_timeout(TEST_TIMEOUT).is_ok()).unwrap();
    assert_eq!(ids(&live), [0, 1, 2]);
    assert!(live.get(0).unwrap().is(&completes));
    assert!(live.get(1).unwrap().is(&fails));
    assert!(live.get(2).unwrap().is(&cancelled));

    executor
        .run_until(
            || completes.done().get() && fails.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(completes.state().get(), FutureState::Completed);
    assert_eq!(fails.state().get(), FutureState::Failed);
    assert_eq!(ids(&live), [2]);

    // Cancelled through its entry: it stays listed while Cancelling, and leaves when Cancelled.
    assert!(live.get(0).unwrap().cancel());
    assert_eq!(cancelled.state().get(), FutureState::Cancelling);
    assert_eq!(ids(&live), [2]);
    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(|| cancelled.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(cancelled.state().get(), FutureState::Cancelled);
    assert!(live.is_empty());

    let mut seen = log.borrow().clone();
    // The first two may finish in either order.
    seen[3..5].sort();
    assert_eq!(seen, ["+0", "+1", "+2", "-0", "-1", "-2"]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn an_entry_leaves_inside_the_dispatch_that_ends_its_future() {
    let executor = TraitsExecutor::new();
    let live = executor.live_futures();
    let future = submit_call(&executor, || ()).unwrap();
    let listed_when_done = Rc::new(RefCell::new(None));
    let _done = future.done().observe({
        let (live, listed) = (live.clone(), listed_when_done.clone());
        move |_, _| *listed.borrow_mut() = Some(live.len())
    });
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    // The list's own observer of `done` was registered first: by the time the user's runs,
    // the entry is gone.
    assert_eq!(*listed_when_done.borrow(), Some(0));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn futures_running_before_the_first_call_are_listed_and_the_list_is_one() {
    let executor = TraitsExecutor::new();
    let (release, gate) = mpsc::channel::<()>();
    let early = submit_call(&executor, move || gate.recv_timeout(TEST_TIMEOUT).is_ok()).unwrap();
    let live = executor.live_futures();
    let late = submit_call(&executor, || ()).unwrap();
    assert_eq!(live.len(), 2);
    assert!(live.get(0).unwrap().is(&early));
    assert!(live.get(1).unwrap().is(&late));
    // Every call hands out the same list.
    assert_eq!(executor.live_futures().len(), 2);
    release.send(()).unwrap();
    executor
        .run_until(
            || early.done().get() && late.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert!(live.is_empty());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_stop_empties_the_list_as_the_cancelled_futures_end() {
    let executor = TraitsExecutor::new();
    let live = executor.live_futures();
    let (release, gate) = mpsc::channel::<()>();
    let running = submit_call(&executor, move || gate.recv_timeout(TEST_TIMEOUT).is_ok()).unwrap();
    let other = submit_call(&executor, || ()).unwrap();
    executor.stop().unwrap();
    // Cancelled, not yet ended: still listed.
    assert_eq!(running.state().get(), FutureState::Cancelling);
    assert_eq!(live.len(), 2);
    // If no worker had taken the task yet, the stop abandoned it and dropped the gate.
    let _ = release.send(());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert!(running.done().get() && other.done().get());
    assert!(live.is_empty());
}

#[test]
fn entries_show_progress_of_task_types_that_report_it() {
    let executor = TraitsExecutor::new();
    let live = executor.live_futures();
    let call = submit_call(&executor, || ()).unwrap();
    let fraction = submit_progress(&executor, |reporter| {
        reporter.report(0.25_f64)?;
        reporter.report(0.75_f64)?;
        Ok(())
    })
    .unwrap();
    let counted = submit_progress(&executor, |reporter| {
        reporter.report((1_u64, 4_u64))?;
        Ok(())
    })
    .unwrap();
    let named = submit_progress(&executor, |reporter| {
        reporter.report("halfway".to_string())?;
        Ok(())
    })
    .unwrap();
    let steps = submit_steps(&executor, |steps| {
        steps.start(Some(4), "copying")?;
        steps.step("one")?;
        steps.step("two")
    })
    .unwrap();
    let entries = live.to_vec();
    assert!(entries[0].progress().is_none());
    let fraction_progress = entries[1].progress().cloned().unwrap();
    let counted_progress = entries[2].progress().cloned().unwrap();
    assert!(entries[3].progress().is_none());
    let steps_progress = entries[4].progress().cloned().unwrap();
    assert_eq!(fraction_progress.get(), None);
    let seen = Rc::new(RefCell::new(Vec::new()));
    let _seen = fraction_progress.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(*new)
    });
    executor
        .run_until(
            || {
                [
                    call.done(),
                    fraction.done(),
                    counted.done(),
                    named.done(),
                    steps.done(),
                ]
                .iter()
                .all(|done| done.get())
            },
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(*seen.borrow(), [Some(0.25), Some(0.75)]);
    assert_eq!(counted_progress.get(), Some(0.25));
    assert_eq!(steps_progress.get(), Some(0.5));
    assert!(live.is_empty());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_list_made_after_every_future_ended_is_empty_and_fills_from_then_on() {
    let executor = TraitsExecutor::new();
    let future = submit_call(&executor, || ()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    let live = executor.live_futures();
    assert!(live.is_empty());
    let next = submit_call(&executor, || ()).unwrap();
    assert!(live.get(0).unwrap().is(&next));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
