//! Stress tests of volume: 200 000 calls with random cancels and a stop midway, and 64
//! iterations of 10 000 items interleaved under a busy main thread, checked exactly. Panics and
//! shutdown timeouts are in `stress_faults.rs`.
//!
//! Every test here is `#[ignore]`d; run them in release with `just stress`, that is
//! `cargo test -p traits-futures --release --tests -- --ignored` (CI runs it too).
//!
//! Thread counts come from `/proc/self/task`, as in `threads.rs`, through the harness in
//! `common/stress.rs`: each scenario runs on a thread of its own (`tf-stress`), serialised with
//! the others, and the harness's threads (the main thread, and threads named after these tests)
//! are left out of the count.

#![cfg(target_os = "linux")]

mod common;
use common::stress::{baseline, run_scenario, settle_to, TestResult};

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_iteration, CallFuture, ExecutorState, FutureState, IterationFuture,
    SubmitError, TraitsExecutor,
};

/// A small deterministic generator (xorshift64*), so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Keeps the calling thread busy (a main thread doing its own work between event-loop turns).
fn busy(duration: Duration) {
    let end = Instant::now() + duration;
    while Instant::now() < end {
        std::hint::spin_loop();
    }
}

/// Some work for a task (`rounds` multiply-adds), so that tasks overlap and backlogs build up.
fn work(seed: u64, rounds: u64) -> u64 {
    (0..rounds).fold(seed, |acc, k| {
        std::hint::black_box(acc.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(k))
    })
}

// ---------------------------------------------------------------------------------------------
// Volume: 200 000 calls, random cancels, stop midway

