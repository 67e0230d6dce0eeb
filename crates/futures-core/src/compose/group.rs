//! Groups: [`when_all`] and [`when_any`] over futures of any task types, each a detached
//! [`TaskFuture`] of a [`GroupHandler`] (the standard state machine and properties), with the
//! group's aggregate progress as observables.

use std::cell::{Cell, RefCell};
use std::convert::Infallible;
use std::fmt;
use std::rc::Rc;

use traits_core::{Dependency, Derived, Observable, ObserverGuard};

use crate::error::{GroupError, TaskError};
use crate::future::task_future::{FutureHandler, TaskFuture, WeakFuture};
use crate::routing::message::TaskMessage;
use crate::state::{CancelReason, FutureState};

use sealed::GroupOutput;

mod member;

pub use member::Member;
use member::{FractionPart, MemberView};

/// A group's future: [`when_all`]'s (`GroupFuture<()>`) or [`when_any`]'s
/// (`GroupFuture<usize>`, the index of the winner). Its state follows its members; its
/// [`cancel`](TaskFuture::cancel) cancels every member at once; its handler (reached through
/// `Deref`) has the aggregate observables [`done_count`](GroupHandler::done_count),
/// [`total`](GroupHandler::total) and [`fraction`](GroupHandler::fraction).
pub type GroupFuture<T> = TaskFuture<GroupHandler<T>>;

/// What [`when_any`] does with the other members once one has completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Losers {
    /// Leave them running.
    Keep,
    /// Cancel them (with [`CancelReason::Group`]).
    Cancel,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    All,
    Any(Losers),
}

/// The main-thread half of a group ([`GroupFuture`]): its members and its aggregate progress.
/// It receives no messages of its own; the group's state is driven by its members'.
pub struct GroupHandler<T> {
    kind: Kind,
    members: Vec<Rc<dyn MemberView>>,
    done_count: Observable<usize>,
    done_view: Derived<usize>,
    fraction: Derived<f64>,
    /// Whether the group's machine has been fed `Started` (a member left `Waiting`).
    started: Cell<bool>,
    /// The observers of the members' states and of the group's own.
    guards: RefCell<Vec<ObserverGuard>>,
    output: std::marker::PhantomData<fn() -> T>,
}

impl<T> GroupHandler<T> {
    /// How many members are done (Completed, Failed or Cancelled), observable (read-only).
    ///
    /// ```
    /// use traits_futures::{when_all, CallFuture, TaskMessage};
    /// let a: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let b: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let group = when_all([&a, &b]);
    /// a.receive(TaskMessage::Started)?;
    /// a.receive(TaskMessage::Returned(()))?;
    /// assert_eq!((group.done_count().get(), group.total()), (1, 2));
    /// # Ok::<(), traits_futures::ProtocolViolation>(())
    /// ```
    pub fn done_count(&self) -> &Derived<usize> {
        &self.done_view
    }

    /// How many members the group has.
    ///
    /// ```
    /// use traits_futures::{when_any, CallFuture, Losers};
    /// let a: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// assert_eq!(when_any([&a, &a.clone()], Losers::Keep).total(), 2);
    /// ```
    pub fn total(&self) -> usize {
        self.members.len()
    }

    /// The group's progress from 0.0 to 1.0, observable (read-only): the mean over its
    /// members of 1.0 for a member that is done (whatever its outcome), of its
    /// [fraction](Member::with_fraction) (clamped to 0.0..=1.0) for a running member that has
    /// one, and of 0.0 for one that has none. With no fractions, it is
    /// `done_count / total`. An empty group's is 1.0.
    ///
    /// ```
    /// use traits_futures::{when_all, CallFuture, TaskMessage};
    /// let a: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let b: CallFuture<()> = CallFuture::detached(Default::default(), || {});
    /// let group = when_all([&a, &b]);
    /// let _log = group.fraction().observe(|_, now| println!("{:.0}%", now * 100.0));
    /// b.cancel();
    /// b.receive(TaskMessage::Abandoned)?;
    /// assert_eq!(group.fraction().get(), 0.5);
    /// # Ok::<(), traits_futures::ProtocolViolation>(())
    /// ```
    pub fn fraction(&self) -> &Derived<f64> {
        &self.fraction
    }
}

impl<T: GroupOutput> FutureHandler for GroupHandler<T> {
    type Message = Infallible;
    type Output = T;
    type Error = GroupError;

    fn on_message(&self, message: Infallible) {
        match message {}
    }
}

impl<T> fmt::Debug for GroupHandler<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupHandler")
            .field("kind", &self.kind)
            .field("total", &self.members.len())
            .field("done", &self.done_count.get())
            .finish_non_exhaustive()
    }
}

