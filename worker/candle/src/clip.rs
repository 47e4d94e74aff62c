//! The CLIP text encoder, configured from a folder's `text_encoder*/config.json`.
//!
//! candle's `stable_diffusion::clip::Config` keeps its fields private (only presets can
//! be built) and its generic `clip::ClipTextConfig` knows only quick-GELU, while SD 2.x
//! and SDXL's second encoder use GELU and SDXL needs the penultimate layer and the
//! projected pooled output. So this is a small encoder of our own, with transformers'
//! weight names (`text_model.encoder.layers.N.self_attn.q_proj`, …).

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Embedding, LayerNorm, Linear, VarBuilder};

use super::folder::ClipJson;

#[derive(Clone, Copy, Debug)]
enum Activation {
    QuickGelu,
    Gelu,
}

/// What the encoder returns for a batch of token ids.
pub(crate) struct ClipOutput {
    /// Last layer, after the final layer norm: (batch, tokens, hidden).
    pub last: Tensor,
    /// Output of the second-to-last layer (no final norm), what SDXL conditions on.
    pub penultimate: Tensor,
    /// Final-norm state at each prompt's end token, projected when the model has a
    /// projection: (batch, hidden or projection_dim).
    pub pooled: Tensor,
}

struct Layer {
    q: Linear,
    k: Linear,
    v: Linear,
    out: Linear,
    norm1: LayerNorm,
    norm2: LayerNorm,
    fc1: Linear,
    fc2: Linear,
}

pub(crate) struct ClipTextModel {
    token_embedding: Embedding,
    position_embedding: Embedding,
    layers: Vec<Layer>,
    final_norm: LayerNorm,
    projection: Option<Linear>,
    heads: usize,
    activation: Activation,
    max_positions: usize,
}

impl ClipTextModel {
    /// Builds the encoder; `vb` is rooted at the weights file (it holds `text_model.*`
    /// and, for `CLIPTextModelWithProjection`, `text_projection.weight`).
    pub fn new(vb: VarBuilder, cfg: &ClipJson) -> candle_core::Result<Self> {
        let activation = match cfg.hidden_act.as_str() {
            "quick_gelu" => Activation::QuickGelu,
            "gelu" => Activation::Gelu,
            other => candle_core::bail!("text encoder activation `{other}` is not supported"),
        };
        let (h, eps) = (cfg.hidden_size, cfg.layer_norm_eps);
        let tm = vb.pp("text_model");
        let emb = tm.pp("embeddings");
        let token_embedding = candle_nn::embedding(cfg.vocab_size, h, emb.pp("token_embedding"))?;
        let position_embedding =
            candle_nn::embedding(cfg.max_position_embeddings, h, emb.pp("position_embedding"))?;
        let layers = (0..cfg.num_hidden_layers)
            .map(|i| {
                let l = tm.pp("encoder.layers").pp(i.to_string());
                let a = l.pp("self_attn");
                Ok(Layer {
                    q: candle_nn::linear(h, h, a.pp("q_proj"))?,
                    k: candle_nn::linear(h, h, a.pp("k_proj"))?,
                    v: candle_nn::linear(h, h, a.pp("v_proj"))?,
                    out: candle_nn::linear(h, h, a.pp("out_proj"))?,
                    norm1: candle_nn::layer_norm(h, eps, l.pp("layer_norm1"))?,
                    norm2: candle_nn::layer_norm(h, eps, l.pp("layer_norm2"))?,
                    fc1: candle_nn::linear(h, cfg.intermediate_size, l.pp("mlp.fc1"))?,
                    fc2: candle_nn::linear(cfg.intermediate_size, h, l.pp("mlp.fc2"))?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        let final_norm = candle_nn::layer_norm(h, eps, tm.pp("final_layer_norm"))?;
        let with_projection = cfg
            .architectures
            .iter()
            .any(|a| a == "CLIPTextModelWithProjection");
        let projection = match (with_projection, cfg.projection_dim) {
            (true, Some(p)) => Some(candle_nn::linear_no_bias(h, p, vb.pp("text_projection"))?),
            _ => None,
        };
        Ok(Self {
            token_embedding,
            position_embedding,
            layers,
            final_norm,
            projection,
            heads: cfg.num_attention_heads,
            activation,
            max_positions: cfg.max_position_embeddings,
        })
    }

    pub fn max_positions(&self) -> usize {
        self.max_positions
    }

    /// Encodes `ids` (batch, tokens); `eos_at[b]` is where prompt b's end token is.
    pub fn forward(&self, ids: &Tensor, eos_at: &[usize]) -> candle_core::Result<ClipOutput> {
        let (batch, len) = ids.dims2()?;
        let device = ids.device();
        let positions = Tensor::arange(0u32, len as u32, device)?.unsqueeze(0)?;
        let mut xs = self
            .token_embedding
            .forward(ids)?
            .broadcast_add(&self.position_embedding.forward(&positions)?)?;
        let mask = causal_mask(len, device)?;
        let mut penultimate = xs.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            if i + 1 == self.layers.len() {
                penultimate = xs.clone();
            }
            xs = self.layer(layer, &xs, &mask)?;
        }
        if self.layers.len() < 2 {
            penultimate = xs.clone();
        }
        let last = self.final_norm.forward(&xs)?;
        let rows = eos_at
            .iter()
            .enumerate()
            .take(batch)
            .map(|(b, &at)| last.get(b)?.get(at.min(len - 1)))
            .collect::<candle_core::Result<Vec<_>>>()?;
        let pooled = Tensor::stack(&rows, 0)?;
        let pooled = match &self.projection {
            Some(p) => p.forward(&pooled)?,
            None => pooled,
        };
        Ok(ClipOutput {
            last,
            penultimate,
            pooled,
        })
    }

    fn layer(&self, l: &Layer, xs: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let residual = xs;
        let h = l.norm1.forward(xs)?;
        let h = (self.attention(l, &h, mask)? + residual)?;
        let residual = &h;
        let m = l.fc1.forward(&l.norm2.forward(&h)?)?;
        let m = match self.activation {
            Activation::QuickGelu => (&m * candle_nn::ops::sigmoid(&(&m * 1.702f64)?)?)?,
            Activation::Gelu => m.gelu_erf()?,
        };
        l.fc2.forward(&m)? + residual
    }

    fn attention(&self, l: &Layer, xs: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let (b, n, h) = xs.dims3()?;
        let head_dim = h / self.heads;
        let shape = |t: Tensor| {
            t.reshape((b, n, self.heads, head_dim))?
                .transpose(1, 2)?
                .contiguous()
        };
        let scale = (head_dim as f64).powf(-0.5);
        let q = shape((l.q.forward(xs)? * scale)?)?;
        let k = shape(l.k.forward(xs)?)?;
        let v = shape(l.v.forward(xs)?)?;
        // Softmax in f32: half-precision scores overflow with long prompts.
        let scores = q
            .matmul(&k.t()?)?
            .to_dtype(DType::F32)?
            .broadcast_add(mask)?;
        let probs = candle_nn::ops::softmax_last_dim(&scores)?.to_dtype(v.dtype())?;
        let out = probs.matmul(&v)?.transpose(1, 2)?.reshape((b, n, h))?;
        l.out.forward(&out)
    }
}

fn causal_mask(len: usize, device: &Device) -> candle_core::Result<Tensor> {
    let mask: Vec<f32> = (0..len)
        .flat_map(|i| (0..len).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Tensor::from_slice(&mask, (len, len), device)
}
