//! `workload=collections`: item events per second of the library's observable list
//! (`ObservableVec`, one synchronous observer) against a bare futures-signals `MutableVec`
//! whose diff signal is drained once per frame of 1 024 changes (the floor).
//!
//! Both sides run the same changes on a list of about 256 `u64`s: pushes up to that length,
//! then in turn a set, a remove, an insert and a move at spread-out indices. Each change is
//! one item event: a `VecChange` handed to the observer, or a `VecDiff` taken from the signal.

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::task::noop_waker;
use futures_signals::signal_vec::{MutableVec, SignalVecExt, VecDiff};
use traits_futures::traits_core::{ObservableVec, VecChange};

use crate::settle_allocator;

/// The list's length once it is full.
const LENGTH: usize = 256;
/// Changes between two drains of the floor's signal.
const FRAME: usize = 1024;

/// The change to make at step `i` of a list of `len` items.
enum Op {
    Push(u64),
    Set(usize, u64),
    Remove(usize),
    Insert(usize, u64),
    Move(usize, usize),
}

fn op(i: usize, len: usize) -> Op {
    if len < LENGTH {
        return Op::Push(i as u64);
    }
    let at = i.wrapping_mul(2_654_435_761) % len;
    match i % 4 {
        0 => Op::Set(at, i as u64),
        1 => Op::Remove(at),
        2 => Op::Insert(at, i as u64),
        _ => Op::Move(at, (at + len / 2) % len),
    }
}

/// Events per second of `n` changes to a `MutableVec`, its diffs drained every frame.
pub(crate) fn floor_collections(n: usize) -> f64 {
    let start = Instant::now();
    let list = MutableVec::<u64>::new();
    let mut diffs = list.signal_vec();
    let waker = noop_waker();
    let mut context = Context::from_waker(&waker);
    let mut received = 0;
    let mut sum = 0u64;
    let mut drain = |received: &mut usize, sum: &mut u64| {
        while let Poll::Ready(Some(diff)) = diffs.poll_vec_change_unpin(&mut context) {
            *received += 1;
            *sum = sum.wrapping_add(match diff {
                VecDiff::Push { value } | VecDiff::UpdateAt { value, .. } => value,
                VecDiff::InsertAt { index, value } => value ^ index as u64,
                VecDiff::RemoveAt { index } => index as u64,
                VecDiff::Move { new_index, .. } => new_index as u64,
                _ => 1,
            });
        }
    };
    for i in 0..n {
        {
            let mut values = list.lock_mut();
            match op(i, values.len()) {
                Op::Push(value) => values.push_cloned(value),
                Op::Set(at, value) => values.set_cloned(at, value),
                Op::Remove(at) => {
                    black_box(values.remove(at));
                }
                Op::Insert(at, value) => values.insert_cloned(at, value),
                Op::Move(from, to) => values.move_from_to(from, to),
            }
        }
        if i % FRAME == FRAME - 1 {
            drain(&mut received, &mut sum);
        }
    }
    drain(&mut received, &mut sum);
    assert_eq!(received, n, "one diff per change");
    black_box(sum);
    drop(diffs);
    drop(list);
    settle_allocator();
    n as f64 / start.elapsed().as_secs_f64()
}

/// Events per second of `n` changes to an `ObservableVec` with one observer.
pub(crate) fn library_collections(n: usize) -> f64 {
    let start = Instant::now();
    let list = ObservableVec::<u64>::new();
    let received = Rc::new(Cell::new(0usize));
    let sum = Rc::new(Cell::new(0u64));
    let guard = list.observe({
        let (received, sum) = (received.clone(), sum.clone());
        move |change: &VecChange<u64>| {
            received.set(received.get() + 1);
            sum.set(
                sum.get().wrapping_add(match change {
                    VecChange::Splice { index, added, .. } => added
                        .first()
                        .map_or(*index as u64, |value| value ^ *index as u64),
                    VecChange::Move { new_index, .. } => *new_index as u64,
                }),
            );
        }
    });
    for i in 0..n {
        let result = match op(i, list.len()) {
            Op::Push(value) => {
                list.push(value);
                Ok(())
            }
            Op::Set(at, value) => list.set(at, value).map(drop),
            Op::Remove(at) => list.remove(at).map(|item| {
                black_box(item);
            }),
            Op::Insert(at, value) => list.insert(at, value),
            Op::Move(from, to) => list.move_item(from, to),
        };
        result.expect("indices within range");
    }
    assert_eq!(received.get(), n, "one change per operation");
    black_box(sum.get());
    drop(guard);
    drop(list);
    settle_allocator();
    n as f64 / start.elapsed().as_secs_f64()
}
