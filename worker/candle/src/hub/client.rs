//! HTTP to the hub: the repository's file list, and one file at a time into a blob of
//! the cache, with each refusal turned into the [`HubError`] it means.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Deserialize;

use super::cache::RepoCache;
use super::{Hub, HubError, is_relative_path};

/// How often a long download logs its progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// `GET /api/models/REPO/revision/REV?blobs=true`, the fields used.
#[derive(Deserialize)]
struct RepoInfo {
    sha: String,
    #[serde(default)]
    siblings: Vec<Sibling>,
}

/// A file of the repository. With `blobs=true` the hub says its blob id and size.
#[derive(Deserialize, Clone, Debug)]
pub(super) struct Sibling {
    rfilename: String,
    #[serde(rename = "blobId", default)]
    blob_id: Option<String>,
    #[serde(default)]
    size: Option<u64>,
    #[serde(default)]
    lfs: Option<Lfs>,
}

#[derive(Deserialize, Clone, Debug)]
struct Lfs {
    sha256: String,
    #[serde(default)]
    size: Option<u64>,
}

impl Sibling {
    /// The name `huggingface_hub` gives the blob: the LFS sha256, else the git blob id.
    fn blob(&self) -> Option<&str> {
        let lfs = self.lfs.as_ref().map(|l| l.sha256.as_str());
        lfs.or(self.blob_id.as_deref()).filter(|id| is_blob_id(id))
    }

    pub(super) fn size(&self) -> Option<u64> {
        self.lfs.as_ref().and_then(|l| l.size).or(self.size)
    }
}

/// The file list and commit, checked: both name things in the cache.
pub(super) struct Listing {
    pub sha: String,
    pub files: BTreeMap<String, Sibling>,
}

/// HTTP to the hub, on a runtime of its own.
pub(super) struct Client<'a> {
    http: reqwest::Client,
    runtime: tokio::runtime::Runtime,
    hub: &'a Hub,
    pub repo: &'a str,
    pub cache: &'a RepoCache,
}

impl<'a> Client<'a> {
    pub(super) fn new(hub: &'a Hub, repo: &'a str, cache: &'a RepoCache) -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the download runtime")?;
        // No overall timeout: weights take minutes. A stalled connection fails instead.
        let http = reqwest::Client::builder()
            .user_agent(concat!("arena-worker/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30))
            .read_timeout(Duration::from_secs(120))
            .build()
            .context("cannot build the HTTP client")?;
        Ok(Self {
            http,
            runtime,
            hub,
            repo,
            cache,
        })
    }

    pub(super) fn repo_info(&self, revision: &str) -> Result<Listing, HubError> {
        let url = format!(
            "{}/api/models/{}/revision/{}?blobs=true",
            self.hub.endpoint,
            self.repo,
            encode(revision, false)
        );
        let bad = |detail: String| HubError::BadAnswer {
            url: url.clone(),
            detail,
        };
        let info: RepoInfo = self.runtime.block_on(async {
            let response = self.get(&url, revision, None).await?;
            let body = response.bytes().await.map_err(|e| bad(chain(&e)))?;
            serde_json::from_slice(&body).map_err(|e| bad(e.to_string()))
        })?;
        if info.sha.is_empty() || !info.sha.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad(format!("`{}` is not a commit hash", info.sha)));
        }
        // A name that would leave the snapshot folder is no file the loaders read.
        let files = info
            .siblings
            .into_iter()
            .filter(|s| is_relative_path(&s.rfilename))
            .map(|s| (s.rfilename.clone(), s))
            .collect();
        Ok(Listing {
            sha: info.sha,
            files,
        })
    }

    /// A GET with the token; an answer other than success becomes the error it means.
    async fn get(
        &self,
        url: &str,
        revision: &str,
        path: Option<&str>,
    ) -> Result<reqwest::Response, HubError> {
        let mut request = self.http.get(url);
        if let Some(token) = &self.hub.token {
            // reqwest drops it when a redirect leaves the hub's host (for the CDN).
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| HubError::Unreachable {
            repo: self.repo.into(),
            cache: self.hub.cache_dir.clone(),
            cause: chain(&e),
        })?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(self.refusal(&response, url, revision, path))
    }

    /// The hub says which 401/404 it is in `X-Error-Code`; the status says the rest.
    fn refusal(
        &self,
        response: &reqwest::Response,
        url: &str,
        revision: &str,
        path: Option<&str>,
    ) -> HubError {
        let status = response.status().as_u16();
        let code = response
            .headers()
            .get("x-error-code")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let repo = self.repo.to_string();
        let file = |path: &str| HubError::FileNotFound {
            repo: repo.clone(),
            path: path.into(),
        };
        match (code, status, path) {
            ("RepoNotFound", _, _) => HubError::RepoNotFound { repo },
            ("RevisionNotFound", _, _) => HubError::RevisionNotFound {
                repo,
                revision: revision.into(),
            },
            ("EntryNotFound", _, Some(path)) | (_, 404, Some(path)) => file(path),
            ("GatedRepo", _, _) | (_, 401 | 403, _) => HubError::Denied { repo, status },
            (_, 404, None) => HubError::NotFound {
                repo,
                revision: revision.into(),
            },
            _ => HubError::Status {
                status,
                url: url.into(),
            },
        }
    }

