//! Fetching a snapshot over HTTP: the repository's file list from the hub's API
//! (`GET /api/models/REPO/revision/REV`), then each file the loaders read from
//! `GET /REPO/resolve/COMMIT/PATH` into the cache. Which files those are is decided by
//! the loaders' own code ([`needed_files`]) run against the file list.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;

use super::cache::RepoCache;
use super::client::{Client, Sibling, mb};
use super::{Hub, HubError};
use crate::folder::Files;
use crate::needed::needed_files;

/// Fetches what the loader reads of `repo` at `revision` into the cache; returns the
/// snapshot folder and its commit.
pub(super) fn fetch(
    hub: &Hub,
    cache: &RepoCache,
    repo: &str,
    revision: &str,
) -> anyhow::Result<(PathBuf, String)> {
    // A worker loads its models on a tokio runtime's thread, where another runtime
    // cannot block: the download gets a thread (and a runtime) of its own.
    std::thread::scope(|s| {
        s.spawn(|| fetch_here(hub, cache, repo, revision))
            .join()
            .unwrap_or_else(|_| Err(anyhow::anyhow!("the download thread panicked")))
    })
    .with_context(|| {
        format!(
            "cannot fetch `{repo}` (revision {revision}) from the hub at {}",
            hub.endpoint
        )
    })
}

fn fetch_here(
    hub: &Hub,
    cache: &RepoCache,
    repo: &str,
    revision: &str,
) -> anyhow::Result<(PathBuf, String)> {
    let client = Client::new(hub, repo, cache)?;
    let info = client.repo_info(revision)?;
    let remote = Remote {
        client: &client,
        revision,
        commit: info.sha,
        files: info.files,
    };
    // Reading the file list through the loaders' code fetches the small files it reads
    // (model_index.json, shard indexes) on the way.
    let needed = needed_files(&remote)?;
    let size: u64 = needed
        .iter()
        .filter_map(|f| remote.files.get(f).and_then(Sibling::size))
        .sum();
    tracing::info!(
        hub.repo = repo,
        hub.revision = revision,
        hub.commit = %remote.commit,
        files = needed.len(),
        size_mb = mb(size),
        "fetching the model from the hub"
    );
    for rel in &needed {
        remote.local(rel)?;
    }
    cache
        .write_ref(revision, &remote.commit)
        .map_err(|source| HubError::Cache {
            path: cache.dir.join("refs").join(revision),
            source,
        })?;
    Ok((cache.snapshot(&remote.commit), remote.commit))
}

/// The repository as the loaders see it before its files are here: the hub's file
/// list says what exists, and reading a file fetches it into the snapshot.
struct Remote<'a> {
    client: &'a Client<'a>,
    revision: &'a str,
    commit: String,
    files: BTreeMap<String, Sibling>,
}

impl Files for Remote<'_> {
    fn describe(&self) -> String {
        format!(
            "hub repository `{}` (commit {})",
            self.client.repo, self.commit
        )
    }

    fn has(&self, rel: &str) -> bool {
        self.files.contains_key(rel)
    }

    fn top_level(&self) -> Vec<String> {
        self.files
            .keys()
            .filter(|k| !k.contains('/'))
            .cloned()
            .collect()
    }

    fn local(&self, rel: &str) -> anyhow::Result<PathBuf> {
        let Some(sibling) = self.files.get(rel) else {
            return Err(self.missing(rel));
        };
        let cache = self.client.cache;
        let path = cache.snapshot(&self.commit).join(rel);
        if path.is_file() {
            return Ok(path);
        }
        let id = self
            .client
            .download(self.revision, &self.commit, rel, sibling)?;
        let path = cache
            .link(&self.commit, rel, &id)
            .map_err(|source| HubError::Cache { path, source })?;
        Ok(path)
    }
}
