//! Observable collections: item-level changes of `ObservableVec` and `ObservableMap`, in order,
//! with re-entrant changes, panics and the futures-signals diff signals.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::rc::Rc;

use futures::executor::block_on;
use futures::future::poll_fn;
use futures::StreamExt;
use futures_signals::signal_map::{MapDiff, SignalMapExt};
use futures_signals::signal_vec::{SignalVecExt, VecDiff};
use traits_core::{
    Dependency, Derived, IndexOutOfRange, MapChange, ObservableMap, ObservableVec, ObserverGuard,
    VecChange,
};

type Log<T> = Rc<RefCell<Vec<T>>>;

fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

fn record<T: Clone + 'static>(list: &ObservableVec<T>, log: &Log<VecChange<T>>) -> ObserverGuard {
    let log = log.clone();
    list.observe(move |change| log.borrow_mut().push(change.clone()))
}

fn splice<T>(index: usize, removed: Vec<T>, added: Vec<T>) -> VecChange<T> {
    VecChange::Splice {
        index,
        removed,
        added,
    }
}

#[test]
fn list_insert_remove_set_move_clear_arrive_in_order_with_their_items() {
    let list = ObservableVec::from(vec!['a', 'b']);
    let seen = log();
    let _guard = record(&list, &seen);
    list.insert(1, 'x').unwrap();
    list.push('c');
    assert_eq!(list.remove(0), Ok('a'));
    assert_eq!(list.set(1, 'B'), Ok('b'));
    list.move_item(0, 2).unwrap();
    list.clear();
    assert_eq!(
        *seen.borrow(),
        [
            splice(1, vec![], vec!['x']),
            splice(3, vec![], vec!['c']),
            splice(0, vec!['a'], vec![]),
            splice(1, vec!['b'], vec!['B']),
            VecChange::Move {
                old_index: 0,
                new_index: 2
            },
            splice(0, vec!['B', 'c', 'x'], vec![]),
        ]
    );
    assert!(list.is_empty());
}

#[test]
fn list_extend_replace_pop_and_retain_report_what_they_changed() {
    let list = ObservableVec::new();
    let seen = log();
    let _guard = record(&list, &seen);
    list.extend([1, 2, 3, 4, 5, 6]);
    list.retain(|n| ![2, 3, 5].contains(n));
    assert_eq!(list.pop(), Some(6));
    list.replace(vec![9]);
    assert_eq!(
        *seen.borrow(),
        [
            splice(0, vec![], vec![1, 2, 3, 4, 5, 6]),
            // Runs of removed items, from the end: each index holds after the one before.
            splice(4, vec![5], vec![]),
            splice(1, vec![2, 3], vec![]),
            splice(2, vec![6], vec![]),
            splice(0, vec![1, 4], vec![9]),
        ]
    );
}

#[test]
fn list_operations_that_change_nothing_notify_nobody() {
    let list = ObservableVec::from(vec![1]);
    let seen = log();
    let _guard = record(&list, &seen);
    list.move_item(0, 0).unwrap();
    list.retain(|_| true);
    list.extend([]);
    list.clear();
    list.clear();
    list.replace(Vec::new());
    assert_eq!(list.pop(), None);
    assert_eq!(*seen.borrow(), [splice(0, vec![1], vec![])]);
}

#[test]
fn list_index_out_of_range_is_refused_and_changes_nothing() {
    let list = ObservableVec::from(vec![1, 2]);
    let seen = log();
    let _guard = record(&list, &seen);
    assert_eq!(list.insert(3, 0), Err(IndexOutOfRange { index: 3, len: 2 }));
    assert_eq!(list.remove(2), Err(IndexOutOfRange { index: 2, len: 2 }));
    assert_eq!(list.set(7, 0), Err(IndexOutOfRange { index: 7, len: 2 }));
    assert_eq!(
        list.move_item(0, 2),
        Err(IndexOutOfRange { index: 2, len: 2 })
    );
    assert_eq!(list.to_vec(), [1, 2]);
    assert!(seen.borrow().is_empty());
}

/// An observer that, on the first push of 1, inserts, moves, sets and removes: each of its
/// changes is applied at once and delivered after the current change, in order, to every
/// observer, and a mirror built from the changes equals the list.
#[test]
fn list_changes_made_by_an_observer_are_delivered_after_the_current_one_in_order() {
    let list = ObservableVec::new();
    let first = log();
    let second = log();
    let mirror = Rc::new(RefCell::new(Vec::new()));
    let _reacts = list.observe({
        let first = first.clone();
        let list = list.clone();
        move |change: &VecChange<i32>| {
            first.borrow_mut().push(change.clone());
            if *change == splice(0, vec![], vec![1]) {
                list.push(2);
                // Applied at once, though its notification waits.
                assert_eq!(list.to_vec(), [1, 2]);
                list.insert(0, 0).unwrap();
                list.move_item(2, 0).unwrap();
                list.set(1, 10).unwrap();
                list.remove(2).unwrap();
            }
        }
    });
    let _second = record(&list, &second);
    let _mirror = list.observe({
        let mirror = mirror.clone();
        move |change| change.apply_to(&mut mirror.borrow_mut())
    });
    list.push(1);
    let expected = [
        splice(0, vec![], vec![1]),
        splice(1, vec![], vec![2]),
        splice(0, vec![], vec![0]),
        VecChange::Move {
            old_index: 2,
            new_index: 0,
        },
        splice(1, vec![0], vec![10]),
        splice(2, vec![1], vec![]),
    ];
    assert_eq!(*first.borrow(), expected);
    assert_eq!(*second.borrow(), expected);
    assert_eq!(list.to_vec(), [2, 10]);
    assert_eq!(*mirror.borrow(), list.to_vec());
}

