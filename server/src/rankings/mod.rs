//! Rankings for teams: leaderboards computed from the running tallies and cached per
//! query ([`board`]), their SVG charts ([`charts`]), and `arena leaderboard` ([`cli`]).

pub mod board;
pub mod charts;
pub mod cli;
pub mod png;
pub mod simulate;
pub mod snapshot;

use crate::store::StoreError;

/// Why a leaderboard could not be given.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A query-string switch has a value it cannot take.
    #[error("{0}")]
    InvalidParameter(String),
    /// No prompt has this category.
    #[error("There is no prompt category {0:?}.")]
    UnknownCategory(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Evaluator(#[from] arena_evaluator::Error),
    /// A blocking task died.
    #[error("internal: {0}")]
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