    /// Makes the blob of `rel` complete in the cache (fetching it unless another
    /// snapshot already did) and returns its id.
    pub(super) fn download(
        &self,
        revision: &str,
        commit: &str,
        rel: &str,
        sibling: &Sibling,
    ) -> Result<String, HubError> {
        if let Some(id) = sibling.blob()
            && self.cache.blob(id).is_file()
        {
            return Ok(id.to_string());
        }
        let url = format!(
            "{}/{}/resolve/{commit}/{}",
            self.hub.endpoint,
            self.repo,
            encode(rel, true)
        );
        self.runtime.block_on(async {
            let response = self.get(&url, revision, Some(rel)).await?;
            let id = match sibling.blob() {
                Some(id) => id.to_string(),
                None => etag(&response).ok_or_else(|| HubError::BadAnswer {
                    url: url.clone(),
                    detail: format!("no blob id in the file list and no ETag for {rel}"),
                })?,
            };
            let blob = self.cache.blob(&id);
            if blob.is_file() {
                return Ok(id);
            }
            let temp = self.cache.incomplete_blob(&id);
            let cache_error = |path: &Path| {
                let path = path.to_path_buf();
                move |source| HubError::Cache { path, source }
            };
            if let Some(parent) = temp.parent() {
                std::fs::create_dir_all(parent).map_err(cache_error(parent))?;
            }
            let expected = response.content_length().or(sibling.size());
            if let Err(e) = write_body(response, &temp, rel, expected, sibling.size()).await {
                let _ = std::fs::remove_file(&temp);
                return Err(e);
            }
            std::fs::rename(&temp, &blob).map_err(cache_error(&blob))?;
            Ok(id)
        })
    }
}

/// Streams a body into `temp`, checking its length against Content-Length and the
/// size the file list gave.
async fn write_body(
    mut response: reqwest::Response,
    temp: &Path,
    rel: &str,
    expected: Option<u64>,
    listed: Option<u64>,
) -> Result<(), HubError> {
    let cache_error = |source| HubError::Cache {
        path: temp.to_path_buf(),
        source,
    };
    let mut file = std::io::BufWriter::new(std::fs::File::create(temp).map_err(cache_error)?);
    let (started, mut logged) = (Instant::now(), Instant::now());
    let mut got = 0u64;
    let truncated = |got: u64, cause: String| HubError::Truncated {
        path: rel.into(),
        got,
        expected: expected.unwrap_or(got),
        cause,
    };
    loop {
        match response.chunk().await {
            Ok(Some(bytes)) => {
                file.write_all(&bytes).map_err(cache_error)?;
                got += bytes.len() as u64;
            }
            Ok(None) => break,
            Err(e) => return Err(truncated(got, chain(&e))),
        }
        if logged.elapsed() >= PROGRESS_EVERY {
            logged = Instant::now();
            tracing::info!(
                file.path = rel,
                downloaded_mb = mb(got),
                size_mb = expected.map(mb),
                "fetching"
            );
        }
    }
    if let Some(expected) = expected
        && got != expected
    {
        return Err(truncated(got, "the body and Content-Length differ".into()));
    }
    if let Some(listed) = listed
        && got != listed
    {
        return Err(HubError::Truncated {
            path: rel.into(),
            got,
            expected: listed,
            cause: "the file list gives another size".into(),
        });
    }
    let file = file.into_inner().map_err(|e| cache_error(e.into_error()))?;
    // On disk before it is renamed complete.
    file.sync_all().map_err(cache_error)?;
    tracing::info!(
        file.path = rel,
        size_mb = mb(got),
        duration_ms = started.elapsed().as_millis() as u64,
        "fetched"
    );
    Ok(())
}

/// The blob id in `X-Linked-Etag` (LFS files) or `ETag`, unquoted.
fn etag(response: &reqwest::Response) -> Option<String> {
    let headers = response.headers();
    let value = headers
        .get("x-linked-etag")
        .or_else(|| headers.get(reqwest::header::ETAG))?
        .to_str()
        .ok()?;
    let id = value.trim().trim_start_matches("W/").trim_matches('"');
    is_blob_id(id).then(|| id.to_string())
}

/// Blob ids name files in `blobs/`: hex hashes, or an ETag of letters, digits and `-`.
fn is_blob_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Percent-encodes a URL path part (keeping `/` between a file's folders).
fn encode(text: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || (keep_slash && b == b'/') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// An error and its causes on one line (reqwest's own message omits the cause).
fn chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// Bytes as megabytes with one decimal, for logs.
pub(super) fn mb(bytes: u64) -> f64 {
    (bytes as f64 / 100_000.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_and_paths_are_percent_encoded_for_urls() {
        assert_eq!(encode("refs/pr/1", false), "refs%2Fpr%2F1");
        assert_eq!(encode("unet/a b#.json", true), "unet/a%20b%23.json");
    }

    #[test]
    fn lfs_files_are_named_by_their_sha256_and_others_by_their_blob_id() {
        let sibling: Sibling = serde_json::from_str(
            r#"{"rfilename": "w.safetensors", "blobId": "abc", "size": 100,
                "lfs": {"sha256": "e3b0c442", "size": 7}}"#,
        )
        .unwrap();
        assert_eq!(
            (sibling.blob(), sibling.size()),
            (Some("e3b0c442"), Some(7))
        );
        let sibling: Sibling =
            serde_json::from_str(r#"{"rfilename": "c.json", "blobId": "../x"}"#).unwrap();
        assert_eq!(
            sibling.blob(),
            None,
            "an id that is no file name is not used"
        );
    }
}
