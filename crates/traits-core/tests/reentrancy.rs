//! Changes, registrations and guard drops made from inside observers.

use std::cell::RefCell;
use std::rc::Rc;

use traits_core::{Event, Observable, ObserverGuard};

type Log<T> = Rc<RefCell<Vec<T>>>;

fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

/// A slot an observer can take a guard out of (to drop it) or put a new guard into.
type GuardSlot = Rc<RefCell<Option<ObserverGuard>>>;

#[test]
fn setting_the_same_observable_from_an_observer_is_queued() {
    let value = Observable::new(0);
    let seen = log();
    // Observer "a" pushes the value up to 3, one step per notification.
    let _a = value.observe({
        let seen = seen.clone();
        let value = value.clone();
        move |old, new| {
            seen.borrow_mut().push(("a", *old, *new));
            if *new < 3 {
                value.set(new + 1);
                // The value is stored at once, even though the notification is queued.
                assert_eq!(value.get(), new + 1);
            }
        }
    });
    let _b = value.observe({
        let seen = seen.clone();
        move |old, new| seen.borrow_mut().push(("b", *old, *new))
    });
    assert!(value.set(1));
    assert_eq!(
        *seen.borrow(),
        [
            ("a", 0, 1),
            ("b", 0, 1),
            ("a", 1, 2),
            ("b", 1, 2),
            ("a", 2, 3),
            ("b", 2, 3),
        ]
    );
    assert_eq!(value.get(), 3);
}

#[test]
fn every_observer_sees_every_queued_change_in_order() {
    let value = Observable::new(0);
    let sequences: Vec<Log<i32>> = (0..3).map(|_| log()).collect();
    let mut guards = Vec::new();
    for (i, seq) in sequences.iter().enumerate() {
        let seq = seq.clone();
        let value = value.clone();
        guards.push(value.clone().observe(move |_, new| {
            seq.borrow_mut().push(*new);
            // The middle observer schedules two more changes on the first one only.
            if i == 1 && *new == 1 {
                value.set(10);
                value.set(20);
            }
        }));
    }
    value.set(1);
    for seq in &sequences {
        assert_eq!(*seq.borrow(), [1, 10, 20]);
    }
}

#[test]
fn equal_set_inside_an_observer_queues_nothing() {
    // Equality is checked against the stored value, which a queued set has already updated.
    let value = Observable::new(0);
    let seen = log();
    let _g = value.observe({
        let seen = seen.clone();
        let value = value.clone();
        move |old, new| {
            seen.borrow_mut().push((*old, *new));
            if *new == 1 {
                assert!(value.set(2));
                assert!(!value.set(2)); // equal to the stored value: nothing queued
            }
        }
    });
    value.set(1);
    assert_eq!(*seen.borrow(), [(0, 1), (1, 2)]);
}

#[test]
fn setting_a_different_observable_from_an_observer_is_immediate() {
    let a = Observable::new(0);
    let b = Observable::new(0);
    let seen = log();
    let _b_observer = b.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(format!("b = {new}"))
    });
    let _a_first = a.observe({
        let seen = seen.clone();
        let b = b.clone();
        move |_, new| {
            seen.borrow_mut().push(format!("a1 start {new}"));
            b.set(new * 10);
            seen.borrow_mut().push(format!("a1 end, b is {}", b.get()));
        }
    });
    let _a_second = a.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(format!("a2 {new}"))
    });
    a.set(1);
    assert_eq!(
        *seen.borrow(),
        ["a1 start 1", "b = 10", "a1 end, b is 10", "a2 1"]
    );
}

#[test]
fn mutually_bound_observables_settle() {
    // Two observables kept equal by observers on both: the equal-set rule ends the ping-pong.
    let a = Observable::new(0);
    let b = Observable::new(0);
    let _ab = a.observe({
        let b = b.clone();
        move |_, new| {
            b.set(*new);
        }
    });
    let _ba = b.observe({
        let a = a.clone();
        move |_, new| {
            a.set(*new);
        }
    });
    a.set(5);
    assert_eq!((a.get(), b.get()), (5, 5));
    b.set(6);
    assert_eq!((a.get(), b.get()), (6, 6));
}

#[test]
fn observer_added_during_a_notification_hears_only_the_next_change() {
    let value = Observable::new(0);
    let late_seen = log();
    let late: GuardSlot = Rc::default();
    let _adder = value.observe({
        let value = value.clone();
        let late = late.clone();
        let late_seen = late_seen.clone();
        move |_, _| {
            if late.borrow().is_none() {
                let late_seen = late_seen.clone();
                let guard =
                    value.observe(move |old, new| late_seen.borrow_mut().push((*old, *new)));
                *late.borrow_mut() = Some(guard);
            }
        }
    });
    value.set(1);
    assert!(late_seen.borrow().is_empty());
    assert_eq!(value.observer_count(), 2);
    value.set(2);
    assert_eq!(*late_seen.borrow(), [(1, 2)]);
}

#[test]
fn observer_added_during_a_notification_hears_the_queued_change() {
    let value = Observable::new(0);
    let late_seen = log();
    let late: GuardSlot = Rc::default();
    let _adder = value.observe({
        let value = value.clone();
        let late = late.clone();
        let late_seen = late_seen.clone();
        move |_, new| {
            if *new == 1 {
                let late_seen = late_seen.clone();
                *late.borrow_mut() =
                    Some(value.observe(move |old, new| late_seen.borrow_mut().push((*old, *new))));
                value.set(2); // queued: the new observer hears this one, not 0 -> 1
            }
        }
    });
    value.set(1);
    assert_eq!(*late_seen.borrow(), [(1, 2)]);
}

