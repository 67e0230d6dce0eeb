//! Chained observation: `Observable::observe_chain`, Traits' `observe("child.value")`.

use std::cell::RefCell;
use std::rc::Rc;

use traits_core::{has_traits, Observable, ObserverGuard};

has_traits! {
    /// The held object.
    pub struct Child {
        pub value: i32 = 0,
        pub doubled: i32 = derive(value) => value * 2,
    }
}

has_traits! {
    /// The object that holds it.
    pub struct Parent {
        pub child: Option<Rc<Child>> = None,
    }
}

/// The observers `value` has without any chain: the dependent of `doubled`.
const OWN: usize = 1;

fn child(value: i32) -> Rc<Child> {
    let child = Child::new();
    child.value.set(value);
    Rc::new(child)
}

type Log<T> = Rc<RefCell<Vec<T>>>;

fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

fn record<T: Clone + 'static>(log: &Log<(T, T)>) -> impl Fn(&T, &T) + 'static {
    let log = log.clone();
    move |old, new| log.borrow_mut().push((old.clone(), new.clone()))
}

#[test]
fn switching_objects_three_times_hears_only_the_current_one() {
    let parent = Parent::new();
    let children: Vec<Rc<Child>> = (0..4).map(|n| child(n * 100)).collect();
    parent.child.set(Some(children[0].clone()));
    let seen = log();
    let _guard = parent.child.observe_chain(|c| &c.value, record(&seen));

    children[0].value.set(1);
    for (switch, current) in children.iter().enumerate().skip(1) {
        parent.child.set(Some(current.clone()));
        // Every object held before is changed after the switch: none of them may be heard.
        for old in &children[..switch] {
            old.value.set(old.value.get() + 1000);
        }
        current.value.set(current.value.get() + 1);
    }

    assert_eq!(
        *seen.borrow(),
        [
            (Some(0), Some(1)),
            (Some(1), Some(100)), // switch to children[1]
            (Some(100), Some(101)),
            (Some(101), Some(200)), // switch to children[2]
            (Some(200), Some(201)),
            (Some(201), Some(300)), // switch to children[3]
            (Some(300), Some(301)),
        ]
    );
    // Only the current object is observed.
    for old in &children[..3] {
        assert_eq!(old.value.observer_count(), OWN);
    }
    assert_eq!(children[3].value.observer_count(), OWN + 1);
}

#[test]
fn a_switch_between_equal_field_values_is_silent() {
    let parent = Parent::new();
    let (a, b) = (child(5), child(5));
    parent.child.set(Some(a.clone()));
    let seen = log();
    let _guard = parent.child.observe_chain(|c| &c.value, record(&seen));
    parent.child.set(Some(b.clone()));
    assert!(seen.borrow().is_empty());
    a.value.set(6); // not held any more
    b.value.set(7);
    assert_eq!(*seen.borrow(), [(Some(5), Some(7))]);
}

#[test]
fn holding_none_resolves_to_none_and_back() {
    let parent = Parent::new();
    let seen = log();
    let _guard = parent.child.observe_chain(|c| &c.value, record(&seen));
    let a = child(1);
    parent.child.set(Some(a.clone()));
    a.value.set(2);
    parent.child.set(None);
    a.value.set(3);
    assert_eq!(
        *seen.borrow(),
        [(None, Some(1)), (Some(1), Some(2)), (Some(2), None)]
    );
    assert_eq!(a.value.observer_count(), OWN);
}

#[test]
fn an_rc_holder_resolves_to_the_plain_value() {
    let (a, b) = (child(1), child(2));
    let current = Observable::new(a.clone());
    let seen = log();
    let _guard = current.observe_chain(|c| &c.value, record(&seen));
    a.value.set(10);
    current.set(b.clone());
    a.value.set(11);
    b.value.set(20);
    assert_eq!(*seen.borrow(), [(1, 10), (10, 2), (2, 20)]);
}

#[test]
fn a_derived_field_can_be_followed() {
    let (a, b) = (child(1), child(2));
    let current = Observable::new(a.clone());
    let seen = log();
    let _guard = current.observe_chain(|c| &c.doubled, record(&seen));
    a.value.set(3);
    current.set(b.clone());
    a.value.set(4);
    b.value.set(5);
    assert_eq!(*seen.borrow(), [(2, 6), (6, 4), (4, 10)]);
}

#[test]
fn dropping_the_guard_unobserves_the_parent_and_the_object() {
    let parent = Parent::new();
    let a = child(1);
    parent.child.set(Some(a.clone()));
    let seen = log();
    let guard = parent.child.observe_chain(|c| &c.value, record(&seen));
    assert_eq!(parent.child.observer_count(), 1);
    assert_eq!(a.value.observer_count(), OWN + 1);
    drop(guard);
    assert_eq!(parent.child.observer_count(), 0);
    assert_eq!(a.value.observer_count(), OWN);
    a.value.set(2);
    parent.child.set(Some(child(3)));
    assert!(seen.borrow().is_empty());
    // The chain kept no object alive.
    assert_eq!(Rc::strong_count(&a), 1);
}

