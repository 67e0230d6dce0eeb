//! `Event`: observers, lossless streams and the latest-value signal.

use std::cell::RefCell;
use std::rc::Rc;

use futures::executor::block_on;
use futures::StreamExt;
use futures_signals::signal::SignalExt;
use traits_core::Event;

type Log<T> = Rc<RefCell<Vec<T>>>;

fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

#[test]
fn every_value_is_delivered_in_order_equal_values_too() {
    let event: Event<&str> = Event::new();
    let seen = log();
    let _g = event.observe({
        let seen = seen.clone();
        move |v| seen.borrow_mut().push(*v)
    });
    for v in ["a", "a", "b", "a", "b", "b"] {
        event.fire(v);
    }
    assert_eq!(*seen.borrow(), ["a", "a", "b", "a", "b", "b"]);
}

#[test]
fn observers_run_in_registration_order_and_stop_when_the_guard_drops() {
    let event: Event<u8> = Event::default();
    let seen = log();
    let first = event.observe({
        let seen = seen.clone();
        move |v| seen.borrow_mut().push(("first", *v))
    });
    let _second = event.observe({
        let seen = seen.clone();
        move |v| seen.borrow_mut().push(("second", *v))
    });
    event.fire(1);
    drop(first);
    event.fire(2);
    assert_eq!(*seen.borrow(), [("first", 1), ("second", 1), ("second", 2)]);
    assert_eq!(event.observer_count(), 1);
}

#[test]
fn ten_thousand_fires_all_reach_the_stream_in_order() {
    let event: Event<u32> = Event::new();
    let stream = event.stream();
    for i in 0..10_000 {
        event.fire(i);
    }
    drop(event); // ends the stream once the buffered values are read
    let received: Vec<u32> = block_on(stream.collect());
    assert_eq!(received, (0..10_000).collect::<Vec<_>>());
}

#[test]
fn stream_polled_while_the_event_lives_sees_each_value_in_order() {
    let event: Event<u32> = Event::new();
    let mut stream = event.stream();
    for round in 0..100u32 {
        event.fire(round * 2);
        event.fire(round * 2 + 1);
        assert_eq!(block_on(stream.next()), Some(round * 2));
        assert_eq!(block_on(stream.next()), Some(round * 2 + 1));
    }
    // Nothing else buffered.
    assert!(stream.try_recv().is_err());
}

#[test]
fn stream_only_gets_values_fired_after_it_was_created() {
    let event: Event<u32> = Event::new();
    let early = event.stream();
    event.fire(1);
    let late = event.stream();
    event.fire(2);
    drop(event);
    assert_eq!(block_on(early.collect::<Vec<_>>()), [1, 2]);
    assert_eq!(block_on(late.collect::<Vec<_>>()), [2]);
}

#[test]
fn dropped_stream_is_unregistered_at_the_next_fire() {
    let event: Event<u32> = Event::new();
    let kept = event.stream();
    let dropped = event.stream();
    assert_eq!(event.observer_count(), 2);
    drop(dropped);
    assert_eq!(event.observer_count(), 2); // noticed lazily
    event.fire(1);
    assert_eq!(event.observer_count(), 1);
    event.fire(2);
    drop(event);
    assert_eq!(block_on(kept.collect::<Vec<_>>()), [1, 2]);
}

#[test]
fn streams_run_after_observers() {
    let event: Event<u32> = Event::new();
    let stream = Rc::new(RefCell::new(event.stream()));
    let buffered_during_observer = log();
    // Registered after the stream, yet it runs first: the stream has not received the value.
    let _g = event.observe({
        let stream = stream.clone();
        let buffered = buffered_during_observer.clone();
        move |_| {
            buffered
                .borrow_mut()
                .push(stream.borrow_mut().try_recv().is_ok())
        }
    });
    event.fire(7);
    assert_eq!(*buffered_during_observer.borrow(), [false]);
    assert_eq!(stream.borrow_mut().try_recv().ok(), Some(7));
}

#[test]
fn signal_gives_the_latest_value() {
    let event: Event<u32> = Event::new();
    let mut latest = event.signal().to_stream();
    assert_eq!(block_on(latest.next()), Some(None));
    event.fire(1);
    event.fire(2);
    event.fire(3);
    assert_eq!(block_on(latest.next()), Some(Some(3)));
    // A second signal shares the one tap and starts at the latest value.
    let mut again = event.signal().to_stream();
    assert_eq!(block_on(again.next()), Some(Some(3)));
    assert_eq!(event.observer_count(), 1);
}

#[test]
fn fire_without_observers_does_nothing() {
    let event: Event<String> = Event::new();
    event.fire("nobody listens".to_string());
    assert_eq!(event.observer_count(), 0);
    // A signal created afterwards has not seen that value.
    assert_eq!(block_on(event.signal().to_stream().next()), Some(None));
}

#[test]
fn clones_share_observers() {
    let event: Event<i32> = Event::new();
    let other = event.clone();
    let seen = log();
    let _g = other.observe({
        let seen = seen.clone();
        move |v| seen.borrow_mut().push(*v)
    });
    event.fire(4);
    assert_eq!(*seen.borrow(), [4]);
    assert_eq!(format!("{event:?}"), "Event { .. }");
}
