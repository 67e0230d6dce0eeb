//! The harness of the stress tests (`stress_volume.rs`, `stress_faults.rs`): each scenario runs
//! on a thread of its own (`tf-stress`) and checks the process's live threads before and after
//! (see `threads.rs` in this module).

pub use super::threads::TestResult;

const SCENARIO_THREAD: &str = "tf-stress";

/// Re-reads the live threads until they are `expected`, or ten seconds pass.
pub fn settle_to(expected: &[String]) -> Vec<String> {
    super::threads::settle(|names| names == expected)
}

/// Runs `scenario` on a `tf-stress` thread, serialised with the other tests of its binary.
pub fn run_scenario(scenario: impl FnOnce() -> TestResult + Send + 'static) -> TestResult {
    super::threads::run_scenario(SCENARIO_THREAD, scenario)
}

/// The threads at the start of a scenario: the scenario's own, nothing else (once the threads
/// of an earlier test, whose pool may have been closed without joining, have exited).
pub fn baseline() -> Vec<String> {
    let before = settle_to(&[SCENARIO_THREAD.to_owned()]);
    assert_eq!(
        before,
        [SCENARIO_THREAD],
        "stray threads before the scenario"
    );
    before
}
