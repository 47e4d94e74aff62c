//! Arena: a self-hostable, blind, pairwise human-preference arena for text-to-image
//! models. This crate is the `arena` binary's library.
//!
//! The code is layered, and each layer is grouped by domain (ARCHITECTURE.md):
//!
//! - [`http`]: handlers, pages and the JSON API; the only place that knows status codes.
//! - services: [`voting`] (battles, votes, live battles, matchmaking, prompts),
//!   [`generation`] (the queue, workers, the embedded worker, the image store),
//!   [`rankings`] (leaderboards, charts, `arena leaderboard`), [`data`] (exports,
//!   imports, galleries), [`integrity`] (limits, view checks, the rigging detector).
//!   They return their own errors.
//! - [`store`]: the database, one module per table.
//!
//! [`App`] holds what they share; [`cli`] is the command line; [`bench`] loads a running
//! arena with simulated voters (`arena bench`).

pub mod app;
pub mod bench;
pub mod cli;
pub mod config;
pub mod data;
pub mod generation;
pub mod http;
pub mod integrity;
pub mod metrics;
pub mod rankings;
pub mod serve;
pub mod store;
pub mod voting;

pub use app::{App, open_store, register_demo_models};
pub use serve::serve;
