//! The crate's layers point one way: a module imports only from its own layer and the layers
//! below it (ARCHITECTURE.md, "Layers"). Top to bottom:
//!
//! | rank | layer | where |
//! |------|-------|-------|
//! | 8 | the crate's face | `lib.rs`, `prelude.rs`, `testing.rs`, `loom_api.rs` |
//! | 7 | toolkit bindings | `bindings/` |
//! | 6 | composing futures on the main thread | `compose/` |
//! | 5 | task types | `tasks/` |
//! | 4 | executor and event loops | `executor/` |
//! | 3 | the future | `future/` |
//! | 2 | message routing | `routing/` |
//! | 1 | worker pools and queues | `pool/` |
//! | 0 | shared vocabulary | `error.rs`, `state.rs`, `sync.rs`, `block_deque.rs` |
//!
//! The check reads every source file, skips comment lines (doc links may point anywhere), and
//! looks at every `crate::NAME` path: NAME must be a layer at or below the file's own, and below
//! the top a path must name the defining module, not a re-export at the crate root (which
//! would hide the layer it comes from). Unit tests are held to the same rule.
//!
//! Run it alone with `cargo test -p traits-futures --test layers`.

use std::fs;
use std::path::{Path, PathBuf};

/// The rank of a top-level module of `src/`, by its name (a folder, or a file without `.rs`).
fn rank_of_module(name: &str) -> Option<u8> {
    Some(match name {
        "lib" | "prelude" | "testing" | "loom_api" => 8,
        "bindings" => 7,
        "compose" => 6,
        "tasks" => 5,
        "executor" => 4,
        "future" => 3,
        "routing" => 2,
        "pool" => 1,
        "error" | "state" | "sync" | "block_deque" => 0,
        _ => return None,
    })
}

fn source_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            found.push(path);
        }
    }
}

/// Every `crate::NAME` on the line: the identifier after each `crate::`.
fn crate_paths(line: &str) -> Vec<&str> {
    let mut names = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("crate::") {
        let preceded_by_ident = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$');
        let after = &rest[at + "crate::".len()..];
        let end = after
            .find(|c: char| !(c.is_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        if !preceded_by_ident && end > 0 {
            names.push(&after[..end]);
        }
        rest = &after[end..];
    }
    names
}

/// The layer violations in the crate's sources, one line of text each.
fn violations(src: &Path) -> Vec<String> {
    let mut files = Vec::new();
    source_files(src, &mut files);
    files.sort();
    assert!(files.len() > 20, "found the crate's sources under {src:?}");
    let mut found = Vec::new();
    for file in files {
        let relative = file.strip_prefix(src).unwrap();
        // `/` on every platform, so that messages read the same on Windows.
        let shown: Vec<_> = relative
            .components()
            .map(|part| part.as_os_str().to_string_lossy())
            .collect();
        let shown = shown.join("/");
        let top = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        let Some(own) = rank_of_module(&top) else {
            found.push(format!(
                "{shown}: `{top}` is in no layer (add it to ARCHITECTURE.md and to this test)"
            ));
            continue;
        };
        let text = fs::read_to_string(&file).unwrap();
        for (number, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("//") {
                continue;
            }
            for name in crate_paths(line) {
                let problem = match rank_of_module(name) {
                    Some(rank) if rank > own => format!("imports `{name}`, a higher layer"),
                    Some(_) => continue,
                    None if own == 8 => continue,
                    None => format!("uses `crate::{name}`: name the defining module instead"),
                };
                found.push(format!("{shown}:{}: {problem}", number + 1));
            }
        }
    }
    found
}

#[test]
fn no_module_imports_a_higher_layer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = violations(&src);
    assert!(found.is_empty(), "layer violations:\n{}", found.join("\n"));
}

#[test]
fn the_check_finds_an_upward_import_and_a_root_path() {
    let dir = std::env::temp_dir().join(format!("tf-layers-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.join("pool")).unwrap();
    fs::create_dir_all(dir.join("tasks")).unwrap();
    for n in 0..20 {
        fs::write(dir.join(format!("tasks/filler{n}.rs")), "").unwrap();
    }
    fs::write(
        dir.join("pool/queue.rs"),
        "// crate::tasks in a comment is fine\nuse crate::routing::pipe::PipeShared;\nuse crate::CallFuture;\nuse crate::error::TaskError;\n",
    )
    .unwrap();
    fs::write(dir.join("tasks/call.rs"), "use crate::pool::queue;\n").unwrap();
    let found = violations(&dir);
    fs::remove_dir_all(&dir).unwrap();
    assert_eq!(
        found,
        [
            "pool/queue.rs:2: imports `routing`, a higher layer",
            "pool/queue.rs:3: uses `crate::CallFuture`: name the defining module instead",
        ]
    );
}
