//! A future's `state`, `cancellable` and `done` as read-only properties: what they add to the
//! state machine's contract (section A): signals, derived properties, guards and lifetimes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::task::{Context, Poll};

use futures::task::noop_waker;
use futures::{Stream, StreamExt};
use futures_signals::signal::SignalExt;
use traits_core::{Dependency, Derived};
use traits_futures::{CallFuture, FutureState, TaskMessage};

fn call_future() -> CallFuture<u32> {
    CallFuture::detached(Default::default(), || {})
}

/// Polls `stream` once without blocking.
fn poll_once<S: Stream + Unpin>(stream: &mut S) -> Poll<Option<S::Item>> {
    let waker = noop_waker();
    stream.poll_next_unpin(&mut Context::from_waker(&waker))
}

#[test]
fn a03_done_signal_yields_only_changes_of_done() {
    let future = call_future();
    let mut done = future.done().signal().to_stream();
    assert_eq!(poll_once(&mut done), Poll::Ready(Some(false)));
    future.receive(TaskMessage::Started).unwrap();
    // The state changed, `done` did not: the signal has nothing new.
    assert_eq!(poll_once(&mut done), Poll::Pending);
    future.receive(TaskMessage::Returned(1)).unwrap();
    assert_eq!(poll_once(&mut done), Poll::Ready(Some(true)));
    assert_eq!(poll_once(&mut done), Poll::Pending);
}

#[test]
fn a05_cancellable_signal_flips_once_at_cancel() {
    let future = call_future();
    let mut cancellable = future.cancellable().signal().to_stream();
    let mut state = future.state().signal().to_stream();
    assert_eq!(poll_once(&mut cancellable), Poll::Ready(Some(true)));
    assert_eq!(
        poll_once(&mut state),
        Poll::Ready(Some(FutureState::Waiting))
    );
    future.receive(TaskMessage::Started).unwrap();
    assert!(future.cancel());
    future.receive(TaskMessage::Returned(1)).unwrap();
    assert_eq!(poll_once(&mut cancellable), Poll::Ready(Some(false)));
    assert_eq!(poll_once(&mut cancellable), Poll::Pending);
    // A signal is the latest-value view: it may skip intermediate states.
    assert_eq!(
        poll_once(&mut state),
        Poll::Ready(Some(FutureState::Cancelled))
    );
}

#[test]
fn a02_derived_properties_of_a_future_agree_with_it_in_observers() {
    let future = call_future();
    let label = future.state().map(|state| format!("task {state}"));
    let done = future.done();
    let finished = Derived::new(&[&done as &dyn Dependency], {
        let done = done.clone();
        move || done.get()
    });
    let seen = Rc::new(RefCell::new(Vec::new()));
    let _guard = label.observe({
        let (seen, finished) = (seen.clone(), finished.clone());
        move |_, new| {
            seen.borrow_mut()
                .push(format!("{new}, finished: {}", finished.get()))
        }
    });
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Returned(7)).unwrap();
    assert_eq!(
        *seen.borrow(),
        [
            "task Executing, finished: false",
            "task Completed, finished: true"
        ]
    );
}

#[test]
fn a03_dropping_the_guard_stops_the_observer_and_detach_keeps_it() {
    let future = call_future();
    let calls = Rc::new(Cell::new(0));
    let guard = future.state().observe({
        let calls = calls.clone();
        move |_, _| calls.set(calls.get() + 1)
    });
    let kept = Rc::new(Cell::new(0));
    future
        .done()
        .observe({
            let kept = kept.clone();
            move |_, _| kept.set(kept.get() + 1)
        })
        .detach();
    future.receive(TaskMessage::Started).unwrap();
    drop(guard);
    future.receive(TaskMessage::Returned(1)).unwrap();
    assert_eq!(
        calls.get(),
        1,
        "only the change before the guard was dropped"
    );
    assert_eq!(kept.get(), 1, "a detached observer stays");
}

#[test]
fn a13_a_property_keeps_its_future_alive_and_a_guard_may_outlive_it() {
    let future = call_future();
    let done = future.done();
    let guard = future.state().observe(|_, _| {});
    future.receive(TaskMessage::Started).unwrap();
    drop(future);
    // The property still reads the future's state.
    assert!(!done.get());
    drop(done);
    drop(guard); // the future is gone: dropping the guard does nothing
}

#[test]
fn a02_an_observer_may_cancel_from_a_state_observer_and_sees_changes_in_order() {
    let future = call_future();
    let seen = Rc::new(RefCell::new(Vec::new()));
    let _guard = future.state().observe({
        let (seen, future) = (seen.clone(), future.clone());
        move |old, new| {
            seen.borrow_mut().push((*old, *new));
            if *new == FutureState::Executing {
                future.cancel();
            }
        }
    });
    future.receive(TaskMessage::Started).unwrap();
    assert_eq!(
        *seen.borrow(),
        [
            (FutureState::Waiting, FutureState::Executing),
            (FutureState::Executing, FutureState::Cancelling),
        ]
    );
    assert!(!future.cancellable().get());
}
