//! Signals: the coalescing, latest-value view, driven by an executor.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use futures_signals::map_ref;
use futures_signals::signal::{Signal, SignalExt};
use traits_core::{Event, Observable};

type Log<T> = Rc<RefCell<Vec<T>>>;

fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

/// Spawns a task that records every value `signal` yields; returns the record and a "task ended" flag.
fn record<S>(pool: &LocalPool, signal: S) -> (Log<S::Item>, Rc<Cell<bool>>)
where
    S: Signal + 'static,
{
    let seen = log();
    let ended = Rc::new(Cell::new(false));
    let task = {
        let seen = seen.clone();
        let ended = ended.clone();
        async move {
            signal
                .for_each(move |value| {
                    seen.borrow_mut().push(value);
                    async {}
                })
                .await;
            ended.set(true);
        }
    };
    pool.spawner().spawn_local(task).unwrap();
    (seen, ended)
}

#[test]
fn for_each_sees_the_latest_value_after_several_sets() {
    let mut pool = LocalPool::new();
    let value = Observable::new(0);
    let (seen, _) = record(&pool, value.signal());
    pool.run_until_stalled();
    assert_eq!(*seen.borrow(), [0]);
    value.set(1);
    value.set(2);
    value.set(3);
    pool.run_until_stalled();
    assert_eq!(seen.borrow().last(), Some(&3));
    value.set(4);
    pool.run_until_stalled();
    assert_eq!(seen.borrow().last(), Some(&4));
}

#[test]
fn signals_coalesce_but_observers_do_not() {
    let mut pool = LocalPool::new();
    let value = Observable::new(0);
    let observed = log();
    let _g = value.observe({
        let observed = observed.clone();
        move |_, new| observed.borrow_mut().push(*new)
    });
    let (signalled, _) = record(&pool, value.signal());
    pool.run_until_stalled();
    for n in 1..=100 {
        value.set(n);
    }
    pool.run_until_stalled();
    assert_eq!(*observed.borrow(), (1..=100).collect::<Vec<_>>());
    // The signal skipped the intermediate values and ended on the last one.
    assert_eq!(*signalled.borrow(), [0, 100]);
}

#[test]
fn equal_set_does_not_wake_the_signal() {
    let mut pool = LocalPool::new();
    let value = Observable::new(5);
    let (seen, _) = record(&pool, value.signal());
    pool.run_until_stalled();
    assert!(!value.set(5));
    pool.run_until_stalled();
    assert_eq!(*seen.borrow(), [5]);
}

#[test]
fn map_and_dedupe_skip_equal_results() {
    let mut pool = LocalPool::new();
    let value = Observable::new(3);
    let (tens, _) = record(&pool, value.signal().map(|n| n / 10).dedupe());
    pool.run_until_stalled();
    for n in [4, 5, 9] {
        value.set(n);
        pool.run_until_stalled();
    }
    value.set(15);
    pool.run_until_stalled();
    value.set(17);
    pool.run_until_stalled();
    assert_eq!(*tens.borrow(), [0, 1]);
}

#[test]
fn map_ref_combines_two_observables() {
    let mut pool = LocalPool::new();
    let name = Observable::new("inbox".to_string());
    let unread = Observable::new(0u32);
    let label = map_ref! {
        let name = name.signal(),
        let unread = unread.signal() =>
        format!("{name} ({unread})")
    };
    let (labels, _) = record(&pool, label);
    pool.run_until_stalled();
    unread.set(3);
    pool.run_until_stalled();
    name.set("spam".to_string());
    unread.set(7);
    pool.run_until_stalled();
    assert_eq!(*labels.borrow(), ["inbox (0)", "inbox (3)", "spam (7)"]);
}

#[test]
fn derived_and_event_signals_on_a_pool() {
    let mut pool = LocalPool::new();
    let celsius = Observable::new(20);
    let hot = celsius.map(|c| *c >= 30);
    let alarm: Event<&'static str> = Event::new();
    let (hot_seen, _) = record(&pool, hot.signal());
    let (alarm_seen, _) = record(&pool, alarm.signal());
    pool.run_until_stalled();
    celsius.set(25); // still not hot: the derived value does not change
    pool.run_until_stalled();
    celsius.set(35);
    alarm.fire("first");
    alarm.fire("second");
    pool.run_until_stalled();
    assert_eq!(*hot_seen.borrow(), [false, true]);
    assert_eq!(*alarm_seen.borrow(), [None, Some("second")]);
}

#[test]
fn signal_ends_when_the_observable_is_dropped() {
    let mut pool = LocalPool::new();
    let value = Observable::new(1);
    let (seen, ended) = record(&pool, value.signal());
    pool.run_until_stalled();
    assert!(!ended.get());
    value.set(2);
    drop(value);
    pool.run_until_stalled();
    assert!(ended.get());
    assert_eq!(*seen.borrow(), [1, 2]);
}
