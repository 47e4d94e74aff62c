//! Rating math for the arena: blind pairwise votes in, leaderboards out.
//!
//! Pure library: no database, no HTTP, no global state. Votes are read from files
//! ([`read_counts`], [`for_each_vote`]) or added by the caller ([`Counts::add_n`]),
//! aggregated per (pair, outcome), and turned into a [`Leaderboard`]:
//!
//! * Bradley–Terry by maximum likelihood on the Elo scale, with sandwich or
//!   bootstrap intervals — the method and numbers of arena-rank 0.1.1 (LMArena),
//!   down to its optimiser and where it stops ([`Optimizer`]);
//! * reweighted by inverse pair frequency, and contextual Bradley–Terry with
//!   per-vote covariates ("style control"), as arena-rank's `reweighted=True` and
//!   `ContextualBradleyTerry` ([`LeaderboardOptions::reweight`], [`Control`]);
//! * K-wise votes (best, and optionally worst, of three or four) in the same
//!   likelihood through Plackett–Luce choice probabilities, which are Bradley–Terry's
//!   for two ([`Counts::add_choice`]);
//! * online Elo in vote order, as FastChat 0.2.36 (through `skillratings`);
//! * win-rate and battle-count [`matrices()`].
//!
//! ```
//! use arena_evaluator::{leaderboard_from_reader, Format, LeaderboardOptions};
//! let votes = "model_a,model_b,winner\nsdxl,lcm,model_a\nsdxl,lcm,model_b\nsdxl,lcm,model_a\n";
//! let board = leaderboard_from_reader(votes.as_bytes(), Format::Csv, &LeaderboardOptions::default())?;
//! println!("{}", board.to_table());
//! assert_eq!(board.models[0].model, "sdxl");
//! # Ok::<(), arena_evaluator::Error>(())
//! ```
//!
//! Defined behaviour at the edges (each has a test): a model that never lost (or a
//! group that never lost to the rest) has no finite maximum-likelihood rating, so
//! the fit falls back to a weak ridge prior and says so in
//! [`Leaderboard::warnings`]; models in groups that never met each other are
//! each centred on the mean, with a warning; an empty input gives an empty
//! leaderboard with a warning; a malformed line or unknown winner label is an
//! [`Error::Parse`] naming the line.

mod bootstrap;
mod bt;
mod choice;
mod contextual;
mod counts;
mod elo;
mod error;
mod filter;
mod lbfgs;
mod leaderboard;
mod linalg;
pub mod matchmaking;
mod matrices;
mod options;
mod personal;
mod rate;
mod read;
mod render;
mod sandwich;
pub mod simulate;
mod stats;
mod synth;
mod vote;

pub use bootstrap::Progress;
pub use contextual::Coefficient;
pub use counts::{ChoiceCounts, Counts, PairCounts};
pub use elo::{EloParams, OnlineElo};
pub use error::{Error, Result};
pub use filter::{Excluded, Exclusion, VoteFilter};
pub use leaderboard::{
    Leaderboard, LeaderboardEntry, MIN_INTERVAL_BATTLES, leaderboard_from_counts,
    leaderboard_from_counts_with_progress, leaderboard_from_covariate_votes,
    leaderboard_from_ordered_votes, leaderboard_from_path, leaderboard_from_reader,
    leaderboard_from_reader_with_progress, leaderboard_from_tally, leaderboard_from_votes,
};
pub use matrices::{Matrices, matrices};
pub use options::{Anchor, BothBad, CiMethod, Control, LeaderboardOptions, Method, Optimizer};
pub use personal::{PRIOR_SD_POINTS, PersonalBoard, PersonalEntry, personal_board};
pub use read::{
    Format, Tally, for_each_vote, read_counts, read_counts_from_path, reference, row_outcome,
};
pub use synth::Synthetic;
pub use vote::{Kwise, Outcome, Position, Vote};
