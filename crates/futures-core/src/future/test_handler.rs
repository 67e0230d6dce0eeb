//! A handler for this layer's own unit tests: a call's (no custom messages, a `T` result),
//! without reaching up to the task types' layer.

use std::convert::Infallible;
use std::marker::PhantomData;

use crate::future::task_future::FutureHandler;

/// No custom messages; the task returns a `T`.
pub(crate) struct Plain<T = u8>(PhantomData<fn() -> T>);

impl<T> Default for Plain<T> {
    fn default() -> Self {
        Plain(PhantomData)
    }
}

impl<T: Send + 'static> FutureHandler for Plain<T> {
    type Message = Infallible;
    type Output = T;
    type Error = Infallible;

    fn on_message(&self, message: Infallible) {
        match message {}
    }
}
