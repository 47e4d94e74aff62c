//! `arena-worker generate`: one image from a local model folder, no server.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;

use super::CandleBackend;
use super::config::{CandleModelConfig, DTypeChoice, parse_size};
use super::scheduler::SchedulerKind;
use arena_backends::backend::{Backend, GenerationRequest};

/// Arguments of `arena-worker generate`.
#[derive(clap::Args, Debug, Clone)]
pub struct GenerateArgs {
    /// Diffusers-layout model folder (model_index.json, unet/, vae/, text_encoder/, tokenizer/).
    #[arg(long)]
    pub model_dir: PathBuf,
    /// What to draw.
    #[arg(long)]
    pub prompt: String,
    /// Seed; the same prompt, seed and settings give the same image.
    #[arg(long)]
    pub seed: u64,
    /// Denoising steps (default: the model's, 1 for turbo models, 30 otherwise).
    #[arg(long)]
    pub steps: Option<u32>,
    /// Image size as WIDTHxHEIGHT (default: the model's native size).
    #[arg(long, value_parser = parse_size_arg)]
    pub size: Option<(u32, u32)>,
    /// Where to write the PNG.
    #[arg(long)]
    pub out: PathBuf,
    /// Precision on the GPU (the CPU always uses f32).
    #[arg(long, value_enum)]
    pub dtype: Option<DTypeChoice>,
    /// Classifier-free guidance scale; 1 or less turns it off.
    #[arg(long)]
    pub guidance: Option<f64>,
    /// Scheduler (default: what the folder's scheduler_config.json names).
    #[arg(long, value_enum)]
    pub scheduler: Option<SchedulerKind>,
    /// Text to guide away from.
    #[arg(long)]
    pub negative_prompt: Option<String>,
}

fn parse_size_arg(text: &str) -> Result<(u32, u32), String> {
    parse_size(text).map_err(|e| e.to_string())
}

/// Generates one image, writes it to `--out` and prints its parameters as one JSON line.
pub fn run_generate(args: &GenerateArgs) -> anyhow::Result<()> {
    let settings = CandleModelConfig {
        steps: args.steps,
        guidance: args.guidance,
        scheduler: args.scheduler,
        width: args.size.map(|s| s.0),
        height: args.size.map(|s| s.1),
        dtype: args.dtype,
        negative_prompt: args.negative_prompt.clone(),
        ..CandleModelConfig::for_dir(&args.model_dir)
    };
    let backend = CandleBackend::load(&settings)?;
    let (width, height) = backend.default_size();
    let request = GenerationRequest {
        prompt: args.prompt.clone(),
        seed: args.seed,
        width,
        height,
        steps: args.steps,
        guidance: args.guidance,
    };
    let started = Instant::now();
    let progress = |step: u32, steps: u32| tracing::info!(step, steps, "denoising");
    let image = backend.generate(&request, &progress)?;
    std::fs::write(&args.out, &image.png)
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    tracing::info!(out = %args.out.display(), duration_ms = started.elapsed().as_millis() as u64, "image written");
    println!("{}", image.params);
    Ok(())
}
