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
//! Measured on the calls benchmark (a million submissions on two workers, two cores), the
//! submitting loop took 230 to 300 ms with crossbeam's `Backoff` (looks at once, then after
//! 1, 2, ... 64 spin hints, then after yields); 300 to 400 ms with looks 1 µs apart, yielding
//! or spinning in between; 175 to 205 ms with looks 10 µs apart, yielding in between; 157 to
//! 162 ms with naps. A job that arrives while a worker naps starts up to a nap late: 20 µs
//! plus the kernel's timer slack (50 µs by default on Linux), which a GUI never notices; a nap
//! costs the submitting thread nothing, where waking a sleeping worker costs it a system call.
//! On Windows, whose sleeps last a millisecond or more, a worker yields between looks
//! instead.
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

use std::sync::atomic::{fence, AtomicBool, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_utils::{Backoff, CachePadded};

use crate::pool::overflow_ring::OverflowRing;

/// Jobs the ring holds before pushes overflow.
const RING_CAPACITY: usize = 1024;

/// How long a worker that found the queue empty sleeps before it looks again (at least).
const IDLE_NAP: Duration = Duration::from_micros(20);

/// How long a worker that finds the queue empty keeps napping and looking before it sleeps
/// until signalled.
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
        let backoff = Backoff::new();
        while self.pushing.load(Ordering::SeqCst) != 0 {
            backoff.snooze();
        }
        // Under the lock: a worker between its last look and its wait holds it.
        let _sleep = self.lock_sleep();
        self.available.notify_all();
    }

    /// The next job, waiting for one if need be; `None` once the queue is closed and empty.
    pub(crate) fn pop(&self) -> Option<T> {
        let mut idle_since = None;
        loop {
            if let Some(job) = self.jobs.pop() {
                return Some(job);
            }
            if self.is_finished() {
                return None;
            }
            let now = Instant::now();
            if now.duration_since(*idle_since.get_or_insert(now)) >= IDLE_SPIN {
                break;
            }
            idle_wait();
        }
        let mut sleep = self.lock_sleep();
        loop {
            // Counted before the last look (pairs with the `SeqCst` write and read in `push`).
            sleep.sleeping += 1;
            self.publish(&sleep);
            fence(Ordering::SeqCst);
            let job = self.jobs.pop();
            if job.is_some() || self.is_finished() {
                sleep.sleeping -= 1;
                self.publish(&sleep);
                return job;
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
