//! The future as the router sees it: a [`PipeTarget`] that takes its messages one at a time
//! from its pipe's main-thread end.

use std::any::Any;
use std::rc::Rc;

use crate::future::task_future::{ErasedFuture, FutureHandler, Inner as FutureInner};
use crate::routing::pipe::PipeTarget;
use crate::state::CancelReason;
#[cfg(loom)]
use crate::state::Input;

/// Futures made by an executor are the router's pipe targets.
impl<H: FutureHandler> PipeTarget for FutureInner<H> {
    fn dispatch(
        &self,
        mut budget: usize,
        stop: &mut dyn FnMut() -> bool,
        retire: &dyn Fn(),
    ) -> usize {
        let Some(endpoint) = self.endpoint() else {
            return 0;
        };
        let mut delivered = 0;
        let mut refilled = false;
        while budget > 0 {
            // A straight run of custom messages while `Executing`: the machine's answer for
            // them is known (deliver, same state), so they go to the handler directly. The
            // state is read again for every message: an observer may cancel, or finish the
            // future from a nested loop.
            if self.is_executing() {
                if let Some(custom) = endpoint.pop_custom() {
                    self.deliver(custom);
                    delivered += 1;
                    budget -= 1;
                    if stop() || self.is_done() {
                        break;
                    }
                    continue;
                }
            }
            let Some(message) = endpoint.next(&mut refilled) else {
                break;
            };
            if let Err(violation) = self.receive_then(message, retire) {
                log::error!("traits-futures: {violation}; message ignored");
            }
            delivered += 1;
            budget -= 1;
            // `stop` sees every message, including the last one of a finished future.
            if stop() || self.is_done() {
                break;
            }
        }
        delivered
    }

    fn has_buffered(&self) -> bool {
        self.endpoint().is_some_and(|endpoint| !endpoint.is_empty())
    }

    fn is_finished(&self) -> bool {
        self.is_done()
    }

    fn cancel(&self) {
        FutureInner::cancel_with(self, CancelReason::Stopped);
    }

    fn orphan(&self) {
        FutureInner::orphan(self);
    }

    fn future_view(self: Rc<Self>) -> Option<Box<dyn Any>> {
        Some(Box::new(self as Rc<dyn ErasedFuture>))
    }

    fn close(&self, after_final_message: bool) {
        let Some(endpoint) = self.endpoint() else {
            return;
        };
        let discarded = endpoint.close(after_final_message);
        if discarded > 0 {
            log::warn!("traits-futures: {discarded} message(s) after the final one discarded");
        }
    }

    #[cfg(loom)]
    fn queued_inputs(&self) -> Vec<Input> {
        self.endpoint()
            .map_or_else(Vec::new, |endpoint| endpoint.queued_inputs())
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::Arc;

    use crate::future::task_future::TaskFuture;
    use crate::future::test_handler::Plain;
    use crate::routing::message::TaskMessage;
    use crate::routing::pipe_shared::PipeShared;
    use crate::routing::router::{Intake, Router, Step};
    use crate::state::FutureState;

    type CallPipe = PipeShared<std::convert::Infallible, u8, std::convert::Infallible>;

    /// A call future fed by a pipe that the test writes to.
    fn call_future(router: &Router) -> (TaskFuture<Plain>, Arc<CallPipe>) {
        let mut made = None;
        router.insert(|key| {
            let shared = Arc::new(PipeShared::new(key, Arc::clone(router.shared())));
            let future = TaskFuture::with_pipe(Plain::default(), shared.clone());
            let target = future.pipe_target();
            made = Some((future, shared));
            target
        });
        made.expect("insert calls its closure")
    }

    /// Dispatches everything pending; returns how many messages were delivered.
    fn drain(router: &Router) -> usize {
        let mut delivered = 0;
        while let Step::Delivered { count, .. } =
            router.dispatch(usize::MAX, &mut || false, Intake::Arrivals)
        {
            delivered += count;
        }
        delivered
    }

    #[test]
    fn f91_messages_sent_after_the_pipe_closed_are_discarded() {
        let router = Router::new(None);
        let (future, sender) = call_future(&router);

        sender.send(TaskMessage::Started);
        sender.send(TaskMessage::Returned(1));
        assert_eq!(drain(&router), 2);
        assert_eq!(future.state().get(), FutureState::Completed);
        assert_eq!(router.live(), 0, "the pipe is closed and removed");

        // A late message (a buggy task type) is neither queued nor announced nor delivered.
        sender.send(TaskMessage::Returned(2));
        assert!(!sender.has_tail());
        assert_eq!(drain(&router), 0);
        assert_eq!(future.result(), Ok(&1));
        assert_eq!(future.state().get(), FutureState::Completed);
    }

    #[test]
    fn f91_messages_already_buffered_behind_the_final_one_are_discarded() {
        let router = Router::new(None);
        let (future, sender) = call_future(&router);

        // All in one batch: the messages after the final one never reach the future.
        sender.send(TaskMessage::Started);
        sender.send(TaskMessage::Returned(1));
        sender.send(TaskMessage::Returned(2));
        sender.send(TaskMessage::Started);
        assert_eq!(drain(&router), 2);
        assert_eq!(future.result(), Ok(&1));
        assert!(!future.pipe_target().has_buffered());
        assert_eq!(future.state().get(), FutureState::Completed);
    }
}
