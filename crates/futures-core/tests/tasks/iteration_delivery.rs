//! Background iteration, what arrives: items in order and once each, any iterator, failures
//! before or partway, items moved rather than cloned, a generator's return value: behaviour.md
//! section C (c30–c33, c40, c41). Cancelling an iteration is in `iteration_cancel.rs`.
//!
//! Synchronisation with the worker uses channels only: a worker that must wait blocks on an
//! `mpsc` receive that the test controls, and tells the test where it is through another
//! channel. No test sleeps.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use traits_core::ObserverGuard;
use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_generator, submit_iteration, submit_try_generator, FutureProperty, FutureState,
    NotAvailable, TaskCancelled, TaskError, TraitsExecutor,
};

use FutureState::{Completed, Executing, Failed, Waiting};

/// How many items had arrived when the future entered `state` (`None` until then).
fn items_when<T: Clone + 'static>(
    states: FutureProperty<FutureState>,
    state: FutureState,
    items: &Rc<Recorder<T>>,
) -> (Rc<Cell<Option<usize>>>, ObserverGuard) {
    let count = Rc::new(Cell::new(None));
    let guard = states.observe({
        let count = Rc::clone(&count);
        let items = Rc::clone(items);
        move |_, new| {
            if *new == state {
                count.set(Some(items.len()));
            }
        }
    });
    (count, guard)
}

