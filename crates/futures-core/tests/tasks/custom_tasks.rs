//! Custom task types (section H): typed messages, the shared state machine, the background
//! half's `send`/`cancelled`, and the Fizz Buzz example of the guide.

use std::cell::RefCell;
use std::convert::Infallible;
use std::rc::Rc;
use std::sync::mpsc;
use std::time::Duration;

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    BackgroundTask, FutureHandler, FutureState, TaskContext, TaskError, TaskFuture, TaskMessage,
    TraitsExecutor,
};

#[path = "../../../../examples/fizz_buzz_task.rs"]
mod fizz_buzz_task;

use fizz_buzz_task::{FizzBuzzFuture, FizzBuzzHandler, FizzBuzzMessage, FizzBuzzTask};

/// Records every message the handler receives, in order.
#[derive(Default)]
struct RecordingHandler {
    received: Rc<RefCell<Vec<u32>>>,
}

impl FutureHandler for RecordingHandler {
    type Message = u32;
    type Output = &'static str;
    type Error = String;
    fn on_message(&self, message: u32) {
        self.received.borrow_mut().push(message);
    }
}

type Message = TaskMessage<u32, &'static str, String>;

fn detached() -> TaskFuture<RecordingHandler> {
    TaskFuture::detached(RecordingHandler::default(), || {})
}

#[test]
fn h110_custom_messages_are_delivered_only_while_executing() {
    let future = detached();
    future.receive(Message::Started).unwrap();
    future.receive(Message::Custom(1)).unwrap();
    future.receive(Message::Custom(2)).unwrap();
    assert_eq!(*future.received.borrow(), [1, 2]);
    assert_eq!(future.state().get(), FutureState::Executing);
}

#[test]
fn h110_custom_messages_after_a_cancel_are_dropped_silently() {
    let future = detached();
    future.receive(Message::Started).unwrap();
    future.receive(Message::Custom(1)).unwrap();
    assert!(future.cancel());
    assert_eq!(future.receive(Message::Custom(2)), Ok(()));
    future.receive(Message::Returned("late")).unwrap();
    assert_eq!(*future.received.borrow(), [1]);
    assert_eq!(future.state().get(), FutureState::Cancelled);
}

/// Feeds `letters` (S, R, X, A, C) to `future`.
fn drive(future: &TaskFuture<RecordingHandler>, letters: &str) {
    for letter in letters.chars() {
        match letter {
            'S' => future.receive(Message::Started).unwrap(),
            'R' => future.receive(Message::Returned("r")).unwrap(),
            'X' => future
                .receive(Message::Failed(TaskError::Error("e".into())))
                .unwrap(),
            'A' => future.receive(Message::Abandoned).unwrap(),
            'C' => assert!(future.cancel()),
            _ => unreachable!(),
        }
    }
}

#[test]
fn h110_custom_messages_anywhere_else_are_protocol_violations() {
    // Waiting, cancelling before start, and every final state.
    for prefix in ["", "C", "SR", "SX", "CA", "SCR", "CSX"] {
        let future = detached();
        drive(&future, prefix);
        let before = future.state().get();
        assert!(
            future.receive(Message::Custom(9)).is_err(),
            "after {prefix:?}"
        );
        assert_eq!(future.state().get(), before);
        assert!(future.received.borrow().is_empty());
    }
}

/// Drives a fresh custom future through one complete sequence and returns the recorded
/// (state, cancellable, done) histories.
fn run_sequence(sequence: &str) -> (Vec<FutureState>, Vec<bool>, Vec<bool>) {
    let future: FizzBuzzFuture = TaskFuture::detached(FizzBuzzHandler::default(), || {});
    let states = Recorder::observable(future.state());
    let cancellable = Recorder::derived(future.cancellable());
    let done = Recorder::derived(future.done());
    for letter in sequence.chars() {
        match letter {
            'C' => assert!(future.cancel()),
            'S' => future.receive(TaskMessage::Started).unwrap(),
            'M' => future
                .receive(TaskMessage::Custom(FizzBuzzMessage::Fizz(3)))
                .unwrap(),
            'R' => future.receive(TaskMessage::Returned(15)).unwrap(),
            'X' => future
                .receive(TaskMessage::Failed(TaskError::Panicked("x".into())))
                .unwrap(),
            'A' => future.receive(TaskMessage::Abandoned).unwrap(),
            _ => unreachable!(),
        }
    }
    (states.values(), cancellable.values(), done.values())
}

#[test]
fn h111_a_custom_future_runs_the_shared_state_machine() {
    use FutureState::*;
    let cases: [(&str, &[FutureState]); 7] = [
        ("SR", &[Waiting, Executing, Completed]),
        ("SX", &[Waiting, Executing, Failed]),
        ("CSR", &[Waiting, Cancelling, Cancelled]),
        ("CSX", &[Waiting, Cancelling, Cancelled]),
        ("SCR", &[Waiting, Executing, Cancelling, Cancelled]),
        ("SCX", &[Waiting, Executing, Cancelling, Cancelled]),
        ("CA", &[Waiting, Cancelling, Cancelled]),
    ];
    for (sequence, expected) in cases {
        let (states, cancellable, done) = run_sequence(sequence);
        assert_eq!(states, expected, "{sequence}");
        assert_eq!(
            cancellable,
            [true, false],
            "{sequence}: cancellable flips once"
        );
        assert_eq!(done, [false, true], "{sequence}: done flips once");
    }
    // Custom messages in Executing change no state.
    let (states, _, _) = run_sequence("SMMR");
    assert_eq!(states, [Waiting, Executing, Completed]);
}

