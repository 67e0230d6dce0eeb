//! Fizz Buzz: a custom task type (see `fizz_buzz_task.rs`), watched from the main thread.
//!
//! Run with `cargo run -p examples --example fizz_buzz`. The task counts until cancelled; the
//! main thread prints each message as its future receives it and cancels after the third
//! FizzBuzz.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use traits_futures::{FutureState, TraitsExecutor};

#[path = "fizz_buzz_task.rs"]
mod fizz_buzz_task;

use fizz_buzz_task::{FizzBuzzFuture, FizzBuzzHandler, FizzBuzzTask};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let executor = TraitsExecutor::new();
    let task = FizzBuzzTask {
        delay: Duration::from_millis(5),
        last: None, // count until cancelled
    };
    let future: FizzBuzzFuture = executor.submit((FizzBuzzHandler::default(), task))?;

    let _state = future
        .state()
        .observe(|old, new| println!("state: {old} -> {new}"));
    let _fizz = future.fizz.observe(|n| println!("Fizz {n}"));
    let _buzz = future.buzz.observe(|n| println!("Buzz {n}"));
    let fizz_buzzes = Rc::new(Cell::new(0));
    let _fizz_buzz = future.fizz_buzz.observe({
        let (future, fizz_buzzes) = (future.clone(), fizz_buzzes.clone());
        move |n| {
            println!("FizzBuzz {n}");
            fizz_buzzes.set(fizz_buzzes.get() + 1);
            if fizz_buzzes.get() == 3 {
                println!("three FizzBuzzes: cancelling");
                future.cancel();
            }
        }
    });

    executor.run_until(|| future.done().get(), Some(Duration::from_secs(60)))?;
    assert_eq!(future.state().get(), FutureState::Cancelled);
    executor.shutdown(Some(Duration::from_secs(10)))?;
    Ok(())
}
