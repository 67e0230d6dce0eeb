//! The built-in task types users submit: a call ([`call`]), an iteration ([`iteration`]), a
//! progress task ([`progress`]) and a steps task ([`steps`]). Each is a [`FutureHandler`](crate::FutureHandler) and a
//! [`BackgroundTask`](crate::BackgroundTask) written on the public custom-task API, plus the
//! `submit_*` functions that hand them to an executor.
//!
//! The top layer: it uses the executor and the future, and nothing below uses it.

pub(crate) mod call;
pub(crate) mod iteration;
pub(crate) mod progress;
pub(crate) mod steps;
