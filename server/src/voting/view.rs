//! What a voter is shown of a battle, before and after the vote. Nothing here names or
//! identifies a model until [`Reveal`], which is only built once the vote is stored.

use std::collections::BTreeMap;

use arena_evaluator::Outcome;
use serde::Serialize;
use utoipa::ToSchema;

use super::axes::Axis;
use super::{Error, Result};
use crate::store::BattleImage;

/// A battle id as handed out: 32 lowercase hex digits. Anything else is refused when
/// it arrives, before any lookup, so the rest of the code only sees valid ids.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BattleId(String);

impl BattleId {
    pub fn parse(id: &str) -> Result<BattleId> {
        if id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            Ok(BattleId(id.to_string()))
        } else {
            Err(Error::InvalidBattleId)
        }
    }

    /// A new random id.
    pub fn random() -> BattleId {
        BattleId(random_id())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for BattleId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// 128 random bits as 32 hex digits: battle ids, image tokens, voter ids.
pub fn random_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// Where the image behind a per-battle token is served.
pub fn image_url(token: &str) -> String {
    format!("/images/{token}")
}

/// Where a battle stands, for the voter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BattleStatus {
    /// Both images are there; waiting for the vote.
    Ready,
    /// The vote is in.
    Voted,
    /// A live battle whose images are being drawn.
    Generating,
    /// A live battle given up (an image failed or took too long).
    Failed,
}

impl BattleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BattleStatus::Ready => "ready",
            BattleStatus::Voted => "voted",
            BattleStatus::Generating => "generating",
            BattleStatus::Failed => "failed",
        }
    }
}

impl std::fmt::Display for BattleStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How far a live battle that is not ready has come: one figure for both images,
/// since a figure per side would tell which model is faster.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LiveProgress {
    /// Both images together, from 0 to 1.
    pub progress: f64,
    /// A sentence for the page.
    pub message: String,
}

/// A battle as served: nothing in it names or identifies a model.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ServedBattle {
    pub id: String,
    pub prompt: String,
    pub category: String,
    pub status: BattleStatus,
    /// Both image URLs, or `None` while a live battle is not ready.
    pub images: Option<Images>,
    /// How far a live battle that is not ready has come.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveProgress>,
    /// The proof of work its vote needs, when `[integrity] pow` asks for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pow: Option<PowChallenge>,
    /// The questions the vote answers, in order: the first (`overall`) is its
    /// `winner`; the others, optional, go in its `axes`. All are asked before the
    /// reveal, while the models are unknown.
    pub questions: Vec<Axis>,
}

/// A proof of work to solve before voting: a nonce such that SHA-256(challenge ‖
/// nonce), hex challenge and decimal nonce as text, starts with `bits` zero bits.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PowChallenge {
    pub challenge: String,
    pub bits: u8,
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Images {
    pub a: String,
    pub b: String,
}

/// Which models were behind A and B, sent only after the vote.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Reveal {
    pub battle_id: String,
    pub winner: Outcome,
    pub model_a: String,
    pub model_b: String,
    pub model_a_name: String,
    pub model_b_name: String,
    /// The answers on the other questions, by axis (absent when there are none).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    #[schema(value_type = BTreeMap<String, Outcome>)]
    pub axes: BTreeMap<String, Outcome>,
}

impl Reveal {
    /// The reveal of a pairwise battle's vote and its answers on other axes.
    pub fn new(
        battle_id: &str,
        winner: Outcome,
        axes: &[(String, Outcome)],
        images: &[BattleImage],
    ) -> Result<Reveal> {
        let [a, b] = two(images)?;
        Ok(Reveal {
            battle_id: battle_id.to_string(),
            winner,
            axes: axes.iter().cloned().collect(),
            model_a: a.model_slug.clone(),
            model_b: b.model_slug.clone(),
            model_a_name: a.model_name.clone(),
            model_b_name: b.model_name.clone(),
        })
    }
}

/// A battle as its voter sees it now, with the reveal once voted.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct BattleView {
    #[serde(flatten)]
    pub battle: ServedBattle,
    pub reveal: Option<Reveal>,
}

/// The two images of a pairwise battle.
pub fn two(images: &[BattleImage]) -> Result<[&BattleImage; 2]> {
    match images {
        [a, b] => Ok([a, b]),
        _ => Err(Error::Store(crate::store::StoreError::Invalid(format!(
            "a pairwise battle with {} images",
            images.len()
        )))),
    }
}

/// The image URLs of a pairwise battle.
pub fn image_urls(images: &[BattleImage]) -> Result<Images> {
    let [a, b] = two(images)?;
    Ok(Images {
        a: image_url(&a.token),
        b: image_url(&b.token),
    })
}
