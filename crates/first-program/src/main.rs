use traits_futures::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let executor = TraitsExecutor::new();
    let future = submit_progress(&executor, |reporter| {
        for step in 1..=10 {
            reporter.report((step, 10))?; // `?` ends the task early once it is cancelled
        }
        Ok("done")
    })?;
    // Observers run on this thread, as the event loop dispatches the worker's messages.
    let _bar = future
        .progress()
        .observe(|_, now| println!("progress: {now:?}"));
    let _label = future
        .state()
        .observe(|old, new| println!("{old} -> {new}"));

    executor.run_until(|| future.done().get(), None)?; // a GUI dispatches from its own loop
    println!("result: {:?}", future.result());
    executor.shutdown(None)?;
    Ok(())
}
