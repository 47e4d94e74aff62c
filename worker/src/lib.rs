//! Image generation for the arena: the backends a worker serves models with.
//!
//! Every backend implements [`backend::Backend`]; the built-in [`demo`] generators
//! need no weights.

pub mod backend;
/// In-house generation (cargo feature `candle`).
#[cfg(feature = "candle")]
pub mod candle;
pub mod client;
pub mod config;
pub mod demo;
pub mod demo_backend;
pub mod openai;
pub mod protocol;
pub mod run;
