//! Battles as voters meet them: serve a blind pair (or, for a share `kwise_share` of
//! pool battles, three or four images), show it, take the vote, reveal. Shared by the
//! JSON API and the HTML pages.

use std::collections::HashMap;

use arena_evaluator::matchmaking::ModelState;
use arena_evaluator::{Outcome, Position};
use rand::Rng;

use super::axes::Axis;
use super::live::{self, LiveState};
use super::matchmaking::{Active, choose_set, model_states};
use super::view::{
    BattleId, BattleStatus, BattleView, Images, LiveProgress, PowChallenge, Reveal, ServedBattle,
    image_urls, random_id,
};
use super::{Error, Result};
use crate::app::App;
use crate::config::Matchmaking;
use crate::integrity::limits::{self, Action};
use crate::integrity::{Requester, pow, view};
use crate::rankings::board::BoardQuery;
use crate::store::{Answer, KChoice, NewBattle, NewVote, OVERALL, VoteOutcome};

/// Parses the winner a vote names (the API's spelling: `a`, `b`, `tie`, `both_bad`).
pub fn parse_winner(winner: &str) -> Result<Outcome> {
    Outcome::parse_arena(winner).map_err(|_| Error::InvalidWinner(winner.to_string()))
}

/// Parses a K-wise battle's answer: the best image's letter and perhaps the worst's
/// (`a` to `d`); whether the battle shows them is checked when the vote is stored.
pub fn parse_choice(best: &str, worst: Option<&str>) -> Result<KChoice> {
    let position = |field: &str, letter: &str| {
        Position::parse(letter).ok_or_else(|| {
            Error::InvalidChoice(format!(
                "{field} must be one of a, b, c, d (got {letter:?})"
            ))
        })
    };
    let best = position("best", best)?;
    let worst = worst.map(|w| position("worst", w)).transpose()?;
    KChoice::new(best, worst, Position::MAX).map_err(Error::InvalidChoice)
}

/// Parses a vote as the API and the form send it: a pair's `winner` (with answers on
/// other axes), or a K-wise battle's `best` (and optional `worst`); never both.
/// `Ok(None)` when it has neither.
pub fn parse_answer<'a>(
    axes: &[Axis],
    winner: Option<&str>,
    best: Option<&str>,
    worst: Option<&str>,
    answers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Option<Answer>> {
    let answers = parse_axis_answers(axes, answers)?;
    match (winner, best) {
        (Some(_), Some(_)) => Err(Error::InvalidChoice(
            "Send a winner (two images) or a best (three or four), not both.".into(),
        )),
        (None, Some(_)) if !answers.is_empty() => Err(Error::InvalidAxis(format!(
            "A battle of three or four images asks only which image is best (got an answer on \
             {:?}).",
            answers[0].0
        ))),
        (None, Some(best)) => Ok(Some(Answer::Choice(parse_choice(best, worst)?))),
        (_, None) if worst.is_some() => Err(Error::InvalidChoice(
            "worst comes with best, in a battle of three or four images.".into(),
        )),
        (Some(winner), None) => Ok(Some(Answer::Pair {
            winner: parse_winner(winner)?,
            axes: answers,
        })),
        (None, None) => Ok(None),
    }
}

/// Parses a vote's answers on the other axes, `(axis, winner)`: each must be one of
/// `axes` other than the overall one (whose answer is the vote's `winner`), at most
/// once; an empty answer is a question the voter skipped.
pub fn parse_axis_answers<'a>(
    axes: &[Axis],
    answers: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<Vec<(String, Outcome)>> {
    let mut parsed: Vec<(String, Outcome)> = Vec::new();
    for (axis, winner) in answers {
        let asked = axes.iter().skip(1).any(|a| a.name == axis);
        if !asked {
            let others: Vec<&str> = axes.iter().skip(1).map(|a| a.name.as_str()).collect();
            return Err(Error::InvalidAxis(if axis == OVERALL {
                "The overall answer is the vote's winner, not one of its axes.".into()
            } else if others.is_empty() {
                format!("This arena asks only which image is better; there is no axis {axis:?}.")
            } else {
                format!("axes may answer {} (got {axis:?}).", others.join(", "))
            }));
        }
        if parsed.iter().any(|(a, _)| a == axis) {
            return Err(Error::InvalidAxis(format!(
                "The axis {axis:?} is answered twice."
            )));
        }
        if winner.is_empty() {
            continue;
        }
        parsed.push((axis.to_string(), parse_winner(winner)?));
    }
    parsed.sort_by(|x, y| x.0.cmp(&y.0));
    Ok(parsed)
}

