//! Worker pools and their queues: [`WorkerPool`](worker_pool::WorkerPool), the seam any pool
//! fits behind; [`ThreadPool`](thread_pool::ThreadPool), the built-in pool, on its
//! [`job_queue`] (an [`overflow_ring`] and a sleep handshake for idle workers); and
//! [`QueuedTask`](queued_task::QueuedTask), what a pool runs, which ends its future even if
//! dropped unrun. With features, pools over rayon and tokio.
//!
//! The bottom layer: it knows nothing of pipes, futures or executors.

pub(crate) mod job_queue;
pub(crate) mod overflow_ring;
pub(crate) mod queued_task;
#[cfg(feature = "rayon")]
pub(crate) mod rayon_pool;
pub(crate) mod thread_pool;
#[cfg(feature = "tokio")]
pub(crate) mod tokio_pool;
pub(crate) mod worker_pool;
