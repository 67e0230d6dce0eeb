//! Issue 22, section 8: the built-in pool reuses idle workers, and absurd sizes are refused or
//! capped. A job starts a thread only when no started thread is idle; jobs queued while a
//! thread looked idle still get threads of their own when they wait; `max_workers` above
//! `ThreadPool::MAX_SIZE` is a `BuildError`, and `ThreadPool::new` caps its size.
//!
//! The tests that count the process's threads read `/proc` (Linux only); the others read the
//! pool's own counters. All run one at a time (see `common/threads.rs`), so that no other
//! test's pool threads are counted.

mod common;

use std::sync::{mpsc, Arc, Barrier};

use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{submit_call, BuildError, ThreadPool, TraitsExecutor, WorkerPool};

/// Waits until every started thread of `pool` is idle (back in the queue, waiting for a job).
fn wait_until_all_idle(pool: &ThreadPool) {
    let deadline = std::time::Instant::now() + TEST_TIMEOUT;
    while pool.idle_threads() != pool.started_threads() {
        assert!(
            std::time::Instant::now() < deadline,
            "the pool's threads never went idle: {pool:?}"
        );
        std::thread::yield_now();
    }
}

#[test]
fn sequential_calls_reuse_the_idle_worker_instead_of_starting_threads() {
    let _serial = common::threads::serial(); // the thread counts below see no other pool
    let pool = Arc::new(ThreadPool::new(8));
    let executor = TraitsExecutor::builder()
        .worker_pool(pool.clone())
        .build()
        .unwrap();
    for n in 0..64u32 {
        let future = submit_call(&executor, move || n * 2).unwrap();
        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
        assert_eq!(future.result(), Ok(&(n * 2)));
        wait_until_all_idle(&pool);
    }
    assert_eq!(pool.started_threads(), 1, "{pool:?}");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    pool.shutdown();
}

#[test]
fn sequential_plain_jobs_reuse_the_idle_worker_instead_of_starting_threads() {
    let _serial = common::threads::serial(); // the thread counts below see no other pool
    let pool = ThreadPool::new(16);
    let (done, finished) = mpsc::channel();
    for n in 0..64 {
        let done = done.clone();
        pool.execute(Box::new(move || done.send(n).unwrap()))
            .unwrap();
        assert_eq!(finished.recv_timeout(TEST_TIMEOUT), Ok(n));
        wait_until_all_idle(&pool);
    }
    assert_eq!(pool.started_threads(), 1, "{pool:?}");
    pool.shutdown();
}

#[test]
fn a_second_thread_starts_only_when_the_first_is_busy() {
    let _serial = common::threads::serial(); // the thread counts below see no other pool
    let pool = ThreadPool::new(4);
    let (release, gate) = mpsc::channel::<()>();
    let (running_tx, running) = mpsc::channel();
    pool.execute(Box::new(move || {
        running_tx.send(()).unwrap();
        let _ = gate.recv();
    }))
    .unwrap();
    running.recv_timeout(TEST_TIMEOUT).unwrap();
    // The only thread is busy: the next job needs a thread of its own.
    let (done, finished) = mpsc::channel();
    let second = done.clone();
    pool.execute(Box::new(move || second.send("second").unwrap()))
        .unwrap();
    assert_eq!(finished.recv_timeout(TEST_TIMEOUT), Ok("second"));
    assert_eq!(pool.started_threads(), 2);
    // Now one is idle: it takes the third job, and no thread starts.
    wait_until_all_idle_but(&pool, 1);
    pool.execute(Box::new(move || done.send("third").unwrap()))
        .unwrap();
    assert_eq!(finished.recv_timeout(TEST_TIMEOUT), Ok("third"));
    assert_eq!(pool.started_threads(), 2, "{pool:?}");
    release.send(()).unwrap();
    pool.shutdown();
}

/// Waits until all but `busy` of the pool's started threads are idle.
fn wait_until_all_idle_but(pool: &ThreadPool, busy: usize) {
    let deadline = std::time::Instant::now() + TEST_TIMEOUT;
    while pool.idle_threads() + busy != pool.started_threads() {
        assert!(std::time::Instant::now() < deadline, "{pool:?}");
        std::thread::yield_now();
    }
}

#[test]
fn jobs_queued_while_a_worker_looked_idle_still_run_at_once_on_threads_of_their_own() {
    let _serial = common::threads::serial(); // the thread counts below see no other pool
                                             // A burst into a pool whose one thread is idle: the pushes see it idle and leave their
                                             // jobs to it, but the jobs wait for each other, so they can only finish if the pool starts
                                             // a thread for each of them (the worker that takes the first one sees the others waiting).
    const JOBS: usize = 6;
    let pool = ThreadPool::new(JOBS);
    let (done, finished) = mpsc::channel();
    let warm = done.clone();
    pool.execute(Box::new(move || warm.send(usize::MAX).unwrap()))
        .unwrap();
    assert_eq!(finished.recv_timeout(TEST_TIMEOUT), Ok(usize::MAX));
    wait_until_all_idle(&pool);
    let barrier = Arc::new(Barrier::new(JOBS));
    for n in 0..JOBS {
        let (barrier, done) = (Arc::clone(&barrier), done.clone());
        pool.execute(Box::new(move || {
            barrier.wait();
            done.send(n).unwrap();
        }))
        .unwrap();
    }
    let mut ran: Vec<usize> = (0..JOBS)
        .map(|_| {
            finished
                .recv_timeout(TEST_TIMEOUT)
                .expect("the jobs ran at once")
        })
        .collect();
    ran.sort_unstable();
    assert_eq!(ran, (0..JOBS).collect::<Vec<_>>());
    assert_eq!(pool.started_threads(), JOBS);
    pool.shutdown();
}

