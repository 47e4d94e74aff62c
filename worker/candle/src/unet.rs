//! The denoising UNet: candle's `UNet2DConditionModel` put together from candle's
//! public blocks, plus SDXL's added conditioning (`addition_embed_type = "text_time"`:
//! pooled text embedding and size/crop ids added to the time embedding), which
//! candle's own UNet leaves out. The block wiring follows candle's `unet_2d.rs`
//! (MIT/Apache-2.0), itself diffusers' `UNet2DConditionModel`.

use candle_core::{Module, Tensor};
use candle_nn::{self as nn, VarBuilder};
use candle_transformers::models::stable_diffusion::embeddings::{TimestepEmbedding, Timesteps};
use candle_transformers::models::stable_diffusion::unet_2d::UNet2DConditionModelConfig;
use candle_transformers::models::stable_diffusion::unet_2d_blocks::{
    CrossAttnDownBlock2D, CrossAttnDownBlock2DConfig, CrossAttnUpBlock2D, CrossAttnUpBlock2DConfig,
    DownBlock2D, DownBlock2DConfig, UNetMidBlock2DCrossAttn, UNetMidBlock2DCrossAttnConfig,
    UpBlock2D, UpBlock2DConfig,
};

enum Down {
    Basic(DownBlock2D),
    CrossAttn(CrossAttnDownBlock2D),
}

enum Up {
    Basic(UpBlock2D),
    CrossAttn(CrossAttnUpBlock2D),
}

/// SDXL's extra conditioning: `Timesteps` over the six size/crop ids, concatenated with
/// the pooled text embedding, through `add_embedding`.
struct AddedCond {
    time_proj: Timesteps,
    embedding: TimestepEmbedding,
}

pub(crate) struct UNet {
    conv_in: nn::Conv2d,
    time_proj: Timesteps,
    time_embedding: TimestepEmbedding,
    added: Option<AddedCond>,
    down: Vec<Down>,
    mid: UNetMidBlock2DCrossAttn,
    up: Vec<Up>,
    norm_out: nn::GroupNorm,
    conv_out: nn::Conv2d,
    center_input_sample: bool,
}

/// Added conditioning for one batch: pooled text embeddings (batch, d) and size/crop
/// ids (batch, 6).
pub(crate) struct TextTime<'a> {
    pub text_embeds: &'a Tensor,
    pub time_ids: &'a Tensor,
}

