//! The background task of the GUI examples (`gtk_primes`, `egui_progress`): count the primes
//! below a number in chunks, reporting progress after each chunk.

use traits_futures::{ProgressFuture, ProgressReporter, TaskCancelled};

/// Progress is (chunks done, chunks in all); the result is the number of primes.
pub type CountFuture = ProgressFuture<(u64, u64), usize>;

/// How many chunks a count is cut into (one progress report each).
pub const CHUNKS: u64 = 200;

fn is_prime(n: u64) -> bool {
    n >= 2
        && (2..)
            .take_while(|d| d * d <= n)
            .all(|d| !n.is_multiple_of(d))
}

/// Counts the primes below `limit`, reporting after each chunk; `?` stops it once cancelled.
pub fn count_primes(
    limit: u64,
    reporter: &ProgressReporter<'_, (u64, u64)>,
) -> Result<usize, TaskCancelled> {
    let chunk = limit.div_ceil(CHUNKS).max(1);
    let mut count = 0;
    for i in 0..CHUNKS {
        let range = (i * chunk).min(limit)..((i + 1) * chunk).min(limit);
        count += range.filter(|&n| is_prime(n)).count();
        reporter.report((i + 1, CHUNKS))?;
    }
    Ok(count)
}
