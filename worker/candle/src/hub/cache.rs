//! The Hugging Face cache layout of one repository, as `huggingface_hub` writes it:
//!
//! ```text
//! models--ORG--NAME/blobs/ID                 each file once (ID: LFS sha256 or git blob id)
//! models--ORG--NAME/snapshots/COMMIT/PATH    a relative link to ../../blobs/ID (or a copy)
//! models--ORG--NAME/refs/REVISION            the commit a branch or tag stood at
//! ```
//!
//! A blob appears under its name only once complete, a snapshot entry only once its blob
//! has, and a ref only once every file of the snapshot has: a killed download never
//! leaves a file that looks finished.

use std::io;
use std::path::{Path, PathBuf};

/// One repository's folder in the cache.
#[derive(Clone, Debug)]
pub(crate) struct RepoCache {
    pub dir: PathBuf,
}

impl RepoCache {
    pub fn new(cache_dir: &Path, repo: &str) -> Self {
        Self {
            dir: cache_dir.join(format!("models--{}", repo.replace('/', "--"))),
        }
    }

    /// The snapshot `revision` names (through `refs/`, else as a commit) if it exists.
    pub fn lookup(&self, revision: &str) -> Option<(PathBuf, String)> {
        let commit = match std::fs::read_to_string(self.dir.join("refs").join(revision)) {
            Ok(commit) => commit.trim().to_string(),
            Err(_) => revision.to_string(),
        };
        let snapshot = self.snapshot(&commit);
        snapshot.is_dir().then_some((snapshot, commit))
    }

    pub fn snapshot(&self, commit: &str) -> PathBuf {
        self.dir.join("snapshots").join(commit)
    }

    pub fn blob(&self, id: &str) -> PathBuf {
        self.dir.join("blobs").join(id)
    }

    /// Where a blob is written until it is complete.
    pub fn incomplete_blob(&self, id: &str) -> PathBuf {
        incomplete(&self.blob(id))
    }

    /// Makes `snapshots/COMMIT/REL` the blob `id`: a relative symbolic link like
    /// `huggingface_hub` makes, or a copy where links cannot be made.
    pub fn link(&self, commit: &str, rel: &str, id: &str) -> io::Result<PathBuf> {
        let path = self.snapshot(commit).join(rel);
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent)?;
        // A dangling link (its blob deleted) is replaced.
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let up = "../".repeat(2 + rel.matches('/').count());
        let target = PathBuf::from(format!("{up}blobs/{id}"));
        if symlink(&target, &path).is_err() {
            let temp = incomplete(&path);
            std::fs::copy(self.blob(id), &temp)?;
            std::fs::rename(&temp, &path)?;
        }
        Ok(path)
    }

    /// Records that `revision` stands at `commit` (a commit names itself: no ref).
    pub fn write_ref(&self, revision: &str, commit: &str) -> io::Result<()> {
        if revision == commit {
            return Ok(());
        }
        let path = self.dir.join("refs").join(revision);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let temp = incomplete(&path);
        std::fs::write(&temp, commit)?;
        std::fs::rename(&temp, &path)
    }
}

/// `PATH.<pid>-<random>.incomplete`: where `PATH` is written until it is complete.
/// The name is this writer's own, so workers sharing a cache that fetch the same file
/// at once each write their own copy and the last rename wins with identical bytes.
fn incomplete(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(
        ".{}-{:08x}.incomplete",
        std::process::id(),
        rand::random::<u32>()
    ));
    PathBuf::from(name)
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(_target: &Path, _link: &Path) -> io::Result<()> {
    Err(io::Error::other("symbolic links are copied on this system"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_entries_link_to_their_blob_from_any_depth() {
        let dir = std::env::temp_dir().join(format!("arena-hub-cache-{}", std::process::id()));
        let cache = RepoCache::new(&dir, "org/name");
        std::fs::create_dir_all(cache.dir.join("blobs")).unwrap();
        std::fs::write(cache.blob("b1"), "weights").unwrap();
        let deep = cache
            .link("c0ffee", "unet/sub/w.safetensors", "b1")
            .unwrap();
        let top = cache.link("c0ffee", "model_index.json", "b1").unwrap();
        cache.write_ref("main", "c0ffee").unwrap();
        let found = cache.lookup("main");
        let read = (
            std::fs::read_to_string(&deep).unwrap(),
            std::fs::read_to_string(&top).unwrap(),
        );
        std::fs::remove_dir_all(&dir).ok();
        assert!(cache.dir.ends_with("models--org--name"));
        assert_eq!(read, ("weights".into(), "weights".into()));
        assert_eq!(found.map(|f| f.1).as_deref(), Some("c0ffee"));
    }
}
