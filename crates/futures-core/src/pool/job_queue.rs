//! The built-in pool's job queue: an [`OverflowRing`] of jobs, and a condition variable for
//! workers that found nothing to do.
//!
//! Why not a mutex around a `VecDeque`: in a burst of submissions the workers keep up, so every
//! job is handed over on its own, and a lock that the submitting thread and the workers all
//! take moves between their cores twice per job, and sometimes makes the submitting thread wait
//! for a worker inside it. The ring hands a job over without a lock (see `overflow_ring.rs`,
//! which also says why not a channel).
//!
//! Waiting: a worker that finds the queue empty naps for [`IDLE_NAP`] and looks again, for
//! [`IDLE_SPIN`], and then sleeps on the condition variable until a push signals it. Why not
//! look again at once, as a spin loop would: a look at an empty queue reads the cache lines
//! that the next push writes (the ring's tail and its next slot), so a worker that keeps
//! looking takes those lines from the submitting thread before each push, and in a burst of
//! submissions the workers, being quicker than the thread that submits, are always looking.
//! Why a nap rather than a yield: a worker that yields stays runnable, and on a machine with
//! fewer cores than threads the scheduler then shares the submitting thread's core with it.
//! Why not sleep at once: waking a sleeping worker costs the submitting thread a system call,
//! and a nap costs it nothing. A job that arrives while a worker naps starts up to a nap (plus
//! the kernel's timer slack) late, which a GUI never notices. On Windows, whose sleeps last a
//! millisecond or more, a worker yields between looks instead. (Figures for each choice, and
//! against a crossbeam channel in its place: ARCHITECTURE.md, Performance.)
//!
//! Wake-ups: a sleeping worker is counted in `unsignalled` until a push signals it. A push
//! looks at that count after queueing (`SeqCst` on both sides, so that either the sleeper sees
//! the job or the pusher sees the sleeper), and signals only a sleeper not yet signalled, so a
//! burst of jobs into an idle pool costs at most one signal per sleeping worker, and none
//! while the workers are busy or napping.
//!
//! Closing: `close` refuses later pushes and waits for those in progress (`pushing`), so that
//! a job is either refused or queued before the workers can see the queue closed; workers
//! finish the queued jobs, then `pop` returns `None`.
//!
//! Model checking: the sleep/wake and close handshakes are explored with loom by the models at
//! the end of this file (`loom_models`; `just loom`), on loom's mutex, condition variable and
//! atomics (`sync.rs`, whose `seq_cst` atomics give loom the total order of `SeqCst` accesses)
//! and a stand-in for the ring (`overflow_ring.rs`); in that build a worker goes to the sleep
//! path at once, without naps. They found that a refused push could strand a worker asleep
//! after `close` (now it wakes the sleepers), and a broken variant, a worker that counts itself
//! as a sleeper only after its last look, is caught as a deadlock.

#[cfg(not(loom))]
use std::thread;
#[cfg(not(loom))]
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;

#[cfg(not(loom))]
use crossbeam_utils::Backoff;

#[cfg(loom)]
use crate::pool::overflow_ring::loom_stand_in::OverflowRing;
#[cfg(not(loom))]
use crate::pool::overflow_ring::OverflowRing;
use crate::sync::seq_cst::{AtomicBool, AtomicUsize};
use crate::sync::{fence, Condvar, Mutex, MutexGuard, Ordering};

/// Jobs the ring holds before pushes overflow.
const RING_CAPACITY: usize = 1024;

/// How long a worker that found the queue empty sleeps before it looks again (at least).
#[cfg(not(loom))]
const IDLE_NAP: Duration = Duration::from_micros(20);

/// How long a worker that finds the queue empty keeps napping and looking before it sleeps
/// until signalled.
#[cfg(not(loom))]
const IDLE_SPIN: Duration = Duration::from_micros(200);

/// A multi-producer, multi-consumer FIFO queue of jobs whose `pop` blocks until a job arrives
/// or the queue is closed and drained.
pub(crate) struct JobQueue<T> {
    jobs: OverflowRing<T>,
    /// Pushes in progress: written by every push, so on a line of its own.
    pushing: CachePadded<AtomicUsize>,
    /// What pushes read and workers seldom write.
    flags: CachePadded<Flags>,
    sleep: Mutex<Sleep>,
    available: Condvar,
    /// The broken variant that the model checker must catch (`loom_models`): a worker going to
    /// sleep counts itself only after its last look at the queue. Set only by a test.
    #[cfg(loom)]
    counts_sleeper_late: bool,
}

