//! The `config.json` files of each preset, as diffusers and transformers write them.

use serde_json::{Value, json};

use super::vocab;

type Files = Vec<(&'static str, Value)>;

fn clip_text(
    hidden: usize,
    layers: usize,
    heads: usize,
    inter: usize,
    vocab: usize,
    act: &str,
    projection: Option<usize>,
) -> Value {
    json!({
        "architectures": [if projection.is_some() { "CLIPTextModelWithProjection" } else { "CLIPTextModel" }],
        "model_type": "clip_text_model",
        "attention_dropout": 0.0,
        "bos_token_id": 0,
        "eos_token_id": 2,
        "pad_token_id": 1,
        "hidden_act": act,
        "hidden_size": hidden,
        "initializer_factor": 1.0,
        "initializer_range": 0.02,
        "intermediate_size": inter,
        "layer_norm_eps": 1e-5,
        "max_position_embeddings": 77,
        "num_attention_heads": heads,
        "num_hidden_layers": layers,
        "projection_dim": projection.unwrap_or(hidden),
        "torch_dtype": "float32",
        "vocab_size": vocab
    })
}

fn scheduler(class: &str, spacing: &str) -> Value {
    json!({
        "_class_name": class,
        "_diffusers_version": "0.27.0",
        "beta_start": 0.00085,
        "beta_end": 0.012,
        "beta_schedule": "scaled_linear",
        "clip_sample": false,
        "num_train_timesteps": 1000,
        "prediction_type": "epsilon",
        "set_alpha_to_one": false,
        "steps_offset": 1,
        "timestep_spacing": spacing
    })
}

fn vae(channels: &[usize], layers: usize, latent: usize, scaling: f64, extra: Value) -> Value {
    let mut v = json!({
        "_class_name": "AutoencoderKL",
        "_diffusers_version": "0.27.0",
        "act_fn": "silu",
        "block_out_channels": channels,
        "down_block_types": vec!["DownEncoderBlock2D"; channels.len()],
        "up_block_types": vec!["UpDecoderBlock2D"; channels.len()],
        "in_channels": 3,
        "out_channels": 3,
        "latent_channels": latent,
        "layers_per_block": layers,
        "norm_num_groups": 32,
        "sample_size": 512,
        "scaling_factor": scaling
    });
    if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        v.extend(extra.clone());
    }
    v
}

fn sd_index(extra: Value) -> Value {
    let mut v = json!({
        "_class_name": "StableDiffusionPipeline",
        "_diffusers_version": "0.27.0",
        "feature_extractor": [null, null],
        "safety_checker": [null, null],
        "requires_safety_checker": false,
        "image_encoder": [null, null],
        "scheduler": ["diffusers", "DDIMScheduler"],
        "text_encoder": ["transformers", "CLIPTextModel"],
        "tokenizer": ["transformers", "CLIPTokenizer"],
        "unet": ["diffusers", "UNet2DConditionModel"],
        "vae": ["diffusers", "AutoencoderKL"]
    });
    if let (Some(v), Some(extra)) = (v.as_object_mut(), extra.as_object()) {
        v.extend(extra.clone());
    }
    v
}

/// SD-1.5-shaped, tiny (the shapes of diffusers' own test models).
pub fn tiny() -> Files {
    vec![
        (
            "model_index.json",
            sd_index(json!({"scheduler": ["diffusers", "EulerAncestralDiscreteScheduler"]})),
        ),
        (
            "scheduler/scheduler_config.json",
            scheduler("EulerAncestralDiscreteScheduler", "leading"),
        ),
        (
            "text_encoder/config.json",
            clip_text(32, 2, 4, 64, vocab::word_level_size(), "quick_gelu", None),
        ),
        (
            "unet/config.json",
            json!({
                "_class_name": "UNet2DConditionModel",
                "_diffusers_version": "0.27.0",
                "act_fn": "silu",
                "attention_head_dim": 2,
                "block_out_channels": [32, 64],
                "center_input_sample": false,
                "cross_attention_dim": 32,
                "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"],
                "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
                "downsample_padding": 1,
                "flip_sin_to_cos": true,
                "freq_shift": 0,
                "in_channels": 4,
                "out_channels": 4,
                "layers_per_block": 1,
                "mid_block_scale_factor": 1,
                "norm_eps": 1e-5,
                "norm_num_groups": 32,
                "sample_size": 32
            }),
        ),
        ("vae/config.json", vae(&[32, 64], 1, 4, 0.18215, json!({}))),
    ]
}

