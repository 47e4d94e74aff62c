//! Bounded storage for what voting leaves behind: battles served and never voted on
//! (every page view serves one) and voters with nothing left, deleted once nothing
//! can use them (see `store/purge.rs` for exactly what goes and what stays); and image
//! files that no generation names (an upload whose job had already failed, a write
//! interrupted by a crash).
//!
//! "Old enough" is the later of two ages: a battle can be voted on for
//! `battle_ttl_secs`, and the rigging detector looks at the battles each voter was
//! served, voted on or not, over its last [`PERIOD_DAYS`] days — deleting unvoted
//! battles sooner would make every voter look as if they voted on all they saw.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::app::App;
use crate::integrity::scan::PERIOD_DAYS;
use crate::store::{Purged, StoreError};

/// How often the arena purges: whichever of its servers claims the hour first.
pub const EVERY: Duration = Duration::from_secs(3600);

/// Battles served and voters first seen before this are purged when unused, for an
/// arena whose battles can be voted on for `battle_ttl`.
pub fn cutoff(battle_ttl: Duration, now: DateTime<Utc>) -> DateTime<Utc> {
    let ttl = chrono::Duration::from_std(battle_ttl).unwrap_or(chrono::Duration::MAX);
    let detector = chrono::Duration::days(PERIOD_DAYS);
    now.checked_sub_signed(ttl.max(detector))
        .unwrap_or(DateTime::UNIX_EPOCH)
}

/// Image files written this recently are kept even when nothing names them yet: a
/// worker's upload is stored before the row that names it commits.
pub const BLOB_GRACE: Duration = Duration::from_secs(3600);

/// Purges now: the database, then the image files no generation names.
pub async fn run(app: &App) -> Result<Purged, StoreError> {
    let mut purged = app
        .store
        .purge(cutoff(app.config.battle_ttl, Utc::now()))
        .await?;
    let referenced = app.store.blob_keys().await?;
    let before = std::time::SystemTime::now() - BLOB_GRACE;
    purged.blobs = app
        .blobs
        .collect_unreferenced(referenced, before)
        .await
        .map_err(|e| StoreError::Invalid(format!("collecting unreferenced images: {e}")))?;
    if purged != Purged::default() {
        tracing::info!(
            battles = purged.battles,
            image_tokens = purged.image_tokens,
            voters = purged.voters,
            blobs = purged.blobs,
            "purged unvoted battles, idle voters and unreferenced images"
        );
    }
    Ok(purged)
}

/// Purges a minute after start, then every [`EVERY`] — once for all servers on one
/// database: each asks every few minutes, and the one that claims the hour purges.
pub fn spawn_background(app: Arc<App>) {
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(60)).await;
        let every = chrono::Duration::from_std(EVERY).unwrap_or(chrono::Duration::hours(1));
        loop {
            match app.store.claim_task("purge", every).await {
                Ok(true) => {
                    if let Err(e) = run(&app).await {
                        tracing::warn!(error = %e, "purging unvoted battles failed");
                    }
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "claiming the purge failed"),
            }
            tokio::time::sleep(Duration::from_secs(300)).await;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cutoff_is_the_later_of_the_ttl_and_the_detectors_period() {
        let now = Utc::now();
        let day = Duration::from_secs(24 * 3600);
        assert_eq!(cutoff(day, now), now - chrono::Duration::days(30));
        assert_eq!(cutoff(day * 90, now), now - chrono::Duration::days(90));
        // A window too long to subtract keeps everything (a time every database holds).
        assert_eq!(cutoff(Duration::MAX, now), DateTime::UNIX_EPOCH);
    }
}
