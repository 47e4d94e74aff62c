//! Image generation for the arena: the backends a worker serves models with.
//!
//! For now this holds the built-in [`demo`] generators, which need no weights.

pub mod demo;
