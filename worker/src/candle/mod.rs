//! In-house generation with candle: Stable Diffusion 1.x / 2.x / XL (and their turbo
//! variants) and FLUX.1-schnell, from local diffusers-layout model folders or hub
//! repositories (fetched into the Hugging Face cache), on CUDA when built with the
//! `cuda` feature and a GPU is present, else on the CPU.
//!
//! This module owns reading model folders, fetching them from the hub ([`hub`]), the parts candle cannot configure from
//! files (CLIP text encoder, UNet with SDXL conditioning), seeded schedulers, the
//! pipelines, the [`CandleBackend`] a worker serves models with, `arena-worker
//! generate` ([`run_generate`]) and random test models ([`tiny`]).

mod backend;
mod clip;
mod config;
mod flux;
mod folder;
mod generate;
mod hub;
mod scheduler;
mod sd;
pub mod tiny;
mod tokenizer;
mod unet;

pub use backend::CandleBackend;
pub use config::{CandleModelConfig, DTypeChoice, SchedulerKind, SeedPolicy, parse_size};
pub use generate::{GenerateArgs, run_generate};
pub use hub::{Hub, HubError};

use candle_core::Device;

/// The device generation runs on: the first CUDA GPU when this build has the `cuda`
/// feature and a GPU answers, else the CPU. The choice is logged.
pub fn device_for_run_time() -> (Device, &'static str) {
    if candle_core::utils::cuda_is_available() {
        match Device::new_cuda(0) {
            Ok(device) => {
                tracing::info!(device = "cuda:0", "candle runs on the GPU");
                return (device, "cuda:0");
            }
            Err(err) => {
                tracing::warn!(error = %err, "built with CUDA but no GPU answered; candle runs on the CPU")
            }
        }
    }
    tracing::info!(device = "cpu", "candle runs on the CPU");
    (Device::Cpu, "cpu")
}

/// What a model folder suggests when neither the job nor the settings say.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Defaults {
    pub width: u32,
    pub height: u32,
    pub steps: u32,
    pub guidance: f64,
    pub scheduler: SchedulerKind,
}

/// One generation with every setting decided.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Job<'a> {
    pub prompt: &'a str,
    pub negative_prompt: Option<&'a str>,
    pub seed: u64,
    pub steps: u32,
    pub guidance: f64,
    pub width: u32,
    pub height: u32,
    pub scheduler: SchedulerKind,
}
