//! The built-in pool's job queue: a `VecDeque` under a mutex, and a count of sleeping workers.
//!
//! Why not a channel: in a burst of submissions the workers keep up with the submitting thread,
//! so a linked-block channel allocates a block on the submitting thread every few dozen jobs
//! and frees it on a worker. With glibc, a worker's free of the main thread's memory takes the
//! main thread's arena lock, which the main thread holds for its own allocations: the two then
//! wait on each other, and the main thread pays a futex wake-up for every collision. Here the
//! ring buffer is reused, so queueing allocates only when the backlog outgrows it.
//!
//! Wake-ups: a worker that finds the queue empty first spins and yields for a while, watching
//! the count of unclaimed jobs without the lock (crossbeam's `Backoff`), and only then sleeps on
//! the condition variable, counted in `sleeping`. A spinning worker claims a job by decrementing
//! that count before it takes the lock, so that of several spinning workers only one goes for
//! each job and the others leave the lock to the submitting thread; the count sits on a cache
//! line of its own, so spinning does not disturb the lock's line. `push` signals only when some
//! sleeper has not been signalled already (`notified`), so a burst of jobs into an idle pool
//! costs at most one signal per sleeping worker, and none while a worker is spinning.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};

use crossbeam_utils::{Backoff, CachePadded};

/// A multi-producer, multi-consumer FIFO queue of jobs whose `pop` blocks until a job arrives
/// or the queue is closed and drained.
pub(crate) struct JobQueue<T> {
    state: Mutex<State<T>>,
    /// How many queued jobs no worker has claimed yet. A worker claims a job by decrementing
    /// it, then takes the job under the lock (which is then certain to find one). On a line of
    /// its own: spinning workers read it without disturbing the lock's line.
    unclaimed: CachePadded<AtomicUsize>,
    available: Condvar,
}

struct State<T> {
    jobs: VecDeque<T>,
    /// Workers waiting on `available`.
    sleeping: usize,
    /// Signals sent to sleepers that have not woken yet (at most `sleeping`).
    notified: usize,
    /// No more jobs are accepted; `pop` returns `None` once the queue is empty.
    closed: bool,
}

impl<T> JobQueue<T> {
    pub(crate) fn new() -> Self {
        JobQueue {
            state: Mutex::new(State {
                jobs: VecDeque::new(),
                sleeping: 0,
                notified: 0,
                closed: false,
            }),
            unclaimed: CachePadded::new(AtomicUsize::new(0)),
            available: Condvar::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        // Nothing panics while the lock is held (moves and counter updates only).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `job`, waking a sleeping worker if none has been signalled yet; hands the job
    /// back if the queue is closed.
    pub(crate) fn push(&self, job: T) -> Result<(), T> {
        let signal = {
            let mut state = self.lock();
            if state.closed {
                return Err(job);
            }
            state.jobs.push_back(job);
            self.unclaimed.fetch_add(1, Ordering::Release);
            let signal = state.sleeping > state.notified;
            if signal {
                state.notified += 1;
            }
            signal
        };
        if signal {
            self.available.notify_one();
        }
        Ok(())
    }

    /// Refuses further jobs and wakes every sleeper; queued jobs are still handed out.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.available.notify_all();
    }

    /// The next job, waiting for one if need be; `None` once the queue is closed and empty.
    pub(crate) fn pop(&self) -> Option<T> {
        let backoff = Backoff::new();
        while !backoff.is_completed() {
            if self.claim() {
                return Some(Self::take_claimed(self.lock()));
            }
            backoff.snooze();
        }
        let mut state = self.lock();
        loop {
            if self.claim() {
                return Some(Self::take_claimed(state));
            }
            if state.closed {
                return None;
            }
            state.sleeping += 1;
            state = self
                .available
                .wait(state)
                .unwrap_or_else(|p| p.into_inner());
            state.sleeping -= 1;
            // A spurious wake-up may take another sleeper's signal: that sleeper is then
            // signalled again by the next push, which is harmless.
            state.notified = state.notified.saturating_sub(1);
        }
    }

    /// Claims one queued job, if any is unclaimed: the caller then takes it under the lock.
    fn claim(&self) -> bool {
        let mut unclaimed = self.unclaimed.load(Ordering::Relaxed);
        while unclaimed > 0 {
            match self.unclaimed.compare_exchange_weak(
                unclaimed,
                unclaimed - 1,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(actual) => unclaimed = actual,
            }
        }
        false
    }

    /// Takes a job the caller claimed. Jobs are counted as unclaimed only once queued (under
    /// the lock), and every take follows a claim, so the queue holds a job for every claim.
    fn take_claimed(mut state: MutexGuard<'_, State<T>>) -> T {
        state
            .jobs
            .pop_front()
            .expect("a claimed job stays queued until its claimer takes it")
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use std::sync::{mpsc, Arc};
    use std::thread;
    use std::time::{Duration, Instant};

    use super::JobQueue;

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
            while queue.lock().sleeping == 0 {
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
