//! Limits that hold across cookies: what one client address and one voter may do per
//! hour (`[limits]`), counted in the database so that every server on it shares them,
//! and the arena-wide cap on queued live jobs. Over a limit the request is refused
//! with when it may be tried again; nothing it asked for is stored.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use super::Requester;
use super::config::Allowance;
use crate::app::App;
use crate::store::StoreError;

/// An action with a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    /// A battle served (pool or live).
    Battle,
    /// A vote cast.
    Vote,
    /// A live battle started.
    Live,
    /// A prompt moderation refused.
    RefusedPrompt,
    /// An admin sign-in attempt.
    AdminLogin,
}

impl Action {
    fn key(self) -> &'static str {
        match self {
            Action::Battle => "battle",
            Action::Vote => "vote",
            Action::Live => "live",
            Action::RefusedPrompt => "refused_prompt",
            Action::AdminLogin => "admin_login",
        }
    }

    fn allowed(self, allowance: &Allowance) -> u32 {
        match self {
            Action::Battle => allowance.battles,
            Action::Vote => allowance.votes,
            Action::Live => allowance.live,
            Action::RefusedPrompt => allowance.refused_prompts,
            Action::AdminLogin => 0,
        }
    }

    /// What a person is told they did too often.
    pub fn described(self) -> &'static str {
        match self {
            Action::Battle => "asked for too many battles",
            Action::Vote => "cast too many votes",
            Action::Live => "started too many battles with your own prompts",
            Action::RefusedPrompt => "had too many prompts refused",
            Action::AdminLogin => "tried to sign in too often",
        }
    }
}

/// Whose limit was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The client address (all cookies behind it).
    Address,
    /// The voter cookie.
    Voter,
}

/// A request over a limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "You have {} {} in the past hour; try again in {} minute(s).",
    action.described(),
    match scope { Scope::Address => "from this network address", Scope::Voter => "from this browser" },
    retry_after.div_ceil(60)
)]
pub struct LimitExceeded {
    pub action: Action,
    pub scope: Scope,
    /// Seconds until the window ends.
    pub retry_after: u64,
}

/// Limits are counted in fixed one-hour windows.
const WINDOW: TimeDelta = TimeDelta::hours(1);

fn window_of(now: DateTime<Utc>) -> DateTime<Utc> {
    now.duration_trunc(WINDOW).unwrap_or(now)
}

fn retry_after(window: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    (window + WINDOW - now).num_seconds().max(1) as u64
}

/// The counters `who` has for `action`, with their limits: (key, limit, scope).
fn counters(app: &App, who: &Requester, action: Action) -> Vec<(String, u32, Scope)> {
    let limits = &app.config.limits;
    let per_address = match action {
        Action::AdminLogin => limits.admin_logins,
        other => other.allowed(&limits.per_address),
    };
    let mut counters = Vec::new();
    if per_address > 0 {
        let key = format!("{}:address:{}", action.key(), who.address.hash);
        counters.push((key, per_address, Scope::Address));
    }
    let per_voter = action.allowed(&limits.per_voter);
    if per_voter > 0
        && let Some(voter) = &who.voter
    {
        counters.push((
            format!("{}:voter:{voter}", action.key()),
            per_voter,
            Scope::Voter,
        ));
    }
    counters
}

/// Counts one `action` by `who` and refuses it when that goes over a limit.
pub async fn hit(app: &App, who: &Requester, action: Action) -> Result<(), Error> {
    measure(app, who, action, true).await
}

/// Refuses `action` when `who` is already at a limit, without counting it (for
/// actions counted only once they happen, like a refused prompt).
pub async fn check(app: &App, who: &Requester, action: Action) -> Result<(), Error> {
    measure(app, who, action, false).await
}

async fn measure(app: &App, who: &Requester, action: Action, count: bool) -> Result<(), Error> {
    if !app.config.limits.enabled {
        return Ok(());
    }
    let counters = counters(app, who, action);
    let now = Utc::now();
    let window = window_of(now);
    let keys: Vec<String> = counters.iter().map(|(k, _, _)| k.clone()).collect();
    let counts = match count {
        true => app.store.count_hits(&keys, window).await?,
        // Already at the limit means the next one would be over it.
        false => app
            .store
            .peek_hits(&keys, window)
            .await?
            .into_iter()
            .map(|n| n + 1)
            .collect(),
    };
    over(&counters, &counts, window, now, action)
}

fn over(
    counters: &[(String, u32, Scope)],
    counts: &[i64],
    window: DateTime<Utc>,
    now: DateTime<Utc>,
    action: Action,
) -> Result<(), Error> {
    for ((_, limit, scope), n) in counters.iter().zip(counts) {
        if *n > i64::from(*limit) {
            return Err(Error::Limited(LimitExceeded {
                action,
                scope: *scope,
                retry_after: retry_after(window, now),
            }));
        }
    }
    Ok(())
}

/// Refuses a new live battle while too many live jobs wait for a worker arena-wide.
pub async fn check_live_queue(app: &App) -> Result<(), Error> {
    let cap = app.config.limits.queued_live_jobs;
    if !app.config.limits.enabled || cap == 0 {
        return Ok(());
    }
    if app.store.queued_live_jobs().await? >= i64::from(cap) {
        return Err(Error::ArenaBusy);
    }
    Ok(())
}

/// Why a limited request was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Limited(#[from] LimitExceeded),
    /// Too many live jobs are waiting arena-wide.
    #[error(
        "The arena is drawing as many prompts as it can right now; try again in a minute, or \
         vote on a battle from the pool."
    )]
    ArenaBusy,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    /// Seconds until the request may succeed, for `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::Limited(e) => Some(e.retry_after),
            Error::ArenaBusy => Some(60),
            Error::Store(_) => None,
        }
    }
}

/// Removes counters of windows that ended, now and then (any server may do it).
pub async fn prune(app: &App) -> Result<u64, StoreError> {
    app.store.prune_hits(window_of(Utc::now()) - WINDOW).await
}