#[test]
fn max_workers_above_the_cap_is_a_build_error() {
    let _serial = common::threads::serial(); // the thread counts below see no other pool
    for requested in [ThreadPool::MAX_SIZE + 1, 10_000, usize::MAX / 2, usize::MAX] {
        let error = TraitsExecutor::builder()
            .max_workers(requested)
            .build()
            .unwrap_err();
        assert_eq!(
            error,
            BuildError::TooManyWorkers {
                requested,
                max: ThreadPool::MAX_SIZE
            }
        );
        assert!(error.to_string().contains("512"), "{error}");
    }
    let largest = TraitsExecutor::builder()
        .max_workers(ThreadPool::MAX_SIZE)
        .build()
        .unwrap();
    largest.shutdown(None).unwrap();
}

#[test]
fn thread_pool_new_caps_absurd_sizes() {
    let _serial = common::threads::serial(); // the thread counts below see no other pool
    assert_eq!(ThreadPool::MAX_SIZE, 512);
    for requested in [513, 10_000, usize::MAX] {
        assert_eq!(ThreadPool::new(requested).size(), ThreadPool::MAX_SIZE);
    }
    assert_eq!(ThreadPool::new(512).size(), 512);
    assert_eq!(ThreadPool::new(0).size(), 1);
}

#[cfg(target_os = "linux")]
mod threads {
    use super::*;
    use common::threads::{live_threads, run_scenario, settle, TestResult};
    use traits_futures::CallFuture;

    const SCENARIO_THREAD: &str = "tf-scenario";

    fn pool_threads(names: &[String]) -> usize {
        names.iter().filter(|n| n.starts_with("tf-pool")).count()
    }

    #[test]
    fn sixty_four_sequential_calls_on_an_owned_pool_do_not_start_sixty_four_threads() -> TestResult
    {
        run_scenario(SCENARIO_THREAD, || {
            let before = live_threads();
            let executor = TraitsExecutor::builder().max_workers(64).build()?;
            for n in 0..64u32 {
                let future: CallFuture<u32> = submit_call(&executor, move || n)?;
                executor.run_until(|| future.done().get(), Some(TEST_TIMEOUT))?;
            }
            // Without waiting for the worker to be idle between calls, a call may now and then
            // find it still on its way back to the queue, and start a second thread.
            let during = pool_threads(&live_threads());
            assert!(during <= 4, "{during} threads for 64 sequential calls");
            executor.shutdown(Some(TEST_TIMEOUT))?;
            let after = settle(|names| names.len() == before.len());
            assert_eq!(after, before);
            Ok(())
        })
    }

    #[test]
    fn a_pool_asked_for_usize_max_threads_starts_no_more_than_the_cap() -> TestResult {
        run_scenario(SCENARIO_THREAD, || {
            let before = live_threads();
            const JOBS: usize = ThreadPool::MAX_SIZE + 8;
            let pool = ThreadPool::new(usize::MAX);
            let (release, gate) = std::sync::mpsc::channel::<()>();
            let gate = Arc::new(std::sync::Mutex::new(gate));
            let (done, finished) = mpsc::channel();
            for _ in 0..JOBS {
                let (gate, done) = (Arc::clone(&gate), done.clone());
                pool.execute(Box::new(move || {
                    // Each job takes one release, so every started thread stays busy until
                    // the test has counted them.
                    let _ = gate.lock().unwrap().recv();
                    done.send(()).unwrap();
                }))?;
            }
            // Every thread the pool will start is started once all of them are busy and the
            // rest of the jobs wait.
            let deadline = std::time::Instant::now() + TEST_TIMEOUT;
            while pool.started_threads() < ThreadPool::MAX_SIZE {
                assert!(std::time::Instant::now() < deadline, "{pool:?}");
                std::thread::yield_now();
            }
            assert_eq!(pool.started_threads(), ThreadPool::MAX_SIZE);
            let threads = pool_threads(&live_threads());
            assert_eq!(threads, ThreadPool::MAX_SIZE);
            for _ in 0..JOBS {
                release.send(())?;
            }
            for _ in 0..JOBS {
                finished.recv_timeout(TEST_TIMEOUT)?;
            }
            pool.shutdown();
            assert_eq!(settle(|names| names.len() == before.len()), before);
            Ok(())
        })
    }
}
