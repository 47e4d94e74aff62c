//! The candle backend end to end: a real `arena-worker` serving the random tiny candle
//! model to a real `arena serve` on Postgres, alone with a demo model or beside a demo
//! and an `openai` model (a fake provider inside the test). Its images reach battles,
//! record what made them, and `arena-worker generate` draws the same pixels again.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use sha2::Digest;
use sqlx::Connection;

use crate::arena::{ArenaProcess, BUILT, Voter, run};
use crate::support::fake_openai::FakeOpenAi;
use crate::support::{self, PgDb};
use crate::workers::{WorkerProcess, add_worker, prepare, queue_by_model, worker_bin};

const CANDLE: &str = "tiny-candle";

/// Denoising steps of the candle model: enough to run the scheduler's loop, few
/// enough to stay quick on a CPU.
const CANDLE_STEPS: u32 = 2;

/// An arena on Postgres with prompts, extra models registered, no embedded worker,
/// and a random tiny candle model on disk. Fields drop in order: the arena stops
/// before its database is dropped.
struct Setup {
    arena: ArenaProcess,
    worker_bin: PathBuf,
    model_dir: PathBuf,
    dir: PathBuf,
    url: String,
    prompts: Vec<String>,
    _db: Option<PgDb>,
}

impl Setup {
    /// `None` (after a loud message) when the worker binary, the model writer or
    /// Postgres is missing outside CI.
    async fn start(label: &str, models: &[(&str, &str)]) -> Option<Setup> {
        let worker_bin = worker_bin()?;
        let dir = support::temp_dir(label);
        let model_dir = tiny_model(&dir)?;
        let (url, db) = support::database(support::Backend::Postgres, &dir).await?;
        let prompts: Vec<String> = [
            "a lighthouse in the rain",
            "two pears on a plate",
            "a kite over a dune",
        ]
        .map(String::from)
        .to_vec();
        // One pool image per (prompt, model): the test counts one job per prompt.
        prepare(&dir, &url, "[queue]\npool_images = 1\n", &prompts);
        for (slug, backend) in models {
            let (code, _, err) = run(
                &[
                    "models",
                    "add",
                    slug,
                    "--name",
                    slug,
                    "--backend",
                    backend,
                    "--database-url",
                    &url,
                ],
                &dir,
            );
            assert_eq!(code, 0, "{err}");
        }
        let arena = ArenaProcess::spawn(&url, &dir, &["--no-embedded-worker"]).await;
        Some(Setup {
            arena,
            worker_bin,
            model_dir,
            dir,
            url,
            prompts,
            _db: db,
        })
    }

    /// A worker named `name` with a worker.toml of `models` (TOML `[[models]]` tables).
    fn worker(&self, name: &str, models: &str) -> WorkerProcess {
        let config = self.dir.join(format!("{name}.toml"));
        std::fs::write(
            &config,
            format!("wait_secs = 2\nshutdown_grace_secs = 10\n{models}"),
        )
        .unwrap();
        let token = add_worker(name, &self.url, &self.dir);
        WorkerProcess::start(&self.worker_bin, name, &self.arena.base, &token, &config)
    }

    fn candle_entry(&self) -> String {
        format!(
            "[[models]]\nslug = \"{CANDLE}\"\nbackend = \"candle\"\nmodel_dir = \"{}\"\nsteps = {CANDLE_STEPS}\n",
            self.model_dir.display()
        )
    }

