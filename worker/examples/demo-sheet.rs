//! Renders a contact sheet: every demo model (rows) × a few prompts (columns).
//!
//! `cargo run -p arena-worker --example demo-sheet -- sheet.png [SIZE] [SEED] [PROMPT]...`

use std::time::Instant;

use arena_worker::demo::{demo_models, render};
use image::{Rgb, RgbImage};

const PROMPTS: [&str; 4] = [
    "a red circle and a blue square",
    "three golden stars above a snowy mountain at night",
    "a wooden sign that says \"OPEN\" next to a cat in a meadow",
    "a sailboat on the ocean at sunset",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let out = args
        .next()
        .ok_or("usage: demo-sheet OUT.png [SIZE] [SEED] [PROMPT]...")?;
    let size: u32 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(256);
    let seed: u64 = args.next().map(|s| s.parse()).transpose()?.unwrap_or(1);
    let extra: Vec<String> = args.collect();
    let prompts: Vec<&str> = if extra.is_empty() {
        PROMPTS.to_vec()
    } else {
        extra.iter().map(String::as_str).collect()
    };

    let gap = 8;
    let models = demo_models();
    let (cols, rows) = (prompts.len() as u32, models.len() as u32);
    let mut sheet = RgbImage::from_pixel(
        cols * (size + gap) + gap,
        rows * (size + gap) + gap,
        Rgb([40, 40, 44]),
    );
    for (r, model) in models.iter().enumerate() {
        for (c, prompt) in prompts.iter().enumerate() {
            // Best of three, so a busy machine does not distort the timing much.
            let mut best = f64::MAX;
            let mut img = RgbImage::new(0, 0);
            for _ in 0..3 {
                let started = Instant::now();
                img = render(model.slug, prompt, seed, size, size).ok_or("unknown model")?;
                best = best.min(started.elapsed().as_secs_f64() * 1e3);
            }
            eprintln!("{:<16} {best:>7.1} ms  {prompt}", model.slug);
            let (x0, y0) = (gap + c as u32 * (size + gap), gap + r as u32 * (size + gap));
            image::imageops::replace(&mut sheet, &img, x0 as i64, y0 as i64);
        }
    }
    sheet.save(&out)?;
    eprintln!(
        "wrote {out}: rows {:?}",
        models.iter().map(|m| m.slug).collect::<Vec<_>>()
    );
    Ok(())
}
