//! [`ObservableMap`]: a futures-signals `MutableBTreeMap` whose every change observers hear.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::ops::Deref;
use std::rc::{Rc, Weak};

use futures_signals::signal_map::{
    MutableBTreeMap, MutableBTreeMapEntries, MutableBTreeMapLockMut, MutableBTreeMapLockRef,
    MutableSignalMap,
};

use crate::collections::{change_callback, Changes};
use crate::derived::{Dependency, DependentHandle};
use crate::guard::{ObserverGuard, ObserverKey, Unobserve};
use crate::observers::{ObserverList, Tier};

/// One change of an [`ObservableMap`]: the entry at `key` went from `old` to `new` (`None`:
/// absent). An insert of a new key has `old: None`, a removal `new: None`, an update both.
///
/// ```
/// use std::collections::BTreeMap;
/// use traits_core::MapChange;
///
/// let mut mirror = BTreeMap::from([("a", 1)]);
/// MapChange { key: "a", old: Some(1), new: Some(2) }.apply_to(&mut mirror);
/// MapChange { key: "b", old: None, new: Some(3) }.apply_to(&mut mirror);
/// assert_eq!(mirror, BTreeMap::from([("a", 2), ("b", 3)]));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MapChange<K, V> {
    /// The entry's key.
    pub key: K,
    /// Its value before the change, if it was present.
    pub old: Option<V>,
    /// Its value after the change, if it is present.
    pub new: Option<V>,
}

impl<K: Ord + Clone, V: Clone> MapChange<K, V> {
    /// Applies this change to `target`, a copy of the map as it was before the change.
    ///
    /// ```
    /// use std::collections::BTreeMap;
    /// let mut mirror = BTreeMap::from([(1, 'x')]);
    /// traits_core::MapChange { key: 1, old: Some('x'), new: None }.apply_to(&mut mirror);
    /// assert!(mirror.is_empty());
    /// ```
    pub fn apply_to(&self, target: &mut BTreeMap<K, V>) {
        match &self.new {
            Some(value) => target.insert(self.key.clone(), value.clone()),
            None => target.remove(&self.key),
        };
    }
}

/// An observable map, ordered by key: a futures-signals [`MutableBTreeMap`] whose observers
/// hear every change of an entry ([`MapChange`]: key, old value, new value).
///
/// Its rules are those of [`ObservableVec`](crate::ObservableVec): observers run synchronously
/// after each change, in registration order; a change made from inside an observer is applied
/// at once and delivered after the current notification (every observer sees every change, in
/// order); a panicking observer leaves the change made and the others called, and its panic
/// resumes on the caller afterwards; changing the map while a [`lock_ref`](Self::lock_ref) of it
/// is held panics. An insert always notifies, even of a value equal to the old one (values need
/// no `PartialEq`). [`signal_map`](Self::signal_map) is the `MutableBTreeMap`'s own diff signal.
///
/// ```
/// use std::{cell::RefCell, rc::Rc};
/// use traits_core::{MapChange, ObservableMap};
///
/// let stock = ObservableMap::new();
/// let log = Rc::new(RefCell::new(Vec::new()));
/// let _guard = stock.observe({
///     let log = log.clone();
///     move |change: &MapChange<&str, u32>| log.borrow_mut().push(change.clone())
/// });
/// stock.insert("apples", 3);
/// stock.insert("apples", 2);
/// stock.remove(&"apples");
/// assert_eq!(
///     *log.borrow(),
///     [
///         MapChange { key: "apples", old: None, new: Some(3) },
///         MapChange { key: "apples", old: Some(3), new: Some(2) },
///         MapChange { key: "apples", old: Some(2), new: None },
///     ]
/// );
/// ```
pub struct ObservableMap<K, V> {
    inner: Rc<MapInner<K, V>>,
}

struct MapInner<K, V> {
    values: MutableBTreeMap<K, V>,
    /// How many [`MapReadGuard`]s are alive (a change then panics rather than deadlock).
    readers: Cell<usize>,
    observers: ObserverList<Changes<MapChange<K, V>>>,
}

