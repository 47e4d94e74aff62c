//! Wake-ups between the request handlers and the background tasks of one process.

use tokio::sync::Notify;

/// Wake-ups between the request handlers and the background tasks of this process.
/// Other servers on the same database are reached by polling instead.
#[derive(Debug, Default)]
pub struct Signals {
    /// A job was queued: long-polling leases look again at once.
    pub jobs_added: Notify,
    /// A worker appeared or changed its models: refill the pool now.
    pub refill: Notify,
}
