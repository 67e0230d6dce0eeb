//! Section 2: continuations (`on_done` and its siblings, `then` chains).

use super::*;

/// A log of what ran, shared with continuations.
#[derive(Clone, Default)]
struct Log(Rc<RefCell<Vec<String>>>);

impl Log {
    fn push(&self, entry: impl Into<String>) {
        self.0.borrow_mut().push(entry.into());
    }
    fn entries(&self) -> Vec<String> {
        self.0.borrow().clone()
    }
}

/// Registers every kind of continuation on `future`, each logging its name.
fn log_every_continuation(future: &CallFuture<u32, String>, log: &Log) {
    future
        .on_completed({
            let log = log.clone();
            move |value| log.push(format!("completed {value}"))
        })
        .on_failed({
            let log = log.clone();
            move |error| log.push(format!("failed {error}"))
        })
        .on_cancelled({
            let log = log.clone();
            move || log.push("cancelled")
        })
        .on_done({
            let log = log.clone();
            move |outcome| log.push(format!("done {}", outcome.state()))
        });
}

#[test]
fn only_the_continuations_of_the_final_state_run_and_each_runs_once() {
    let log = Log::default();
    let completed: CallFuture<u32, String> = CallFuture::detached(Default::default(), || {});
    log_every_continuation(&completed, &log);
    completed.receive(TaskMessage::Started).unwrap();
    assert!(
        log.entries().is_empty(),
        "nothing runs before the future is done"
    );
    completed.receive(TaskMessage::Returned(3)).unwrap();
    assert_eq!(log.entries(), ["completed 3", "done Completed"]);

    let log = Log::default();
    let failed: CallFuture<u32, String> = CallFuture::detached(Default::default(), || {});
    log_every_continuation(&failed, &log);
    failed.receive(TaskMessage::Started).unwrap();
    failed
        .receive(TaskMessage::Failed(TaskError::Error("disk full".into())))
        .unwrap();
    assert_eq!(
        log.entries(),
        [
            "failed the task returned an error: disk full",
            "done Failed"
        ]
    );

    let log = Log::default();
    let cancelled: CallFuture<u32, String> = CallFuture::detached(Default::default(), || {});
    log_every_continuation(&cancelled, &log);
    assert!(cancelled.cancel());
    assert!(log.entries().is_empty(), "Cancelling is not done");
    cancelled.receive(TaskMessage::Abandoned).unwrap();
    assert_eq!(log.entries(), ["cancelled", "done Cancelled"]);
}

#[test]
fn a_continuation_registered_after_the_future_is_done_runs_at_once() {
    let future: CallFuture<u32, String> = CallFuture::detached(Default::default(), || {});
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Returned(8)).unwrap();
    let log = Log::default();
    log_every_continuation(&future, &log);
    assert_eq!(log.entries(), ["completed 8", "done Completed"]);
}

