//! Battles as voters meet them: serve a blind pair, show it, take the vote, reveal.
//! Shared by the JSON API and the HTML pages.

use axum::http::StatusCode;
use serde::Serialize;

use crate::App;
use crate::error::{AppError, Result};
use crate::matchmaking::choose_pair;
use crate::store::{BattleImage, NewBattle, NewVote, VoteOutcome};

/// The winners a vote may name.
pub const WINNERS: [&str; 4] = ["a", "b", "tie", "both_bad"];

/// A battle as served: nothing in it names or identifies a model.
#[derive(Clone, Debug, Serialize)]
pub struct ServedBattle {
    pub id: String,
    pub prompt: String,
    pub category: String,
    /// `ready`, or `voted` once the vote is in; a live battle is `generating` until
    /// both images exist, or `failed`.
    pub status: &'static str,
    /// Both image URLs, or `None` while a live battle is not ready.
    pub images: Option<Images>,
    /// How far a live battle that is not ready has come.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub live: Option<crate::live::LiveProgress>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Images {
    pub a: String,
    pub b: String,
}

/// Which models were behind A and B, sent only after the vote.
#[derive(Clone, Debug, Serialize)]
pub struct Reveal {
    pub battle_id: String,
    pub winner: String,
    pub model_a: String,
    pub model_b: String,
    pub model_a_name: String,
    pub model_b_name: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct BattleView {
    #[serde(flatten)]
    pub battle: ServedBattle,
    pub reveal: Option<Reveal>,
}

/// 128 random bits as 32 hex digits: battle ids and image tokens.
pub fn random_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}

pub fn image_url(token: &str) -> String {
    format!("/images/{token}")
}

/// Battle ids are 32 lowercase hex digits; anything else is refused before any lookup.
pub fn check_battle_id(id: &str) -> Result<()> {
    if id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        Err(AppError::bad_request(
            "invalid_battle_id",
            "That is not a battle id.",
        ))
    }
}

pub fn parse_winner(winner: &str) -> Result<&'static str> {
    WINNERS.into_iter().find(|w| *w == winner).ok_or_else(|| {
        AppError::unprocessable(
            "invalid_winner",
            format!("winner must be one of a, b, tie, both_bad (got {winner:?})"),
        )
    })
}

/// Serves a new pool battle to `voter`, or `None` when no prompt has images from two
/// models yet (the pool is still being generated).
pub async fn serve(app: &App, voter: &str, category: Option<&str>) -> Result<Option<ServedBattle>> {
    // A prompt may lose its second model between the two queries (a model disabled);
    // a few attempts make that harmless.
    for _ in 0..3 {
        let Some(prompt_id) = app.store.random_pool_prompt(category).await? else {
            return Ok(None);
        };
        let candidates = app.store.candidates(prompt_id).await?;
        let pair = choose_pair(&candidates, &app.config.model_weights, &mut rand::rng());
        let Some(pair) = pair else { continue };
        let battle = NewBattle {
            id: random_id(),
            prompt_id,
            voter_id: voter.to_string(),
            mode: "pool",
            images: pair
                .iter()
                .map(|c| (c.generation_id, c.model_id, random_id()))
                .collect(),
        };
        app.store.add_battle(&battle).await?;
        let prompt = app
            .store
            .prompt(prompt_id)
            .await?
            .ok_or_else(|| AppError::internal(format!("prompt {prompt_id} vanished")))?;
        return Ok(Some(ServedBattle {
            id: battle.id,
            prompt: prompt.text,
            category: prompt.category,
            status: "ready",
            images: Some(Images {
                a: image_url(&battle.images[0].2),
                b: image_url(&battle.images[1].2),
            }),
            live: None,
        }));
    }
    Ok(None)
}

