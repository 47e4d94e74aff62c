//! Live battles: the voter types a prompt, two models with a live worker draw it, and
//! the page follows the two jobs until both images are ready. Nothing about the jobs
//! reaches the voter but one combined progress figure, so neither the models nor
//! which side is faster can be told before the vote.

use chrono::Utc;

use super::matchmaking::choose_pair;
use super::prompt_text;
use super::view::{BattleId, BattleStatus, LiveProgress, ServedBattle, random_id};
use super::{Error, Result};
use crate::app::App;
use crate::integrity::Requester;
use crate::integrity::limits::{self, Action};
use crate::store::{Candidate, Job, LiveAdmission, LiveSide, NewLiveBattle};

/// Where a live battle stands.
#[derive(Clone, Debug)]
pub enum LiveState {
    Generating(LiveProgress),
    Ready,
    Failed(LiveProgress),
}

/// A voter over the live-battle limits is refused (429 with `Retry-After`).
fn admit(admission: LiveAdmission) -> Result<()> {
    match admission {
        LiveAdmission::Allowed => Ok(()),
        LiveAdmission::TooManyGenerating { generating } => Err(Error::TooManyDrawing(generating)),
        LiveAdmission::TooManyThisHour { per_hour, retry_at } => {
            Err(Error::TooManyLiveThisHour { per_hour, retry_at })
        }
    }
}

/// Checks the prompt, picks two models that a live worker serves and queues their
/// jobs; the battle is returned as `generating`.
/// Active models that a worker seen within `queue.worker_seen_secs` serves.
async fn live_candidates(app: &App) -> Result<Vec<Candidate>> {
    let seen = app.config.queue.live_workers_since(Utc::now());
    let served = app.store.served_model_slugs(seen).await?;
    Ok(app.store.live_candidates(&served).await?)
}

/// Whether a live battle could start now: two active models served by live workers.
/// The battle page offers its prompt box only then.
pub async fn available(app: &App) -> Result<bool> {
    let candidates = live_candidates(app).await?;
    Ok(choose_pair(
        &candidates,
        &app.config.model_weights,
        None,
        &mut rand::rng(),
    )
    .is_some())
}

pub async fn start(app: &App, who: &Requester, prompt: &str) -> Result<ServedBattle> {
    let voter = who.voter_id();
    let prompt = prompt_text::normalize(prompt).map_err(Error::InvalidPromptCharacters)?;
    let lengths = app.moderator.config();
    let chars = prompt.chars().count();
    if chars < lengths.min_prompt_chars || chars > lengths.max_prompt_chars {
        return Err(Error::InvalidPromptLength {
            min: lengths.min_prompt_chars,
            max: lengths.max_prompt_chars,
            chars,
        });
    }
    // Refused early, before moderation looks at the prompt; checked again when stored.
    limits::check(app, who, Action::RefusedPrompt).await?;
    limits::check_live_queue(app).await?;
    let live_limits = app.config.live_limits();
    admit(app.store.live_admission(voter, live_limits).await?)?;
    if let Some(rejection) = app.moderator.check(&prompt).await {
        app.store
            .add_rejected_prompt(&prompt, voter, &rejection.reason)
            .await?;
        tracing::info!(moderation.reason = %rejection.reason, "prompt rejected");
        // Counted toward the limit on refused prompts; this refusal stands either way.
        if let Err(limits::Error::Store(e)) = limits::hit(app, who, Action::RefusedPrompt).await {
            return Err(e.into());
        }
        return Err(Error::PromptRejected(rejection.message));
    }
    limits::hit(app, who, Action::Live).await?;
    let candidates = live_candidates(app).await?;
    let pair = choose_pair(
        &candidates,
        &app.config.model_weights,
        None,
        &mut rand::rng(),
    );
    let Some([a, b]) = pair else {
        return Err(Error::NoLiveModels);
    };
    let size = app.config.image_size;
    let side = |model_id| LiveSide {
        model_id,
        token: random_id(),
        seed: (rand::random::<u64>() >> 1) as i64,
    };
    let battle = NewLiveBattle {
        id: random_id(),
        voter_id: voter.to_string(),
        prompt: prompt.clone(),
        sides: [side(a.model_id), side(b.model_id)],
        width: size,
        height: size,
        deadline: Utc::now() + chrono::Duration::seconds(app.config.queue.live_timeout_secs as i64),
        client_hash: Some(who.address.hash.clone()),
        client_net: Some(who.address.net.clone()),
    };
    admit(app.store.add_live_battle(&battle, live_limits).await?)?;
    app.queue.jobs_added.notify_waiters();
    tracing::info!(battle.id = %battle.id, "live battle queued");
    app.metrics.battle_served("live");
    Ok(ServedBattle {
        id: battle.id,
        prompt,
        category: "voter".into(),
        status: BattleStatus::Generating,
        images: None,
        live: Some(progress_of(&[])),
        pow: None,
        questions: app.config.axes.clone(),
    })
}

/// The state of a live battle from its jobs.
pub async fn state(app: &App, battle_id: &BattleId) -> Result<LiveState> {
    let jobs = app.store.battle_jobs(battle_id.as_str()).await?;
    Ok(state_of(&jobs))
}

fn state_of(jobs: &[Job]) -> LiveState {
    if let Some(failed) = jobs.iter().find(|j| j.state == "failed") {
        let timed_out = failed
            .failure_reason
            .as_deref()
            .is_some_and(|r| r.starts_with("timed out"));
        let message = if timed_out {
            "One of the two images took too long, so this battle was given up. Nothing was counted; try another battle."
        } else {
            "One of the two models could not draw this prompt, so this battle was given up. Nothing was counted; try another battle."
        };
        return LiveState::Failed(LiveProgress {
            progress: 1.0,
            message: message.into(),
        });
    }
    if !jobs.is_empty() && jobs.iter().all(|j| j.state == "done") {
        return LiveState::Ready;
    }
    LiveState::Generating(progress_of(jobs))
}

/// One figure for both jobs: per-side progress would tell which model is faster.
fn progress_of(jobs: &[Job]) -> LiveProgress {
    let share = |j: &Job| match j.state.as_str() {
        "done" => 1.0,
        "leased" => match (j.progress_step, j.progress_steps) {
            (Some(k), Some(n)) if n > 0 => (k as f64 / n as f64).clamp(0.0, 1.0) * 0.95,
            _ => 0.0,
        },
        _ => 0.0,
    };
    let progress = if jobs.is_empty() {
        0.0
    } else {
        jobs.iter().map(share).sum::<f64>() / jobs.len() as f64
    };
    let started = jobs.iter().any(|j| j.state != "queued");
    let message = if !started {
        "Waiting for a free worker…".to_string()
    } else {
        format!(
            "Drawing both images… {}%",
            (progress * 100.0).round() as u32
        )
    };
    LiveProgress { progress, message }
}
