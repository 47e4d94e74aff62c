//! What a voter is shown of a battle, before and after the vote. Nothing here names or
//! identifies a model until [`Reveal`], which is only built once the vote is stored.

use std::collections::BTreeMap;

use arena_evaluator::{Outcome, Position};
use serde::Serialize;
use utoipa::ToSchema;

use super::axes::Axis;
use super::{Error, Result};
use crate::store::{BattleImage, KChoice};

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
    /// The image URLs (two, or three or four for a K-wise battle), or `None` while a
    /// live battle is not ready.
    pub images: Option<Images>,
    /// How far a live battle that is not ready has come.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<LiveProgress>,
    /// The proof of work its vote needs, when `[integrity] pow` asks for one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pow: Option<PowChallenge>,
    /// The questions the vote answers, in order: the first (`overall`) is its
    /// `winner` (a K-wise battle's `best`); the others, optional, go in its `axes`.
    /// All are asked before the reveal, while the models are unknown. A K-wise
    /// battle asks the overall question only.
    pub questions: Vec<Axis>,
}

impl ServedBattle {
    /// How many images it shows (0 while a live battle is not ready).
    pub fn size(&self) -> usize {
        self.images.as_ref().map_or(0, |i| i.urls().count())
    }
}

/// A proof of work to solve before voting: a nonce such that SHA-256(challenge ‖
/// nonce), hex challenge and decimal nonce as text, starts with `bits` zero bits.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PowChallenge {
    pub challenge: String,
    pub bits: u8,
}

/// The images of a battle in display order: A and B, and C (and D) in a K-wise
/// battle.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Images {
    pub a: String,
    pub b: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub c: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub d: Option<String>,
}

impl Images {
    /// The URLs in display order.
    pub fn urls(&self) -> impl Iterator<Item = &str> {
        [
            Some(&self.a),
            Some(&self.b),
            self.c.as_ref(),
            self.d.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
    }

    /// The URLs of a battle's per-battle image tokens, in display order (two to four).
    pub fn of_tokens<'t>(tokens: impl ExactSizeIterator<Item = &'t str>) -> Result<Images> {
        let n = tokens.len();
        if !(2..=Position::MAX).contains(&n) {
            return Err(invalid_size(n));
        }
        let mut urls = tokens.map(image_url);
        Ok(Images {
            a: urls.next().unwrap_or_default(),
            b: urls.next().unwrap_or_default(),
            c: urls.next(),
            d: urls.next(),
        })
    }
}

/// Which models were behind the images, sent only after the vote.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Reveal {
    pub battle_id: String,
    /// A pair's answer (absent for a K-wise battle).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub winner: Option<Outcome>,
    /// A K-wise battle's best image: `a`, `b`, `c` or `d`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub best: Option<String>,
    /// A K-wise battle's worst image, if the voter chose one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub worst: Option<String>,
    pub model_a: String,
    pub model_b: String,
    pub model_a_name: String,
    pub model_b_name: String,
    /// The third model of a K-wise battle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_c: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_c_name: Option<String>,
    /// The fourth model of a battle of four images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_d: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_d_name: Option<String>,
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
        two(images)?;
        Ok(Reveal {
            winner: Some(winner),
            axes: axes.iter().cloned().collect(),
            ..Reveal::models(battle_id, images)
        })
    }

    /// The reveal of a K-wise battle's vote.
    pub fn of_choice(battle_id: &str, choice: KChoice, images: &[BattleImage]) -> Result<Reveal> {
        if !(3..=Position::MAX).contains(&images.len()) {
            return Err(invalid_size(images.len()));
        }
        Ok(Reveal {
            best: Some(choice.best.letter().to_string()),
            worst: choice.worst.map(|w| w.letter().to_string()),
            ..Reveal::models(battle_id, images)
        })
    }

    /// The models behind `images` (two to four), and no answer yet.
    fn models(battle_id: &str, images: &[BattleImage]) -> Reveal {
        let slug = |i: usize| images.get(i).map(|m| m.model_slug.clone());
        let name = |i: usize| images.get(i).map(|m| m.model_name.clone());
        Reveal {
            battle_id: battle_id.to_string(),
            winner: None,
            best: None,
            worst: None,
            model_a: slug(0).unwrap_or_default(),
            model_b: slug(1).unwrap_or_default(),
            model_a_name: name(0).unwrap_or_default(),
            model_b_name: name(1).unwrap_or_default(),
            model_c: slug(2),
            model_c_name: name(2),
            model_d: slug(3),
            model_d_name: name(3),
            axes: BTreeMap::new(),
        }
    }

    /// The revealed model names in display order.
    pub fn names(&self) -> Vec<&str> {
        [
            Some(&self.model_a_name),
            Some(&self.model_b_name),
            self.model_c_name.as_ref(),
            self.model_d_name.as_ref(),
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect()
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
        _ => Err(invalid_size(images.len())),
    }
}

fn invalid_size(n: usize) -> Error {
    Error::Store(crate::store::StoreError::Invalid(format!(
        "a battle with {n} images"
    )))
}

/// The image URLs of a battle (two to four images).
pub fn image_urls(images: &[BattleImage]) -> Result<Images> {
    Images::of_tokens(images.iter().map(|m| m.token.as_str()))
}
