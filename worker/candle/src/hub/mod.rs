//! Models named by a hub repository id: found in the local Hugging Face cache, else
//! fetched from the hub into it — only the files the loaders read — in the layout
//! `huggingface-cli` uses, so that either tool finds what the other fetched.
//!
//! This module owns where the hub and the cache are ([`Hub`]), the cache layout
//! ([`cache`]), the fetcher ([`fetch`]) and what goes wrong on the way ([`HubError`]).

mod cache;
mod client;
mod error;
mod fetch;

use std::path::PathBuf;

pub use error::HubError;

use super::folder::Folder;
use super::needed::needed_files;
use cache::RepoCache;

/// Where the hub and the cache are, and whether the network may be used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hub {
    /// The hub's address: `HF_ENDPOINT`, default `https://huggingface.co`.
    pub endpoint: String,
    /// The cache: `HF_HUB_CACHE`, else `$HF_HOME/hub`, else
    /// `~/.cache/huggingface/hub`.
    pub cache_dir: PathBuf,
    /// Sent as a Bearer token: `HF_TOKEN`, else the token `huggingface-cli login` saved.
    pub token: Option<String>,
    /// Use the cache only (`HF_HUB_OFFLINE=1`).
    pub offline: bool,
}

const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

impl Hub {
    /// The hub and cache `huggingface-cli` would use in this environment.
    pub fn from_env() -> Hub {
        Hub::from_vars(|name| std::env::var(name).ok())
    }

    /// A hub at `endpoint` with its cache in `cache_dir`, online, without a token.
    pub fn new(endpoint: impl Into<String>, cache_dir: impl Into<PathBuf>) -> Hub {
        Hub {
            endpoint: endpoint.into().trim_end_matches('/').to_string(),
            cache_dir: cache_dir.into(),
            token: None,
            offline: false,
        }
    }

    /// [`Hub::from_env`] with the variables `var` gives (empty ones count as unset).
    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Hub {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        let hf_home = var("HF_HOME").map(PathBuf::from).unwrap_or_else(|| {
            let cache = var("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(var("HOME").unwrap_or_default()).join(".cache"));
            cache.join("huggingface")
        });
        let cache_dir = var("HF_HUB_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| hf_home.join("hub"));
        let token = var("HF_TOKEN")
            .or_else(|| {
                let path = var("HF_TOKEN_PATH")
                    .map(PathBuf::from)
                    .unwrap_or_else(|| hf_home.join("token"));
                std::fs::read_to_string(path).ok()
            })
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        let offline = var("HF_HUB_OFFLINE").is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "on" | "yes" | "true"
            )
        });
        Hub {
            token,
            offline,
            ..Hub::new(
                var("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.into()),
                cache_dir,
            )
        }
    }
}

/// The snapshot folder of `repo` at `revision`, and its commit: the cached one when it
/// holds every file the loader reads (no request is made then), else fetched — unless
/// `offline` or the hub is.
pub(crate) fn snapshot(
    hub: &Hub,
    repo: &str,
    revision: &str,
    offline: bool,
) -> anyhow::Result<(PathBuf, String)> {
    check_repo_id(repo)?;
    check_revision(revision)?;
    let cache = RepoCache::new(&hub.cache_dir, repo);
    let cached = cache.lookup(revision);
    let gap = match &cached {
        Some((dir, commit)) => match needed_files(&Folder::new(dir)) {
            Ok(_) => return Ok((dir.clone(), commit.clone())),
            Err(gap) => Some(gap),
        },
        None => None,
    };
    if offline || hub.offline {
        let reason = match gap {
            Some(gap) => format!("is incomplete in the Hugging Face cache ({gap:#})"),
            None => format!(
                "is not in the Hugging Face cache at {}",
                hub.cache_dir.display()
            ),
        };
        return Err(HubError::Offline {
            repo: repo.into(),
            revision: revision.into(),
            reason,
        }
        .into());
    }
    if let Some(gap) = gap {
        tracing::info!(hub.repo = repo, hub.revision = revision, gap = %format!("{gap:#}"), "cached snapshot is incomplete; fetching the rest");
    }
    fetch::fetch(hub, &cache, repo, revision)
}

