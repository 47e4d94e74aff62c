//! The candle backend on random tiny models, through the `Backend` trait a worker uses.

mod candle_support;

use std::sync::Mutex;

use arena_backends::backend::{Backend, GenerationRequest};
use arena_candle::tiny::Preset;
use arena_candle::{CandleBackend, CandleModelConfig, SchedulerKind, SeedPolicy};
use candle_support::model;

fn request(prompt: &str, seed: u64) -> GenerationRequest {
    GenerationRequest {
        prompt: prompt.into(),
        seed,
        width: 32,
        height: 32,
        steps: Some(4),
        guidance: None,
    }
}

fn quiet(_: u32, _: u32) {}

fn tiny() -> CandleBackend {
    CandleBackend::load(&CandleModelConfig::for_dir(model(Preset::Tiny)))
        .expect("load the tiny model")
}

#[test]
fn same_prompt_and_seed_give_byte_identical_pngs() {
    let backend = tiny();
    let a = backend
        .generate(&request("a red fox in the snow", 7), &quiet)
        .unwrap();
    let b = backend
        .generate(&request("a red fox in the snow", 7), &quiet)
        .unwrap();
    assert_eq!(a.png, b.png);
    // A second load of the same folder draws the same image too.
    let c = tiny()
        .generate(&request("a red fox in the snow", 7), &quiet)
        .unwrap();
    assert_eq!(a.png, c.png);
    let decoded = image::load_from_memory(&a.png).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (32, 32));
}

#[test]
fn another_prompt_or_another_seed_gives_another_image() {
    let backend = tiny();
    let base = backend
        .generate(&request("a red fox in the snow", 7), &quiet)
        .unwrap();
    let prompt = backend
        .generate(&request("a blue robot on the moon", 7), &quiet)
        .unwrap();
    let seed = backend
        .generate(&request("a red fox in the snow", 8), &quiet)
        .unwrap();
    assert_ne!(base.png, prompt.png);
    assert_ne!(base.png, seed.png);
}

#[test]
fn progress_reports_every_step_in_order() {
    let backend = tiny();
    let seen = Mutex::new(Vec::new());
    let progress = |k: u32, n: u32| seen.lock().unwrap().push((k, n));
    backend
        .generate(&request("a small house", 1), &progress)
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), vec![(1, 4), (2, 4), (3, 4), (4, 4)]);
}

#[test]
fn every_image_records_what_regenerates_it() {
    let backend = tiny();
    let image = backend
        .generate(&request("a small house", 3), &quiet)
        .unwrap();
    let p = &image.params;
    assert_eq!(p["backend"], "candle");
    let folder_name = model(Preset::Tiny)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    assert_eq!(p["model"], folder_name.as_str());
    assert_eq!(p["pipeline"], "stable-diffusion");
    assert_eq!(p["seed"], 3);
    assert_eq!(p["steps"], 4);
    assert_eq!(p["guidance"], 7.5);
    assert_eq!(p["scheduler"], "euler-ancestral");
    assert_eq!(
        (p["width"].as_u64(), p["height"].as_u64()),
        (Some(32), Some(32))
    );
    assert_eq!(p["dtype"], "f32");
    assert_eq!(p["device"], "cpu");
    assert_eq!(p["fingerprint"].as_str().map(str::len), Some(16));
    assert!(p["latency_ms"].is_u64());
}

#[test]
fn configured_settings_apply_and_the_job_overrides_steps_and_guidance() {
    let cfg = CandleModelConfig {
        steps: Some(2),
        guidance: Some(1.0),
        scheduler: Some(SchedulerKind::Ddim),
        size: Some("32x48".into()),
        seed_policy: SeedPolicy::Fixed,
        seed: Some(42),
        ..CandleModelConfig::for_dir(model(Preset::Tiny))
    };
    let backend = CandleBackend::load(&cfg).unwrap();
    let job = GenerationRequest {
        steps: None,
        guidance: None,
        ..request("a cat", 1)
    };
    let a = backend.generate(&job, &quiet).unwrap();
    let p = &a.params;
    assert_eq!(
        (
            p["steps"].as_u64(),
            p["guidance"].as_f64(),
            p["scheduler"].as_str()
        ),
        (Some(2), Some(1.0), Some("ddim"))
    );
    assert_eq!(
        (
            p["width"].as_u64(),
            p["height"].as_u64(),
            p["seed"].as_u64()
        ),
        (Some(32), Some(48), Some(42))
    );
    // A fixed seed policy ignores the job's seed.
    let b = backend
        .generate(
            &GenerationRequest {
                seed: 2,
                ..job.clone()
            },
            &quiet,
        )
        .unwrap();
    assert_eq!(a.png, b.png);
    let c = backend
        .generate(
            &GenerationRequest {
                steps: Some(3),
                ..job
            },
            &quiet,
        )
        .unwrap();
    assert_eq!(c.params["steps"], 3);
}

#[test]
fn a_size_the_model_cannot_halve_evenly_is_refused_with_the_multiple() {
    let backend = tiny();
    let err = backend
        .generate(
            &GenerationRequest {
                width: 66,
                ..request("a cat", 1)
            },
            &quiet,
        )
        .unwrap_err();
    assert!(err.to_string().contains("multiple of 4"), "{err}");
}

#[test]
fn sdxl_shaped_model_generates_with_two_text_encoders_reproducibly() {
    let backend = CandleBackend::load(&CandleModelConfig::for_dir(model(Preset::TinyXl))).unwrap();
    let a = backend
        .generate(&request("a castle at sunset", 5), &quiet)
        .unwrap();
    let b = backend
        .generate(&request("a castle at sunset", 5), &quiet)
        .unwrap();
    let c = backend
        .generate(&request("a dragon at night", 5), &quiet)
        .unwrap();
    assert_eq!(a.png, b.png);
    assert_ne!(a.png, c.png);
    assert_eq!(a.params["pipeline"], "stable-diffusion-xl");
    assert_eq!(a.params["scheduler"], "euler");
    assert_eq!(a.params["guidance"], 5.0);
}

#[test]
fn flux_shaped_model_generates_reproducibly() {
    let backend =
        CandleBackend::load(&CandleModelConfig::for_dir(model(Preset::TinyFlux))).unwrap();
    let job = |prompt: &str| GenerationRequest {
        steps: None,
        ..request(prompt, 9)
    };
    let seen = Mutex::new(Vec::new());
    let progress = |k: u32, n: u32| seen.lock().unwrap().push((k, n));
    let a = backend.generate(&job("a golden owl"), &progress).unwrap();
    let b = backend.generate(&job("a golden owl"), &quiet).unwrap();
    let c = backend.generate(&job("a silver train"), &quiet).unwrap();
    assert_eq!(a.png, b.png);
    assert_ne!(a.png, c.png);
    assert_eq!(a.params["pipeline"], "flux");
    assert_eq!(a.params["steps"], 4);
    assert_eq!(seen.lock().unwrap().len(), 4);
}
