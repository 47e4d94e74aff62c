//! What the rigging detector reads — the votes and served battles of a period — and the
//! `integrity_scan` table, which lets one server of many run the detector at a time.

use arena_evaluator::Outcome;
use chrono::{DateTime, Utc};

use super::sql::{Exec, sql};
use super::{Result, Store};

/// A counted vote cast here, as the detector sees it.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ScanVote {
    pub voter_id: String,
    pub voter_created_at: DateTime<Utc>,
    pub client_hash: Option<String>,
    pub model_a_id: i64,
    pub model_b_id: i64,
    #[sqlx(try_from = "String")]
    pub winner: Outcome,
    pub created_at: DateTime<Utc>,
}

/// A battle served here with both images, voted on or not.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct ScanServed {
    pub voter_id: String,
    pub voter_created_at: DateTime<Utc>,
    pub client_hash: Option<String>,
    pub model_a_id: i64,
    pub model_b_id: i64,
    pub voted: bool,
}

impl Store {
    /// Counted votes cast here since `since`, oldest first. A vote on three or four
    /// images comes as the one comparison it is surest of — its best over its worst,
    /// or over the first other image when the voter chose no worst — so that it counts
    /// once, as a pair's vote does, in every test of the detector.
    pub async fn scan_votes(&self, since: DateTime<Utc>) -> Result<Vec<ScanVote>> {
        self.pool()
            .fetch_all(
                sql(
                    "select voter_id, voter_created_at, client_hash, model_a_id, model_b_id, \
                     winner, created_at from ( \
                     select v.voter_id, vr.created_at as voter_created_at, v.client_hash, \
                     v.model_a_id, v.model_b_id, v.winner, v.created_at, 0 as kind, v.id \
                     from vote v join voter vr on vr.id = v.voter_id \
                     where v.counts_for_leaderboard and v.axis = 'overall' and v.source = 'arena' \
                       and v.created_at >= $1 \
                     union all \
                     select v.voter_id, vr.created_at, v.client_hash, \
                     case v.best when 0 then v.model_a_id when 1 then v.model_b_id \
                       when 2 then v.model_c_id else v.model_d_id end, \
                     case coalesce(v.worst, case when v.best = 0 then 1 else 0 end) \
                       when 0 then v.model_a_id when 1 then v.model_b_id \
                       when 2 then v.model_c_id else v.model_d_id end, \
                     'a', v.created_at, 1, v.id \
                     from choice_vote v join voter vr on vr.id = v.voter_id \
                     where v.counts_for_leaderboard and v.source = 'arena' \
                       and v.created_at >= $1) x \
                     order by created_at, kind, id",
                )
                .bind(since),
            )
            .await
    }

    /// Pairwise battles served here since `since` whose two images exist, and whether
    /// each got a vote (counted or not). Battles of three or four images are left out:
    /// which models a voter skips is a question about pairs.
    pub async fn scan_served(&self, since: DateTime<Utc>) -> Result<Vec<ScanServed>> {
        self.pool()
            .fetch_all(
                sql(
                    "select b.voter_id, vr.created_at as voter_created_at, b.client_hash, \
                     ia.model_id as model_a_id, \
                     ib.model_id as model_b_id, \
                     exists (select 1 from vote v where v.battle_id = b.id) as voted \
                     from battle b join voter vr on vr.id = b.voter_id \
                     join battle_image ia on ia.battle_id = b.id and ia.slot = 0 \
                     join battle_image ib on ib.battle_id = b.id and ib.slot = 1 \
                     where b.mode <> 'imported' and b.served_at >= $1 \
                       and ia.generation_id is not null and ib.generation_id is not null \
                       and not exists (select 1 from battle_image ic \
                                       where ic.battle_id = b.id and ic.slot = 2) \
                     order by b.served_at",
                )
                .bind(since),
            )
            .await
    }

    /// Claims the next scan when none started in the last `every`: true for the one
    /// server that should run it now.
    pub async fn claim_scan(&self, every: chrono::Duration) -> Result<bool> {
        let now = Utc::now();
        let mut tx = self.begin().await?;
        tx.execute(
            sql(
                "insert into integrity_scan (id, started_at) values (1, $1) on conflict do nothing",
            )
            .bind(now - every - chrono::Duration::seconds(1)),
        )
        .await?;
        let claimed = tx
            .execute(
                sql(
                    "update integrity_scan set started_at = $1, finished_at = null \
                     where id = 1 and started_at <= $2",
                )
                .bind(now)
                .bind(now - every),
            )
            .await?;
        tx.commit().await?;
        Ok(claimed == 1)
    }

    /// Records that the scan claimed last has finished.
    pub async fn finish_scan(&self) -> Result<()> {
        self.pool()
            .execute(
                sql("update integrity_scan set finished_at = $1 where id = 1").bind(Utc::now()),
            )
            .await?;
        Ok(())
    }
}
