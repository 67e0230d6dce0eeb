//! Input into a running task (`task_input`).

use super::*;

#[test]
fn input_values_arrive_in_order() {
    let executor = TraitsExecutor::new();
    let (numbers, receiver) = task_input::<u32>();
    let future = submit_generator(&executor, move |echoes| {
        let mut count = 0;
        while let Some(n) = receiver.recv(echoes)? {
            echoes.send(n)?;
            count += 1;
        }
        Ok(count)
    })
    .unwrap();
    let echoes = Recorder::event(future.items());
    for n in 0..100 {
        numbers.send(n).unwrap();
    }
    let more = numbers.clone();
    more.send(100).unwrap();
    drop(numbers);
    drop(more);
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.result(), Ok(&101));
    assert_eq!(echoes.values(), (0..=100).collect::<Vec<_>>());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn input_latest_returns_the_newest_value_and_drops_the_older_ones() {
    let executor = TraitsExecutor::new();
    let (queries, receiver) = task_input::<String>();
    let (go_tx, go_rx) = mpsc::channel::<()>();
    let future = submit_generator(&executor, move |results| {
        let _ = go_rx.recv();
        let first = receiver.latest();
        let second = receiver.latest();
        results.send(format!("{first:?} {second:?}"))?;
        Ok(())
    })
    .unwrap();
    let results = Recorder::event(future.items());
    for query in ["r", "ru", "rust"] {
        queries.send(query.to_string()).unwrap();
    }
    go_tx.send(()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(results.values(), [r#"Some("rust") None"#]);

    let (sender, receiver) = task_input::<u8>();
    assert_eq!(receiver.latest(), None);
    sender.send(1).unwrap();
    assert_eq!(receiver.try_recv(), Some(1));
    assert_eq!(receiver.try_recv(), None);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// A generator that reads its input until `recv` says otherwise, signalling `waiting` before
/// each `recv`, and reports how `recv` ended.
fn reader(
    executor: &TraitsExecutor,
    receiver: traits_futures::InputReceiver<u8>,
) -> (
    IterationFuture<u8, usize, TaskCancelled>,
    Receiver<()>,
    RecvEnded,
) {
    let (waiting_tx, waiting_rx) = mpsc::channel();
    let (ended_tx, ended_rx) = mpsc::channel();
    let future = submit_generator(executor, move |echoes: &TaskContext<'_, u8>| {
        let mut count = 0;
        loop {
            let _ = waiting_tx.send(());
            let received = receiver.recv(echoes);
            match received {
                Ok(Some(value)) => {
                    echoes.send(value)?;
                    count += 1;
                }
                Ok(None) | Err(_) => {
                    let _ = ended_tx.send(received);
                    received?;
                    return Ok(count);
                }
            }
        }
    })
    .unwrap();
    (future, waiting_rx, ended_rx)
}

#[test]
fn input_recv_returns_none_once_every_sender_is_dropped() {
    let executor = TraitsExecutor::new();
    let (sender, receiver) = task_input::<u8>();
    let second = sender.clone();
    let (future, waiting, ended_rx) = reader(&executor, receiver);
    waiting.recv_timeout(TEST_TIMEOUT).unwrap();
    sender.send(1).unwrap();
    waiting.recv_timeout(TEST_TIMEOUT).unwrap(); // the value was taken: it waits again
    drop(sender);
    second.send(2).unwrap();
    waiting.recv_timeout(TEST_TIMEOUT).unwrap();
    drop(second); // the last sender: the waiting `recv` returns `None`
    assert_eq!(
        ended_rx.recv_timeout(TEST_TIMEOUT).unwrap(),
        Ok(None),
        "recv must end once no value can come"
    );
    let echoes = Recorder::event(future.items());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.result(), Ok(&2));
    assert_eq!(echoes.values(), [1, 2]);

    // Values sent before the last sender's drop are still received, then `None`.
    let (sender, receiver) = task_input::<u8>();
    sender.send(5).unwrap();
    drop(sender);
    let (future, _waiting, ended_rx) = reader(&executor, receiver);
    assert_eq!(ended_rx.recv_timeout(TEST_TIMEOUT).unwrap(), Ok(None));
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.result(), Ok(&1));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn input_cancel_wakes_a_task_blocked_in_recv_at_once() {
    let executor = TraitsExecutor::new();
    let (sender, receiver) = task_input::<u8>();
    let (future, waiting, ended_rx) = reader(&executor, receiver);
    waiting.recv_timeout(TEST_TIMEOUT).unwrap();
    // Negative check (see the module's doc): with no value, `recv` does not return.
    assert!(ended_rx.recv_timeout(STILL).is_err());
    // No dispatch until the worker reports: the cancel alone wakes it.
    assert!(future.cancel());
    assert_eq!(
        ended_rx.recv_timeout(TEST_TIMEOUT).unwrap(),
        Err(TaskCancelled)
    );
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), Cancelled);
    drop(sender);

    // The executor's shutdown, and its drop, wake it too.
    let (_sender, receiver) = task_input::<u8>();
    let (future, waiting, ended_rx) = reader(&executor, receiver);
    waiting.recv_timeout(TEST_TIMEOUT).unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert_eq!(
        ended_rx.recv_timeout(TEST_TIMEOUT).unwrap(),
        Err(TaskCancelled)
    );
    assert_eq!(future.state().get(), Cancelled);

    let executor = TraitsExecutor::new();
    let (_sender, receiver) = task_input::<u8>();
    let (future, waiting, ended_rx) = reader(&executor, receiver);
    waiting.recv_timeout(TEST_TIMEOUT).unwrap();
    drop(executor);
    assert_eq!(
        ended_rx.recv_timeout(TEST_TIMEOUT).unwrap(),
        Err(TaskCancelled)
    );
    read_until_done(&future);
    assert_eq!(future.state().get(), Cancelled);
}

#[test]
fn input_send_after_the_task_ended_returns_the_value() {
    let executor = TraitsExecutor::new();
    let (queries, receiver) = task_input::<String>();
    let future = submit_generator(&executor, move |_: &TaskContext<'_, ()>| {
        let first = receiver.try_recv();
        drop(receiver);
        Ok(first)
    })
    .unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    let InputClosed(query) = queries.send("too late".to_string()).unwrap_err();
    assert_eq!(query, "too late");
    assert!(queries
        .send(String::new())
        .unwrap_err()
        .to_string()
        .contains("input is closed"));

    // A receiver dropped unrun (the task was cancelled before it started) closes it too.
    let (sender, receiver) = task_input::<u8>();
    let blocked_pool = TraitsExecutor::builder().max_workers(1).build().unwrap();
    let (go, go_rx) = mpsc::channel::<()>();
    let blocker = submit_call(&blocked_pool, move || {
        let _ = go_rx.recv();
    })
    .unwrap();
    let never: IterationFuture<u8, (), TaskCancelled> =
        submit_generator(&blocked_pool, move |_| {
            let _ = receiver.try_recv();
            Ok(())
        })
        .unwrap();
    never.cancel();
    go.send(()).unwrap();
    blocked_pool
        .run_until(
            || blocker.done().get() && never.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(sender.send(3).unwrap_err().0, 3);
    blocked_pool.shutdown(Some(TEST_TIMEOUT)).unwrap();
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
