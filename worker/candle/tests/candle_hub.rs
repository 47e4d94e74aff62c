//! Models named by a hub repository id, fetched from a fake hub into a Hugging Face
//! cache: only the files the loader reads, in `huggingface-cli`'s layout, never a half
//! file that looks finished, and a clear error for each way it can fail.

mod candle_support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use arena_backends::backend::{Backend, GenerationRequest};
use arena_candle::tiny::Preset;
use arena_candle::{CandleBackend, CandleModelConfig, Hub, HubError};
use candle_support::fake_hub::{FakeHub, Repo};
use candle_support::{model, scratch};

const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";

/// Files a diffusers repository holds that the loader never reads; fetching any of
/// them would cost gigabytes on a real model.
const DECOYS: &[&str] = &[
    "v1-5-pruned.ckpt",
    "v1-5-pruned-emaonly.safetensors",
    "unet/diffusion_pytorch_model.bin",
    "unet/diffusion_pytorch_model.fp16.safetensors",
    "vae/diffusion_pytorch_model.bin",
    "text_encoder/pytorch_model.bin",
    "text_encoder/model.fp16.safetensors",
    "safety_checker/model.safetensors",
    "feature_extractor/preprocessor_config.json",
];

/// The tiny SD model as a hub repository, with decoys beside its files.
fn tiny_repo() -> Repo {
    let mut repo = Repo::from_folder(model(Preset::Tiny), COMMIT);
    for decoy in DECOYS {
        repo.files.insert(decoy.to_string(), b"decoy".to_vec());
    }
    repo
}

fn settings(repo: &str) -> CandleModelConfig {
    CandleModelConfig {
        hub_repo: Some(repo.into()),
        ..CandleModelConfig::default()
    }
}

/// A hub serving `repo` as `arena/tiny`, and an empty cache for this test.
fn hub_with(repo: Repo, name: &str) -> (FakeHub, Hub) {
    let fake = FakeHub::start();
    fake.add("arena/tiny", repo);
    let hub = Hub::new(&fake.endpoint, scratch(name).join("hub"));
    (fake, hub)
}

fn load_error(cfg: &CandleModelConfig, hub: &Hub) -> anyhow::Error {
    match CandleBackend::load_with(cfg, hub) {
        Ok(_) => panic!("{cfg:?} loaded"),
        Err(err) => err,
    }
}

fn draw(backend: &CandleBackend) -> Vec<u8> {
    let request = GenerationRequest {
        prompt: "a red fox in the snow".into(),
        seed: 7,
        width: 32,
        height: 32,
        steps: Some(2),
        guidance: None,
    };
    backend.generate(&request, &|_, _| {}).unwrap().png
}

fn repo_dir(hub: &Hub) -> PathBuf {
    hub.cache_dir.join("models--arena--tiny")
}

/// Every file under `dir`, relative to it.
fn files_under(dir: &Path) -> BTreeSet<String> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeSet<String>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.insert(path.strip_prefix(root).unwrap().to_string_lossy().into());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk(dir, dir, &mut out);
    out
}

#[test]
fn a_hub_model_is_fetched_into_the_cache_layout_and_draws_what_its_folder_draws() {
    let (fake, hub) = hub_with(tiny_repo(), "hub-fetch");
    let fetched = CandleBackend::load_with(&settings("arena/tiny"), &hub).expect("fetch and load");

    let repo = repo_dir(&hub);
    assert_eq!(
        std::fs::read_to_string(repo.join("refs/main")).unwrap(),
        COMMIT
    );
    let snapshot = repo.join("snapshots").join(COMMIT);
    let weights = snapshot.join("unet/diffusion_pytorch_model.safetensors");
    #[cfg(unix)]
    assert!(
        std::fs::read_link(&weights)
            .unwrap()
            .starts_with("../../../blobs"),
        "snapshot files link to their blob, as huggingface_hub makes them"
    );
    assert_eq!(
        std::fs::read(&weights).unwrap(),
        std::fs::read(model(Preset::Tiny).join("unet/diffusion_pytorch_model.safetensors"))
            .unwrap()
    );
    let blobs = files_under(&repo.join("blobs"));
    assert!(
        blobs.iter().all(|b| !b.ends_with(".incomplete")),
        "{blobs:?}"
    );

    // Exactly the model's files, each once; no decoy.
    let model_files = files_under(model(Preset::Tiny));
    let requested = fake.file_requests();
    assert_eq!(requested.len(), model_files.len(), "{requested:?}");
    assert_eq!(
        requested.iter().cloned().collect::<BTreeSet<_>>(),
        model_files
    );
    assert_eq!(files_under(&snapshot), model_files);
    for decoy in DECOYS {
        assert!(!requested.iter().any(|r| r == decoy), "{decoy} was fetched");
    }

    let from_folder =
        CandleBackend::load(&CandleModelConfig::for_dir(model(Preset::Tiny))).unwrap();
    assert!(
        draw(&fetched) == draw(&from_folder),
        "the fetched model draws another image"
    );
    let params = fetched
        .generate(
            &GenerationRequest {
                prompt: "x".into(),
                seed: 1,
                width: 32,
                height: 32,
                steps: Some(1),
                guidance: None,
            },
            &|_, _| {},
        )
        .unwrap()
        .params;
    assert_eq!(params["revision"], COMMIT);
    assert_eq!(params["hub_repo"], "arena/tiny");
}