#[test]
fn the_guard_dropped_by_its_own_callback_stops_at_once() {
    let parent = Parent::new();
    let a = child(1);
    parent.child.set(Some(a.clone()));
    let seen = log();
    let slot: Rc<RefCell<Option<ObserverGuard>>> = Rc::default();
    let guard = parent.child.observe_chain(|c| &c.value, {
        let (seen, slot) = (seen.clone(), slot.clone());
        move |old: &Option<i32>, new: &Option<i32>| {
            seen.borrow_mut().push((*old, *new));
            drop(slot.borrow_mut().take()); // unobserve from inside
        }
    });
    *slot.borrow_mut() = Some(guard);
    a.value.set(2);
    a.value.set(3);
    parent.child.set(Some(child(4)));
    assert_eq!(*seen.borrow(), [(Some(1), Some(2))]);
    assert_eq!(a.value.observer_count(), OWN);
    assert_eq!(parent.child.observer_count(), 0);
}

#[test]
fn a_callback_that_switches_the_parent_hears_only_the_new_object() {
    let parent = Rc::new(Parent::new());
    let (a, b) = (child(1), child(50));
    parent.child.set(Some(a.clone()));
    let seen = log();
    let _guard = parent.child.observe_chain(|c| &c.value, {
        let (seen, parent, b) = (seen.clone(), Rc::downgrade(&parent), b.clone());
        move |old: &Option<i32>, new: &Option<i32>| {
            seen.borrow_mut().push((*old, *new));
            if *new == Some(2) {
                // Re-entrant: a nested notification of the parent switches the chain to `b`.
                parent.upgrade().unwrap().child.set(Some(b.clone()));
            }
        }
    });
    let _second = a.value.observe(|_, _| {}); // another observer of `a`, after the chain's
    a.value.set(2);
    a.value.set(3);
    b.value.set(51);
    assert_eq!(
        *seen.borrow(),
        [
            (Some(1), Some(2)),
            (Some(2), Some(50)), // the nested switch
            (Some(50), Some(51)),
        ]
    );
}

#[test]
fn the_old_object_is_not_heard_while_the_switch_waits_its_turn() {
    let parent = Parent::new();
    let (a, b) = (child(1), child(2));
    parent.child.set(Some(a.clone()));
    // Registered before the chain: runs first when the parent changes, while the chain still
    // follows `a`, and changes `a`.
    let _first = parent.child.observe({
        let a = a.clone();
        move |_, _| {
            a.value.set(99);
        }
    });
    let seen = log();
    let _guard = parent.child.observe_chain(|c| &c.value, record(&seen));
    parent.child.set(Some(b.clone()));
    assert_eq!(*seen.borrow(), [(Some(1), Some(2))]);
    assert_eq!(a.value.get(), 99);
}

#[test]
fn a_field_set_again_from_the_callback_is_heard_in_order() {
    let parent = Parent::new();
    let a = child(1);
    parent.child.set(Some(a.clone()));
    let seen = log();
    let _guard = parent.child.observe_chain(|c| &c.value, {
        let (seen, a) = (seen.clone(), a.clone());
        move |old: &Option<i32>, new: &Option<i32>| {
            seen.borrow_mut().push((*old, *new));
            if *new == Some(2) {
                a.value.set(3); // queued behind the current notification of `value`
            }
        }
    });
    a.value.set(2);
    assert_eq!(*seen.borrow(), [(Some(1), Some(2)), (Some(2), Some(3))]);
}

#[test]
fn a_parent_switched_again_from_its_own_observer_is_followed_in_order() {
    let parent = Rc::new(Parent::new());
    let (a, b, c) = (child(1), child(2), child(3));
    parent.child.set(Some(a.clone()));
    let seen = log();
    let _guard = parent.child.observe_chain(|c| &c.value, record(&seen));
    // Registered after the chain: sets the parent again while its notification runs (queued).
    let _redirect = parent.child.observe({
        let (parent, b, c) = (Rc::downgrade(&parent), b.clone(), c.clone());
        move |_, new| {
            if new.as_ref().is_some_and(|held| Rc::ptr_eq(held, &b)) {
                parent.upgrade().unwrap().child.set(Some(c.clone()));
                b.value.set(20); // `b` is no longer held: not heard
            }
        }
    });
    parent.child.set(Some(b.clone()));
    c.value.set(30);
    assert_eq!(
        *seen.borrow(),
        [(Some(1), Some(2)), (Some(2), Some(3)), (Some(3), Some(30))]
    );
    assert_eq!(b.value.observer_count(), OWN);
}

#[test]
fn a_guard_that_outlives_the_parent_is_harmless() {
    let a = child(1);
    let parent = Parent::new();
    parent.child.set(Some(a.clone()));
    let seen = log();
    let guard = parent.child.observe_chain(|c| &c.value, record(&seen));
    drop(parent);
    a.value.set(2); // the parent is gone: it holds nothing
    drop(guard);
    assert!(seen.borrow().is_empty());
    assert_eq!(a.value.observer_count(), OWN);
}