/// Serves a new pool battle to `who`, optionally from one prompt category; `None`
/// when no prompt has images from two models yet (the pool is still being generated).
/// With active matchmaking, what the cached default leaderboard knows of each model
/// (never a refit per request: the board is the one the leaderboard page shows). If
/// it cannot be had, the battle is drawn uniformly rather than not served.
async fn active_states(app: &App) -> Option<HashMap<String, ModelState>> {
    if app.config.matchmaking != Matchmaking::Active {
        return None;
    }
    match app.rankings.get(&app.store, &BoardQuery::default()).await {
        Ok(board) => Some(model_states(&board.leaderboard)),
        Err(e) => {
            tracing::warn!(error = %e, "no leaderboard for active matchmaking; drawing uniformly");
            None
        }
    }
}

pub async fn serve(
    app: &App,
    who: &Requester,
    category: Option<&str>,
) -> Result<Option<ServedBattle>> {
    if let Some(category) = category
        && !app
            .store
            .prompt_categories()
            .await?
            .iter()
            .any(|c| c == category)
    {
        return Err(Error::UnknownCategory(category.to_string()));
    }
    limits::hit(app, who, Action::Battle).await?;
    let states = active_states(app).await;
    let active = states.as_ref().map(|states| Active {
        states,
        exploration: app.config.exploration,
    });
    // A prompt drawn from the server's list may have lost its second model since (a
    // model disabled, an image retired); a few attempts, the list read again, make
    // that harmless.
    for _ in 0..3 {
        let Some(prompt_id) = app.prompt_pool.draw(&app.store, category).await? else {
            return Ok(None);
        };
        let candidates = app.store.candidates(prompt_id).await?;
        let Some(set) = draw_set(app, &candidates, active.as_ref()) else {
            app.prompt_pool.forget().await;
            continue;
        };
        let battle = NewBattle {
            id: random_id(),
            prompt_id,
            voter_id: who.voter_id().to_string(),
            images: set
                .into_iter()
                .map(|(generation, model)| (generation, model, random_id()))
                .collect(),
            client_hash: Some(who.address.hash.clone()),
            client_net: Some(who.address.net.clone()),
            retire_images_after: app.config.queue.pool_image_battles,
        };
        app.store.add_battle(&battle).await?;
        let Some(prompt) = app.store.prompt(prompt_id).await? else {
            continue;
        };
        let pow = pow_for(app, who.voter_id(), &battle.id).await?;
        app.metrics.battle_served("pool");
        let images = Images::of_tokens(battle.images.iter().map(|(_, _, t)| t.as_str()))?;
        return Ok(Some(ServedBattle {
            id: battle.id,
            prompt: prompt.text,
            category: prompt.category,
            status: BattleStatus::Ready,
            images: Some(images),
            live: None,
            pow,
            questions: questions(app, battle.images.len()),
        }));
    }
    Ok(None)
}

/// The images of a new pool battle from `candidates`, as (generation, model) in
/// display order: `battle_size` of them when this draw asks for a K-wise battle
/// (`kwise_share`) and the prompt has images of enough models, else a pair; `None`
/// when not even a pair can be drawn.
fn draw_set(
    app: &App,
    candidates: &[crate::store::Candidate],
    active: Option<&Active<'_>>,
) -> Option<Vec<(i64, i64)>> {
    let mut rng = rand::rng();
    let share = app.config.kwise_share;
    let weights = &app.config.model_weights;
    let kwise = (share > 0.0 && rng.random_bool(share))
        .then(|| {
            choose_set(
                candidates,
                app.config.battle_size,
                weights,
                active,
                &mut rng,
            )
        })
        .flatten();
    let set = kwise.or_else(|| choose_set(candidates, 2, weights, active, &mut rng))?;
    Some(set.iter().map(|c| (c.generation_id, c.model_id)).collect())
}

/// The questions a battle of `size` images asks: every axis of the config for a
/// pair, the overall one alone for a K-wise battle.
fn questions(app: &App, size: usize) -> Vec<Axis> {
    match size {
        2 => app.config.axes.clone(),
        _ => app.config.axes.iter().take(1).cloned().collect(),
    }
}

