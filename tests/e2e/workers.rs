//! Real `arena-worker` processes against a real `arena serve` on Postgres: three
//! workers do every job exactly once; a worker killed with SIGKILL mid-job has its job
//! leased again after the lease expires, and the job completes.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::Connection;

use crate::arena::{ArenaProcess, BUILT, run};
use crate::support;

pub const ADMIN_TOKEN: &str = "e2e-admin-token-of-at-least-32-characters";

/// The `arena-worker` binary beside `arena` (built by `cargo test --workspace`, or
/// `cargo build -p arena-worker`), or `None` after a loud message.
pub fn worker_bin() -> Option<PathBuf> {
    let path = Path::new(BUILT).with_file_name("arena-worker");
    if path.exists() {
        Some(path)
    } else {
        support::skip_or_fail(&format!(
            "the arena-worker binary at {} (cargo build -p arena-worker)",
            path.display()
        ));
        None
    }
}

/// A running `arena-worker`, killed when dropped; its log lines are kept.
pub struct WorkerProcess {
    pub child: Child,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl WorkerProcess {
    pub fn start(
        bin: &Path,
        name: &str,
        server: &str,
        token: &str,
        config: &Path,
    ) -> WorkerProcess {
        let mut child = Command::new(bin)
            .args(["--server", server, "--token", token, "--config"])
            .arg(config)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting arena-worker");
        let log: Arc<Mutex<Vec<String>>> = Arc::default();
        let (stderr, lines, name) = (child.stderr.take().unwrap(), log.clone(), name.to_string());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[{name}] {line}");
                lines.lock().unwrap().push(line);
            }
        });
        WorkerProcess { child, log }
    }

    pub fn count(&self, needle: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }

    /// SIGTERM, then the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the worker did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for WorkerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `arena workers add NAME`: the token on the last line of stdout.
pub fn add_worker(name: &str, database_url: &str, dir: &Path) -> String {
    let (code, out, err) = run(
        &["workers", "add", name, "--database-url", database_url],
        dir,
    );
    assert_eq!(code, 0, "{err}");
    out.trim().lines().last().unwrap().to_string()
}

/// A worker.toml serving `models` with the demo backend, each image taking
/// `steps` × `delay_ms`.
pub fn demo_config(dir: &Path, file: &str, models: &[&str], steps: u32, delay_ms: u64) -> PathBuf {
    let mut text = String::from("wait_secs = 2\nshutdown_grace_secs = 10\n");
    for m in models {
        text.push_str(&format!(
            "[[models]]\nslug = \"{m}\"\nbackend = \"demo\"\nsteps = {steps}\nstep_delay_ms = {delay_ms}\n"
        ));
    }
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path
}

/// A data dir whose config has `extra` lines and whose database holds `prompts`.
pub fn prepare(dir: &Path, database_url: &str, extra: &str, prompts: &[String]) {
    std::fs::write(
        dir.join("arena.toml"),
        format!(
            "image_size = 64\ndefault_prompts = false\nmin_view_ms = 0\nadmin_token = \"{ADMIN_TOKEN}\"\n{extra}"
        ),
    )
    .unwrap();
    let file = dir.join("prompts.jsonl");
    let lines: Vec<String> = prompts
        .iter()
        .map(|p| serde_json::json!({ "text": p, "category": "e2e" }).to_string())
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();
    let (code, _, err) = run(
        &[
            "prompts",
            "import",
            file.to_str().unwrap(),
            "--database-url",
            database_url,
        ],
        dir,
    );
    assert_eq!(code, 0, "{err}");
}

/// Jobs of one model per state.
#[derive(Debug)]
pub struct Counts {
    pub queued: i64,
    pub leased: i64,
    pub done: i64,
    pub failed: i64,
}

