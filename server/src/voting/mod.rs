//! Voting, as voters meet it: a blind battle is served ([`battles`]), or drawn from
//! the voter's own prompt ([`live`]) once [`moderation`] has let the prompt through;
//! two models are picked by [`matchmaking`]; the vote is recorded and the models
//! revealed. [`view`] holds what a voter is shown; [`prompts`] the shipped prompt set.

pub mod axes;
pub mod battles;
pub mod live;
pub mod matchmaking;
pub mod moderation;
pub mod prompt_text;
pub mod prompts;
pub mod purge;
pub mod view;

use chrono::{DateTime, Utc};

use crate::integrity::limits;
use crate::store::StoreError;

/// Why a voter's request was refused.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The battle id is not one we hand out (refused before any lookup).
    #[error("That is not a battle id.")]
    InvalidBattleId,
    /// No such battle — or it was served to someone else, which looks the same.
    #[error("No such battle.")]
    BattleNotFound,
    /// A live battle whose images are not both drawn yet.
    #[error("Both images are not ready yet; vote once you have seen them.")]
    BattleNotReady,
    #[error("This battle already has your vote.")]
    AlreadyVoted,
    #[error("This battle was served too long ago to vote on. Start a new one.")]
    BattleExpired,
    /// The vote names no known outcome.
    #[error("winner must be one of a, b, tie, both_bad (got {0:?})")]
    InvalidWinner(String),
    /// A K-wise answer that names no image of the battle, or the wrong kind of
    /// answer for the battle (a winner for four images, a best for two).
    #[error("{0}")]
    InvalidChoice(String),
    /// The vote answers a question this arena does not ask, or answers one twice.
    #[error("{0}")]
    InvalidAxis(String),
    #[error("There is no prompt category {0:?}.")]
    UnknownCategory(String),
    /// The pool has no prompt with images of two models yet.
    #[error(
        "No images are ready yet; the first ones are being generated. Try again in a few seconds."
    )]
    NoBattleReady,
    #[error("A prompt is {min} to {max} characters long (this one has {chars}).")]
    InvalidPromptLength {
        min: usize,
        max: usize,
        chars: usize,
    },
    /// The prompt holds a control or bidirectional-override character.
    #[error(
        "Prompts cannot contain control or invisible formatting characters (found {}). \
         Please type the prompt again as plain text.",
        .0.code_point()
    )]
    InvalidPromptCharacters(prompt_text::InvalidCharacter),
    /// Moderation refused the prompt; the message says why, for the voter.
    #[error("{0}")]
    PromptRejected(String),
    /// The voter already has this many live battles being drawn.
    #[error(
        "You already have {0} battles being drawn; wait for them to finish (or vote on a battle \
         from the pool) before typing another prompt."
    )]
    TooManyDrawing(u32),
    /// The voter started `per_hour` live battles in the past hour.
    #[error(
        "You have started {per_hour} battles with your own prompts in the past hour, the most \
         this arena allows; you can start another in {} minute(s). Battles from the pool are \
         always open.",
        seconds_until(*.retry_at).div_ceil(60)
    )]
    TooManyLiveThisHour {
        per_hour: u32,
        retry_at: DateTime<Utc>,
    },
    /// No two models have a live worker.
    #[error(
        "No two models can draw a new prompt right now (they need a running worker). Vote on a battle from the pool instead."
    )]
    NoLiveModels,
    /// Over a limit of `[limits]`, or too many live jobs arena-wide.
    #[error(transparent)]
    Limit(#[from] limits::Error),
    /// The vote needs a proof of work and carries none, or a wrong one.
    #[error(
        "This vote needs the small proof of work the page computes (`pow` of the battle): \
         send `pow_nonce` with the vote."
    )]
    ProofOfWorkRequired,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Error {
    /// Seconds until a refused request may succeed, for `Retry-After`.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Error::TooManyDrawing(_) => Some(10),
            Error::TooManyLiveThisHour { retry_at, .. } => Some(seconds_until(*retry_at)),
            Error::Limit(e) => e.retry_after(),
            _ => None,
        }
    }
}

/// Whole seconds from now until `at`, at least 1.
fn seconds_until(at: DateTime<Utc>) -> u64 {
    (at - Utc::now()).num_seconds().max(1) as u64
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
