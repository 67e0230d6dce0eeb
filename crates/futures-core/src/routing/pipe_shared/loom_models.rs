//! Model checking of the park handshake (`park.rs`) with loom: `just loom`, that is
//! `RUSTFLAGS="--cfg loom" cargo test -p traits-futures --release --lib loom_models`.
//!
//! Each model races one waiting worker against the main side's change of what it waits for:
//! a resume against a suspended send or checkpoint, a `take_batch` against a send that waits
//! for room, a cancel against every kind of wait, and an input's send or last sender's drop
//! against a `recv`. The worker must never be left parked (loom reports a thread that parks
//! for ever as a deadlock), and must return what the change says. Two broken variants are
//! caught: a worker that looks at its condition in one critical section and registers in the
//! next, and a resume that unparks before it clears the flag.

use std::num::NonZeroUsize;

use loom::thread;

use super::park::Broken;
use super::{PipeOwner, PipeShared};
use crate::error::TaskCancelled;
use crate::routing::background_task::{MessageSink, TaskContext};
use crate::routing::message::TaskMessage;
use crate::routing::pipe_key::PipeKey;
use crate::routing::router::Router;
use crate::routing::task_input::task_input;
use crate::sync::Arc;

type Pipe = PipeShared<u8, (), ()>;

/// A started pipe (its `S` queued), its handshake broken as `broken` says.
fn started_pipe(broken: Broken) -> Arc<Pipe> {
    let router = Router::new(None);
    let pipe = PipeShared::new(PipeKey::from_bits(1), Arc::clone(router.shared())).broken(broken);
    pipe.send(TaskMessage::Started);
    Arc::new(pipe)
}

fn one() -> Option<NonZeroUsize> {
    NonZeroUsize::new(1)
}

fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(4);
    }
    builder.check(f);
}

/// A suspended worker's wait (a send, or a checkpoint) against a resume.
fn resume_against_a_suspended_wait(broken: Broken, checkpoint: bool) {
    model(move || {
        let pipe = started_pipe(broken);
        pipe.suspend();
        let worker = thread::spawn({
            let pipe = Arc::clone(&pipe);
            move || {
                if checkpoint {
                    pipe.checkpoint()
                } else {
                    pipe.send_custom(7, None)
                }
            }
        });
        pipe.resume();
        assert_eq!(worker.join().unwrap(), Ok(()));
    });
}

#[test]
fn resume_never_leaves_a_suspended_send_parked() {
    resume_against_a_suspended_wait(Broken::None, false);
}

#[test]
fn resume_never_leaves_a_suspended_checkpoint_parked() {
    resume_against_a_suspended_wait(Broken::None, true);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_a_look_then_a_registration_in_two_critical_sections_is_caught() {
    resume_against_a_suspended_wait(Broken::LookThenRegister, true);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_a_resume_that_unparks_before_it_clears_the_flag_is_caught() {
    resume_against_a_suspended_wait(Broken::WakeBeforeChange, true);
}

/// A send that waits for room (capacity 1, one message waiting) against the main side's
/// `take_batch`.
fn take_batch_against_a_full_queue(broken: Broken) {
    model(move || {
        let pipe = started_pipe(broken);
        assert_eq!(pipe.send_custom(1, one()), Ok(()));
        let worker = thread::spawn({
            let pipe = Arc::clone(&pipe);
            move || pipe.send_custom(2, one())
        });
        let mut first = Vec::new();
        pipe.take_batch(&mut first);
        assert_eq!(worker.join().unwrap(), Ok(()));
        assert_eq!(first, [1]);
        let mut second = Vec::new();
        pipe.take_batch(&mut second);
        assert_eq!(
            second,
            [2],
            "the waiting send was queued after the first batch"
        );
    });
}

#[test]
fn take_batch_never_leaves_a_send_waiting_for_room_parked() {
    take_batch_against_a_full_queue(Broken::None);
}

#[test]
#[should_panic(expected = "deadlock")]
fn broken_a_full_queue_look_then_registration_is_caught() {
    take_batch_against_a_full_queue(Broken::LookThenRegister);
}

/// What a worker waits for in [`cancel_ends_every_wait`].
#[derive(Clone, Copy, Debug)]
enum Wait {
    SuspendedSend,
    Checkpoint,
    FullQueue,
    Input,
}

#[test]
fn cancel_ends_every_wait_at_once() {
    for wait in [
        Wait::SuspendedSend,
        Wait::Checkpoint,
        Wait::FullQueue,
        Wait::Input,
    ] {
        model(move || {
            let pipe = started_pipe(Broken::None);
            let (sender, receiver) = task_input::<u8>();
            match wait {
                Wait::SuspendedSend | Wait::Checkpoint => pipe.suspend(),
                Wait::FullQueue => assert_eq!(pipe.send_custom(1, one()), Ok(())),
                Wait::Input => {}
            }
            let worker = thread::spawn({
                let pipe = Arc::clone(&pipe);
                move || match wait {
                    Wait::SuspendedSend => pipe.send_custom(2, None),
                    Wait::Checkpoint => pipe.checkpoint(),
                    Wait::FullQueue => pipe.send_custom(2, one()),
                    Wait::Input => {
                        let context = TaskContext::new(&*pipe as &dyn MessageSink<u8>, None);
                        receiver.recv(&context).map(drop)
                    }
                }
            });
            pipe.cancel();
            assert_eq!(worker.join().unwrap(), Err(TaskCancelled), "{wait:?}");
            drop(sender);
        });
    }
}

/// A `recv` against a send, and against the last sender's drop.
#[test]
fn an_input_send_or_the_last_senders_drop_never_leaves_recv_parked() {
    for send in [true, false] {
        model(move || {
            let pipe = started_pipe(Broken::None);
            let (sender, receiver) = task_input::<u8>();
            let worker = thread::spawn({
                let pipe = Arc::clone(&pipe);
                move || {
                    let context = TaskContext::new(&*pipe as &dyn MessageSink<u8>, None);
                    receiver.recv(&context)
                }
            });
            if send {
                sender.send(5).unwrap();
                assert_eq!(worker.join().unwrap(), Ok(Some(5)));
            } else {
                drop(sender);
                assert_eq!(worker.join().unwrap(), Ok(None));
            }
        });
    }
}
