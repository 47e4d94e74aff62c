//! End-to-end tests: the real `arena` binary over real HTTP, a real Postgres, and a
//! real headless Chromium.

#[path = "../support/mod.rs"]
mod support;

mod arena;
mod bench;
mod browser;
mod browser_csp;
mod cli;
mod data;
mod durability;
mod hardening;
mod kwise;
mod leaderboard;
mod live;
mod mixed_worker;
mod pages;
mod scale_out;
mod workers;
