//! The floor: what the design's performance model says the machine cannot do without.

use std::thread;
use std::time::{Duration, Instant};

use crossbeam_channel::{unbounded, Receiver, Sender};
use futures_signals::signal::Mutable;

use crate::{settle_allocator, WORKERS};

// ---------------------------------------------------------------------------------------------
// The floor: a plain pool of worker threads on a crossbeam job queue, and a crossbeam channel of
// messages that the main thread receives, applying each with one `Mutable::set`.

type Job = Box<dyn FnOnce() + Send>;

struct FloorPool {
    jobs: Option<Sender<Job>>,
    threads: Vec<thread::JoinHandle<()>>,
}

impl FloorPool {
    fn new(workers: usize) -> Self {
        let (jobs, queue): (Sender<Job>, Receiver<Job>) = unbounded();
        let threads = (0..workers)
            .map(|_| {
                let queue = queue.clone();
                thread::spawn(move || {
                    for job in queue {
                        job();
                    }
                })
            })
            .collect();
        FloorPool {
            jobs: Some(jobs),
            threads,
        }
    }

    fn execute(&self, job: impl FnOnce() + Send + 'static) {
        self.jobs.as_ref().unwrap().send(Box::new(job)).unwrap();
    }
}

impl Drop for FloorPool {
    fn drop(&mut self) {
        self.jobs = None;
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}

/// Calls: each job sends "started" and "returned" messages; the main thread sets one Mutable
/// per message and counts the returned ones.
pub(crate) fn floor_calls(n: usize) -> f64 {
    let start = Instant::now();
    let pool = FloorPool::new(WORKERS);
    let (sender, receiver) = unbounded::<(usize, u64)>();
    let states: Vec<Mutable<u64>> = (0..n).map(|_| Mutable::new(0)).collect();
    for i in 0..n {
        let sender = sender.clone();
        pool.execute(move || {
            sender.send((i, 1)).unwrap();
            let value = (i as u64).pow(2);
            sender.send((i, 2 + value)).unwrap();
        });
    }
    let mut done = 0;
    while done < n {
        let (i, message) = receiver.recv().unwrap();
        states[i].set(message);
        if message >= 2 {
            done += 1;
        }
    }
    drop(pool);
    // The per-call state is freed inside the timing, as the library frees its futures.
    drop(states);
    settle_allocator();
    n as f64 / start.elapsed().as_secs_f64()
}

/// A stream of `n` messages from one job, each applied with one `Mutable::set`.
pub(crate) fn floor_stream(n: usize) -> f64 {
    let start = Instant::now();
    let pool = FloorPool::new(WORKERS);
    let (sender, receiver) = unbounded::<u64>();
    pool.execute(move || {
        for i in 0..n as u64 {
            sender.send(i).unwrap();
        }
    });
    let latest = Mutable::new(0u64);
    for message in receiver.iter() {
        latest.set(message);
    }
    drop(pool);
    settle_allocator();
    n as f64 / start.elapsed().as_secs_f64()
}

/// Latency of `n` messages spaced `gap` apart, from send to the main thread's `Mutable::set`.
pub(crate) fn floor_latency(n: usize, gap: Duration) -> Vec<f64> {
    let pool = FloorPool::new(WORKERS);
    let (sender, receiver) = unbounded::<Instant>();
    pool.execute(move || {
        for _ in 0..n {
            spin_for(gap);
            sender.send(Instant::now()).unwrap();
        }
    });
    let latest = Mutable::new(Instant::now());
    let mut latencies = Vec::with_capacity(n);
    for sent in receiver.iter() {
        latest.set(sent);
        latencies.push(sent.elapsed().as_secs_f64() * 1e6);
    }
    drop(pool);
    latencies
}

pub(crate) fn spin_for(gap: Duration) {
    let until = Instant::now() + gap;
    while Instant::now() < until {
        std::hint::spin_loop();
    }
}
