//! The Fizz Buzz task type: a custom task that counts slowly and tells its future about every
//! multiple of 3 (Fizz), of 5 (Buzz) and of both (FizzBuzz).
//!
//! It is the worked example of the guide's custom-task chapter. This file is shared by
//! `examples/fizz_buzz.rs` and the library's `custom_tasks` test, so both exercise the same code.

use std::convert::Infallible;
use std::time::Duration;

use traits_core::Event;
use traits_futures::{BackgroundTask, FutureHandler, TaskContext, TaskFuture};

/// What the background task tells its future. A typed enum: the handler's `match` is checked by
/// the compiler, where the Python original dispatches on message names at run time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FizzBuzzMessage {
    /// The number is a multiple of 3 only.
    Fizz(u64),
    /// The number is a multiple of 5 only.
    Buzz(u64),
    /// The number is a multiple of 15.
    FizzBuzz(u64),
}

/// The main-thread half: one event per kind of message.
#[derive(Default)]
pub struct FizzBuzzHandler {
    /// Fired with each multiple of 3 that is not a multiple of 5.
    pub fizz: Event<u64>,
    /// Fired with each multiple of 5 that is not a multiple of 3.
    pub buzz: Event<u64>,
    /// Fired with each multiple of 15.
    pub fizz_buzz: Event<u64>,
}

impl FutureHandler for FizzBuzzHandler {
    type Message = FizzBuzzMessage;
    type Output = u64;
    type Error = Infallible;

    fn on_message(&self, message: FizzBuzzMessage) {
        match message {
            FizzBuzzMessage::Fizz(n) => self.fizz.fire(n),
            FizzBuzzMessage::Buzz(n) => self.buzz.fire(n),
            FizzBuzzMessage::FizzBuzz(n) => self.fizz_buzz.fire(n),
        }
    }
}

/// The future of a Fizz Buzz task.
pub type FizzBuzzFuture = TaskFuture<FizzBuzzHandler>;

/// The background half: counts from 1, pausing `delay` per number, until cancelled or past
/// `last` (if given). Returns the last number it reached.
pub struct FizzBuzzTask {
    /// How long to pause on each number (the "slow" in counting slowly).
    pub delay: Duration,
    /// Stop after this number; `None` counts until cancelled.
    pub last: Option<u64>,
}

impl BackgroundTask for FizzBuzzTask {
    type Message = FizzBuzzMessage;
    type Output = u64;
    type Error = Infallible;

    fn run(self, context: &TaskContext<'_, FizzBuzzMessage>) -> Result<u64, Infallible> {
        let mut n = 0;
        while !context.cancelled() && self.last.is_none_or(|last| n < last) {
            n += 1;
            let message = match (n % 3 == 0, n % 5 == 0) {
                (true, true) => Some(FizzBuzzMessage::FizzBuzz(n)),
                (true, false) => Some(FizzBuzzMessage::Fizz(n)),
                (false, true) => Some(FizzBuzzMessage::Buzz(n)),
                (false, false) => None,
            };
            if let Some(message) = message {
                if context.send(message).is_err() {
                    break; // cancelled
                }
            }
            if !self.delay.is_zero() {
                std::thread::sleep(self.delay);
            }
        }
        Ok(n)
    }
}