struct Flags {
    /// Workers asleep on `available` (or about to be: see `pop`) that no push has signalled
    /// yet: `Sleep::sleeping - Sleep::notified`. A push takes the sleep lock only when it is not
    /// zero, so a sleeper that is slow to wake up does not cost every push meanwhile a lock.
    unsignalled: AtomicUsize,
    /// No more jobs are accepted; `pop` returns `None` once the queue is empty.
    closed: AtomicBool,
}

struct Sleep {
    /// Workers waiting on `available`.
    sleeping: usize,
    /// Signals sent to sleepers that have not woken yet (at most `sleeping`).
    notified: usize,
}

impl<T> JobQueue<T> {
    pub(crate) fn new() -> Self {
        JobQueue {
            jobs: OverflowRing::new(RING_CAPACITY),
            pushing: CachePadded::new(AtomicUsize::new(0)),
            flags: CachePadded::new(Flags {
                unsignalled: AtomicUsize::new(0),
                closed: AtomicBool::new(false),
            }),
            sleep: Mutex::new(Sleep {
                sleeping: 0,
                notified: 0,
            }),
            available: Condvar::new(),
            #[cfg(loom)]
            counts_sleeper_late: false,
        }
    }

    fn lock_sleep(&self) -> MutexGuard<'_, Sleep> {
        // Nothing panics while the lock is held (counter updates only).
        self.sleep.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `job`, waking a sleeping worker if none has been signalled yet; hands the job
    /// back if the queue is closed.
    pub(crate) fn push(&self, job: T) -> Result<(), T> {
        // Announce the push before looking at `closed`; `close` sets it before it waits for
        // pushes in progress, so one of the two sees the other.
        self.pushing.fetch_add(1, Ordering::SeqCst);
        if self.flags.closed.load(Ordering::SeqCst) {
            self.pushing.fetch_sub(1, Ordering::Release);
            // A worker that looked while this push was counted saw the queue closed but a push
            // in progress, and may have gone to sleep after `close` woke everyone: wake it to
            // look again. Under the lock, which such a worker holds from its look to its wait
            // (found by the model `a_push_racing_close_is_refused_or_its_job_taken`).
            let _sleep = self.lock_sleep();
            self.available.notify_all();
            return Err(job);
        }
        self.jobs.push(job);
        self.pushing.fetch_sub(1, Ordering::Release);
        // The job went in with a `SeqCst` write before the sleepers are read: a worker going
        // to sleep counts itself, then looks at the queue after a `SeqCst` fence (in `pop`), so
        // either it sees the job or this sees it. No fence here: one would wait for the slot's
        // write to reach memory, which costs the submitting thread a cache miss per job.
        if self.flags.unsignalled.load(Ordering::SeqCst) != 0 {
            let mut sleep = self.lock_sleep();
            if sleep.sleeping > sleep.notified {
                sleep.notified += 1;
                self.publish(&sleep);
                drop(sleep);
                self.available.notify_one();
            }
        }
        Ok(())
    }

    /// Refuses further jobs and wakes every sleeper; queued jobs are still handed out.
    pub(crate) fn close(&self) {
        self.flags.closed.store(true, Ordering::SeqCst);
        #[cfg(not(loom))]
        let backoff = Backoff::new();
        while self.pushing.load(Ordering::SeqCst) != 0 {
            #[cfg(not(loom))]
            backoff.snooze();
            // loom runs one thread at a time: let the pusher go on.
            #[cfg(loom)]
            loom::thread::yield_now();
        }
        // Under the lock: a worker between its last look and its wait holds it.
        let _sleep = self.lock_sleep();
        self.available.notify_all();
    }

    /// The next job, waiting for one if need be; `None` once the queue is closed and empty.
    pub(crate) fn pop(&self) -> Option<T> {
        #[cfg(not(loom))]
        let mut idle_since = None;
        loop {
            if let Some(job) = self.jobs.pop() {
                return Some(job);
            }
            if self.is_finished() {
                return None;
            }
            // Under the model checker, no naps: loom knows no time, and every look would only
            // multiply the interleavings to explore. The worker goes to the sleep path at once.
            #[cfg(loom)]
            break;
            #[cfg(not(loom))]
            {
                let now = Instant::now();
                if now.duration_since(*idle_since.get_or_insert(now)) >= IDLE_SPIN {
                    break;
                }
                idle_wait();
            }
        }
        let mut sleep = self.lock_sleep();
        loop {
            // Counted before the last look (pairs with the `SeqCst` write and read in `push`).
            sleep.sleeping += 1;
            #[cfg(not(loom))]
            self.publish(&sleep);
            #[cfg(loom)]
            if !self.counts_sleeper_late {
                self.publish(&sleep);
            }
            fence(Ordering::SeqCst);
            let job = self.jobs.pop();
            if job.is_some() || self.is_finished() {
                sleep.sleeping -= 1;
                self.publish(&sleep);
                return job;
            }
            #[cfg(loom)]
            if self.counts_sleeper_late {
                self.publish(&sleep);
            }
            sleep = self
                .available
                .wait(sleep)
                .unwrap_or_else(|p| p.into_inner());
            sleep.sleeping -= 1;
            // A spurious wake-up may take another sleeper's signal: that sleeper is then
            // signalled again by the next push, which is harmless.
            sleep.notified = sleep.notified.saturating_sub(1);
            self.publish(&sleep);
        }
    }

