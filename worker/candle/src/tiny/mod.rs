//! Randomly initialised model folders in the diffusers layout, for tests and
//! benchmarks: the configs are written first, then read back with the same code that
//! reads a real folder, the models are built from them and their (seeded, random)
//! weights saved as safetensors. Nothing here is used to serve real models.

mod configs;
pub(crate) mod vocab;

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use candle_core::{DType, Device, Tensor};
use candle_nn::{VarBuilder, VarMap};
use candle_transformers::models::flux as candle_flux;
use candle_transformers::models::stable_diffusion::vae::AutoEncoderKL;
use candle_transformers::models::t5;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;

use super::clip::ClipTextModel;
use super::flux::{FluxJson, autoencoder_config};
use super::folder::{ClipJson, Files, Folder, UNetJson, VaeJson};
use super::unet::UNet;

/// Which model to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Preset {
    /// SD-1.5-shaped, a few MB: UNet blocks (32, 64), one CLIP of width 32, a
    /// word-level tokenizer.json; 64×64 images.
    Tiny,
    /// SDXL-shaped, a few MB: two text encoders (the second with projection),
    /// added time conditioning.
    TinyXl,
    /// FLUX.1-schnell-shaped, a few MB: CLIP + T5 text encoders, original-layout
    /// transformer and autoencoder checkpoints.
    TinyFlux,
    /// Stable Diffusion 1.5's real shapes (UNet 320/640/1280/1280, CLIP-L, VAE
    /// 128/256/512/512, a 49408-token BPE vocabulary), about 1.07 B random weights.
    Sd15,
}

/// Writes a random model folder of `preset` into `dir` with weights in `dtype`.
/// The same preset and seed give the same files.
pub fn write_model(dir: &Path, preset: Preset, dtype: DType, seed: u64) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let files = match preset {
        Preset::Tiny => configs::tiny(),
        Preset::TinyXl => configs::tiny_xl(),
        Preset::TinyFlux => configs::tiny_flux(),
        Preset::Sd15 => configs::sd15(),
    };
    for (rel, value) in &files {
        write_json(dir, rel, value)?;
    }
    match preset {
        Preset::Sd15 => vocab::write_clip_bpe(&dir.join("tokenizer"))?,
        Preset::TinyFlux => {
            vocab::write_word_level(&dir.join("tokenizer"), vocab::Style::Clip)?;
            vocab::write_word_level(&dir.join("tokenizer_2"), vocab::Style::T5)?;
        }
        Preset::TinyXl => {
            vocab::write_word_level(&dir.join("tokenizer"), vocab::Style::Clip)?;
            vocab::write_word_level(&dir.join("tokenizer_2"), vocab::Style::ClipPadBang)?;
        }
        Preset::Tiny => vocab::write_word_level(&dir.join("tokenizer"), vocab::Style::Clip)?,
    }

    let folder = Folder::new(dir);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let encoders: &[&str] = match preset {
        Preset::TinyXl => &["text_encoder", "text_encoder_2"],
        _ => &["text_encoder"],
    };
    for enc in encoders {
        let cfg: ClipJson = folder.json(&format!("{enc}/config.json"))?;
        save(
            &dir.join(enc).join("model.safetensors"),
            dtype,
            &mut rng,
            |vb| ClipTextModel::new(vb, &cfg).map(|_| ()),
        )?;
    }
    if preset == Preset::TinyFlux {
        let t5_cfg: t5::Config = folder.json("text_encoder_2/config.json")?;
        save(
            &dir.join("text_encoder_2/model.safetensors"),
            dtype,
            &mut rng,
            |vb| t5::T5EncoderModel::load(vb, &t5_cfg).map(|_| ()),
        )?;
        let transformer: FluxJson = folder.json("transformer/config.json")?;
        save(
            &dir.join("flux1-schnell.safetensors"),
            dtype,
            &mut rng,
            |vb| candle_flux::model::Flux::new(&transformer.to_candle(), vb).map(|_| ()),
        )?;
        let vae: VaeJson = folder.json("vae/config.json")?;
        let ae = autoencoder_config(&vae)?;
        save(&dir.join("ae.safetensors"), dtype, &mut rng, |vb| {
            candle_flux::autoencoder::AutoEncoder::new(&ae, vb).map(|_| ())
        })?;
        return Ok(());
    }
    let unet: UNetJson = folder.json("unet/config.json")?;
    let unet_cfg = unet.to_candle()?;
    let added = unet
        .addition_time_embed_dim
        .zip(unet.projection_class_embeddings_input_dim);
    save(
        &dir.join("unet/diffusion_pytorch_model.safetensors"),
        dtype,
        &mut rng,
        |vb| UNet::new(vb, unet.in_channels, unet.out_channels, &unet_cfg, added).map(|_| ()),
    )?;
    let vae: VaeJson = folder.json("vae/config.json")?;
    save(
        &dir.join("vae/diffusion_pytorch_model.safetensors"),
        dtype,
        &mut rng,
        |vb| AutoEncoderKL::new(vb, 3, 3, vae.to_candle()).map(|_| ()),
    )?;
    Ok(())
}

