//! `Derived`: read-only properties computed from other observables.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use traits_core::{Dependency, Derived, Observable};

type Log<T> = Rc<RefCell<Vec<T>>>;

fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

#[test]
fn fires_only_when_the_derived_value_changes() {
    let count = Observable::new(0);
    let parity = count.map(|n| n % 2);
    let seen = log();
    let _g = parity.observe({
        let seen = seen.clone();
        move |old, new| seen.borrow_mut().push((*old, *new))
    });
    for n in [2, 4, 5, 7, 9, 10] {
        count.set(n);
    }
    assert_eq!(*seen.borrow(), [(0, 1), (1, 0)]);
    assert_eq!(parity.get(), 0);
}

#[test]
fn derived_over_two_sources() {
    let width = Observable::new(2);
    let height = Observable::new(3);
    let area = Derived::new(&[&width as &dyn Dependency, &height], {
        let (width, height) = (width.clone(), height.clone());
        move || width.get() * height.get()
    });
    let seen = log();
    let _g = area.observe({
        let seen = seen.clone();
        move |old, new| seen.borrow_mut().push((*old, *new))
    });
    assert_eq!(area.get(), 6);
    width.set(4);
    height.set(5);
    height.set(0);
    width.set(9); // 9 * 0 is still 0: no notification
    height.set(1);
    assert_eq!(*seen.borrow(), [(6, 12), (12, 20), (20, 0), (0, 9)]);
}

#[test]
fn derived_of_a_derived() {
    let celsius = Observable::new(0);
    let fahrenheit = celsius.map(|c| c * 9 / 5 + 32);
    let label = fahrenheit.map(|f| format!("{f} °F"));
    let seen = log();
    let _f = fahrenheit.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(format!("f={new}"))
    });
    let _l = label.observe({
        let seen = seen.clone();
        move |_, new: &String| seen.borrow_mut().push(new.clone())
    });
    assert_eq!(label.get(), "32 °F");
    celsius.set(100);
    assert_eq!(label.get(), "212 °F");
    // The inner derived notifies before the outer one.
    assert_eq!(*seen.borrow(), ["f=212", "212 °F"]);
}

#[test]
fn get_is_consistent_with_the_source_inside_the_sources_observers() {
    let count = Observable::new(1);
    let doubled = count.map(|n| n * 2);
    let quadrupled = doubled.map(|n| n * 2);
    let seen = log();
    let _g = count.observe({
        let seen = seen.clone();
        let (doubled, quadrupled) = (doubled.clone(), quadrupled.clone());
        move |_, new| {
            seen.borrow_mut()
                .push((*new, doubled.get(), quadrupled.get()))
        }
    });
    count.set(2);
    count.set(5);
    assert_eq!(*seen.borrow(), [(2, 4, 8), (5, 10, 20)]);
}

#[test]
fn derived_observers_see_the_sources_agree() {
    // An observer of `a` changes `b`: the derived property over both notifies once, with both new.
    let a = Observable::new(1);
    let b = Observable::new(1);
    let _sync = a.observe({
        let b = b.clone();
        move |_, new| {
            b.set(*new);
        }
    });
    let pair = Derived::new(&[&a as &dyn Dependency, &b], {
        let (a, b) = (a.clone(), b.clone());
        move || (a.get(), b.get())
    });
    let seen = log();
    let _g = pair.observe({
        let seen = seen.clone();
        move |old, new| seen.borrow_mut().push((*old, *new))
    });
    a.set(7);
    assert_eq!(*seen.borrow(), [((1, 1), (7, 7))]);
}

#[test]
fn observer_count_and_derived_of_validated() {
    let source = traits_core::ValidatedObservable::new(3u32, |_: &u32| Ok(())).unwrap();
    let square = source.map(|n| n * n);
    assert_eq!(square.observer_count(), 0);
    let cube = Derived::new(&[&source as &dyn Dependency], {
        let source = source.clone();
        move || source.get().pow(3)
    });
    let g = square.observe(|_, _| {});
    let _h = square.map(|n| n + 1); // a dependent of `square`
    assert_eq!(square.observer_count(), 2);
    drop(g);
    assert_eq!(square.observer_count(), 1);
    source.try_set(2).unwrap();
    assert_eq!((square.get(), cube.get()), (4, 8));
    assert_eq!(format!("{square:?}"), "Derived(4)");
}

#[test]
fn dropped_derived_is_no_longer_computed() {
    let source = Observable::new(0);
    let computations = Rc::new(Cell::new(0));
    let derived = source.map({
        let computations = computations.clone();
        move |n| {
            computations.set(computations.get() + 1);
            *n
        }
    });
    assert_eq!(computations.get(), 1); // initial value
    source.set(1);
    assert_eq!(computations.get(), 2);
    assert_eq!(source.observer_count(), 1);
    drop(derived);
    assert_eq!(source.observer_count(), 0);
    source.set(2);
    assert_eq!(computations.get(), 2);
}

#[test]
fn derived_signal_follows_the_source() {
    use futures::{executor::block_on, StreamExt};
    use futures_signals::signal::SignalExt;

    let source = Observable::new(2);
    let square = source.map(|n| n * n);
    let mut values = square.signal().to_stream();
    assert_eq!(block_on(values.next()), Some(4));
    source.set(3);
    assert_eq!(block_on(values.next()), Some(9));
}

#[test]
fn derived_reflects_the_settled_source_after_a_queued_change() {
    // An observer bumps 1 to 2 (queued). The derived property is recomputed from the current
    // source when it runs, after the first change's observers, so it goes from 0 to 20 directly:
    // a derived value always matches its sources, it is not a log of every step.
    let value = Observable::new(0);
    let _bump = value.observe({
        let value = value.clone();
        move |_, new| {
            if *new == 1 {
                value.set(2);
            }
        }
    });
    let tenfold = value.map(|n| n * 10);
    let seen = log();
    let _g = tenfold.observe({
        let seen = seen.clone();
        let (value, tenfold) = (value.clone(), tenfold.clone());
        move |old, new| {
            seen.borrow_mut()
                .push((*old, *new, value.get(), tenfold.get()))
        }
    });
    value.set(1);
    assert_eq!(*seen.borrow(), [(0, 20, 2, 20)]);
}

#[test]
fn dropping_a_derived_inside_its_sources_notification_is_safe() {
    let source = Observable::new(0);
    let computations = Rc::new(Cell::new(0));
    let holder = Rc::new(RefCell::new(Some(source.map({
        let computations = computations.clone();
        move |n| {
            computations.set(computations.get() + 1);
            *n
        }
    }))));
    // Registered before the derived property's dependent runs; drops it mid-notification.
    let _dropper = source.observe({
        let holder = holder.clone();
        move |_, _| drop(holder.borrow_mut().take())
    });
    assert_eq!(computations.get(), 1);
    source.set(1);
    assert!(holder.borrow().is_none());
    assert_eq!(computations.get(), 1); // its dependent was removed before it could run
    assert_eq!(source.observer_count(), 1);
    assert!(source.set(2));
}
