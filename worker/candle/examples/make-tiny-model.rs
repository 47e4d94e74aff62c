//! Writes a randomly initialised diffusers-layout model folder for the candle backend.
//!
//! `cargo run -p arena-worker --example make-tiny-model -- DIR [--preset tiny|tiny-xl|tiny-flux|sd15] [--dtype f32|f16|bf16] [--seed N]`
//!
//! `tiny` (the default) is a few MB and SD-1.5-shaped; `sd15` has Stable Diffusion
//! 1.5's real shapes (about 2 GB in f16) for GPU benchmarks.

use std::path::PathBuf;

use arena_candle::DTypeChoice;
use arena_candle::tiny::{Preset, write_model};
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Folder to write (created if missing).
    dir: PathBuf,
    #[arg(long, value_enum, default_value = "tiny")]
    preset: Preset,
    /// Weight precision in the files (default: f16 for sd15, f32 otherwise).
    #[arg(long, value_enum)]
    dtype: Option<DTypeChoice>,
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dtype = args.dtype.unwrap_or(if args.preset == Preset::Sd15 {
        DTypeChoice::F16
    } else {
        DTypeChoice::F32
    });
    let started = std::time::Instant::now();
    write_model(&args.dir, args.preset, dtype.to_candle(), args.seed)?;
    eprintln!(
        "wrote {:?} model ({}) to {} in {:.1} s",
        args.preset,
        dtype.name(),
        args.dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
