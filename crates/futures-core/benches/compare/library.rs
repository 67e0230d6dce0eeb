//! The library, on the floor's workloads.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use traits_futures::{submit_call, submit_iteration, submit_progress, TraitsExecutor};

use crate::floor::spin_for;
use crate::{settle_allocator, WORKERS};

// ---------------------------------------------------------------------------------------------
// The library, on the same workloads.

pub(crate) fn library_calls(n: usize) -> f64 {
    let start = Instant::now();
    let executor = TraitsExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .unwrap();
    let done = Rc::new(Cell::new(0usize));
    for i in 0..n {
        let future = submit_call(&executor, move || (i as u64).pow(2)).unwrap();
        let done = done.clone();
        future
            .done()
            .observe(move |_, _| done.set(done.get() + 1))
            .detach();
    }
    executor.run_until(|| done.get() == n, None).unwrap();
    executor.shutdown(None).unwrap();
    drop(executor);
    settle_allocator();
    n as f64 / start.elapsed().as_secs_f64()
}

pub(crate) fn library_iteration(n: usize) -> f64 {
    let start = Instant::now();
    let executor = TraitsExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .unwrap();
    let future = submit_iteration(&executor, move || 0..n as u64).unwrap();
    let count = Rc::new(Cell::new(0usize));
    let _observer = future.items().observe({
        let count = count.clone();
        move |_| count.set(count.get() + 1)
    });
    executor.run_until(|| future.done().get(), None).unwrap();
    assert_eq!(count.get(), n);
    executor.shutdown(None).unwrap();
    drop((future, executor));
    settle_allocator();
    n as f64 / start.elapsed().as_secs_f64()
}

pub(crate) fn library_progress(n: usize) -> f64 {
    let start = Instant::now();
    let executor = TraitsExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .unwrap();
    let future = submit_progress(&executor, move |reporter| {
        for i in 0..n as u64 {
            reporter.report(i)?;
        }
        Ok(n)
    })
    .unwrap();
    let count = Rc::new(Cell::new(0usize));
    let _observer = future.reports().observe({
        let count = count.clone();
        move |_| count.set(count.get() + 1)
    });
    executor.run_until(|| future.done().get(), None).unwrap();
    assert_eq!(count.get(), n);
    executor.shutdown(None).unwrap();
    drop((future, executor));
    settle_allocator();
    n as f64 / start.elapsed().as_secs_f64()
}

pub(crate) fn library_latency(n: usize, gap: Duration) -> Vec<f64> {
    let executor = TraitsExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .unwrap();
    let future = submit_progress(&executor, move |reporter| {
        for _ in 0..n {
            spin_for(gap);
            reporter.report(Instant::now())?;
        }
        Ok(())
    })
    .unwrap();
    let latencies = Rc::new(std::cell::RefCell::new(Vec::with_capacity(n)));
    let _observer = future.reports().observe({
        let latencies = latencies.clone();
        move |sent: &Instant| {
            latencies
                .borrow_mut()
                .push(sent.elapsed().as_secs_f64() * 1e6)
        }
    });
    executor.run_until(|| future.done().get(), None).unwrap();
    executor.shutdown(None).unwrap();
    latencies.take()
}
