//! FLUX.1 (schnell, and dev) with candle's `flux` model.
//!
//! The folder is the hub repository's: `model_index.json` (`FluxPipeline`),
//! `transformer/config.json` and `vae/config.json` for the shapes, `text_encoder/`
//! (CLIP-L) and `text_encoder_2/` (T5-XXL) with their tokenizers, and the original
//! Black Forest Labs checkpoints at the root (`flux1-schnell.safetensors`,
//! `ae.safetensors`), which candle's model reads; the diffusers `transformer/` weights
//! use other tensor names and are not read.

use std::sync::Mutex;

use anyhow::{Context, bail};
use candle_core::{DType, Device, IndexOp, Tensor};
use candle_transformers::models::flux::{self, WithForward};
use candle_transformers::models::t5;
use serde::Deserialize;

use super::clip::ClipTextModel;
use super::folder::{ClipJson, Files, Folder, VaeJson, Weights};
use super::pipeline::{Defaults, Job};
use super::scheduler::Noise;
use super::scheduler::SchedulerKind;
use super::sd::{ENCODER_WEIGHTS, show, weights};
use super::tokenizer::{PromptTokenizer, TokenizerFiles};
use arena_backends::backend::Progress;

/// `transformer/config.json` of a diffusers `FluxTransformer2DModel`.
#[derive(Deserialize, Debug)]
pub(crate) struct FluxJson {
    #[serde(default = "default_in")]
    pub in_channels: usize,
    pub num_layers: usize,
    pub num_single_layers: usize,
    pub attention_head_dim: usize,
    pub num_attention_heads: usize,
    pub joint_attention_dim: usize,
    pub pooled_projection_dim: usize,
    #[serde(default)]
    pub guidance_embeds: bool,
    #[serde(default = "default_axes")]
    pub axes_dims_rope: Vec<usize>,
}

fn default_in() -> usize {
    64
}
fn default_axes() -> Vec<usize> {
    vec![16, 56, 56]
}

impl FluxJson {
    pub fn to_candle(&self) -> flux::model::Config {
        flux::model::Config {
            in_channels: self.in_channels,
            vec_in_dim: self.pooled_projection_dim,
            context_in_dim: self.joint_attention_dim,
            hidden_size: self.attention_head_dim * self.num_attention_heads,
            mlp_ratio: 4.0,
            num_heads: self.num_attention_heads,
            depth: self.num_layers,
            depth_single_blocks: self.num_single_layers,
            axes_dim: self.axes_dims_rope.clone(),
            theta: 10_000,
            qkv_bias: true,
            guidance_embed: self.guidance_embeds,
        }
    }
}

/// The autoencoder shape from diffusers' `vae/config.json`.
pub(crate) fn autoencoder_config(vae: &VaeJson) -> anyhow::Result<flux::autoencoder::Config> {
    let ch = *vae
        .block_out_channels
        .first()
        .context("vae/config.json: block_out_channels is empty")?;
    Ok(flux::autoencoder::Config {
        resolution: 256,
        in_channels: 3,
        ch,
        out_ch: 3,
        ch_mult: vae.block_out_channels.iter().map(|c| c / ch).collect(),
        num_res_blocks: vae.layers_per_block,
        z_channels: vae.latent_channels,
        scale_factor: vae.scaling_factor,
        shift_factor: vae.shift_factor.unwrap_or(0.0),
    })
}

/// Longest T5 prompt: 256 tokens for schnell, 512 for dev.
const T5_TOKENS_SCHNELL: usize = 256;
const T5_TOKENS_DEV: usize = 512;

pub(crate) struct FluxPipeline {
    device: Device,
    dtype: DType,
    clip_tokenizer: PromptTokenizer,
    clip: ClipTextModel,
    t5_tokenizer: PromptTokenizer,
    // candle's T5 encoder takes `&mut self` for its position-bias cache.
    t5: Mutex<t5::T5EncoderModel>,
    model: flux::model::Flux,
    autoencoder: flux::autoencoder::AutoEncoder,
    /// FLUX.1-dev: guidance is an input and the schedule is shifted by resolution.
    dev: bool,
    pub defaults: Defaults,
}

