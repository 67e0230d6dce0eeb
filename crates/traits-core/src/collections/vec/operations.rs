//! [`ObservableVec`]'s changing operations, each a call of its one change-and-notify step.

use crate::collections::vec::ObservableVec;
use crate::collections::vec_change::{IndexOutOfRange, VecChange};
use crate::collections::Changes;

impl<T: Clone + 'static> ObservableVec<T> {
    /// Appends `value`.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::new();
    /// list.push("a");
    /// assert_eq!(list.to_vec(), ["a"]);
    /// ```
    pub fn push(&self, value: T) {
        self.change(|values, listened| {
            let index = values.len();
            let added = listened.then(|| vec![value.clone()]);
            values.push_cloned(value);
            ((), added.map(|added| splice(index, Vec::new(), added)))
        })
    }

    /// Inserts `value` at `index` (at most `len`), shifting the items after it.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec![1, 3]);
    /// list.insert(1, 2)?;
    /// assert_eq!(list.to_vec(), [1, 2, 3]);
    /// assert!(list.insert(9, 4).is_err());
    /// # Ok::<(), traits_core::IndexOutOfRange>(())
    /// ```
    pub fn insert(&self, index: usize, value: T) -> Result<(), IndexOutOfRange> {
        self.change(|values, listened| {
            let len = values.len();
            if index > len {
                return (Err(IndexOutOfRange { index, len }), None);
            }
            let added = listened.then(|| vec![value.clone()]);
            values.insert_cloned(index, value);
            (Ok(()), added.map(|added| splice(index, Vec::new(), added)))
        })
    }

    /// Removes and returns the item at `index`, shifting the items after it.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec!['a', 'b']);
    /// assert_eq!(list.remove(0), Ok('a'));
    /// assert_eq!(list.to_vec(), ['b']);
    /// ```
    pub fn remove(&self, index: usize) -> Result<T, IndexOutOfRange> {
        self.change(|values, listened| {
            let len = values.len();
            if index >= len {
                return (Err(IndexOutOfRange { index, len }), None);
            }
            let item = values.remove(index);
            let removed = listened.then(|| vec![item.clone()]);
            (
                Ok(item),
                removed.map(|removed| splice(index, removed, Vec::new())),
            )
        })
    }

    /// Removes and returns the last item, if any.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec![1, 2]);
    /// assert_eq!(list.pop(), Some(2));
    /// ```
    pub fn pop(&self) -> Option<T> {
        let len = self.len();
        len.checked_sub(1).and_then(|last| self.remove(last).ok())
    }

    /// Replaces the item at `index` with `value` and returns the old item.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec![1, 2]);
    /// assert_eq!(list.set(1, 5), Ok(2));
    /// assert_eq!(list.to_vec(), [1, 5]);
    /// ```
    pub fn set(&self, index: usize, value: T) -> Result<T, IndexOutOfRange> {
        self.change(|values, listened| {
            let len = values.len();
            if index >= len {
                return (Err(IndexOutOfRange { index, len }), None);
            }
            // The `MutableVec` hands no old item back: it is cloned before it is overwritten.
            let old = values[index].clone();
            let change = listened.then(|| splice(index, vec![old.clone()], vec![value.clone()]));
            values.set_cloned(index, value);
            (Ok(old), change)
        })
    }

    /// Moves the item at `old_index` to `new_index`, shifting the items between (as a remove
    /// then an insert would); both must be less than `len`.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec!['a', 'b', 'c']);
    /// list.move_item(0, 2)?;
    /// assert_eq!(list.to_vec(), ['b', 'c', 'a']);
    /// # Ok::<(), traits_core::IndexOutOfRange>(())
    /// ```
    pub fn move_item(&self, old_index: usize, new_index: usize) -> Result<(), IndexOutOfRange> {
        self.change(|values, _listened| {
            let len = values.len();
            if let Some(index) = [old_index, new_index].into_iter().find(|&i| i >= len) {
                return (Err(IndexOutOfRange { index, len }), None);
            }
            if old_index == new_index {
                return (Ok(()), None);
            }
            values.move_from_to(old_index, new_index);
            let change = VecChange::Move {
                old_index,
                new_index,
            };
            (Ok(()), Some(change))
        })
    }

    /// Removes every item (one change, from index 0, if the list was not empty).
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec![1, 2]);
    /// list.clear();
    /// assert!(list.is_empty());
    /// ```
    pub fn clear(&self) {
        self.change(|values, listened| {
            if values.is_empty() {
                return ((), None);
            }
            if !listened {
                values.clear();
                return ((), None);
            }
            let removed: Vec<T> = values.drain(..).collect();
            ((), Some(splice(0, removed, Vec::new())))
        })
    }

    /// Appends every item of `items` (one change for them all, if there are any).
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec![1]);
    /// list.extend([2, 3]);
    /// assert_eq!(list.to_vec(), [1, 2, 3]);
    /// ```
    pub fn extend(&self, items: impl IntoIterator<Item = T>) {
        let items: Vec<T> = items.into_iter().collect();
        self.change(|values, listened| {
            if items.is_empty() {
                return ((), None);
            }
            let index = values.len();
            let added = listened.then(|| items.clone());
            values.extend(items);
            ((), added.map(|added| splice(index, Vec::new(), added)))
        })
    }

    /// Replaces every item with `items` (one change from index 0, unless both are empty).
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec![1, 2]);
    /// list.replace(vec![7]);
    /// assert_eq!(list.to_vec(), [7]);
    /// ```
    pub fn replace(&self, items: Vec<T>) {
        self.change(|values, listened| {
            if values.is_empty() && items.is_empty() {
                return ((), None);
            }
            let change = listened.then(|| splice(0, values.to_vec(), items.clone()));
            values.replace_cloned(items);
            ((), change)
        })
    }

    /// Keeps only the items for which `keep` returns true. Each run of adjacent removed items is
    /// one change, delivered from the end of the list to its start (so each change's index holds
    /// for the list as the changes before it left it); a change made by an observer meanwhile
    /// is delivered after all of them.
    ///
    /// `keep` runs while the list is borrowed: it may read the list, not change it.
    ///
    /// ```
    /// let list = traits_core::ObservableVec::from(vec![1, 2, 3, 4, 5]);
    /// list.retain(|n| n % 2 == 1);
    /// assert_eq!(list.to_vec(), [1, 3, 5]);
    /// ```
    pub fn retain(&self, mut keep: impl FnMut(&T) -> bool) {
        let flags: Vec<bool> = self.lock_ref().iter().map(&mut keep).collect();
        // Runs of removed items, as (start, end), from the last to the first.
        let mut runs = Vec::new();
        let mut index = flags.len();
        while index > 0 {
            index -= 1;
            if !flags[index] {
                let end = index + 1;
                while index > 0 && !flags[index - 1] {
                    index -= 1;
                }
                runs.push((index, end));
            }
        }
        if runs.is_empty() {
            return;
        }
        self.change_many(|values, listened| {
            let mut changes = Vec::with_capacity(if listened { runs.len() } else { 0 });
            for (start, end) in runs {
                let removed: Vec<T> = values.drain(start..end).collect();
                if listened {
                    changes.push(splice(start, removed, Vec::new()));
                }
            }
            ((), Changes::of(changes))
        })
    }
}

/// A [`VecChange::Splice`].
fn splice<T>(index: usize, removed: Vec<T>, added: Vec<T>) -> VecChange<T> {
    VecChange::Splice {
        index,
        removed,
        added,
    }
}
