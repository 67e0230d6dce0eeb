//! Property tests of a real executor: random interleavings of submit, cancel, stop, dispatch and
//! task progress, on owned pools of one to three workers.
//!
//! Tasks never sleep: a "gated" task blocks on a channel until the test opens its gate (an op of
//! its own, and every gate is opened before the final shutdown), so that the ops decide which
//! tasks are still running when a cancel or a stop comes. After every op the executor's
//! bookkeeping agrees with the futures; at the end every future is done, nothing was delivered
//! to a future after its cancel (or the stop that cancelled it), every uncancelled future got
//! exactly its result or all its items in order, refused submissions never ran, and the
//! executor is `Stopped`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::Index;

use traits_futures::testing::{Recorder, TEST_TIMEOUT};
use traits_futures::{
    submit_call, submit_iteration, CallFuture, ExecutorState, FutureState, IterationFuture,
    SubmitError, TraitsExecutor,
};

#[derive(Clone, Debug)]
enum Op {
    /// A call returning its id; a gated one waits for its gate first.
    Call {
        gated: bool,
    },
    /// An iteration of `items` items; a gated one waits for its gate before its second item.
    Iteration {
        items: u8,
        gated: bool,
    },
    Cancel(Index),
    OpenGate(Index),
    Dispatch,
    /// Runs the event loop for a moment (2 ms), dispatching whatever the workers send meanwhile.
    Settle,
    Stop,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => any::<bool>().prop_map(|gated| Op::Call { gated }),
        3 => (0..5u8, any::<bool>()).prop_map(|(items, gated)| Op::Iteration { items, gated }),
        3 => any::<Index>().prop_map(Op::Cancel),
        2 => any::<Index>().prop_map(Op::OpenGate),
        2 => Just(Op::Dispatch),
        2 => Just(Op::Settle),
        1 => Just(Op::Stop),
    ]
}

enum Kind {
    Call(CallFuture<u32>),
    Iteration {
        future: IterationFuture<u32>,
        items: Recorder<u32>,
        count: u32,
    },
}

/// A submitted future and what the test knows about it.
struct Tracked {
    id: u32,
    kind: Kind,
    states: Recorder<FutureState>,
    gate: Option<mpsc::Sender<()>>,
    /// Items delivered when the future was cancelled (by `cancel()` or `stop()`).
    cancelled_with: Option<usize>,
}

impl Tracked {
    fn state(&self) -> FutureState {
        match &self.kind {
            Kind::Call(future) => future.state().get(),
            Kind::Iteration { future, .. } => future.state().get(),
        }
    }

    fn delivered(&self) -> usize {
        match &self.kind {
            Kind::Call(_) => 0,
            Kind::Iteration { items, .. } => items.len(),
        }
    }

    fn cancel(&self) -> bool {
        match &self.kind {
            Kind::Call(future) => future.cancel(),
            Kind::Iteration { future, .. } => future.cancel(),
        }
    }
}

/// A gate: the task's end blocks until the test's end is dropped.
fn gate(gated: bool) -> (Option<mpsc::Sender<()>>, Option<mpsc::Receiver<()>>) {
    if gated {
        let (open, wait) = mpsc::channel();
        (Some(open), Some(wait))
    } else {
        (None, None)
    }
}

fn wait(gate: &Option<mpsc::Receiver<()>>) {
    if let Some(gate) = gate {
        let _ = gate.recv(); // returns once the test drops its end
    }
}

/// `stop()`: refused unless Running; otherwise every unfinished future is Cancelling when it
/// returns (e72), and nothing may be delivered to it from then on.
fn stop(executor: &TraitsExecutor, tracked: &mut [Tracked]) -> Result<(), TestCaseError> {
    let running = executor.state().get() == ExecutorState::Running;
    prop_assert_eq!(executor.stop().is_ok(), running);
    if running {
        for target in tracked {
            let state = target.state();
            prop_assert!(state.is_done() || state == FutureState::Cancelling);
            if state == FutureState::Cancelling && target.cancelled_with.is_none() {
                target.cancelled_with = Some(target.delivered());
            }
        }
    }
    Ok(())
}

