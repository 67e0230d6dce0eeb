//! Running the event loop from inside an observer (a nested loop): GUI code does this, for
//! example to shut down when the last future finishes. Nested loops must reach every pending
//! message, the current future's included, and deliver them in order.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_generator, ExecutorState, FutureState, TaskCancelled, TraitsExecutor,
};

#[test]
fn a_nested_loop_reaches_the_later_items_of_the_future_being_dispatched() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (all_sent, sent) = mpsc::channel();
    let future = submit_generator(&executor, move |items| {
        for n in 0..10u32 {
            items.send(n)?;
        }
        all_sent.send(()).unwrap();
        Ok::<_, TaskCancelled>(())
    })
    .unwrap();
    let items = Rc::new(Recorder::event(future.items()));
    let nested = Rc::new(RefCell::new(None));
    let _nest = future.items().observe({
        let (executor, future, nested) = (executor.clone(), future.clone(), nested.clone());
        move |n| {
            if *n == 2 {
                // Items 3.. and the result are in the same batch as this item: the nested loop
                // must dispatch them. (Items fired during this notification of `items` reach its
                // observers after it, in order: the event queues re-entrant fires.)
                let outcome = executor.run_until(|| future.done().get(), Some(TEST_TIMEOUT));
                *nested.borrow_mut() = Some(outcome);
            }
        }
    });
    sent.recv_timeout(TEST_TIMEOUT).unwrap(); // the whole batch is queued before dispatch
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(*nested.borrow(), Some(Ok(())));
    assert_eq!(items.values(), (0..10).collect::<Vec<_>>());
    assert_eq!(future.state().get(), FutureState::Completed);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn shutdown_from_the_done_observer_of_the_last_future_completes() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let future = submit_call(&executor, || 42).unwrap();
    let outcome = Rc::new(RefCell::new(None));
    let _quit = future.done().observe({
        let (executor, outcome) = (executor.clone(), outcome.clone());
        move |_, done| {
            if *done {
                *outcome.borrow_mut() = Some(executor.shutdown(Some(TEST_TIMEOUT)));
            }
        }
    });
    let states = Recorder::observable(executor.state());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(*outcome.borrow(), Some(Ok(())));
    assert_eq!(future.result(), Ok(&42));
    assert_eq!(
        states.values(),
        [
            ExecutorState::Running,
            ExecutorState::Stopping,
            ExecutorState::Stopped
        ]
    );
}

#[test]
fn waiting_for_another_future_from_an_observer_works() {
    let executor = TraitsExecutor::builder().max_workers(2).build().unwrap();
    let (release, gate) = mpsc::channel::<()>();
    let second = submit_call(&executor, move || gate.recv().unwrap()).unwrap();
    let first = submit_call(&executor, || 1).unwrap();
    let waited = Rc::new(RefCell::new(None));
    let _wait = first.done().observe({
        let (executor, second, waited) = (executor.clone(), second.clone(), waited.clone());
        move |_, done| {
            if *done {
                release.send(()).unwrap();
                *waited.borrow_mut() =
                    Some(executor.run_until(|| second.done().get(), Some(TEST_TIMEOUT)));
            }
        }
    });
    executor
        .run_until(|| first.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(*waited.borrow(), Some(Ok(())));
    assert_eq!(second.state().get(), FutureState::Completed);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