/// The hub's rule for ids: `NAME` or `ORG/NAME` of letters, digits, `-`, `_` and `.`,
/// without `--` or `..` (the cache folder's name stands for the id).
fn check_repo_id(repo: &str) -> anyhow::Result<()> {
    let parts: Vec<&str> = repo.split('/').collect();
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 96
            && !p.starts_with(['.', '-'])
            && !p.contains("--")
            && !p.contains("..")
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if parts.len() > 2 || !parts.iter().all(|p| part_ok(p)) {
        anyhow::bail!("`{repo}` is not a hub repository id like `stabilityai/sd-turbo`");
    }
    Ok(())
}

/// A branch, tag or commit; it names a file under `refs/`, so no `..` or absolute paths.
fn check_revision(revision: &str) -> anyhow::Result<()> {
    if !is_relative_path(revision) {
        anyhow::bail!("`{revision}` is not a revision (a branch, tag or commit hash)");
    }
    Ok(())
}

/// A `/`-separated path that stays inside the folder it is joined to.
pub(crate) fn is_relative_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains(['\\', '\0'])
        && path
            .split('/')
            .all(|p| !p.is_empty() && p != "." && p != "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hub(vars: &[(&str, &str)]) -> Hub {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Hub::from_vars(|name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
    }

    #[test]
    fn the_cache_and_endpoint_follow_huggingface_cli_variables() {
        let h = hub(&[("HOME", "/home/u")]);
        assert_eq!(h.cache_dir, PathBuf::from("/home/u/.cache/huggingface/hub"));
        assert_eq!(h.endpoint, "https://huggingface.co");
        assert!(!h.offline);
        let h = hub(&[("HOME", "/home/u"), ("HF_HOME", "/hf")]);
        assert_eq!(h.cache_dir, PathBuf::from("/hf/hub"));
        let h = hub(&[("HF_HOME", "/hf"), ("HF_HUB_CACHE", "/c")]);
        assert_eq!(h.cache_dir, PathBuf::from("/c"));
        let h = hub(&[
            ("HF_ENDPOINT", "http://mirror:8080/"),
            ("HF_TOKEN", " t \n"),
        ]);
        assert_eq!(h.endpoint, "http://mirror:8080");
        assert_eq!(h.token.as_deref(), Some("t"));
    }

    #[test]
    fn hf_hub_offline_takes_the_values_huggingface_hub_takes() {
        for on in ["1", "ON", "yes", "True"] {
            assert!(hub(&[("HF_HUB_OFFLINE", on)]).offline, "{on}");
        }
        for off in ["0", "", "false", "no"] {
            assert!(!hub(&[("HF_HUB_OFFLINE", off)]).offline, "{off}");
        }
    }

    #[test]
    fn the_token_saved_by_huggingface_cli_login_is_used_without_hf_token() {
        let home = std::env::temp_dir().join(format!("arena-hf-token-{}", std::process::id()));
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(home.join("token"), "hf_saved\n").unwrap();
        let home_str = home.to_string_lossy().into_owned();
        let saved = hub(&[("HF_HOME", &home_str)]).token;
        let env = hub(&[("HF_HOME", &home_str), ("HF_TOKEN", "hf_env")]).token;
        std::fs::remove_dir_all(&home).ok();
        assert_eq!(saved.as_deref(), Some("hf_saved"));
        assert_eq!(env.as_deref(), Some("hf_env"));
    }

    #[test]
    fn repository_ids_and_revisions_that_could_leave_the_cache_are_refused() {
        for ok in ["stabilityai/sd-turbo", "gpt2", "a_b/c.d-1"] {
            assert!(check_repo_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a/b/c", "../x", "a/..", "a--b/c", "/a", "a/", "a b/c"] {
            assert!(check_repo_id(bad).is_err(), "{bad}");
        }
        for ok in ["main", "refs/pr/1", "v1.0"] {
            assert!(check_revision(ok).is_ok(), "{ok}");
        }
        for bad in ["", "..", "a/../b", "/etc", "a\\b"] {
            assert!(check_revision(bad).is_err(), "{bad}");
        }
    }
}
