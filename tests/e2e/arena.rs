//! Starting and stopping the real `arena` binary.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{LazyLock, mpsc};
use std::time::{Duration, Instant};

/// The `arena` binary under test: `ARENA_BIN` when set — CI builds the binary the
/// README runs (`cargo build --release`) and tests that one — else the one `cargo test`
/// built beside the tests.
pub static BIN: LazyLock<PathBuf> = LazyLock::new(|| {
    std::env::var_os("ARENA_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(BUILT))
});

/// Where `cargo test` built `arena`; `arena-worker` and the examples are beside it.
pub const BUILT: &str = env!("CARGO_BIN_EXE_arena");

/// A running `arena serve`, killed when dropped.
pub struct ArenaProcess {
    pub child: Child,
    pub base: String,
}

impl ArenaProcess {
    /// Starts the arena on a free port with a small image size and waits until it
    /// serves battles.
    pub async fn start(database_url: &str, data_dir: &Path) -> ArenaProcess {
        let process = ArenaProcess::spawn(database_url, data_dir, &[]).await;
        process.wait_for_battles().await;
        process
    }

    /// Starts the arena with `extra` arguments and returns once it listens (battles may
    /// need a worker first).
    pub async fn spawn(database_url: &str, data_dir: &Path, extra: &[&str]) -> ArenaProcess {
        let config = data_dir.join("arena.toml");
        if !config.exists() {
            // The tests vote over the API without fetching images first.
            std::fs::write(&config, "image_size = 128\nmin_view_ms = 0\n").unwrap();
        }
        let mut child = Command::new(&*BIN)
            .args(["serve", "--bind", "127.0.0.1:0"])
            .args(extra)
            .arg("--database-url")
            .arg(database_url)
            .arg("--data-dir")
            .arg(data_dir)
            .arg("--config")
            .arg(&config)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting the arena binary");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(at) = line.find("Arena is running at http://") {
                    let url = line[at + "Arena is running at ".len()..]
                        .split_whitespace()
                        .next()
                        .unwrap();
                    let _ = tx.send(url.to_string());
                }
                eprintln!("[arena] {line}");
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let base = loop {
            match rx.try_recv() {
                Ok(base) => break base,
                Err(mpsc::TryRecvError::Empty) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => panic!("the arena did not report its address ({e}); see its log above"),
            }
        };
        ArenaProcess { child, base }
    }

    pub async fn wait_for_battles(&self) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let client = reqwest::Client::new();
        loop {
            let r = client
                .post(format!("{}/api/v1/battles", self.base))
                .json(&serde_json::json!({}))
                .send()
                .await;
            if matches!(&r, Ok(r) if r.status() == 201) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no battle was ready within 120 s: {r:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// SIGKILL: no shutdown handler runs.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for ArenaProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary to completion: (exit code, stdout, stderr).
pub fn run(args: &[&str], data_dir: &Path) -> (i32, String, String) {
    let out = Command::new(&*BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A client that keeps one voter cookie across servers, like a browser would.
pub struct Voter {
    http: reqwest::Client,
    pub cookie: Option<String>,
}

impl Voter {
    pub fn new() -> Voter {
        Voter {
            http: reqwest::Client::new(),
            cookie: None,
        }
    }

    pub async fn post(
        &mut self,
        url: &str,
        body: serde_json::Value,
    ) -> reqwest::Result<(u16, serde_json::Value)> {
        let mut request = self.http.post(url).json(&body);
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c);
        }
        self.finish(request).await
    }

    /// Asks `base` for a battle and votes `winner` on it, expecting both to succeed.
    pub async fn battle_and_vote(&mut self, base: &str, winner: &str) {
        let (status, battle) = self
            .post(&format!("{base}/api/v1/battles"), serde_json::json!({}))
            .await
            .unwrap();
        assert_eq!(status, 201, "{battle}");
        let id = battle["id"].as_str().unwrap();
        let (status, body) = self
            .post(
                &format!("{base}/api/v1/battles/{id}/vote"),
                serde_json::json!({ "winner": winner }),
            )
            .await
            .unwrap();
        assert_eq!(status, 200, "{body}");
    }

    pub async fn get(&mut self, url: &str) -> reqwest::Result<(u16, serde_json::Value)> {
        let mut request = self.http.get(url);
        if let Some(c) = &self.cookie {
            request = request.header("cookie", c);
        }
        self.finish(request).await
    }

    async fn finish(
        &mut self,
        request: reqwest::RequestBuilder,
    ) -> reqwest::Result<(u16, serde_json::Value)> {
        let response = request.send().await?;
        if let Some(set) = response.headers().get("set-cookie") {
            self.cookie = Some(set.to_str().unwrap().split(';').next().unwrap().to_string());
        }
        let status = response.status().as_u16();
        let body = response.json().await.unwrap_or(serde_json::Value::Null);
        Ok((status, body))
    }
}

pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
