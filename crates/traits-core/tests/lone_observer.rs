//! The observer rules hold for a list with a single registration, whose notifications take a
//! shorter path (the callback is called and put back without the general bookkeeping, unless it
//! changed the list meanwhile).

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use traits_core::{Event, ObserverGuard};

type Log = Rc<RefCell<Vec<String>>>;

fn log() -> Log {
    Rc::new(RefCell::new(Vec::new()))
}

/// A slot an observer can take its own guard out of (to drop it) or put a new guard into.
type GuardSlot = Rc<RefCell<Option<ObserverGuard>>>;

#[test]
fn a_lone_observer_that_fires_its_own_event_hears_the_values_in_order_after_its_call() {
    let event: Event<u32> = Event::new();
    let seen = log();
    let _guard = event.observe({
        let (event, seen) = (event.clone(), seen.clone());
        move |n| {
            seen.borrow_mut().push(format!("start {n}"));
            if *n < 3 {
                event.fire(n + 1);
            }
            seen.borrow_mut().push(format!("end {n}"));
        }
    });
    event.fire(1);
    assert_eq!(
        *seen.borrow(),
        ["start 1", "end 1", "start 2", "end 2", "start 3", "end 3"]
    );
    // The list is back to its lone state: the next value is delivered once.
    event.fire(7);
    assert_eq!(seen.borrow().len(), 8);
}

#[test]
fn a_lone_observer_that_drops_its_own_guard_is_not_called_again() {
    let event: Event<u32> = Event::new();
    let seen = log();
    let slot: GuardSlot = Rc::new(RefCell::new(None));
    let guard = event.observe({
        let (seen, slot) = (seen.clone(), slot.clone());
        move |n| {
            seen.borrow_mut().push(n.to_string());
            drop(slot.borrow_mut().take());
        }
    });
    *slot.borrow_mut() = Some(guard);
    event.fire(1);
    event.fire(2);
    assert_eq!(*seen.borrow(), ["1"]);
    assert_eq!(event.observer_count(), 0);
}

#[test]
fn an_observer_a_lone_observer_registers_hears_only_the_next_value() {
    let event: Event<u32> = Event::new();
    let seen = log();
    let slot: GuardSlot = Rc::new(RefCell::new(None));
    let _first = event.observe({
        let (event, seen, slot) = (event.clone(), seen.clone(), slot.clone());
        move |n| {
            seen.borrow_mut().push(format!("first {n}"));
            if slot.borrow().is_none() {
                let seen = seen.clone();
                let second = event.observe(move |n| seen.borrow_mut().push(format!("second {n}")));
                *slot.borrow_mut() = Some(second);
            }
        }
    });
    event.fire(1);
    event.fire(2);
    assert_eq!(*seen.borrow(), ["first 1", "first 2", "second 2"]);
}

#[test]
fn a_lone_observer_that_panics_stays_registered_and_the_panic_reaches_the_caller() {
    let event: Event<u32> = Event::new();
    let seen = log();
    let _guard = event.observe({
        let seen = seen.clone();
        move |n| {
            seen.borrow_mut().push(n.to_string());
            assert!(*n != 2, "two");
        }
    });
    event.fire(1);
    let fired = panic::catch_unwind(AssertUnwindSafe(|| event.fire(2)));
    assert!(fired.is_err());
    event.fire(3);
    assert_eq!(*seen.borrow(), ["1", "2", "3"]);
    assert_eq!(event.observer_count(), 1);
}

#[test]
fn a_lone_observer_that_panics_after_firing_again_still_has_the_queued_value_delivered() {
    let event: Event<u32> = Event::new();
    let seen = log();
    let _guard = event.observe({
        let (event, seen) = (event.clone(), seen.clone());
        move |n| {
            seen.borrow_mut().push(n.to_string());
            if *n == 1 {
                event.fire(2);
                panic!("after queueing 2");
            }
        }
    });
    let fired = panic::catch_unwind(AssertUnwindSafe(|| event.fire(1)));
    assert!(fired.is_err());
    assert_eq!(*seen.borrow(), ["1", "2"]);
}
