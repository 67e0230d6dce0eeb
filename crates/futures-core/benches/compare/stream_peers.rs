//! `workload=stream-peers`: the library's iteration and progress rates beside plain channels
//! (`std::sync::mpsc`, `tokio::sync::mpsc`, crossbeam-channel), each measured in the same run.
//!
//! Every side moves `n` `u64`s from one worker thread to the main thread, which applies each
//! (the library through an observer that counts and keeps the value, a channel's receiver loop
//! doing the same), so the ratio is the cost of the library's delivery against a bare channel's.
//! One line per task and peer:
//!
//! ```text
//! workload=stream-peers task=iteration|progress peer=NAME lib_rate=R peer_rate=P ratio=X load=L
//! ```
//!
//! with `ratio` = library rate / peer rate (above 1: the library is faster).

use std::cell::Cell;
use std::hint::black_box;
use std::rc::Rc;
use std::thread;
use std::time::Instant;

use traits_futures::{submit_iteration, submit_progress, TraitsExecutor};

use crate::{peer_medians, settle_allocator, Load, WORKERS};

/// A plain channel the workload runs on, beside the library.
#[derive(Clone, Copy)]
enum Peer {
    StdMpsc,
    TokioMpsc,
    Crossbeam,
}

const PEERS: [Peer; 3] = [Peer::StdMpsc, Peer::TokioMpsc, Peer::Crossbeam];

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::StdMpsc => "std-mpsc",
            Peer::TokioMpsc => "tokio-mpsc",
            Peer::Crossbeam => "crossbeam-channel",
        }
    }

    /// Messages per second: `n` values sent by one thread, each received and applied here.
    fn rate(self, n: usize) -> f64 {
        let start = Instant::now();
        let (mut count, mut last) = (0usize, 0u64);
        let mut apply = |value: u64| {
            count += 1;
            last = black_box(value);
        };
        let worker = match self {
            Peer::StdMpsc => {
                let (sender, receiver) = std::sync::mpsc::channel::<u64>();
                let worker =
                    thread::spawn(move || (0..n as u64).for_each(|i| sender.send(i).unwrap()));
                receiver.iter().for_each(&mut apply);
                worker
            }
            Peer::TokioMpsc => {
                let (sender, mut receiver) = tokio::sync::mpsc::unbounded_channel::<u64>();
                let worker =
                    thread::spawn(move || (0..n as u64).for_each(|i| sender.send(i).unwrap()));
                while let Some(value) = receiver.blocking_recv() {
                    apply(value);
                }
                worker
            }
            Peer::Crossbeam => {
                let (sender, receiver) = crossbeam_channel::unbounded::<u64>();
                let worker =
                    thread::spawn(move || (0..n as u64).for_each(|i| sender.send(i).unwrap()));
                receiver.iter().for_each(&mut apply);
                worker
            }
        };
        worker.join().unwrap();
        assert_eq!(count, n);
        black_box(last);
        settle_allocator();
        n as f64 / start.elapsed().as_secs_f64()
    }
}

/// The task type measured.
#[derive(Clone, Copy)]
enum Task {
    Iteration,
    Progress,
}

impl Task {
    fn name(self) -> &'static str {
        match self {
            Task::Iteration => "iteration",
            Task::Progress => "progress",
        }
    }

    /// Messages per second through the library: `n` items or (lossless) progress reports.
    fn library_rate(self, n: usize) -> f64 {
        let start = Instant::now();
        let executor = TraitsExecutor::builder()
            .max_workers(WORKERS)
            .build()
            .unwrap();
        let count = Rc::new(Cell::new(0usize));
        let last = Rc::new(Cell::new(0u64));
        let apply = {
            let (count, last) = (count.clone(), last.clone());
            move |value: &u64| {
                count.set(count.get() + 1);
                last.set(black_box(*value));
            }
        };
        match self {
            Task::Iteration => {
                let future = submit_iteration(&executor, move || 0..n as u64).unwrap();
                let _observer = future.items().observe(apply);
                executor.run_until(|| future.done().get(), None).unwrap();
            }
            Task::Progress => {
                let future = submit_progress(&executor, move |reporter| {
                    for i in 0..n as u64 {
                        reporter.report(i)?;
                    }
                    Ok(())
                })
                .unwrap();
                let _observer = future.reports().observe(apply);
                executor.run_until(|| future.done().get(), None).unwrap();
            }
        }
        assert_eq!(count.get(), n);
        executor.shutdown(None).unwrap();
        drop(executor);
        settle_allocator();
        n as f64 / start.elapsed().as_secs_f64()
    }
}

/// Runs the workload: rounds alternate the library and every peer, and each line compares the
/// medians.
pub(crate) fn run(load: Load, n: usize) {
    for task in [Task::Iteration, Task::Progress] {
        let peers: Vec<crate::PeerRound> = PEERS
            .iter()
            .map(|&peer| {
                (
                    peer.name(),
                    Box::new(move || peer.rate(n)) as Box<dyn Fn() -> f64>,
                )
            })
            .collect();
        let label = format!("stream-peers task={} load={}", task.name(), load.name());
        let (lib_rate, peer_rates) = peer_medians(&label, || task.library_rate(n), &peers);
        for (peer, peer_rate) in PEERS.iter().zip(peer_rates) {
            println!(
                "workload=stream-peers task={} peer={} lib_rate={lib_rate:.0} peer_rate={peer_rate:.0} ratio={:.2} load={}",
                task.name(),
                peer.name(),
                lib_rate / peer_rate,
                load.name()
            );
        }
    }
}