#[test]
fn observer_dropping_a_later_guard_stops_it_in_the_same_notification() {
    let value = Observable::new(0);
    let seen = log();
    let victim: GuardSlot = Rc::default();
    let _killer = value.observe({
        let seen = seen.clone();
        let victim = victim.clone();
        move |_, new| {
            seen.borrow_mut().push(("killer", *new));
            if *new == 2 {
                drop(victim.borrow_mut().take());
            }
        }
    });
    *victim.borrow_mut() = Some(value.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(("victim", *new))
    }));
    let _last = value.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(("last", *new))
    });
    value.set(1);
    value.set(2);
    value.set(3);
    assert_eq!(
        *seen.borrow(),
        [
            ("killer", 1),
            ("victim", 1),
            ("last", 1),
            ("killer", 2),
            ("last", 2),
            ("killer", 3),
            ("last", 3),
        ]
    );
    assert_eq!(value.observer_count(), 2);
}

#[test]
fn removed_observer_misses_the_queued_changes_too() {
    let value = Observable::new(0);
    let victim_seen = log();
    let victim: GuardSlot = Rc::default();
    let _killer = value.observe({
        let value = value.clone();
        let victim = victim.clone();
        move |_, new| {
            if *new == 1 {
                value.set(2); // queued
                drop(victim.borrow_mut().take());
            }
        }
    });
    *victim.borrow_mut() = Some(value.observe({
        let victim_seen = victim_seen.clone();
        move |_, new| victim_seen.borrow_mut().push(*new)
    }));
    value.set(1);
    assert!(victim_seen.borrow().is_empty());
    assert_eq!(value.get(), 2);
}

#[test]
fn observer_dropping_an_earlier_guard_does_not_skip_anyone() {
    let value = Observable::new(0);
    let seen = log();
    let first: GuardSlot = Rc::default();
    *first.borrow_mut() = Some(value.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(("first", *new))
    }));
    let _dropper = value.observe({
        let seen = seen.clone();
        let first = first.clone();
        move |_, new| {
            seen.borrow_mut().push(("dropper", *new));
            drop(first.borrow_mut().take());
        }
    });
    let _last = value.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(("last", *new))
    });
    value.set(1);
    value.set(2);
    assert_eq!(
        *seen.borrow(),
        [
            ("first", 1),
            ("dropper", 1),
            ("last", 1),
            ("dropper", 2),
            ("last", 2),
        ]
    );
}

#[test]
fn observer_dropping_its_own_guard_runs_once() {
    let value = Observable::new(0);
    let seen = log();
    let own: GuardSlot = Rc::default();
    *own.borrow_mut() = Some(value.observe({
        let seen = seen.clone();
        let own = own.clone();
        let value = value.clone();
        move |_, new| {
            seen.borrow_mut().push(*new);
            drop(own.borrow_mut().take());
            value.set(new + 1); // queued; this observer must not hear it
        }
    }));
    value.set(1);
    value.set(5);
    assert_eq!(*seen.borrow(), [1]);
    assert_eq!(value.observer_count(), 0);
    assert_eq!(value.get(), 5);
}

/// Records, when dropped, that it was dropped.
struct DropFlag(Rc<std::cell::Cell<bool>>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.set(true);
    }
}

#[test]
fn observer_dropping_its_own_guard_is_dropped_after_its_call_returns() {
    let value = Observable::new(0);
    let dropped = Rc::new(std::cell::Cell::new(false));
    let seen = log();
    let own: GuardSlot = Rc::default();
    *own.borrow_mut() = Some(value.observe({
        let flag = DropFlag(dropped.clone());
        let (dropped, seen, own) = (dropped.clone(), seen.clone(), own.clone());
        move |_, new| {
            drop(own.borrow_mut().take());
            // Unregistered, but the closure (and what it captured) lives until it returns.
            seen.borrow_mut().push((*new, dropped.get(), flag.0.get()));
        }
    }));
    value.set(1);
    assert_eq!(*seen.borrow(), [(1, false, false)]);
    assert!(
        dropped.get(),
        "dropped once the notification no longer needs it"
    );
    assert_eq!(value.observer_count(), 0);
}

#[test]
fn stream_whose_receiver_is_gone_unregisters_while_observers_keep_hearing() {
    let event: Event<u32> = Event::new();
    let seen = log();
    let _observer = event.observe({
        let seen = seen.clone();
        move |n| seen.borrow_mut().push(*n)
    });
    drop(event.stream());
    assert_eq!(event.observer_count(), 2);
    event.fire(1); // the stream's callback finds its receiver gone and unregisters
    assert_eq!(event.observer_count(), 1);
    event.fire(2);
    assert_eq!(*seen.borrow(), [1, 2]);
}

#[test]
fn event_fired_from_its_own_observer_is_queued() {
    let event: Event<u32> = Event::new();
    let seen = log();
    let _a = event.observe({
        let seen = seen.clone();
        let event = event.clone();
        move |n| {
            seen.borrow_mut().push(("a", *n));
            if *n < 2 {
                event.fire(n + 1);
            }
        }
    });
    let _b = event.observe({
        let seen = seen.clone();
        move |n| seen.borrow_mut().push(("b", *n))
    });
    event.fire(0);
    assert_eq!(
        *seen.borrow(),
        [("a", 0), ("b", 0), ("a", 1), ("b", 1), ("a", 2), ("b", 2)]
    );
}
