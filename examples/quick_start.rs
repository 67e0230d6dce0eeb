//! Quick start: a call, an interruptible Monte-Carlo estimate of pi, and a progress task shown
//! as a terminal progress bar (the `indicatif` binding), all watched from the main thread.
//!
//! Run with `cargo run --release -p examples --example quick_start`.

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};
use traits_futures::terminal::bind_progress_bar;
use traits_futures::{
    submit_call, submit_generator, submit_progress, FutureState, TaskCancelled, TraitsExecutor,
};

/// A small xorshift generator, so that the example needs no extra crate.
struct XorShift(u64);

impl XorShift {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn count_primes_below(n: u64) -> usize {
    (2..n)
        .filter(|&k| {
            (2..)
                .take_while(|d| d * d <= k)
                .all(|d| !k.is_multiple_of(d))
        })
        .count()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let executor = TraitsExecutor::builder().max_workers(3).build()?;
    let _executor_log = executor
        .state()
        .observe(|old, new| println!("[executor] {old} -> {new}"));

    // 1. A call: one value back.
    let primes = submit_call(&executor, || count_primes_below(200_000))?;
    let _primes_log = primes
        .state()
        .observe(|old, new| println!("[primes] {old} -> {new}"));

    // 2. An interruptible iteration: partial estimates of pi, one per chunk of samples, and a
    //    final estimate as the result. We cancel it once it has sent five estimates.
    let pi = submit_generator(&executor, |estimates| {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        let (mut inside, mut total) = (0u64, 0u64);
        for _chunk in 0..1_000 {
            for _ in 0..2_000_000 {
                let (x, y) = (rng.next_f64(), rng.next_f64());
                inside += u64::from(x * x + y * y <= 1.0);
                total += 1;
            }
            estimates.send(4.0 * inside as f64 / total as f64)?; // Err once cancelled: stop
        }
        Ok::<f64, TaskCancelled>(4.0 * inside as f64 / total as f64)
    })?;
    let _pi_log = pi
        .state()
        .observe(|old, new| println!("[pi] {old} -> {new}"));
    let _pi_items = pi.items().observe({
        let pi = pi.clone();
        let received = std::cell::Cell::new(0);
        move |estimate| {
            received.set(received.get() + 1);
            println!("[pi] estimate #{}: {estimate:.5}", received.get());
            if received.get() == 5 {
                println!("[pi] enough: cancelling");
                pi.cancel();
            }
        }
    });

    // 3. A progress task, drawn as a terminal progress bar bound to the future: the bar follows
    //    its latest report, and ends with its final state.
    let steps = 40u64;
    let copy = submit_progress(&executor, move |reporter| {
        for step in 1..=steps {
            std::thread::sleep(Duration::from_millis(15)); // stands for real work
            reporter.report((step, steps))?;
        }
        Ok(steps)
    })?;
    let bar = ProgressBar::no_length().with_style(ProgressStyle::with_template(
        "[copy] {bar:40} {pos}/{len} {msg}",
    )?);
    bind_progress_bar(&copy, &bar);

    executor.run_until(
        || primes.done().get() && pi.done().get() && copy.done().get(),
        None,
    )?;

    println!("primes below 200000: {}", primes.result()?);
    println!("copied {} files", copy.result()?);
    assert_eq!(pi.state().get(), FutureState::Cancelled);
    executor.shutdown(Some(Duration::from_secs(10)))?;
    Ok(())
}
