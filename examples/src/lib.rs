//! Runnable programs live in `examples/*.rs`; this library is empty.
