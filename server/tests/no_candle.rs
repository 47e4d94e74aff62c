//! The `arena` server never contains candle (DESIGN.md invariant 8): its crate's
//! dependency tree names no candle crate, and the binary the tests run holds no candle
//! code — whatever else the workspace build compiled beside it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Whether a crate name or a source path belongs to candle.
fn is_candle(text: &str) -> bool {
    text.contains("candle")
}

#[test]
fn the_server_crate_depends_on_no_candle_crate() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(env!("CARGO"))
        .current_dir(&workspace)
        .args([
            "tree",
            "-p",
            "arena-server",
            "-e",
            "normal,build",
            "--prefix",
            "none",
            "--offline",
        ])
        .output()
        .expect("running cargo tree");
    assert!(
        out.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let tree = String::from_utf8(out.stdout).unwrap();
    // The tree is real: it names the server and what it does depend on.
    for expected in ["arena-server", "arena-backends", "arena-protocol", "sqlx"] {
        assert!(
            tree.lines().any(|l| l.starts_with(expected)),
            "{expected} missing from:\n{tree}"
        );
    }
    let candle: Vec<&str> = tree.lines().filter(|l| is_candle(l)).collect();
    assert!(candle.is_empty(), "arena-server depends on {candle:?}");
}

/// Crate names that only a binary with candle code in it contains (in its symbols and
/// debug information).
const CANDLE_CRATES: [&str; 4] = [
    "candle_core",
    "candle_nn",
    "candle_transformers",
    "arena_candle",
];

/// Which of `needles` occur in the file at `path`.
fn found_in(path: &Path, needles: &[&str]) -> Vec<String> {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    needles
        .iter()
        .filter(|n| memchr::memmem::find(&bytes, n.as_bytes()).is_some())
        .map(|n| n.to_string())
        .collect()
}

#[test]
fn the_arena_binary_the_tests_run_contains_no_candle_code() {
    let built = PathBuf::from(env!("CARGO_BIN_EXE_arena"));
    // The check can fail: the worker built beside it (with its default `candle`
    // feature) does contain candle.
    let worker = built.with_file_name("arena-worker");
    if worker.exists() {
        assert!(
            !found_in(&worker, &CANDLE_CRATES).is_empty(),
            "{} should contain candle",
            worker.display()
        );
    }
    let mut binaries = vec![built];
    // CI runs the end-to-end tests on the binary the README builds (`ARENA_BIN`).
    if let Some(bin) = std::env::var_os("ARENA_BIN") {
        binaries.push(PathBuf::from(bin));
    }
    for binary in binaries {
        // It is the server, and it does contain the crates it depends on.
        assert_eq!(
            found_in(&binary, &["arena_server", "arena_backends"]).len(),
            2,
            "{} does not look like the arena server",
            binary.display()
        );
        let candle = found_in(&binary, &CANDLE_CRATES);
        assert!(
            candle.is_empty(),
            "{} contains {candle:?}",
            binary.display()
        );
    }
}