    /// The next job if one is queued, without waiting.
    pub(crate) fn try_pop(&self) -> Option<T> {
        self.jobs.pop()
    }

    /// Whether no job is queued. Its reads are `SeqCst` (see `overflow_ring.rs`): a look after a
    /// `SeqCst` write of the caller's sees a push whose caller reads that write afterwards, or
    /// that caller sees the write.
    pub(crate) fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Whether `close` has been called.
    pub(crate) fn is_closed(&self) -> bool {
        self.flags.closed.load(Ordering::SeqCst)
    }

    /// Publishes the count of unsignalled sleepers; called under the sleep lock.
    fn publish(&self, sleep: &Sleep) {
        let unsignalled = sleep.sleeping.saturating_sub(sleep.notified);
        self.flags.unsignalled.store(unsignalled, Ordering::SeqCst);
    }

    /// Closed, no push in progress, and nothing queued: nothing will ever come.
    fn is_finished(&self) -> bool {
        self.flags.closed.load(Ordering::SeqCst)
            && self.pushing.load(Ordering::SeqCst) == 0
            && self.jobs.is_empty()
    }
}

/// Waits [`IDLE_NAP`] without looking at the queue: a nap, or where sleeps are coarse
/// (Windows) yields, so that a job arriving meanwhile is not kept waiting for a millisecond.
#[cfg(not(loom))]
fn idle_wait() {
    if cfg!(windows) {
        let until = Instant::now() + IDLE_NAP;
        while Instant::now() < until {
            thread::yield_now();
        }
    } else {
        thread::sleep(IDLE_NAP);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::{mpsc, Arc};
    use std::thread;
    use std::time::{Duration, Instant};

    use super::{JobQueue, RING_CAPACITY};

    #[test]
    fn jobs_come_out_in_order_and_closing_drains_before_ending() {
        let queue = JobQueue::new();
        for i in 0..5 {
            queue.push(i).unwrap();
        }
        queue.close();
        assert_eq!(queue.push(5), Err(5), "a closed queue refuses jobs");
        let drained: Vec<_> = std::iter::from_fn(|| queue.pop()).collect();
        assert_eq!(drained, vec![0, 1, 2, 3, 4]);
        assert_eq!(queue.pop(), None);
    }

    #[test]
    fn jobs_beyond_the_ring_overflow_and_still_come_out_in_order() {
        // The ring's own order is tested in `overflow_ring.rs`; here, through the job queue.
        let queue = JobQueue::new();
        let total = 3 * RING_CAPACITY + 7;
        for i in 0..total {
            queue.push(i).unwrap();
        }
        // Taking some moves a batch of the overflow into the ring; queue more meanwhile.
        let mut taken: Vec<_> = (0..RING_CAPACITY + 3)
            .map(|_| queue.pop().unwrap())
            .collect();
        for i in total..total + 5 {
            queue.push(i).unwrap();
        }
        queue.close();
        taken.extend(std::iter::from_fn(|| queue.pop()));
        assert_eq!(taken, (0..total + 5).collect::<Vec<_>>());
    }

    #[test]
    fn a_sleeping_worker_wakes_for_a_job_and_for_close() {
        let queue = Arc::new(JobQueue::new());
        let (sender, received) = mpsc::channel();
        let worker = thread::spawn({
            let queue = Arc::clone(&queue);
            move || {
                while let Some(job) = queue.pop() {
                    sender.send(job).unwrap();
                }
            }
        });
        // Wait until the worker has given up spinning and sleeps.
        let wait_until_asleep = || {
            let deadline = Instant::now() + Duration::from_secs(30);
            while queue.lock_sleep().sleeping == 0 {
                assert!(Instant::now() < deadline, "the worker never went to sleep");
                thread::yield_now();
            }
        };
        wait_until_asleep();
        queue.push(7).unwrap();
        assert_eq!(received.recv_timeout(Duration::from_secs(30)), Ok(7));
        wait_until_asleep();
        queue.close();
        worker.join().unwrap();
    }

    #[test]
    fn every_job_of_a_burst_is_taken_exactly_once_by_competing_workers() {
        const JOBS: usize = 100_000;
        let queue = Arc::new(JobQueue::new());
        let workers: Vec<_> = (0..3)
            .map(|_| {
                let queue = Arc::clone(&queue);
                thread::spawn(move || std::iter::from_fn(|| queue.pop()).collect::<Vec<usize>>())
            })
            .collect();
        for job in 0..JOBS {
            queue.push(job).unwrap();
        }
        queue.close();
        let mut taken: Vec<usize> = workers
            .into_iter()
            .flat_map(|worker| worker.join().unwrap())
            .collect();
        taken.sort_unstable();
        assert_eq!(taken, (0..JOBS).collect::<Vec<_>>());
    }
}

/// Models of the sleep/wake and close handshakes, explored with loom (see the module's
/// documentation). The ring is the stand-in of `overflow_ring.rs` in this build.
#[cfg(all(test, loom))]
mod loom_models {
    use std::sync::Arc;

    use loom::sync::mpsc;
    use loom::thread;

    use super::JobQueue;

    /// Explores `f` with at most `preemptions` preemptions per execution, unless
    /// `LOOM_MAX_PREEMPTIONS` says otherwise. Unbounded, the first model took 87 s in release
    /// and the third did not end within five minutes.
    fn model(preemptions: usize, f: impl Fn() + Sync + Send + 'static) {
        let mut builder = loom::model::Builder::new();
        if builder.preemption_bound.is_none() {
            builder.preemption_bound = Some(preemptions);
        }
        builder.check(f);
    }

    /// A worker that takes jobs until `pop` returns `None`, and returns them.
    fn spawn_worker(queue: &Arc<JobQueue<usize>>) -> thread::JoinHandle<Vec<usize>> {
        let queue = Arc::clone(queue);
        thread::spawn(move || std::iter::from_fn(|| queue.pop()).collect())
    }

    /// One pusher, one worker: the pusher waits for each of two jobs to come out before it
    /// pushes the next, so a lost wake-up leaves both waiting (loom reports a deadlock); the
    /// second push meets a worker that has slept and been signalled before. Then closing ends
    /// the worker.
    fn one_worker_wakes_for_every_job(queue: JobQueue<usize>) {
        let queue = Arc::new(queue);
        let (taken, received) = mpsc::channel();
        let worker = thread::spawn({
            let queue = Arc::clone(&queue);
            move || {
                while let Some(job) = queue.pop() {
                    taken.send(job).unwrap();
                }
            }
        });
        for job in 0..2 {
            queue.push(job).unwrap();
            assert_eq!(received.recv(), Ok(job));
        }
        queue.close();
        worker.join().unwrap();
        assert!(received.try_recv().is_err(), "a job was taken twice");
    }

    /// Five preemptions: 1 to 1.5 s in release.
    #[test]
    fn a_worker_wakes_for_every_push_and_ends_at_close() {
        model(5, || one_worker_wakes_for_every_job(JobQueue::new()));
    }

    /// Two workers, one pusher that pushes two jobs and closes: each job is taken exactly once,
    /// and close wakes every sleeper. Three preemptions: 4 to 7 s in release (four: two
    /// minutes).
    #[test]
    fn two_workers_take_each_job_once_and_both_end_at_close() {
        model(3, || {
            let queue = Arc::new(JobQueue::new());
            let workers = [spawn_worker(&queue), spawn_worker(&queue)];
            queue.push(1).unwrap();
            queue.push(2).unwrap();
            queue.close();
            let mut taken: Vec<usize> = workers
                .into_iter()
                .flat_map(|worker| worker.join().unwrap())
                .collect();
            taken.sort_unstable();
            assert_eq!(taken, [1, 2]);
        });
    }

    /// A push racing close, with a worker: the job is refused or taken, never lost, and the
    /// worker ends. Five preemptions: 9 to 13 s in release.
    #[test]
    fn a_push_racing_close_is_refused_or_its_job_taken() {
        model(5, || {
            let queue = Arc::new(JobQueue::new());
            let worker = spawn_worker(&queue);
            let pusher = thread::spawn({
                let queue = Arc::clone(&queue);
                move || queue.push(7).is_ok()
            });
            queue.close();
            let accepted = pusher.join().unwrap();
            let taken = worker.join().unwrap();
            assert_eq!(taken, if accepted { vec![7] } else { vec![] });
            assert_eq!(queue.push(8), Err(8), "a closed queue refuses jobs");
        });
    }

    /// The broken variant: a worker going to sleep counts itself only after its last look, so
    /// a push between that look and the count sees no sleeper and signals none. loom finds the
    /// interleaving and reports the deadlock.
    #[test]
    #[should_panic(expected = "deadlock")]
    fn the_model_catches_a_sleeper_counted_after_its_last_look() {
        model(5, || {
            let mut queue = JobQueue::new();
            queue.counts_sleeper_late = true;
            one_worker_wakes_for_every_job(queue);
        });
    }
}
