//! End-to-end tests: the real `arena` binary over real HTTP, a real Postgres, and a
//! real headless Chromium.

#[path = "../support/mod.rs"]
mod support;

mod arena;
mod browser;
mod cli;
mod data;
mod durability;
mod leaderboard;
mod live;
mod mixed_worker;
mod workers;
