//! `workload=process` (feature `process`): calls and messages through the process context
//! beside the same work on threads, in one run. One line:
//!
//! ```text
//! workload=process load=L calls=N call_rate=R thread_call_rate=T call_ratio=X messages=M message_rate=R thread_message_rate=T message_ratio=X
//! ```
//!
//! with each ratio = thread rate / process rate (how many times dearer the process context
//! is). Calls: `N` small calls (a square) on two workers, children or threads, each future
//! observed to its end; the process pool's children are started before the timing (a real
//! program starts them once). Messages: one task sends `M` `u64`s, each delivered through the
//! future's items event. The bench binary is its own child: `main` calls `process::init` first.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Instant;

use traits_futures::process::{
    submit_process_call, submit_process_iteration, ChildContext, ProcessCall, ProcessPool,
    ProcessTask,
};
use traits_futures::{submit_call, submit_generator, TaskCancelled, TraitsExecutor};

use crate::{median, rounds, Load, WORKERS};

fn square(i: u64) -> u64 {
    i.pow(2)
}

fn numbers(n: u64, items: &ChildContext<'_, u64>) -> Result<(), TaskCancelled> {
    for i in 0..n {
        items.send(i)?;
    }
    Ok(())
}

const SQUARE: ProcessCall<u64, u64> = ProcessCall::new("bench_square", square);
const NUMBERS: ProcessTask<u64, u64, ()> = ProcessTask::new("bench_numbers", numbers);

/// The tasks this bench's children serve.
pub(crate) fn init() {
    traits_futures::process::init(&[&SQUARE, &NUMBERS]);
}

fn executor() -> TraitsExecutor {
    TraitsExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .unwrap()
}

/// Runs `n` calls made by `submit` (which makes an observer of each call's `done` count into
/// the counter it is given), and returns calls per second.
fn calls(
    n: usize,
    executor: &TraitsExecutor,
    mut submit: impl FnMut(u64, &Rc<Cell<usize>>),
) -> f64 {
    let start = Instant::now();
    let done = Rc::new(Cell::new(0usize));
    for i in 0..n as u64 {
        submit(i, &done);
    }
    executor.run_until(|| done.get() == n, None).unwrap();
    n as f64 / start.elapsed().as_secs_f64()
}

/// Makes an observer of `done` count into `count` when the future ends.
fn count_into(done: traits_futures::FutureProperty<bool>, count: &Rc<Cell<usize>>) {
    let count = count.clone();
    done.observe(move |_, _| count.set(count.get() + 1))
        .detach();
}

fn process_calls(n: usize, pool: &ProcessPool) -> f64 {
    let executor = executor();
    let rate = calls(n, &executor, |i, done| {
        let future = submit_process_call(&executor, pool, &SQUARE, i).unwrap();
        count_into(future.done(), done);
    });
    executor.shutdown(None).unwrap();
    rate
}

fn thread_calls(n: usize) -> f64 {
    let executor = executor();
    let rate = calls(n, &executor, |i, done| {
        let future = submit_call(&executor, move || square(i)).unwrap();
        count_into(future.done(), done);
    });
    executor.shutdown(None).unwrap();
    rate
}

/// Messages per second through the items event of the future `submit` makes.
fn messages<F: traits_futures::FutureHandler>(
    n: usize,
    submit: impl FnOnce(&TraitsExecutor) -> traits_futures::TaskFuture<F>,
    items: impl Fn(&traits_futures::TaskFuture<F>) -> &traits_core::Event<u64>,
) -> f64 {
    let executor = executor();
    let start = Instant::now();
    let future = submit(&executor);
    let count = Rc::new(Cell::new(0usize));
    let _observer = items(&future).observe({
        let count = count.clone();
        move |_| count.set(count.get() + 1)
    });
    executor.run_until(|| future.done().get(), None).unwrap();
    assert_eq!(count.get(), n);
    let rate = n as f64 / start.elapsed().as_secs_f64();
    executor.shutdown(None).unwrap();
    rate
}

pub(crate) fn run(load: Load, n_calls: usize, n_messages: usize) {
    let pool = ProcessPool::builder().max_workers(WORKERS).build().unwrap();
    // Start the children before the timing: one call on each.
    process_calls(WORKERS * 4, &pool);
    let rounds = rounds().min(5);
    let (mut call_rates, mut thread_call_rates) = (Vec::new(), Vec::new());
    let (mut message_rates, mut thread_message_rates) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        call_rates.push(process_calls(n_calls, &pool));
        thread_call_rates.push(thread_calls(n_calls));
        message_rates.push(messages(
            n_messages,
            |executor| {
                submit_process_iteration(executor, &pool, &NUMBERS, n_messages as u64).unwrap()
            },
            |future| future.items(),
        ));
        thread_message_rates.push(messages(
            n_messages,
            |executor| {
                submit_generator(executor, move |items| {
                    for i in 0..n_messages as u64 {
                        items.send(i)?;
                    }
                    Ok(())
                })
                .unwrap()
            },
            |future| future.items(),
        ));
    }
    let (call_rate, thread_call_rate) = (median(call_rates), median(thread_call_rates));
    let (message_rate, thread_message_rate) = (median(message_rates), median(thread_message_rates));
    println!(
        "workload=process load={} calls={n_calls} call_rate={call_rate:.0} thread_call_rate={thread_call_rate:.0} call_ratio={:.2} messages={n_messages} message_rate={message_rate:.0} thread_message_rate={thread_message_rate:.0} message_ratio={:.2}",
        load.name(),
        thread_call_rate / call_rate,
        thread_message_rate / message_rate,
    );
}