const TRANSFORMER_CONFIG: &str = "transformer/config.json";
const VAE_CONFIG: &str = "vae/config.json";
const CLIP_CONFIG: &str = "text_encoder/config.json";
const T5_CONFIG: &str = "text_encoder_2/config.json";
const AUTOENCODER: &str = "ae.safetensors";
const CLIP_TOKENIZER: &str = "tokenizer";
const T5_TOKENIZER: &str = "tokenizer_2";

/// The files the FLUX pipeline reads, relative to its folder (besides
/// `model_index.json`). [`FluxPipeline::load`] reads these; the hub fetcher fetches
/// them, and not the diffusers `transformer/` weights.
pub(crate) struct FluxFiles {
    checkpoint: String,
    clip: Weights,
    t5: Weights,
    tokenizers: [TokenizerFiles; 2],
}

impl FluxFiles {
    pub fn locate(files: &impl Files) -> anyhow::Result<Self> {
        for rel in [
            TRANSFORMER_CONFIG,
            VAE_CONFIG,
            CLIP_CONFIG,
            T5_CONFIG,
            AUTOENCODER,
        ] {
            files.require_listed(rel)?;
        }
        Ok(Self {
            checkpoint: root_checkpoint(files)?,
            clip: files.weights("text_encoder", ENCODER_WEIGHTS)?,
            t5: files.weights("text_encoder_2", ENCODER_WEIGHTS)?,
            tokenizers: [
                TokenizerFiles::locate(files, CLIP_TOKENIZER)?,
                TokenizerFiles::locate(files, T5_TOKENIZER)?,
            ],
        })
    }

    /// Every file read.
    pub fn all(&self) -> Vec<String> {
        let mut all: Vec<String> = [
            TRANSFORMER_CONFIG,
            VAE_CONFIG,
            CLIP_CONFIG,
            T5_CONFIG,
            AUTOENCODER,
        ]
        .map(String::from)
        .into();
        all.push(self.checkpoint.clone());
        all.extend(self.clip.all());
        all.extend(self.t5.all());
        for tokenizer in &self.tokenizers {
            all.extend(tokenizer.all());
        }
        all
    }
}

impl FluxPipeline {
    pub fn load(folder: &Folder, device: &Device, dtype: DType) -> anyhow::Result<Self> {
        let parts = FluxFiles::locate(folder)?;
        let transformer: FluxJson = folder.json(TRANSFORMER_CONFIG)?;
        let vae: VaeJson = folder.json(VAE_CONFIG)?;
        let clip_cfg: ClipJson = folder.json(CLIP_CONFIG)?;
        let t5_cfg: t5::Config = folder.json(T5_CONFIG)?;
        let model_file = folder.require(&parts.checkpoint)?;
        let ae_file = folder.require(AUTOENCODER)?;

        let files = folder.paths(&parts.clip)?;
        let clip =
            ClipTextModel::new(weights(&files, dtype, device)?, &clip_cfg).with_context(|| {
                format!(
                    "text_encoder: weights {} do not match its config.json",
                    show(&files)
                )
            })?;
        let [clip_tokenizer_files, t5_tokenizer_files] = &parts.tokenizers;
        let clip_tokenizer = PromptTokenizer::load(
            folder,
            clip_tokenizer_files,
            clip.max_positions(),
            "<|endoftext|>",
        )?;
        let files = folder.paths(&parts.t5)?;
        let t5 = t5::T5EncoderModel::load(weights(&files, dtype, device)?, &t5_cfg).with_context(
            || {
                format!(
                    "text_encoder_2: weights {} do not match its config.json",
                    show(&files)
                )
            },
        )?;
        let dev = transformer.guidance_embeds;
        let t5_tokens = if dev {
            T5_TOKENS_DEV
        } else {
            T5_TOKENS_SCHNELL
        };
        let t5_tokenizer = PromptTokenizer::load(folder, t5_tokenizer_files, t5_tokens, "</s>")?;

        let files = vec![model_file];
        let model =
            flux::model::Flux::new(&transformer.to_candle(), weights(&files, dtype, device)?)
                .with_context(|| {
                    format!(
                        "weights {} do not match transformer/config.json",
                        show(&files)
                    )
                })?;
        let files = vec![ae_file];
        let autoencoder = flux::autoencoder::AutoEncoder::new(
            &autoencoder_config(&vae)?,
            weights(&files, dtype, device)?,
        )
        .with_context(|| format!("weights {} do not match vae/config.json", show(&files)))?;
        Ok(Self {
            device: device.clone(),
            dtype,
            clip_tokenizer,
            clip,
            t5_tokenizer,
            t5: Mutex::new(t5),
            model,
            autoencoder,
            dev,
            defaults: Defaults {
                width: 1024,
                height: 1024,
                steps: if dev { 28 } else { 4 },
                guidance: if dev { 3.5 } else { 0.0 },
                scheduler: SchedulerKind::Euler,
            },
        })
    }

