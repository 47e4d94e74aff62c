//! [`CandleBackend`]: a model loaded once from its folder and kept, serving jobs
//! through the [`Backend`] trait.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, bail};
use candle_core::{DType, Device, Tensor};
use serde_json::json;

use super::config::{CandleModelConfig, DTypeChoice, SeedPolicy};
use super::flux::FluxPipeline;
use super::folder::{self, Family, Folder};
use super::hub::Hub;
use super::pipeline::{Defaults, Job, device_for_run_time};
use super::sd::SdPipeline;
use arena_backends::backend::{Backend, GeneratedImage, GenerationRequest, Progress};

enum Pipeline {
    Sd(Box<SdPipeline>),
    Flux(Box<FluxPipeline>),
}

/// A candle model, loaded once (text encoders included) and kept for every job.
pub struct CandleBackend {
    pipeline: Pipeline,
    settings: CandleModelConfig,
    family: Family,
    folder: PathBuf,
    revision: Option<String>,
    fingerprint: String,
    device: &'static str,
    dtype: DTypeChoice,
}

impl CandleBackend {
    /// Loads the model the settings name, fetching a `hub_repo` that is not cached
    /// from the hub the environment names ([`Hub::from_env`]). Fails with a message
    /// naming the missing or broken file when the folder is incomplete.
    pub fn load(cfg: &CandleModelConfig) -> anyhow::Result<CandleBackend> {
        Self::load_with(cfg, &Hub::from_env())
    }

    /// [`CandleBackend::load`] with the hub and cache given.
    pub fn load_with(cfg: &CandleModelConfig, hub: &Hub) -> anyhow::Result<CandleBackend> {
        cfg.validate()?;
        let (dir, revision) = cfg.resolve_folder(hub)?;
        let folder = Folder::new(&dir);
        let (family, index) = folder::family(&folder)?;
        let (device, device_name) = device_for_run_time();
        let dtype = choose_dtype(cfg.dtype, family, &device);
        let started = Instant::now();
        let pipeline = match family {
            Family::StableDiffusion | Family::StableDiffusionXl => Pipeline::Sd(Box::new(
                SdPipeline::load(&folder, family, &index, &device, dtype.to_candle())?,
            )),
            Family::Flux => Pipeline::Flux(Box::new(FluxPipeline::load(
                &folder,
                &device,
                dtype.to_candle(),
            )?)),
        };
        let backend = CandleBackend {
            pipeline,
            settings: cfg.clone(),
            family,
            fingerprint: folder::fingerprint(&dir),
            folder: dir,
            revision,
            device: device_name,
            dtype,
        };
        tracing::info!(
            model.dir = %backend.folder.display(),
            model.pipeline = family.name(),
            device = device_name,
            dtype = dtype.name(),
            duration_ms = started.elapsed().as_millis() as u64,
            "candle model loaded"
        );
        Ok(backend)
    }

    /// The folder's defaults merged with the settings: what a job gets when it asks
    /// for nothing.
    pub fn default_size(&self) -> (u32, u32) {
        let d = self.defaults();
        (d.width, d.height)
    }

    fn defaults(&self) -> Defaults {
        match &self.pipeline {
            Pipeline::Sd(p) => p.defaults,
            Pipeline::Flux(p) => p.defaults,
        }
    }

    fn size_multiple(&self) -> u32 {
        match &self.pipeline {
            Pipeline::Sd(p) => p.size_multiple(),
            Pipeline::Flux(p) => p.size_multiple(),
        }
    }

    /// Decides every setting of a job: the request's steps and guidance, else the
    /// settings', else the folder's; the settings' size, else the request's.
    fn job<'a>(&'a self, request: &'a GenerationRequest) -> anyhow::Result<Job<'a>> {
        let d = self.defaults();
        let s = &self.settings;
        let (width, height) = match s.size()? {
            Some(size) => size,
            None if request.width > 0 && request.height > 0 => (request.width, request.height),
            None => (d.width, d.height),
        };
        let m = self.size_multiple();
        if width % m != 0 || height % m != 0 {
            bail!("size {width}x{height} is not a multiple of {m}, which this model needs");
        }
        let seed = match s.seed_policy {
            SeedPolicy::PerJob => request.seed,
            SeedPolicy::Fixed => s.seed.context("`seed_policy = \"fixed\"` needs a `seed`")?,
        };
        let steps = request.steps.or(s.steps).unwrap_or(d.steps);
        if steps == 0 {
            bail!("steps must be at least 1");
        }
        Ok(Job {
            prompt: &request.prompt,
            negative_prompt: s.negative_prompt.as_deref(),
            seed,
            steps,
            guidance: request.guidance.or(s.guidance).unwrap_or(d.guidance),
            width,
            height,
            scheduler: s.scheduler.unwrap_or(d.scheduler),
        })
    }
}

impl Backend for CandleBackend {
    fn generate(
        &self,
        request: &GenerationRequest,
        progress: Progress<'_>,
    ) -> anyhow::Result<GeneratedImage> {
        let job = self.job(request)?;
        let started = Instant::now();
        let image = match &self.pipeline {
            Pipeline::Sd(p) => p.generate(&job, progress)?,
            Pipeline::Flux(p) => p.generate(&job, progress)?,
        };
        let png = encode_png(&image)?;
        let latency_ms = started.elapsed().as_millis() as u64;
        let model = self
            .folder
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let params = json!({
            "backend": "candle",
            "model": model,
            "model_dir": self.folder.display().to_string(),
            "hub_repo": self.settings.hub_repo,
            "revision": self.revision,
            "fingerprint": self.fingerprint,
            "pipeline": self.family.name(),
            "seed": job.seed,
            "seed_policy": match self.settings.seed_policy { SeedPolicy::PerJob => "per-job", SeedPolicy::Fixed => "fixed" },
            "steps": job.steps,
            "guidance": job.guidance,
            "scheduler": match self.family { Family::Flux => "flow-match-euler", _ => job.scheduler.name() },
            "width": job.width,
            "height": job.height,
            "negative_prompt": job.negative_prompt,
            "dtype": self.dtype.name(),
            "device": self.device,
            "latency_ms": latency_ms,
        });
        Ok(GeneratedImage { png, params })
    }
}

/// f16 on GPUs (bf16 for FLUX, which overflows in f16), f32 on the CPU whatever was
/// asked: candle's CPU kernels are slow or missing in half precision.
fn choose_dtype(asked: Option<DTypeChoice>, family: Family, device: &Device) -> DTypeChoice {
    if device.is_cpu() {
        if let Some(asked) = asked.filter(|d| *d != DTypeChoice::F32) {
            tracing::info!(
                dtype.asked = asked.name(),
                "half precision is not used on the CPU; running in f32"
            );
        }
        return DTypeChoice::F32;
    }
    asked.unwrap_or(if family == Family::Flux {
        DTypeChoice::Bf16
    } else {
        DTypeChoice::F16
    })
}

/// (3, h, w) u8 → PNG bytes.
fn encode_png(image: &Tensor) -> anyhow::Result<Vec<u8>> {
    let (c, h, w) = image.dims3()?;
    if c != 3 || image.dtype() != DType::U8 {
        bail!(
            "decoder returned {c} channels of {:?}, not RGB bytes",
            image.dtype()
        );
    }
    let pixels = image.permute((1, 2, 0))?.flatten_all()?.to_vec1::<u8>()?;
    let rgb = image::RgbImage::from_raw(w as u32, h as u32, pixels)
        .context("decoded image has the wrong size")?;
    let mut png = Vec::new();
    rgb.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)?;
    Ok(png)
}
