//! [`Callback`]: a registered closure, stored in place when its captures fit in a pointer (an
//! `Rc`, a widget handle, a reference-counted cell), boxed otherwise.
//!
//! Most observers capture one handle, and observables can live by the thousand (every future
//! has a status list): a `Box<dyn Fn>` would cost each of them an allocation and a free for a
//! pointer's worth of captures. A `Callback` is no larger than that box (its data and a vtable
//! reference), so a list's slot does not grow.
//!
//! # Safety
//!
//! The one invariant everything here rests on: **a `Callback` built by [`Callback::new`] for
//! a closure type `F` holds, in `data`, either the bytes of an `F` (when
//! [`fits_inline::<F>()`](fits_inline): its size and alignment are at most a pointer's) or a
//! pointer obtained from `Box::<F>::into_raw` (otherwise), and its `vtable` is
//! [`VTableFor::<F>::VTABLE`](VTableFor), whose functions assume exactly that layout.** Nothing
//! else writes `data` or `vtable`, so every call through the vtable sees the layout it was made
//! for. The value in `data` is owned by the `Callback`: dropped exactly once, by `Drop`.
//! Moving a `Callback` moves the closure's bytes, which is sound for every Rust value.
//!
//! `Callback` holds a raw pointer, so it is neither `Send` nor `Sync`, like the closures it
//! holds (which need not be). The unit tests below exercise both layouts, zero-sized closures,
//! drops and panics; `just miri` runs them (and the rest of this crate's tests) under Miri.

use std::marker::PhantomData;
use std::mem::{self, MaybeUninit};
use std::ptr::{self, NonNull};

/// A registered closure called with a payload; returning `false` unregisters it (streams whose
/// receiver is gone, dependents that were dropped).
pub(crate) struct Callback<A> {
    /// The closure itself, or a pointer to its box (see the module's invariant).
    data: MaybeUninit<*mut ()>,
    /// The functions that know which of the two `data` holds, and the closure's type: a
    /// promoted constant, so valid for the whole program. (A pointer rather than a `&'static`
    /// so that `A` needs no `'static` bound wherever a list is embedded; non-null, so that an
    /// empty `Option<Callback>` costs nothing.)
    vtable: NonNull<VTable<A>>,
}

/// What a `Callback` can do with its data, for one closure type.
struct VTable<A> {
    /// Calls the closure in `data`.
    call: unsafe fn(*const MaybeUninit<*mut ()>, &A) -> bool,
    /// Drops the closure in `data` (and frees its box if it has one).
    drop: unsafe fn(*mut MaybeUninit<*mut ()>),
}

/// Whether a closure of type `F` is stored in place rather than boxed.
const fn fits_inline<F>() -> bool {
    mem::size_of::<F>() <= mem::size_of::<*mut ()>()
        && mem::align_of::<F>() <= mem::align_of::<*mut ()>()
}

/// The vtable of closure type `F` (a constant per type, so a reference to it is `'static`).
struct VTableFor<A, F>(PhantomData<fn(&A)>, PhantomData<F>);

impl<A: 'static, F: Fn(&A) -> bool + 'static> VTableFor<A, F> {
    const VTABLE: VTable<A> = if fits_inline::<F>() {
        VTable {
            call: call_inline::<A, F>,
            drop: drop_inline::<F>,
        }
    } else {
        VTable {
            call: call_boxed::<A, F>,
            drop: drop_boxed::<F>,
        }
    };
}

/// # Safety
/// `data` holds an `F` in place (the module's invariant, with `fits_inline::<F>()`).
unsafe fn call_inline<A, F: Fn(&A) -> bool>(
    data: *const MaybeUninit<*mut ()>,
    payload: &A,
) -> bool {
    // SAFETY: the word holds a live `F`, suitably aligned (`fits_inline`), borrowed for the call.
    let f = unsafe { &*data.cast::<F>() };
    f(payload)
}

/// # Safety
/// `data` holds an `F` in place, which is not used again.
unsafe fn drop_inline<F>(data: *mut MaybeUninit<*mut ()>) {
    // SAFETY: the word holds a live `F`, dropped once (by `Callback::drop`).
    unsafe { ptr::drop_in_place(data.cast::<F>()) }
}

/// # Safety
/// `data` holds a pointer from `Box::<F>::into_raw` (the module's invariant).
unsafe fn call_boxed<A, F: Fn(&A) -> bool>(data: *const MaybeUninit<*mut ()>, payload: &A) -> bool {
    // SAFETY: the word is initialised with the box's pointer, which points to a live `F`.
    let f = unsafe { &*(*data).assume_init().cast::<F>() };
    f(payload)
}

/// # Safety
/// `data` holds a pointer from `Box::<F>::into_raw`, which is not used again.
unsafe fn drop_boxed<F>(data: *mut MaybeUninit<*mut ()>) {
    // SAFETY: the pointer came from `Box::into_raw` and is turned back into a box once.
    drop(unsafe { Box::from_raw((*data).assume_init().cast::<F>()) })
}

