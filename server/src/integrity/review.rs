//! What an operator decides about votes: clear a flag (its votes count again),
//! restore or exclude one vote. Each change is one transaction with its audit entry;
//! the leaderboards of this process recompute at once (other servers notice within
//! their refresh interval).

use crate::app::App;
use crate::store::{StoreError, exclusion};

/// Clears a standing flag; `None` when there is none with this id, else how many votes
/// count again.
pub async fn clear_flag(app: &App, id: i64, by: &str) -> Result<Option<u64>, StoreError> {
    let restored = app.store.clear_flag(id, by).await?;
    if restored.is_some() {
        app.rankings.clear().await;
    }
    Ok(restored)
}

/// Makes a battle's excluded vote count again; false when it has no excluded vote.
pub async fn restore_vote(app: &App, battle_id: &str, by: &str) -> Result<bool, StoreError> {
    let changed = app.store.set_vote_counting(battle_id, None, by).await?;
    if changed {
        app.rankings.clear().await;
    }
    Ok(changed)
}

/// Excludes a battle's counted vote by hand; false when it has no counted vote.
pub async fn exclude_vote(app: &App, battle_id: &str, by: &str) -> Result<bool, StoreError> {
    let changed = app
        .store
        .set_vote_counting(battle_id, Some(exclusion::OPERATOR), by)
        .await?;
    if changed {
        app.rankings.clear().await;
    }
    Ok(changed)
}
