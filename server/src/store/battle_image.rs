//! The `battle_image` table: the images of a battle, one row per position, each
//! behind a URL token of its own that is never reused.

use arena_evaluator::Position;
use chrono::{DateTime, Utc};

use super::sql::{Exec, sql};
use super::{Result, Store};

/// One image of a battle as the pages and the vote need it.
#[derive(Clone, Debug)]
pub struct BattleImage {
    /// Where it is shown: A (left), B, …
    pub position: Position,
    pub token: String,
    pub model_id: i64,
    pub model_slug: String,
    pub model_name: String,
    /// `None` while a live battle's image is being drawn (and for imported votes).
    pub generation_id: Option<i64>,
    /// When the battle's own voter first fetched it.
    pub fetched_at: Option<DateTime<Utc>>,
}

/// A battle image row to insert.
pub(super) struct ImageRow<'a> {
    pub battle_id: &'a str,
    pub position: Position,
    pub generation_id: Option<i64>,
    pub model_id: i64,
    pub token: &'a str,
}

pub(super) async fn insert(c: &mut impl Exec, i: &ImageRow<'_>) -> Result<()> {
    c.execute(
        sql(
            "insert into battle_image (battle_id, slot, generation_id, model_id, token) \
             values ($1, $2, $3, $4, $5)",
        )
        .bind(i.battle_id)
        .bind(i.position)
        .bind(i.generation_id)
        .bind(i.model_id)
        .bind(i.token),
    )
    .await?;
    Ok(())
}

/// Fills in the image a live battle was waiting for.
pub(super) async fn set_generation(
    c: &mut impl Exec,
    battle_id: &str,
    slot: i16,
    generation_id: i64,
) -> Result<()> {
    c.execute(
        sql("update battle_image set generation_id = $1 where battle_id = $2 and slot = $3")
            .bind(generation_id)
            .bind(battle_id)
            .bind(slot),
    )
    .await?;
    Ok(())
}

/// Records the first fetch of the image behind `token` by its battle's own voter.
pub(super) async fn mark_fetched(
    c: &mut impl Exec,
    token: &str,
    voter: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    c.execute(
        sql(
            "update battle_image set fetched_at = $1 where token = $2 and fetched_at is null \
             and battle_id in (select id from battle where voter_id = $3)",
        )
        .bind(now)
        .bind(token)
        .bind(voter),
    )
    .await?;
    Ok(())
}

impl Store {
    /// The blob key behind an image URL token, recording the fetch when `voter` is the
    /// battle's own (what makes a vote count: see `vote.rs`).
    pub async fn fetch_image(&self, token: &str, voter: Option<&str>) -> Result<Option<String>> {
        let key = self.blob_key_for_token(token).await?;
        if let (Some(_), Some(voter)) = (&key, voter) {
            mark_fetched(&mut self.pool(), token, voter, Utc::now()).await?;
        }
        Ok(key)
    }

    /// The blob key behind an image URL token.
    pub async fn blob_key_for_token(&self, token: &str) -> Result<Option<String>> {
        self.pool()
            .scalar_optional(
                sql("select g.blob_key from battle_image bi \
                     join generation g on g.id = bi.generation_id where bi.token = $1")
                .bind(token),
            )
            .await
    }
}