fn run(workers: usize, ops: &[Op], finish_first: bool) -> Result<(), TestCaseError> {
    let executor = TraitsExecutor::builder()
        .max_workers(workers)
        .build()
        .unwrap();
    let mut tracked: Vec<Tracked> = Vec::new();
    let mut refused_ran: Vec<Arc<AtomicBool>> = Vec::new();
    let mut next_id = 0;

    for op in ops {
        let running = executor.state().get() == ExecutorState::Running;
        match op {
            Op::Call { gated } | Op::Iteration { gated, .. } => {
                let id = next_id;
                next_id += 1;
                let ran = Arc::new(AtomicBool::new(false));
                let (open, wait_on) = gate(*gated);
                let submitted = match op {
                    Op::Call { .. } => submit_call(&executor, {
                        let ran = Arc::clone(&ran);
                        move || {
                            ran.store(true, Ordering::SeqCst);
                            wait(&wait_on);
                            id
                        }
                    })
                    .map(Kind::Call),
                    Op::Iteration { items, .. } => {
                        let count = u32::from(*items);
                        submit_iteration(&executor, {
                            let ran = Arc::clone(&ran);
                            move || {
                                ran.store(true, Ordering::SeqCst);
                                (0..count).inspect(move |&i| {
                                    if i == 1 {
                                        wait(&wait_on);
                                    }
                                })
                            }
                        })
                        .map(|future| Kind::Iteration {
                            items: Recorder::event(future.items()),
                            future,
                            count,
                        })
                    }
                    _ => unreachable!(),
                };
                match submitted {
                    Ok(kind) => {
                        prop_assert!(
                            running,
                            "accepted a task while {:?}",
                            executor.state().get()
                        );
                        let states = match &kind {
                            Kind::Call(future) => Recorder::observable(future.state()),
                            Kind::Iteration { future, .. } => Recorder::observable(future.state()),
                        };
                        // a16: submitting changes no state.
                        prop_assert_eq!(states.values(), [FutureState::Waiting]);
                        tracked.push(Tracked {
                            id,
                            kind,
                            states,
                            gate: open,
                            cancelled_with: None,
                        });
                    }
                    Err(SubmitError::NotRunning(state)) => {
                        prop_assert!(!running);
                        prop_assert_eq!(state, executor.state().get());
                        refused_ran.push(ran);
                    }
                    Err(other) => prop_assert!(false, "unexpected {:?}", other),
                }
            }
            Op::Cancel(index) => {
                if tracked.is_empty() {
                    continue;
                }
                let len = tracked.len();
                let target = &mut tracked[index.index(len)];
                let cancellable = target.state().is_cancellable();
                let cancelled = target.cancel();
                prop_assert_eq!(cancelled, cancellable);
                if cancelled {
                    prop_assert_eq!(target.state(), FutureState::Cancelling);
                    target.cancelled_with = Some(target.delivered());
                }
            }
            Op::OpenGate(index) => {
                if !tracked.is_empty() {
                    let len = tracked.len();
                    tracked[index.index(len)].gate = None;
                }
            }
            Op::Dispatch => {
                executor.dispatch_pending();
            }
            Op::Settle => {
                let settled = executor.run_until(|| false, Some(Duration::from_millis(2)));
                prop_assert!(settled.is_err());
            }
            Op::Stop => stop(&executor, &mut tracked)?,
        }
        // The executor counts exactly the unfinished futures; it is Stopped exactly when
        // stopping with none left.
        let live = tracked.iter().filter(|t| !t.state().is_done()).count();
        prop_assert_eq!(executor.running_tasks(), live);
        let state = executor.state().get();
        if state != ExecutorState::Running {
            prop_assert_eq!(state == ExecutorState::Stopped, live == 0);
        }
        for target in &tracked {
            if let Some(at_cancel) = target.cancelled_with {
                prop_assert_eq!(target.delivered(), at_cancel, "delivered after cancel");
            }
        }
    }

    // Let the gated tasks go; maybe let every task finish; then stop (unless an op did) and wait.
    for target in &mut tracked {
        target.gate = None;
    }
    if finish_first {
        let all_done = || tracked.iter().all(|t| t.state().is_done());
        prop_assert_eq!(executor.run_until(all_done, Some(TEST_TIMEOUT)), Ok(()));
    }
    stop(&executor, &mut tracked)?;
    prop_assert_eq!(executor.shutdown(Some(TEST_TIMEOUT)), Ok(()));
    prop_assert_eq!(executor.state().get(), ExecutorState::Stopped);
    prop_assert_eq!(executor.running_tasks(), 0);

    for target in &tracked {
        let state = target.state();
        let states = target.states.values();
        // A public path of the machine: Waiting, then Executing and/or Cancelling, then the end.
        prop_assert_eq!(states.first(), Some(&FutureState::Waiting));
        prop_assert!(state.is_done(), "future {} ended {:?}", target.id, state);
        match target.cancelled_with {
            Some(at_cancel) => {
                prop_assert_eq!(state, FutureState::Cancelled);
                prop_assert_eq!(target.delivered(), at_cancel);
                let cancelling = states.iter().position(|s| *s == FutureState::Cancelling);
                prop_assert_eq!(cancelling, Some(states.len() - 2), "{:?}", states);
            }
            None => {
                prop_assert_eq!(state, FutureState::Completed);
                prop_assert_eq!(
                    states,
                    [
                        FutureState::Waiting,
                        FutureState::Executing,
                        FutureState::Completed
                    ]
                );
            }
        }
        match &target.kind {
            Kind::Call(future) => {
                if state == FutureState::Completed {
                    prop_assert_eq!(future.result(), Ok(&target.id));
                }
            }
            Kind::Iteration { items, count, .. } => {
                let values = items.values();
                let expected: Vec<u32> = (0..values.len() as u32).collect();
                prop_assert_eq!(&values, &expected, "items out of order");
                if state == FutureState::Completed {
                    prop_assert_eq!(values.len() as u32, *count);
                }
            }
        }
    }
    for ran in refused_ran {
        prop_assert!(!ran.load(Ordering::SeqCst), "a refused task ran (e71)");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random interleavings of submit, cancel, gate opening, dispatch and stop.
    #[test]
    fn random_interleavings_end_done_stopped_and_cancel_first(
        workers in 1..=3usize,
        ops in vec(op(), 1..16),
        finish_first in any::<bool>(),
    ) {
        run(workers, &ops, finish_first)?;
    }
}