/// The battle as its voter sees it; another voter's battle does not exist for them.
pub async fn view(app: &App, voter: &str, id: &str) -> Result<BattleView> {
    check_battle_id(id)?;
    let battle = match app.store.battle(id).await? {
        Some(b) if b.voter_id == voter => b,
        _ => return Err(AppError::not_found("No such battle.")),
    };
    let images = app.store.battle_images(id).await?;
    let [a, b] = two_images(&images)?;
    if images.iter().any(|i| i.generation_id.is_none()) {
        // A live battle still drawing (or given up): no image URL before both exist.
        let (status, live) = match crate::live::state(app, id).await? {
            crate::live::LiveState::Failed(p) => ("failed", p),
            crate::live::LiveState::Generating(p) => ("generating", p),
            crate::live::LiveState::Ready => (
                "generating",
                crate::live::LiveProgress {
                    progress: 1.0,
                    message: "Finishing…".into(),
                },
            ),
        };
        return Ok(BattleView {
            battle: ServedBattle {
                id: battle.id,
                prompt: battle.prompt.unwrap_or_default(),
                category: battle.category.unwrap_or_default(),
                status,
                images: None,
                live: Some(live),
            },
            reveal: None,
        });
    }
    let vote = app.store.vote_for_battle(id).await?;
    Ok(BattleView {
        battle: ServedBattle {
            id: battle.id.clone(),
            prompt: battle.prompt.unwrap_or_default(),
            category: battle.category.unwrap_or_default(),
            status: if vote.is_some() { "voted" } else { "ready" },
            images: Some(Images {
                a: image_url(&a.token),
                b: image_url(&b.token),
            }),
            live: None,
        },
        reveal: vote.map(|v| reveal(&battle.id, v.winner, a, b)),
    })
}

/// Records the vote (committed before this returns) and reveals the models.
pub async fn vote(app: &App, voter: &str, id: &str, winner: &str) -> Result<Reveal> {
    check_battle_id(id)?;
    let winner = parse_winner(winner)?;
    let images = app.store.battle_images(id).await?;
    if images.iter().any(|i| i.generation_id.is_none()) {
        // Also answers a stranger's vote on a live battle: nothing tells them it exists.
        return match app.store.battle(id).await? {
            Some(b) if b.voter_id == voter => Err(AppError::new(
                StatusCode::CONFLICT,
                "battle_not_ready",
                "Both images are not ready yet; vote once you have seen them.",
            )),
            _ => Err(AppError::not_found("No such battle.")),
        };
    }
    let ttl = chrono::Duration::from_std(app.config.battle_ttl).unwrap_or(chrono::Duration::MAX);
    let outcome = app
        .store
        .record_vote(&NewVote {
            battle_id: id.to_string(),
            voter_id: voter.to_string(),
            winner,
            ttl,
        })
        .await?;
    match outcome {
        VoteOutcome::Recorded(v) => {
            tracing::info!(battle.id = %id, vote.winner = winner, vote.latency_ms = v.latency_ms, "vote recorded");
            let images = app.store.battle_images(id).await?;
            let [a, b] = two_images(&images)?;
            Ok(reveal(id, v.winner, a, b))
        }
        VoteOutcome::NotFound => Err(AppError::not_found("No such battle.")),
        VoteOutcome::AlreadyVoted => Err(AppError::new(
            StatusCode::CONFLICT,
            "already_voted",
            "This battle already has your vote.",
        )),
        VoteOutcome::Expired => Err(AppError::new(
            StatusCode::GONE,
            "battle_expired",
            "This battle was served too long ago to vote on. Start a new one.",
        )),
    }
}

fn two_images(images: &[BattleImage]) -> Result<[&BattleImage; 2]> {
    match images {
        [a, b] => Ok([a, b]),
        _ => Err(AppError::internal(format!(
            "battle has {} images",
            images.len()
        ))),
    }
}

fn reveal(id: &str, winner: String, a: &BattleImage, b: &BattleImage) -> Reveal {
    Reveal {
        battle_id: id.to_string(),
        winner,
        model_a: a.model_slug.clone(),
        model_b: b.model_slug.clone(),
        model_a_name: a.model_name.clone(),
        model_b_name: b.model_name.clone(),
    }
}
