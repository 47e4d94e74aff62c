//! Per-process state of the generation queue: wake-ups between the request handlers
//! and the background tasks, and the cap on uploads decoded at once.

use tokio::sync::{Notify, Semaphore};

/// How many uploaded images one process decodes at once: each may take up to
/// [`super::blob::MAX_UPLOAD_ALLOC`] of memory and a core, and uploads come from
/// workers the server does not control.
pub const DECODING_AT_ONCE: usize = 2;

/// Wake-ups between the request handlers and the background tasks of this process, and
/// its decoding cap. Other servers on the same database are reached by polling instead.
#[derive(Debug)]
pub struct Signals {
    /// A job was queued: long-polling leases look again at once.
    pub jobs_added: Notify,
    /// A worker appeared or changed its models: refill the pool now.
    pub refill: Notify,
    /// Permits to decode and re-encode an uploaded image ([`DECODING_AT_ONCE`]).
    pub decoding: Semaphore,
}

impl Default for Signals {
    fn default() -> Signals {
        Signals {
            jobs_added: Notify::new(),
            refill: Notify::new(),
            decoding: Semaphore::new(DECODING_AT_ONCE),
        }
    }
}
