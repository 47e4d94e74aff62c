//! The Stable Diffusion pipeline (1.x, 2.x, XL and their turbo variants): CLIP text
//! encoder(s), UNet and VAE, loaded once from a diffusers-layout folder.

use anyhow::{Context, bail};
use candle_core::{DType, Device, IndexOp, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::stable_diffusion::vae::AutoEncoderKL;

use super::clip::ClipTextModel;
use super::folder::{
    ClipJson, Family, Files, Folder, ModelIndex, SchedulerJson, UNetJson, VaeJson, Weights,
};
use super::pipeline::{Defaults, Job};
use super::scheduler::{self, Noise, Schedule};
use super::tokenizer::{PromptTokenizer, TokenizerFiles};
use super::unet::{TextTime, UNet};
use arena_backends::backend::Progress;

pub(crate) struct SdPipeline {
    family: Family,
    device: Device,
    dtype: DType,
    vae_dtype: DType,
    tokenizers: Vec<PromptTokenizer>,
    encoders: Vec<ClipTextModel>,
    unet: UNet,
    vae: AutoEncoderKL,
    vae_scaling: f64,
    latent_channels: usize,
    vae_factor: usize,
    size_multiple: usize,
    scheduler: SchedulerJson,
    force_zeros_for_empty_prompt: bool,
    pub defaults: Defaults,
}

/// Memory-maps safetensors files into a `VarBuilder`.
pub(crate) fn weights(
    files: &[std::path::PathBuf],
    dtype: DType,
    device: &Device,
) -> anyhow::Result<VarBuilder<'static>> {
    // SAFETY: the files are mapped read-only and must not change while the model is
    // loaded; a model folder is an input nobody writes to while a worker serves it.
    // Mapping avoids holding a second copy of gigabytes of weights in memory.
    unsafe { VarBuilder::from_mmaped_safetensors(files, dtype, device) }
        .with_context(|| format!("cannot read weights {}", show(files)))
}