#[test]
fn continuations_run_on_the_main_thread_when_an_executor_future_completes() {
    let executor = executor(2);
    let main = std::thread::current().id();
    let ran_on = Rc::new(Cell::new(None));
    let future = submit_call(&executor, || 21 * 2).unwrap();
    future.on_completed({
        let ran_on = ran_on.clone();
        move |value| ran_on.set(Some((*value, std::thread::current().id())))
    });
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(ran_on.get(), Some((42, main)));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

/// Submits a call that logs `name` on its worker and returns `value`.
fn logged_call(
    executor: &TraitsExecutor,
    ran: &Arc<std::sync::Mutex<Vec<&'static str>>>,
    name: &'static str,
    value: u32,
) -> Result<CallFuture<u32>, SubmitError> {
    let ran = ran.clone();
    submit_call(executor, move || {
        ran.lock().unwrap().push(name);
        value
    })
}

#[test]
fn a_chain_follows_its_links_and_completes_with_the_last_links_result() {
    let executor = executor(2);
    let ran = Arc::new(std::sync::Mutex::new(Vec::new()));
    let first = logged_call(&executor, &ran, "first", 1).unwrap();
    let chain = first.then({
        let (executor, ran) = (executor.clone(), ran.clone());
        move |value| logged_call(&executor, &ran, "second", value + 10)
    });
    let states = Rc::new(RefCell::new(Vec::new()));
    let _states = chain.state().observe({
        let states = states.clone();
        move |_, new| states.borrow_mut().push(*new)
    });
    executor
        .run_until(|| chain.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(*ran.lock().unwrap(), ["first", "second"]);
    assert_eq!(
        *states.borrow(),
        [FutureState::Executing, FutureState::Completed],
        "Executing once, across both links"
    );
    assert_eq!(chain.result(), Ok(&11));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_chain_of_three_thens_cancelled_in_the_middle_link_runs_nothing_after_it() {
    let executor = executor(2);
    let log = Log::default();
    let (release, gate) = mpsc::channel::<()>();
    let (started_tx, started) = mpsc::channel::<()>();
    let middle: Rc<RefCell<Option<CallFuture<u32>>>> = Rc::default();
    let after_ran = Arc::new(AtomicBool::new(false));

    let first = submit_call(&executor, || 1u32).unwrap();
    let chain = first
        .then({
            let (executor, log) = (executor.clone(), log.clone());
            move |value: &u32| {
                log.push("then 1");
                let value = *value;
                submit_call(&executor, move || value + 1)
            }
        })
        .then({
            let (executor, log, middle) = (executor.clone(), log.clone(), middle.clone());
            move |value: &u32| {
                log.push("then 2");
                let value = *value;
                let link = submit_call(&executor, move || {
                    started_tx.send(()).unwrap();
                    let _ = gate.recv(); // runs until released
                    value + 1
                })?;
                *middle.borrow_mut() = Some(link.clone());
                Ok(link)
            }
        })
        .then({
            let (executor, log, after_ran) = (executor.clone(), log.clone(), after_ran.clone());
            move |value: &u32| {
                log.push("then 3");
                let value = *value;
                submit_call(&executor, move || {
                    after_ran.store(true, Ordering::SeqCst);
                    value + 1
                })
            }
        });

    executor
        .run_until(|| middle.borrow().is_some(), Some(TEST_TIMEOUT))
        .unwrap();
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    let middle = middle.borrow().clone().unwrap();
    executor
        .run_until(
            || middle.state().get() == FutureState::Executing,
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(chain.state().get(), FutureState::Executing);

    assert!(chain.cancel());
    assert_eq!(chain.state().get(), FutureState::Cancelling);
    assert_eq!(
        middle.state().get(),
        FutureState::Cancelling,
        "the current link"
    );
    release.send(()).unwrap(); // the middle task returns; its result is discarded
    executor
        .run_until(|| chain.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(chain.state().get(), FutureState::Cancelled);
    assert_eq!(middle.state().get(), FutureState::Cancelled);
    assert_eq!(first.state().get(), FutureState::Completed);
    assert_eq!(
        log.entries(),
        ["then 1", "then 2"],
        "the third then never ran"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert!(!after_ran.load(Ordering::SeqCst));
}

#[test]
fn a_failed_first_link_fails_the_chain_without_running_the_continuation() {
    let executor = executor(2);
    let ran = Rc::new(Cell::new(false));
    let first = submit_try_call(&executor, || Err::<u32, _>("no such file".to_string())).unwrap();
    let chain = first.then({
        let (executor, ran) = (executor.clone(), ran.clone());
        move |value: &u32| {
            ran.set(true);
            let value = *value;
            submit_call(&executor, move || value)
        }
    });
    executor
        .run_until(|| chain.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(chain.state().get(), FutureState::Failed);
    assert!(!ran.get());
    let expected: TaskError<ChainError<String, std::convert::Infallible>> = TaskError::Error(
        ChainError::Previous(TaskError::Error("no such file".into())),
    );
    assert_eq!(chain.error(), Ok(&expected));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_failed_second_link_fails_the_chain_with_the_next_links_error() {
    let executor = executor(2);
    let first = submit_call(&executor, || 4u32).unwrap();
    let chain = first.then({
        let executor = executor.clone();
        move |value: &u32| {
            let value = *value;
            submit_try_call(&executor, move || Err::<u32, _>(value))
        }
    });
    executor
        .run_until(|| chain.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        chain.error(),
        Ok(&TaskError::Error(ChainError::Next(TaskError::Error(4))))
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_submit_error_from_a_continuation_fails_the_chain_with_it() {
    let executor = executor(2);
    let stopped = TraitsExecutor::new();
    stopped.shutdown(Some(TEST_TIMEOUT)).unwrap();
    let first = submit_call(&executor, || 1u32).unwrap();
    let chain = first.then(move |value: &u32| {
        let value = *value;
        submit_call(&stopped, move || value)
    });
    executor
        .run_until(|| chain.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(chain.state().get(), FutureState::Failed);
    assert_eq!(
        chain.error(),
        Ok(&TaskError::Error(ChainError::Submit(
            SubmitError::NotRunning(ExecutorState::Stopped)
        )))
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_panicking_continuation_fails_the_chain_with_the_panic_message() {
    let first: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
    let chain =
        first.then(|_: &u32| -> Result<CallFuture<u32>, SubmitError> { panic!("no link today") });
    first.receive(TaskMessage::Started).unwrap();
    first.receive(TaskMessage::Returned(1)).unwrap();
    assert_eq!(chain.state().get(), FutureState::Failed);
    assert_eq!(
        chain.error().unwrap().panic_message(),
        Some("no link today")
    );
}

#[test]
fn cancelling_the_chain_while_the_first_link_waits_behind_busy_workers_never_runs_it() {
    let executor = executor(1);
    let (blocker, started, release) = gated_call(&executor);
    started.recv_timeout(TEST_TIMEOUT).unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let continued = Rc::new(Cell::new(false));
    let first = submit_call(&executor, {
        let ran = ran.clone();
        move || ran.store(true, Ordering::SeqCst)
    })
    .unwrap();
    let chain = first.then({
        let (executor, continued) = (executor.clone(), continued.clone());
        move |()| {
            continued.set(true);
            submit_call(&executor, || ())
        }
    });
    assert_eq!(chain.state().get(), FutureState::Waiting);
    assert!(chain.cancel());
    assert_eq!(first.state().get(), FutureState::Cancelling);
    let _ = release.send(()); // (gone if the task was cancelled before it started)
    executor
        .run_until(
            || chain.done().get() && blocker.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(chain.state().get(), FutureState::Cancelled);
    assert_eq!(first.state().get(), FutureState::Cancelled);
    assert!(!continued.get());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    assert!(
        !ran.load(Ordering::SeqCst),
        "the first link's closure never ran"
    );
}

#[test]
fn a_link_cancelled_directly_makes_the_chain_cancelled() {
    let first: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
    let continued = Rc::new(Cell::new(false));
    let chain = first.then({
        let continued = continued.clone();
        move |_: &u32| -> Result<CallFuture<u32>, SubmitError> {
            continued.set(true);
            Err(SubmitError::PoolClosed)
        }
    });
    first.receive(TaskMessage::Started).unwrap();
    assert_eq!(chain.state().get(), FutureState::Executing);
    assert!(first.cancel());
    first.receive(TaskMessage::Returned(1)).unwrap(); // discarded: cancelled first
    assert_eq!(first.state().get(), FutureState::Cancelled);
    assert_eq!(chain.state().get(), FutureState::Cancelled);
    assert!(!continued.get());
}

#[test]
fn then_on_a_completed_future_runs_the_continuation_at_once() {
    let first: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
    first.receive(TaskMessage::Started).unwrap();
    first.receive(TaskMessage::Returned(2)).unwrap();
    let next: Rc<RefCell<Option<CallFuture<u32>>>> = Rc::default();
    let chain = first.then({
        let next = next.clone();
        move |value: &u32| {
            assert_eq!(*value, 2);
            let link: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
            *next.borrow_mut() = Some(link.clone());
            Ok::<_, SubmitError>(link)
        }
    });
    let next = next
        .borrow()
        .clone()
        .expect("the continuation ran inside then");
    assert_eq!(chain.state().get(), FutureState::Executing);
    next.receive(TaskMessage::Started).unwrap();
    next.receive(TaskMessage::Returned(3)).unwrap();
    assert_eq!(chain.result(), Ok(&3));
}

#[test]
fn a_chain_can_be_awaited_on_a_local_pool() {
    let executor = executor(2);
    let outcome = on_local_pool(&executor, {
        let executor = executor.clone();
        async move {
            let chain = submit_call(&executor, || 20u32).unwrap().then({
                let executor = executor.clone();
                move |value: &u32| {
                    let value = *value;
                    submit_call(&executor, move || value + 22)
                }
            });
            chain.outcome().await.cloned()
        }
    });
    assert_eq!(outcome, Outcome::Completed(42));
}

#[test]
fn a_chain_cancelled_from_its_own_continuation_cancels_the_link_it_submits() {
    let first: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
    let chain_slot: Rc<RefCell<Option<traits_futures::ChainFuture<u32, ChainError<_, _>>>>> =
        Rc::default();
    let next: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
    let chain = first.then({
        let (chain_slot, next) = (chain_slot.clone(), next.clone());
        move |_: &u32| {
            let chain = chain_slot.borrow().clone().unwrap();
            assert!(chain.cancel()); // e.g. the user closed the window meanwhile
            Ok::<_, SubmitError>(next)
        }
    });
    *chain_slot.borrow_mut() = Some(chain.clone());
    first.receive(TaskMessage::Started).unwrap();
    first.receive(TaskMessage::Returned(1)).unwrap();
    assert_eq!(chain.state().get(), FutureState::Cancelling);
    assert_eq!(
        next.state().get(),
        FutureState::Cancelling,
        "cancelled at once"
    );
    next.receive(TaskMessage::Abandoned).unwrap();
    assert_eq!(chain.state().get(), FutureState::Cancelled);
    chain_slot.borrow_mut().take();
}

#[test]
fn a_chain_whose_handles_are_dropped_still_runs_its_next_link() {
    let executor = executor(2);
    let result = Rc::new(Cell::new(None));
    let first = submit_call(&executor, || 5u32).unwrap();
    let chain = first.then({
        let executor = executor.clone();
        move |value: &u32| {
            let value = *value;
            submit_call(&executor, move || value * 2)
        }
    });
    chain.on_completed({
        let result = result.clone();
        move |value| result.set(Some(*value))
    });
    drop(chain);
    drop(first);
    executor
        .run_until(|| result.get().is_some(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(result.get(), Some(10));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn continuations_and_chains_of_a_dropped_unfinished_future_are_released_with_it() {
    let token = Rc::new(());
    let future: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
    future.on_done({
        let token = token.clone();
        move |_| drop(token)
    });
    let chain = future.then({
        let token = token.clone();
        move |_: &u32| {
            drop(token);
            Err::<CallFuture<u32>, _>(SubmitError::PoolClosed)
        }
    });
    assert_eq!(Rc::strong_count(&token), 3);
    drop(chain);
    drop(future);
    assert_eq!(Rc::strong_count(&token), 1, "no reference cycle keeps them");
}

#[test]
fn a_continuations_closure_is_released_once_it_has_run() {
    let token = Rc::new(());
    let future: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
    future.on_completed({
        let token = token.clone();
        move |_| assert_eq!(Rc::strong_count(&token), 2)
    });
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Returned(1)).unwrap();
    assert_eq!(
        Rc::strong_count(&token),
        1,
        "dropped once it ran, not when the future goes"
    );
    drop(future);
}