#[test]
fn a_change_made_during_a_retain_is_delivered_after_all_of_its_removals() {
    let list = ObservableVec::from(vec![1, 2, 3, 4]);
    let seen = log();
    let _reacts = list.observe({
        let list = list.clone();
        move |change: &VecChange<i32>| {
            if *change == splice(3, vec![4], vec![]) {
                list.push(5);
            }
        }
    });
    let _seen = record(&list, &seen);
    let mirror = Rc::new(RefCell::new(list.to_vec()));
    let _mirror = list.observe({
        let mirror = mirror.clone();
        move |change| change.apply_to(&mut mirror.borrow_mut())
    });
    list.retain(|n| n % 2 == 1);
    assert_eq!(
        *seen.borrow(),
        [
            splice(3, vec![4], vec![]),
            splice(1, vec![2], vec![]),
            splice(2, vec![], vec![5]),
        ]
    );
    assert_eq!(list.to_vec(), [1, 3, 5]);
    assert_eq!(*mirror.borrow(), list.to_vec());
}

#[test]
fn a_panicking_list_observer_leaves_the_change_made_and_the_others_called() {
    let list = ObservableVec::from(vec![1, 2, 3]);
    let _panics = list.observe(|_| panic!("observer failed"));
    let seen = log();
    let _seen = record(&list, &seen);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| list.push(4)));
    let message = outcome.unwrap_err();
    assert_eq!(message.downcast_ref::<&str>(), Some(&"observer failed"));
    assert_eq!(list.to_vec(), [1, 2, 3, 4]);
    assert_eq!(*seen.borrow(), [splice(3, vec![], vec![4])]);
    // A several-change operation: the panicking observer panics on each change; every other
    // observer still hears all of them.
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| list.retain(|n| n % 2 == 0)));
    assert!(outcome.is_err());
    assert_eq!(list.to_vec(), [2, 4]);
    assert_eq!(
        seen.borrow()[1..],
        [splice(2, vec![3], vec![]), splice(0, vec![1], vec![])]
    );
}

#[test]
fn changing_a_list_while_it_is_borrowed_panics_and_changes_nothing() {
    let list = ObservableVec::from(vec![1]);
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| list.with(|_| list.push(2))));
    let message = outcome.unwrap_err();
    let message = message
        .downcast_ref::<&str>()
        .map(|message| message.to_string())
        .or_else(|| message.downcast_ref::<String>().cloned())
        .unwrap();
    assert!(message.contains("drop the borrow first"), "{message}");
    assert_eq!(list.to_vec(), [1]);
    // The borrow was released by the unwind: the list works again.
    list.push(3);
    assert_eq!(list.to_vec(), [1, 3]);
}

#[test]
fn a_list_observer_dropped_or_added_during_a_change_follows_the_observable_rules() {
    let list = ObservableVec::new();
    let seen = log();
    let late = log();
    let slot: Rc<RefCell<Option<ObserverGuard>>> = Rc::new(RefCell::new(None));
    let _adds = list.observe({
        let (list, late, slot) = (list.clone(), late.clone(), slot.clone());
        move |_: &VecChange<u8>| {
            if slot.borrow().is_none() {
                *slot.borrow_mut() = Some(record(&list, &late));
            }
        }
    });
    let dropped = Rc::new(RefCell::new(Some(record(&list, &seen))));
    let _drops = list.observe({
        let dropped = dropped.clone();
        move |_| drop(dropped.borrow_mut().take())
    });
    list.push(1);
    list.push(2);
    // The observer added during the first change hears from the second on; the one dropped
    // during the first heard only that one.
    assert_eq!(*seen.borrow(), [splice(0, vec![], vec![1])]);
    assert_eq!(*late.borrow(), [splice(1, vec![], vec![2])]);
}

#[test]
fn the_list_diff_signal_follows_the_same_changes() {
    let list = ObservableVec::from(vec![1, 2]);
    let mut diffs = list.signal_vec().to_stream();
    list.push(3);
    list.move_item(0, 2).unwrap();
    list.set(0, 20).unwrap();
    list.remove(1).unwrap();
    list.clear();
    let received: Vec<_> = (0..6).map(|_| block_on(diffs.next()).unwrap()).collect();
    assert_eq!(
        received,
        [
            VecDiff::Replace { values: vec![1, 2] },
            VecDiff::Push { value: 3 },
            VecDiff::Move {
                old_index: 0,
                new_index: 2
            },
            VecDiff::UpdateAt {
                index: 0,
                value: 20
            },
            VecDiff::RemoveAt { index: 1 },
            VecDiff::Clear {},
        ]
    );
}

