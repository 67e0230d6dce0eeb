//! `workload=flood`: a worker reports progress as fast as it can while the main thread runs a
//! GUI's frame loop, and what the user would see.
//!
//! The main thread runs 120 frames of 16 ms: each frame takes the latest value (dispatching, for
//! the library), then "draws" for 2 ms, then sleeps until its slot ends; a frame that overruns
//! its slot makes the loop skip the slots it overran. The worker reports, for 2 s, the time it
//! sent each report. One line per variant:
//!
//! ```text
//! workload=flood variant=NAME frames=F of=120 worst_ms=W age_frames=A lost=L load=L
//! ```
//!
//! `frames`: frames drawn in the 120 slots; `worst_ms`: the longest frame (taking the value and
//! drawing); `age_frames`: the median age of the value drawn, in frames; `lost`: reports that a
//! lossless variant failed to deliver once the worker stopped and everything was dispatched
//! (`-` where coalescing is the point). The variants: the library dispatching everything pending
//! each frame (`dispatch-pending`), with a frame budget (`budget`), latest-value progress
//! (`latest`, and `latest-25hz`, at most 25 reports a second); beside a `tokio::sync::watch`
//! (`tokio-watch`) and a crossbeam channel drained for at most 4 ms a frame (`crossbeam-drain`).

use std::cell::Cell;
use std::num::NonZeroU32;
use std::rc::Rc;
use std::thread;
use std::time::{Duration, Instant};

use traits_futures::{
    submit_progress_with, DispatchBudget, ProgressDelivery, ProgressFuture, TraitsExecutor,
};

use crate::floor::spin_for;
use crate::{median, Load, WORKERS};

const FRAME: Duration = Duration::from_millis(16);
const FRAMES: usize = 120;
const DRAW: Duration = Duration::from_millis(2);
const FLOOD: Duration = Duration::from_secs(2);

/// A variant: its frame loop's record, and how many reports it lost (`None`: coalescing).
type Variant<'a> = (&'static str, &'a dyn Fn() -> (Frames, Option<u64>));

/// What one variant's frame loop saw.
struct Frames {
    drawn: usize,
    worst: Duration,
    /// The age of each value drawn, in frames.
    ages: Vec<f64>,
}

/// Runs the frame loop; `frame` takes the latest value (the time it was sent) for one frame.
fn frame_loop(mut frame: impl FnMut() -> Option<Instant>) -> Frames {
    let start = Instant::now();
    let end = start + FRAME * FRAMES as u32;
    let mut slot = start;
    let mut result = Frames {
        drawn: 0,
        worst: Duration::ZERO,
        ages: Vec::new(),
    };
    while slot < end {
        let began = Instant::now();
        let value = frame();
        spin_for(DRAW);
        let drawn = Instant::now();
        if let Some(sent) = value {
            result
                .ages
                .push(drawn.saturating_duration_since(sent).as_secs_f64() / FRAME.as_secs_f64());
        }
        result.worst = result.worst.max(drawn - began);
        result.drawn += 1;
        // The next slot that has not begun yet; the slots a long frame overran are skipped.
        slot += FRAME;
        while slot < drawn {
            slot += FRAME;
        }
        if slot < end {
            thread::sleep(slot - Instant::now().min(slot));
        }
    }
    result
}

/// Reports the send time for `FLOOD`, as fast as the reporter takes them; returns how many.
fn flood(mut report: impl FnMut(Instant) -> bool) -> u64 {
    let start = Instant::now();
    let mut sent = 0u64;
    loop {
        for _ in 0..64 {
            if !report(Instant::now()) {
                return sent;
            }
            sent += 1;
        }
        if start.elapsed() >= FLOOD {
            return sent;
        }
    }
}

/// How the library's main thread takes messages each frame.
#[derive(Clone, Copy)]
enum Dispatch {
    Pending,
    Budget,
}

