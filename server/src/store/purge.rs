//! Bounded storage: what a busy arena accumulates and never needs again is deleted
//! once it is old enough. Owns no table: it deletes across `battle`, `battle_image`
//! and `voter`, and detaches finished live jobs from the battles they drew for; and it
//! lists the image keys that generations name, so that image files nothing names can
//! be collected.
//!
//! - A battle served and never voted on, served before the cutoff, goes with its
//!   image tokens (its `battle_image` rows); the images themselves stay (generations
//!   are kept: the model pages and exports name them).
//! - A voter with no battle, vote, prompt or flag left, first seen before the cutoff,
//!   goes too: a cookieless page view leaves a voter and a battle, and nothing else.
//!
//! Votes (a pair's or a K-wise battle's), their battles and everything a vote names
//! are never deleted.

use chrono::{DateTime, Utc};

use super::sql::{Exec, sql};
use super::{Result, Store};

/// Battles deleted per transaction, so that no purge holds locks for long.
const BATCH: i64 = 500;

/// The Postgres advisory lock that one purge transaction holds at a time, so that
/// several servers on one database take turns instead of deleting the same rows.
const PURGE_LOCK: i64 = 0x6172_656e_6170; // "arenap"

/// What one purge deleted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Purged {
    /// Battles served and never voted on.
    pub battles: u64,
    /// Their image tokens.
    pub image_tokens: u64,
    /// Voters with nothing left.
    pub voters: u64,
    /// Image files no generation names (set by the caller, which owns the image
    /// store: see [`Store::blob_keys`]).
    pub blobs: u64,
}

impl Store {
    /// Deletes what was served or first seen before `cutoff` and is no longer needed
    /// (see the module's description), in batches.
    pub async fn purge(&self, cutoff: DateTime<Utc>) -> Result<Purged> {
        let mut purged = Purged::default();
        loop {
            let mut tx = self.begin().await?;
            if !tx.try_lock(PURGE_LOCK).await? {
                // Another server is purging now; it will finish the job.
                tx.commit().await?;
                return Ok(purged);
            }
            // Not imported battles (their votes are the point), not voted ones, not a
            // live battle still being drawn.
            let ids: Vec<(String,)> = tx
                .fetch_all(
                    sql(
                        "select b.id from battle b where b.served_at < $1 and b.mode <> 'imported' \
                         and not exists (select 1 from vote v where v.battle_id = b.id) \
                         and not exists (select 1 from choice_vote cv where cv.battle_id = b.id) \
                         and not exists (select 1 from job j where j.battle_id = b.id \
                                         and j.state in ('queued', 'leased')) \
                         order by b.served_at limit $2",
                    )
                    .bind(cutoff)
                    .bind(BATCH),
                )
                .await?;
            if ids.is_empty() {
                tx.commit().await?;
                break;
            }
            for (id,) in &ids {
                tx.execute(sql("update job set battle_id = null where battle_id = $1").bind(id))
                    .await?;
                purged.image_tokens += tx
                    .execute(sql("delete from battle_image where battle_id = $1").bind(id))
                    .await?;
                purged.battles += tx
                    .execute(sql("delete from battle where id = $1").bind(id))
                    .await?;
            }
            tx.commit().await?;
        }
        purged.voters = self
            .pool()
            .execute(
                sql("delete from voter where created_at < $1 \
                     and not exists (select 1 from battle b where b.voter_id = voter.id) \
                     and not exists (select 1 from vote v where v.voter_id = voter.id) \
                     and not exists (select 1 from choice_vote cv where cv.voter_id = voter.id) \
                     and not exists (select 1 from prompt p where p.voter_id = voter.id) \
                     and not exists (select 1 from flag f where f.subject_kind = 'voter' \
                                     and f.subject = voter.id)")
                .bind(cutoff),
            )
            .await?;
        Ok(purged)
    }

    /// The image-store key of every stored generation: the blobs that must stay.
    pub async fn blob_keys(&self) -> Result<std::collections::HashSet<String>> {
        let keys: Vec<String> = self
            .pool()
            .scalars(sql("select distinct blob_key from generation"))
            .await?;
        Ok(keys.into_iter().collect())
    }
}