#[test]
fn a_derived_over_a_list_recomputes_after_each_change() {
    let list = ObservableVec::from(vec![1, 2]);
    let total = Derived::new(&[&list as &dyn Dependency], {
        let list = list.clone();
        move || list.with(|items| items.iter().sum::<i32>())
    });
    let seen = log();
    let _g = total.observe({
        let seen = seen.clone();
        move |_, new| seen.borrow_mut().push(*new)
    });
    list.push(3);
    list.set(0, 0).unwrap();
    assert_eq!(*seen.borrow(), [6, 5]);
}

fn record_map<K: Ord + Clone + 'static, V: Clone + 'static>(
    map: &ObservableMap<K, V>,
    log: &Log<MapChange<K, V>>,
) -> ObserverGuard {
    let log = log.clone();
    map.observe(move |change| log.borrow_mut().push(change.clone()))
}

fn change<K, V>(key: K, old: Option<V>, new: Option<V>) -> MapChange<K, V> {
    MapChange { key, old, new }
}

#[test]
fn map_insert_update_remove_clear_arrive_in_order_with_old_and_new() {
    let map = ObservableMap::new();
    let seen = log();
    let _guard = record_map(&map, &seen);
    map.insert("b", 1);
    map.insert("a", 2);
    assert_eq!(map.insert("b", 3), Some(1));
    assert_eq!(map.remove(&"a"), Some(2));
    assert_eq!(map.remove(&"zz"), None);
    map.insert("c", 4);
    map.clear();
    assert_eq!(
        *seen.borrow(),
        [
            change("b", None, Some(1)),
            change("a", None, Some(2)),
            change("b", Some(1), Some(3)),
            change("a", Some(2), None),
            change("c", None, Some(4)),
            change("b", Some(3), None),
            change("c", Some(4), None),
        ]
    );
}

/// A clear's removals are one payload: an observer that puts a cleared key back during the
/// first removal is heard after every removal, so a mirror ends with the key present, as the
/// map does.
#[test]
fn map_changes_made_by_an_observer_are_delivered_after_the_current_operation() {
    let map = ObservableMap::from(BTreeMap::from([(1, 'a'), (2, 'b')]));
    let seen = log();
    let _reacts = map.observe({
        let map = map.clone();
        move |change: &MapChange<i32, char>| {
            if change.key == 1 && change.new.is_none() {
                map.insert(2, 'B');
                assert_eq!(map.get(&2), Some('B'));
            }
        }
    });
    let _seen = record_map(&map, &seen);
    let mirror = Rc::new(RefCell::new(map.to_btree_map()));
    let _mirror = map.observe({
        let mirror = mirror.clone();
        move |change| change.apply_to(&mut mirror.borrow_mut())
    });
    map.clear();
    assert_eq!(
        *seen.borrow(),
        [
            change(1, Some('a'), None),
            change(2, Some('b'), None),
            change(2, None, Some('B')),
        ]
    );
    assert_eq!(map.to_btree_map(), BTreeMap::from([(2, 'B')]));
    assert_eq!(*mirror.borrow(), map.to_btree_map());
}

#[test]
fn map_retain_reports_each_removed_entry_in_key_order() {
    let map = ObservableMap::from(BTreeMap::from([(1, 1), (2, 4), (3, 9)]));
    let seen = log();
    let _guard = record_map(&map, &seen);
    map.retain(|key, _| *key == 2);
    assert_eq!(
        *seen.borrow(),
        [change(1, Some(1), None), change(3, Some(9), None)]
    );
}

#[test]
fn a_panicking_map_observer_leaves_the_change_made_and_the_others_called() {
    let map = ObservableMap::new();
    let _panics = map.observe(|_: &MapChange<u8, u8>| panic!("observer failed"));
    let seen = log();
    let _seen = record_map(&map, &seen);
    assert!(panic::catch_unwind(AssertUnwindSafe(|| map.insert(1, 1))).is_err());
    assert_eq!(map.get(&1), Some(1));
    assert_eq!(*seen.borrow(), [change(1, None, Some(1))]);
}

#[test]
fn the_map_diff_signal_follows_the_same_changes() {
    let map = ObservableMap::new();
    let mut diffs = map.signal_map();
    map.insert('k', 1);
    map.insert('k', 2);
    map.remove(&'k');
    let mut next = || block_on(poll_fn(|cx| diffs.poll_map_change_unpin(cx))).unwrap();
    let received: Vec<_> = (0..3).map(|_| next()).collect();
    assert_eq!(
        received,
        [
            MapDiff::Insert { key: 'k', value: 1 },
            MapDiff::Update { key: 'k', value: 2 },
            MapDiff::Remove { key: 'k' },
        ]
    );
}