impl UNet {
    /// `added` is `Some((addition_time_embed_dim, projection_class_embeddings_input_dim))`
    /// for SDXL.
    pub fn new(
        vs: VarBuilder,
        in_channels: usize,
        out_channels: usize,
        config: &UNet2DConditionModelConfig,
        added: Option<(usize, usize)>,
    ) -> candle_core::Result<Self> {
        let n = config.blocks.len();
        let b_channels = config.blocks[0].out_channels;
        let last = config.blocks[n - 1];
        let time_dim = b_channels * 4;
        let conv3 = nn::Conv2dConfig {
            padding: 1,
            ..Default::default()
        };
        let conv_in = nn::conv2d(in_channels, b_channels, 3, conv3, vs.pp("conv_in"))?;
        let time_proj = Timesteps::new(b_channels, config.flip_sin_to_cos, config.freq_shift);
        let time_embedding = TimestepEmbedding::new(vs.pp("time_embedding"), b_channels, time_dim)?;
        let added = match added {
            Some((time_embed_dim, input_dim)) => Some(AddedCond {
                time_proj: Timesteps::new(
                    time_embed_dim,
                    config.flip_sin_to_cos,
                    config.freq_shift,
                ),
                embedding: TimestepEmbedding::new(vs.pp("add_embedding"), input_dim, time_dim)?,
            }),
            None => None,
        };

        let down = (0..n)
            .map(|i| {
                let block = config.blocks[i];
                let in_ch = if i > 0 {
                    config.blocks[i - 1].out_channels
                } else {
                    b_channels
                };
                let cfg = DownBlock2DConfig {
                    num_layers: config.layers_per_block,
                    resnet_eps: config.norm_eps,
                    resnet_groups: config.norm_num_groups,
                    add_downsample: i < n - 1,
                    downsample_padding: config.downsample_padding,
                    ..Default::default()
                };
                let vs = vs.pp("down_blocks").pp(i.to_string());
                Ok(match block.use_cross_attn {
                    Some(layers) => {
                        let cfg = CrossAttnDownBlock2DConfig {
                            downblock: cfg,
                            attn_num_head_channels: block.attention_head_dim,
                            cross_attention_dim: config.cross_attention_dim,
                            sliced_attention_size: config.sliced_attention_size,
                            use_linear_projection: config.use_linear_projection,
                            transformer_layers_per_block: layers,
                        };
                        Down::CrossAttn(CrossAttnDownBlock2D::new(
                            vs,
                            in_ch,
                            block.out_channels,
                            Some(time_dim),
                            false,
                            cfg,
                        )?)
                    }
                    None => Down::Basic(DownBlock2D::new(
                        vs,
                        in_ch,
                        block.out_channels,
                        Some(time_dim),
                        cfg,
                    )?),
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;

        let mid_cfg = UNetMidBlock2DCrossAttnConfig {
            resnet_eps: config.norm_eps,
            output_scale_factor: config.mid_block_scale_factor,
            cross_attn_dim: config.cross_attention_dim,
            attn_num_head_channels: last.attention_head_dim,
            resnet_groups: Some(config.norm_num_groups),
            use_linear_projection: config.use_linear_projection,
            transformer_layers_per_block: last.use_cross_attn.unwrap_or(1),
            ..Default::default()
        };
        let mid = UNetMidBlock2DCrossAttn::new(
            vs.pp("mid_block"),
            last.out_channels,
            Some(time_dim),
            false,
            mid_cfg,
        )?;

        let up = (0..n)
            .map(|i| {
                let block = config.blocks[n - 1 - i];
                let prev_out = if i > 0 {
                    config.blocks[n - i].out_channels
                } else {
                    last.out_channels
                };
                let in_ch = config.blocks[if i == n - 1 { 0 } else { n - i - 2 }].out_channels;
                let cfg = UpBlock2DConfig {
                    num_layers: config.layers_per_block + 1,
                    resnet_eps: config.norm_eps,
                    resnet_groups: config.norm_num_groups,
                    add_upsample: i < n - 1,
                    ..Default::default()
                };
                let vs = vs.pp("up_blocks").pp(i.to_string());
                Ok(match block.use_cross_attn {
                    Some(layers) => {
                        let cfg = CrossAttnUpBlock2DConfig {
                            upblock: cfg,
                            attn_num_head_channels: block.attention_head_dim,
                            cross_attention_dim: config.cross_attention_dim,
                            sliced_attention_size: config.sliced_attention_size,
                            use_linear_projection: config.use_linear_projection,
                            transformer_layers_per_block: layers,
                        };
                        Up::CrossAttn(CrossAttnUpBlock2D::new(
                            vs,
                            in_ch,
                            prev_out,
                            block.out_channels,
                            Some(time_dim),
                            false,
                            cfg,
                        )?)
                    }
                    None => Up::Basic(UpBlock2D::new(
                        vs,
                        in_ch,
                        prev_out,
                        block.out_channels,
                        Some(time_dim),
                        cfg,
                    )?),
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;

        let norm_out = nn::group_norm(
            config.norm_num_groups,
            b_channels,
            config.norm_eps,
            vs.pp("conv_norm_out"),
        )?;
        let conv_out = nn::conv2d(b_channels, out_channels, 3, conv3, vs.pp("conv_out"))?;
        Ok(Self {
            conv_in,
            time_proj,
            time_embedding,
            added,
            down,
            mid,
            up,
            norm_out,
            conv_out,
            center_input_sample: config.center_input_sample,
        })
    }

    /// Predicts the noise (or velocity) for latents `xs` (batch, 4, h, w) at `timestep`.
    pub fn forward(
        &self,
        xs: &Tensor,
        timestep: f64,
        context: &Tensor,
        text_time: Option<&TextTime<'_>>,
    ) -> candle_core::Result<Tensor> {
        let (batch, _, height, width) = xs.dims4()?;
        let up_factor = 1usize << (self.down.len() - 1);
        let forward_upsample_size = height % up_factor != 0 || width % up_factor != 0;
        let xs = if self.center_input_sample {
            ((xs * 2.0)? - 1.0)?
        } else {
            xs.clone()
        };

        let t = (Tensor::ones(batch, xs.dtype(), xs.device())? * timestep)?;
        let mut emb = self.time_embedding.forward(&self.time_proj.forward(&t)?)?;
        match (&self.added, text_time) {
            (Some(added), Some(tt)) => {
                let ids = added
                    .time_proj
                    .forward(&tt.time_ids.flatten_all()?)?
                    .reshape((batch, ()))?;
                let input =
                    Tensor::cat(&[tt.text_embeds, &ids.to_dtype(tt.text_embeds.dtype())?], 1)?;
                emb = (emb + added.embedding.forward(&input)?)?;
            }
            (Some(_), None) => {
                candle_core::bail!("this UNet needs pooled text embeddings and time ids (SDXL)")
            }
            (None, _) => {}
        }

        let xs = self.conv_in.forward(&xs)?;
        let mut residuals = vec![xs.clone()];
        let mut xs = xs;
        for block in &self.down {
            let (out, res) = match block {
                Down::Basic(b) => b.forward(&xs, Some(&emb))?,
                Down::CrossAttn(b) => b.forward(&xs, Some(&emb), Some(context))?,
            };
            residuals.extend(res);
            xs = out;
        }
        let mut xs = self.mid.forward(&xs, Some(&emb), Some(context))?;
        let n = self.up.len();
        for (i, block) in self.up.iter().enumerate() {
            let n_res = match block {
                Up::Basic(b) => b.resnets.len(),
                Up::CrossAttn(b) => b.upblock.resnets.len(),
            };
            let res = residuals.split_off(residuals.len() - n_res);
            let upsample_size = match residuals.last() {
                Some(last) if i < n - 1 && forward_upsample_size => {
                    let (_, _, h, w) = last.dims4()?;
                    Some((h, w))
                }
                _ => None,
            };
            xs = match block {
                Up::Basic(b) => b.forward(&xs, &res, Some(&emb), upsample_size)?,
                Up::CrossAttn(b) => {
                    b.forward(&xs, &res, Some(&emb), upsample_size, Some(context))?
                }
            };
        }
        let xs = nn::ops::silu(&self.norm_out.forward(&xs)?)?;
        self.conv_out.forward(&xs)
    }
}
