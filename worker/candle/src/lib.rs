//! In-house generation with candle: Stable Diffusion 1.x / 2.x / XL (and their turbo
//! variants) and FLUX.1-schnell, from local diffusers-layout model folders or hub
//! repositories (fetched into the Hugging Face cache), on CUDA when built with the
//! `cuda` feature and a GPU is present, else on the CPU.
//!
//! This crate owns reading model folders, fetching them from the hub ([`hub`]), the
//! parts candle cannot configure from files (CLIP text encoder, UNet with SDXL
//! conditioning), seeded schedulers, the pipelines, the [`CandleBackend`] a worker
//! serves models with, `arena-worker generate` ([`run_generate`]) and random test
//! models ([`tiny`]). Only `arena-worker` depends on it; the server never does.

mod backend;
mod clip;
mod config;
mod flux;
mod folder;
mod generate;
mod hub;
mod needed;
mod pipeline;
mod scheduler;
mod sd;
pub mod tiny;
mod tokenizer;
mod unet;

pub use backend::CandleBackend;
pub use config::{CandleModelConfig, DTypeChoice, SeedPolicy, parse_size};
pub use generate::{GenerateArgs, run_generate};
pub use hub::{Hub, HubError};
pub use pipeline::device_for_run_time;
pub use scheduler::SchedulerKind;
