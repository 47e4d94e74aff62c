//! The interface every generation backend implements (demo, OpenAI-compatible HTTP,
//! candle). A backend is called on a thread of its own and may block; it reports
//! progress as "step k of n" so that heartbeats can carry it.

use serde::{Deserialize, Serialize};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GenerationRequest {
    pub prompt: String,
    pub seed: u64,
    pub width: u32,
    pub height: u32,
    /// Denoising steps; `None` lets the backend use its configured default.
    pub steps: Option<u32>,
    /// Classifier-free guidance scale; `None` for the backend's default.
    pub guidance: Option<f64>,
}

/// One generated image and the parameters that reproduce it.
#[derive(Clone, Debug)]
pub struct GeneratedImage {
    /// PNG bytes (the server re-encodes them; any size is accepted).
    pub png: Vec<u8>,
    /// Everything needed to regenerate the image: seed, steps, size, scheduler,
    /// dtype, model version… as a JSON object.
    pub params: serde_json::Value,
}

/// Progress callback: (step done, steps in all).
pub type Progress<'a> = &'a (dyn Fn(u32, u32) + Send + Sync);

pub trait Backend: Send + Sync {
    /// Generates one image; blocks until done or failed.
    fn generate(
        &self,
        request: &GenerationRequest,
        progress: Progress<'_>,
    ) -> anyhow::Result<GeneratedImage>;
}
