//! The `leaderboard_snapshot` table: published boards as they were, never updated.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::sql::{Exec, sql};
use super::{Result, Store};

/// One stored snapshot without its board.
#[derive(Clone, Debug, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SnapshotInfo {
    pub id: i64,
    pub taken_at: DateTime<Utc>,
    /// The board's query string (`''`: the default board).
    pub view: String,
    /// Votes in the counted log the board came from.
    pub votes: i64,
    /// SHA-256 hash chain over the log's canonical rows, hex.
    pub digest: String,
}

/// One stored snapshot with its board (JSON text, as served).
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Snapshot {
    pub id: i64,
    pub taken_at: DateTime<Utc>,
    pub view: String,
    pub votes: i64,
    pub digest: String,
    pub board: String,
}

/// A snapshot to store.
pub struct NewSnapshot<'a> {
    pub view: &'a str,
    pub votes: i64,
    pub digest: &'a str,
    pub board: &'a str,
}

impl Store {
    /// Claims background task `task` when no server claimed it in the last `every`:
    /// true for the one server of many that should run it now.
    pub async fn claim_task(&self, task: &str, every: chrono::Duration) -> Result<bool> {
        let now = Utc::now();
        let since = now
            .checked_sub_signed(every)
            .unwrap_or(DateTime::UNIX_EPOCH);
        let mut tx = self.begin().await?;
        tx.execute(
            sql(
                "insert into background_claim (task, claimed_at) values ($1, $2) \
                 on conflict do nothing",
            )
            .bind(task)
            .bind(since),
        )
        .await?;
        let claimed = tx
            .execute(
                sql("update background_claim set claimed_at = $1 \
                     where task = $2 and claimed_at <= $3")
                .bind(now)
                .bind(task)
                .bind(since),
            )
            .await?;
        tx.commit().await?;
        Ok(claimed == 1)
    }

    /// Stores snapshots taken together (one time for all of them); returns their ids.
    pub async fn insert_snapshots(
        &self,
        snapshots: &[NewSnapshot<'_>],
        taken_at: DateTime<Utc>,
    ) -> Result<Vec<i64>> {
        let mut tx = self.begin().await?;
        let mut ids = Vec::with_capacity(snapshots.len());
        for s in snapshots {
            ids.push(
                tx.scalar(
                    sql(
                        "insert into leaderboard_snapshot (taken_at, view, votes, digest, board) \
                         values ($1, $2, $3, $4, $5) returning id",
                    )
                    .bind(taken_at)
                    .bind(s.view)
                    .bind(s.votes)
                    .bind(s.digest)
                    .bind(s.board),
                )
                .await?,
            );
        }
        tx.commit().await?;
        Ok(ids)
    }

    /// The snapshots of `view`, oldest first.
    pub async fn snapshots_of(&self, view: &str) -> Result<Vec<SnapshotInfo>> {
        self.pool()
            .fetch_all(
                sql(
                    "select id, taken_at, view, votes, digest from leaderboard_snapshot \
                     where view = $1 order by taken_at, id",
                )
                .bind(view),
            )
            .await
    }

    /// When the newest snapshot was taken, if any.
    pub async fn last_snapshot_at(&self) -> Result<Option<DateTime<Utc>>> {
        let newest: Option<(DateTime<Utc>,)> = self
            .pool()
            .fetch_optional(sql(
                "select taken_at from leaderboard_snapshot order by taken_at desc limit 1",
            ))
            .await?;
        Ok(newest.map(|(t,)| t))
    }

    /// The snapshots of `view` with their boards, oldest first.
    pub async fn snapshot_boards(&self, view: &str) -> Result<Vec<Snapshot>> {
        self.pool()
            .fetch_all(
                sql(
                    "select id, taken_at, view, votes, digest, board from leaderboard_snapshot \
                     where view = $1 order by taken_at, id",
                )
                .bind(view),
            )
            .await
    }

    pub async fn snapshot(&self, id: i64) -> Result<Option<Snapshot>> {
        self.pool()
            .fetch_optional(
                sql(
                    "select id, taken_at, view, votes, digest, board from leaderboard_snapshot \
                     where id = $1",
                )
                .bind(id),
            )
            .await
    }

    /// The newest snapshot of `view` taken at or before `at`.
    pub async fn snapshot_as_of(&self, view: &str, at: DateTime<Utc>) -> Result<Option<Snapshot>> {
        self.pool()
            .fetch_optional(
                sql(
                    "select id, taken_at, view, votes, digest, board from leaderboard_snapshot \
                     where view = $1 and taken_at <= $2 order by taken_at desc, id desc limit 1",
                )
                .bind(view)
                .bind(at),
            )
            .await
    }
}