pub(crate) fn show(files: &[std::path::PathBuf]) -> String {
    files
        .iter()
        .map(|f| f.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

const UNET_CONFIG: &str = "unet/config.json";
const VAE_CONFIG: &str = "vae/config.json";
const SCHEDULER_CONFIG: &str = "scheduler/scheduler_config.json";
/// Full precision first, where a repository has both.
pub(crate) const DIFFUSERS_WEIGHTS: &[&str] =
    &["diffusion_pytorch_model", "diffusion_pytorch_model.fp16"];
pub(crate) const ENCODER_WEIGHTS: &[&str] = &["model", "model.fp16"];

/// The files a Stable Diffusion pipeline reads, relative to its folder (besides
/// `model_index.json`). [`SdPipeline::load`] reads these; the hub fetcher fetches them.
pub(crate) struct SdFiles {
    encoders: Vec<EncoderFiles>,
    unet: Weights,
    vae: Weights,
}

/// A text encoder (`text_encoder`, `text_encoder_2`) and its tokenizer.
struct EncoderFiles {
    dir: &'static str,
    config: String,
    weights: Weights,
    tokenizer: TokenizerFiles,
}

impl SdFiles {
    pub fn locate(files: &impl Files, family: Family) -> anyhow::Result<Self> {
        for config in [UNET_CONFIG, VAE_CONFIG, SCHEDULER_CONFIG] {
            files.require_listed(config)?;
        }
        let encoder_dirs: &[(&str, &str)] = match family {
            Family::StableDiffusionXl => &[
                ("text_encoder", "tokenizer"),
                ("text_encoder_2", "tokenizer_2"),
            ],
            _ => &[("text_encoder", "tokenizer")],
        };
        let encoders = encoder_dirs
            .iter()
            .map(|&(dir, tokenizer_dir)| {
                Ok(EncoderFiles {
                    dir,
                    config: files.require_listed(&format!("{dir}/config.json"))?,
                    weights: files.weights(dir, ENCODER_WEIGHTS)?,
                    tokenizer: TokenizerFiles::locate(files, tokenizer_dir)?,
                })
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self {
            encoders,
            unet: files.weights("unet", DIFFUSERS_WEIGHTS)?,
            vae: files.weights("vae", DIFFUSERS_WEIGHTS)?,
        })
    }

    /// Every file read.
    pub fn all(&self) -> Vec<String> {
        let mut all: Vec<String> = [UNET_CONFIG, VAE_CONFIG, SCHEDULER_CONFIG]
            .map(String::from)
            .into();
        for e in &self.encoders {
            all.push(e.config.clone());
            all.extend(e.weights.all());
            all.extend(e.tokenizer.all());
        }
        all.extend(self.unet.all());
        all.extend(self.vae.all());
        all
    }
}

impl SdPipeline {
    pub fn load(
        folder: &Folder,
        family: Family,
        index: &ModelIndex,
        device: &Device,
        dtype: DType,
    ) -> anyhow::Result<Self> {
        let parts = SdFiles::locate(folder, family)?;
        let unet_json: UNetJson = folder.json(UNET_CONFIG)?;
        let vae_json: VaeJson = folder.json(VAE_CONFIG)?;
        let scheduler: SchedulerJson = folder.json(SCHEDULER_CONFIG)?;
        let mut tokenizers = Vec::new();
        let mut encoders = Vec::new();
        for part in &parts.encoders {
            let enc_dir = part.dir;
            let cfg: ClipJson = folder.json(&part.config)?;
            let files = folder.paths(&part.weights)?;
            let encoder =
                ClipTextModel::new(weights(&files, dtype, device)?, &cfg).with_context(|| {
                    format!(
                        "{enc_dir}: weights {} do not match its config.json",
                        show(&files)
                    )
                })?;
            tokenizers.push(PromptTokenizer::load(
                folder,
                &part.tokenizer,
                encoder.max_positions(),
                "<|endoftext|>",
            )?);
            encoders.push(encoder);
        }

        let added = match unet_json.addition_embed_type.as_deref() {
            Some("text_time") => Some((
                unet_json
                    .addition_time_embed_dim
                    .context("unet/config.json: addition_time_embed_dim is missing")?,
                unet_json.projection_class_embeddings_input_dim.context(
                    "unet/config.json: projection_class_embeddings_input_dim is missing",
                )?,
            )),
            None => None,
            Some(other) => {
                bail!("unet/config.json: addition_embed_type `{other}` is not supported")
            }
        };
        if family == Family::StableDiffusionXl && added.is_none() {
            bail!("unet/config.json: an SDXL UNet needs addition_embed_type = \"text_time\"");
        }
        let unet_cfg = unet_json.to_candle()?;
        let files = folder.paths(&parts.unet)?;
        let unet = UNet::new(
            weights(&files, dtype, device)?,
            unet_json.in_channels,
            unet_json.out_channels,
            &unet_cfg,
            added,
        )
        .with_context(|| {
            format!(
                "unet: weights {} do not match unet/config.json",
                show(&files)
            )
        })?;

        // SDXL's VAE overflows in half precision (its config says `force_upcast`).
        let vae_dtype = if vae_json.force_upcast && dtype == DType::F16 {
            DType::F32
        } else {
            dtype
        };
        let files = folder.paths(&parts.vae)?;
        let vae = AutoEncoderKL::new(
            weights(&files, vae_dtype, device)?,
            3,
            3,
            vae_json.to_candle(),
        )
        .with_context(|| format!("vae: weights {} do not match vae/config.json", show(&files)))?;

        let vae_factor = vae_json.scale_factor();
        let turbo = scheduler.timestep_spacing == "trailing";
        let side = unet_json
            .sample_size
            .map(|s| (s * vae_factor) as u32)
            .unwrap_or(512);
        let defaults = Defaults {
            width: side,
            height: side,
            steps: if turbo { 1 } else { 30 },
            guidance: match (turbo, family) {
                (true, _) => 0.0,
                (false, Family::StableDiffusionXl) => 5.0,
                (false, _) => 7.5,
            },
            scheduler: scheduler::default_kind(&scheduler),
        };
        Ok(Self {
            family,
            device: device.clone(),
            dtype,
            vae_dtype,
            tokenizers,
            encoders,
            unet,
            vae,
            vae_scaling: vae_json.scaling_factor,
            latent_channels: vae_json.latent_channels,
            vae_factor,
            size_multiple: vae_factor << (unet_cfg.blocks.len() - 1),
            scheduler,
            force_zeros_for_empty_prompt: index
                .force_zeros_for_empty_prompt
                .unwrap_or(family == Family::StableDiffusionXl),
            defaults,
        })
    }

    /// Width and height must fit the UNet's down- and up-sampling exactly.
    pub fn size_multiple(&self) -> u32 {
        self.size_multiple as u32
    }

    /// Runs one job; returns the image as (3, height, width) u8.
    pub fn generate(&self, job: &Job<'_>, progress: Progress<'_>) -> anyhow::Result<Tensor> {
        let guided = job.guidance > 1.0;
        let (context, text_time) = self.encode(job, guided)?;
        let (w, h) = (job.width as usize, job.height as usize);
        let time_ids = match self.family {
            Family::StableDiffusionXl => {
                let ids = [h, w, 0, 0, h, w].map(|v| v as f32);
                let batch = if guided { 2 } else { 1 };
                Some(
                    Tensor::from_slice(&ids, (1, 6), &self.device)?
                        .repeat((batch, 1))?
                        .to_dtype(self.dtype)?,
                )
            }
            _ => None,
        };
        let text_time = match (&text_time, &time_ids) {
            (Some(text_embeds), Some(time_ids)) => Some(TextTime {
                text_embeds,
                time_ids,
            }),
            _ => None,
        };

        let mut noise = Noise::new(job.seed);
        let mut schedule = Schedule::new(&self.scheduler, job.scheduler, job.steps as usize)?;
        let shape = [
            1,
            self.latent_channels,
            h / self.vae_factor,
            w / self.vae_factor,
        ];
        let mut latents = scheduler::initial_latents(
            &mut noise,
            &shape,
            schedule.init_noise_sigma(),
            &self.device,
            DType::F32,
        )?;
        let timesteps = schedule.timesteps().to_vec();
        let n = timesteps.len() as u32;
        for (k, &t) in timesteps.iter().enumerate() {
            let input = if guided {
                Tensor::cat(&[&latents, &latents], 0)?
            } else {
                latents.clone()
            };
            let input = schedule.scale_model_input(&input)?.to_dtype(self.dtype)?;
            let out = self
                .unet
                .forward(&input, t as f64, &context, text_time.as_ref())?
                .to_dtype(DType::F32)?;
            let out = if guided {
                let (uncond, cond) = (out.i(0..1)?, out.i(1..2)?);
                (&uncond + ((cond - &uncond)? * job.guidance)?)?
            } else {
                out
            };
            latents = schedule.step(&out, &latents, &mut noise)?;
            progress(k as u32 + 1, n);
        }
        let image = self
            .vae
            .decode(&(latents / self.vae_scaling)?.to_dtype(self.vae_dtype)?)?
            .to_dtype(DType::F32)?;
        let image = (((image / 2.0)? + 0.5)?.clamp(0f32, 1f32)? * 255.0)?
            .round()?
            .to_dtype(DType::U8)?;
        Ok(image.i(0)?)
    }

    /// Text conditioning: (context, pooled embeddings for SDXL), unconditional first
    /// when guided.
    fn encode(&self, job: &Job<'_>, guided: bool) -> anyhow::Result<(Tensor, Option<Tensor>)> {
        let negative = job.negative_prompt.unwrap_or("");
        let zero_uncond = guided && negative.is_empty() && self.force_zeros_for_empty_prompt;
        let prompts: Vec<&str> = if guided {
            vec![negative, job.prompt]
        } else {
            vec![job.prompt]
        };
        let mut contexts = Vec::new();
        let mut pooled = None;
        for (tokenizer, encoder) in self.tokenizers.iter().zip(&self.encoders) {
            let mut ids = Vec::new();
            let mut eos = Vec::new();
            for prompt in &prompts {
                let (i, e) = tokenizer.encode(prompt)?;
                ids.extend(i);
                eos.push(e);
            }
            let ids =
                Tensor::from_vec(ids, (prompts.len(), encoder.max_positions()), &self.device)?;
            let out = encoder.forward(&ids, &eos)?;
            contexts.push(match self.family {
                Family::StableDiffusionXl => out.penultimate,
                _ => out.last,
            });
            pooled = Some(out.pooled);
        }
        let mut context = Tensor::cat(&contexts, 2)?.to_dtype(self.dtype)?;
        let mut pooled = match self.family {
            Family::StableDiffusionXl => pooled.map(|p| p.to_dtype(self.dtype)).transpose()?,
            _ => None,
        };
        if zero_uncond {
            let zero_first = |t: &Tensor| -> candle_core::Result<Tensor> {
                Tensor::cat(&[&t.i(0..1)?.zeros_like()?, &t.i(1..2)?], 0)
            };
            context = zero_first(&context)?;
            pooled = pooled.map(|p| zero_first(&p)).transpose()?;
        }
        Ok((context, pooled))
    }
}
