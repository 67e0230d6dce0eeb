//! `Observable`: values, equality, order, guards.

use std::cell::RefCell;
use std::rc::Rc;

use traits_core::Observable;

type Log<T> = Rc<RefCell<Vec<T>>>;

fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

#[test]
fn observer_receives_old_and_new_value() {
    let value = Observable::new(String::from("a"));
    let seen = log();
    let _g = value.observe({
        let seen = seen.clone();
        move |old: &String, new: &String| seen.borrow_mut().push((old.clone(), new.clone()))
    });
    value.set("b".to_string());
    value.set("c".to_string());
    assert_eq!(
        *seen.borrow(),
        [
            ("a".to_string(), "b".to_string()),
            ("b".to_string(), "c".to_string())
        ]
    );
    assert_eq!(value.get(), "c");
}

#[test]
fn equal_set_does_not_notify() {
    let value = Observable::new(3);
    let seen = log();
    let _g = value.observe({
        let seen = seen.clone();
        move |old, new| seen.borrow_mut().push((*old, *new))
    });
    value.set(3);
    value.set(4);
    value.set(4);
    assert_eq!(*seen.borrow(), [(3, 4)]);
}

#[test]
fn set_returns_whether_the_value_changed() {
    let value = Observable::new(1);
    assert!(!value.set(1));
    assert!(value.set(2));
    assert!(!value.set(2));
    assert!(value.set(1));
    // Also without observers, and with one.
    let _g = value.observe(|_, _| {});
    assert!(!value.set(1));
    assert!(value.set(5));
    assert_eq!(value.get(), 5);
}

#[test]
fn observers_run_in_registration_order() {
    let value = Observable::new(0);
    let order = log();
    let guards: Vec<_> = (0..5)
        .map(|i| {
            let order = order.clone();
            value.observe(move |_, _| order.borrow_mut().push(i))
        })
        .collect();
    value.set(1);
    value.set(2);
    assert_eq!(*order.borrow(), [0, 1, 2, 3, 4, 0, 1, 2, 3, 4]);
    drop(guards);
}

#[test]
fn derived_notifies_after_every_observer_of_its_source() {
    let value = Observable::new(1);
    let order = log();
    let _first = value.observe({
        let order = order.clone();
        move |_, _| order.borrow_mut().push("observer 1")
    });
    let doubled = value.map(|n| n * 2);
    let _derived = doubled.observe({
        let order = order.clone();
        move |_, _| order.borrow_mut().push("derived")
    });
    // Registered after the derived property, still runs before it.
    let _second = value.observe({
        let order = order.clone();
        move |_, _| order.borrow_mut().push("observer 2")
    });
    value.set(2);
    assert_eq!(*order.borrow(), ["observer 1", "observer 2", "derived"]);
}

#[test]
fn dropping_the_guard_stops_notifications() {
    let value = Observable::new(0);
    let seen = log();
    let guard = value.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(*new)
    });
    value.set(1);
    assert_eq!(value.observer_count(), 1);
    drop(guard);
    assert_eq!(value.observer_count(), 0);
    value.set(2);
    assert_eq!(*seen.borrow(), [1]);
}

#[test]
fn dropping_one_guard_keeps_the_others() {
    let value = Observable::new(0);
    let seen = log();
    let make = |name: &'static str| {
        let seen = seen.clone();
        value.observe(move |_, new| seen.borrow_mut().push((name, *new)))
    };
    let a = make("a");
    let b = make("b");
    let c = make("c");
    drop(b);
    value.set(1);
    assert_eq!(*seen.borrow(), [("a", 1), ("c", 1)]);
    drop((a, c));
}

#[test]
fn detach_keeps_the_observer_registered() {
    let value = Observable::new(0);
    let seen = log();
    value
        .observe({
            let seen = seen.clone();
            move |_, new| seen.borrow_mut().push(*new)
        })
        .detach();
    value.set(1);
    value.set(2);
    assert_eq!(*seen.borrow(), [1, 2]);
    assert_eq!(value.observer_count(), 1);
}

#[test]
fn guard_outliving_the_observable_is_harmless() {
    let value = Observable::new(0);
    let alive = Rc::new(());
    let guard = value.observe({
        let alive = alive.clone();
        move |_, _| {
            let _ = &alive;
        }
    });
    assert_eq!(Rc::strong_count(&alive), 2);
    drop(value);
    // The observable and its observers are gone; the guard does not keep them alive.
    assert_eq!(Rc::strong_count(&alive), 1);
    drop(guard); // must not panic or touch freed memory
}

#[test]
fn clones_share_one_value_and_one_observer_list() {
    let value = Observable::new(1);
    let other = value.clone();
    let seen = log();
    let _g = other.observe({
        let seen = seen.clone();
        move |old, new| seen.borrow_mut().push((*old, *new))
    });
    value.set(2);
    assert_eq!(other.get(), 2);
    assert_eq!(value.observer_count(), 1);
    assert_eq!(*seen.borrow(), [(1, 2)]);
}

#[test]
fn get_and_with_inside_an_observer_see_the_new_value() {
    let value = Observable::new(vec![1]);
    let seen = log();
    let _g = value.observe({
        let seen = seen.clone();
        let value = value.clone();
        move |_, new: &Vec<i32>| {
            seen.borrow_mut()
                .push((value.get(), value.with(Vec::len), new.clone()))
        }
    });
    value.set(vec![1, 2]);
    assert_eq!(*seen.borrow(), [(vec![1, 2], 2, vec![1, 2])]);
}

#[test]
fn default_and_debug() {
    let value: Observable<u8> = Observable::default();
    assert_eq!(value.get(), 0);
    value.set(7);
    assert_eq!(format!("{value:?}"), "Observable(7)");
}
