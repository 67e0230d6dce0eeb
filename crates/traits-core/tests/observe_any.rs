//! `observe_any` of `has_traits!` structs: Traits' `observe("*")`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use traits_core::{has_traits, FieldChange, FieldKind, ObserverGuard, ValidationError};

fn positive(value: &i32) -> Result<(), ValidationError> {
    if *value > 0 {
        Ok(())
    } else {
        Err(ValidationError::new("not positive"))
    }
}

has_traits! {
    /// A document with every kind of field.
    pub struct Doc {
        pub title: String = String::new(),
        pub pages: i32 where positive = 1,
        pub long: bool = derive(pages) => pages > 100,
        pub printed: event (),
    }
}

type Log = Rc<RefCell<Vec<FieldChange>>>;

fn recorder(log: &Log) -> impl Fn(&FieldChange) + 'static {
    let log = log.clone();
    move |change| log.borrow_mut().push(*change)
}

fn change(field: &'static str, kind: FieldKind) -> FieldChange {
    FieldChange { field, kind }
}

#[test]
fn every_kind_of_field_is_reported_with_its_name_and_kind() {
    let doc = Doc::new();
    let log = Log::default();
    let _guard = doc.observe_any(recorder(&log));
    doc.title.set("Report".into());
    doc.pages.try_set(150).unwrap();
    doc.printed.fire(());
    assert_eq!(
        *log.borrow(),
        [
            change("title", FieldKind::Value),
            change("pages", FieldKind::Value),
            change("long", FieldKind::Derived), // after its source's observers
            change("printed", FieldKind::Event),
        ]
    );
}

#[test]
fn what_does_not_change_a_field_is_not_reported() {
    let doc = Doc::new();
    let log = Log::default();
    let _guard = doc.observe_any(recorder(&log));
    doc.title.set(String::new()); // equal
    assert!(doc.pages.try_set(-5).is_err()); // rejected
    doc.pages.try_set(2).unwrap(); // `long` stays false
    assert_eq!(*log.borrow(), [change("pages", FieldKind::Value)]);
}

#[test]
fn a_dirty_flag_follows_the_stored_fields() {
    let doc = Doc::new();
    let dirty = Rc::new(Cell::new(false));
    let _guard = doc.observe_any({
        let dirty = dirty.clone();
        move |change| {
            if change.kind == FieldKind::Value {
                dirty.set(true);
            }
        }
    });
    doc.printed.fire(());
    assert!(!dirty.get());
    doc.title.set("Draft".into());
    assert!(dirty.get());
}

#[test]
fn dropping_the_guard_unregisters_from_every_field() {
    let doc = Doc::new();
    let before = [
        doc.title.observer_count(),
        doc.long.observer_count(),
        doc.printed.observer_count(),
    ];
    let log = Log::default();
    let guard = doc.observe_any(recorder(&log));
    assert_eq!(doc.title.observer_count(), before[0] + 1);
    assert_eq!(doc.long.observer_count(), before[1] + 1);
    assert_eq!(doc.printed.observer_count(), before[2] + 1);
    drop(guard);
    assert_eq!(
        [
            doc.title.observer_count(),
            doc.long.observer_count(),
            doc.printed.observer_count()
        ],
        before
    );
    doc.title.set("after".into());
    doc.printed.fire(());
    assert!(log.borrow().is_empty());
}

#[test]
fn an_observer_that_drops_its_guard_hears_no_more() {
    let doc = Doc::new();
    let log = Log::default();
    let slot: Rc<RefCell<Option<ObserverGuard>>> = Rc::default();
    let guard = doc.observe_any({
        let (log, slot) = (log.clone(), slot.clone());
        move |change| {
            log.borrow_mut().push(*change);
            drop(slot.borrow_mut().take());
        }
    });
    *slot.borrow_mut() = Some(guard);
    // `long` would be reported too, after `pages`: the guard is gone by then.
    doc.pages.try_set(500).unwrap();
    doc.title.set("x".into());
    assert_eq!(*log.borrow(), [change("pages", FieldKind::Value)]);
}

#[test]
fn changes_made_by_the_observer_are_reported_in_order() {
    let doc = Rc::new(Doc::new());
    let log = Log::default();
    let _guard = doc.observe_any({
        let (log, doc) = (log.clone(), Rc::downgrade(&doc));
        move |change| {
            log.borrow_mut().push(*change);
            let doc = doc.upgrade().unwrap();
            if change.field == "title" && doc.title.get() == "one" {
                doc.title.set("two".into()); // the same field: queued
                doc.printed.fire(()); // another field: reported at once (nested)
            }
        }
    });
    doc.title.set("one".into());
    assert_eq!(
        *log.borrow(),
        [
            change("title", FieldKind::Value),
            change("printed", FieldKind::Event),
            change("title", FieldKind::Value),
        ]
    );
    assert_eq!(doc.title.get(), "two");
}

#[test]
fn two_observers_are_independent() {
    let doc = Doc::new();
    let (first, second) = (Log::default(), Log::default());
    let guard = doc.observe_any(recorder(&first));
    let _second = doc.observe_any(recorder(&second));
    doc.title.set("a".into());
    drop(guard);
    doc.title.set("b".into());
    assert_eq!(first.borrow().len(), 1);
    assert_eq!(second.borrow().len(), 2);
}

#[test]
fn objects_compare_by_identity() {
    let (a, b) = (Doc::new(), Doc::new());
    assert!(a == a);
    assert!(a != b); // equal field values, two objects
}
