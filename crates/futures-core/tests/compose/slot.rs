//! Issue 24, §3 and §4: the owning handle that cancels its task when dropped (`OwnedFuture`),
//! and the latest-wins slot (`TaskSlot`) with its observable current future.
//!
//! Synchronisation with workers uses channels only: a worker that must wait blocks on an `mpsc`
//! receive the test controls. No test sleeps.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use futures::FutureExt;
use futures::StreamExt;
use futures_signals::signal::SignalExt;
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_generator, submit_progress, CallFuture, CallHandler, FutureState,
    IterationFuture, ProgressHandler, SubmitError, TaskCancelled, TaskSlot, TraitsExecutor,
};

use FutureState::{Cancelled, Cancelling, Completed, Waiting};

/// An executor whose only worker is busy until the returned sender sends (or is dropped).
/// Returns once the blocking call is known to be running.
fn busy_single_worker_executor() -> (TraitsExecutor, CallFuture<()>, mpsc::Sender<()>) {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (started_tx, started) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let blocker = submit_call(&executor, move || {
        started_tx.send(()).unwrap();
        let _ = gate.recv();
    })
    .unwrap();
    started
        .recv_timeout(TEST_TIMEOUT)
        .expect("the blocking call started");
    (executor, blocker, release)
}

/// Submits a call that sets `ran` if a worker ever runs its closure.
fn flagged_call(executor: &TraitsExecutor, ran: &Arc<AtomicBool>) -> CallFuture<()> {
    let ran = ran.clone();
    submit_call(executor, move || ran.store(true, Ordering::SeqCst)).unwrap()
}

/// A generator that sends 1, 2, 3 at once, says so, then waits for `gate` before it ends.
fn three_items_then_wait(
    executor: &TraitsExecutor,
) -> (
    IterationFuture<u32, (), TaskCancelled>,
    mpsc::Receiver<()>,
    mpsc::Sender<()>,
) {
    let (sent_tx, sent) = mpsc::channel();
    let (release, gate) = mpsc::channel::<()>();
    let future = submit_generator(executor, move |items| {
        for n in 1..=3 {
            items.send(n)?;
        }
        sent_tx.send(()).unwrap();
        let _ = gate.recv();
        Ok::<_, TaskCancelled>(())
    })
    .unwrap();
    (future, sent, release)
}

fn record_items(
    future: &IterationFuture<u32, (), TaskCancelled>,
) -> (Rc<RefCell<Vec<u32>>>, traits_core::ObserverGuard) {
    let received = Rc::new(RefCell::new(Vec::new()));
    let guard = future.items().observe({
        let received = received.clone();
        move |n| received.borrow_mut().push(*n)
    });
    (received, guard)
}

// ---- §3: cancel when the owner goes ----

