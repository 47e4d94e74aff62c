//! The `demo` backend: the built-in generators behind the [`Backend`] interface, with
//! optional simulated steps so that progress and slow models can be tried without GPUs.

use std::time::Duration;

use anyhow::bail;
use serde::Deserialize;

use crate::backend::{Backend, GeneratedImage, GenerationRequest, Progress};

/// A model entry's keys for `backend = "demo"` in worker.toml.
#[derive(Clone, Debug, Deserialize)]
pub struct DemoConfig {
    /// Which built-in generator draws it (default: the entry's slug).
    #[serde(default)]
    pub generator: Option<String>,
    /// Progress steps reported per image.
    #[serde(default = "one")]
    pub steps: u32,
    /// Pause per step, to behave like a slow model.
    #[serde(default)]
    pub step_delay_ms: u64,
}

fn one() -> u32 {
    1
}

impl Default for DemoConfig {
    fn default() -> DemoConfig {
        DemoConfig {
            generator: None,
            steps: 1,
            step_delay_ms: 0,
        }
    }
}

/// Largest side a demo image is drawn at (drawing needs ~15 bytes per pixel).
const MAX_SIDE: u32 = 2048;

pub struct DemoBackend {
    generator: String,
    steps: u32,
    step_delay: Duration,
}

impl DemoBackend {
    pub fn new(slug: &str, config: &DemoConfig) -> anyhow::Result<DemoBackend> {
        let generator = config.generator.clone().unwrap_or_else(|| slug.to_string());
        if !crate::demo::demo_models()
            .iter()
            .any(|m| m.slug == generator)
        {
            bail!("model {slug}: there is no demo generator called {generator}");
        }
        Ok(DemoBackend {
            generator,
            steps: config.steps.max(1),
            step_delay: Duration::from_millis(config.step_delay_ms),
        })
    }
}

impl Backend for DemoBackend {
    fn generate(
        &self,
        request: &GenerationRequest,
        progress: Progress<'_>,
    ) -> anyhow::Result<GeneratedImage> {
        if request.width > MAX_SIDE || request.height > MAX_SIDE {
            bail!("demo images are at most {MAX_SIDE} pixels a side");
        }
        for step in 0..self.steps {
            progress(step, self.steps);
            std::thread::sleep(self.step_delay);
        }
        let image = crate::demo::render(
            &self.generator,
            &request.prompt,
            request.seed,
            request.width,
            request.height,
        )
        .ok_or_else(|| anyhow::anyhow!("no demo generator is called {}", self.generator))?;
        let mut png = std::io::Cursor::new(Vec::new());
        image.write_to(&mut png, image::ImageFormat::Png)?;
        progress(self.steps, self.steps);
        Ok(GeneratedImage {
            png: png.into_inner(),
            params: serde_json::json!({ "generator": self.generator }),
        })
    }
}
