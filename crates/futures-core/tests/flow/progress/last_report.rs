//! The last report precedes the final message, whatever ends the task.

use super::*;

#[derive(Debug, PartialEq)]
enum ScanError {
    Cancelled,
    Unreadable,
}

impl From<TaskCancelled> for ScanError {
    fn from(_: TaskCancelled) -> Self {
        ScanError::Cancelled
    }
}

#[test]
fn a_failing_task_delivers_its_held_back_last_report_before_failed() {
    for delivery in EVERY_DELIVERY {
        let executor = executor();
        let future = submit_try_progress_with(&executor, delivery, |reporter| {
            for step in 1..=1000u32 {
                reporter.report(step)?;
            }
            Err::<(), _>(ScanError::Unreadable)
        })
        .unwrap();
        let (at_done, _watch) = progress_when_done(&future);
        run_to_done(&executor, &future);
        assert_eq!(
            *at_done.borrow(),
            Some((FutureState::Failed, Some(1000))),
            "{delivery:?}"
        );
        assert_eq!(future.error(), Ok(&TaskError::Error(ScanError::Unreadable)));
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}

#[test]
fn a_panicking_task_delivers_its_held_back_last_report_before_failed() {
    for delivery in EVERY_DELIVERY {
        let executor = executor();
        let future = submit_progress_with(&executor, delivery, |reporter| {
            for step in 1..=1000u32 {
                reporter.report(step)?;
            }
            panic!("the disk is gone");
            #[allow(unreachable_code)]
            Ok(())
        })
        .unwrap();
        let reports = Recorder::event(future.reports());
        let (at_done, _watch) = progress_when_done(&future);
        run_to_done(&executor, &future);
        assert_eq!(
            *at_done.borrow(),
            Some((FutureState::Failed, Some(1000))),
            "{delivery:?}"
        );
        assert_eq!(reports.values().first(), Some(&1));
        assert!(matches!(future.error(), Ok(TaskError::Panicked(_))));
        executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
    }
}
