//! The `battle` and `battle_image` tables: what was served to whom, in which order.

use chrono::{DateTime, Utc};

use super::{Result, Store, on_pool};

/// A battle about to be stored: images in display order (slot 0 = A).
#[derive(Clone, Debug)]
pub struct NewBattle {
    pub id: String,
    pub prompt_id: i64,
    pub voter_id: String,
    pub mode: &'static str,
    /// (generation id, model id, image URL token) per slot.
    pub images: Vec<(i64, i64, String)>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Battle {
    pub id: String,
    pub prompt_id: Option<i64>,
    pub prompt: Option<String>,
    pub category: Option<String>,
    pub voter_id: String,
    pub mode: String,
    pub served_at: DateTime<Utc>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct BattleImage {
    pub slot: i16,
    pub token: String,
    pub model_id: i64,
    pub model_slug: String,
    pub model_name: String,
    pub generation_id: Option<i64>,
}

impl Store {
    /// Stores a served battle, registering its voter on first sight.
    pub async fn add_battle(&self, b: &NewBattle) -> Result<()> {
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = super::begin_write(pool).await?;
            sqlx::query("insert into voter (id, created_at) values ($1, $2) on conflict do nothing")
                .bind(&b.voter_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "insert into battle (id, prompt_id, voter_id, mode, anony, served_at) \
                 values ($1, $2, $3, $4, $5, $6)",
            )
            .bind(&b.id)
            .bind(b.prompt_id)
            .bind(&b.voter_id)
            .bind(b.mode)
            .bind(true)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            for (slot, (generation_id, model_id, token)) in b.images.iter().enumerate() {
                sqlx::query(
                    "insert into battle_image (battle_id, slot, generation_id, model_id, token) \
                     values ($1, $2, $3, $4, $5)",
                )
                .bind(&b.id)
                .bind(slot as i16)
                .bind(generation_id)
                .bind(model_id)
                .bind(token)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
    }

    pub async fn battle(&self, id: &str) -> Result<Option<Battle>> {
        let row = on_pool!(self, pool => sqlx::query_as(
            "select b.id, b.prompt_id, p.text as prompt, p.category, b.voter_id, b.mode, b.served_at \
             from battle b left join prompt p on p.id = b.prompt_id where b.id = $1",
        )
        .bind(id)
        .fetch_optional(pool)
        .await)?;
        Ok(row)
    }

    /// The battle's images in slot order.
    pub async fn battle_images(&self, battle_id: &str) -> Result<Vec<BattleImage>> {
        let rows = on_pool!(self, pool => sqlx::query_as(
            "select bi.slot, bi.token, bi.model_id, m.slug as model_slug, \
             m.display_name as model_name, bi.generation_id \
             from battle_image bi join model m on m.id = bi.model_id \
             where bi.battle_id = $1 order by bi.slot",
        )
        .bind(battle_id)
        .fetch_all(pool)
        .await)?;
        Ok(rows)
    }

    /// The blob key behind an image URL token.
    pub async fn blob_key_for_token(&self, token: &str) -> Result<Option<String>> {
        let key = on_pool!(self, pool => sqlx::query_scalar(
            "select g.blob_key from battle_image bi join generation g on g.id = bi.generation_id \
             where bi.token = $1",
        )
        .bind(token)
        .fetch_optional(pool)
        .await)?;
        Ok(key)
    }
}