impl<K: 'static, V: 'static> Unobserve for MapInner<K, V> {
    fn unobserve(&self, key: ObserverKey) {
        self.observers.remove(key);
    }
}

impl<K, V> Clone for ObservableMap<K, V> {
    fn clone(&self) -> Self {
        ObservableMap {
            inner: Rc::clone(&self.inner),
        }
    }
}

/// A read of an [`ObservableMap`]: dereferences to its `BTreeMap`. Do not change the map while
/// it is held (that panics).
///
/// ```
/// let map = traits_core::ObservableMap::from(std::collections::BTreeMap::from([(1, "one")]));
/// let entries = map.lock_ref();
/// assert_eq!(entries.get(&1), Some(&"one"));
/// assert_eq!(entries.keys().copied().collect::<Vec<_>>(), [1]);
/// ```
pub struct MapReadGuard<'a, K, V> {
    lock: MutableBTreeMapLockRef<'a, K, V>,
    readers: &'a Cell<usize>,
}

impl<K, V> Deref for MapReadGuard<'_, K, V> {
    type Target = BTreeMap<K, V>;
    fn deref(&self) -> &BTreeMap<K, V> {
        &self.lock
    }
}

impl<K, V> Drop for MapReadGuard<'_, K, V> {
    fn drop(&mut self) {
        self.readers.set(self.readers.get() - 1);
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for MapReadGuard<'_, K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<K: Ord + Clone + 'static, V: Clone + 'static> ObservableMap<K, V> {
    /// An empty map.
    ///
    /// ```
    /// let map = traits_core::ObservableMap::<String, u8>::new();
    /// assert!(map.is_empty());
    /// ```
    pub fn new() -> Self {
        Self::from(BTreeMap::new())
    }

    fn owner(&self) -> Weak<dyn Unobserve> {
        Rc::downgrade(&self.inner) as Weak<dyn Unobserve>
    }

    /// Registers `observer`, called with every change from now on, until the guard drops.
    ///
    /// ```
    /// use std::{cell::Cell, rc::Rc};
    /// let map = traits_core::ObservableMap::new();
    /// let changes = Rc::new(Cell::new(0));
    /// let _guard = map.observe({ let c = changes.clone(); move |_| c.set(c.get() + 1) });
    /// map.insert('k', 1);
    /// map.remove(&'z'); // absent: no change
    /// assert_eq!(changes.get(), 1);
    /// ```
    pub fn observe(&self, observer: impl Fn(&MapChange<K, V>) + 'static) -> ObserverGuard {
        self.inner
            .observers
            .add(Tier::Observer, change_callback(observer), self.owner())
    }

    /// The number of registered observers and dependents (for tests and leak checks).
    ///
    /// ```
    /// let map = traits_core::ObservableMap::<u8, u8>::new();
    /// let _guard = map.observe(|_| {});
    /// assert_eq!(map.observer_count(), 1);
    /// ```
    pub fn observer_count(&self) -> usize {
        self.inner.observers.len()
    }

    /// The `MutableBTreeMap`'s diff signal: the current entries first (one `Replace`, if there
    /// are any), then a [`MapDiff`](futures_signals::signal_map::MapDiff) per change.
    ///
    /// ```
    /// use futures::{executor::block_on, future::poll_fn};
    /// use futures_signals::signal_map::{MapDiff, SignalMapExt};
    ///
    /// let map = traits_core::ObservableMap::new();
    /// let mut diffs = map.signal_map();
    /// map.insert("a", 1);
    /// let diff = block_on(poll_fn(|cx| diffs.poll_map_change_unpin(cx)));
    /// assert_eq!(diff, Some(MapDiff::Insert { key: "a", value: 1 }));
    /// ```
    pub fn signal_map(&self) -> MutableSignalMap<K, V> {
        self.inner.values.signal_map_cloned()
    }

    /// The entries as a signal of a list ordered by key (`VecDiff`s of `(key, value)`), for
    /// binding a list widget to a map.
    ///
    /// ```
    /// use futures::{executor::block_on, StreamExt};
    /// use futures_signals::signal_vec::{SignalVecExt, VecDiff};
    ///
    /// let map = traits_core::ObservableMap::from(std::collections::BTreeMap::from([(2, 'b')]));
    /// let mut rows = map.signal_vec_entries().to_stream();
    /// map.insert(1, 'a');
    /// assert_eq!(block_on(rows.next()), Some(VecDiff::Replace { values: vec![(2, 'b')] }));
    /// assert_eq!(block_on(rows.next()), Some(VecDiff::InsertAt { index: 0, value: (1, 'a') }));
    /// ```
    pub fn signal_vec_entries(&self) -> MutableBTreeMapEntries<K, V> {
        self.inner.values.entries_cloned()
    }

    /// Borrows the map; changing it while the borrow is held panics.
    ///
    /// ```
    /// let map = traits_core::ObservableMap::new();
    /// map.insert(1, 10);
    /// assert_eq!(map.lock_ref().values().sum::<i32>(), 10);
    /// ```
    pub fn lock_ref(&self) -> MapReadGuard<'_, K, V> {
        let inner = &*self.inner;
        inner.readers.set(inner.readers.get() + 1);
        MapReadGuard {
            lock: inner.values.lock_ref(),
            readers: &inner.readers,
        }
    }

    /// The number of entries.
    ///
    /// ```
    /// let map = traits_core::ObservableMap::new();
    /// map.insert((), ());
    /// assert_eq!(map.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.lock_ref().len()
    }

    /// True when the map has no entries.
    ///
    /// ```
    /// assert!(traits_core::ObservableMap::<u8, u8>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A clone of the value at `key`, if present.
    ///
    /// ```
    /// let map = traits_core::ObservableMap::new();
    /// map.insert("k", 'v');
    /// assert_eq!(map.get(&"k"), Some('v'));
    /// ```
    pub fn get(&self, key: &K) -> Option<V> {
        self.lock_ref().get(key).cloned()
    }

    /// True when `key` is present.
    ///
    /// ```
    /// let map = traits_core::ObservableMap::new();
    /// map.insert(1, ());
    /// assert!(map.contains_key(&1));
    /// ```
    pub fn contains_key(&self, key: &K) -> bool {
        self.lock_ref().contains_key(key)
    }

    /// A clone of the whole map.
    ///
    /// ```
    /// let map = traits_core::ObservableMap::new();
    /// map.insert(1, 'a');
    /// assert_eq!(map.to_btree_map(), std::collections::BTreeMap::from([(1, 'a')]));
    /// ```
    pub fn to_btree_map(&self) -> BTreeMap<K, V> {
        self.lock_ref().clone()
    }

    /// Changes the map under its write lock (see `ObservableVec::change`), then notifies the
    /// changes returned, in order, with the lock released: as one payload, so that a change an
    /// observer makes meanwhile is delivered after all of them.
    fn change<R>(
        &self,
        change: impl FnOnce(&mut MutableBTreeMapLockMut<'_, K, V>, bool) -> (R, Vec<MapChange<K, V>>),
    ) -> R {
        let inner = &*self.inner;
        assert!(
            inner.readers.get() == 0,
            "traits-core: an ObservableMap was changed while a `lock_ref()` of it was held; drop \
             the borrow first"
        );
        let listened = !inner.observers.is_empty();
        let (result, changes) = change(&mut inner.values.lock_mut(), listened);
        if let Some(changes) = Changes::of(changes) {
            inner.observers.emit(changes);
        }
        result
    }

    /// Inserts `value` at `key`; returns the value it replaced, if any.
    ///
    /// ```
    /// let map = traits_core::ObservableMap::new();
    /// assert_eq!(map.insert("k", 1), None);
    /// assert_eq!(map.insert("k", 2), Some(1));
    /// ```
    pub fn insert(&self, key: K, value: V) -> Option<V> {
        self.change(|values, listened| {
            let notification = listened.then(|| (key.clone(), value.clone()));
            let old = values.insert_cloned(key, value);
            let changes = notification
                .map(|(key, new)| MapChange {
                    key,
                    old: old.clone(),
                    new: Some(new),
                })
                .into_iter()
                .collect();
            (old, changes)
        })
    }

    /// Removes the entry at `key`; returns its value, if it was present.
    ///
    /// ```
    /// let map = traits_core::ObservableMap::new();
    /// map.insert(1, 'a');
    /// assert_eq!(map.remove(&1), Some('a'));
    /// assert_eq!(map.remove(&1), None);
    /// ```
    pub fn remove(&self, key: &K) -> Option<V> {
        self.change(|values, listened| {
            let old = values.remove(key);
            let changes = match &old {
                Some(old) if listened => vec![MapChange {
                    key: key.clone(),
                    old: Some(old.clone()),
                    new: None,
                }],
                _ => Vec::new(),
            };
            (old, changes)
        })
    }

    /// Removes every entry: one change per entry, in key order.
    ///
    /// ```
    /// let map = traits_core::ObservableMap::new();
    /// map.insert(1, 'a');
    /// map.clear();
    /// assert!(map.is_empty());
    /// ```
    pub fn clear(&self) {
        self.change(|values, listened| {
            let changes = if listened {
                values
                    .iter()
                    .map(|(key, old)| MapChange {
                        key: key.clone(),
                        old: Some(old.clone()),
                        new: None,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            values.clear();
            ((), changes)
        })
    }

    /// Keeps only the entries for which `keep` returns true: one change per removed entry, in
    /// key order. `keep` runs while the map is borrowed: it may read the map, not change it.
    ///
    /// ```
    /// let map = traits_core::ObservableMap::new();
    /// for n in 1..=4 { map.insert(n, n * n); }
    /// map.retain(|_, square| *square > 4);
    /// assert_eq!(map.lock_ref().keys().copied().collect::<Vec<_>>(), [3, 4]);
    /// ```
    pub fn retain(&self, mut keep: impl FnMut(&K, &V) -> bool) {
        let doomed: Vec<K> = self
            .lock_ref()
            .iter()
            .filter(|(key, value)| !keep(key, value))
            .map(|(key, _)| key.clone())
            .collect();
        if doomed.is_empty() {
            return;
        }
        self.change(|values, listened| {
            let mut changes = Vec::new();
            for key in doomed {
                if let Some(old) = values.remove(&key) {
                    if listened {
                        changes.push(MapChange {
                            key,
                            old: Some(old),
                            new: None,
                        });
                    }
                }
            }
            ((), changes)
        })
    }
}

impl<K: Ord + Clone + 'static, V: Clone + 'static> Dependency for ObservableMap<K, V> {
    /// A [`Derived`](crate::Derived) over a map recomputes after each of its changes.
    ///
    /// ```
    /// use traits_core::{Dependency, Derived, ObservableMap};
    /// let map = ObservableMap::new();
    /// let count = Derived::new(&[&map as &dyn Dependency], { let map = map.clone(); move || map.len() });
    /// map.insert("a", 1);
    /// assert_eq!(count.get(), 1);
    /// ```
    fn add_dependent(&self, dependent: DependentHandle) -> ObserverGuard {
        self.inner.observers.add_dependent(dependent, self.owner())
    }
}

impl<K: Ord + Clone + 'static, V: Clone + 'static> From<BTreeMap<K, V>> for ObservableMap<K, V> {
    /// A map holding `values`.
    ///
    /// ```
    /// let map = traits_core::ObservableMap::from(std::collections::BTreeMap::from([(1, 2)]));
    /// assert_eq!(map.get(&1), Some(2));
    /// ```
    fn from(values: BTreeMap<K, V>) -> Self {
        ObservableMap {
            inner: Rc::new(MapInner {
                values: MutableBTreeMap::with_values(values),
                readers: Cell::new(0),
                observers: ObserverList::new(),
            }),
        }
    }
}

impl<K: Ord + Clone + 'static, V: Clone + 'static> Default for ObservableMap<K, V> {
    fn default() -> Self {
        ObservableMap::new()
    }
}

impl<K: fmt::Debug, V: fmt::Debug> fmt::Debug for ObservableMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ObservableMap")
            .field(&&*self.inner.values.lock_ref())
            .finish()
    }
}