/// A task that sends a few messages, then reports `cancelled()` until it sees a cancel.
struct Chatty {
    sent: u32,
    observed_cancel: mpsc::Sender<bool>,
    gate: mpsc::Receiver<()>,
}

impl BackgroundTask for Chatty {
    type Message = u32;
    type Output = &'static str;
    type Error = String;
    fn run(self, context: &TaskContext<'_, u32>) -> Result<&'static str, String> {
        for n in 0..self.sent {
            context.send(n).map_err(|e| e.to_string())?;
        }
        self.observed_cancel.send(context.cancelled()).unwrap();
        self.gate.recv().unwrap(); // the test cancels here
        self.observed_cancel.send(context.cancelled()).unwrap();
        if context.send(99).is_ok() {
            return Err("send succeeded after cancel".into());
        }
        Ok("saw the cancel")
    }
}

#[test]
fn h112_background_half_sends_checks_cancelled_and_library_wraps_it() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (observed_cancel, cancel_seen) = mpsc::channel();
    let (release, gate) = mpsc::channel();
    let handler = RecordingHandler::default();
    let received = handler.received.clone();
    let future = executor
        .submit((
            handler,
            Chatty {
                sent: 3,
                observed_cancel,
                gate,
            },
        ))
        .unwrap();
    let states = Recorder::observable(future.state());
    assert_eq!(cancel_seen.recv_timeout(TEST_TIMEOUT), Ok(false));
    executor
        .run_until(|| received.borrow().len() == 3, Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    let _ = release.send(()); // (gone if the task was cancelled before it started)
    assert_eq!(cancel_seen.recv_timeout(TEST_TIMEOUT), Ok(true));
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    use FutureState::*;
    assert_eq!(states.values(), [Waiting, Executing, Cancelling, Cancelled]);
    assert_eq!(*received.borrow(), [0, 1, 2]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn h112_the_library_sends_returned_with_the_tasks_value() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (observed_cancel, _cancel_seen) = mpsc::channel();
    let (release, gate) = mpsc::channel();
    release.send(()).unwrap();
    let future = executor
        .submit((
            RecordingHandler::default(),
            Chatty {
                sent: 2,
                observed_cancel,
                gate,
            },
        ))
        .unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    // Not cancelled: the final `send(99)` succeeded, so the task returned an error, typed.
    assert_eq!(
        future.error(),
        Ok(&TaskError::Error("send succeeded after cancel".to_string()))
    );
    assert_eq!(*future.received.borrow(), [0, 1, 99]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn h113_fizz_buzz_messages_arrive_in_order_with_their_numbers() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let task = FizzBuzzTask {
        delay: Duration::ZERO,
        last: Some(30),
    };
    let future = executor.submit((FizzBuzzHandler::default(), task)).unwrap();
    let log = Rc::new(RefCell::new(Vec::new()));
    let record = |kind: &'static str| {
        let log = log.clone();
        move |n: &u64| log.borrow_mut().push(format!("{kind} {n}"))
    };
    let _fizz = future.fizz.observe(record("Fizz"));
    let _buzz = future.buzz.observe(record("Buzz"));
    let _fizz_buzz = future.fizz_buzz.observe(record("FizzBuzz"));
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();

    let expected: Vec<String> = (1..=30u64)
        .filter_map(|n| match (n % 3, n % 5) {
            (0, 0) => Some(format!("FizzBuzz {n}")),
            (0, _) => Some(format!("Fizz {n}")),
            (_, 0) => Some(format!("Buzz {n}")),
            _ => None,
        })
        .collect();
    assert_eq!(*log.borrow(), expected);
    assert_eq!(future.result(), Ok(&30));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn h113_fizz_buzz_stops_when_cancelled() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let task = FizzBuzzTask {
        delay: Duration::ZERO,
        last: None,
    };
    let future = executor.submit((FizzBuzzHandler::default(), task)).unwrap();
    let fizz_buzzes = Recorder::event(&future.fizz_buzz);
    executor
        .run_until(|| fizz_buzzes.len() >= 2, Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    let seen_at_cancel = fizz_buzzes.len();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), FutureState::Cancelled);
    assert_eq!(
        fizz_buzzes.len(),
        seen_at_cancel,
        "nothing after the cancel"
    );
    assert_eq!(fizz_buzzes.values()[..2], [15, 30]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

// A custom task whose error type is `Infallible` can only complete (or panic).
#[test]
fn h112_infallible_custom_task_completes() {
    struct Once;
    impl BackgroundTask for Once {
        type Message = FizzBuzzMessage;
        type Output = u64;
        type Error = Infallible;
        fn run(self, context: &TaskContext<'_, FizzBuzzMessage>) -> Result<u64, Infallible> {
            let _ = context.send(FizzBuzzMessage::Buzz(5));
            Ok(5)
        }
    }
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let future = executor.submit((FizzBuzzHandler::default(), Once)).unwrap();
    let buzzes = Recorder::event(&future.buzz);
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(buzzes.values(), [5]);
    assert_eq!(future.result(), Ok(&5));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
