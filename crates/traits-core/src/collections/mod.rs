//! Observable collections: a list ([`ObservableVec`]) and a map ([`ObservableMap`]) on
//! futures-signals' `MutableVec` and `MutableBTreeMap`, whose observers hear every change.

use std::panic::{self, AssertUnwindSafe};

use crate::callback::Callback;

pub(crate) mod map;
pub(crate) mod vec;
pub(crate) mod vec_change;
pub(crate) mod vec_handles;

/// What a collection's observer list carries: the changes of one operation. An operation that
/// makes several changes (a retain, a map's clear) delivers them as one payload, so that a
/// change made from inside an observer is queued after all of them, never between two.
pub(crate) enum Changes<C> {
    One(C),
    Many(Vec<C>),
}

impl<C> Changes<C> {
    /// The payload of `changes`, or `None` when there are none.
    pub(crate) fn of(mut changes: Vec<C>) -> Option<Self> {
        match changes.len() {
            0 => None,
            1 => changes.pop().map(Changes::One),
            _ => Some(Changes::Many(changes)),
        }
    }
}

/// An observer of single changes, as a callback of the collection's list: each change of a
/// payload is handed to `observer` in order; if it panics on one, it still hears the rest, and
/// the first panic goes on (to the list, which resumes it once the notification is over).
pub(crate) fn change_callback<C: 'static>(observer: impl Fn(&C) + 'static) -> Callback<Changes<C>> {
    Callback::new(move |changes: &Changes<C>| {
        match changes {
            Changes::One(change) => observer(change),
            Changes::Many(changes) => {
                let mut first_panic = None;
                for change in changes {
                    if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(|| observer(change))) {
                        first_panic.get_or_insert(panic);
                    }
                }
                if let Some(panic) = first_panic {
                    panic::resume_unwind(panic);
                }
            }
        }
        true
    })
}
