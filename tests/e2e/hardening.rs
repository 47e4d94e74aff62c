//! The real binary against clients that misbehave, on SQLite and on Postgres: a client
//! that sends half a request line and stalls is disconnected after the header-read
//! timeout while other clients are served; SIGTERM lets a request in flight finish.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::arena::{ArenaProcess, Voter};
use crate::support::{self, Backend};
use crate::workers::add_worker;

/// Seconds the test arenas give a client to send its headers.
const HEADER_TIMEOUT_SECS: u64 = 2;

fn write_config(dir: &Path, extra: &str) {
    std::fs::write(
        dir.join("arena.toml"),
        format!(
            "image_size = 128\n{extra}\n[http]\nheader_read_timeout_secs = {HEADER_TIMEOUT_SECS}\n"
        ),
    )
    .unwrap();
}

fn host_port(base: &str) -> &str {
    base.strip_prefix("http://").unwrap()
}

/// Waits for the server to close `stream`: the time it took, or `None` if it stayed
/// open for `limit`.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Err(_) => return None,
            // EOF or a reset: the server hung up. Any bytes before it are a 408 at most.
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(n)) => {
                let text = String::from_utf8_lossy(&buf[..n]);
                assert!(
                    text.starts_with("HTTP/1.1 408"),
                    "a stalled request got an answer: {text}"
                );
            }
        }
    }
}

async fn a_stalled_client_is_disconnected_while_others_are_served(backend: Backend) {
    let dir = support::temp_dir("arena-hardening-e2e");
    let Some((url, _db)) = support::database(backend, &dir).await else {
        return;
    };
    write_config(&dir, "");
    let arena = ArenaProcess::start(&url, &dir).await;

    // Slow clients: half a request line each, then nothing.
    let mut stalled = Vec::new();
    for _ in 0..8 {
        let mut stream = TcpStream::connect(host_port(&arena.base)).await.unwrap();
        stream.write_all(b"POST /api/v1/batt").await.unwrap();
        stalled.push((stream, Instant::now()));
    }

    // Everyone else is served while they stall.
    let mut voter = Voter::new();
    for winner in ["a", "b", "tie"] {
        let started = Instant::now();
        let (status, battle) = voter
            .post(
                &format!("{}/api/v1/battles", arena.base),
                serde_json::json!({}),
            )
            .await
            .unwrap();
        assert_eq!(status, 201, "{battle}");
        let id = battle["id"].as_str().unwrap();
        let (status, reveal) = voter
            .post(
                &format!("{}/api/v1/battles/{id}/vote", arena.base),
                serde_json::json!({ "winner": winner }),
            )
            .await
            .unwrap();
        assert_eq!(status, 200, "{reveal}");
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    // And the stalled ones are cut off after the header timeout, not before.
    for (stream, since) in &mut stalled {
        let waited = since.elapsed();
        let more = closed_within(stream, Duration::from_secs(HEADER_TIMEOUT_SECS + 5))
            .await
            .expect("a stalled client kept its connection past the header timeout");
        let total = waited + more;
        assert!(
            total >= Duration::from_millis(HEADER_TIMEOUT_SECS * 1000 - 300),
            "cut off after {total:?}, before the timeout"
        );
    }

    // A request that arrives whole, even slowly, is still answered.
    let mut slow = TcpStream::connect(host_port(&arena.base)).await.unwrap();
    for part in ["GET /healthz HTTP/1.1\r\n", "Host: arena\r\n", "\r\n"] {
        slow.write_all(part.as_bytes()).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let mut answer = vec![0u8; 256];
    let n = tokio::time::timeout(Duration::from_secs(5), slow.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn a_client_that_stalls_mid_request_line_is_disconnected_while_others_are_served_on_sqlite() {
    a_stalled_client_is_disconnected_while_others_are_served(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_client_that_stalls_mid_request_line_is_disconnected_while_others_are_served_on_postgres()
{
    a_stalled_client_is_disconnected_while_others_are_served(Backend::Postgres).await;
}

async fn sigterm_lets_a_request_in_flight_finish(backend: Backend) {
    let dir = support::temp_dir("arena-hardening-e2e");
    let Some((url, _db)) = support::database(backend, &dir).await else {
        return;
    };
    // No prompts, no embedded worker: a lease waits its whole long poll.
    write_config(&dir, "default_prompts = false");
    let token = add_worker("w1", &url, &dir);
    let mut arena = ArenaProcess::spawn(&url, &dir, &["--no-embedded-worker"]).await;
    let lease = {
        let url = format!("{}/api/v1/worker/lease", arena.base);
        tokio::spawn(async move {
            let started = Instant::now();
            let r = reqwest::Client::new()
                .post(url)
                .bearer_auth(token)
                .json(&serde_json::json!({ "models": ["demo-faithful"], "wait_secs": 3 }))
                .send()
                .await
                .expect("the request in flight was cut off");
            let status = r.status().as_u16();
            let body: serde_json::Value = r.json().await.unwrap();
            (status, body, started.elapsed())
        })
    };
    tokio::time::sleep(Duration::from_millis(800)).await;
    let pid = arena.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );

    let (status, body, took) = lease.await.unwrap();
    assert_eq!(
        (status, &body["job"]),
        (200, &serde_json::Value::Null),
        "{body}"
    );
    assert!(
        took >= Duration::from_millis(2500),
        "the long poll ended early: {took:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(status) = arena.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            Instant::now() < deadline,
            "the arena did not stop after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}");
}

#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_on_sqlite() {
    sigterm_lets_a_request_in_flight_finish(Backend::Sqlite).await;
}

#[tokio::test]
async fn sigterm_lets_a_request_in_flight_finish_on_postgres() {
    sigterm_lets_a_request_in_flight_finish(Backend::Postgres).await;
}
