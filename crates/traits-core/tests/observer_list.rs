//! `ObserverList` as a building block: ranks, dependents after every rank, and the common rules
//! (snapshot, queued re-entrant emission, panic isolation) for a type embedding it.

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::rc::{Rc, Weak};

use traits_core::{
    DependentHandle, ObserverGuard, ObserverKey, ObserverList, Recompute, Unobserve,
};

/// A minimal observable type built on the list.
struct Counter {
    observers: ObserverList<u32>,
}

impl Unobserve for Counter {
    fn unobserve(&self, key: ObserverKey) {
        self.observers.remove(key);
    }
}

impl Counter {
    fn new() -> Rc<Self> {
        Rc::new(Counter {
            observers: ObserverList::new(),
        })
    }

    fn observe(self: &Rc<Self>, rank: u8, f: impl Fn(&u32) + 'static) -> ObserverGuard {
        self.observers
            .observe(rank, f, Rc::downgrade(self) as Weak<dyn Unobserve>)
    }
}

type Log = Rc<RefCell<Vec<String>>>;

fn logger(log: &Log, name: &'static str) -> impl Fn(&u32) + 'static {
    let log = log.clone();
    move |n| log.borrow_mut().push(format!("{name} {n}"))
}

struct Dependent(Log);
impl Recompute for Dependent {
    fn source_changed(&self) {
        self.0.borrow_mut().push("dependent".into());
    }
}

impl Counter {
    /// Registers a dependent that logs "dependent"; it lives as long as the returned pair.
    fn add_logging_dependent(self: &Rc<Self>, log: &Log) -> (Rc<Dependent>, ObserverGuard) {
        let dependent = Rc::new(Dependent(log.clone()));
        let guard = self.observers.add_dependent(
            DependentHandle::new(&dependent),
            Rc::downgrade(self) as Weak<dyn Unobserve>,
        );
        (dependent, guard)
    }
}

#[test]
fn ranks_run_in_ascending_order_then_dependents_whatever_the_registration_order() {
    let counter = Counter::new();
    let log: Log = Rc::default();
    let _d = counter.add_logging_dependent(&log);
    let _a = counter.observe(2, logger(&log, "two"));
    let _b = counter.observe(0, logger(&log, "zero-a"));
    let _c = counter.observe(1, logger(&log, "one"));
    let _e = counter.observe(0, logger(&log, "zero-b"));
    counter.observers.emit(5);
    assert_eq!(
        *log.borrow(),
        ["zero-a 5", "zero-b 5", "one 5", "two 5", "dependent"]
    );
}

#[test]
fn the_highest_rank_still_runs_before_dependents() {
    let counter = Counter::new();
    let log: Log = Rc::default();
    let _d = counter.add_logging_dependent(&log);
    let _a = counter.observe(u8::MAX, logger(&log, "max"));
    counter.observers.emit(1);
    assert_eq!(*log.borrow(), ["max 1", "dependent"]);
}

#[test]
fn a_guard_unregisters_through_the_owner_and_keys_increase() {
    let counter = Counter::new();
    let log: Log = Rc::default();
    let first = counter.observe(1, logger(&log, "first"));
    let second = counter.observe(0, logger(&log, "second"));
    assert!(
        first.key() < second.key(),
        "keys follow registration, not rank"
    );
    drop(first);
    counter.observers.emit(3);
    assert_eq!(*log.borrow(), ["second 3"]);
    assert_eq!(counter.observers.len(), 1);
}

#[test]
fn an_emission_from_a_ranked_observer_is_delivered_to_every_rank_after_the_current_one() {
    let counter = Counter::new();
    let log: Log = Rc::default();
    let _late = counter.observe(1, logger(&log, "late"));
    let _early = counter.observe(0, {
        let (log, counter) = (log.clone(), Rc::downgrade(&counter));
        move |n| {
            log.borrow_mut().push(format!("early {n}"));
            if *n == 1 {
                counter.upgrade().unwrap().observers.emit(2);
            }
        }
    });
    counter.observers.emit(1);
    assert_eq!(*log.borrow(), ["early 1", "late 1", "early 2", "late 2"]);
}

#[test]
fn a_panicking_low_rank_observer_does_not_stop_higher_ranks() {
    let counter = Counter::new();
    let log: Log = Rc::default();
    let _boom = counter.observe(0, |_| panic!("observer failed"));
    let _late = counter.observe(1, logger(&log, "late"));
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| counter.observers.emit(9)));
    assert!(outcome.is_err(), "the panic resumes after the notification");
    assert_eq!(*log.borrow(), ["late 9"]);
}
