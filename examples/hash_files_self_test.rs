//! The unattended self-test of `hash_files` (`--self-test`, run by CI's demo step): hashes a
//! temporary directory and checks the hashes; then hashes it again, paced, sends itself SIGINT
//! after the first report, and checks that the task ends `Cancelled` before the end.

use std::fs;
use std::hash::{DefaultHasher, Hasher};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use traits_core::ObserverGuard;
use traits_futures::{FutureState, TraitsExecutor};

use super::{BoxError, HashFuture};

/// The second run: each chunk takes a while, and the first report interrupts.
static INTERRUPTING: AtomicBool = AtomicBool::new(false);

/// On the worker, after each chunk: in the interrupted run, wait a little, so that the whole
/// directory would take far longer than the interrupt needs to cancel the task.
pub fn pace() {
    if INTERRUPTING.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// In the interrupted run, sends this process SIGINT (as Ctrl-C would) at the first report.
pub fn interrupt_at_first_report(job: &HashFuture) -> Option<ObserverGuard> {
    INTERRUPTING.load(Ordering::SeqCst).then(|| {
        job.progress().observe(|_, report| {
            if report.is_some() && !RAISED.swap(true, Ordering::SeqCst) {
                println!("self-test: sending SIGINT");
                interrupt_myself();
            }
        })
    })
}

static RAISED: AtomicBool = AtomicBool::new(false);

#[cfg(unix)]
fn interrupt_myself() {
    // SAFETY: raise only sends a signal to the calling thread; the handler `ctrlc` installed
    // for SIGINT is async-signal-safe (it writes to a pipe).
    let raised = unsafe { libc::raise(libc::SIGINT) };
    assert_eq!(raised, 0, "raise(SIGINT) failed");
}

#[cfg(not(unix))]
fn interrupt_myself() {
    eprintln!("self-test: no SIGINT here; the interrupted run will fail");
}

type HashAll = fn(&TraitsExecutor, &[PathBuf], &AtomicBool) -> Result<HashFuture, BoxError>;

fn hash_of(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

pub fn run(
    executor: &TraitsExecutor,
    interrupted: &AtomicBool,
    hash_all: HashAll,
) -> Result<ExitCode, BoxError> {
    let dir = std::env::temp_dir().join(format!("hash_files-self-test-{}", std::process::id()));
    let outcome = check(executor, interrupted, hash_all, std::slice::from_ref(&dir));
    let _ = fs::remove_dir_all(&dir);
    executor.shutdown(Some(Duration::from_secs(30)))?;
    outcome?;
    println!("self-test passed");
    Ok(ExitCode::SUCCESS)
}

fn check(
    executor: &TraitsExecutor,
    interrupted: &AtomicBool,
    hash_all: HashAll,
    dirs: &[PathBuf],
) -> Result<(), BoxError> {
    let dir = &dirs[0];
    // 40 files of 0 to 390 KiB in a directory and a subdirectory; two have the same bytes.
    fs::create_dir_all(dir.join("sub"))?;
    let mut expected = Vec::new();
    for i in 0..40u32 {
        let path = dir
            .join(if i % 2 == 0 { "sub" } else { "." })
            .join(format!("file{i}"));
        let seed = if i == 39 { 38 } else { i };
        let bytes: Vec<u8> = (0..seed * 10_000)
            .map(|n| (n.wrapping_mul(seed + 7) >> 3) as u8)
            .collect();
        fs::write(&path, &bytes)?;
        expected.push((path.canonicalize()?, hash_of(&bytes)));
    }
    expected.sort();

    let job = hash_all(executor, dirs, interrupted)?;
    if job.state().get() != FutureState::Completed {
        return Err(format!("self-test: the first run ended {}", job.state().get()).into());
    }
    let mut hashes: Vec<(PathBuf, u64)> = job
        .result()?
        .iter()
        .map(|(path, hash)| Ok((path.canonicalize()?, *hash)))
        .collect::<Result<_, BoxError>>()?;
    hashes.sort();
    if hashes != expected {
        return Err(
            format!("self-test: the hashes differ: {hashes:?} against {expected:?}").into(),
        );
    }
    let twins: Vec<u64> = hashes
        .iter()
        .filter(|(path, _)| path.ends_with("file38") || path.ends_with("file39"))
        .map(|(_, hash)| *hash)
        .collect();
    if twins.len() != 2 || twins[0] != twins[1] {
        return Err("self-test: equal files hashed differently".into());
    }
    println!("self-test: {} files hashed", hashes.len());

    INTERRUPTING.store(true, Ordering::SeqCst);
    let job = hash_all(executor, dirs, interrupted)?;
    if !RAISED.load(Ordering::SeqCst) || job.state().get() != FutureState::Cancelled {
        return Err(format!("self-test: the interrupted run ended {}", job.state().get()).into());
    }
    println!("self-test: the interrupted run ended Cancelled");
    Ok(())
}
