//! A real S3-compatible server for the tests: moto's server mode (`moto_server`, from
//! PyPI's `moto[server]`, which `.ci/run` installs), started on a free port per test
//! and stopped when dropped. It speaks the S3 REST protocol over HTTP as AWS does, so
//! the image store talks to it through the same client code as to a real bucket.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::skip_or_fail;

/// Credentials moto accepts (it checks nothing, but the client signs every request).
pub const ACCESS_KEY_ID: &str = "arena-test";
pub const SECRET_ACCESS_KEY: &str = "arena-test-secret";

pub struct S3Server {
    pub endpoint: String,
    child: Child,
}

impl S3Server {
    /// Starts a server, or returns `None` after a loud message when `moto_server` is
    /// not installed outside CI (under CI a missing server fails the test).
    pub async fn start() -> Option<S3Server> {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let program =
            std::env::var("ARENA_TEST_MOTO_SERVER").unwrap_or_else(|_| "moto_server".into());
        let child = match Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                skip_or_fail(&format!(
                    "an S3-compatible server ({program}: {e}; `pip install 'moto[server]'`)"
                ));
                return None;
            }
        };
        let server = S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        };
        let client = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if client.get(&server.endpoint).send().await.is_ok() {
                return Some(server);
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto_server did not answer on {} within 30 s",
                server.endpoint
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Creates a bucket (moto takes an unsigned `PUT /bucket`).
    pub async fn create_bucket(&self, name: &str) {
        let response = reqwest::Client::new()
            .put(format!("{}/{name}", self.endpoint))
            .send()
            .await
            .expect("creating the bucket");
        assert!(
            response.status().is_success(),
            "creating bucket {name}: {}",
            response.status()
        );
    }

    /// The object keys in `bucket` (one listing page: tests keep fewer than 1,000).
    pub async fn keys(&self, bucket: &str) -> Vec<String> {
        let body = reqwest::Client::new()
            .get(format!("{}/{bucket}?list-type=2", self.endpoint))
            .send()
            .await
            .expect("listing the bucket")
            .text()
            .await
            .unwrap();
        let mut keys: Vec<String> = body
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</Key>").map(|(k, _)| k.to_string()))
            .collect();
        keys.sort();
        keys
    }

    /// Config-file lines that keep images in `bucket/prefix` of this server: top-level
    /// keys (`s3.…` dotted), so they go before any `[table]`.
    pub fn config_lines(&self, bucket: &str, prefix: &str) -> String {
        format!(
            "image_store = \"s3://{bucket}/{prefix}\"\ns3.endpoint = \"{}\"\ns3.region = \"us-east-1\"\n\
             s3.access_key_id = \"{ACCESS_KEY_ID}\"\ns3.secret_access_key = \"{SECRET_ACCESS_KEY}\"\n",
            self.endpoint
        )
    }

    /// Stops the server now (as an outage would).
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        self.stop();
    }
}
