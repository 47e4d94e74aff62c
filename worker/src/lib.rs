//! Image generation for the arena: the backends a worker serves models with.
//!
//! Every backend implements [`backend::Backend`]; the built-in [`demo`] generators
//! need no weights.

pub mod backend;
pub mod demo;
