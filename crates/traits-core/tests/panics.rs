//! Panicking observers: the value stays set, the others run, the panic reaches the caller.

use std::any::Any;
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use traits_core::{Event, Observable};

type Log<T> = Rc<RefCell<Vec<T>>>;

fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

fn message(panic: Box<dyn Any + Send>) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic>".to_string()
    }
}

#[test]
fn panicking_observer_leaves_value_set_and_others_called() {
    let value = Observable::new(0);
    let seen = log();
    let _before = value.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(("before", *new))
    });
    let _bad = value.observe(|_, new| {
        if *new == 1 {
            panic!("observer failed on 1");
        }
    });
    let _after = value.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(("after", *new))
    });
    let doubled = value.map(|n| n * 2);
    let _derived = doubled.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(("derived", *new))
    });

    let result = catch_unwind(AssertUnwindSafe(|| value.set(1)));
    let panic = result.expect_err("the observer's panic reaches the caller of set");
    assert_eq!(message(panic), "observer failed on 1");
    assert_eq!(value.get(), 1);
    assert_eq!(doubled.get(), 2);
    assert_eq!(
        *seen.borrow(),
        [("before", 1), ("after", 1), ("derived", 2)]
    );
}

#[test]
fn observable_keeps_working_after_a_panic() {
    let value = Observable::new(0);
    let seen = log();
    let _bad = value.observe(|_, new| {
        if *new == 1 {
            panic!("boom");
        }
    });
    let _good = value.observe({
        let seen = seen.clone();
        move |old, new| seen.borrow_mut().push((*old, *new))
    });
    assert!(catch_unwind(AssertUnwindSafe(|| value.set(1))).is_err());
    // Not stuck in "notifying": the next change is delivered at once, to both observers.
    assert!(value.set(2));
    assert_eq!(*seen.borrow(), [(0, 1), (1, 2)]);
    assert_eq!(value.observer_count(), 2);
    // The panicking observer is still registered and panics again when its value comes back.
    assert!(catch_unwind(AssertUnwindSafe(|| value.set(1))).is_err());
    assert_eq!(*seen.borrow(), [(0, 1), (1, 2), (2, 1)]);
}

#[test]
fn first_panic_wins_when_several_observers_panic() {
    let value = Observable::new(0);
    let _first = value.observe(|_, _| panic!("first"));
    let _second = value.observe(|_, _| panic!("second"));
    let panic = catch_unwind(AssertUnwindSafe(|| value.set(1))).unwrap_err();
    assert_eq!(message(panic), "first");
    assert_eq!(value.get(), 1);
}

#[test]
fn queued_changes_are_delivered_before_the_panic_resumes() {
    let value = Observable::new(0);
    let seen = log();
    let _bad = value.observe({
        let value = value.clone();
        move |_, new| {
            if *new == 1 {
                value.set(2); // queued
                panic!("after queueing");
            }
        }
    });
    let _good = value.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(*new)
    });
    let panic = catch_unwind(AssertUnwindSafe(|| value.set(1))).unwrap_err();
    assert_eq!(message(panic), "after queueing");
    assert_eq!(*seen.borrow(), [1, 2]);
    assert_eq!(value.get(), 2);
}

#[test]
fn panic_in_an_observer_of_a_derived_property_reaches_the_source_setter() {
    let value = Observable::new(0);
    let negative = value.map(|n| *n < 0);
    let _bad = negative.observe(|_, _| panic!("derived observer"));
    let panic = catch_unwind(AssertUnwindSafe(|| value.set(-1))).unwrap_err();
    assert_eq!(message(panic), "derived observer");
    assert_eq!(value.get(), -1);
    assert!(negative.get());
    // Both still work afterwards.
    assert!(value.set(-2));
    assert!(catch_unwind(AssertUnwindSafe(|| value.set(3))).is_err());
    assert!(!negative.get());
}

#[test]
fn panicking_event_observer_does_not_stop_the_others() {
    let event: Event<u32> = Event::new();
    let seen = log();
    let _bad = event.observe(|n| {
        if *n == 1 {
            panic!("event observer failed");
        }
    });
    let _good = event.observe({
        let seen = seen.clone();
        move |n| seen.borrow_mut().push(*n)
    });
    let stream = event.stream();

    let panic = catch_unwind(AssertUnwindSafe(|| event.fire(1))).unwrap_err();
    assert_eq!(message(panic), "event observer failed");
    assert_eq!(*seen.borrow(), [1]);
    // The event still works, and the stream got the value despite the panic.
    event.fire(2);
    assert_eq!(*seen.borrow(), [1, 2]);
    drop(event);
    let streamed = futures::executor::block_on(futures::StreamExt::collect::<Vec<_>>(stream));
    assert_eq!(streamed, [1, 2]);
}
