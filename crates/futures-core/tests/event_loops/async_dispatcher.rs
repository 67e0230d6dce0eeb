//! The async event-loop integration: `TraitsExecutor::dispatcher` spawned on single-threaded
//! executors (futures' `LocalPool`, tokio's `LocalSet`).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::mpsc;

use futures::executor::LocalPool;
use futures::task::LocalSpawnExt;
use futures_signals::signal::SignalExt;
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{
    submit_call, submit_iteration, submit_progress, ExecutorState, FutureState, TraitsExecutor,
};

#[test]
fn local_pool_state_changes_arrive_through_the_state_signal() {
    let executor = TraitsExecutor::builder().max_workers(2).build().unwrap();
    let future = submit_progress(&executor, |reporter| {
        for step in 0..5 {
            reporter.report(step)?;
        }
        Ok("finished")
    })
    .unwrap();

    let seen = Rc::new(RefCell::new(Vec::new()));
    let mut pool = LocalPool::new();
    let spawner = pool.spawner();
    spawner.spawn_local(executor.dispatcher()).unwrap();
    spawner
        .spawn_local(future.state().signal().for_each({
            let seen = seen.clone();
            move |state| {
                seen.borrow_mut().push(state);
                async {}
            }
        }))
        .unwrap();
    // Blocks the thread, woken only by the workers' messages, until the future is done.
    pool.run_until(future.done().signal().wait_for(true));
    executor.stop().unwrap();
    pool.run_until_stalled(); // the dispatcher sees Stopped and ends

    assert_eq!(future.state().get(), FutureState::Completed);
    assert_eq!(future.result(), Ok(&"finished"));
    let seen = seen.borrow();
    // A signal is a latest-value view: it may skip states, but what it shows is in order and
    // ends at Completed.
    let order = [
        FutureState::Waiting,
        FutureState::Executing,
        FutureState::Completed,
    ];
    let ranks: Vec<_> = seen
        .iter()
        .map(|s| {
            order
                .iter()
                .position(|o| o == s)
                .expect("only these states")
        })
        .collect();
    assert!(ranks.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!(seen.last(), Some(&FutureState::Completed));
}

#[test]
fn local_pool_run_completes_when_the_dispatcher_sees_stopped() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let future = submit_call(&executor, || 6 * 7).unwrap();
    let mut pool = LocalPool::new();
    pool.spawner().spawn_local(executor.dispatcher()).unwrap();
    pool.spawner()
        .spawn_local({
            let (future, executor) = (future.clone(), executor.clone());
            async move {
                future.done().signal().wait_for(true).await;
                executor.stop().unwrap();
            }
        })
        .unwrap();
    // `run` blocks the thread until every spawned future is complete; it only returns if the
    // workers' messages woke the dispatcher (no polling on a timer).
    pool.run();
    assert_eq!(future.result(), Ok(&42));
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
}

#[test]
fn shutdown_works_while_the_dispatcher_is_spawned() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (release, gate) = mpsc::channel::<()>();
    let future = submit_call(&executor, move || gate.recv().unwrap()).unwrap();
    let ended = Rc::new(Cell::new(false));
    let mut pool = LocalPool::new();
    pool.spawner()
        .spawn_local({
            let (dispatcher, ended) = (executor.dispatcher(), ended.clone());
            async move {
                dispatcher.await;
                ended.set(true);
            }
        })
        .unwrap();
    pool.run_until_stalled();
    assert!(!ended.get());

    release.send(()).unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
    assert!(future.done().get());
    pool.run_until_stalled();
    assert!(
        ended.get(),
        "the dispatcher ends once the executor is stopped"
    );
}

#[test]
fn dispatcher_yields_during_a_long_burst() {
    let executor = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (sent_all, all_sent) = mpsc::channel();
    let future = submit_iteration(&executor, move || {
        let items = (0..10_000u32).collect::<Vec<_>>();
        sent_all.send(()).unwrap();
        items
    })
    .unwrap();
    let received = Rc::new(Cell::new(0u32));
    let _count = future.items().observe({
        let received = received.clone();
        move |_| received.set(received.get() + 1)
    });
    all_sent.recv_timeout(TEST_TIMEOUT).unwrap();
    // Every item is queued (or about to be) before anything is dispatched.
    let mut pool = LocalPool::new();
    pool.spawner().spawn_local(executor.dispatcher()).unwrap();
    let other_turns = Rc::new(RefCell::new(Vec::new()));
    pool.spawner()
        .spawn_local({
            let (turns, received) = (other_turns.clone(), received.clone());
            async move {
                for _ in 0..3 {
                    turns.borrow_mut().push(received.get());
                    futures::pending!(); // yield once, and ask to be polled again
                }
            }
        })
        .unwrap();
    while !future.done().get() {
        pool.run_until_stalled();
        if !future.done().get() {
            executor.exercise_event_loop(TEST_TIMEOUT).unwrap();
        }
    }
    assert_eq!(received.get(), 10_000);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    pool.run_until_stalled();
    // The other task got turns before the dispatcher had dispatched everything.
    let turns = other_turns.borrow();
    assert!(turns.iter().any(|&n| n < 10_000), "{turns:?}");
}

#[test]
fn tokio_local_set_drives_the_dispatcher() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let executor = TraitsExecutor::builder().max_workers(2).build().unwrap();
    let future = submit_iteration(&executor, || 1..=100u32).unwrap();
    let total = Rc::new(Cell::new(0u32));
    let _sum = future.items().observe({
        let total = total.clone();
        move |n| total.set(total.get() + n)
    });
    local.block_on(&runtime, {
        let (executor, future) = (executor.clone(), future.clone());
        async move {
            let dispatcher = tokio::task::spawn_local(executor.dispatcher());
            future.done().signal().wait_for(true).await;
            executor.stop().unwrap();
            dispatcher.await.unwrap();
        }
    });
    assert_eq!(total.get(), 5050);
    assert_eq!(future.state().get(), FutureState::Completed);
    assert_eq!(executor.state().get(), ExecutorState::Stopped);
}