fn write_json(dir: &Path, rel: &str, value: &Value) -> anyhow::Result<()> {
    let path = dir.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(&path, serde_json::to_string_pretty(value)? + "\n")
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Builds a model on a `VarMap` (which creates every tensor the model asks for, by
/// name), gives each tensor seeded random values and saves them.
fn save(
    path: &Path,
    dtype: DType,
    rng: &mut ChaCha8Rng,
    build: impl FnOnce(VarBuilder<'static>) -> candle_core::Result<()>,
) -> anyhow::Result<()> {
    let varmap = VarMap::new();
    build(VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu))?;
    let vars: Vec<(String, Tensor)> = {
        let data = varmap
            .data()
            .lock()
            .map_err(|_| anyhow::anyhow!("variable map poisoned"))?;
        let mut vars: Vec<_> = data
            .iter()
            .map(|(k, v)| (k.clone(), v.as_tensor().clone()))
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    };
    let mut out = HashMap::new();
    for (name, tensor) in vars {
        let values = randomise(&tensor, rng)?;
        // candle creates the old attention names on an empty map; write today's
        // diffusers names (candle reads both).
        let name = name
            .replace(".query.", ".to_q.")
            .replace(".key.", ".to_k.")
            .replace(".value.", ".to_v.")
            .replace(".proj_attn.", ".to_out.0.");
        out.insert(name, values.to_dtype(dtype)?);
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    candle_core::safetensors::save(&out, path)
        .with_context(|| format!("cannot write {}", path.display()))
}

/// Seeded values of the scale the model's own initialisation chose (candle's
/// initialisers draw from an unseeded generator). Constant 1-D tensors (norm scales,
/// zero biases) stay as they are; constant matrices get a fan-in uniform.
fn randomise(tensor: &Tensor, rng: &mut ChaCha8Rng) -> anyhow::Result<Tensor> {
    let dims = tensor.dims().to_vec();
    let values = tensor.flatten_all()?.to_vec1::<f32>()?;
    let n = values.len().max(1) as f64;
    let mean = values.iter().map(|v| f64::from(*v)).sum::<f64>() / n;
    let std = (values
        .iter()
        .map(|v| (f64::from(*v) - mean).powi(2))
        .sum::<f64>()
        / n)
        .sqrt();
    let bound = if std > 0.0 {
        std * 3f64.sqrt()
    } else if dims.len() >= 2 {
        let fan_in = values.len() / dims[0].max(1);
        1.0 / (fan_in.max(1) as f64).sqrt()
    } else {
        return Ok(tensor.clone());
    };
    let center = if std > 0.0 { mean } else { 0.0 };
    let fresh: Vec<f32> = (0..values.len())
        .map(|_| (center + rng.random_range(-bound..bound)) as f32)
        .collect();
    Ok(Tensor::from_vec(fresh, dims, &Device::Cpu)?)
}