#[test]
#[ignore = "stress: run with --ignored in release"]
fn stress_200k_calls_random_cancels_and_a_stop_midway() -> TestResult {
    run_scenario(|| {
        const N: usize = 200_000;
        const CHUNK: usize = 2_000;
        let before = baseline();
        let started = Instant::now();
        let executor = TraitsExecutor::builder().max_workers(4).build()?;
        let ran: Arc<Vec<AtomicBool>> = Arc::new((0..N).map(|_| AtomicBool::new(false)).collect());
        let mut rng = Rng(0x5eed_1234_abcd_0001);
        let mut futures: Vec<CallFuture<u64>> = Vec::with_capacity(N);
        let mut cancelled = vec![false; N];
        let mut at_stop: Option<Vec<FutureState>> = None;
        let mut refused = 0;

        // Stops the executor once half the futures are done, remembering every state just
        // before (nothing is dispatched between the snapshot and the stop).
        let stop_if_half_done = |futures: &Vec<CallFuture<u64>>,
                                 at_stop: &mut Option<Vec<FutureState>>|
         -> TestResult {
            let done = futures.len() - executor.running_tasks();
            if at_stop.is_none() && done >= N / 2 {
                *at_stop = Some(futures.iter().map(|f| f.state().get()).collect());
                executor.stop()?;
                // e72 at scale: everything unfinished is Cancelling once stop() returns.
                for future in futures {
                    let state = future.state().get();
                    assert!(state.is_done() || state == FutureState::Cancelling);
                }
            }
            Ok(())
        };

        for i in 0..N {
            if i > 0 && i % CHUNK == 0 {
                // Cancel some futures at random: waiting, running or already done.
                for _ in 0..CHUNK / 20 {
                    let j = rng.below(futures.len());
                    if futures[j].cancel() {
                        cancelled[j] = true;
                    }
                }
                executor.dispatch_pending();
                stop_if_half_done(&futures, &mut at_stop)?;
            }
            let ran = Arc::clone(&ran);
            match submit_call(&executor, move || {
                ran[i].store(true, Ordering::SeqCst);
                std::hint::black_box(work(i as u64, 5_000));
                i as u64 * 3
            }) {
                Ok(future) => futures.push(future),
                Err(SubmitError::NotRunning(_)) => refused += 1,
                Err(other) => return Err(other.into()),
            }
        }
        if at_stop.is_none() {
            executor.run_until(
                || futures.len() - executor.running_tasks() >= N / 2,
                Some(Duration::from_secs(120)),
            )?;
            stop_if_half_done(&futures, &mut at_stop)?;
        }
        executor.shutdown(Some(Duration::from_secs(120)))?;
        assert_eq!(executor.state().get(), ExecutorState::Stopped);
        assert_eq!(executor.running_tasks(), 0);

        let at_stop = at_stop.expect("stopped");
        let submitted = futures.len();
        assert_eq!(submitted + refused, N);
        let (mut completed, mut by_cancel, mut by_stop) = (0, 0, 0);
        for (i, future) in futures.iter().enumerate() {
            let state = future.state().get();
            if cancelled[i] {
                assert_eq!(state, FutureState::Cancelled, "future {i}, cancelled");
                by_cancel += 1;
            } else if at_stop[i].is_done() {
                assert_eq!(at_stop[i], FutureState::Completed, "future {i}");
                assert_eq!(
                    state,
                    FutureState::Completed,
                    "future {i} changed after done"
                );
                assert_eq!(future.result(), Ok(&(i as u64 * 3)), "future {i}");
                assert!(ran[i].load(Ordering::SeqCst));
                completed += 1;
            } else {
                assert_eq!(
                    state,
                    FutureState::Cancelled,
                    "future {i}, unfinished at stop"
                );
                by_stop += 1;
            }
        }
        // The results are exactly those of the uncancelled futures.
        assert_eq!(
            futures
                .iter()
                .filter(|f| f.state().get() == FutureState::Completed)
                .count(),
            completed
        );
        for i in submitted..N {
            assert!(!ran[i].load(Ordering::SeqCst), "refused task {i} ran (e71)");
        }
        let abandoned = (0..submitted)
            .filter(|&i| cancelled[i] && !ran[i].load(Ordering::SeqCst))
            .count();
        eprintln!(
            "200k calls: {submitted} submitted, {refused} refused after the stop, {completed} \
             completed, {by_cancel} cancelled by cancel() ({abandoned} before starting), \
             {by_stop} by stop(); {:?}",
            started.elapsed()
        );
        assert!(by_stop > 0, "the stop came after every task had finished");

        drop(futures);
        drop(executor);
        assert_eq!(settle_to(&before), before, "threads leaked");
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Interleaving: 64 iterations × 10 000 items under a busy main thread (f90 at scale)

/// Where one future's items are collected.
type Sink = Rc<RefCell<Vec<(u32, u32)>>>;

#[test]
#[ignore = "stress: run with --ignored in release"]
fn stress_64_iterations_of_10k_items_interleaved_under_a_busy_main_thread() -> TestResult {
    run_scenario(|| {
        const TASKS: u32 = 64;
        const ITEMS: u32 = 10_000;
        let before = baseline();
        let started = Instant::now();
        let executor = TraitsExecutor::builder().max_workers(8).build()?;
        let mut futures: Vec<IterationFuture<(u32, u32)>> = Vec::new();
        let mut received: Vec<Sink> = Vec::new();
        let mut guards = Vec::new();
        let delivered = Rc::new(Cell::new(0usize));
        for task in 0..TASKS {
            let future = submit_iteration(&executor, move || {
                (0..ITEMS).map(move |i| {
                    std::hint::black_box(work(u64::from(i), 200));
                    (task, i)
                })
            })?;
            let sink = Rc::new(RefCell::new(Vec::with_capacity(ITEMS as usize)));
            guards.push(future.items().observe({
                let (sink, delivered) = (Rc::clone(&sink), Rc::clone(&delivered));
                move |item| {
                    sink.borrow_mut().push(*item);
                    delivered.set(delivered.get() + 1);
                }
            }));
            futures.push(future);
            received.push(sink);
        }

        // The main thread has its own work: between event-loop turns of about 2 000 items it
        // is busy for 300 µs, so that batches pile up and many pipes interleave in each turn.
        let (mut turns, mut most) = (0, 0);
        let all_done = || futures.iter().all(|f| f.done().get());
        while !all_done() {
            let (start, target) = (delivered.get(), delivered.get() + 2_000);
            executor.run_until(
                || delivered.get() >= target || all_done(),
                Some(Duration::from_secs(120)),
            )?;
            most = most.max(delivered.get() - start);
            turns += 1;
            busy(Duration::from_micros(300));
        }
        assert_eq!(delivered.get(), (TASKS * ITEMS) as usize);
        for (task, (future, sink)) in futures.iter().zip(&received).enumerate() {
            assert_eq!(future.state().get(), FutureState::Completed);
            let sink = sink.borrow();
            assert_eq!(sink.len(), ITEMS as usize, "task {task}");
            for (i, item) in sink.iter().enumerate() {
                assert_eq!(*item, (task as u32, i as u32), "task {task}, item {i}");
            }
        }
        eprintln!(
            "64 x 10 000 items: {turns} event-loop turns, up to {most} items per turn; {:?}",
            started.elapsed()
        );
        executor.shutdown(Some(TEST_TIMEOUT))?;
        drop((guards, futures, executor));
        assert_eq!(settle_to(&before), before, "threads leaked");
        Ok(())
    })
}
