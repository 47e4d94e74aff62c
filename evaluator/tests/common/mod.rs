//! Helpers shared by the integration tests: where the shared data lives, and the
//! reference leaderboards other tools computed on it.

#![allow(dead_code)] // each test binary uses its own subset of these helpers

use std::collections::BTreeMap;
use std::path::PathBuf;

use arena_evaluator::{Format, Leaderboard, LeaderboardOptions, leaderboard_from_reader};
use serde::Deserialize;

/// `../../shared/data` from this crate: beside the repository in CI, beside the
/// checkout here. `None` (with a loud note) when it is missing outside CI; in CI a
/// missing folder fails the test.
pub fn data_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/data"));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("shared data folder {} is missing in CI", dir.display());
    }
    eprintln!(
        "SKIPPED: shared data folder {} not found (set up ../shared beside the repository)",
        dir.display()
    );
    None
}

#[derive(Debug, Deserialize)]
pub struct Reference {
    pub n_votes: u64,
    pub ratings: BTreeMap<String, ReferenceRating>,
}

#[derive(Debug, Deserialize)]
pub struct ReferenceRating {
    pub rating: f64,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub n_battles: u64,
}

pub fn reference(dir: &std::path::Path, dataset: &str, method: &str) -> Reference {
    let path = dir
        .join("reference")
        .join(format!("{dataset}.{method}.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn from_jsonl(
    text: &str,
    options: &LeaderboardOptions,
) -> arena_evaluator::Result<Leaderboard> {
    leaderboard_from_reader(text.as_bytes(), Format::Auto, options)
}

/// One JSONL vote line.
pub fn vote(a: &str, b: &str, winner: &str) -> String {
    format!("{{\"model_a\": \"{a}\", \"model_b\": \"{b}\", \"winner\": \"{winner}\"}}\n")
}
