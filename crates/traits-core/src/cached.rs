//! Cached derived properties ([`Derived::cached`](crate::Derived::cached)): the node that
//! evaluates only when a source changed, and the sources' change counts it compares.

use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

use crate::derived::{Node, Recompute, SourceGuards};
use crate::guard::{ObserverKey, Unobserve};
use crate::observable::ValueCell;

/// Something that counts its changes (an observable's value, a cached property's sources).
pub(crate) trait Counted {
    /// The number of changes so far, or `None` when it keeps no count.
    fn count(&self) -> Option<u64>;
}

/// A handle to a source's count of changes, from
/// [`Dependency::change_counter`](crate::Dependency::change_counter): a
/// [cached](crate::Derived::cached) property keeps one per source and evaluates again only when
/// their sum moved. It keeps the source alive.
///
/// ```
/// use traits_core::{Dependency, Observable};
/// let value = Observable::new("a");
/// let counter = value.change_counter().expect("an observable counts its changes");
/// value.set("b");
/// value.set("c");
/// assert_eq!(counter.count(), Some(2));
/// ```
#[derive(Clone)]
pub struct ChangeCounter(Rc<dyn Counted>);

impl ChangeCounter {
    pub(crate) fn new(source: Rc<dyn Counted>) -> Self {
        ChangeCounter(source)
    }

    /// The number of changes the source has had, or `None` if it keeps no count.
    ///
    /// ```
    /// use traits_core::{Dependency, Observable};
    /// let value = Observable::new(0);
    /// assert_eq!(value.change_counter().unwrap().count(), Some(0));
    /// assert!(value.map(|v| *v).change_counter().is_none()); // an uncached property
    /// ```
    pub fn count(&self) -> Option<u64> {
        self.0.count()
    }
}

impl fmt::Debug for ChangeCounter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ChangeCounter").field(&self.count()).finish()
    }
}

/// The sum of `counters`, or `None` if one keeps no count (or a source could not give a
/// counter). Each count only grows, so the sum moves exactly when one of them does.
fn total(counters: &Option<Vec<ChangeCounter>>) -> Option<u64> {
    counters.as_deref()?.iter().try_fold(0u64, |sum, counter| {
        Some(sum.wrapping_add(counter.count()?))
    })
}

/// The last evaluation: its result, and the sources' total count it was made at (`None`: it
/// cannot be trusted, a source keeps no count).
struct Memo<U> {
    at: Option<u64>,
    value: U,
}

/// One allocation per cached property: the notified value, the memo, the function, the
/// sources' counters and the registrations with them.
pub(crate) struct CachedNode<U, F> {
    /// The value observers were last told about; drives observers and the signal.
    cache: ValueCell<U>,
    memo: RefCell<Memo<U>>,
    compute: F,
    /// `None` when a source keeps no count: then every read evaluates.
    counters: Option<Vec<ChangeCounter>>,
    /// Kept only to unregister from the sources when the property is dropped.
    #[allow(dead_code)]
    sources: SourceGuards,
}

impl<U: Clone + PartialEq + 'static, F: Fn() -> U + 'static> CachedNode<U, F> {
    pub(crate) fn new(
        compute: F,
        counters: Option<Vec<ChangeCounter>>,
        sources: SourceGuards,
    ) -> Self {
        let at = total(&counters);
        let value = compute();
        CachedNode {
            cache: ValueCell::new(value.clone()),
            memo: RefCell::new(Memo { at, value }),
            compute,
            counters,
            sources,
        }
    }

    /// Evaluates `compute` and keeps the result as the memo for the sources' count `at`.
    fn evaluate(&self, at: Option<u64>) -> U {
        // No borrow is held while user code runs.
        let value = (self.compute)();
        *self.memo.borrow_mut() = Memo {
            at,
            value: value.clone(),
        };
        value
    }
}

impl<U: Clone + PartialEq + 'static, F: Fn() -> U + 'static> Node<U> for CachedNode<U, F> {
    fn cache(&self) -> &ValueCell<U> {
        &self.cache
    }

    fn compute(&self) -> U {
        let now = total(&self.counters);
        {
            let memo = self.memo.borrow();
            if now.is_some() && memo.at == now {
                return memo.value.clone();
            }
        }
        self.evaluate(now)
    }

    fn refresh(&self) -> U {
        self.evaluate(total(&self.counters))
    }
}

impl<U: Clone + PartialEq + 'static, F: Fn() -> U + 'static> Recompute for CachedNode<U, F> {
    fn source_changed(&self) {
        // Evaluates unless `get` already did since the change.
        self.cache.set(self.compute());
    }
}

impl<U, F> Counted for CachedNode<U, F> {
    /// The sources' total: it moves exactly when the property may have changed.
    fn count(&self) -> Option<u64> {
        total(&self.counters)
    }
}

impl<U: 'static, F> Unobserve for CachedNode<U, F> {
    fn unobserve(&self, key: ObserverKey) {
        self.cache.unobserve(key);
    }
}