/// The library with a progress task in `delivery` mode, dispatched `dispatch`-wise each frame.
fn library(delivery: ProgressDelivery, dispatch: Dispatch) -> (Frames, Option<u64>) {
    let executor = TraitsExecutor::builder()
        .max_workers(WORKERS)
        .build()
        .unwrap();
    let future: ProgressFuture<Instant, u64> =
        submit_progress_with(&executor, delivery, |reporter| {
            Ok(flood(|sent| reporter.report(sent).is_ok()))
        })
        .unwrap();
    let delivered = Rc::new(Cell::new(0u64));
    let _counter = future.reports().observe({
        let delivered = delivered.clone();
        move |_| delivered.set(delivered.get() + 1)
    });
    let frames = frame_loop(|| {
        match dispatch {
            Dispatch::Pending => {
                executor.dispatch_pending();
            }
            Dispatch::Budget => {
                executor.dispatch_within(DispatchBudget::FRAME);
            }
        }
        future.progress().get()
    });
    executor.run_until(|| future.done().get(), None).unwrap();
    let sent = *future.result().unwrap();
    executor.shutdown(None).unwrap();
    let lost = (delivery == ProgressDelivery::Every).then(|| sent - delivered.get());
    (frames, lost)
}

/// A `tokio::sync::watch` channel: the worker replaces the value, each frame borrows it.
fn tokio_watch() -> (Frames, Option<u64>) {
    let (sender, receiver) = tokio::sync::watch::channel(None::<Instant>);
    let worker = thread::spawn(move || flood(|sent| sender.send(Some(sent)).is_ok()));
    let frames = frame_loop(|| *receiver.borrow());
    worker.join().unwrap();
    (frames, None)
}

/// An unbounded crossbeam channel, drained each frame for at most 4 ms; the frame draws the
/// last value received.
fn crossbeam_drain() -> (Frames, Option<u64>) {
    let (sender, receiver) = crossbeam_channel::unbounded::<Instant>();
    let worker = thread::spawn(move || flood(|sent| sender.send(sent).is_ok()));
    let mut received = 0u64;
    let mut latest = None;
    let frames = frame_loop(|| {
        let until = Instant::now() + Duration::from_millis(4);
        'drain: while Instant::now() < until {
            for _ in 0..64 {
                match receiver.try_recv() {
                    Ok(sent) => {
                        received += 1;
                        latest = Some(sent);
                    }
                    Err(_) => break 'drain,
                }
            }
        }
        latest
    });
    let sent = worker.join().unwrap();
    received += receiver.try_iter().count() as u64;
    (frames, Some(sent - received))
}

/// Runs every variant once and prints its line.
pub(crate) fn run(load: Load) {
    let latest_25hz = ProgressDelivery::LatestAtMost {
        per_second: NonZeroU32::new(25).unwrap(),
    };
    let variants: [Variant; 6] = [
        ("dispatch-pending", &|| {
            library(ProgressDelivery::Every, Dispatch::Pending)
        }),
        ("budget", &|| {
            library(ProgressDelivery::Every, Dispatch::Budget)
        }),
        ("latest", &|| {
            library(ProgressDelivery::Latest, Dispatch::Budget)
        }),
        ("latest-25hz", &|| library(latest_25hz, Dispatch::Budget)),
        ("tokio-watch", &tokio_watch),
        ("crossbeam-drain", &crossbeam_drain),
    ];
    for (name, variant) in variants {
        let (frames, lost) = variant();
        let age = if frames.ages.is_empty() {
            f64::NAN
        } else {
            median(frames.ages)
        };
        let lost = lost.map_or_else(|| "-".to_string(), |lost| lost.to_string());
        println!(
            "workload=flood variant={name} frames={} of={FRAMES} worst_ms={:.1} age_frames={age:.2} lost={lost} load={}",
            frames.drawn,
            frames.worst.as_secs_f64() * 1e3,
            load.name()
        );
    }
}
