//! Hashes many files on a worker, with a progress bar, and stops cleanly on Ctrl-C: the task
//! ends `Cancelled` and nothing is printed for it.
//!
//! ```sh
//! cargo run --release -p examples --example hash_files -- DIR_OR_FILE...
//! cargo run --release -p examples --example hash_files -- --self-test
//! ```
//! The bar is the terminal binding (feature `indicatif` of traits-futures): bound to the task's
//! latest report, it ends with the task's final state. Ctrl-C is caught by `ctrlc`, whose
//! handler raises a flag and wakes the executor's loop through a `LoopWaker`.
//! `--self-test` (`hash_files_self_test.rs`) hashes a temporary directory and checks the
//! hashes, then hashes it again, sends itself SIGINT after the first report, and checks that
//! the task ends `Cancelled`.

use std::error::Error;
use std::fs::{self, File};
use std::hash::{DefaultHasher, Hasher};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressStyle};
use traits_futures::terminal::bind_progress_bar;
use traits_futures::{
    submit_try_progress_with, ProgressDelivery, ProgressFuture, ProgressReporter, TraitsExecutor,
};
// self-test: begin
mod hash_files_self_test;
// self-test: end

type BoxError = Box<dyn Error + Send + Sync>;
/// Progress is (bytes read, bytes in all); the result, each file's hash.
type HashFuture = ProgressFuture<(u64, u64), Vec<(PathBuf, u64)>, BoxError>;

/// Adds the files under `path` (or `path` itself), with their sizes, to `found`.
fn files_under(path: &Path, found: &mut Vec<(PathBuf, u64)>) -> std::io::Result<()> {
    if path.is_dir() {
        for entry in fs::read_dir(path)? {
            files_under(&entry?.path(), found)?;
        }
    } else {
        found.push((path.to_path_buf(), fs::metadata(path)?.len()));
    }
    Ok(())
}

/// The worker's part: hashes each file, reporting the bytes read; `?` stops it once cancelled.
fn hash_files(
    files: Vec<(PathBuf, u64)>,
    reporter: &ProgressReporter<'_, (u64, u64)>,
) -> Result<Vec<(PathBuf, u64)>, BoxError> {
    let total = files.iter().map(|(_, size)| size).sum();
    let (mut done, mut buffer, mut hashes) = (0, vec![0; 64 * 1024], Vec::new());
    for (path, _) in files {
        let (mut file, mut hasher) = (File::open(&path)?, DefaultHasher::new());
        loop {
            let read = file.read(&mut buffer)?;
            if read == 0 {
                break;
            }
            hasher.write(&buffer[..read]);
            done += read as u64;
            reporter.report((done, total))?;
            // self-test: begin
            hash_files_self_test::pace();
            // self-test: end
        }
        hashes.push((path, hasher.finish()));
    }
    Ok(hashes)
}

/// Hashes the files under `paths` with a bar, until done or interrupted (then cancels).
fn hash_all(
    executor: &TraitsExecutor,
    paths: &[PathBuf],
    interrupted: &AtomicBool,
) -> Result<HashFuture, BoxError> {
    let mut files = Vec::new();
    for path in paths {
        files_under(path, &mut files)?;
    }
    let total = files.iter().map(|(_, size)| size).sum();
    // The bar shows the latest report: the worker coalesces the rest.
    let job = submit_try_progress_with(executor, ProgressDelivery::Latest, |reporter| {
        hash_files(files, reporter)
    })?;
    let bar = ProgressBar::new(total).with_style(ProgressStyle::with_template(
        "{wide_bar} {bytes}/{total_bytes} {msg}",
    )?);
    bind_progress_bar(&job, &bar);
    // self-test: begin
    let _interrupt = hash_files_self_test::interrupt_at_first_report(&job);
    // self-test: end
    executor.run_until(
        || job.done().get() || interrupted.load(Ordering::SeqCst),
        None,
    )?;
    if !job.done().get() {
        job.cancel();
        executor.run_until(|| job.done().get(), None)?;
    }
    Ok(job)
}

fn main() -> Result<ExitCode, BoxError> {
    let executor = TraitsExecutor::new();
    // Ctrl-C: the handler runs on a thread of its own; it raises a flag and wakes the loop.
    let interrupted = Arc::new(AtomicBool::new(false));
    let (flag, waker) = (Arc::clone(&interrupted), executor.waker());
    ctrlc::set_handler(move || {
        flag.store(true, Ordering::SeqCst);
        waker.wake();
    })?;
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    // self-test: begin
    if paths.first().is_some_and(|arg| arg == "--self-test") {
        return hash_files_self_test::run(&executor, &interrupted, hash_all);
    }
    // self-test: end
    let job = hash_all(&executor, &paths, &interrupted)?;
    executor.shutdown(None)?;
    match (job.result(), job.error()) {
        (Ok(hashes), _) => hashes
            .iter()
            .for_each(|(path, hash)| println!("{hash:016x}  {}", path.display())),
        (_, Ok(error)) => return Err(error.to_string().into()),
        _ => return Ok(ExitCode::from(130)), // cancelled: as a shell reports Ctrl-C
    }
    Ok(ExitCode::SUCCESS)
}
