//! A: the future's state machine, fed by a task in a process.

use super::*;

#[test]
fn a01_process_a_new_future_is_waiting_cancellable_and_not_done() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &POW, (2, 3)).unwrap();
    assert_eq!(future.state().get(), Waiting);
    assert!(future.cancellable().get());
    assert!(!future.done().get());
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a02_process_observers_of_state_cancellable_and_done_see_them_agree_in_that_order() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &POW, (2, 3)).unwrap();
    let order = Rc::new(std::cell::RefCell::new(Vec::new()));
    let disagreements = Rc::new(Cell::new(0));
    let agree = {
        let future = future.clone();
        move || {
            let state = future.state().get();
            future.cancellable().get() == state.is_cancellable()
                && future.done().get() == state.is_done()
        }
    };
    let mut guards = Vec::new();
    for (name, observe) in [("state", 0), ("cancellable", 1), ("done", 2)] {
        let (order, disagreements, agree) = (order.clone(), disagreements.clone(), agree.clone());
        let check = move || {
            order.borrow_mut().push(name);
            if !agree() {
                disagreements.set(disagreements.get() + 1);
            }
        };
        guards.push(match observe {
            0 => future.state().observe(move |_, _| check()),
            1 => future.cancellable().observe(move |_, _| check()),
            _ => future.done().observe(move |_, _| check()),
        });
    }
    run(&executor, || future.done().get());
    assert_eq!(disagreements.get(), 0);
    assert_eq!(*order.borrow(), ["state", "state", "cancellable", "done"]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a03_a04_process_paths_sr_and_sx_flip_cancellable_and_done_once_each() {
    let executor = executor();
    let pool = pool(1);
    let completes = submit_process_call(&executor, &pool, &POW, (2, 3)).unwrap();
    let fails = submit_process_call(&executor, &pool, &PARSE, "x".to_string()).unwrap();
    let recorders = (
        Recorder::observable(completes.cancellable()),
        Recorder::observable(completes.done()),
        Recorder::observable(fails.cancellable()),
        Recorder::observable(fails.done()),
    );
    run(&executor, || completes.done().get() && fails.done().get());
    assert_eq!(recorders.0.values(), [true, false]);
    assert_eq!(recorders.1.values(), [false, true]);
    assert_eq!(recorders.2.values(), [true, false]);
    assert_eq!(recorders.3.values(), [false, true]);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a05_process_path_scr_flips_cancellable_at_the_cancel_and_done_at_the_end() {
    let executor = executor();
    let pool = pool(1);
    let mut gate = Gate::new();
    let future = submit_process_call(&executor, &pool, &GATED, gate.path()).unwrap();
    let cancellable = Recorder::observable(future.cancellable());
    let done = Recorder::observable(future.done());
    assert!(gate.wait_entered());
    run(&executor, || future.state().get() == Executing);
    assert!(future.cancel());
    assert_eq!(cancellable.values(), [true, false]);
    assert_eq!(done.values(), [false]);
    gate.release();
    run(&executor, || future.done().get());
    assert_eq!(done.values(), [false, true]);
    assert_eq!(future.state().get(), Cancelled);
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}

#[test]
fn a16_process_submitting_changes_no_state_even_when_the_task_already_finished() {
    let executor = executor();
    let pool = pool(1);
    let future = submit_process_call(&executor, &pool, &POW, (2, 3)).unwrap();
    after_earlier_tasks(&executor, &pool);
    assert_eq!(future.state().get(), Waiting);
    run(&executor, || future.done().get());
    assert_eq!(future.result(), Ok(&8));
    executor.shutdown(Some(TEST_TIMEOUT)).unwrap();
}
