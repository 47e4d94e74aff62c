//! Imports: votes from other arenas' files and galleries of pre-generated images. Each
//! batch is one transaction, and both kinds are idempotent: a re-import finds its rows
//! by key and adds nothing. Owns no table: it composes the writes of `voter`,
//! `battle`, `battle_image`, `vote`, the tallies, `model`, `prompt` and `generation`.

use arena_evaluator::{Outcome, Position};
use chrono::{DateTime, Utc};

use super::battle::{self, BattleRow, Mode};
use super::battle_image::{self, ImageRow};
use super::generation::{self, GenerationRow};
use super::model::{self, NewModel};
use super::prompt::{self, PromptRow};
use super::tally::{self, OVERALL, TallyDelta};
use super::vote::{self, VoteRow};
use super::{Result, Store, voter};
use crate::generation::style::Style;

/// One imported vote, resolved to model ids. Its battle id is derived from the vote's
/// content, which is what makes a re-import of the same file add nothing.
#[derive(Clone, Debug)]
pub struct ImportedVote {
    pub battle_id: String,
    pub voter_id: String,
    pub model_a_id: i64,
    pub model_b_id: i64,
    pub winner: Outcome,
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
    /// The stored image's style statistics.
    pub style: Style,
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
    /// Stores a batch of imported votes in one transaction; votes whose battle is
    /// already present are skipped. Returns how many were added.
    pub async fn import_votes(&self, votes: &[ImportedVote], source: &str) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut added = 0;
        let mut delta = TallyDelta::default();
        for v in votes {
            voter::ensure(&mut tx, &v.voter_id, v.cast_at).await?;
            let row = BattleRow {
                id: &v.battle_id,
                prompt_id: None,
                voter_id: &v.voter_id,
                mode: Mode::Imported,
                anony: v.anony,
                served_at: v.cast_at,
                client_hash: None,
                client_net: None,
            };
            if !battle::insert(&mut tx, &row).await? {
                continue;
            }
            for (position, model_id) in [(Position::A, v.model_a_id), (Position::B, v.model_b_id)] {
                // Imported battles have no images; the token is never served.
                let token = format!("{}-{}", v.battle_id, position.index());
                let image = ImageRow {
                    battle_id: &v.battle_id,
                    position,
                    generation_id: None,
                    model_id,
                    token: &token,
                };
                battle_image::insert(&mut tx, &image).await?;
            }
            let row = VoteRow {
                axis: OVERALL,
                battle_id: &v.battle_id,
                winner: v.winner,
                voter_id: &v.voter_id,
                model_a_id: v.model_a_id,
                model_b_id: v.model_b_id,
                created_at: v.cast_at,
                latency_ms: None,
                counts_for_leaderboard: v.counts_for_leaderboard,
                exclusion_reason: v.exclusion_reason.as_deref(),
                flag_id: None,
                source,
                client_hash: None,
                client_net: None,
            };
            vote::insert(&mut tx, &row).await?;
            if v.counts_for_leaderboard {
                // Imported battles have no prompt, hence no category.
                delta.add(
                    OVERALL,
                    None,
                    v.cast_at,
                    v.model_a_id,
                    v.model_b_id,
                    v.winner,
                );
            }
            added += 1;
        }
        tally::add(&mut tx, &delta).await?;
        tx.commit().await?;
        Ok(added)
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
        let mut tx = self.begin().await?;
        let mut counts = GalleryCounts::default();
        for img in images {
            let new_model = NewModel {
                slug: img.model_slug.clone(),
                display_name: img.model_name.clone(),
                backend: "gallery".into(),
                version: String::new(),
                description: format!("pre-generated images from {source}"),
                weight: 1.0,
            };
            let (model_id, added) = model::insert_if_absent(&mut tx, &new_model, now).await?;
            counts.models_added += u64::from(added);
            let prompt_id = match prompt::find_in_sets(&mut tx, &img.prompt_text).await? {
                Some(id) => id,
                None => {
                    counts.prompts_added += 1;
                    let row = PromptRow {
                        text: &img.prompt_text,
                        category: &img.prompt_category,
                        source,
                        voter_id: None,
                        rejected_because: None,
                    };
                    prompt::insert(&mut tx, &row, now).await?
                }
            };
            if generation::exists(&mut tx, model_id, prompt_id).await? {
                counts.images_present += 1;
                continue;
            }
            let params = serde_json::json!({ "source": source, "file": img.file });
            let row = GenerationRow {
                model_id,
                prompt_id,
                blob_key: &img.blob_key,
                sha256: &img.sha256,
                width: img.size,
                height: img.size,
                seed: 0,
                steps: None,
                params: params.to_string(),
                latency_ms: 0,
                style: Some(&img.style),
            };
            generation::insert(&mut tx, &row, now).await?;
            counts.images_added += 1;
        }
        tx.commit().await?;
        Ok(counts)
    }
}
