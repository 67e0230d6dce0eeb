//! The optional worker pools (features `rayon` and `tokio`) behind an executor: tasks run
//! there and report as on the built-in pool, the executor never shuts the pool down (e79), and
//! a job the pool drops unrun still ends its future.
//!
//! `cargo test -p traits-futures --features rayon,tokio --test worker_pools`

#![cfg(any(feature = "rayon", feature = "tokio"))]

use std::sync::{mpsc, Arc};

use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{submit_call, submit_progress, FutureState, TraitsExecutor, WorkerPool};

/// Submits `count` calls and checks that each completes with its own result; also a task that
/// panics, which fails its future and leaves the pool serving the others.
fn runs_calls_and_a_panic(pool: Arc<dyn WorkerPool>, count: u64) {
    let executor = TraitsExecutor::builder().worker_pool(pool).build().unwrap();
    let futures: Vec<_> = (0..count)
        .map(|n| submit_call(&executor, move || n * n).unwrap())
        .collect();
    let panics = submit_call(&executor, || -> u64 { panic!("on purpose") }).unwrap();
    let reports = submit_progress(&executor, |reporter| {
        for step in 0..10 {
            reporter.report(step)?;
        }
        Ok("reported")
    })
    .unwrap();
    let seen = traits_futures::testing::Recorder::event(reports.reports());
    executor
        .run_until(
            || {
                futures.iter().all(|f| f.done().get())
                    && panics.done().get()
                    && reports.done().get()
            },
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    for (n, future) in (0..count).zip(&futures) {
        assert_eq!(future.result(), Ok(&(n * n)));
    }
    assert_eq!(panics.state().get(), FutureState::Failed);
    assert_eq!(
        panics.error().unwrap().panic_message(),
        Some("on purpose"),
        "the panic's message reaches the main thread"
    );
    assert_eq!(seen.values(), (0..10).collect::<Vec<_>>());
    assert_eq!(reports.result(), Ok(&"reported"));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[cfg(feature = "rayon")]
mod rayon_pool {
    use super::*;
    use traits_futures::RayonPool;

    fn threads(n: usize) -> Arc<rayon::ThreadPool> {
        Arc::new(
            rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build()
                .unwrap(),
        )
    }

    #[test]
    fn calls_on_a_rayon_pool_complete_with_their_results() {
        runs_calls_and_a_panic(Arc::new(RayonPool::new(threads(2))), 1000);
    }

    #[test]
    fn calls_on_rayons_global_pool_complete_with_their_results() {
        runs_calls_and_a_panic(Arc::new(RayonPool::global()), 100);
    }

    #[test]
    fn e79_a_rayon_pool_keeps_working_after_its_executors_shut_down() {
        let threads = threads(2);
        let pool = Arc::new(RayonPool::new(Arc::clone(&threads)));
        for _ in 0..2 {
            let executor = TraitsExecutor::builder()
                .worker_pool(pool.clone())
                .build()
                .unwrap();
            let future = submit_call(&executor, || 1).unwrap();
            executor
                .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
                .unwrap();
            executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
        }
        let (tx, rx) = mpsc::channel();
        threads.spawn(move || tx.send("still running").unwrap());
        assert_eq!(rx.recv_timeout(TEST_TIMEOUT), Ok("still running"));
    }

    #[test]
    fn a_panicking_job_is_caught_and_the_pool_keeps_its_threads() {
        let threads = threads(1);
        let pool = RayonPool::new(Arc::clone(&threads));
        pool.execute(Box::new(|| panic!("a plain job panics")))
            .unwrap();
        let (tx, rx) = mpsc::channel();
        pool.execute(Box::new(move || tx.send(7).unwrap())).unwrap();
        assert_eq!(rx.recv_timeout(TEST_TIMEOUT), Ok(7));
    }
}

#[cfg(feature = "tokio")]
mod tokio_pool {
    use super::*;
    use traits_futures::{TaskError, TokioBlockingPool};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .max_blocking_threads(2)
            .build()
            .unwrap()
    }

    #[test]
    fn calls_on_tokios_blocking_pool_complete_with_their_results() {
        let runtime = runtime();
        runs_calls_and_a_panic(
            Arc::new(TokioBlockingPool::new(runtime.handle().clone())),
            1000,
        );
    }

    #[test]
    fn e79_the_runtime_keeps_working_after_its_executors_shut_down() {
        let runtime = runtime();
        let pool = Arc::new(TokioBlockingPool::new(runtime.handle().clone()));
        let executor = TraitsExecutor::builder().worker_pool(pool).build().unwrap();
        let future = submit_call(&executor, || 2).unwrap();
        executor
            .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
            .unwrap();
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
        let still = runtime.block_on(runtime.spawn_blocking(|| "still running"));
        assert_eq!(still.unwrap(), "still running");
    }

    #[test]
    fn a_task_submitted_after_the_runtime_shut_down_fails_as_dropped() {
        let runtime = runtime();
        let pool = Arc::new(TokioBlockingPool::new(runtime.handle().clone()));
        runtime.shutdown_background();
        let executor = TraitsExecutor::builder().worker_pool(pool).build().unwrap();
        let future = submit_call(&executor, || 3).unwrap();
        let cancelled = submit_call(&executor, || 4).unwrap();
        assert!(cancelled.cancel());
        executor
            .run_until(
                || future.done().get() && cancelled.done().get(),
                Some(TEST_TIMEOUT),
            )
            .unwrap();
        assert_eq!(future.state().get(), FutureState::Failed);
        assert_eq!(future.error(), Ok(&TaskError::Dropped));
        assert_eq!(cancelled.state().get(), FutureState::Cancelled);
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}
