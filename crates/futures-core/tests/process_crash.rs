//! The process context's crash isolation and hard cancel (issue 27): a child that aborts,
//! segfaults or exits fails its task's future with a typed error naming the signal or the exit
//! code, and the pool replaces it; a task that never checks for cancellation is ended within
//! the grace period; no child outlives the executor and pool that started it, nor a parent
//! that is killed.
//!
//! The test binary is its own child (see `process_common`).

#![cfg(all(feature = "process", target_os = "linux"))]

mod process_common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use process_common::{
    children_tagged, enter, eventually, pool, pool_tagged, running, tell, wait_released, Gate,
};
use traits_futures::process::{
    self, submit_process_call, submit_process_progress, ChildContext, Never, ProcessCall,
    ProcessError, ProcessPool, ProcessTask,
};
use traits_futures::testing::TEST_TIMEOUT;
use traits_futures::{FutureState, TaskCancelled, TaskError, TraitsExecutor};

fn abort(_: ()) {
    std::process::abort()
}

fn segfault(_: ()) {
    // SAFETY: none; this writes through a null pointer on purpose, to make the child die of
    // SIGSEGV as a crashing native library would. It runs only in a child process.
    unsafe { std::ptr::null_mut::<u8>().write_volatile(1) };
    unreachable!("the write faults")
}

fn exit(code: i32) {
    std::process::exit(code)
}

/// Tells the gate its process id, then spins for ever without looking for a cancel.
fn spin(gate: String) {
    let mut stream = enter(&gate);
    tell(&mut stream, &std::process::id().to_string());
    loop {
        std::hint::spin_loop();
    }
}