    /// The autoencoder downsamples by 8 and the transformer packs 2×2 latent patches.
    pub fn size_multiple(&self) -> u32 {
        16
    }

    pub fn generate(&self, job: &Job<'_>, progress: Progress<'_>) -> anyhow::Result<Tensor> {
        let (ids, _) = self.t5_tokenizer.encode(job.prompt)?;
        let len = ids.len();
        let ids = Tensor::from_vec(ids, (1, len), &self.device)?;
        let t5_emb = {
            let mut t5 = self
                .t5
                .lock()
                .map_err(|_| anyhow::anyhow!("the T5 encoder failed in another job"))?;
            t5.forward(&ids)?.to_dtype(self.dtype)?
        };
        let (ids, eos) = self.clip_tokenizer.encode(job.prompt)?;
        let len = ids.len();
        let ids = Tensor::from_vec(ids, (1, len), &self.device)?;
        let clip_emb = self
            .clip
            .forward(&ids, &[eos])?
            .pooled
            .to_dtype(self.dtype)?;

        let (w, h) = (job.width as usize, job.height as usize);
        let mut noise = Noise::new(job.seed);
        let img = noise
            .tensor(&[1, 16, h / 8, w / 8], &self.device)?
            .to_dtype(self.dtype)?;
        let state = flux::sampling::State::new(&t5_emb, &clip_emb, &img)?;
        let shift = self.dev.then(|| (state.img.dim(1).unwrap_or(0), 0.5, 1.15));
        let timesteps = flux::sampling::get_schedule(job.steps as usize, shift);
        let guidance = Tensor::full(job.guidance as f32, 1, &self.device)?.to_dtype(self.dtype)?;
        let mut latents = state.img.clone();
        let n = job.steps;
        for (k, pair) in timesteps.windows(2).enumerate() {
            let (t, t_next) = (pair[0], pair[1]);
            let t_vec = Tensor::full(t as f32, 1, &self.device)?.to_dtype(self.dtype)?;
            let pred = self.model.forward(
                &latents,
                &state.img_ids,
                &state.txt,
                &state.txt_ids,
                &t_vec,
                &state.vec,
                self.dev.then_some(&guidance),
            )?;
            latents = (latents + (pred * (t_next - t))?)?;
            progress(k as u32 + 1, n);
        }
        if timesteps.len() < 2 {
            bail!("FLUX needs at least one step");
        }
        let latents = flux::sampling::unpack(&latents, h, w)?;
        let image = self.autoencoder.decode(&latents)?.to_dtype(DType::F32)?;
        let image = ((image.clamp(-1f32, 1f32)? + 1.0)? * 127.5)?
            .round()?
            .to_dtype(DType::U8)?;
        Ok(image.i(0)?)
    }
}

/// The original checkpoint at the folder's root: `flux1-schnell.safetensors`,
/// `flux1-dev.safetensors`, or another `flux1*.safetensors` (the first by name).
fn root_checkpoint(files: &impl Files) -> anyhow::Result<String> {
    for name in ["flux1-schnell.safetensors", "flux1-dev.safetensors"] {
        if files.has(name) {
            return Ok(name.to_string());
        }
    }
    let found = files
        .top_level()
        .into_iter()
        .find(|n| n.starts_with("flux1") && n.ends_with(".safetensors"));
    found.with_context(|| {
        format!(
            "{} is missing flux1-schnell.safetensors (FLUX's original checkpoint at the folder's root; \
             the diffusers transformer/ weights are not read)",
            files.describe()
        )
    })
}
