//! `workload=call-peers`: the library's call rate beside what a Rust GUI would otherwise reach
//! for to run one function off the main thread and take its result back: tokio's
//! `spawn_blocking` (awaited on a current-thread runtime, its blocking pool as wide as the
//! library's) and poll-promise's `Promise::spawn_thread` (a thread per call, its default).
//!
//! Every side runs `n` calls of the same small function and applies each result on the main
//! thread; the library's side is the `calls` workload's (`library::library_calls`). A thread
//! per call is slow enough that poll-promise runs `n / 50` calls (`peer_n`); rates are per
//! second either way. One line per peer:
//!
//! ```text
//! workload=call-peers peer=NAME n=N peer_n=M lib_rate=R peer_rate=P ratio=X load=L
//! ```
//!
//! with `ratio` = library rate / peer rate (above 1: the library is faster).

use std::hint::black_box;
use std::time::Instant;

use crate::library::library_calls;
use crate::{peer_medians, settle_allocator, Load, WORKERS};

/// A way to run a call off the main thread, beside the library.
#[derive(Clone, Copy)]
enum Peer {
    TokioSpawnBlocking,
    PollPromise,
}

const PEERS: [Peer; 2] = [Peer::TokioSpawnBlocking, Peer::PollPromise];

/// The call every side runs.
fn work(i: usize) -> u64 {
    (i as u64).pow(2)
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::TokioSpawnBlocking => "tokio-spawn-blocking",
            Peer::PollPromise => "poll-promise",
        }
    }

    /// How many calls this peer runs in a round of `n`.
    fn calls(self, n: usize) -> usize {
        match self {
            Peer::TokioSpawnBlocking => n,
            Peer::PollPromise => (n / 50).max(1),
        }
    }

    /// Calls per second: `n` calls started from the main thread, each result applied there.
    fn rate(self, n: usize) -> f64 {
        let start = Instant::now();
        let (mut count, mut last) = (0usize, 0u64);
        match self {
            Peer::TokioSpawnBlocking => {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .max_blocking_threads(WORKERS)
                    .build()
                    .unwrap();
                runtime.block_on(async {
                    let handles: Vec<_> = (0..n)
                        .map(|i| tokio::task::spawn_blocking(move || work(i)))
                        .collect();
                    for handle in handles {
                        last = black_box(handle.await.unwrap());
                        count += 1;
                    }
                });
                drop(runtime);
            }
            Peer::PollPromise => {
                let promises: Vec<_> = (0..n)
                    .map(|i| poll_promise::Promise::spawn_thread("call", move || work(i)))
                    .collect();
                for promise in promises {
                    last = black_box(*promise.block_until_ready());
                    count += 1;
                }
            }
        }
        assert_eq!(count, n);
        black_box(last);
        settle_allocator();
        n as f64 / start.elapsed().as_secs_f64()
    }
}

/// Runs the workload: rounds alternate the library and every peer, and each line compares the
/// medians.
pub(crate) fn run(load: Load, n: usize) {
    let peers: Vec<crate::PeerRound> = PEERS
        .iter()
        .map(|&peer| {
            (
                peer.name(),
                Box::new(move || peer.rate(peer.calls(n))) as Box<dyn Fn() -> f64>,
            )
        })
        .collect();
    let label = format!("call-peers load={}", load.name());
    let (lib_rate, peer_rates) = peer_medians(&label, || library_calls(n), &peers);
    for (peer, peer_rate) in PEERS.iter().zip(peer_rates) {
        println!(
            "workload=call-peers peer={} n={n} peer_n={} lib_rate={lib_rate:.0} peer_rate={peer_rate:.0} ratio={:.2} load={}",
            peer.name(),
            peer.calls(n),
            lib_rate / peer_rate,
            load.name()
        );
    }
}