#[test]
fn a_dropped_owning_handle_cancels_a_task_blocked_behind_busy_workers_and_its_closure_never_runs() {
    let (executor, blocker, release) = busy_single_worker_executor();
    let ran = Arc::new(AtomicBool::new(false));
    let owned = flagged_call(&executor, &ran).cancel_on_drop();
    let watcher = owned.future().clone();
    assert_eq!(owned.state().get(), Waiting);

    drop(owned);
    assert_eq!(
        watcher.state().get(),
        Cancelling,
        "the drop cancels at once"
    );

    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(
            || watcher.done().get() && blocker.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(watcher.state().get(), Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert!(
        !ran.load(Ordering::SeqCst),
        "the cancelled task's closure never ran"
    );
}

#[test]
fn a_dropped_owning_handle_cancels_even_when_it_was_the_only_handle() {
    let (executor, _blocker, release) = busy_single_worker_executor();
    let ran = Arc::new(AtomicBool::new(false));
    drop(flagged_call(&executor, &ran).cancel_on_drop());
    // Queued behind the dropped task on the one worker: when it is done, the dropped task has
    // had its turn.
    let marker = submit_call(&executor, || ()).unwrap();

    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(|| marker.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(marker.state().get(), Completed);
    assert!(
        !ran.load(Ordering::SeqCst),
        "the cancelled task's closure never ran"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn dropping_an_owning_handle_after_the_future_is_done_changes_nothing() {
    let executor = TraitsExecutor::new();
    let owned = submit_call(&executor, || 7).unwrap().cancel_on_drop();
    executor
        .run_until(|| owned.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    let watcher = owned.future().clone();
    let changes = Rc::new(RefCell::new(Vec::new()));
    let _guard = watcher.state().observe({
        let changes = changes.clone();
        move |old, new| changes.borrow_mut().push((*old, *new))
    });

    drop(owned);
    assert_eq!(watcher.state().get(), Completed);
    assert_eq!(watcher.result(), Ok(&7));
    assert!(
        changes.borrow().is_empty(),
        "no state change: {:?}",
        changes.borrow()
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_detached_owning_handle_lets_its_task_run_to_completion() {
    let (executor, _blocker, release) = busy_single_worker_executor();
    let ran = Arc::new(AtomicBool::new(false));
    let owned = flagged_call(&executor, &ran).cancel_on_drop();
    let watcher = owned.future().clone();

    drop(owned.detach());
    assert_eq!(watcher.state().get(), Waiting, "detaching does not cancel");

    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(|| watcher.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(watcher.state().get(), Completed);
    assert!(ran.load(Ordering::SeqCst));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn nothing_is_delivered_after_an_owning_handle_is_dropped() {
    let executor = TraitsExecutor::new();
    let (future, sent, release) = three_items_then_wait(&executor);
    let (received, _guard) = record_items(&future);
    let owned = future.clone().cancel_on_drop();
    sent.recv_timeout(TEST_TIMEOUT).unwrap();
    // `run_until` checks after every message: items 2 and 3 are still queued when it returns.
    executor
        .run_until(|| received.borrow().len() == 1, Some(TEST_TIMEOUT))
        .unwrap();

    drop(owned);
    release.send(()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(*received.borrow(), [1]);
    assert_eq!(future.state().get(), Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn an_observer_panicking_in_the_cancel_of_a_drop_during_unwinding_does_not_abort() {
    let future: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    let _guard = future.state().observe(|_, new| {
        if *new == Cancelling {
            panic!("observer panic");
        }
    });
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
        let _owned = future.clone().cancel_on_drop();
        panic!("first panic");
    }));
    let payload = outcome.expect_err("the first panic propagates");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"first panic"));
    assert_eq!(future.state().get(), Cancelling, "the drop still cancelled");
}

// ---- §4: latest wins ----

#[test]
fn a_slot_replaced_1000_times_in_a_burst_ends_with_999_cancelled_and_one_completed() {
    let executor = TraitsExecutor::new();
    let slot = TaskSlot::new();
    let futures: Vec<CallFuture<usize>> = (0..1000)
        .map(|i| slot.submit(|| submit_call(&executor, move || i)).unwrap())
        .collect();
    executor
        .run_until(
            || futures.iter().all(|f| f.done().get()),
            Some(TEST_TIMEOUT),
        )
        .unwrap();

    let count = |state| futures.iter().filter(|f| f.state().get() == state).count();
    assert_eq!(count(Cancelled), 999);
    assert_eq!(count(Completed), 1);
    let last = futures.last().unwrap();
    assert_eq!(last.state().get(), Completed, "the latest wins");
    assert_eq!(last.result(), Ok(&999));
    assert!(slot.get().unwrap().ptr_eq(last));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn nothing_is_delivered_to_a_replaced_future_after_the_replacing_submit() {
    let executor = TraitsExecutor::new();
    let slot = TaskSlot::new();
    let (first, sent, release) = three_items_then_wait(&executor);
    let (received, _guard) = record_items(&first);
    slot.set(first.clone());
    sent.recv_timeout(TEST_TIMEOUT).unwrap();
    // `run_until` checks after every message: items 2 and 3 are still queued when it returns.
    executor
        .run_until(|| received.borrow().len() == 1, Some(TEST_TIMEOUT))
        .unwrap();

    let second = slot
        .submit(|| {
            submit_generator(&executor, |items| {
                items.send(10)?;
                Ok::<_, TaskCancelled>(())
            })
        })
        .unwrap();
    let (received_by_second, _guard2) = record_items(&second);
    release.send(()).unwrap();
    executor
        .run_until(
            || first.done().get() && second.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(
        *received.borrow(),
        [1],
        "nothing after the replacing submit"
    );
    assert_eq!(*received_by_second.borrow(), [10]);
    assert_eq!(
        (first.state().get(), second.state().get()),
        (Cancelled, Completed)
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn dropping_a_slot_cancels_its_current_task() {
    let (executor, _blocker, release) = busy_single_worker_executor();
    let ran = Arc::new(AtomicBool::new(false));
    let slot = TaskSlot::new();
    let future = slot
        .submit(|| Ok::<_, SubmitError>(flagged_call(&executor, &ran)))
        .unwrap();

    drop(slot);
    assert_eq!(future.state().get(), Cancelling);
    release.send(()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert!(!ran.load(Ordering::SeqCst), "the slot's task never ran");
}

#[test]
fn a_detached_slot_leaves_its_task_running_to_completion() {
    let (executor, _blocker, release) = busy_single_worker_executor();
    let ran = Arc::new(AtomicBool::new(false));
    let slot = TaskSlot::new();
    slot.set(flagged_call(&executor, &ran));

    let future = slot.detach().expect("the slot held a future");
    release.send(()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Completed);
    assert!(ran.load(Ordering::SeqCst));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn clearing_a_slot_cancels_its_task_and_empties_it() {
    let (executor, _blocker, release) = busy_single_worker_executor();
    let ran = Arc::new(AtomicBool::new(false));
    let slot = TaskSlot::new();
    let future = slot
        .submit(|| Ok::<_, SubmitError>(flagged_call(&executor, &ran)))
        .unwrap();

    slot.clear();
    assert!(slot.get().is_none());
    assert_eq!(future.state().get(), Cancelling);
    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(future.state().get(), Cancelled);
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn taking_from_a_slot_empties_it_without_cancelling() {
    let executor = TraitsExecutor::new();
    let slot = TaskSlot::new();
    slot.submit(|| submit_call(&executor, || 5)).unwrap();

    let taken = slot.take().expect("the slot held a future");
    assert!(slot.get().is_none());
    drop(slot); // nothing left to cancel
    executor
        .run_until(|| taken.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(taken.result(), Ok(&5));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn cancelling_a_slot_keeps_its_future_and_cancels_it() {
    let (executor, _blocker, release) = busy_single_worker_executor();
    let ran = Arc::new(AtomicBool::new(false));
    let slot = TaskSlot::new();
    assert!(!slot.cancel(), "an empty slot has nothing to cancel");
    let future = slot
        .submit(|| Ok::<_, SubmitError>(flagged_call(&executor, &ran)))
        .unwrap();

    assert!(slot.cancel());
    assert!(!slot.cancel(), "already cancelled");
    assert!(slot.get().unwrap().ptr_eq(&future));
    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(future.state().get(), Cancelled);
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn a_refused_submit_returns_the_error_and_keeps_the_cancelled_previous_future() {
    let (executor, _blocker, release) = busy_single_worker_executor();
    let slot = TaskSlot::new();
    let first = slot.submit(|| submit_call(&executor, || ())).unwrap();
    release.send(()).unwrap();
    executor.stop().unwrap();

    let refused = slot.submit(|| submit_call(&executor, || ()));
    assert!(matches!(refused, Err(SubmitError::NotRunning(_))));
    assert!(slot.get().unwrap().ptr_eq(&first));
    assert!(!first.cancellable().get());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_submit_nested_in_a_submit_closure_leaves_one_live_task() {
    let (executor, _blocker, release) = busy_single_worker_executor();
    let slot: TaskSlot<CallHandler<u8>> = TaskSlot::new();
    let inner = RefCell::new(None);
    let outer = slot
        .submit(|| {
            *inner.borrow_mut() = Some(slot.submit(|| submit_call(&executor, || 1)).unwrap());
            submit_call(&executor, || 2)
        })
        .unwrap();
    let inner = inner.into_inner().unwrap();

    assert!(slot.get().unwrap().ptr_eq(&outer));
    assert_eq!(
        inner.state().get(),
        Cancelling,
        "the replaced inner future is cancelled"
    );
    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(
            || outer.done().get() && inner.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!((inner.state().get(), outer.result()), (Cancelled, Ok(&2)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn current_observers_see_each_new_future_after_the_old_one_is_cancelled() {
    let (executor, _blocker, release) = busy_single_worker_executor();
    let slot = TaskSlot::new();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let _guard = slot.current().observe({
        let seen = seen.clone();
        move |old: Option<&CallFuture<u8>>, new: Option<&CallFuture<u8>>| {
            let state = |f: Option<&CallFuture<u8>>| f.map(|f| f.state().get());
            seen.borrow_mut().push((state(old), state(new)));
        }
    });
    slot.submit(|| submit_call(&executor, || 1)).unwrap();
    slot.submit(|| submit_call(&executor, || 2)).unwrap();
    slot.clear();

    assert_eq!(
        *seen.borrow(),
        [
            (None, Some(Waiting)),
            (Some(Cancelling), Some(Waiting)),
            (Some(Cancelling), None),
        ]
    );
    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn an_observer_panicking_at_the_cancel_of_a_replace_still_leaves_the_new_future_held() {
    let slot = TaskSlot::new();
    let old: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    let new: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    slot.set(old.clone());
    let _guard = old.state().observe(|_, _| panic!("observer panic"));

    let outcome = panic::catch_unwind(AssertUnwindSafe(|| slot.set(new.clone())));
    assert!(outcome.is_err(), "the observer's panic resumes out of set");
    assert_eq!(old.state().get(), Cancelling);
    assert!(slot.get().unwrap().ptr_eq(&new), "the new future is held");
}

#[test]
fn the_slot_state_signal_follows_whichever_future_is_current() {
    let (executor, _blocker, release) = busy_single_worker_executor();
    let slot = TaskSlot::new();
    let mut state = slot.state().to_stream();
    let mut next = || {
        state
            .next()
            .now_or_never()
            .map(|item| item.expect("the signal goes on"))
    };
    assert_eq!(next(), Some(None), "empty");
    assert_eq!(next(), None, "no change yet");

    let first = slot.submit(|| submit_call(&executor, || 1)).unwrap();
    assert_eq!(next(), Some(Some(Waiting)));
    slot.cancel();
    assert_eq!(next(), Some(Some(Cancelling)));

    let second = slot.submit(|| submit_call(&executor, || 2)).unwrap();
    assert_eq!(next(), Some(Some(Waiting)), "the second future's state");
    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(
            || first.done().get() && second.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(
        next(),
        Some(Some(Completed)),
        "the second future's, not the first's"
    );
    slot.clear();
    assert_eq!(next(), Some(None));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn map_signal_follows_the_progress_of_the_current_future_only() {
    let executor = TraitsExecutor::new();
    let slot: TaskSlot<ProgressHandler<u32, ()>> = TaskSlot::new();
    let mut progress = slot.map_signal(|f| f.progress().signal()).to_stream();
    let mut next = || {
        progress
            .next()
            .now_or_never()
            .map(|item| item.expect("the signal goes on"))
    };
    assert_eq!(next(), Some(None));

    let (release, gate) = mpsc::channel::<()>();
    let first = slot
        .submit(|| {
            submit_progress(&executor, move |reporter| {
                reporter.report(10_u32)?;
                let _ = gate.recv();
                reporter.report(20)?;
                Ok(())
            })
        })
        .unwrap();
    executor
        .run_until(|| first.progress().get() == Some(10), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(next(), Some(Some(Some(10))));

    let second = slot
        .submit(|| {
            submit_progress(&executor, |reporter| {
                reporter.report(1_u32)?;
                Ok(())
            })
        })
        .unwrap();
    release.send(()).unwrap();
    executor
        .run_until(
            || first.done().get() && second.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(next(), Some(Some(Some(1))), "the second future's report");
    assert_eq!(
        next(),
        None,
        "nothing more: the first future's 20 was never delivered"
    );
    assert_eq!(first.progress().get(), Some(10));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_slot_current_view_is_a_dependency_of_derived_properties() {
    let slot = TaskSlot::new();
    let current = slot.current();
    let label = traits_core::Derived::new(&[&current as &dyn traits_core::Dependency], {
        let current = current.clone();
        move || current.get().map(|f: CallFuture<()>| f.state().get())
    });
    let recomputed = Rc::new(AtomicUsize::new(0));
    let _guard = label.observe({
        let recomputed = recomputed.clone();
        move |_, _| {
            recomputed.fetch_add(1, Ordering::SeqCst);
        }
    });
    assert_eq!(label.get(), None);
    slot.set(CallFuture::detached(Default::default(), || {}));
    assert_eq!(label.get(), Some(Waiting));
    assert_eq!(recomputed.load(Ordering::SeqCst), 1);
}
