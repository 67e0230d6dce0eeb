//! [`VecChange`]: one change of an [`ObservableVec`](crate::ObservableVec), as its observers
//! receive it.

use thiserror::Error;

/// One change of an [`ObservableVec`](crate::ObservableVec), as its observers receive it.
///
/// Every change is a [`Splice`](Self::Splice) (push, insert, remove, pop, set, clear, extend,
/// retain, replace) or a [`Move`](Self::Move). Indices refer to the list as it was just before
/// this change, after every change delivered before it: applying the changes in the order they
/// arrive ([`apply_to`](Self::apply_to)) to a copy of the list rebuilds it exactly.
///
/// ```
/// use traits_core::VecChange;
///
/// let mut mirror = vec!['a', 'b', 'c'];
/// VecChange::Splice { index: 1, removed: vec!['b'], added: vec!['x', 'y'] }.apply_to(&mut mirror);
/// assert_eq!(mirror, ['a', 'x', 'y', 'c']);
/// VecChange::<char>::Move { old_index: 0, new_index: 3 }.apply_to(&mut mirror);
/// assert_eq!(mirror, ['x', 'y', 'c', 'a']);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VecChange<T> {
    /// At `index`, the items `removed` were taken out and the items `added` put in their place
    /// (Traits' list event: index, removed, added). A push or an insert removes nothing, a
    /// remove adds nothing, a `set` removes one item and adds one, a clear removes everything
    /// from index 0.
    Splice {
        /// Where the change happened.
        index: usize,
        /// The items taken out, in order.
        removed: Vec<T>,
        /// The items put in, in order.
        added: Vec<T>,
    },
    /// The item at `old_index` was taken out and put back at `new_index` (the items between
    /// shift by one), as [`Vec::remove`] then [`Vec::insert`] would do.
    Move {
        /// Where the item was.
        old_index: usize,
        /// Where it is now.
        new_index: usize,
    },
}

impl<T: Clone> VecChange<T> {
    /// Applies this change to `target`, a copy of the list as it was before the change: how a
    /// mirror (a list widget's model, a test's expectation) keeps up.
    ///
    /// Panics if `target` does not have the items the change refers to (it is not a faithful
    /// copy).
    ///
    /// ```
    /// use std::{cell::RefCell, rc::Rc};
    /// use traits_core::ObservableVec;
    ///
    /// let list = ObservableVec::new();
    /// let mirror = Rc::new(RefCell::new(Vec::new()));
    /// let _guard = list.observe({
    ///     let mirror = mirror.clone();
    ///     move |change| change.apply_to(&mut mirror.borrow_mut())
    /// });
    /// list.extend([3, 1, 2]);
    /// list.move_item(0, 2)?;
    /// list.remove(0)?;
    /// assert_eq!(*mirror.borrow(), list.to_vec());
    /// # Ok::<(), traits_core::IndexOutOfRange>(())
    /// ```
    pub fn apply_to(&self, target: &mut Vec<T>) {
        match self {
            VecChange::Splice {
                index,
                removed,
                added,
            } => {
                target.splice(*index..*index + removed.len(), added.iter().cloned());
            }
            VecChange::Move {
                old_index,
                new_index,
            } => {
                let item = target.remove(*old_index);
                target.insert(*new_index, item);
            }
        }
    }
}

/// An index past the end of an [`ObservableVec`](crate::ObservableVec): the list is left as it
/// was. Check the index against [`len`](crate::ObservableVec::len) first (for an insert, `len`
/// itself is a valid index: it appends).
///
/// ```
/// let list = traits_core::ObservableVec::from(vec![1, 2]);
/// let error = list.remove(5).unwrap_err();
/// assert_eq!((error.index, error.len), (5, 2));
/// assert_eq!(list.len(), 2);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Error)]
#[error("index {index} is out of range for a list of {len} items: the list was not changed")]
pub struct IndexOutOfRange {
    /// The index asked for.
    pub index: usize,
    /// The list's length at the time.
    pub len: usize,
}