/// SDXL-shaped, tiny: two encoders (32 + 32 wide), pooled projection and time ids.
pub fn tiny_xl() -> Files {
    let size = vocab::word_level_size();
    vec![
        (
            "model_index.json",
            json!({
                "_class_name": "StableDiffusionXLPipeline",
                "_diffusers_version": "0.27.0",
                "force_zeros_for_empty_prompt": true,
                "scheduler": ["diffusers", "EulerDiscreteScheduler"],
                "text_encoder": ["transformers", "CLIPTextModel"],
                "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
                "tokenizer": ["transformers", "CLIPTokenizer"],
                "tokenizer_2": ["transformers", "CLIPTokenizer"],
                "unet": ["diffusers", "UNet2DConditionModel"],
                "vae": ["diffusers", "AutoencoderKL"]
            }),
        ),
        (
            "scheduler/scheduler_config.json",
            scheduler("EulerDiscreteScheduler", "leading"),
        ),
        (
            "text_encoder/config.json",
            clip_text(32, 2, 4, 64, size, "quick_gelu", None),
        ),
        (
            "text_encoder_2/config.json",
            clip_text(32, 2, 4, 64, size, "gelu", Some(32)),
        ),
        (
            "unet/config.json",
            json!({
                "_class_name": "UNet2DConditionModel",
                "_diffusers_version": "0.27.0",
                "addition_embed_type": "text_time",
                "addition_time_embed_dim": 8,
                "projection_class_embeddings_input_dim": 6 * 8 + 32,
                "attention_head_dim": [2, 4],
                "block_out_channels": [32, 64],
                "cross_attention_dim": 64,
                "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D"],
                "up_block_types": ["CrossAttnUpBlock2D", "UpBlock2D"],
                "transformer_layers_per_block": [1, 2],
                "use_linear_projection": true,
                "in_channels": 4,
                "out_channels": 4,
                "layers_per_block": 1,
                "norm_num_groups": 32,
                "sample_size": 32
            }),
        ),
        (
            "vae/config.json",
            vae(&[32, 64], 1, 4, 0.13025, json!({"force_upcast": true})),
        ),
    ]
}

/// FLUX.1-schnell-shaped, tiny.
pub fn tiny_flux() -> Files {
    vec![
        (
            "model_index.json",
            json!({
                "_class_name": "FluxPipeline",
                "_diffusers_version": "0.30.0",
                "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
                "text_encoder": ["transformers", "CLIPTextModel"],
                "text_encoder_2": ["transformers", "T5EncoderModel"],
                "tokenizer": ["transformers", "CLIPTokenizer"],
                "tokenizer_2": ["transformers", "T5TokenizerFast"],
                "transformer": ["diffusers", "FluxTransformer2DModel"],
                "vae": ["diffusers", "AutoencoderKL"]
            }),
        ),
        (
            "scheduler/scheduler_config.json",
            json!({"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 1.0, "use_dynamic_shifting": false}),
        ),
        (
            "text_encoder/config.json",
            clip_text(32, 2, 4, 64, vocab::word_level_size(), "quick_gelu", None),
        ),
        (
            "text_encoder_2/config.json",
            json!({
                "architectures": ["T5EncoderModel"],
                "model_type": "t5",
                "vocab_size": vocab::t5_size(),
                "d_model": 32,
                "d_kv": 8,
                "d_ff": 64,
                "num_layers": 2,
                "num_heads": 4,
                "relative_attention_num_buckets": 8,
                "relative_attention_max_distance": 16,
                "dropout_rate": 0.1,
                "layer_norm_epsilon": 1e-6,
                "initializer_factor": 1.0,
                "feed_forward_proj": "gated-gelu",
                "is_encoder_decoder": true,
                "tie_word_embeddings": false,
                "use_cache": true,
                "pad_token_id": 0,
                "eos_token_id": 1,
                "decoder_start_token_id": 0
            }),
        ),
        (
            "transformer/config.json",
            json!({
                "_class_name": "FluxTransformer2DModel",
                "_diffusers_version": "0.30.0",
                "attention_head_dim": 16,
                "axes_dims_rope": [4, 6, 6],
                "guidance_embeds": false,
                "in_channels": 64,
                "joint_attention_dim": 32,
                "num_attention_heads": 2,
                "num_layers": 1,
                "num_single_layers": 1,
                "patch_size": 1,
                "pooled_projection_dim": 32
            }),
        ),
        (
            "vae/config.json",
            vae(
                &[32, 32, 32, 32],
                1,
                16,
                0.3611,
                json!({"shift_factor": 0.1159, "use_quant_conv": false, "use_post_quant_conv": false}),
            ),
        ),
    ]
}

/// Stable Diffusion 1.5's real configs (with DDIM, the scheduler both candle and
/// diffusers run, so that benchmarks compare the same work).
pub fn sd15() -> Files {
    vec![
        ("model_index.json", sd_index(json!({}))),
        (
            "scheduler/scheduler_config.json",
            scheduler("DDIMScheduler", "leading"),
        ),
        (
            "text_encoder/config.json",
            clip_text(768, 12, 12, 3072, vocab::CLIP_VOCAB, "quick_gelu", None),
        ),
        (
            "unet/config.json",
            json!({
                "_class_name": "UNet2DConditionModel",
                "_diffusers_version": "0.27.0",
                "act_fn": "silu",
                "attention_head_dim": 8,
                "block_out_channels": [320, 640, 1280, 1280],
                "center_input_sample": false,
                "cross_attention_dim": 768,
                "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
                "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
                "downsample_padding": 1,
                "flip_sin_to_cos": true,
                "freq_shift": 0,
                "in_channels": 4,
                "out_channels": 4,
                "layers_per_block": 2,
                "mid_block_scale_factor": 1,
                "norm_eps": 1e-5,
                "norm_num_groups": 32,
                "sample_size": 64
            }),
        ),
        (
            "vae/config.json",
            vae(&[128, 256, 512, 512], 2, 4, 0.18215, json!({})),
        ),
    ]
}