/// Jobs per state of each model, from the admin JSON.
pub async fn queue_by_model(base: &str) -> BTreeMap<String, Counts> {
    let report: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/api/v1/admin/queue"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let n = |m: &serde_json::Value, key: &str| m[key].as_i64().unwrap();
    report["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let counts = Counts {
                queued: n(m, "queued"),
                leased: n(m, "leased"),
                done: n(m, "done"),
                failed: n(m, "failed"),
            };
            (m["model"].as_str().unwrap().to_string(), counts)
        })
        .collect()
}

/// Jobs per state over all models: (queued, leased, done, failed).
pub async fn queue_totals(base: &str) -> (i64, i64, i64, i64) {
    queue_by_model(base)
        .await
        .values()
        .fold((0, 0, 0, 0), |t, c| {
            (t.0 + c.queued, t.1 + c.leased, t.2 + c.done, t.3 + c.failed)
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn three_concurrent_workers_do_every_job_exactly_once_on_postgres() {
    let Some(bin) = worker_bin() else { return };
    let dir = support::temp_dir("arena-workers");
    let Some((url, _db)) = support::database(support::Backend::Postgres, &dir).await else {
        return;
    };
    let prompts: Vec<String> = (0..20)
        .map(|i| format!("a lantern number {i} in the fog"))
        .collect();
    // One pool image per (prompt, model): 100 jobs.
    prepare(&dir, &url, "[queue]\npool_images = 1\n", &prompts);
    let arena = ArenaProcess::spawn(&url, &dir, &["--no-embedded-worker"]).await;
    let config = demo_config(&dir, "worker.toml", &support::demo_slugs(), 2, 15);
    let workers: Vec<WorkerProcess> = (1..=3)
        .map(|i| {
            let name = format!("worker-{i}");
            let token = add_worker(&name, &url, &dir);
            WorkerProcess::start(&bin, &name, &arena.base, &token, &config)
        })
        .collect();

    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let (queued, leased, done, failed) = queue_totals(&arena.base).await;
        assert_eq!(failed, 0);
        if done == 100 && queued == 0 && leased == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not drained: {queued} queued, {leased} leased, {done} done"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    arena.wait_for_battles().await;

    // Each job leased once, done once, with its own image; each worker took a share.
    let mut db = sqlx::PgConnection::connect(&url).await.unwrap();
    let (jobs, done, single, images): (i64, i64, i64, i64) = sqlx::query_as(
        "select count(*), count(*) filter (where state = 'done'), count(*) filter (where attempts = 1), \
         count(distinct generation_id) from job",
    )
    .fetch_one(&mut db)
    .await
    .unwrap();
    assert_eq!((jobs, done, single, images), (100, 100, 100, 100));
    let generations: i64 = sqlx::query_scalar("select count(*) from generation")
        .fetch_one(&mut db)
        .await
        .unwrap();
    assert_eq!(generations, 100);
    let uploads: Vec<usize> = workers.iter().map(|w| w.count("uploaded")).collect();
    assert_eq!(uploads.iter().sum::<usize>(), 100, "{uploads:?}");
    assert!(
        uploads.iter().all(|n| *n > 0),
        "a worker did nothing: {uploads:?}"
    );

    // SIGTERM while idle: a clean exit.
    for w in workers {
        assert!(w.terminate().success());
    }
}

/// One prompt's jobs on Postgres, served by an arena without its embedded worker, with
/// `[queue] lease_secs`; `None` after a loud message when a part is missing. Fields
/// drop in order: the arena stops before its database is dropped.
struct OneJob {
    arena: ArenaProcess,
    db: sqlx::PgConnection,
    bin: PathBuf,
    dir: PathBuf,
    url: String,
    _db: Option<support::PgDb>,
}

impl OneJob {
    async fn start(lease_secs: u64, prompt: &str) -> Option<OneJob> {
        let bin = worker_bin()?;
        let dir = support::temp_dir("arena-workers");
        let (url, pg) = support::database(support::Backend::Postgres, &dir).await?;
        prepare(
            &dir,
            &url,
            &format!("[queue]\nlease_secs = {lease_secs}\npool_images = 1\n"),
            &[prompt.to_string()],
        );
        let arena = ArenaProcess::spawn(&url, &dir, &["--no-embedded-worker"]).await;
        let db = sqlx::PgConnection::connect(&url).await.unwrap();
        Some(OneJob {
            arena,
            db,
            bin,
            dir,
            url,
            _db: pg,
        })
    }

    /// A new worker called `name` serving demo-faithful, each image taking
    /// `steps` × `delay_ms`; with its token.
    fn worker(&self, name: &str, steps: u32, delay_ms: u64) -> (WorkerProcess, String) {
        let config = demo_config(
            &self.dir,
            &format!("{name}.toml"),
            &["demo-faithful"],
            steps,
            delay_ms,
        );
        let token = add_worker(name, &self.url, &self.dir);
        let process = WorkerProcess::start(&self.bin, name, &self.arena.base, &token, &config);
        (process, token)
    }

    /// Waits until job `id` is done; (attempts, the name of the worker that did it).
    async fn done(&mut self, id: i64) -> (i32, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let (state, attempts, worker): (String, i32, String) = sqlx::query_as(
                "select j.state, j.attempts, w.name from job j join worker w on w.id = j.worker_id \
                 where j.id = $1",
            )
            .bind(id)
            .fetch_one(&mut self.db)
            .await
            .unwrap();
            if state == "done" {
                return (attempts, worker);
            }
            assert!(Instant::now() < deadline, "job {id} was not done ({state})");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_worker_killed_mid_job_has_its_job_leased_again_after_expiry_on_postgres() {
    let Some(mut t) = OneJob::start(2, "a fox under the moon").await else {
        return;
    };

    // A slow worker takes the job and heartbeats; then it is killed.
    let (victim, _) = t.worker("victim", 100, 100);
    let job_id = leased_with_progress(&mut t.db).await;
    let mut victim = victim;
    victim.child.kill().unwrap();
    victim.child.wait().unwrap();
    let killed_at = Instant::now();

    // The lease expires (2 s) and the job is queued again, its attempt counted.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (state, attempts): (String, i32) =
            sqlx::query_as("select state, attempts from job where id = $1")
                .bind(job_id)
                .fetch_one(&mut t.db)
                .await
                .unwrap();
        if state == "queued" {
            assert_eq!(attempts, 1);
            break;
        }
        assert_eq!(state, "leased");
        assert!(
            Instant::now() < deadline,
            "the expired lease was never returned to the queue"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        killed_at.elapsed() >= Duration::from_millis(500),
        "requeued before the lease could expire"
    );

    // Another worker leases it again and completes it.
    let (rescuer, _) = t.worker("rescuer", 1, 0);
    assert_eq!(t.done(job_id).await, (2, "rescuer".to_string()));
    assert!(rescuer.terminate().success());
}

/// The first leased job (its id) once the worker holding it has reported progress.
async fn leased_with_progress(db: &mut sqlx::PgConnection) -> i64 {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let leased: Option<(i64, Option<i32>)> =
            sqlx::query_as("select id, progress_step from job where state = 'leased'")
                .fetch_optional(&mut *db)
                .await
                .unwrap();
        if let Some((id, Some(step))) = leased
            && step > 0
        {
            return id;
        }
        assert!(
            Instant::now() < deadline,
            "the slow worker never reported progress"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Status code of a lease request with `token`.
async fn lease_status(base: &str, token: &str) -> u16 {
    reqwest::Client::new()
        .post(format!("{base}/api/v1/worker/lease"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "models": ["demo-faithful"], "wait_secs": 0 }))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoked_worker_stops_at_once_and_its_job_goes_to_another_on_postgres() {
    // Heartbeats every 4 s extend 12 s leases: the job must come back by the
    // revocation, not by expiry.
    let Some(mut t) = OneJob::start(12, "a heron in the reeds").await else {
        return;
    };
    let (old, old_token) = t.worker("old-box", 300, 100);
    let job_id = leased_with_progress(&mut t.db).await;

    let (code, out, err) = run(
        &["workers", "revoke", "old-box", "--database-url", &t.url],
        &t.dir,
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("revoked worker old-box; 1 leased job(s)"),
        "{out}"
    );
    let state: String = sqlx::query_scalar("select state from job where id = $1")
        .bind(job_id)
        .fetch_one(&mut t.db)
        .await
        .unwrap();
    assert_eq!(state, "queued");

    // Its next heartbeat is refused: the worker stops, saying why.
    let mut old = old;
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = old.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the revoked worker is still running"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(!status.success());
    assert!(old.count("refused this worker's token") > 0);
    assert_eq!(lease_status(&t.arena.base, &old_token).await, 401);
    let (_, list, _) = run(&["workers", "list", "--database-url", &t.url], &t.dir);
    let line = list.lines().find(|l| l.starts_with("old-box")).unwrap();
    assert!(line.contains("revoked"), "{list}");

    // Another worker does the job.
    let (new, _) = t.worker("new-box", 1, 0);
    assert_eq!(t.done(job_id).await.1, "new-box");
    assert!(new.terminate().success());

    // Rotating gives the revoked worker a working token again; the old one stays refused.
    let (code, out, err) = run(
        &["workers", "rotate", "old-box", "--database-url", &t.url],
        &t.dir,
    );
    assert_eq!(code, 0, "{err}");
    let new_token = out.trim().lines().last().unwrap();
    assert!(
        new_token.starts_with("arw_") && new_token != old_token,
        "{out}"
    );
    assert_eq!(lease_status(&t.arena.base, &old_token).await, 401);
    assert_eq!(lease_status(&t.arena.base, new_token).await, 200);

    let (code, _, err) = run(
        &["workers", "revoke", "no-such-box", "--database-url", &t.url],
        &t.dir,
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no worker called \"no-such-box\""), "{err}");
}

/// `arena workers add NAME --models a,b`: `list` shows what the token may serve,
/// `rotate` keeps it, and an unknown model adds no worker.
async fn workers_list_shows_the_models_a_token_may_serve(backend: support::Backend) {
    let dir = support::temp_dir("arena-workers-cli");
    let Some((url, _db)) = support::database(backend, &dir).await else {
        return;
    };
    let list_line = |name: &str| {
        let (code, out, err) = run(&["workers", "list", "--database-url", &url], &dir);
        assert_eq!(code, 0, "{err}");
        out.lines()
            .find(|l| l.starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} is not listed: {out}"))
            .to_string()
    };
    let args = [
        "workers",
        "add",
        "scoped",
        "--models",
        "demo-lowfi,demo-faithful",
    ];
    let (code, out, err) = run(&[&args[..], &["--database-url", &url]].concat(), &dir);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("may serve demo-faithful, demo-lowfi"), "{out}");
    assert!(
        out.trim().lines().last().unwrap().starts_with("arw_"),
        "{out}"
    );
    add_worker("anything", &url, &dir);
    assert!(list_line("scoped").contains(" demo-faithful,demo-lowfi "));
    assert!(list_line("anything").contains(" all "));

    let (code, _, err) = run(
        &["workers", "rotate", "scoped", "--database-url", &url],
        &dir,
    );
    assert_eq!(code, 0, "{err}");
    assert!(list_line("scoped").contains(" demo-faithful,demo-lowfi "));

    let args = ["workers", "add", "typo", "--models", "demo-nope"];
    let (code, _, err) = run(&[&args[..], &["--database-url", &url]].concat(), &dir);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no model [\"demo-nope\"]"), "{err}");
    let (_, out, _) = run(&["workers", "list", "--database-url", &url], &dir);
    assert!(!out.contains("typo"), "{out}");
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_list_shows_the_models_a_token_may_serve_on_sqlite() {
    workers_list_shows_the_models_a_token_may_serve(support::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_list_shows_the_models_a_token_may_serve_on_postgres() {
    workers_list_shows_the_models_a_token_may_serve(support::Backend::Postgres).await;
}