/// Tells the gate its process id, then reports until cancelled (and so stops by itself).
fn cooperate(gate: String, progress: &ChildContext<'_, u32>) -> Result<(), TaskCancelled> {
    let mut stream = enter(&gate);
    tell(&mut stream, &std::process::id().to_string());
    let mut n = 0;
    loop {
        progress.report(n)?;
        n = n.wrapping_add(1);
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn pid(_: ()) -> u32 {
    std::process::id()
}

const ABORT: ProcessCall<(), ()> = ProcessCall::new("abort", abort);
const SEGFAULT: ProcessCall<(), ()> = ProcessCall::new("segfault", segfault);
const EXIT: ProcessCall<i32, ()> = ProcessCall::new("exit", exit);
const SPIN: ProcessCall<String, ()> = ProcessCall::new("spin", spin);
const COOPERATE: ProcessTask<String, u32, ()> = ProcessTask::new("cooperate", cooperate);
const PID: ProcessCall<(), u32> = ProcessCall::new("pid", pid);

/// Tells the gate its process id, then waits to be released.
fn spin_until_released(gate: String) {
    let mut stream = enter(&gate);
    tell(&mut stream, &std::process::id().to_string());
    assert!(wait_released(&mut stream));
}
const SPIN_UNTIL_RELEASED: ProcessCall<String, ()> =
    ProcessCall::new("spin_until_released", spin_until_released);

/// Writes to stdout, which in a child carries the protocol.
fn garble(_: ()) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(b"this is not a frame\n");
    let _ = std::io::stdout().flush();
    std::thread::sleep(Duration::from_secs(60));
}
const GARBLE: ProcessCall<(), ()> = ProcessCall::new("garble", garble);

/// Not given to `init`.
const UNREGISTERED: ProcessCall<(), u32> = ProcessCall::new("unregistered", pid);

#[test]
fn child_entry_point() {
    process::init(&[
        &ABORT,
        &SEGFAULT,
        &EXIT,
        &SPIN,
        &COOPERATE,
        &PID,
        &GARBLE,
        &SPIN_UNTIL_RELEASED,
    ]);
}

fn executor() -> TraitsExecutor {
    TraitsExecutor::builder().max_workers(4).build().unwrap()
}

/// Runs `task` to its end and returns its error, after checking that a task of another pool
/// ran beside it to its end and that its pool ran the next task in a new process.
fn crash_error(task: &ProcessCall<(), ()>) -> TaskError<ProcessError<Never>> {
    let executor = executor();
    let pool = pool(1);
    let other_pool = pool_tagged(1, Duration::from_secs(2), "tag-other");
    let before = submit_process_call(&executor, &pool, &PID, ()).unwrap();
    executor
        .run_until(|| before.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    let crashed_pid = *before.result().unwrap();
    let crashing = submit_process_call(&executor, &pool, task, ()).unwrap();
    let beside = submit_process_call(&executor, &other_pool, &PID, ()).unwrap();
    executor
        .run_until(
            || crashing.done().get() && beside.done().get(),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert_eq!(crashing.state().get(), FutureState::Failed);
    assert_eq!(
        beside.state().get(),
        FutureState::Completed,
        "the other task went on"
    );
    let after = submit_process_call(&executor, &pool, &PID, ()).unwrap();
    executor
        .run_until(|| after.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        after.state().get(),
        FutureState::Completed,
        "the pool still runs tasks"
    );
    assert_ne!(*after.result().unwrap(), crashed_pid, "in a new process");
    assert!(!running(crashed_pid), "the crashed process is gone");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    crashing.error().unwrap().clone()
}

#[test]
fn a_task_that_aborts_fails_with_sigabrt_and_the_program_goes_on() {
    assert_eq!(
        crash_error(&ABORT),
        TaskError::Error(ProcessError::Signalled { signal: 6 })
    );
}

#[test]
fn a_task_that_segfaults_fails_with_sigsegv_and_the_program_goes_on() {
    let error = crash_error(&SEGFAULT);
    assert_eq!(
        error,
        TaskError::Error(ProcessError::Signalled { signal: 11 })
    );
    assert!(error.to_string().contains("SIGSEGV"), "{error}");
}

#[test]
fn a_task_that_exits_fails_with_its_exit_code() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &EXIT, 3).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        future.error(),
        Ok(&TaskError::Error(ProcessError::Exited { code: 3 }))
    );
    let next = submit_process_call(&executor, &pool, &PID, ()).unwrap();
    executor
        .run_until(|| next.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(next.state().get(), FutureState::Completed);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn an_endless_loop_without_cancellation_checks_is_cancelled_within_the_grace_period_plus_one_second(
) {
    let grace = Duration::from_millis(500);
    let executor = executor();
    let pool = pool_tagged(1, grace, "tag-spin");
    let mut gate = Gate::new();
    let future = submit_process_call(&executor, &pool, &SPIN, gate.path()).unwrap();
    assert!(gate.wait_entered());
    let child: u32 = gate.read_line().parse().unwrap();
    executor
        .run_until(
            || future.state().get() == FutureState::Executing,
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    let cancelled_at = Instant::now();
    assert!(future.cancel());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    let took = cancelled_at.elapsed();
    assert_eq!(future.state().get(), FutureState::Cancelled);
    assert!(took <= grace + Duration::from_secs(1), "took {took:?}");
    assert!(!running(child), "the spinning child was ended");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_task_that_stops_when_cancelled_ends_cancelled_and_its_process_is_reused() {
    let executor = executor();
    // A grace period no test waits for: the task stops by itself well before.
    let pool = pool_tagged(1, Duration::from_secs(60), "tag-cooperate");
    let mut gate = Gate::new();
    let future = submit_process_progress(&executor, &pool, &COOPERATE, gate.path()).unwrap();
    assert!(gate.wait_entered());
    let child: u32 = gate.read_line().parse().unwrap();
    executor
        .run_until(|| future.progress().get().is_some(), Some(TEST_TIMEOUT))
        .unwrap();
    assert!(future.cancel());
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(future.state().get(), FutureState::Cancelled);
    let next = submit_process_call(&executor, &pool, &PID, ()).unwrap();
    executor
        .run_until(|| next.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        next.result(),
        Ok(&child),
        "the same child ran the next task"
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn shutdown_with_a_task_that_never_stops_finishes_within_the_timeout_plus_the_grace_period() {
    let grace = Duration::from_millis(500);
    let executor = executor();
    let pool = pool_tagged(1, grace, "tag-shutdown");
    let mut gate = Gate::new();
    let future = submit_process_call(&executor, &pool, &SPIN, gate.path()).unwrap();
    assert!(gate.wait_entered());
    let child: u32 = gate.read_line().parse().unwrap();
    let timeout = Duration::from_secs(5);
    let started = Instant::now();
    executor.shutdown(Some(timeout)).unwrap();
    assert!(
        started.elapsed() <= grace + Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(future.state().get(), FutureState::Cancelled);
    assert!(!running(child));
}

#[test]
fn dropping_the_executor_and_the_pool_leaves_no_child() {
    let tag = "tag-drop-executor";
    let grace = Duration::from_millis(300);
    let executor = executor();
    let pool = pool_tagged(2, grace, tag);
    let mut gate = Gate::new();
    let hung = submit_process_call(&executor, &pool, &SPIN, gate.path()).unwrap();
    let quick = submit_process_call(&executor, &pool, &PID, ()).unwrap();
    assert!(gate.wait_entered());
    executor
        .run_until(|| quick.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(children_tagged(tag).len(), 2, "one busy child, one idle");
    drop(executor);
    drop(pool);
    assert!(
        eventually(grace + TEST_TIMEOUT, || children_tagged(tag).is_empty()),
        "children left: {:?}",
        children_tagged(tag)
    );
    drop(hung);
}

/// The middle process of `a_child_whose_parent_is_killed_exits`: starts a pool whose child
/// spins (telling the gate in `TF_TEST_PARENT_GATE` its process id), then waits to be killed.
#[test]
fn parent_entry_point() {
    let Ok(gate) = std::env::var("TF_TEST_PARENT_GATE") else {
        return;
    };
    let executor = executor();
    let pool = pool(1);
    let _future = submit_process_call(&executor, &pool, &SPIN, gate).unwrap();
    // Dispatches until killed (the spinning task never ends).
    let _ = executor.run_until(|| false, Some(TEST_TIMEOUT * 4));
    std::process::exit(1);
}

#[test]
fn a_child_whose_parent_is_killed_exits() {
    let mut gate = Gate::new();
    let mut parent = Command::new(std::env::current_exe().unwrap())
        .args(["parent_entry_point", "--exact", "--nocapture"])
        .env("TF_TEST_PARENT_GATE", gate.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(gate.wait_entered());
    let child: u32 = gate.read_line().parse().unwrap();
    assert!(running(child));
    parent.kill().unwrap();
    parent.wait().unwrap();
    let mut rest = Vec::new();
    let _ = parent.stdout.take().unwrap().read_to_end(&mut rest);
    assert!(
        eventually(TEST_TIMEOUT, || !running(child)),
        "the orphaned child {child} still runs"
    );
}

#[test]
fn a_task_the_child_does_not_know_fails_with_unknown_task() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &UNREGISTERED, ()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        future.error(),
        Ok(&TaskError::Error(ProcessError::UnknownTask(
            "unregistered".to_string()
        )))
    );
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_program_that_does_not_call_init_fails_the_task_with_spawn() {
    let executor = executor();
    let pool = ProcessPool::builder()
        .program("/bin/true", Vec::<String>::new())
        .build()
        .unwrap();
    let future = submit_process_call(&executor, &pool, &PID, ()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    let Ok(TaskError::Error(ProcessError::Spawn(why))) = future.error() else {
        panic!("{:?}", future.error());
    };
    assert!(why.contains("process::init"), "{why}");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_task_that_writes_to_stdout_fails_with_protocol_and_its_child_is_replaced() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &GARBLE, ()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert!(
        matches!(
            future.error(),
            Ok(TaskError::Error(ProcessError::Protocol(_)))
        ),
        "{:?}",
        future.error()
    );
    let next = submit_process_call(&executor, &pool, &PID, ()).unwrap();
    executor
        .run_until(|| next.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(next.state().get(), FutureState::Completed);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn dropping_the_pool_ends_a_running_task_with_pool_closed() {
    let tag = "tag-drop-pool";
    let executor = executor();
    let pool = pool_tagged(1, Duration::from_secs(60), tag);
    let mut gate = Gate::new();
    let future = submit_process_call(&executor, &pool, &SPIN, gate.path()).unwrap();
    assert!(gate.wait_entered());
    drop(pool);
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    assert_eq!(
        future.error(),
        Ok(&TaskError::Error(ProcessError::PoolClosed))
    );
    assert!(eventually(TEST_TIMEOUT, || children_tagged(tag).is_empty()));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a_child_that_never_greets_is_ended_after_the_start_timeout_and_its_task_fails_with_spawn() {
    let executor = executor();
    let pool = ProcessPool::builder()
        .program("/bin/sleep", ["600"])
        .start_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let future = submit_process_call(&executor, &pool, &PID, ()).unwrap();
    executor
        .run_until(|| future.done().get(), Some(TEST_TIMEOUT))
        .unwrap();
    let Ok(TaskError::Error(ProcessError::Spawn(why))) = future.error() else {
        panic!("{:?}", future.error());
    };
    assert!(why.contains("did not greet"), "{why}");
    assert_eq!(pool.children(), 0, "the silent child was ended");
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn at_most_max_workers_children_run_at_once_and_idle_ones_are_reused() {
    let tag = "tag-bounded";
    let executor = executor();
    let pool = pool_tagged(2, Duration::from_secs(2), tag);
    let mut gates: Vec<Gate> = (0..4).map(|_| Gate::new()).collect();
    let futures: Vec<_> = gates
        .iter()
        .map(|gate| {
            submit_process_call(&executor, &pool, &SPIN_UNTIL_RELEASED, gate.path()).unwrap()
        })
        .collect();
    assert!(gates[0].wait_entered() && gates[1].wait_entered());
    assert_eq!(children_tagged(tag).len(), 2);
    assert!(
        !gates[2].entered() && !gates[3].entered(),
        "two tasks wait for a child"
    );
    while executor.dispatch_pending() > 0 {}
    assert_eq!(
        futures[2].state().get(),
        FutureState::Waiting,
        "not started"
    );
    assert_eq!(
        futures[3].state().get(),
        FutureState::Waiting,
        "not started"
    );
    let first_two: Vec<u32> = gates[..2]
        .iter_mut()
        .map(|g| g.read_line().parse().unwrap())
        .collect();
    gates[0].release();
    gates[1].release();
    assert!(gates[2].wait_entered() && gates[3].wait_entered());
    let last_two: Vec<u32> = gates[2..]
        .iter_mut()
        .map(|g| g.read_line().parse().unwrap())
        .collect();
    gates[2].release();
    gates[3].release();
    executor
        .run_until(
            || futures.iter().all(|f| f.done().get()),
            Some(TEST_TIMEOUT),
        )
        .unwrap();
    assert!(futures
        .iter()
        .all(|f| f.state().get() == FutureState::Completed));
    let (mut a, mut b) = (first_two, last_two);
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b, "the last two tasks ran in the first two's children");
    assert_eq!(children_tagged(tag).len(), 2);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