#[test]
fn c30_items_arrive_once_each_in_order_through_the_items_event() {
    let executor = TraitsExecutor::new();
    let future = submit_iteration(&executor, || 0..1000u32).unwrap();
    let items = Recorder::event(future.items());
    // A second, independent observer gets the same lossless sequence, and sees every item while
    // the future is Executing.
    let states_at_item = Rc::new(RefCell::new(Vec::new()));
    let _guard = future.items().observe({
        let future = future.clone();
        let states_at_item = Rc::clone(&states_at_item);
        move |item| {
            states_at_item
                .borrow_mut()
                .push((*item, future.state().get()))
        }
    });
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(items.values(), (0..1000).collect::<Vec<_>>());
    let expected: Vec<_> = (0..1000).map(|i| (i, Executing)).collect();
    assert_eq!(*states_at_item.borrow(), expected);
    assert_eq!(future.state().get(), Completed);
    assert_eq!(future.result(), Ok(&()));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c30_no_item_is_delivered_twice_or_after_the_future_is_done() {
    let executor = TraitsExecutor::new();
    let future = submit_iteration(&executor, || ["a", "b", "a", "c"]).unwrap();
    let items = Recorder::event(future.items());
    let items_after_done = Rc::new(Cell::new(0));
    let _guard = future.items().observe({
        let future = future.clone();
        let items_after_done = Rc::clone(&items_after_done);
        move |_| {
            if future.done().get() {
                items_after_done.set(items_after_done.get() + 1);
            }
        }
    });
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    // Equal items are still delivered once per yield.
    assert_eq!(items.values(), ["a", "b", "a", "c"]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(items.values(), ["a", "b", "a", "c"]);
    assert_eq!(items_after_done.get(), 0);
}

/// A hand-written iterator: counts down from `from` to 1.
struct Countdown {
    from: u32,
}

impl Iterator for Countdown {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        let current = self.from;
        if current == 0 {
            return None;
        }
        self.from -= 1;
        Some(current)
    }
}

#[test]
fn c31_any_iterator_is_accepted() {
    let executor = TraitsExecutor::new();
    let range = submit_iteration(&executor, || 0..4).unwrap();
    let mapped = submit_iteration(&executor, || (1..=4u64).map(|n| n * n)).unwrap();
    let hand_written = submit_iteration(&executor, || Countdown { from: 3 }).unwrap();
    let into_iter =
        submit_iteration(&executor, || vec![String::from("x"), String::from("y")]).unwrap();
    let range_items = Recorder::event(range.items());
    let mapped_items = Recorder::event(mapped.items());
    let hand_written_items = Recorder::event(hand_written.items());
    let into_iter_items = Recorder::event(into_iter.items());

    executor
        .run_until(
            || {
                range.done().get()
                    && mapped.done().get()
                    && hand_written.done().get()
                    && into_iter.done().get()
            },
            Some(TEST_TIMEOUT),
        )
        .unwrap();

    assert_eq!(range_items.values(), [0, 1, 2, 3]);
    assert_eq!(mapped_items.values(), [1, 4, 9, 16]);
    assert_eq!(hand_written_items.values(), [3, 2, 1]);
    assert_eq!(into_iter_items.values(), ["x", "y"]);
    for state in [
        range.state().get(),
        mapped.state().get(),
        hand_written.state().get(),
        into_iter.state().get(),
    ] {
        assert_eq!(state, Completed);
    }
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c32_factory_panics_then_executing_then_failed_with_no_items() {
    let executor = TraitsExecutor::new();
    let future = submit_iteration(&executor, || -> std::ops::Range<u32> {
        panic!("cannot open the input file")
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let items = Recorder::event(future.items());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    assert!(items.is_empty());
    assert_eq!(
        future.error().unwrap().panic_message(),
        Some("cannot open the input file")
    );
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Failed)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[derive(Debug, PartialEq)]
enum SetupError {
    NoSuchFile(String),
}

#[test]
fn c32_generator_setup_error_then_executing_then_failed_with_no_items() {
    let executor = TraitsExecutor::new();
    let future = submit_try_generator(&executor, |_items| -> Result<(), SetupError> {
        Err(SetupError::NoSuchFile("data.csv".into()))
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let items: Recorder<u32> = Recorder::event(future.items());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    assert!(items.is_empty());
    assert_eq!(
        future.error(),
        Ok(&TaskError::Error(SetupError::NoSuchFile("data.csv".into())))
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c33_failure_partway_delivers_earlier_items_then_failed() {
    let executor = TraitsExecutor::new();
    let future = submit_iteration(&executor, || {
        (0..10u32).inspect(|&i| {
            if i == 3 {
                panic!("record 3 is corrupt");
            }
        })
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let items = Rc::new(Recorder::event(future.items()));
    let (items_at_failure, _guard) = items_when(future.state(), Failed, &items);
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(items.values(), [0, 1, 2]);
    assert_eq!(items_at_failure.get(), Some(3));
    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    assert_eq!(
        future.error().unwrap().panic_message(),
        Some("record 3 is corrupt")
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c33_generator_error_partway_delivers_earlier_items_then_failed() {
    let executor = TraitsExecutor::new();
    let future = submit_try_generator(&executor, |items| -> Result<(), String> {
        for i in 0..3u32 {
            items.send(i).map_err(|e| e.to_string())?;
        }
        Err("record 3 is corrupt".to_string())
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let items = Recorder::event(future.items());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(items.values(), [0, 1, 2]);
    assert_eq!(states.values(), [Waiting, Executing, Failed]);
    assert_eq!(
        future.error(),
        Ok(&TaskError::Error("record 3 is corrupt".to_string()))
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// An item type that is deliberately not `Clone`; counts its live instances.
struct Unique {
    id: u32,
    live: Arc<AtomicUsize>,
}

impl Unique {
    fn new(id: u32, live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Unique {
            id,
            live: Arc::clone(live),
        }
    }
}

impl Drop for Unique {
    fn drop(&mut self) {
        self.live.fetch_sub(1, Ordering::SeqCst);
    }
}

#[test]
fn c40_items_are_moved_not_cloned_and_no_copy_is_kept() {
    let executor = TraitsExecutor::new();
    let live = Arc::new(AtomicUsize::new(0));
    let (gate_tx, gate_rx) = mpsc::channel::<()>();
    let future = submit_iteration(&executor, {
        let live = Arc::clone(&live);
        move || {
            let mut next = 0;
            std::iter::from_fn(move || {
                gate_rx.recv().ok()?; // one item per token; ends when the gate closes
                next += 1;
                Some(Unique::new(next - 1, &live))
            })
        }
    })
    .unwrap();
    // (id, live instances) as each item is delivered.
    let seen = Rc::new(RefCell::new(Vec::new()));
    let _guard = future.items().observe({
        let seen = Rc::clone(&seen);
        let live = Arc::clone(&live);
        move |item: &Unique| {
            seen.borrow_mut()
                .push((item.id, live.load(Ordering::SeqCst)))
        }
    });
    for k in 0..3 {
        gate_tx.send(()).unwrap();
        executor
            .run_until(|| seen.borrow().len() == k + 1, Some(TEST_TIMEOUT))
            .unwrap();
    }
    drop(gate_tx);
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    // While an item is delivered it is the only instance alive: the task kept no copy, and the
    // earlier items were dropped after their delivery.
    assert_eq!(*seen.borrow(), [(0, 1), (1, 1), (2, 1)]);
    assert_eq!(live.load(Ordering::SeqCst), 0);
    assert_eq!(future.state().get(), Completed);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn c41_generator_yields_items_and_its_return_value_becomes_the_result() {
    let executor = TraitsExecutor::new();
    let future = submit_generator(&executor, |items| {
        let mut total = 0u64;
        for n in 1..=4u64 {
            items.send(n)?;
            total += n;
        }
        Ok::<_, TaskCancelled>(total)
    })
    .unwrap();
    let states = Recorder::observable(future.state());
    let items = Rc::new(Recorder::event(future.items()));
    let (items_at_completion, _guard) = items_when(future.state(), Completed, &items);
    assert_eq!(future.result(), Err(NotAvailable::NoResult(Waiting)));
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    assert_eq!(items.values(), [1, 2, 3, 4]);
    assert_eq!(items_at_completion.get(), Some(4));
    assert_eq!(states.values(), [Waiting, Executing, Completed]);
    assert_eq!(future.result(), Ok(&10));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
