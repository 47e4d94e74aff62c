//! Generation: the job queue as the server runs it, the workers that lease from it
//! (their tokens, `arena workers`), the worker that runs inside the server, and the
//! store of re-encoded images.

pub mod blob;
pub mod embedded_worker;
pub mod queue;
pub mod signals;
pub mod style;
pub mod workers;

use crate::store::StoreError;

/// Why a generation request failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The uploaded image cannot be decoded.
    #[error("The image cannot be decoded: {0}")]
    InvalidImage(String),
    /// The uploaded image is larger than the server decodes (its pixels, or the memory
    /// decoding it would take).
    #[error(
        "The image is too large: at most {max_side}×{max_side} pixels are accepted ({0}).",
        max_side = blob::MAX_UPLOAD_SIDE
    )]
    ImageTooLarge(String),
    /// The worker's token may not serve some of the models it asked for.
    #[error(
        "This worker's token may not serve {refused:?}; it may serve {allowed:?} \
         (an operator chooses them with `arena workers add NAME --models …`)."
    )]
    ModelNotAllowed {
        refused: Vec<String>,
        allowed: Vec<String>,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Blob(#[from] blob::BlobError),
    /// A blocking task died.
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
