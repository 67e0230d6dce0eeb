//! Observing a future with a closure that captures one word (an `Rc`, a widget handle) costs
//! no allocation: the closure lives in its slot in the future's status (traits-core keeps
//! such closures in place), and a `cancellable` or `done` observer picks its projection rather
//! than capturing it. A larger closure costs exactly one allocation, its box. Counted with a
//! global allocator that counts this thread's allocations only (tests run in parallel).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::rc::Rc;

use traits_core::Observable;
use traits_futures::{CallFuture, TaskMessage};

struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: every call is forwarded to `System` unchanged; counting touches a const-initialised
// thread-local `Cell`, which never allocates.
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations this thread makes while running `f`.
fn allocations_in<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCATIONS.with(Cell::get);
    let result = f();
    (ALLOCATIONS.with(Cell::get) - before, result)
}

#[test]
fn a_one_word_observer_of_done_allocates_nothing_and_hears_the_end() {
    let heard = Rc::new(Cell::new(0));
    let future: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
    let (count, guard) = allocations_in(|| {
        let heard = heard.clone();
        future.done().observe(move |_, done| {
            if *done {
                heard.set(heard.get() + 1)
            }
        })
    });
    assert_eq!(count, 0, "a one-word observer of `done` allocated");
    future.receive(TaskMessage::Started).unwrap();
    future.receive(TaskMessage::Returned(7)).unwrap();
    assert_eq!(
        heard.get(),
        1,
        "the observer ran once, when the future finished"
    );
    drop(guard);
}

#[test]
fn a_one_word_observer_of_a_future_state_allocates_nothing_and_a_larger_one_once() {
    let heard = Rc::new(Cell::new(0));

    let future: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
    let (count, _guard) = allocations_in(|| {
        let heard = heard.clone();
        future
            .state()
            .observe(move |_, _| heard.set(heard.get() + 1))
    });
    assert_eq!(count, 0, "a one-word observer of `state` allocated");

    let future: CallFuture<u32> = CallFuture::detached(Default::default(), || {});
    let (heard_too, extra) = (heard.clone(), Rc::new(Cell::new(0)));
    let (count, _guard) = allocations_in(|| {
        future.cancellable().observe(move |_, _| {
            heard_too.set(heard_too.get() + 1);
            extra.set(extra.get() + 1);
        })
    });
    assert_eq!(
        count, 1,
        "a two-word observer allocates its box and nothing else"
    );

    future.cancel();
    assert_eq!(heard.get(), 1);
}

#[test]
fn a_one_word_observer_of_an_observable_allocates_nothing() {
    let value = Observable::new(0u32);
    let seen = Rc::new(Cell::new(0));
    let (count, _guard) = allocations_in(|| {
        let seen = seen.clone();
        value.observe(move |_, new| seen.set(*new))
    });
    assert_eq!(count, 0);
    value.set(5);
    assert_eq!(seen.get(), 5);
}
