//! What goes wrong between a hub repository id and a model folder, each case with what
//! to do about it.

use std::path::PathBuf;

/// Why a hub repository could not be found or fetched. The message names the
/// repository and says what to do; the caller adds the revision and the hub's address.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// Downloads are off and the cache does not have the snapshot.
    #[error(
        "model `{repo}` (revision {revision}) {reason}, and downloads are off (`offline = true` \
         or HF_HUB_OFFLINE=1): run `huggingface-cli download {repo}` where there is internet and \
         copy the cache, or set `model_dir`"
    )]
    Offline {
        repo: String,
        revision: String,
        reason: String,
    },
    /// No connection to the hub.
    #[error(
        "the hub cannot be reached ({cause}); no internet? set `model_dir`, or run \
         `huggingface-cli download {repo}` where there is internet and copy the cache to {cache}"
    )]
    Unreachable {
        repo: String,
        cache: PathBuf,
        cause: String,
    },
    /// 401 or 403: a gated or private repository, and no token or one without access.
    #[error(
        "the hub refused access ({status}): `{repo}` is gated or private; set HF_TOKEN to a \
         token that may read it (and accept the model's terms on its hub page)"
    )]
    Denied { repo: String, status: u16 },
    #[error("the hub has no repository `{repo}` (a typo? a private one needs HF_TOKEN)")]
    RepoNotFound { repo: String },
    #[error("`{repo}` has no revision `{revision}` (a branch, tag or commit hash)")]
    RevisionNotFound { repo: String, revision: String },
    /// A 404 that does not say which of the two.
    #[error("the hub has no repository `{repo}` at revision `{revision}`")]
    NotFound { repo: String, revision: String },
    #[error("the hub has no file {path} in `{repo}`")]
    FileNotFound { repo: String, path: String },
    /// The connection ended, or the body did not match its announced size.
    #[error(
        "the download of {path} stopped after {got} of {expected} bytes ({cause}); nothing of \
         it was kept: loading again fetches it anew"
    )]
    Truncated {
        path: String,
        got: u64,
        expected: u64,
        cause: String,
    },
    #[error("the hub answered {status} for {url}")]
    Status { status: u16, url: String },
    #[error("the hub's answer for {url} is not understood: {detail}")]
    BadAnswer { url: String, detail: String },
    #[error("cannot write {} in the Hugging Face cache: {source}", path.display())]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
