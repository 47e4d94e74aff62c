//! Times the candle backend on one model folder: loads it once, generates a warm-up
//! image, then `--runs` timed ones, and prints one JSON line of figures.
//!
//! `cargo run --release -p arena-worker --features cuda --example candle-bench -- --model-dir DIR [--steps 25] [--size 512x512] [--dtype f16] [--runs 3]`

use std::path::PathBuf;
use std::time::Instant;

use arena_backends::backend::{Backend, GenerationRequest};
use arena_candle::{CandleBackend, CandleModelConfig, DTypeChoice, parse_size};
use clap::Parser;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    model_dir: PathBuf,
    #[arg(long, default_value = "a photograph of an astronaut riding a horse")]
    prompt: String,
    #[arg(long, default_value_t = 25)]
    steps: u32,
    #[arg(long, default_value = "512x512")]
    size: String,
    #[arg(long, value_enum)]
    dtype: Option<DTypeChoice>,
    #[arg(long)]
    guidance: Option<f64>,
    #[arg(long, default_value_t = 3)]
    runs: u32,
    /// Also write the images here.
    #[arg(long)]
    out_dir: Option<PathBuf>,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let (width, height) = parse_size(&args.size)?;
    let settings = CandleModelConfig {
        steps: Some(args.steps),
        guidance: args.guidance,
        width: Some(width),
        height: Some(height),
        dtype: args.dtype,
        ..CandleModelConfig::for_dir(&args.model_dir)
    };
    let started = Instant::now();
    let backend = CandleBackend::load(&settings)?;
    let load_s = started.elapsed().as_secs_f64();
    let no_progress = |_: u32, _: u32| {};
    let mut times = Vec::new();
    let mut params = serde_json::Value::Null;
    for run in 0..=args.runs {
        let request = GenerationRequest {
            prompt: args.prompt.clone(),
            seed: u64::from(run),
            width,
            height,
            steps: None,
            guidance: None,
        };
        let t = Instant::now();
        let image = backend.generate(&request, &no_progress)?;
        let secs = t.elapsed().as_secs_f64();
        if run > 0 {
            times.push(secs);
        }
        eprintln!(
            "run {run}{}: {secs:.3} s",
            if run == 0 { " (warm-up)" } else { "" }
        );
        if let Some(dir) = &args.out_dir {
            std::fs::create_dir_all(dir)?;
            std::fs::write(dir.join(format!("candle-{run}.png")), &image.png)?;
        }
        params = image.params;
    }
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    let figures = serde_json::json!({
        "backend": "candle",
        "device": params["device"],
        "dtype": params["dtype"],
        "steps": args.steps,
        "width": width,
        "height": height,
        "guidance": params["guidance"],
        "scheduler": params["scheduler"],
        "load_s": load_s,
        "runs": times.len(),
        "seconds_per_image": mean,
        "images_per_s": if mean > 0.0 { 1.0 / mean } else { 0.0 },
        "steps_per_s": if mean > 0.0 { f64::from(args.steps) / mean } else { 0.0 },
    });
    println!("{figures}");
    Ok(())
}