/// The battle as its voter sees it; another voter's battle does not exist for them.
pub async fn view(app: &App, voter: &str, id: &BattleId) -> Result<BattleView> {
    let battle = match app.store.battle(id.as_str()).await? {
        Some(b) if b.voter_id == voter => b,
        _ => return Err(Error::BattleNotFound),
    };
    let served = |status, images, live, pow| ServedBattle {
        id: battle.id.clone(),
        prompt: battle.prompt.clone().unwrap_or_default(),
        category: battle.category.clone().unwrap_or_default(),
        status,
        images,
        live,
        pow,
        questions: questions(app, battle.images.len()),
    };
    if !battle.is_ready() {
        // A live battle still drawing (or given up): no image URL before both exist.
        let (status, progress) = match live::state(app, id).await? {
            LiveState::Failed(p) => (BattleStatus::Failed, p),
            LiveState::Generating(p) => (BattleStatus::Generating, p),
            LiveState::Ready => (
                BattleStatus::Generating,
                LiveProgress {
                    progress: 1.0,
                    message: "Finishing…".into(),
                },
            ),
        };
        return Ok(BattleView {
            battle: served(status, None, Some(progress), None),
            reveal: None,
        });
    }
    let reveal = match (battle.vote, battle.choice) {
        (Some(winner), _) => Some(Reveal::new(
            &battle.id,
            winner,
            &battle.axis_votes,
            &battle.images,
        )?),
        (None, Some(choice)) => Some(Reveal::of_choice(&battle.id, choice, &battle.images)?),
        (None, None) => None,
    };
    let (status, pow) = match reveal {
        Some(_) => (BattleStatus::Voted, None),
        None => (BattleStatus::Ready, pow_for(app, voter, &battle.id).await?),
    };
    Ok(BattleView {
        battle: served(status, Some(image_urls(&battle.images)?), None, pow),
        reveal,
    })
}

/// The proof of work a vote on battle `id` needs from `voter`, if any.
async fn pow_for(app: &App, voter: &str, id: &str) -> Result<Option<PowChallenge>> {
    let votes = match app.config.integrity.pow {
        crate::integrity::config::PowMode::NewVoters => app.store.votes_of(voter).await?,
        _ => 0,
    };
    Ok(pow::required(&app.config, votes).then(|| PowChallenge {
        challenge: pow::challenge(&app.config.judge_key, id),
        bits: app.config.integrity.pow_bits,
    }))
}

/// Records the vote (committed before this returns) and reveals the models, from the
/// battle as the vote's transaction read it. The vote is stored even when it does not
/// count (its images not looked at, its voter flagged); the voter is not told.
pub async fn vote(
    app: &App,
    who: &Requester,
    id: &BattleId,
    answer: Answer,
    pow_nonce: Option<&str>,
) -> Result<Reveal> {
    limits::hit(app, who, Action::Vote).await?;
    if let Some(needed) = pow_for(app, who.voter_id(), id.as_str()).await?
        && !pow_nonce.is_some_and(|n| pow::verify(&needed.challenge, n, needed.bits))
    {
        return Err(Error::ProofOfWorkRequired);
    }
    let ttl = chrono::Duration::from_std(app.config.battle_ttl).unwrap_or(chrono::Duration::MAX);
    let outcome = app
        .store
        .record_vote(&NewVote {
            battle_id: id.to_string(),
            voter_id: who.voter_id().to_string(),
            answer,
            ttl,
            client_hash: Some(who.address.hash.clone()),
            client_net: Some(who.address.net.clone()),
            min_view: view::min_view(&app.config),
        })
        .await?;
    match outcome {
        VoteOutcome::Recorded(recorded) => {
            let battle = &recorded.battle;
            app.metrics.vote(OVERALL, recorded.excluded);
            match &recorded.answer {
                Answer::Pair { winner, axes } => {
                    for (axis, _) in axes {
                        app.metrics.vote(axis, recorded.excluded);
                    }
                    tracing::info!(battle.id = %id, vote.winner = winner.as_str(), vote.axes = axes.len(), vote.latency_ms = recorded.latency_ms, vote.excluded = recorded.excluded, "vote recorded");
                    Reveal::new(&battle.id, *winner, axes, &battle.images)
                }
                Answer::Choice(choice) => {
                    tracing::info!(battle.id = %id, vote.best = choice.best.letter(), vote.worst = choice.worst.map(|w| w.letter()), vote.latency_ms = recorded.latency_ms, vote.excluded = recorded.excluded, "vote recorded");
                    Reveal::of_choice(&battle.id, *choice, &battle.images)
                }
            }
        }
        // Also answers a stranger's vote on a live battle: nothing tells them it exists.
        VoteOutcome::NotFound => Err(Error::BattleNotFound),
        VoteOutcome::NotReady => Err(Error::BattleNotReady),
        VoteOutcome::AlreadyVoted => Err(Error::AlreadyVoted),
        VoteOutcome::Expired => Err(Error::BattleExpired),
        VoteOutcome::WrongAnswer(why) => Err(Error::InvalidChoice(why)),
    }
}