/// A group that completes when every member has completed.
///
/// * **Completed** once every member is `Completed` (an empty group completes at once); read
///   the members' results from the members.
/// * **Failed** as soon as one member fails, with [`GroupError::MemberFailed`] naming it; the
///   other members are then cancelled (with [`CancelReason::Group`]): the group fails fast, as
///   a `try_join` does (Qt's `whenAll` waits for all instead; to wait, observe `done_count`).
/// * **Cancelled** if a member is cancelled (the group's
///   [`cancel_reason`](TaskFuture::cancel_reason) is then the member's), or if the group is
///   cancelled; either way every other member is cancelled at once (with
///   [`CancelReason::Group`]). The group stays `Cancelling` until every member is done, so
///   its `Cancelled` means that none of its work is still running.
///
/// It goes `Executing` when its first member leaves `Waiting`. Members may be of any task
/// types, built-in, custom, detached, or groups themselves.
///
/// ```
/// use traits_futures::{submit_call, submit_iteration, when_all, FutureState, Member, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let size = submit_call(&executor, || 4096u64)?;
/// let names = submit_iteration(&executor, || ["a", "b"].into_iter())?;
/// let both = when_all([Member::from(size.clone()), Member::from(&names)]);
/// let _done = both.done().observe(|_, _| println!("both done"));
/// executor.run_until(|| both.done().get(), None)?;
/// assert_eq!(both.state().get(), FutureState::Completed);
/// assert_eq!(size.result(), Ok(&4096));
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn when_all<M: Into<Member>>(members: impl IntoIterator<Item = M>) -> GroupFuture<()> {
    build(Kind::All, members)
}

/// A group that completes with the index of the first member to complete.
///
/// * **Completed** with the index (in the order given) of the first member to complete; with
///   [`Losers::Cancel`], every other member is then cancelled (with [`CancelReason::Group`]).
/// * A member that fails or is cancelled is passed over; **Failed** with
///   [`GroupError::NoneCompleted`] once every member is done and none completed (an empty
///   group fails at once).
/// * **Cancelled** only if the group itself is cancelled, which cancels every member at once;
///   it stays `Cancelling` until every member is done.
///
/// ```
/// use traits_futures::{submit_call, when_any, Losers, TraitsExecutor};
///
/// let executor = TraitsExecutor::new();
/// let (release, gate) = std::sync::mpsc::channel::<()>();
/// let slow = submit_call(&executor, move || gate.recv().is_ok())?;
/// let fast = submit_call(&executor, || true)?;
/// let first = when_any([&slow, &fast], Losers::Cancel);
/// executor.run_until(|| first.done().get(), None)?;
/// assert_eq!(first.result(), Ok(&1)); // `fast`
/// assert!(!slow.cancellable().get()); // the loser was cancelled
/// drop(release);
/// # executor.shutdown(None)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn when_any<M: Into<Member>>(
    members: impl IntoIterator<Item = M>,
    losers: Losers,
) -> GroupFuture<usize> {
    build(Kind::Any(losers), members)
}

fn build<T: GroupOutput, M: Into<Member>>(
    kind: Kind,
    members: impl IntoIterator<Item = M>,
) -> GroupFuture<T> {
    let (views, fractions): (Vec<_>, Vec<_>) = members
        .into_iter()
        .map(|member| {
            let member = member.into();
            (member.view, member.fraction)
        })
        .unzip();
    let done_count = Observable::new(0usize);
    let done_view = Derived::new(&[&done_count as &dyn Dependency], {
        let count = done_count.clone();
        move || count.get()
    });
    let fraction = {
        let mut sources: Vec<&dyn Dependency> = vec![&done_count];
        sources.extend(fractions.iter().flatten().map(|f| f as &dyn Dependency));
        let parts: Vec<FractionPart> = views
            .iter()
            .cloned()
            .zip(fractions.iter().cloned())
            .collect();
        Derived::new(&sources, move || mean_fraction(&parts))
    };
    let group = TaskFuture::detached(
        GroupHandler {
            kind,
            members: views,
            done_count,
            done_view,
            fraction,
            started: Cell::new(false),
            guards: RefCell::new(Vec::new()),
            output: std::marker::PhantomData,
        },
        || {},
    );
    // The group's own observer first: a cancel of the group cancels every member, before any
    // observer of the user's runs.
    let weak = group.downgrade();
    let own = group.state().observe(move |_, new| {
        if let (FutureState::Cancelling, Some(group)) = (new, weak.upgrade()) {
            cancel_members(&group, None);
            finish_if_settled(&group);
        }
    });
    let mut guards = vec![own];
    for (index, member) in group.members.iter().enumerate() {
        let weak: WeakFuture<GroupHandler<T>> = group.downgrade();
        guards.push(member.observe_state(Box::new(move |old, new| {
            if let Some(group) = weak.upgrade() {
                member_changed(&group, index, *old, *new);
            }
        })));
    }
    *group.guards.borrow_mut() = guards;
    // Members that are already under way (or done).
    for index in 0..group.members.len() {
        let state = group.members[index].state();
        if state != FutureState::Waiting {
            member_changed(&group, index, FutureState::Waiting, state);
        }
    }
    if group.members.is_empty() {
        start(&group);
        let last = match kind {
            Kind::All => TaskMessage::Returned(T::default()),
            Kind::Any(_) => TaskMessage::Failed(TaskError::Error(GroupError::NoneCompleted)),
        };
        feed(&group, last);
    }
    group
}

