# Everyday recipes. The README's two commands are plain cargo and do not need `just`.

# Run every test (unit, integration, doc tests).
test:
    cargo test --workspace

# Formatting and lints, as CI runs them.
lint:
    cargo fmt --all --check
    cargo clippy --workspace --all-targets -- -D warnings

# Build the API docs and the guide; warnings are errors.
doc:
    RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps

# The optional worker pools' tests (features rayon and tokio).
test-pools:
    cargo test -p traits-futures --features rayon,tokio --test worker_pools
    cargo test -p traits-futures --features rayon,tokio --doc -- _pool

# The process context's tests and its example (feature process).
test-process:
    cargo test -p traits-futures --features process --test process_crash --test process_behaviour
    cargo run -p examples --example risky_native -- --self-test

# The quick-start demo.
demo:
    cargo run --release -p examples --example quick_start

# The Ctrl-C example, unattended: it sends itself SIGINT and checks the task ends Cancelled.
ctrl-c:
    cargo run -p examples --example ctrl_c -- --self-test

# The GTK4 example's unattended self-test under Xvfb (needs libgtk-4-dev and xvfb).
gui-smoke:
    GSK_RENDERER=cairo xvfb-run -a cargo run -p examples --features gtk --example gtk_primes -- --self-test target/gtk_primes.png

# The egui example's unattended self-test under Xvfb (the notify integration; needs Mesa).
gui-smoke-egui:
    xvfb-run -a cargo run -p examples --features egui --example egui_progress -- --self-test

# The library against its floor (a raw crossbeam queue and channel), in one process run.
bench:
    cargo bench -p traits-futures --bench compare

# The process context beside threads (calls and messages), one line.
bench-process:
    cargo bench -p traits-futures --features process --bench compare -- process

# The same, each workload beside busy background threads (one per core): read the ratios.
bench-busy:
    BENCH_LOAD=busy cargo bench -p traits-futures --bench compare

# The same workloads on the Python original, side by side (needs ../shared).
compare-peer:
    bash scripts/compare-peer.sh

# Model-check the cross-thread handshakes with loom (a build of its own, in target/loom).
loom:
    CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg loom" cargo test -p traits-futures --release --test loom
    CARGO_TARGET_DIR=target/loom RUSTFLAGS="--cfg loom" cargo test -p traits-futures --release --lib loom_models

# traits-core's tests under Miri (its one `unsafe` module, `callback.rs`, stores small closures
# in place); needs the nightly toolchain with the miri component.
miri:
    CARGO_TARGET_DIR=target/miri cargo +nightly miri test -p traits-core

# The stress tests (ignored in the normal suite: `stress_volume.rs`, `stress_faults.rs`), in release.
stress:
    cargo test -p traits-futures --release --tests -- --ignored

# The Windows build: clippy for x86_64-pc-windows-gnu, then the unit and integration tests
# cross-compiled with MinGW and run under Wine (installs the target, MinGW and Wine if missing).
windows:
    bash scripts/windows-tests.sh

# Everything CI runs.
ci:
    bash .ci/run
