//! Votes that count are votes someone looked at: a vote counts only when both images
//! of its battle were fetched by its voter (the image route records the first fetch by
//! the battle's own voter) and at least `min_view_ms` passed since the later one. A vote
//! that fails this is stored all the same, excluded as `images_not_seen` or `too_fast`
//! (the decision is taken inside the vote's transaction: `store/vote.rs`).

use crate::config::ServeConfig;

/// The least time between the later image fetch and a vote that counts; `None` when
/// `min_view_ms = 0` (every vote counts, seen or not).
pub fn min_view(config: &ServeConfig) -> Option<chrono::Duration> {
    (!config.min_view.is_zero())
        .then(|| chrono::Duration::from_std(config.min_view).unwrap_or(chrono::Duration::MAX))
}
