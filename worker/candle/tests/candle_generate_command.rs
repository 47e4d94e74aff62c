//! `arena-worker generate`: its arguments and `run_generate` on a tiny random model.

mod candle_support;

use arena_candle::tiny::Preset;
use arena_candle::{DTypeChoice, GenerateArgs, run_generate};
use candle_support::{model, scratch};
use clap::Parser;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    generate: GenerateArgs,
}

fn args(extra: &[&str]) -> GenerateArgs {
    let base = ["generate", "--prompt", "a red fox", "--seed", "11"];
    let all: Vec<&str> = base.iter().chain(extra).copied().collect();
    Cli::try_parse_from(all).expect("valid arguments").generate
}

#[test]
fn generate_arguments_parse_from_the_command_line() {
    let a = args(&[
        "--model-dir",
        "m",
        "--out",
        "x.png",
        "--steps",
        "3",
        "--size",
        "64x32",
        "--dtype",
        "bf16",
        "--guidance",
        "2.5",
    ]);
    assert_eq!(
        (a.seed, a.steps, a.size, a.dtype, a.guidance),
        (
            11,
            Some(3),
            Some((64, 32)),
            Some(DTypeChoice::Bf16),
            Some(2.5)
        )
    );
    let err = Cli::try_parse_from([
        "generate",
        "--model-dir",
        "m",
        "--prompt",
        "p",
        "--seed",
        "1",
        "--out",
        "o.png",
        "--size",
        "64",
    ])
    .err()
    .expect("a bad size is refused")
    .to_string();
    assert!(err.contains("WIDTHxHEIGHT"), "{err}");
}

#[test]
fn generate_writes_the_same_png_for_the_same_prompt_and_seed() {
    let dir = scratch("generate");
    let model_dir = model(Preset::Tiny).display().to_string();
    let run = |name: &str, prompt: &str| {
        let out = dir.join(name);
        let mut a = args(&[
            "--model-dir",
            &model_dir,
            "--out",
            out.to_str().unwrap(),
            "--steps",
            "3",
            "--size",
            "32x32",
        ]);
        a.prompt = prompt.into();
        run_generate(&a).expect("generate");
        std::fs::read(out).expect("the PNG was written")
    };
    let first = run("a.png", "a red fox");
    let again = run("b.png", "a red fox");
    let other = run("c.png", "a blue whale");
    assert_eq!(first, again);
    assert_ne!(first, other);
    let image = image::load_from_memory(&first).unwrap();
    assert_eq!((image.width(), image.height()), (32, 32));
}

#[test]
fn generate_on_a_folder_that_is_not_there_says_so() {
    let a = args(&[
        "--model-dir",
        "/nonexistent/model",
        "--out",
        "/tmp/never.png",
    ]);
    let err = format!("{:#}", run_generate(&a).unwrap_err());
    assert!(
        err.contains("/nonexistent/model") && err.contains("does not exist"),
        "{err}"
    );
}