#[test]
fn a_second_load_uses_the_cache_without_asking_the_hub() {
    let (fake, hub) = hub_with(tiny_repo(), "hub-second-load");
    CandleBackend::load_with(&settings("arena/tiny"), &hub).expect("first load");
    assert!(!fake.file_requests().is_empty());
    fake.forget_requests();
    CandleBackend::load_with(&settings("arena/tiny"), &hub).expect("second load");
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[test]
fn a_snapshot_missing_a_file_is_completed_from_the_hub() {
    let (fake, hub) = hub_with(tiny_repo(), "hub-complete");
    CandleBackend::load_with(&settings("arena/tiny"), &hub).expect("first load");
    let snapshot = repo_dir(&hub).join("snapshots").join(COMMIT);
    let link = snapshot.join("vae/diffusion_pytorch_model.safetensors");
    let blob = std::fs::canonicalize(&link).unwrap();
    std::fs::remove_file(&blob).unwrap();
    std::fs::remove_file(&link).unwrap();
    fake.forget_requests();
    CandleBackend::load_with(&settings("arena/tiny"), &hub).expect("load after the loss");
    assert_eq!(
        fake.file_requests(),
        ["vae/diffusion_pytorch_model.safetensors"]
    );
}

#[test]
fn offline_mode_with_an_empty_cache_says_how_to_get_the_weights_and_asks_nothing() {
    let (fake, hub) = hub_with(tiny_repo(), "hub-offline");
    let per_model = CandleModelConfig {
        offline: true,
        ..settings("arena/tiny")
    };
    let everywhere = Hub {
        offline: true,
        ..hub.clone()
    };
    for err in [
        load_error(&per_model, &hub),
        load_error(&settings("arena/tiny"), &everywhere),
    ] {
        assert!(
            matches!(
                err.downcast_ref::<HubError>(),
                Some(HubError::Offline { .. })
            ),
            "{err:#}"
        );
        let err = format!("{err:#}");
        for needed in [
            "`arena/tiny`",
            "revision main",
            "downloads are off",
            "huggingface-cli download arena/tiny",
            "model_dir",
        ] {
            assert!(err.contains(needed), "no {needed:?} in: {err}");
        }
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[test]
fn an_unknown_repository_or_revision_is_named() {
    let (_fake, hub) = hub_with(tiny_repo(), "hub-404");
    let err = load_error(&settings("arena/nothing-here"), &hub);
    assert!(
        matches!(
            err.downcast_ref::<HubError>(),
            Some(HubError::RepoNotFound { .. })
        ),
        "{err:#}"
    );
    let err = format!("{err:#}");
    assert!(err.contains("no repository `arena/nothing-here`"), "{err}");

    let cfg = CandleModelConfig {
        revision: Some("v9".into()),
        ..settings("arena/tiny")
    };
    let err = load_error(&cfg, &hub);
    assert!(
        matches!(
            err.downcast_ref::<HubError>(),
            Some(HubError::RevisionNotFound { .. })
        ),
        "{err:#}"
    );
    let err = format!("{err:#}");
    assert!(err.contains("`arena/tiny` has no revision `v9`"), "{err}");
}

#[test]
fn a_gated_repository_asks_for_hf_token_and_loads_with_it() {
    let repo = Repo {
        gated_token: Some("hf_secret".into()),
        ..tiny_repo()
    };
    let (fake, hub) = hub_with(repo, "hub-gated");
    let err = load_error(&settings("arena/tiny"), &hub);
    assert!(
        matches!(
            err.downcast_ref::<HubError>(),
            Some(HubError::Denied { status: 401, .. })
        ),
        "{err:#}"
    );
    let err = format!("{err:#}");
    for needed in ["`arena/tiny`", "revision main", "401", "HF_TOKEN"] {
        assert!(err.contains(needed), "no {needed:?} in: {err}");
    }

    fake.forget_requests();
    let with_token = Hub {
        token: Some("hf_secret".into()),
        ..hub
    };
    CandleBackend::load_with(&settings("arena/tiny"), &with_token).expect("load with the token");
    let requests = fake.requests();
    assert!(
        requests
            .iter()
            .all(|r| r.authorization.as_deref() == Some("Bearer hf_secret")),
        "{requests:?}"
    );
}

#[test]
fn a_truncated_download_leaves_nothing_that_looks_finished_and_loading_again_completes_it() {
    let cut = "unet/diffusion_pytorch_model.safetensors";
    let repo = Repo {
        truncate: Some(cut.into()),
        ..tiny_repo()
    };
    let (fake, hub) = hub_with(repo, "hub-truncated");
    let err = load_error(&settings("arena/tiny"), &hub);
    assert!(
        matches!(
            err.downcast_ref::<HubError>(),
            Some(HubError::Truncated { .. })
        ),
        "{err:#}"
    );
    let err = format!("{err:#}");
    for needed in ["`arena/tiny`", "revision main", cut, "stopped after"] {
        assert!(err.contains(needed), "no {needed:?} in: {err}");
    }
    let repo = repo_dir(&hub);
    let snapshot = repo.join("snapshots").join(COMMIT);
    assert!(
        std::fs::symlink_metadata(snapshot.join(cut)).is_err(),
        "the cut file is in the snapshot"
    );
    let cut_bytes = std::fs::read(model(Preset::Tiny).join(cut)).unwrap();
    for blob in files_under(&repo.join("blobs")) {
        assert!(!blob.ends_with(".incomplete"), "{blob} is left behind");
        let len = std::fs::metadata(repo.join("blobs").join(&blob))
            .unwrap()
            .len();
        assert_ne!(len as usize, cut_bytes.len() / 2, "{blob} is the half file");
    }
    assert!(
        !repo.join("refs/main").exists(),
        "an incomplete snapshot got a ref"
    );

    fake.change("arena/tiny", |r| r.truncate = None);
    fake.forget_requests();
    CandleBackend::load_with(&settings("arena/tiny"), &hub).expect("load again");
    let again = fake.file_requests();
    assert!(again.iter().any(|r| r == cut), "{again:?}");
    assert!(
        !again.iter().any(|r| r == "model_index.json"),
        "files fetched before the cut are fetched again: {again:?}"
    );
}

#[test]
fn a_file_the_loader_needs_missing_from_the_repository_is_named_before_weights_are_fetched() {
    let mut repo = tiny_repo();
    repo.files.remove("vae/diffusion_pytorch_model.safetensors");
    let (fake, hub) = hub_with(repo, "hub-missing-file");
    let err = format!("{:#}", load_error(&settings("arena/tiny"), &hub));
    for needed in [
        "`arena/tiny`",
        "revision main",
        "is missing vae/diffusion_pytorch_model.safetensors",
    ] {
        assert!(err.contains(needed), "no {needed:?} in: {err}");
    }
    let requested = fake.file_requests();
    assert!(
        requested.iter().all(|r| !r.ends_with(".safetensors")),
        "{requested:?}"
    );
}

#[test]
fn an_unreachable_hub_says_there_may_be_no_internet() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let hub = Hub::new(endpoint, scratch("hub-unreachable").join("hub"));
    let err = load_error(&settings("arena/tiny"), &hub);
    assert!(
        matches!(
            err.downcast_ref::<HubError>(),
            Some(HubError::Unreachable { .. })
        ),
        "{err:#}"
    );
    let err = format!("{err:#}");
    for needed in [
        "`arena/tiny`",
        "revision main",
        "no internet?",
        "huggingface-cli download arena/tiny",
    ] {
        assert!(err.contains(needed), "no {needed:?} in: {err}");
    }
}

#[test]
fn sharded_weights_are_fetched_shard_by_shard_and_draw_what_one_file_draws() {
    let mut repo = tiny_repo();
    repo.hide_blob_ids = true;
    let whole = repo.files.remove("text_encoder/model.safetensors").unwrap();
    let dir = scratch("hub-shards");
    let path = dir.join("whole.safetensors");
    std::fs::write(&path, &whole).unwrap();
    let tensors = candle_core::safetensors::load(&path, &candle_core::Device::Cpu).unwrap();
    let mut names: Vec<&String> = tensors.keys().collect();
    names.sort();
    let (first, second) = names.split_at(names.len() / 2);
    let mut weight_map = serde_json::Map::new();
    for (shard, part) in [
        ("model-00001-of-00002.safetensors", first),
        ("model-00002-of-00002.safetensors", second),
    ] {
        let subset: std::collections::HashMap<String, candle_core::Tensor> = part
            .iter()
            .map(|n| ((*n).clone(), tensors[*n].clone()))
            .collect();
        let file = dir.join(shard);
        candle_core::safetensors::save(&subset, &file).unwrap();
        repo.files.insert(
            format!("text_encoder/{shard}"),
            std::fs::read(&file).unwrap(),
        );
        for name in part {
            weight_map.insert((*name).clone(), shard.into());
        }
    }
    let index = serde_json::json!({"metadata": {}, "weight_map": weight_map});
    repo.files.insert(
        "text_encoder/model.safetensors.index.json".into(),
        index.to_string().into_bytes(),
    );
    let (fake, hub) = hub_with(repo, "hub-sharded");

    let fetched = CandleBackend::load_with(&settings("arena/tiny"), &hub).expect("fetch shards");
    let requested = fake.file_requests();
    for needed in [
        "text_encoder/model.safetensors.index.json",
        "text_encoder/model-00001-of-00002.safetensors",
        "text_encoder/model-00002-of-00002.safetensors",
    ] {
        assert!(
            requested.iter().any(|r| r == needed),
            "{needed}: {requested:?}"
        );
    }
    assert!(
        !requested
            .iter()
            .any(|r| r == "text_encoder/model.fp16.safetensors"),
        "{requested:?}"
    );
    let from_folder =
        CandleBackend::load(&CandleModelConfig::for_dir(model(Preset::Tiny))).unwrap();
    assert!(draw(&fetched) == draw(&from_folder));
}

#[test]
fn a_flux_repository_is_fetched_without_the_diffusers_transformer_weights() {
    let mut repo = Repo::from_folder(model(Preset::TinyFlux), COMMIT);
    let decoys = [
        "transformer/diffusion_pytorch_model-00001-of-00003.safetensors",
        "transformer/diffusion_pytorch_model.safetensors.index.json",
        "vae/diffusion_pytorch_model.safetensors",
    ];
    for decoy in decoys {
        repo.files.insert(decoy.into(), b"decoy".to_vec());
    }
    let (fake, hub) = hub_with(repo, "hub-flux");
    CandleBackend::load_with(&settings("arena/tiny"), &hub).expect("fetch FLUX");
    let requested = fake.file_requests();
    assert!(
        requested.iter().any(|r| r == "flux1-schnell.safetensors"),
        "{requested:?}"
    );
    for decoy in decoys {
        assert!(
            !requested.iter().any(|r| r == decoy),
            "{decoy}: {requested:?}"
        );
    }
}

/// A worker loads its models on a tokio runtime's thread, where a second runtime
/// cannot block; the fetcher must still work there.
#[tokio::test]
async fn a_model_is_fetched_from_inside_a_tokio_runtime_as_a_worker_loads_it() {
    let (fake, hub) = hub_with(tiny_repo(), "hub-in-runtime");
    CandleBackend::load_with(&settings("arena/tiny"), &hub).expect("fetch inside a runtime");
    assert!(!fake.file_requests().is_empty());
}
