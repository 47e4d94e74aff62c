//! The `arena` server never contains candle (DESIGN.md invariant 8): its crate's
//! dependency tree names no candle crate, and the binary the tests run was built from
//! no candle source — whatever else the workspace build compiled beside it.

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

/// The source files a binary was built from, as its dep-info (`<binary>.d`) lists them.
fn sources_of(binary: &Path) -> Vec<PathBuf> {
    let dep_info = binary.with_extension("d");
    let text = std::fs::read_to_string(&dep_info)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dep_info.display()));
    let (_, sources) = text.split_once(": ").expect("a dep-info line");
    sources
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .map(PathBuf::from)
        .collect()
}

#[test]
fn the_arena_binary_the_tests_run_was_built_without_candle_sources() {
    let mut binaries = vec![PathBuf::from(env!("CARGO_BIN_EXE_arena"))];
    // CI runs the end-to-end tests on the binary the README builds (`ARENA_BIN`).
    if let Some(bin) = std::env::var_os("ARENA_BIN") {
        binaries.push(PathBuf::from(bin));
    }
    for binary in binaries {
        let sources = sources_of(&binary);
        assert!(
            sources.iter().any(|s| s.ends_with("server/src/main.rs")),
            "{} lists no server source",
            binary.display()
        );
        assert!(
            sources
                .iter()
                .any(|s| s.ends_with("worker/backends/src/demo/mod.rs")),
            "{} lists no backend source",
            binary.display()
        );
        let candle: Vec<_> = sources
            .iter()
            .filter(|s| is_candle(&s.to_string_lossy()))
            .collect();
        assert!(
            candle.is_empty(),
            "{} was built from {} candle sources, e.g. {:?}",
            binary.display(),
            candle.len(),
            candle.first()
        );
    }
}