    /// Waits until every model in `expected` has exactly that many jobs done and
    /// nothing is queued or leased; fails at once on a failed job or a dead worker.
    async fn wait_until_done(&self, worker: &mut WorkerProcess, expected: &BTreeMap<&str, i64>) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            if let Some(status) = worker.child.try_wait().unwrap() {
                panic!("arena-worker exited ({status}); its log is above");
            }
            let queue = queue_by_model(&self.arena.base).await;
            for (model, counts) in &queue {
                assert_eq!(
                    counts.failed, 0,
                    "a job of {model} failed; the worker's log is above"
                );
            }
            let done: BTreeMap<&str, i64> = expected
                .keys()
                .map(|m| (*m, queue.get(*m).map_or(0, |c| c.done)))
                .collect();
            let busy: i64 = queue.values().map(|c| c.queued + c.leased).sum();
            if &done == expected && busy == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "not done within 180 s: {done:?} of {expected:?}, {busy} queued or leased"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

/// Writes the random tiny SD-shaped model with the `make-tiny-model` example (built
/// beside the binaries by `cargo test --workspace` or `cargo build -p arena-candle
/// --examples`), or `None` after a loud message.
fn tiny_model(dir: &Path) -> Option<PathBuf> {
    let writer = Path::new(BUILT)
        .with_file_name("examples")
        .join("make-tiny-model");
    if !writer.exists() {
        support::skip_or_fail(&format!(
            "the make-tiny-model example at {} (cargo build -p arena-candle --examples)",
            writer.display()
        ));
        return None;
    }
    let model_dir = dir.join("tiny-sd");
    let out = Command::new(&writer).arg(&model_dir).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(model_dir)
}

/// A pool battle served to `voter` and revealed by a tie vote: its id and the model
/// slugs shown as A and B.
async fn battle_and_reveal(
    voter: &mut Voter,
    base: &str,
) -> (String, [String; 2], serde_json::Value) {
    let (status, battle) = voter
        .post(&format!("{base}/api/v1/battles"), serde_json::json!({}))
        .await
        .unwrap();
    assert_eq!(status, 201, "{battle}");
    let id = battle["id"].as_str().unwrap().to_string();
    let (status, reveal) = voter
        .post(
            &format!("{base}/api/v1/battles/{id}/vote"),
            serde_json::json!({ "winner": "tie" }),
        )
        .await
        .unwrap();
    assert_eq!(status, 200, "{reveal}");
    let slug = |key: &str| reveal[key].as_str().unwrap().to_string();
    (id, [slug("model_a"), slug("model_b")], battle)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_candle_image_in_a_battle_is_drawn_again_pixel_for_pixel_from_its_recorded_seed_on_postgres()
 {
    let Some(setup) = Setup::start("arena-candle", &[(CANDLE, "candle")]).await else {
        return;
    };
    let models = format!(
        "{}[[models]]\nslug = \"demo-faithful\"\nbackend = \"demo\"\nsteps = 1\n",
        setup.candle_entry()
    );
    let mut worker = setup.worker("candle-box", &models);
    let n = setup.prompts.len() as i64;
    setup
        .wait_until_done(
            &mut worker,
            &BTreeMap::from([(CANDLE, n), ("demo-faithful", n)]),
        )
        .await;

    // Every prompt has the two models, so the first battle shows a candle image.
    let mut voter = Voter::new();
    let (battle_id, shown, battle) = battle_and_reveal(&mut voter, &setup.arena.base).await;
    let slot = shown
        .iter()
        .position(|m| m == CANDLE)
        .expect("the battle shows the candle model");
    let image_url = battle["images"][["a", "b"][slot]].as_str().unwrap();
    let served = reqwest::get(format!("{}{image_url}", setup.arena.base))
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    let served = served.bytes().await.unwrap().to_vec();

    // What the arena recorded with that image.
    let mut db = sqlx::PgConnection::connect(&setup.url).await.unwrap();
    let (prompt, seed, steps, sha256, params): (String, i64, Option<i32>, String, String) =
        sqlx::query_as(
            "select p.text, g.seed, g.steps, g.sha256, g.params from battle_image bi \
         join generation g on g.id = bi.generation_id join prompt p on p.id = g.prompt_id \
         where bi.battle_id = $1 and bi.slot = $2",
        )
        .bind(&battle_id)
        .bind(slot as i16)
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(
        sha256,
        hex::encode(sha2::Sha256::digest(&served)),
        "the served bytes are the stored ones"
    );
    let recorded: serde_json::Value = serde_json::from_str(&params).unwrap();
    assert_eq!(recorded["backend"], "candle");
    assert_eq!(recorded["pipeline"], "stable-diffusion");
    assert_eq!(recorded["model_dir"], setup.model_dir.display().to_string());
    assert_eq!(recorded["seed"].as_i64(), Some(seed), "{recorded}");
    assert_eq!(
        (recorded["steps"].as_u64(), steps),
        (Some(u64::from(CANDLE_STEPS)), Some(CANDLE_STEPS as i32))
    );
    assert_eq!(
        (recorded["width"].as_u64(), recorded["height"].as_u64()),
        (Some(64), Some(64))
    );
    assert_eq!(recorded["fingerprint"].as_str().map(str::len), Some(16));

    // Drawn again from nothing but the record: no server, a new process.
    let again = setup.dir.join("again.png");
    let field = |key: &str| match &recorded[key] {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let out = Command::new(&setup.worker_bin)
        .args([
            "generate",
            "--model-dir",
            &field("model_dir"),
            "--prompt",
            &prompt,
        ])
        .args([
            "--seed",
            &field("seed"),
            "--steps",
            &field("steps"),
            "--guidance",
            &field("guidance"),
        ])
        .args([
            "--scheduler",
            &field("scheduler"),
            "--dtype",
            &field("dtype"),
        ])
        .args(["--size", &format!("{}x{}", field("width"), field("height"))])
        .arg("--out")
        .arg(&again)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut regenerated: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    let mut recorded = recorded;
    for p in [&mut regenerated, &mut recorded] {
        p.as_object_mut().unwrap().remove("latency_ms");
    }
    assert_eq!(
        regenerated, recorded,
        "generate reports the same parameters"
    );

    // The arena keeps no copy of the upload: it decodes it and stores its own PNG
    // encoding (which drops metadata and, at another size, resizes). The worker drew
    // 64×64, the arena's size, so nothing was resized and the decoded pixels are the
    // uploaded ones: compare those, byte for byte, rather than the PNG files.
    let again = image::load_from_memory(&std::fs::read(&again).unwrap())
        .unwrap()
        .into_rgb8();
    let served = image::load_from_memory(&served).unwrap().into_rgb8();
    assert_eq!(again.dimensions(), (64, 64));
    assert_eq!(served.dimensions(), (64, 64));
    assert!(
        again.as_raw() == served.as_raw(),
        "the regenerated pixels differ from the served ones"
    );
    assert!(
        served.as_raw().iter().any(|b| *b != served.as_raw()[0]),
        "the image is one flat colour"
    );

    assert!(worker.terminate().success());
}

#[tokio::test(flavor = "multi_thread")]
async fn one_worker_serves_candle_demo_and_openai_models_at_once_on_postgres() {
    const DEMO: &str = "demo-painterly";
    const OPENAI: &str = "remote-b64";
    let Some(setup) = Setup::start("arena-mixed", &[(CANDLE, "candle"), (OPENAI, "openai")]).await
    else {
        return;
    };
    let provider = FakeOpenAi::start().await;
    let models = format!(
        "{}[[models]]\nslug = \"{DEMO}\"\nbackend = \"demo\"\nsteps = 1\n\
         [[models]]\nslug = \"{OPENAI}\"\nbackend = \"openai\"\nbase_url = \"{}/v1\"\nmodel = \"b64\"\n\
         response_format = \"b64_json\"\n",
        setup.candle_entry(),
        provider.base
    );
    let mut worker = setup.worker("mixed-box", &models);
    let n = setup.prompts.len() as i64;
    let expected = BTreeMap::from([(CANDLE, n), (DEMO, n), (OPENAI, n)]);
    setup.wait_until_done(&mut worker, &expected).await;

    // Each model: one job per prompt, done at the first attempt by this worker, with
    // an image its own backend drew. No other model was given work.
    let mut db = sqlx::PgConnection::connect(&setup.url).await.unwrap();
    let rows: Vec<(String, i64, i64, i64, String, String)> = sqlx::query_as(
        "select m.slug, count(*), count(*) filter (where j.state = 'done' and j.attempts = 1), \
         count(distinct g.prompt_id), min(w.name), max(w.name) \
         from job j join model m on m.id = j.model_id join worker w on w.id = j.worker_id \
         join generation g on g.id = j.generation_id group by m.slug order by m.slug",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    let want: Vec<(String, i64, i64, i64, String, String)> = expected
        .keys()
        .map(|m| {
            (
                m.to_string(),
                n,
                n,
                n,
                "mixed-box".into(),
                "mixed-box".into(),
            )
        })
        .collect();
    assert_eq!(rows, want);
    let jobs: i64 = sqlx::query_scalar("select count(*) from job")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(jobs, 3 * n, "every job belongs to one of the three models");
    let backends: Vec<(String, String)> = sqlx::query_as(
        "select distinct m.slug, g.params from generation g join model m on m.id = g.model_id",
    )
    .fetch_all(&mut db)
    .await
    .unwrap();
    for (slug, params) in backends {
        let params: serde_json::Value = serde_json::from_str(&params).unwrap();
        let drawn_by = match slug.as_str() {
            CANDLE => params["backend"] == "candle" && params["steps"] == CANDLE_STEPS,
            OPENAI => params["backend"] == "openai" && params["model"] == "b64",
            _ => params["generator"].is_string(),
        };
        assert!(drawn_by, "{slug}: {params}");
    }

    // The provider was asked once per prompt, at the arena's size.
    let asked = provider.requests();
    assert_eq!(asked.len(), setup.prompts.len(), "{asked:?}");
    for request in &asked {
        assert_eq!(
            (request["model"].as_str(), request["size"].as_str()),
            (Some("b64"), Some("64x64"))
        );
        assert!(
            setup
                .prompts
                .iter()
                .any(|p| request["prompt"] == p.as_str()),
            "{request}"
        );
    }
    assert_eq!(worker.count("uploaded"), 3 * n as usize);
    assert_eq!(worker.count("generation failed"), 0);

    // All three models' images reach voters.
    let mut voter = Voter::new();
    let mut shown = std::collections::BTreeSet::new();
    for _ in 0..60 {
        let (_, pair, _) = battle_and_reveal(&mut voter, &setup.arena.base).await;
        shown.extend(pair);
        if shown.len() == 3 {
            break;
        }
    }
    let all: std::collections::BTreeSet<String> = expected.keys().map(|m| m.to_string()).collect();
    assert_eq!(shown, all);

    assert!(worker.terminate().success());
}
