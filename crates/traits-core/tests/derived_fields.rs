//! Derived fields declared in `has_traits!` (`name: T = derive(a, b) => expr`) and
//! `Derived::cached`: cached, read-only, recomputed only when a source changes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::executor::block_on;
use futures::StreamExt;
use traits_core::futures_signals::signal::SignalExt;
use traits_core::{has_traits, Dependency, Derived, Observable, ValidationError};

thread_local! {
    /// Evaluations of `Cart::total`, counted by the expression itself.
    static TOTAL_RUNS: Cell<u32> = const { Cell::new(0) };
}

fn total_runs() -> u32 {
    TOTAL_RUNS.with(Cell::get)
}

fn count_run() {
    TOTAL_RUNS.with(|runs| runs.set(runs.get() + 1));
}

fn at_most_ten(n: &u32) -> Result<(), ValidationError> {
    if *n <= 10 {
        Ok(())
    } else {
        Err(ValidationError::new("too many"))
    }
}

has_traits! {
    /// A shopping cart.
    pub struct Cart {
        pub price: u32 = 5,
        pub quantity: u32 where at_most_ten = 1,
        pub note: String = String::new(),
        /// Declared before one of its sources: stored fields are built first.
        pub total: u32 = derive(price, quantity) => { count_run(); price * quantity },
        pub expensive: bool = derive(total) => total > 20,
        pub label: String = derive(note, expensive,) => format!("{note}{}", if expensive { "!" } else { "" }),
        pub checked_out: event (),
    }
}

type Log<T> = Rc<RefCell<Vec<T>>>;

fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

#[test]
fn recomputes_only_when_a_source_changes() {
    TOTAL_RUNS.with(|runs| runs.set(0));
    let cart = Cart::new();
    assert_eq!(total_runs(), 1); // when the struct is built
    assert_eq!((cart.total.get(), cart.total.get()), (5, 5));
    assert_eq!(total_runs(), 1); // reads use the cached value

    cart.note.set("gift".into()); // not a source
    cart.checked_out.fire(());
    cart.price.set(5); // equal: no change
    assert!(cart.quantity.try_set(11).is_err()); // rejected: no change
    assert_eq!(cart.total.get(), 5);
    assert_eq!(total_runs(), 1);

    cart.price.set(6);
    assert_eq!(total_runs(), 2);
    cart.quantity.try_set(3).unwrap();
    assert_eq!(total_runs(), 3);
    assert_eq!((cart.total.get(), cart.expensive.get()), (18, false));
    assert_eq!(total_runs(), 3);
}

#[test]
fn notifies_only_when_its_value_changes() {
    let cart = Cart::new();
    let seen = log();
    let _guard = cart.total.observe({
        let seen = seen.clone();
        move |old, new| seen.borrow_mut().push((*old, *new))
    });
    cart.price.set(10); // 5 -> 10
    cart.quantity.try_set(2).unwrap(); // 10 -> 20
    cart.price.set(20);
    cart.quantity.try_set(1).unwrap(); // 40 -> 20
    cart.price.set(4);
    cart.quantity.try_set(5).unwrap(); // 20 -> 4 -> 20
    assert_eq!(
        *seen.borrow(),
        [(5, 10), (10, 20), (20, 40), (40, 20), (20, 4), (4, 20)]
    );

    let flips = log();
    let _flips = cart.expensive.observe({
        let flips = flips.clone();
        move |_, new| flips.borrow_mut().push(*new)
    });
    cart.price.set(5); // 25: expensive
    cart.price.set(6); // 30: still expensive, no notification
    cart.price.set(1); // 5
    assert_eq!(*flips.borrow(), [true, false]);
}

#[test]
fn a_chain_of_derived_fields_is_consistent_inside_a_source_observer() {
    let cart = Rc::new(Cart::new());
    let seen = log();
    // Registered on a source: runs before the derived fields' own notifications.
    let _guard = cart.price.observe({
        let (seen, cart) = (seen.clone(), Rc::downgrade(&cart));
        move |_, _| {
            let cart = cart.upgrade().unwrap();
            seen.borrow_mut().push(cart.label.get());
        }
    });
    let _label = cart.label.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(format!("label -> {new}"))
    });
    cart.note.set("cart".into());
    cart.price.set(30);
    assert_eq!(
        *seen.borrow(),
        ["label -> cart", "cart!", "label -> cart!"],
        "`get` is up to date before the derived fields are notified"
    );
}

#[test]
fn an_early_read_serves_the_notification_too() {
    TOTAL_RUNS.with(|runs| runs.set(0));
    let cart = Rc::new(Cart::new());
    let _guard = cart.price.observe({
        let cart = Rc::downgrade(&cart);
        move |_, _| {
            cart.upgrade().unwrap().total.get(); // evaluates now
        }
    });
    let notified = Rc::new(Cell::new(0));
    let _total = cart.total.observe({
        let notified = notified.clone();
        move |_, new| notified.set(*new)
    });
    cart.price.set(7);
    assert_eq!(notified.get(), 7);
    assert_eq!(
        total_runs(),
        2,
        "one evaluation for building, one for the change"
    );
}

#[test]
fn a_derived_field_has_a_signal() {
    let cart = Cart::new();
    let mut totals = cart.total.signal().to_stream();
    assert_eq!(block_on(totals.next()), Some(5));
    cart.price.set(8);
    assert_eq!(block_on(totals.next()), Some(8));
}

#[test]
fn cached_over_a_source_without_a_count_evaluates_on_every_read() {
    let n = Observable::new(2);
    let doubled = n.map(|n| n * 2); // uncached: keeps no count
    let runs = Rc::new(Cell::new(0));
    let plus_one = Derived::cached(&[&doubled as &dyn Dependency], {
        let (doubled, runs) = (doubled.clone(), runs.clone());
        move || {
            runs.set(runs.get() + 1);
            doubled.get() + 1
        }
    });
    assert_eq!(runs.get(), 1);
    assert_eq!((plus_one.get(), plus_one.get()), (5, 5));
    assert_eq!(runs.get(), 3);
    n.set(3);
    assert_eq!(plus_one.get(), 7);
}

#[test]
fn recompute_evaluates_again() {
    let outside = Rc::new(Cell::new(1)); // not observable
    let runs = Rc::new(Cell::new(0));
    let value = Derived::cached(&[], {
        let (outside, runs) = (outside.clone(), runs.clone());
        move || {
            runs.set(runs.get() + 1);
            outside.get()
        }
    });
    outside.set(2);
    assert_eq!(value.get(), 1, "no source changed: the cached value");
    value.recompute();
    assert_eq!(value.get(), 2);
    assert_eq!(runs.get(), 2);
}

#[test]
fn a_dropped_cached_property_is_no_longer_evaluated() {
    let n = Observable::new(1);
    let runs = Rc::new(Cell::new(0));
    let squared = Derived::cached(&[&n as &dyn Dependency], {
        let (n, runs) = (n.clone(), runs.clone());
        move || {
            runs.set(runs.get() + 1);
            n.get() * n.get()
        }
    });
    n.set(2);
    assert_eq!(runs.get(), 2);
    drop(squared);
    n.set(3);
    assert_eq!(runs.get(), 2);
    assert_eq!(n.observer_count(), 0);
}
