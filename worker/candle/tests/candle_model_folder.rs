//! A missing, incomplete or corrupt model folder fails to load with a message that
//! names what is wrong, and never panics.

mod candle_support;

use std::path::Path;

use arena_candle::tiny::Preset;
use arena_candle::{CandleBackend, CandleModelConfig};
use candle_support::{copy_of, model};

fn load_error(dir: &Path) -> String {
    match CandleBackend::load(&CandleModelConfig::for_dir(dir)) {
        Ok(_) => panic!("{} loaded although it is broken", dir.display()),
        Err(err) => format!("{err:#}"),
    }
}

fn broken(preset: Preset, name: &str, breakage: impl FnOnce(&Path)) -> String {
    let dir = copy_of(model(preset), name);
    breakage(&dir);
    load_error(&dir)
}

#[test]
fn a_folder_that_does_not_exist_is_named() {
    let err = load_error(Path::new("/nonexistent/sd15"));
    assert!(
        err.contains("/nonexistent/sd15") && err.contains("does not exist"),
        "{err}"
    );
}

#[test]
fn each_missing_part_is_named() {
    let cases: &[(&str, &str)] = &[
        ("model_index.json", "model_index.json"),
        ("unet/config.json", "unet/config.json"),
        (
            "unet/diffusion_pytorch_model.safetensors",
            "unet/diffusion_pytorch_model.safetensors",
        ),
        (
            "vae/diffusion_pytorch_model.safetensors",
            "vae/diffusion_pytorch_model.safetensors",
        ),
        (
            "text_encoder/model.safetensors",
            "text_encoder/model.safetensors",
        ),
        (
            "scheduler/scheduler_config.json",
            "scheduler/scheduler_config.json",
        ),
        ("tokenizer/tokenizer.json", "tokenizer/tokenizer.json"),
    ];
    for (i, (remove, named)) in cases.iter().enumerate() {
        let err = broken(Preset::Tiny, &format!("missing-{i}"), |dir| {
            std::fs::remove_file(dir.join(remove)).unwrap()
        });
        assert!(
            err.contains("is missing") && err.contains(named),
            "without {remove}: {err}"
        );
    }
}

#[test]
fn corrupt_or_truncated_weights_are_named() {
    let err = broken(Preset::Tiny, "garbage", |dir| {
        std::fs::write(
            dir.join("unet/diffusion_pytorch_model.safetensors"),
            b"not a safetensors file",
        )
        .unwrap()
    });
    assert!(
        err.contains("unet/diffusion_pytorch_model.safetensors"),
        "{err}"
    );
    let err = broken(Preset::Tiny, "truncated", |dir| {
        let path = dir.join("vae/diffusion_pytorch_model.safetensors");
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    });
    assert!(
        err.contains("vae/diffusion_pytorch_model.safetensors"),
        "{err}"
    );
}

#[test]
fn weights_that_do_not_fit_the_config_are_named_with_the_config() {
    let err = broken(Preset::Tiny, "mismatch", |dir| {
        let path = dir.join("unet/config.json");
        let text = std::fs::read_to_string(&path)
            .unwrap()
            .replace("\"cross_attention_dim\": 32", "\"cross_attention_dim\": 48");
        std::fs::write(&path, text).unwrap();
    });
    assert!(err.contains("do not match unet/config.json"), "{err}");
}

#[test]
fn a_config_that_is_not_json_is_named() {
    let err = broken(Preset::Tiny, "bad-json", |dir| {
        std::fs::write(dir.join("vae/config.json"), "{ not json").unwrap()
    });
    assert!(
        err.contains("vae/config.json") && err.contains("not a valid config"),
        "{err}"
    );
}

#[test]
fn an_unsupported_pipeline_is_named() {
    let err = broken(Preset::Tiny, "kandinsky", |dir| {
        std::fs::write(
            dir.join("model_index.json"),
            r#"{"_class_name": "KandinskyPipeline"}"#,
        )
        .unwrap()
    });
    assert!(
        err.contains("KandinskyPipeline") && err.contains("not supported"),
        "{err}"
    );
}

#[test]
fn a_flux_folder_without_its_original_checkpoint_says_which_file_it_needs() {
    let err = broken(Preset::TinyFlux, "flux-no-ckpt", |dir| {
        std::fs::remove_file(dir.join("flux1-schnell.safetensors")).unwrap()
    });
    assert!(err.contains("flux1-schnell.safetensors"), "{err}");
    let err = broken(Preset::TinyFlux, "flux-no-t5", |dir| {
        std::fs::remove_file(dir.join("text_encoder_2/model.safetensors")).unwrap()
    });
    assert!(err.contains("text_encoder_2/model.safetensors"), "{err}");
}
