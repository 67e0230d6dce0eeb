//! Memory per waiting future, counted by a global allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};

use traits_futures::{submit_call, TraitsExecutor};

use crate::WORKERS;

/// Counts the bytes the process has allocated and not yet freed, so that memory per future is
/// measured exactly (resident-set figures hide reused pages). It counts only while the memory
/// workload runs: a counter updated by every thread at every allocation would be a contended
/// cache line in the other workloads, and would measure itself rather than the library.
struct CountingAllocator;

static COUNTING: AtomicBool = AtomicBool::new(false);
static LIVE_BYTES: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method delegates to the system allocator with the caller's arguments unchanged,
// so the allocator contract holds as it does for `System`; the counter is only bookkeeping.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE_BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            LIVE_BYTES.fetch_add(new_size, Ordering::Relaxed);
            LIVE_BYTES.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn live_bytes() -> usize {
    LIVE_BYTES.load(Ordering::Relaxed)
}

/// Bytes allocated per future, with `n` futures waiting behind busy workers: everything the
/// library holds for a waiting future (the future, its pipe, its job in the pool's queue).
pub(crate) fn library_memory(n: usize) -> f64 {
    let executor = TraitsExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .unwrap();
    let (release, gate) = mpsc::channel::<()>();
    let gate = Arc::new(std::sync::Mutex::new(gate));
    let (started, busy) = mpsc::channel();
    for _ in 0..WORKERS {
        let (gate, started) = (gate.clone(), started.clone());
        submit_call(&executor, move || {
            started.send(()).unwrap();
            let _ = gate.lock().unwrap().recv();
        })
        .unwrap();
    }
    for _ in 0..WORKERS {
        busy.recv().unwrap();
    }
    // The handles the caller keeps are not counted. Only the submitting thread allocates or frees while
    // counting: the workers are blocked.
    let mut futures = Vec::with_capacity(n);
    COUNTING.store(true, Ordering::SeqCst);
    let before = live_bytes();
    for _ in 0..n {
        futures.push(submit_call(&executor, || ()).unwrap());
    }
    let after = live_bytes();
    COUNTING.store(false, Ordering::SeqCst);
    drop(release);
    // Wait on the executor's count: a condition over every future would be checked after every
    // message, quadratic in n.
    executor
        .run_until(|| executor.running_tasks() == 0, None)
        .unwrap();
    assert!(futures.iter().all(|f| f.done().get()));
    executor.shutdown(None).unwrap();
    (after.saturating_sub(before)) as f64 / n as f64
}
