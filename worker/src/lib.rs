//! The arena's generation worker: the loop that leases jobs over the worker protocol,
//! draws them and uploads the images ([`run`]), and the backends it draws with.
//!
//! The protocol and its client come from `arena-protocol`, the demo and
//! OpenAI-compatible backends from `arena-backends`, the candle backends (cargo
//! feature `candle`, on by default) from `arena-candle`; they are re-exported here
//! under the names a worker is configured with.

pub use arena_backends::{backend, demo, demo_backend, openai};
/// In-house generation (cargo feature `candle`).
#[cfg(feature = "candle")]
pub use arena_candle as candle;
pub use arena_protocol::client;

pub mod config;
pub mod run;

/// The worker protocol's messages.
pub mod protocol {
    pub use arena_protocol::*;
}
