//! Writes for imports: votes from other arenas' files and galleries of pre-generated
//! images. Each batch is one transaction, and both kinds are idempotent: a re-import
//! finds its rows by key and adds nothing.

use chrono::{DateTime, Utc};

use super::tally::{TallyDelta, apply_tally};
use super::{Result, Store, on_pool};

/// One imported vote, resolved to model ids. Its battle id is derived from the vote's
/// content, which is what makes a re-import of the same file add nothing.
#[derive(Clone, Debug)]
pub struct ImportedVote {
    pub battle_id: String,
    pub voter_id: String,
    pub model_a_id: i64,
    pub model_b_id: i64,
    /// `a`, `b`, `tie` or `both_bad`.
    pub winner: &'static str,
    pub anony: bool,
    pub cast_at: DateTime<Utc>,
    pub counts_for_leaderboard: bool,
    pub exclusion_reason: Option<String>,
}

/// A gallery image already normalised and in the blob store.
#[derive(Clone, Debug)]
pub struct GalleryImage {
    pub model_slug: String,
    pub model_name: String,
    pub prompt_text: String,
    pub prompt_category: String,
    pub blob_key: String,
    pub sha256: String,
    pub size: u32,
    /// Path inside the gallery, kept in the generation's parameters.
    pub file: String,
}

/// What a gallery import added.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GalleryCounts {
    pub models_added: u64,
    pub prompts_added: u64,
    pub images_added: u64,
    pub images_present: u64,
}

impl Store {
    /// The id of the model `slug`, registering it with `backend` when it is new;
    /// returns (id, whether it was added).
    pub async fn ensure_model_id(
        &self,
        slug: &str,
        display_name: &str,
        backend: &str,
        description: &str,
    ) -> Result<(i64, bool)> {
        on_pool!(self, pool => {
            let mut tx = super::begin_write(pool).await?;
            let added = sqlx::query(
                "insert into model (slug, display_name, backend, description, added_at) \
                 values ($1, $2, $3, $4, $5) on conflict do nothing",
            )
            .bind(slug)
            .bind(display_name)
            .bind(backend)
            .bind(description)
            .bind(Utc::now())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let id: i64 = sqlx::query_scalar("select id from model where slug = $1")
                .bind(slug)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok((id, added == 1))
        })
    }

    /// Stores a batch of imported votes in one transaction; votes whose battle is
    /// already present are skipped. Returns how many were added.
    pub async fn import_votes(&self, votes: &[ImportedVote], source: &str) -> Result<u64> {
        on_pool!(self, pool => {
            let mut tx = super::begin_write(pool).await?;
            let mut added = 0;
            let mut delta = TallyDelta::default();
            for v in votes {
                sqlx::query(
                    "insert into voter (id, created_at) values ($1, $2) on conflict do nothing",
                )
                .bind(&v.voter_id)
                .bind(v.cast_at)
                .execute(&mut *tx)
                .await?;
                let fresh = sqlx::query(
                    "insert into battle (id, prompt_id, voter_id, mode, anony, served_at) \
                     values ($1, null, $2, 'imported', $3, $4) on conflict do nothing",
                )
                .bind(&v.battle_id)
                .bind(&v.voter_id)
                .bind(v.anony)
                .bind(v.cast_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if fresh == 0 {
                    continue;
                }
                for (slot, model_id) in [(0i16, v.model_a_id), (1, v.model_b_id)] {
                    // Imported battles have no images; the token is never served.
                    sqlx::query(
                        "insert into battle_image (battle_id, slot, generation_id, model_id, token) \
                         values ($1, $2, null, $3, $4)",
                    )
                    .bind(&v.battle_id)
                    .bind(slot)
                    .bind(model_id)
                    .bind(format!("{}-{slot}", v.battle_id))
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "insert into vote (battle_id, winner, voter_id, model_a_id, model_b_id, \
                     created_at, counts_for_leaderboard, exclusion_reason, source) \
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                )
                .bind(&v.battle_id)
                .bind(v.winner)
                .bind(&v.voter_id)
                .bind(v.model_a_id)
                .bind(v.model_b_id)
                .bind(v.cast_at)
                .bind(v.counts_for_leaderboard)
                .bind(&v.exclusion_reason)
                .bind(source)
                .execute(&mut *tx)
                .await?;
                if v.counts_for_leaderboard {
                    // Imported battles have no prompt, hence no category.
                    delta.add(None, v.cast_at, v.model_a_id, v.model_b_id, v.winner);
                }
                added += 1;
            }
            apply_tally!(tx, delta);
            tx.commit().await?;
            Ok(added)
        })
    }

    /// Registers a gallery's models (backend `gallery`), prompts and images in one
    /// transaction. Models and prompts already present are reused (a prompt by its
    /// text), and an image already stored for the same (model, prompt) is skipped.
    pub async fn import_gallery(
        &self,
        images: &[GalleryImage],
        source: &str,
    ) -> Result<GalleryCounts> {
        let now = Utc::now();
        on_pool!(self, pool => {
            let mut tx = super::begin_write(pool).await?;
            let mut counts = GalleryCounts::default();
            for img in images {
                counts.models_added += sqlx::query(
                    "insert into model (slug, display_name, backend, description, added_at) \
                     values ($1, $2, 'gallery', $3, $4) on conflict do nothing",
                )
                .bind(&img.model_slug)
                .bind(&img.model_name)
                .bind(format!("pre-generated images from {source}"))
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let model_id: i64 = sqlx::query_scalar("select id from model where slug = $1")
                    .bind(&img.model_slug)
                    .fetch_one(&mut *tx)
                    .await?;
                let existing: Option<i64> = sqlx::query_scalar(
                    "select id from prompt where text = $1 and source <> 'voter' order by id limit 1",
                )
                .bind(&img.prompt_text)
                .fetch_optional(&mut *tx)
                .await?;
                let prompt_id = match existing {
                    Some(id) => id,
                    None => {
                        counts.prompts_added += 1;
                        sqlx::query_scalar(
                            "insert into prompt (text, category, source, created_at) \
                             values ($1, $2, $3, $4) returning id",
                        )
                        .bind(&img.prompt_text)
                        .bind(&img.prompt_category)
                        .bind(source)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?
                    }
                };
                let present: Option<i64> = sqlx::query_scalar(
                    "select id from generation where model_id = $1 and prompt_id = $2 limit 1",
                )
                .bind(model_id)
                .bind(prompt_id)
                .fetch_optional(&mut *tx)
                .await?;
                if present.is_some() {
                    counts.images_present += 1;
                    continue;
                }
                let params = serde_json::json!({ "source": source, "file": img.file });
                sqlx::query(
                    "insert into generation (model_id, prompt_id, blob_key, sha256, width, height, \
                     seed, steps, params, latency_ms, created_at) \
                     values ($1, $2, $3, $4, $5, $6, 0, null, $7, 0, $8)",
                )
                .bind(model_id)
                .bind(prompt_id)
                .bind(&img.blob_key)
                .bind(&img.sha256)
                .bind(img.size as i32)
                .bind(img.size as i32)
                .bind(params.to_string())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                counts.images_added += 1;
            }
            tx.commit().await?;
            Ok(counts)
        })
    }
}