fn mean_fraction(parts: &[FractionPart]) -> f64 {
    if parts.is_empty() {
        return 1.0;
    }
    let sum: f64 = parts
        .iter()
        .map(|(view, fraction)| {
            if view.state().is_done() {
                1.0
            } else {
                fraction.as_ref().map_or(0.0, |f| {
                    let value = f.get();
                    if value.is_nan() {
                        0.0
                    } else {
                        value.clamp(0.0, 1.0)
                    }
                })
            }
        })
        .sum();
    sum / parts.len() as f64
}

/// Feeds the group one message; the group's logic sends only what its state allows, so a
/// refusal is a bug, logged like a refused message from a task.
fn feed<T: GroupOutput>(group: &GroupFuture<T>, message: TaskMessage<Infallible, T, GroupError>) {
    if let Err(violation) = group.receive(message) {
        log::error!("traits-futures: a group refused its own message: {violation}");
    }
}

/// Feeds the group `Started` once.
fn start<T: GroupOutput>(group: &GroupFuture<T>) {
    if !group.started.replace(true) {
        feed(group, TaskMessage::Started);
    }
}

/// Cancels every member but `except` (with [`CancelReason::Group`]).
fn cancel_members<T>(group: &TaskFuture<GroupHandler<T>>, except: Option<usize>)
where
    T: GroupOutput,
{
    for (index, member) in group.members.iter().enumerate() {
        if Some(index) != except {
            member.cancel_with(CancelReason::Group);
        }
    }
}

/// A cancelled group becomes `Cancelled` once every member is done.
fn finish_if_settled<T: GroupOutput>(group: &GroupFuture<T>) {
    if group.state().get() != FutureState::Cancelling
        || group.done_count.get() < group.members.len()
    {
        return;
    }
    // The payload of a message after a cancel is discarded: any value does.
    let last = if group.started.get() {
        TaskMessage::Returned(T::default())
    } else {
        TaskMessage::Abandoned
    };
    feed(group, last);
}

fn member_changed<T: GroupOutput>(
    group: &GroupFuture<T>,
    index: usize,
    old: FutureState,
    new: FutureState,
) {
    if new.is_done() && !old.is_done() {
        group.done_count.set(group.done_count.get() + 1);
    }
    match group.state().get() {
        FutureState::Cancelling => return finish_if_settled(group),
        state if state.is_done() => return,
        _ => {}
    }
    if new != FutureState::Waiting {
        start(group);
    }
    let total = group.members.len();
    match (group.kind, new) {
        (Kind::All, FutureState::Completed) if group.done_count.get() == total => {
            feed(group, TaskMessage::Returned(T::default()));
        }
        (Kind::All, FutureState::Failed) => {
            feed(
                group,
                TaskMessage::Failed(TaskError::Error(GroupError::MemberFailed { index })),
            );
            cancel_members(group, Some(index));
        }
        (Kind::All, FutureState::Cancelling | FutureState::Cancelled) => {
            let reason = group.members[index]
                .cancel_reason()
                .unwrap_or(CancelReason::Group);
            group.cancel_with(reason);
        }
        (Kind::Any(losers), FutureState::Completed) => {
            let winner = TaskMessage::Returned(T::winner(index));
            feed(group, winner);
            if losers == Losers::Cancel {
                cancel_members(group, Some(index));
            }
        }
        (Kind::Any(_), state) if state.is_done() && group.done_count.get() == total => {
            feed(
                group,
                TaskMessage::Failed(TaskError::Error(GroupError::NoneCompleted)),
            );
        }
        _ => {}
    }
}

mod sealed {
    /// A group's output: `()` for [`when_all`](super::when_all), the winner's index for
    /// [`when_any`](super::when_any).
    pub trait GroupOutput: Default + Send + 'static {
        fn winner(index: usize) -> Self;
    }

    impl GroupOutput for () {
        fn winner(_: usize) {}
    }

    impl GroupOutput for usize {
        fn winner(index: usize) -> usize {
            index
        }
    }
}
