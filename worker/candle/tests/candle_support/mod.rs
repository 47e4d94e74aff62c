//! Shared by the candle tests: random model folders written once per test binary.
#![allow(dead_code)] // Each test binary uses some of these helpers, not all.

pub mod fake_hub;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use arena_candle::tiny::{Preset, write_model};

/// A folder holding a fresh random model of `preset`, written on first use.
pub fn model(preset: Preset) -> &'static Path {
    static TINY: OnceLock<PathBuf> = OnceLock::new();
    static TINY_XL: OnceLock<PathBuf> = OnceLock::new();
    static TINY_FLUX: OnceLock<PathBuf> = OnceLock::new();
    let cell = match preset {
        Preset::Tiny => &TINY,
        Preset::TinyXl => &TINY_XL,
        Preset::TinyFlux => &TINY_FLUX,
        Preset::Sd15 => panic!("the full-size model is for GPU benchmarks"),
    };
    cell.get_or_init(|| {
        let dir = scratch(&format!("{preset:?}").to_lowercase());
        write_model(&dir, preset, candle_core::DType::F32, 0).expect("write the random model");
        dir
    })
}

/// An empty folder unique to this test process and `name`.
pub fn scratch(name: &str) -> PathBuf {
    let binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{binary}-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create a scratch folder");
    dir
}

/// Copies a model folder so that a test can break the copy.
pub fn copy_of(src: &Path, name: &str) -> PathBuf {
    let dst = scratch(name);
    copy_dir(src, &dst);
    dst
}

fn copy_dir(src: &Path, dst: &Path) {
    for entry in std::fs::read_dir(src).expect("read model folder").flatten() {
        let to = dst.join(entry.file_name());
        if entry.path().is_dir() {
            std::fs::create_dir_all(&to).expect("create folder");
            copy_dir(&entry.path(), &to);
        } else {
            std::fs::copy(entry.path(), &to).expect("copy file");
        }
    }
}
