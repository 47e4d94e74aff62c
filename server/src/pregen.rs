//! The embedded generator: fills the image pool for the built-in demo models in the
//! background, prompt by prompt, so that voting can start within seconds of a first
//! start. Later starts find the images in the database and skip them.

use std::time::Instant;

use image::DynamicImage;

use crate::App;
use crate::blob::normalize;
use crate::store::{MissingImage, NewGeneration};

/// Backend name under which the built-in demo models are registered.
pub const DEMO_BACKEND: &str = "demo";

/// Generates every missing pool image of the demo models; returns how many it made.
pub async fn fill_demo_pool(app: &App) -> anyhow::Result<u64> {
    let (present, wanted) = app.store.pool_progress(DEMO_BACKEND).await?;
    if present >= wanted {
        return Ok(0);
    }
    tracing::info!(
        pool.present = present,
        pool.wanted = wanted,
        "pre-generating demo images"
    );
    let started = Instant::now();
    let mut made = 0u64;
    loop {
        let batch = app.store.missing_pool_images(DEMO_BACKEND, 64).await?;
        if batch.is_empty() {
            break;
        }
        for item in batch {
            generate_one(app, item).await?;
            made += 1;
            if made.is_multiple_of(100) {
                tracing::info!(
                    pool.present = present + made as i64,
                    pool.wanted = wanted,
                    "pre-generation progress"
                );
            }
        }
    }
    tracing::info!(
        images = made,
        duration_ms = started.elapsed().as_millis() as u64,
        "pre-generation done"
    );
    Ok(made)
}

/// A fixed seed per (prompt, model) so that the pool is reproducible.
pub fn pool_seed(prompt_id: i64, model_slug: &str) -> i64 {
    let h = model_slug.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    ((h ^ (prompt_id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) >> 1) as i64
}

async fn generate_one(app: &App, item: MissingImage) -> anyhow::Result<()> {
    let size = app.config.image_size;
    let seed = pool_seed(item.prompt_id, &item.model_slug);
    let started = Instant::now();
    let (slug, text) = (item.model_slug.clone(), item.prompt_text.clone());
    let png = tokio::task::spawn_blocking(move || {
        let image = arena_worker::demo::render(&slug, &text, seed as u64, size, size)
            .ok_or_else(|| anyhow::anyhow!("no demo generator is called {slug}"))?;
        anyhow::Ok(normalize(DynamicImage::ImageRgb8(image), size)?)
    })
    .await??;
    let latency_ms = started.elapsed().as_millis() as i64;
    let (blob_key, sha256) = app.blobs.put_png(&png).await?;
    app.store
        .add_generation(&NewGeneration {
            model_id: item.model_id,
            prompt_id: item.prompt_id,
            blob_key,
            sha256,
            width: size,
            height: size,
            seed,
            steps: None,
            params: serde_json::json!({ "generator": item.model_slug, "seed": seed, "width": size, "height": size }),
            latency_ms,
        })
        .await?;
    Ok(())
}
