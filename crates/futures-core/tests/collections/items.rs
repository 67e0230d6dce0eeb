//! An iteration future collects its items into an observable list (`items_vec`).

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::mpsc;

use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::traits_core::VecChange;
use traits_futures::{
    submit_generator, submit_iteration, FutureState, IterationFuture, TraitsExecutor,
};

#[test]
fn items_vec_receives_every_item_in_order_one_push_each() {
    let executor = TraitsExecutor::new();
    let future = submit_iteration(&executor, || 0..1000).unwrap();
    let rows = future.items_vec();
    let changes = Rc::new(RefCell::new(Vec::new()));
    let _guard = rows.observe({
        let changes = changes.clone();
        move |change: &VecChange<i32>| changes.borrow_mut().push(change.clone())
    });
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), FutureState::Completed);
    assert_eq!(rows.to_vec(), (0..1000).collect::<Vec<_>>());
    let expected: Vec<_> = (0..1000)
        .map(|n| VecChange::Splice {
            index: n as usize,
            removed: vec![],
            added: vec![n],
        })
        .collect();
    assert_eq!(*changes.borrow(), expected);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn items_vec_is_one_list_however_often_it_is_asked_for() {
    let executor = TraitsExecutor::new();
    let future: IterationFuture<&str> = submit_iteration(&executor, || ["a", "b"]).unwrap();
    let first = future.items_vec();
    let second = future.items_vec();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(first.to_vec(), ["a", "b"]);
    assert_eq!(second.to_vec(), ["a", "b"]);
    // One list: a change through one handle shows through the other.
    first.clear();
    assert!(second.is_empty());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn items_vec_keeps_what_arrived_before_a_cancel_and_nothing_after() {
    let executor = TraitsExecutor::new();
    let (release, wait) = mpsc::channel::<()>();
    let future = submit_generator(&executor, move |items| {
        items.send(1)?;
        items.send(2)?;
        // Holds until the main thread has seen two items and cancelled.
        let _ = wait.recv_timeout(TEST_TIMEOUT);
        items.send(3)?;
        Ok(())
    })
    .unwrap();
    let rows = future.items_vec();
    executor
        .run_until(|| rows.len() == 2, Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    release.send(()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), FutureState::Cancelled);
    assert_eq!(rows.to_vec(), [1, 2]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
