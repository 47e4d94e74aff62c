//! Generation backends that run anywhere: the built-in [`demo`] generators (no
//! weights) and OpenAI-compatible image APIs ([`openai`]), behind the one
//! [`backend::Backend`] interface, and `worker.toml` ([`config`]).
//!
//! This crate has no candle dependency, not even an optional one: the server's
//! embedded worker uses it, and the `arena` binary must never contain candle. The
//! candle backends live in `arena-candle`, which only `arena-worker` depends on.

pub mod backend;
pub mod config;
pub mod demo;
pub mod demo_backend;
pub mod openai;