impl<A: 'static> Callback<A> {
    /// Wraps `f`: in place if it fits in a word, in a box otherwise.
    pub(crate) fn new<F: Fn(&A) -> bool + 'static>(f: F) -> Self {
        let mut data = MaybeUninit::<*mut ()>::uninit();
        if fits_inline::<F>() {
            // SAFETY: `F` fits in the word's size and alignment; the `Callback` owns it from
            // here on (the module's invariant), so `f` is not dropped here.
            unsafe { data.as_mut_ptr().cast::<F>().write(f) };
        } else {
            data.write(Box::into_raw(Box::new(f)).cast::<()>());
        }
        Callback {
            data,
            vtable: NonNull::from(&VTableFor::<A, F>::VTABLE),
        }
    }

    /// Calls the closure with `payload`; `false` asks to unregister it.
    pub(crate) fn call(&self, payload: &A) -> bool {
        // SAFETY: `vtable` points to a `'static` constant made for what `data` holds (the
        // module's invariant).
        unsafe { (self.vtable.as_ref().call)(&self.data, payload) }
    }
}

impl<A> Drop for Callback<A> {
    fn drop(&mut self) {
        // SAFETY: as in `call`; `drop` runs once, and `data` is not used afterwards.
        unsafe { (self.vtable.as_ref().drop)(&mut self.data) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::{Cell, RefCell};
    use std::panic::{self, AssertUnwindSafe};
    use std::rc::Rc;

    /// Counts its drops through a shared cell.
    struct DropCounter(Rc<Cell<u32>>);

    impl Drop for DropCounter {
        fn drop(&mut self) {
            self.0.set(self.0.get() + 1);
        }
    }

    #[test]
    fn a_callback_is_two_words_and_an_empty_option_costs_nothing() {
        assert_eq!(mem::size_of::<Callback<u8>>(), 2 * mem::size_of::<usize>());
        assert_eq!(
            mem::size_of::<Option<Callback<u8>>>(),
            2 * mem::size_of::<usize>()
        );
    }

    #[test]
    fn a_one_word_closure_is_stored_in_place_and_a_larger_one_boxed() {
        let rc = Rc::new(Cell::new(0));
        let small = {
            let rc = rc.clone();
            move |n: &u32| {
                rc.set(rc.get() + n);
                true
            }
        };
        let large = {
            let (rc, extra) = (rc.clone(), [1u64, 2, 3]);
            move |n: &u32| {
                rc.set(rc.get() + n * extra[2] as u32);
                false
            }
        };
        fn inline_for<F>(_: &F) -> bool {
            fits_inline::<F>()
        }
        assert!(inline_for(&small));
        assert!(!inline_for(&large));
        let (small, large) = (Callback::new(small), Callback::new(large));
        assert!(small.call(&2));
        assert!(!large.call(&1));
        assert_eq!(rc.get(), 5);
        assert_eq!(Rc::strong_count(&rc), 3);
        drop((small, large));
        assert_eq!(Rc::strong_count(&rc), 1);
    }

    #[test]
    fn captures_are_dropped_once_whether_in_place_or_boxed() {
        let drops = Rc::new(Cell::new(0));
        let inline = {
            let counter = DropCounter(drops.clone());
            Callback::new(move |_: &()| {
                let _ = &counter;
                true
            })
        };
        let boxed = {
            let (a, b) = (DropCounter(drops.clone()), DropCounter(drops.clone()));
            Callback::new(move |_: &()| {
                let _ = (&a, &b);
                true
            })
        };
        // Moving a callback moves its closure, and drops nothing.
        let moved = vec![inline, boxed];
        assert_eq!(drops.get(), 0);
        drop(moved);
        assert_eq!(drops.get(), 3);
    }

    #[test]
    fn a_zero_sized_closure_and_an_over_aligned_one_work() {
        let zst = Callback::new(|n: &i32| *n > 0);
        assert!(zst.call(&1) && !zst.call(&-1));

        #[repr(align(16))]
        struct Aligned(u8);
        let aligned = Aligned(7);
        let over = Callback::new(move |n: &u8| aligned.0 == *n);
        assert!(over.call(&7));
    }

    #[test]
    fn a_panicking_closure_stays_usable_and_droppable() {
        let log = Rc::new(RefCell::new(Vec::new()));
        let callback = {
            let log = log.clone();
            Callback::new(move |n: &u8| {
                log.borrow_mut().push(*n);
                assert!(*n != 0, "zero");
                true
            })
        };
        let result = panic::catch_unwind(AssertUnwindSafe(|| callback.call(&0)));
        assert!(result.is_err());
        assert!(callback.call(&1));
        drop(callback);
        assert_eq!(*log.borrow(), [0, 1]);
        assert_eq!(Rc::strong_count(&log), 1);
    }
}
