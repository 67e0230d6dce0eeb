//! `ValidatedObservable` and the `has_traits!` macro.

use std::cell::RefCell;
use std::rc::Rc;

use traits_core::{has_traits, ValidatedObservable, ValidationError};

type Log<T> = Rc<RefCell<Vec<T>>>;

fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}

fn percent(value: &i32) -> Result<(), ValidationError> {
    if (0..=100).contains(value) {
        Ok(())
    } else {
        Err(ValidationError::new(format!("{value} is not a percentage")))
    }
}

#[allow(clippy::ptr_arg)] // a validator of `T` takes `&T`
fn non_empty(value: &String) -> Result<(), ValidationError> {
    if value.is_empty() {
        Err(ValidationError::new("empty"))
    } else {
        Ok(())
    }
}

#[test]
fn rejected_value_is_an_error_and_changes_nothing() {
    let volume = ValidatedObservable::new(50, percent).unwrap();
    let seen = log();
    let _g = volume.observe({
        let seen = seen.clone();
        move |old, new| seen.borrow_mut().push((*old, *new))
    });
    let loud = volume.map(|v| *v > 80);
    let _d = loud.observe({
        let seen = seen.clone();
        move |_, _| seen.borrow_mut().push((-1, -1))
    });

    let err = volume.try_set(150).unwrap_err();
    assert_eq!(err.reason(), "150 is not a percentage");
    assert_eq!(err, ValidationError::new("150 is not a percentage"));
    assert_eq!(volume.get(), 50);
    assert!(!loud.get());
    assert!(seen.borrow().is_empty());
}

#[test]
fn accepted_value_is_stored_and_notified() {
    let volume = ValidatedObservable::new(0, percent).unwrap();
    let seen = log();
    let _g = volume.observe({
        let seen = seen.clone();
        move |old, new| seen.borrow_mut().push((*old, *new))
    });
    assert_eq!(volume.try_set(10), Ok(true));
    assert_eq!(volume.try_set(10), Ok(false)); // equal: valid, but no change
    assert_eq!(volume.try_set(100), Ok(true));
    assert_eq!(*seen.borrow(), [(0, 10), (10, 100)]);
    assert_eq!(volume.with(|v| v * 2), 200);
}

#[test]
fn invalid_initial_value_is_an_error() {
    let err = ValidatedObservable::new(-5, percent).unwrap_err();
    assert_eq!(err.to_string(), "value rejected: -5 is not a percentage");
    assert!(ValidatedObservable::new(String::new(), non_empty).is_err());
    assert!(ValidatedObservable::new("x".to_string(), non_empty).is_ok());
}

#[test]
fn clones_share_value_and_validator() {
    let name = ValidatedObservable::new("a".to_string(), non_empty).unwrap();
    let other = name.clone();
    assert!(other.try_set(String::new()).is_err());
    other.try_set("b".to_string()).unwrap();
    assert_eq!(name.get(), "b");
    assert_eq!(
        format!("{name:?}"),
        "ValidatedObservable(Observable(\"b\"))"
    );
}

has_traits! {
    /// Settings of a media player.
    #[derive(Debug)]
    pub struct Player {
        /// Title of the current track.
        pub title: String = "untitled".to_string(),
        #[doc = "Volume in percent."]
        pub volume: i32 where percent = 40,
        /// Fired when playback ends.
        pub finished: event (),
        /// A private field with a generic type.
        queue: Vec<String> = vec!["intro".to_string()],
        seek: event Option<u32>
    }
}

has_traits! {
    struct Empty {}
}

#[allow(clippy::ptr_arg)] // a validator of `T` takes `&T`
fn two_or_more(tags: &Vec<String>) -> Result<(), ValidationError> {
    if tags.len() >= 2 {
        Ok(())
    } else {
        Err(ValidationError::new("need two tags"))
    }
}

has_traits! {
    /// Types with commas and generics, and a path as validator.
    pub(crate) struct Tricky {
        pub(crate) size: (u32, u32) = (640, 480),
        scores: std::collections::HashMap<String, u32> = [("a".to_string(), 1)].into_iter().collect(),
        tags: Vec<String> where self::two_or_more = vec!["x".into(), "y".into()],
        pairs: event Result<(u8, u8), String>,
    }
}

#[test]
fn has_traits_declares_every_field_kind_with_defaults() {
    let player = Player::new();
    assert_eq!(player.title.get(), "untitled");
    assert_eq!(player.volume.get(), 40);
    assert_eq!(player.queue.get(), ["intro"]);

    let seen = log();
    let _t = player.title.observe({
        let seen = seen.clone();
        move |old, new| seen.borrow_mut().push(format!("title {old} -> {new}"))
    });
    let _v = player.volume.observe({
        let seen = seen.clone();
        move |old, new| seen.borrow_mut().push(format!("volume {old} -> {new}"))
    });
    let _f = player.finished.observe({
        let seen = seen.clone();
        move |()| seen.borrow_mut().push("finished".to_string())
    });
    let _s = player.seek.observe({
        let seen = seen.clone();
        move |to| seen.borrow_mut().push(format!("seek {to:?}"))
    });

    player.title.set("Song".to_string());
    assert!(player.volume.try_set(101).is_err());
    player.volume.try_set(60).unwrap();
    player.finished.fire(());
    player.seek.fire(Some(3));
    player.queue.set(Vec::new());
    assert_eq!(
        *seen.borrow(),
        [
            "title untitled -> Song",
            "volume 40 -> 60",
            "finished",
            "seek Some(3)"
        ]
    );
    assert!(player.queue.get().is_empty());
}

#[test]
fn has_traits_default_matches_new_and_objects_are_independent() {
    let a = Player::default();
    let b = Player::new();
    a.title.set("changed".to_string());
    assert_eq!(b.title.get(), "untitled");
    assert_eq!(a.volume.get(), b.volume.get());
    let debug = format!("{b:?}");
    assert!(debug.starts_with("Player {"), "{debug}");
    assert!(debug.contains("untitled"), "{debug}");
    let _ = Empty::default();
}

#[test]
fn has_traits_accepts_generic_and_tuple_types() {
    let tricky = Tricky::new();
    assert_eq!(tricky.size.get(), (640, 480));
    assert_eq!(tricky.scores.with(|m| m["a"]), 1);
    assert!(tricky.tags.try_set(vec!["only".into()]).is_err());
    assert_eq!(tricky.tags.get(), ["x", "y"]);
    let seen = log();
    let _g = tricky.pairs.observe({
        let seen = seen.clone();
        move |pair| seen.borrow_mut().push(pair.clone())
    });
    tricky.pairs.fire(Ok((1, 2)));
    tricky.pairs.fire(Err("no".into()));
    assert_eq!(*seen.borrow(), [Ok((1, 2)), Err("no".to_string())]);
}

fn positive(value: &i32) -> Result<(), ValidationError> {
    if *value > 0 {
        Ok(())
    } else {
        Err(ValidationError::new("not positive"))
    }
}

has_traits! {
    struct Broken {
        level: i32 where positive = 0,
    }
}

#[test]
#[should_panic(
    expected = "the default of field `level` fails its validator: value rejected: not positive"
)]
fn has_traits_panics_when_a_validated_default_fails() {
    let broken = Broken::new();
    let _ = broken.level.get();
}

#[test]
#[should_panic(expected = "the default of field `level` fails its validator")]
fn has_traits_default_panics_too() {
    let _ = Broken::default().level;
}
