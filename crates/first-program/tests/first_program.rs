//! The README's first program builds with `traits-futures` as its only dependency and the
//! prelude as its only import, runs, and is the program the README shows.

use std::process::Command;

#[test]
fn the_first_program_runs_to_completion() {
    let output = Command::new(env!("CARGO_BIN_EXE_first-program"))
        .output()
        .expect("the first program starts");
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).expect("UTF-8 output");
    assert!(stdout.contains("progress: Some((10, 10))"), "{stdout}");
    assert!(stdout.contains("Executing -> Completed"), "{stdout}");
    assert!(stdout.contains(r#"result: Ok("done")"#), "{stdout}");
}

#[test]
fn the_readme_shows_this_program() {
    let readme = include_str!("../../../README.md");
    let program = include_str!("../src/main.rs");
    assert!(
        readme.contains(program),
        "README.md's first program differs from crates/first-program/src/main.rs"
    );
}

#[test]
fn it_depends_on_traits_futures_alone() {
    let manifest = include_str!("../Cargo.toml");
    let dependencies = manifest
        .split("[dependencies]")
        .nth(1)
        .expect("a [dependencies] table");
    let names: Vec<&str> = dependencies
        .lines()
        .filter(|line| !line.trim().is_empty() && !line.starts_with('#'))
        .take_while(|line| !line.starts_with('['))
        .map(|line| line.split(['=', '.']).next().unwrap_or("").trim())
        .collect();
    assert_eq!(names, ["traits-futures"]);
}
