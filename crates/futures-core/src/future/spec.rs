//! [`TaskSpec`]: a task type's two halves, the future's [`FutureHandler`] and the worker's
//! [`BackgroundTask`], checked to agree on their message, output and error types.

use crate::future::task_future::FutureHandler;
use crate::routing::background_task::BackgroundTask;

/// A task specification: everything [`TraitsExecutor::submit`](crate::TraitsExecutor::submit)
/// needs to make a future and its background task.
///
/// Any `(handler, task)` pair whose types agree is a `TaskSpec`; implement the trait on your own
/// type to give a task type a friendlier constructor.
///
/// ```
/// use std::convert::Infallible;
/// use traits_core::Event;
/// use traits_futures::{BackgroundTask, FutureHandler, TaskContext, TaskSpec};
///
/// #[derive(Default)]
/// struct Lines { line: Event<String> }
/// impl FutureHandler for Lines {
///     type Message = String; type Output = usize; type Error = Infallible;
///     fn on_message(&self, line: String) { self.line.fire(line) }
/// }
///
/// struct Read(Vec<String>);
/// impl BackgroundTask for Read {
///     type Message = String; type Output = usize; type Error = Infallible;
///     fn run(self, context: &TaskContext<'_, String>) -> Result<usize, Infallible> {
///         let n = self.0.len();
///         for line in self.0 { let _ = context.send(line); }
///         Ok(n)
///     }
/// }
///
/// struct ReadLines(Vec<String>);
/// impl TaskSpec for ReadLines {
///     type Handler = Lines;
///     type Task = Read;
///     fn into_parts(self) -> (Lines, Read) { (Lines::default(), Read(self.0)) }
/// }
/// ```
pub trait TaskSpec {
    /// The main-thread half.
    type Handler: FutureHandler;
    /// The background half; its message, output and error types match the handler's.
    type Task: BackgroundTask<
        Message = <Self::Handler as FutureHandler>::Message,
        Output = <Self::Handler as FutureHandler>::Output,
        Error = <Self::Handler as FutureHandler>::Error,
    >;

    /// Splits the specification into the handler (for the future) and the task (for a worker).
    fn into_parts(self) -> (Self::Handler, Self::Task);
}

impl<H, T> TaskSpec for (H, T)
where
    H: FutureHandler,
    T: BackgroundTask<Message = H::Message, Output = H::Output, Error = H::Error>,
{
    type Handler = H;
    type Task = T;
    fn into_parts(self) -> (H, T) {
        self
    }
}
